//! Baselines: the fingerprints of findings already known, so that a CI run reports only what
//! is new. A baseline is written by `--write-baseline` from a scan; `--baseline` reads one,
//! or a JSON report, and drops the findings whose fingerprint it holds.
//!
//! Fingerprints hash rule, device, artifact path relative to the scan root and the finding's
//! subject, never a line, packet or offset ([`crate::report::fingerprint`]), so a known
//! finding stays known when unrelated lines move and however the scan path was typed.
//!
//! A baseline records the digest of the rules it was made with. Applying one that matches
//! none of the findings, or that was made with other rules, is a warning in the report (and
//! on standard error): the gate would otherwise pass or fail on a comparison that means
//! nothing.

use crate::report::Report;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// The `format` field of a baseline file.
const BASELINE_FORMAT: &str = "drone-audit-baseline/1";

/// Fingerprints of known findings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub format: String,
    /// The digest of the rules of the scan it was made from (absent in older baselines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules_digest: Option<String>,
    pub fingerprints: BTreeSet<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read baseline {path}: {message}")]
    Read { path: String, message: String },
    #[error("{path} is neither a drone-audit baseline nor a JSON report: {message}")]
    Format { path: String, message: String },
}

impl Baseline {
    /// Every finding of `report`, waived or not.
    pub fn of(report: &Report) -> Baseline {
        Baseline {
            format: BASELINE_FORMAT.to_owned(),
            rules_digest: Some(report.rules.digest.clone()),
            fingerprints: report
                .findings
                .iter()
                .map(|finding| finding.fingerprint.clone())
                .collect(),
        }
    }

    /// Reads a baseline file, or the findings of a JSON report.
    pub fn read(path: &Path) -> Result<Baseline, BaselineError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| BaselineError::Read {
            path: shown.clone(),
            message: error.to_string(),
        })?;
        Baseline::parse(&text, shown)
    }

    /// A baseline, or the findings of a JSON report, from its text; `shown` names it in errors.
    pub fn parse(text: &str, shown: String) -> Result<Baseline, BaselineError> {
        let value: Value = serde_json::from_str(text).map_err(|error| BaselineError::Format {
            path: shown.clone(),
            message: error.to_string(),
        })?;
        if value.get("format").and_then(Value::as_str) == Some(BASELINE_FORMAT) {
            return serde_json::from_value(value).map_err(|error| BaselineError::Format {
                path: shown,
                message: error.to_string(),
            });
        }
        let findings = value
            .get("findings")
            .and_then(Value::as_array)
            .ok_or_else(|| BaselineError::Format {
                path: shown.clone(),
                message: format!("no `format: \"{BASELINE_FORMAT}\"` and no `findings` list"),
            })?;
        let fingerprints = findings
            .iter()
            .map(|finding| {
                finding
                    .get("fingerprint")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect::<Option<BTreeSet<String>>>()
            .ok_or_else(|| BaselineError::Format {
                path: shown,
                message: "a finding has no fingerprint".to_owned(),
            })?;
        Ok(Baseline {
            format: BASELINE_FORMAT.to_owned(),
            rules_digest: value
                .pointer("/rules/digest")
                .and_then(Value::as_str)
                .map(str::to_owned),
            fingerprints,
        })
    }

    /// The baseline as pretty JSON, fingerprints sorted.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Drops the findings the baseline knows from the report, and records in it that the
    /// baseline read from `source` was applied and how many findings it hid.
    /// Returns the warnings it added to the report, for standard error.
    pub fn apply(&self, report: &mut Report, source: &Path) -> Vec<String> {
        let shown = crate::discover::display(source);
        let findings = report.findings.len();
        let known_findings = self.remove_known(report);
        let warnings = self.mismatches(report, &shown, findings, known_findings);
        report.warnings.extend(warnings.iter().cloned());
        report.baseline = Some(crate::report::BaselineUsed {
            source: shown,
            known_findings,
        });
        warnings
    }

    /// Why the comparison with this baseline may mean nothing: it matched none of the
    /// `findings` there were, or it was made with other rules.
    fn mismatches(
        &self,
        report: &Report,
        shown: &str,
        findings: usize,
        known_findings: usize,
    ) -> Vec<String> {
        let mut warnings = Vec::new();
        if known_findings == 0 && findings > 0 && !self.fingerprints.is_empty() {
            warnings.push(format!(
                "baseline {shown} matched none of the {findings} findings: every finding is reported as new (was it made of another fleet, or by an older drone-audit whose fingerprints hashed the message and the path as typed?)"
            ));
        }
        if let Some(digest) = &self.rules_digest {
            if *digest != report.rules.digest {
                warnings.push(format!(
                    "baseline {shown} was made with other rules (digest {}…, now {}…): findings of changed rules show as new",
                    digest.get(..12).unwrap_or(digest),
                    report.rules.digest.get(..12).unwrap_or(&report.rules.digest)
                ));
            }
        }
        warnings
    }

    /// Drops the findings the baseline knows; returns how many were dropped.
    pub fn remove_known(&self, report: &mut Report) -> usize {
        let before = report.findings.len();
        report
            .findings
            .retain(|finding| !self.fingerprints.contains(&finding.fingerprint));
        before - report.findings.len()
    }
}
