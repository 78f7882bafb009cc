//! The fleet stage: what only the fleet can show. The same password hash, private key, Wi-Fi
//! passphrase or MAVLink signing key on several devices (ETSI EN 303 645 5.1-1: secrets unique
//! per device) is one finding of [`RULE_ID`] naming the devices.
//!
//! It runs after every device is evaluated, over the digests each device's report carries
//! (`DeviceReport::secrets`, never the secrets), so the scan and `merge` call the same
//! function: a group whose devices sat in different shards is found when the parts are merged.
//! [`apply`] is idempotent and only ever adds failures (a group within a shard is a group of
//! the fleet), so running it on each part and then on the merged devices gives what one scan
//! of the whole fleet gives.
//!
//! Per device, the rule engine assesses FLEET-001 on the device's own evidence: it passes where
//! the device holds a secret (its `requires`, `$..fleet_secret`), and its `select` matches
//! nothing there. The fleet stage then marks the rule failed (or waived) on every device of a
//! group, re-scores those devices, and puts the group's one finding on the first device (by
//! id), at its first artifact holding the secret.

use crate::analyze::fleet_secret::DeviceSecret;
use crate::control::{Control, Severity};
use crate::report::{DeviceReport, Finding, RuleInfo, Waived};
use crate::rules::engine::Location;
use crate::score::{self, RuleStatus};
use std::collections::BTreeMap;

/// The rule the fleet stage reports under.
pub const RULE_ID: &str = "FLEET-001";

/// Devices named in a finding's message; the rest are counted.
const DEVICES_NAMED: usize = 20;

/// Decides whether a waiver covers a finding: (rule, device, artifact) → the waiver's terms.
pub type WaiverLookup<'a> = dyn Fn(&str, &str, &str) -> Option<Waived> + 'a;

/// One secret found on several devices: its kind and digest, and where it is on each device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedSecret {
    pub kind: String,
    pub digest: String,
    /// Device id → the (artifact, label) pairs holding it there, in order.
    pub holders: BTreeMap<String, Vec<(String, String)>>,
}

/// The secrets held by more than one device, ordered by kind and digest.
pub fn shared_secrets(devices: &[DeviceReport]) -> Vec<SharedSecret> {
    shared_among(
        devices
            .iter()
            .map(|device| (device.info.id.as_str(), device.secrets.as_slice())),
    )
}

/// The secrets held by more than one of `holders` (each a device id and the secrets its report
/// carries), ordered by kind and digest: for callers that keep only the secrets of devices
/// whose reports they no longer hold (`merge`, which streams its parts).
pub fn shared_among<'a>(
    holders: impl IntoIterator<Item = (&'a str, &'a [DeviceSecret])>,
) -> Vec<SharedSecret> {
    let mut by_digest: BTreeMap<(&str, &str), BTreeMap<&str, Vec<&DeviceSecret>>> = BTreeMap::new();
    for (device, secrets) in holders {
        for secret in secrets {
            by_digest
                .entry((&secret.kind, &secret.digest))
                .or_default()
                .entry(device)
                .or_default()
                .push(secret);
        }
    }
    by_digest
        .into_iter()
        .filter(|(_, holders)| holders.len() > 1)
        .map(|((kind, digest), holders)| SharedSecret {
            kind: kind.to_owned(),
            digest: digest.to_owned(),
            holders: holders
                .into_iter()
                .map(|(device, secrets)| {
                    let places = secrets
                        .into_iter()
                        .map(|secret| (secret.artifact.clone(), secret.label.clone()))
                        .collect();
                    (device.to_owned(), places)
                })
                .collect(),
        })
        .collect()
}

/// A secret kind as a message names it.
fn kind_name(kind: &str) -> String {
    match kind {
        "password-hash" => "password hash".to_owned(),
        "private-key" => "private key".to_owned(),
        "wifi-passphrase" => "Wi-Fi passphrase".to_owned(),
        "mavlink-signing-key" => "MAVLink signing key".to_owned(),
        other => other.replace('-', " "),
    }
}

/// The message of a shared secret's finding.
fn message(shared: &SharedSecret) -> String {
    let mut labels: Vec<&str> = shared
        .holders
        .values()
        .flatten()
        .map(|(_, label)| label.as_str())
        .collect();
    labels.sort_unstable();
    labels.dedup();
    let named: Vec<String> = shared
        .holders
        .iter()
        .take(DEVICES_NAMED)
        .map(|(device, places)| format!("{device} ({})", places[0].0))
        .collect();
    let more = shared.holders.len().saturating_sub(DEVICES_NAMED);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!(
        "the same {} ({}, digest {}…) is on {} devices: {}{more}",
        kind_name(&shared.kind),
        labels.join(", "),
        &shared.digest[..shared.digest.len().min(12)],
        shared.holders.len(),
        named.join(", "),
    )
}

/// The fleet stage: replaces the FLEET-001 findings by one per secret shared by several
/// devices, marks the rule failed (or waived) on each device of a group, and re-scores those
/// devices. `rule` is the rule in force (none when the policy disabled it: nothing is done).
/// The findings are left for the caller to sort.
pub fn apply(
    devices: &mut [DeviceReport],
    findings: &mut Vec<Finding>,
    rule: Option<&RuleInfo>,
    waiver: &WaiverLookup<'_>,
) {
    findings.retain(|finding| finding.rule != RULE_ID);
    let Some(rule) = rule else {
        return;
    };
    let stage = FleetStage::decide(shared_secrets(devices), rule, waiver);
    for device in devices.iter_mut() {
        if stage.involves(&device.info.id) {
            let id = device.info.id.clone();
            stage.rescore(device, open_findings(findings.iter(), &id));
        }
    }
    findings.extend(stage.findings);
}

/// The `(control, severity)` of `device`'s findings that are not waived, as a device's grade
/// is capped by them.
pub fn open_findings<'a>(
    findings: impl Iterator<Item = &'a Finding> + 'a,
    device: &'a str,
) -> impl Iterator<Item = (Control, Severity)> + 'a {
    findings
        .filter(move |finding| finding.device == device && finding.waived.is_none())
        .map(|finding| (finding.control, finding.severity))
}

/// What the fleet stage decided: one finding per shared secret, and for each device of a
/// group, how many of those findings it carries and whether every group it is in is waived.
#[derive(Debug, Default)]
pub struct FleetStage {
    /// The findings of the shared secrets, in order of kind and digest (unsorted otherwise).
    pub findings: Vec<Finding>,
    verdicts: BTreeMap<String, Verdict>,
}

#[derive(Debug, Clone, Copy)]
struct Verdict {
    findings: usize,
    waived: bool,
}

impl FleetStage {
    /// The findings of `shared` under `rule`, each waived when `waiver` covers it at its
    /// first device (by id) and first artifact there.
    pub fn decide(shared: Vec<SharedSecret>, rule: &RuleInfo, waiver: &WaiverLookup<'_>) -> Self {
        let mut stage = FleetStage::default();
        for shared in shared {
            let Some((first, places)) = shared.holders.iter().next() else {
                continue;
            };
            let artifact = places[0].0.clone();
            let waived = waiver(RULE_ID, first, &artifact);
            let finding = Finding {
                rule: RULE_ID.to_owned(),
                title: rule.title.clone(),
                control: rule.control,
                severity: rule.severity,
                device: first.clone(),
                artifact,
                location: Location {
                    evidence_path: "$..fleet_secret".to_owned(),
                    ..Location::default()
                },
                message: message(&shared),
                remediation: rule.remediation.clone(),
                // What the finding is about: the secret, by its kind and digest; the
                // fingerprint is the report's to assign, from the scan-relative path.
                subject: format!("{} {}", shared.kind, shared.digest),
                fingerprint: String::new(),
                waived,
            };
            let is_waived = finding.waived.is_some();
            for device in shared.holders.keys() {
                let verdict = stage.verdicts.entry(device.clone()).or_insert(Verdict {
                    findings: 0,
                    waived: true,
                });
                verdict.waived &= is_waived;
                if device == first {
                    verdict.findings += 1;
                }
            }
            stage.findings.push(finding);
        }
        stage
    }

    /// Whether `device` holds a secret another device holds too.
    pub fn involves(&self, device: &str) -> bool {
        self.verdicts.contains_key(device)
    }

    /// Sets the device's FLEET-001 result and scores its control and the device again, as
    /// evaluation scores them; `others` are the `(control, severity)` of its open findings
    /// of other rules ([`open_findings`]). A device in no group is left as it is.
    pub fn rescore(
        &self,
        device: &mut DeviceReport,
        others: impl Iterator<Item = (Control, Severity)>,
    ) {
        let Some(verdict) = self.verdicts.get(&device.info.id) else {
            return;
        };
        let status = if verdict.waived {
            RuleStatus::Waived
        } else {
            RuleStatus::Failed
        };
        for control in &mut device.controls {
            let Some(result) = control
                .rules
                .iter_mut()
                .find(|result| &*result.rule == RULE_ID)
            else {
                continue;
            };
            result.status = status;
            result.findings = verdict.findings;
            result.reason = None;
            let tally = score::tally(&control.rules);
            control.score = tally.score;
            control.coverage = tally.coverage;
            control.status = score::control_status(&control.rules);
        }
        let own = open_findings(self.findings.iter(), &device.info.id);
        let (tally, grade) = score::device_tally(&device.controls, others.chain(own));
        device.score = tally.score;
        device.coverage = tally.coverage;
        device.grade = grade;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::Control;
    use crate::control::Severity;
    use crate::discover::DeviceInfo;
    use crate::score::{ControlResult, Grade, RuleResult};

    fn device(id: &str, digests: &[(&str, &str)]) -> DeviceReport {
        let rule = |rule: &str, status| RuleResult {
            rule: rule.into(),
            severity: Severity::High,
            status,
            findings: 0,
            reason: None,
        };
        let rules = vec![
            rule("AUTH-001", RuleStatus::Passed),
            rule(RULE_ID, RuleStatus::Passed),
        ];
        let tally = score::tally(&rules);
        DeviceReport {
            info: DeviceInfo {
                id: id.to_owned(),
                ..DeviceInfo::default()
            },
            warnings: Vec::new(),
            score: tally.score,
            grade: Grade::from_score(tally.score, None),
            coverage: tally.coverage,
            controls: vec![ControlResult {
                control: Control::Authentication,
                status: score::control_status(&rules),
                score: tally.score,
                coverage: tally.coverage,
                rules,
            }],
            secrets: digests
                .iter()
                .map(|(kind, digest)| DeviceSecret {
                    kind: (*kind).to_owned(),
                    digest: (*digest).to_owned(),
                    artifact: format!("{id}/etc/shadow"),
                    label: "root".to_owned(),
                })
                .collect(),
        }
    }

    fn rule_info() -> RuleInfo {
        RuleInfo {
            id: RULE_ID.to_owned(),
            name: "secret-shared-across-devices".to_owned(),
            title: "A secret is shared by several devices".to_owned(),
            control: Control::Authentication,
            severity: Severity::High,
            kinds: Vec::new(),
            rationale: String::new(),
            remediation: "Give each device its own.".to_owned(),
            references: Vec::new(),
        }
    }

    fn no_waiver(_: &str, _: &str, _: &str) -> Option<Waived> {
        None
    }

    fn fleet() -> Vec<DeviceReport> {
        vec![
            device("a", &[("password-hash", "11"), ("private-key", "22")]),
            device("b", &[("password-hash", "11")]),
            device("c", &[("password-hash", "11"), ("private-key", "33")]),
            device("d", &[("private-key", "44")]),
        ]
    }

    #[test]
    fn one_finding_per_shared_secret_naming_the_devices() {
        let mut devices = fleet();
        let mut findings = Vec::new();
        apply(&mut devices, &mut findings, Some(&rule_info()), &no_waiver);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].device, "a");
        assert_eq!(
            findings[0].message,
            "the same password hash (root, digest 11…) is on 3 devices: a (a/etc/shadow), \
             b (b/etc/shadow), c (c/etc/shadow)"
        );
        let status = |device: &DeviceReport| device.controls[0].rules[1].status;
        assert_eq!(status(&devices[0]), RuleStatus::Failed);
        assert_eq!(status(&devices[1]), RuleStatus::Failed);
        assert_eq!(status(&devices[3]), RuleStatus::Passed);
        assert_eq!(devices[0].controls[0].rules[1].findings, 1);
        assert_eq!(devices[1].controls[0].rules[1].findings, 0);
        assert_eq!(devices[1].score, Some(50.0));
        assert_eq!(devices[3].score, Some(100.0));
    }

    #[test]
    fn applying_again_or_after_parts_gives_the_same() {
        let mut whole = fleet();
        let mut whole_findings = Vec::new();
        apply(
            &mut whole,
            &mut whole_findings,
            Some(&rule_info()),
            &no_waiver,
        );

        // Two shards: {a, d} and {b, c}; each part's own stage, then the merge's.
        let mut first: Vec<DeviceReport> = fleet()
            .into_iter()
            .filter(|d| d.info.id == "a" || d.info.id == "d")
            .collect();
        let mut second: Vec<DeviceReport> = fleet()
            .into_iter()
            .filter(|d| d.info.id == "b" || d.info.id == "c")
            .collect();
        let (mut first_findings, mut second_findings) = (Vec::new(), Vec::new());
        apply(
            &mut first,
            &mut first_findings,
            Some(&rule_info()),
            &no_waiver,
        );
        apply(
            &mut second,
            &mut second_findings,
            Some(&rule_info()),
            &no_waiver,
        );
        assert_eq!(second_findings.len(), 1, "b and c share within their shard");
        let mut merged: Vec<DeviceReport> = first.into_iter().chain(second).collect();
        merged.sort_by(|a, b| a.info.id.cmp(&b.info.id));
        let mut merged_findings: Vec<Finding> =
            first_findings.into_iter().chain(second_findings).collect();
        apply(
            &mut merged,
            &mut merged_findings,
            Some(&rule_info()),
            &no_waiver,
        );
        apply(
            &mut merged,
            &mut merged_findings,
            Some(&rule_info()),
            &no_waiver,
        );

        let json = |value: &dyn erased::Json| value.json();
        assert_eq!(json(&merged), json(&whole));
        assert_eq!(json(&merged_findings), json(&whole_findings));
    }

    #[test]
    fn a_waived_group_waives_its_devices_and_a_disabled_rule_does_nothing() {
        let mut devices = fleet();
        let mut findings = Vec::new();
        let waive_all = |_: &str, _: &str, _: &str| {
            Some(Waived {
                reason: "accepted".to_owned(),
                expires: "2099-01-01".to_owned(),
            })
        };
        apply(&mut devices, &mut findings, Some(&rule_info()), &waive_all);
        assert_eq!(devices[1].controls[0].rules[1].status, RuleStatus::Waived);
        assert!(findings[0].waived.is_some());

        let mut devices = fleet();
        apply(&mut devices, &mut findings, None, &no_waiver);
        assert!(findings.is_empty(), "old FLEET-001 findings are dropped");
        assert_eq!(devices[1].controls[0].rules[1].status, RuleStatus::Passed);
    }

    /// Serialises what the tests compare.
    mod erased {
        pub trait Json {
            fn json(&self) -> String;
        }
        impl<T: serde::Serialize> Json for T {
            fn json(&self) -> String {
                serde_json::to_string(self).expect("serialises")
            }
        }
    }
}
