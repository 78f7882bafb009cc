//! A framework's requirements judged from a scan's rule results, per device and for the fleet.
//!
//! On one device, a requirement is `fail` when a rule that evidences it failed (or was waived:
//! a waiver accepts a weakness, it does not remove it), `not-assessed` when none failed but
//! one could not be assessed (or is disabled by the policy), and `pass` only when every one
//! was assessed and passed. For the fleet the same test runs on the fleet's rule results: a
//! rule failed when it failed on some device, was assessed when it was assessed on at least
//! one, and passed when assessed and never failed; the devices' own statuses are counted
//! beside it. A `manual` requirement is manual everywhere and never passes. Nothing here
//! changes a score: the results only read what the scan decided.

use crate::frameworks::{Evidence, Framework, Requirement};
use crate::score::{ControlResult, RuleStatus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a requirement's evidence showed.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum RequirementStatus {
    Pass,
    Fail,
    NotAssessed,
    /// No artifact can show it; an auditor collects the evidence by hand.
    Manual,
}

impl RequirementStatus {
    pub const ALL: [RequirementStatus; 4] = [
        RequirementStatus::Pass,
        RequirementStatus::Fail,
        RequirementStatus::NotAssessed,
        RequirementStatus::Manual,
    ];

    /// The label reports print: `pass`, `FAIL`, `not assessed`, `manual`.
    pub fn label(self) -> &'static str {
        match self {
            RequirementStatus::Pass => "pass",
            RequirementStatus::Fail => "FAIL",
            RequirementStatus::NotAssessed => "not assessed",
            RequirementStatus::Manual => "manual",
        }
    }

    /// The kebab-case id JSON carries.
    pub fn id(self) -> &'static str {
        match self {
            RequirementStatus::Pass => "pass",
            RequirementStatus::Fail => "fail",
            RequirementStatus::NotAssessed => "not-assessed",
            RequirementStatus::Manual => "manual",
        }
    }
}

/// How many requirements (or devices) have each status.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct StatusCounts {
    pub pass: usize,
    pub fail: usize,
    pub not_assessed: usize,
    pub manual: usize,
}

impl StatusCounts {
    fn add(&mut self, status: RequirementStatus) {
        match status {
            RequirementStatus::Pass => self.pass += 1,
            RequirementStatus::Fail => self.fail += 1,
            RequirementStatus::NotAssessed => self.not_assessed += 1,
            RequirementStatus::Manual => self.manual += 1,
        }
    }

    pub fn get(&self, status: RequirementStatus) -> usize {
        match status {
            RequirementStatus::Pass => self.pass,
            RequirementStatus::Fail => self.fail,
            RequirementStatus::NotAssessed => self.not_assessed,
            RequirementStatus::Manual => self.manual,
        }
    }
}

/// A requirement's status on one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeviceStatus {
    pub device: String,
    pub status: RequirementStatus,
    /// Which rules failed, or why it could not be assessed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One requirement judged for the fleet and on each device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RequirementResult {
    pub id: String,
    pub title: String,
    /// The fleet's status.
    pub status: RequirementStatus,
    /// Which rules failed (and on how many devices), or why it could not be assessed, or, for
    /// a manual requirement, what an auditor must collect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The rules that evidence it (empty when manual).
    #[serde(default)]
    pub rules: Vec<String>,
    /// Devices per status.
    pub device_counts: StatusCounts,
    pub devices: Vec<DeviceStatus>,
}

/// One framework judged on a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FrameworkResult {
    pub id: String,
    pub title: String,
    pub version: String,
    pub url: String,
    /// Requirements per fleet status.
    pub summary: StatusCounts,
    pub requirements: Vec<RequirementResult>,
}

/// What became of one rule on one device (or on the fleet), as requirements read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome<'a> {
    Passed,
    NotAssessed(&'a str),
    Failed { waived: bool },
}

/// The rule results of each device: device id → rule id → outcome.
type Results<'a> = BTreeMap<&'a str, BTreeMap<&'a str, Outcome<'a>>>;

const NOT_IN_FORCE: &str = "not in force (disabled by the policy)";
const NOWHERE: &str = "assessed on no device";

/// Judges every requirement of `frameworks` on `devices` (each device's id and its control
/// results, as the report has them).
pub fn evaluate<'a>(
    frameworks: &[&Framework],
    devices: impl IntoIterator<Item = (&'a str, &'a [ControlResult])>,
) -> Vec<FrameworkResult> {
    // Without a framework to judge there is nothing to gather: a scan without `--framework`
    // would otherwise index every rule result of every device for nothing.
    if frameworks.is_empty() {
        return Vec::new();
    }
    let results: Results<'a> = devices
        .into_iter()
        .map(|(device, controls)| {
            let outcomes = controls
                .iter()
                .flat_map(|control| &control.rules)
                .map(|result| (&*result.rule, outcome(result)))
                .collect();
            (device, outcomes)
        })
        .collect();
    let fleet = fleet_outcomes(&results);
    frameworks
        .iter()
        .map(|framework| {
            let requirements: Vec<RequirementResult> = framework
                .requirements
                .iter()
                .map(|requirement| judge(requirement, &results, &fleet))
                .collect();
            let mut summary = StatusCounts::default();
            for requirement in &requirements {
                summary.add(requirement.status);
            }
            FrameworkResult {
                id: framework.id.clone(),
                title: framework.title.clone(),
                version: framework.source.version.clone(),
                url: framework.source.url.clone(),
                summary,
                requirements,
            }
        })
        .collect()
}

fn outcome(result: &crate::score::RuleResult) -> Outcome<'_> {
    match result.status {
        RuleStatus::Passed => Outcome::Passed,
        RuleStatus::Failed => Outcome::Failed { waived: false },
        RuleStatus::Waived => Outcome::Failed { waived: true },
        RuleStatus::NotAssessed => {
            Outcome::NotAssessed(result.reason.as_deref().unwrap_or("not assessed"))
        }
    }
}

/// Each rule's outcome on the fleet: failed somewhere, else passed where assessed, else not
/// assessed on any device.
fn fleet_outcomes<'a>(results: &Results<'a>) -> BTreeMap<&'a str, Outcome<'a>> {
    let mut fleet: BTreeMap<&'a str, Outcome<'a>> = BTreeMap::new();
    for outcomes in results.values() {
        for (&rule, &outcome) in outcomes {
            let merged = match (fleet.get(rule).copied(), outcome) {
                (None, Outcome::NotAssessed(_)) => Outcome::NotAssessed(NOWHERE),
                (None, outcome) => outcome,
                (Some(Outcome::Failed { waived }), Outcome::Failed { waived: other }) => {
                    Outcome::Failed {
                        waived: waived && other,
                    }
                }
                (Some(failed @ Outcome::Failed { .. }), _) => failed,
                (Some(_), failed @ Outcome::Failed { .. }) => failed,
                (Some(Outcome::Passed), _) | (Some(Outcome::NotAssessed(_)), Outcome::Passed) => {
                    Outcome::Passed
                }
                (Some(not_assessed), Outcome::NotAssessed(_)) => not_assessed,
            };
            fleet.insert(rule, merged);
        }
    }
    fleet
}

fn judge(
    requirement: &Requirement,
    results: &Results<'_>,
    fleet: &BTreeMap<&str, Outcome<'_>>,
) -> RequirementResult {
    let mut device_counts = StatusCounts::default();
    let (status, reason, devices) = match &requirement.evidence {
        Evidence::Manual { collect } => {
            let devices: Vec<DeviceStatus> = results
                .keys()
                .map(|device| DeviceStatus {
                    device: (*device).to_owned(),
                    status: RequirementStatus::Manual,
                    reason: None,
                })
                .collect();
            (
                RequirementStatus::Manual,
                Some(format!("collect by hand: {collect}")),
                devices,
            )
        }
        Evidence::Rules { rules, .. } => {
            let devices: Vec<DeviceStatus> = results
                .iter()
                .map(|(device, outcomes)| {
                    let (status, reason) = verdict(rules, outcomes);
                    DeviceStatus {
                        device: (*device).to_owned(),
                        status,
                        reason,
                    }
                })
                .collect();
            let (status, reason) = if results.is_empty() {
                (
                    RequirementStatus::NotAssessed,
                    Some("the scan found no device".to_owned()),
                )
            } else {
                fleet_verdict(rules, fleet, &devices)
            };
            (status, reason, devices)
        }
    };
    for device in &devices {
        device_counts.add(device.status);
    }
    RequirementResult {
        id: requirement.id.clone(),
        title: requirement.title.clone(),
        status,
        reason,
        rules: requirement.rules().to_vec(),
        device_counts,
        devices,
    }
}

/// The status of a requirement evidenced by `rules` given their outcomes, and why.
fn verdict(
    rules: &[String],
    outcomes: &BTreeMap<&str, Outcome<'_>>,
) -> (RequirementStatus, Option<String>) {
    let mut failed = Vec::new();
    let mut not_assessed: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for rule in rules {
        match outcomes.get(rule.as_str()) {
            Some(Outcome::Passed) => {}
            Some(Outcome::Failed { waived: false }) => failed.push(rule.clone()),
            Some(Outcome::Failed { waived: true }) => failed.push(format!("{rule} (waived)")),
            Some(Outcome::NotAssessed(reason)) => {
                not_assessed.entry(reason).or_default().push(rule)
            }
            None => not_assessed.entry(NOT_IN_FORCE).or_default().push(rule),
        }
    }
    if !failed.is_empty() {
        return (
            RequirementStatus::Fail,
            Some(format!("failed: {}", failed.join(", "))),
        );
    }
    if !not_assessed.is_empty() {
        let reasons: Vec<String> = not_assessed
            .iter()
            .map(|(reason, rules)| format!("{}: {reason}", rules.join(", ")))
            .collect();
        return (RequirementStatus::NotAssessed, Some(reasons.join("; ")));
    }
    (RequirementStatus::Pass, None)
}

/// The fleet's status: [`verdict`] on the fleet's rule outcomes, with the devices counted.
fn fleet_verdict(
    rules: &[String],
    fleet: &BTreeMap<&str, Outcome<'_>>,
    devices: &[DeviceStatus],
) -> (RequirementStatus, Option<String>) {
    let (status, reason) = verdict(rules, fleet);
    let count = |wanted: RequirementStatus| {
        devices
            .iter()
            .filter(|device| device.status == wanted)
            .count()
    };
    let reason = match status {
        RequirementStatus::Fail => reason.map(|reason| {
            format!(
                "{reason} (on {} of {} devices)",
                count(RequirementStatus::Fail),
                devices.len()
            )
        }),
        RequirementStatus::Pass if count(RequirementStatus::Pass) < devices.len() => Some(format!(
            "every evidencing rule passed where it was assessed; the requirement passed whole on {} of {} devices",
            count(RequirementStatus::Pass),
            devices.len()
        )),
        _ => reason,
    };
    (status, reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::{Control, Severity};
    use crate::frameworks::FrameworkSource;
    use crate::score::{ControlStatus, NotAssessed, RuleResult};

    fn result(rule: &str, status: RuleStatus) -> RuleResult {
        RuleResult {
            rule: rule.into(),
            severity: Severity::High,
            status,
            findings: usize::from(status == RuleStatus::Failed),
            reason: (status == RuleStatus::NotAssessed)
                .then(|| NotAssessed::no_artifact(&["sshd-config"])),
        }
    }

    fn controls(rules: Vec<RuleResult>) -> Vec<ControlResult> {
        vec![ControlResult {
            control: Control::Authentication,
            status: ControlStatus::Fail,
            score: None,
            coverage: 0.0,
            rules,
        }]
    }

    fn framework(requirements: Vec<(&str, Evidence)>) -> Framework {
        Framework {
            id: "test".to_owned(),
            title: "Test".to_owned(),
            source: FrameworkSource {
                publisher: "Us".to_owned(),
                url: "https://example.org".to_owned(),
                date: "2024".to_owned(),
                version: "1".to_owned(),
                verified: "x".to_owned(),
                unverified: "y".to_owned(),
            },
            requirements: requirements
                .into_iter()
                .map(|(id, evidence)| Requirement {
                    id: id.to_owned(),
                    title: id.to_owned(),
                    summary: id.to_owned(),
                    evidence,
                    note: None,
                })
                .collect(),
            file: "test.toml".to_owned(),
        }
    }

    fn rules(ids: &[&str]) -> Evidence {
        Evidence::Rules {
            named: ids.iter().map(|id| (*id).to_owned()).collect(),
            controls: Vec::new(),
            rules: ids.iter().map(|id| (*id).to_owned()).collect(),
        }
    }

    #[test]
    fn statuses_per_device_and_for_the_fleet() {
        let a = controls(vec![
            result("AUTH-001", RuleStatus::Passed),
            result("AUTH-002", RuleStatus::Failed),
            result("SSH-001", RuleStatus::NotAssessed),
        ]);
        let b = controls(vec![
            result("AUTH-001", RuleStatus::Passed),
            result("AUTH-002", RuleStatus::Passed),
            result("SSH-001", RuleStatus::Passed),
        ]);
        let framework = framework(vec![
            ("passes", rules(&["AUTH-001"])),
            ("fails", rules(&["AUTH-001", "AUTH-002"])),
            ("partly", rules(&["AUTH-001", "SSH-001"])),
            ("disabled", rules(&["AUTH-001", "WIFI-001"])),
            (
                "manual",
                Evidence::Manual {
                    collect: "the policy".to_owned(),
                },
            ),
        ]);
        let results = evaluate(&[&framework], [("a", a.as_slice()), ("b", b.as_slice())]);
        let statuses: Vec<(RequirementStatus, Vec<RequirementStatus>)> = results[0]
            .requirements
            .iter()
            .map(|r| (r.status, r.devices.iter().map(|d| d.status).collect()))
            .collect();
        use RequirementStatus::*;
        assert_eq!(
            statuses,
            [
                (Pass, vec![Pass, Pass]),
                (Fail, vec![Fail, Pass]),
                (Pass, vec![NotAssessed, Pass]),
                (NotAssessed, vec![NotAssessed, NotAssessed]),
                (Manual, vec![Manual, Manual]),
            ]
        );
        let requirements = &results[0].requirements;
        assert_eq!(
            requirements[1].reason.as_deref(),
            Some("failed: AUTH-002 (on 1 of 2 devices)")
        );
        assert_eq!(
            requirements[2].devices[0].reason.as_deref(),
            Some("SSH-001: no sshd-config artifact")
        );
        assert!(requirements[2]
            .reason
            .as_deref()
            .unwrap()
            .contains("passed whole on 1 of 2"));
        assert_eq!(
            requirements[3].reason.as_deref(),
            Some("WIFI-001: not in force (disabled by the policy)")
        );
        assert_eq!(results[0].summary.get(Manual), 1);
        assert_eq!(results[0].summary.get(Pass), 2);
    }

    #[test]
    fn a_waived_rule_fails_its_requirement_and_a_rule_assessed_nowhere_is_not_assessed() {
        let a = controls(vec![
            result("AUTH-002", RuleStatus::Waived),
            result("SSH-001", RuleStatus::NotAssessed),
        ]);
        let framework = framework(vec![
            ("waived", rules(&["AUTH-002"])),
            ("nowhere", rules(&["SSH-001"])),
        ]);
        let results = evaluate(&[&framework], [("a", a.as_slice())]);
        let requirements = &results[0].requirements;
        assert_eq!(requirements[0].status, RequirementStatus::Fail);
        assert!(requirements[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("AUTH-002 (waived)"));
        assert_eq!(requirements[1].status, RequirementStatus::NotAssessed);
        assert_eq!(
            requirements[1].reason.as_deref(),
            Some("SSH-001: assessed on no device")
        );
    }

    #[test]
    fn no_device_is_not_assessed_and_manual_never_passes() {
        let framework = framework(vec![
            ("rules", rules(&["AUTH-001"])),
            (
                "manual",
                Evidence::Manual {
                    collect: "x".to_owned(),
                },
            ),
        ]);
        let results = evaluate(&[&framework], std::iter::empty());
        assert_eq!(
            results[0].requirements[0].status,
            RequirementStatus::NotAssessed
        );
        assert_eq!(results[0].requirements[1].status, RequirementStatus::Manual);
    }
}
