//! Evaluating one device: every rule over its evidence, each rule's status (failed, waived,
//! passed, or not assessed and why), the device's identity and its score.

use crate::analyze::ArtifactKind;
use crate::control::Control;
use crate::discover::DeviceInfo;
use crate::report::{DeviceReport, Finding, Waived};
use crate::rules::engine::{self, Outcome};
use crate::rules::{self, RuleSet};
use crate::scan::artifact::ScannedArtifact;
use crate::score::{self, NotAssessed, RuleResult, RuleStatus};
use crate::waiver::Waiver;
use std::sync::Arc;

/// Runs every rule over a device's evidence, scores it, and returns its findings.
pub(super) fn evaluate_device(
    info: &DeviceInfo,
    artifacts: &[ScannedArtifact],
    rules: &RuleSet,
    shared_by_devices: &[SharedByDevices],
    waivers: &[Waiver],
) -> (DeviceReport, Vec<Finding>) {
    let id = info.id.as_str();
    let mut findings = Vec::new();
    let mut results: Vec<(Control, RuleResult)> = Vec::with_capacity(rules.rules.len());
    // The device's artifacts of a rule's kinds, picked once for the rule (one buffer for all
    // the rules: this runs for every rule on every device).
    let mut relevant: Vec<&ScannedArtifact> = Vec::with_capacity(artifacts.len());
    for (rule, shared) in rules.rules.iter().zip(shared_by_devices) {
        relevant.clear();
        relevant.extend(artifacts.iter().filter(|artifact| {
            artifact
                .record
                .kind
                .is_some_and(|kind| rule.kinds.contains(&kind))
        }));
        let mut assessed_any = false;
        let mut rule_findings = Vec::new();
        for artifact in &relevant {
            let Some(evidence) = &artifact.evidence else {
                continue;
            };
            if let Outcome::Assessed(matches) = engine::evaluate(rule, evidence) {
                assessed_any = true;
                rule_findings.extend(matches.into_iter().map(|found| {
                    Finding {
                        rule: rule.id.clone(),
                        title: rule.title.clone(),
                        control: rule.control,
                        severity: rule.severity,
                        device: id.to_owned(),
                        artifact: artifact.record.path.clone(),
                        location: found.location,
                        message: found.message,
                        remediation: rule.remediation.clone(),
                        subject: found.subject,
                        fingerprint: String::new(),
                        waived: waivers
                            .iter()
                            .find(|waiver| waiver.covers(&rule.id, id, &artifact.record.path))
                            .map(|waiver| Waived {
                                reason: waiver.reason.clone(),
                                expires: waiver.expires.to_string(),
                            }),
                    }
                }));
            }
        }
        let broken: Vec<&str> = relevant
            .iter()
            .filter(|artifact| artifact.record.status.is_incomplete())
            .map(|artifact| artifact.record.path.as_str())
            .collect();
        let (status, reason) = if rule_findings.iter().any(|finding| finding.waived.is_none()) {
            (RuleStatus::Failed, None)
        } else if !rule_findings.is_empty() {
            (RuleStatus::Waived, None)
        } else if !broken.is_empty() {
            (
                RuleStatus::NotAssessed,
                Some(NotAssessed::damaged_evidence(&broken)),
            )
        } else if assessed_any {
            (RuleStatus::Passed, None)
        } else {
            (
                RuleStatus::NotAssessed,
                Some(shared.no_evidence(!relevant.is_empty())),
            )
        };
        results.push((
            rule.control,
            RuleResult {
                rule: Arc::clone(&shared.id),
                severity: rule.severity,
                status,
                findings: rule_findings.len(),
                reason,
            },
        ));
        findings.extend(rule_findings);
    }
    let controls = score::score_controls(results);
    // The supply chain is reported beside the six DHS axes, not scored with them.
    let (tally, grade) = score::device_tally(
        &controls,
        findings
            .iter()
            .filter(|finding| finding.waived.is_none())
            .map(|finding| (finding.control, finding.severity)),
    );
    let (info, warnings) = merge_identity(info, artifacts);
    let device = DeviceReport {
        info,
        warnings,
        score: tally.score,
        grade,
        coverage: tally.coverage,
        controls,
        secrets: crate::analyze::fleet_secret::device_secrets(artifacts.iter().filter_map(
            |artifact| {
                // Only the kinds that can hold secrets are walked for them.
                artifact
                    .record
                    .kind
                    .filter(|kind| crate::analyze::fleet_secret::may_hold_secrets(*kind))?;
                Some((
                    artifact.record.path.as_str(),
                    &artifact.evidence.as_ref()?.document,
                ))
            },
        )),
    };
    (device, findings)
}

/// What every device's result for a rule shares: its id, and why it was not assessed on a
/// device without evidence for it. Made once per rule rather than for each of thousands of
/// devices.
pub(super) struct SharedByDevices {
    id: Arc<str>,
    /// The device has no artifact of the rule's kinds.
    no_artifact: NotAssessed,
    /// It has, but the rule's `requires` matched nothing in them (or it found no evidence).
    nothing_required: NotAssessed,
}

impl SharedByDevices {
    pub(super) fn of(rule: &rules::Rule) -> SharedByDevices {
        let kinds: Vec<&str> = rule.kinds.iter().map(|kind| kind.id()).collect();
        SharedByDevices {
            id: rule.id.as_str().into(),
            no_artifact: NotAssessed::no_artifact(&kinds),
            nothing_required: match &rule.requires {
                Some(requires) => NotAssessed::requires_unmatched(&requires.text),
                None => NotAssessed::NoEvidence,
            },
        }
    }

    /// Why the rule was not assessed, given whether the device has an artifact of its kinds.
    fn no_evidence(&self, has_kind: bool) -> NotAssessed {
        if has_kind {
            self.nothing_required.clone()
        } else {
            self.no_artifact.clone()
        }
    }
}

/// Inventory facts win; a profile's identity fills in what the inventory leaves out. A
/// profile whose serial contradicts the inventory's (or another profile's) is a warning: the
/// file may belong to another aircraft.
fn merge_identity(info: &DeviceInfo, artifacts: &[ScannedArtifact]) -> (DeviceInfo, Vec<String>) {
    let id = info.id.as_str();
    let mut merged = info.clone();
    let mut warnings = Vec::new();
    let profiles = artifacts
        .iter()
        .filter(|artifact| artifact.record.kind == Some(ArtifactKind::Profile))
        .filter_map(|artifact| Some((&artifact.record.path, artifact.evidence.as_ref()?)));
    for (path, evidence) in profiles {
        let field = |name: &str| {
            evidence
                .document
                .pointer(&format!("/identity/{name}"))
                .and_then(|value| value.as_str())
                .map(str::to_owned)
        };
        if let (Some(known), Some(stated)) = (&merged.serial, field("serial")) {
            if *known != stated {
                warnings.push(format!(
                    "{path} gives serial {stated}, but device {id} has serial {known}"
                ));
            }
        }
        merged.vendor = merged.vendor.or_else(|| field("vendor"));
        merged.model = merged.model.or_else(|| field("model"));
        merged.serial = merged.serial.or_else(|| field("serial"));
    }
    (merged, warnings)
}
