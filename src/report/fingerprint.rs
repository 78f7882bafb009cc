//! Fingerprints: what identifies a finding from one scan to the next, for baselines and for
//! SARIF `partialFingerprints` (GitHub code scanning tracks alerts by them).
//!
//! A fingerprint is the SHA-256 of the rule, the device, the artifact's path relative to the
//! scan root it was found under, and the finding's subject ([`crate::rules::subject`]: the
//! parameter, key, account, endpoint or flow). It never hashes a line, packet number, byte
//! offset or the message (which quotes them), so a finding keeps its fingerprint when lines
//! move, packets are reordered or the scan root is renamed or typed another way
//! (`scan fleet` and `cd fleet && scan .`). Findings that share all four are told apart by
//! their order in the report (`…:2`, `…:3`).

use crate::digest::hex;
use crate::report::Finding;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

pub use crate::scan_path::scan_relative;

/// Sets the fingerprint of every finding; `roots` are the paths scanned, as reports show
/// them. Findings must be in the report's order, which numbers identical ones.
pub fn assign(findings: &mut [Finding], roots: &[String]) {
    let mut fingerprints = Fingerprints::new(roots);
    for finding in findings.iter_mut() {
        fingerprints.assign(finding);
    }
}

/// Fingerprints findings one at a time, in the report's order (`merge` never holds them all).
///
/// Findings with the same four parts have one rule, hence one severity, and one device and
/// artifact; the report's order (severity, device, artifact, place) puts them in one run of
/// findings of that severity, device and artifact. So only the current run's fingerprints are
/// kept to number them, not the whole report's.
pub struct Fingerprints<'a> {
    roots: &'a [String],
    run: Option<(crate::control::Severity, String, String)>,
    seen: HashMap<String, usize>,
}

impl<'a> Fingerprints<'a> {
    pub fn new(roots: &'a [String]) -> Self {
        Fingerprints {
            roots,
            run: None,
            seen: HashMap::new(),
        }
    }

    /// Sets the fingerprint of the next finding in the report's order.
    pub fn assign(&mut self, finding: &mut Finding) {
        let same_run = self
            .run
            .as_ref()
            .is_some_and(|(severity, device, artifact)| {
                *severity == finding.severity
                    && *device == finding.device
                    && *artifact == finding.artifact
            });
        if !same_run {
            self.seen.clear();
            self.run = Some((
                finding.severity,
                finding.device.clone(),
                finding.artifact.clone(),
            ));
        }
        let relative = scan_relative(&finding.artifact, self.roots);
        let base = of(&finding.rule, &finding.device, &relative, &finding.subject);
        let occurrence = self.seen.entry(base.clone()).or_insert(0);
        *occurrence += 1;
        finding.fingerprint = if *occurrence == 1 {
            base
        } else {
            format!("{base}:{occurrence}")
        };
    }
}

/// The fingerprint of a finding from its four parts.
pub fn of(rule: &str, device: &str, relative_path: &str, subject: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [rule, device, relative_path, subject] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex(&hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots(list: &[&str]) -> Vec<String> {
        list.iter().map(|root| (*root).to_owned()).collect()
    }

    #[test]
    fn the_scan_root_as_typed_does_not_change_the_fingerprint() {
        let typed = of(
            "SSH-001",
            "px4",
            &scan_relative("fleet/px4/s", &roots(&["fleet"])),
            "x",
        );
        let dot = of(
            "SSH-001",
            "px4",
            &scan_relative("px4/s", &roots(&["."])),
            "x",
        );
        let absolute = of(
            "SSH-001",
            "px4",
            &scan_relative("/home/ci/fleet/px4/s", &roots(&["/home/ci/fleet"])),
            "x",
        );
        assert_eq!(typed, dot);
        assert_eq!(typed, absolute);
    }
}
