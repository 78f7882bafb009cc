//! Scoring: per device and control, then the fleet roll-up (formula in docs/scoring.md).
//!
//! A control's score is the severity-weighted pass rate of its assessed rules, as XCCDF flat
//! scoring does: `100 × Σ weight(passed) / Σ weight(assessed)`, with weights critical 10,
//! high 6, medium 3, low 1, info 0. Waived rules count as passed. A device's score is the
//! same ratio over all its assessed rules; its grade comes from the score, capped at F by any
//! critical finding and at C by any high one, and is provisional below a coverage threshold. Rules that could not be assessed never count as passed: they
//! lower coverage (assessed rules / rules in force) and are listed with the reason.

use crate::control::{Control, Severity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// What became of one rule on one device.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum RuleStatus {
    Passed,
    Failed,
    Waived,
    NotAssessed,
}

/// One rule's result on one device, as the score traces it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RuleResult {
    /// Shared with every device's result for the rule (a 10,000-device report holds 1.7
    /// million results).
    pub rule: Arc<str>,
    pub severity: Severity,
    pub status: RuleStatus,
    /// Findings the rule produced on this device (absent when none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub findings: usize,
    /// Why the rule could not be assessed (its text shared, like `rule`, where devices share
    /// it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<NotAssessed>,
}

/// Why a rule could not be assessed on a device. Reports carry it as its text (the text is
/// built once and shared by every device it applies to); the verdicts match on the variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAssessed {
    /// The device has no artifact of the rule's kinds: "no profile or capture artifact".
    NoArtifact(Arc<str>),
    /// It has, but the rule's `requires` selects nothing in them: "no evidence: nothing
    /// matches QUERY".
    RequiresUnmatched(Arc<str>),
    /// It has, but the rule found nothing to judge in them: "no evidence".
    NoEvidence,
    /// An artifact of the rule's kinds could not be analyzed whole (an error, or a partial
    /// read: damaged, cut short, a cap reached, encrypted): "could not analyze all of PATHS".
    /// The rule found nothing in what could be read, which proves nothing.
    DamagedEvidence(Arc<str>),
}

const NO_EVIDENCE: &str = "no evidence";
const REQUIRES_UNMATCHED: &str = "no evidence: nothing matches ";
const DAMAGED_EVIDENCE: &str = "could not analyze all of ";

impl NotAssessed {
    /// No artifact of any of `kinds` on the device.
    pub fn no_artifact(kinds: &[&str]) -> NotAssessed {
        NotAssessed::NoArtifact(format!("no {} artifact", kinds.join(" or ")).into())
    }

    /// The rule's `requires` query (its text) selected nothing.
    pub fn requires_unmatched(requires: &str) -> NotAssessed {
        NotAssessed::RequiresUnmatched(format!("{REQUIRES_UNMATCHED}{requires}").into())
    }

    /// These artifacts (their paths) of the rule's kinds could not be analyzed whole.
    pub fn damaged_evidence(paths: &[&str]) -> NotAssessed {
        NotAssessed::DamagedEvidence(format!("{DAMAGED_EVIDENCE}{}", paths.join(", ")).into())
    }

    /// The reason as reports write it.
    pub fn as_str(&self) -> &str {
        match self {
            NotAssessed::NoArtifact(text)
            | NotAssessed::RequiresUnmatched(text)
            | NotAssessed::DamagedEvidence(text) => text,
            NotAssessed::NoEvidence => NO_EVIDENCE,
        }
    }

    /// The reason a report wrote; None for a text no version of this report writes.
    pub fn parse(text: &str) -> Option<NotAssessed> {
        let shared = || Arc::from(text);
        if text == NO_EVIDENCE {
            Some(NotAssessed::NoEvidence)
        } else if text.starts_with(REQUIRES_UNMATCHED) {
            Some(NotAssessed::RequiresUnmatched(shared()))
        } else if text.starts_with(DAMAGED_EVIDENCE) {
            Some(NotAssessed::DamagedEvidence(shared()))
        } else if text.starts_with("no ") && text.ends_with(" artifact") {
            Some(NotAssessed::NoArtifact(shared()))
        } else {
            None
        }
    }
}

impl std::ops::Deref for NotAssessed {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for NotAssessed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for NotAssessed {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for NotAssessed {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        NotAssessed::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("unknown reason for a rule not assessed: {text:?}"))
        })
    }
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

/// A control's verdict on one device.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ControlStatus {
    Pass,
    Fail,
    NotAssessed,
}

/// A control's verdict on one device, with every rule in force behind it.
///
/// In JSON, `rules` lists the assessed rules (passed, failed, waived) and `not_assessed` the
/// others grouped by the reason (`{reason, rules: {ID: severity}}`): most rules of a fleet
/// are not assessed on most devices for the same few reasons ("no sshd-config artifact"), and
/// listing them one by one made up most of a large fleet's report.
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(try_from = "ControlResultWire")]
pub struct ControlResult {
    pub control: Control,
    pub status: ControlStatus,
    /// Weighted pass rate in percent; absent when nothing was assessed.
    pub score: Option<f64>,
    /// Assessed rules / rules in force for this control, in percent.
    pub coverage: f64,
    /// Every rule in force, by id.
    pub rules: Vec<RuleResult>,
}

impl ControlResult {
    /// Rules assessed (passed, failed or waived), and of them those that failed.
    pub fn assessed_and_failed(&self) -> (usize, usize) {
        let assessed = self
            .rules
            .iter()
            .filter(|rule| rule.status != RuleStatus::NotAssessed)
            .count();
        let failed = self
            .rules
            .iter()
            .filter(|rule| rule.status == RuleStatus::Failed)
            .count();
        (assessed, failed)
    }
}

/// Rules not assessed for one reason.
#[derive(Serialize, Deserialize, schemars::JsonSchema)]
struct NotAssessedGroup<R, I: Ord> {
    reason: R,
    rules: BTreeMap<I, Severity>,
}

#[derive(Serialize)]
struct ControlResultRef<'a> {
    control: Control,
    status: ControlStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    coverage: f64,
    rules: Vec<&'a RuleResult>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    not_assessed: Vec<NotAssessedRun<'a>>,
}

/// A [`NotAssessedGroup`] as it is written: the rules of one reason, sorted by id, in a slice
/// of `(reason, rule, severity)` rather than a map made for each control of each device.
#[derive(Serialize)]
struct NotAssessedRun<'a> {
    reason: &'a str,
    rules: RuleSeverities<'a>,
}

/// Rules and their severities, written as a map from each rule to its severity.
struct RuleSeverities<'a>(&'a [(&'a str, &'a str, Severity)]);

impl Serialize for RuleSeverities<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(_, rule, severity)| (rule, severity)))
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ControlResultWire {
    control: Control,
    status: ControlStatus,
    score: Option<f64>,
    coverage: f64,
    rules: Vec<RuleResult>,
    #[serde(default)]
    not_assessed: Vec<NotAssessedGroup<String, Arc<str>>>,
}

impl Serialize for ControlResult {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut assessed = Vec::with_capacity(self.rules.len());
        let mut not_assessed: Vec<(&str, &str, Severity)> = Vec::new();
        for rule in &self.rules {
            if rule.status == RuleStatus::NotAssessed {
                let reason = rule.reason.as_deref().unwrap_or("");
                not_assessed.push((reason, &rule.rule, rule.severity));
            } else {
                assessed.push(rule);
            }
        }
        // By reason, then rule, as maps of them would be; of one rule given twice the last.
        not_assessed.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        let mut unique: Vec<(&str, &str, Severity)> = Vec::with_capacity(not_assessed.len());
        for entry in not_assessed {
            match unique.last_mut() {
                Some(last) if (last.0, last.1) == (entry.0, entry.1) => *last = entry,
                _ => unique.push(entry),
            }
        }
        ControlResultRef {
            control: self.control,
            status: self.status,
            score: self.score,
            coverage: self.coverage,
            rules: assessed,
            not_assessed: unique
                .chunk_by(|a, b| a.0 == b.0)
                .map(|group| NotAssessedRun {
                    reason: group[0].0,
                    rules: RuleSeverities(group),
                })
                .collect(),
        }
        .serialize(serializer)
    }
}

impl TryFrom<ControlResultWire> for ControlResult {
    type Error = String;
    fn try_from(wire: ControlResultWire) -> Result<ControlResult, String> {
        let mut rules = wire.rules;
        for group in wire.not_assessed {
            let reason =
                match group.reason.as_str() {
                    "" => None,
                    text => Some(NotAssessed::parse(text).ok_or_else(|| {
                        format!("unknown reason for a rule not assessed: {text:?}")
                    })?),
                };
            for (rule, severity) in group.rules {
                rules.push(RuleResult {
                    rule,
                    severity,
                    status: RuleStatus::NotAssessed,
                    findings: 0,
                    reason: reason.clone(),
                });
            }
        }
        rules.sort_by(|a, b| a.rule.cmp(&b.rule));
        Ok(ControlResult {
            control: wire.control,
            status: wire.status,
            score: wire.score,
            coverage: wire.coverage,
            rules,
        })
    }
}

/// The best grade a device with an open high finding can have: a drone with an unsigned
/// firmware image or a link that crosses the internet is not "good" (A, B), however clean
/// the rest of its evidence (docs/scoring.md).
pub const HIGH_FINDING_CAP: Grade = Grade::C;

/// Whether a grade over `coverage` percent of the rules in force is provisional under a
/// threshold (`[scoring] provisional_below`): it rests on too little evidence to rank by.
pub fn is_provisional(grade: Grade, coverage: f64, threshold: f64) -> bool {
    grade != Grade::NotAssessed && coverage < threshold
}

/// Letter grade of a device or fleet.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
pub enum Grade {
    A,
    B,
    C,
    D,
    F,
    /// Nothing could be assessed.
    #[serde(rename = "n/a")]
    NotAssessed,
}

impl Grade {
    /// The grade of a score, capped by the worst open (not waived) finding: any critical
    /// finding makes it F, any high finding makes it at best C (docs/scoring.md).
    pub fn from_score(score: Option<f64>, worst_finding: Option<Severity>) -> Grade {
        let Some(score) = score else {
            return Grade::NotAssessed;
        };
        let by_score = match score {
            s if s >= 90.0 => Grade::A,
            s if s >= 80.0 => Grade::B,
            s if s >= 70.0 => Grade::C,
            s if s >= 60.0 => Grade::D,
            _ => Grade::F,
        };
        let cap = match worst_finding {
            Some(Severity::Critical) => Grade::F,
            Some(Severity::High) => HIGH_FINDING_CAP,
            _ => Grade::A,
        };
        by_score.max(cap)
    }

    pub fn label(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
            Grade::F => "F",
            Grade::NotAssessed => "n/a",
        }
    }
}

/// Weighted pass rate and coverage of a set of rule results.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tally {
    pub score: Option<f64>,
    pub coverage: f64,
}

/// A device's tally and grade: the rules of the controls that count in scores
/// ([`Control::in_score`]), and the worst severity among its open findings of those controls
/// (`(control, severity)` of each finding not waived).
pub fn device_tally(
    controls: &[ControlResult],
    open_findings: impl IntoIterator<Item = (Control, Severity)>,
) -> (Tally, Grade) {
    let tally = tally(
        controls
            .iter()
            .filter(|control| control.control.in_score())
            .flat_map(|control| &control.rules),
    );
    let worst_open = open_findings
        .into_iter()
        .filter(|(control, _)| control.in_score())
        .map(|(_, severity)| severity)
        .max();
    (tally, Grade::from_score(tally.score, worst_open))
}

pub fn tally<'a>(results: impl IntoIterator<Item = &'a RuleResult>) -> Tally {
    let (mut in_force, mut assessed, mut weight_assessed, mut weight_passed) =
        (0u32, 0u32, 0u32, 0u32);
    for result in results {
        in_force += 1;
        if result.status == RuleStatus::NotAssessed {
            continue;
        }
        assessed += 1;
        weight_assessed += result.severity.weight();
        if matches!(result.status, RuleStatus::Passed | RuleStatus::Waived) {
            weight_passed += result.severity.weight();
        }
    }
    let score = match (assessed, weight_assessed) {
        (0, _) => None,
        (_, 0) => Some(100.0),
        _ => Some(round(
            100.0 * f64::from(weight_passed) / f64::from(weight_assessed),
        )),
    };
    let coverage = if in_force == 0 {
        0.0
    } else {
        round(100.0 * f64::from(assessed) / f64::from(in_force))
    };
    Tally { score, coverage }
}

/// A control's verdict from its rule results: failed if any rule failed; otherwise passed if
/// any was assessed (passed or waived) and none is left unassessed by a damaged artifact (a
/// control fails closed: it does not pass on the part of the evidence that could be read);
/// otherwise not assessed.
pub fn control_status<'a>(results: impl IntoIterator<Item = &'a RuleResult>) -> ControlStatus {
    let mut assessed = false;
    let mut damaged = false;
    for result in results {
        match result.status {
            RuleStatus::Failed => return ControlStatus::Fail,
            RuleStatus::Passed | RuleStatus::Waived => assessed = true,
            RuleStatus::NotAssessed => {
                damaged |= matches!(result.reason, Some(NotAssessed::DamagedEvidence(_)));
            }
        }
    }
    if assessed && !damaged {
        ControlStatus::Pass
    } else {
        ControlStatus::NotAssessed
    }
}

/// Groups a device's rule results by control and scores each control.
pub fn score_controls(results: Vec<(Control, RuleResult)>) -> Vec<ControlResult> {
    let mut by_control: BTreeMap<Control, Vec<RuleResult>> = Control::ALL
        .iter()
        .map(|control| (*control, Vec::new()))
        .collect();
    for (control, result) in results {
        by_control.entry(control).or_default().push(result);
    }
    by_control
        .into_iter()
        .map(|(control, mut rules)| {
            rules.sort_by(|a, b| a.rule.cmp(&b.rule));
            let Tally { score, coverage } = tally(&rules);
            let status = control_status(&rules);
            ControlResult {
                control,
                status,
                score,
                coverage,
                rules,
            }
        })
        .collect()
}

/// Rounds to one decimal, so reports stay readable and stable.
pub fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_back_as_the_variant_they_were_written_from() {
        let reasons = [
            NotAssessed::no_artifact(&["profile", "capture"]),
            NotAssessed::requires_unmatched("$.apps[*]"),
            NotAssessed::NoEvidence,
            NotAssessed::damaged_evidence(&["a/x.ulg", "a/y.ulg"]),
        ];
        assert_eq!(reasons[0].as_str(), "no profile or capture artifact");
        assert_eq!(
            reasons[3].as_str(),
            "could not analyze all of a/x.ulg, a/y.ulg"
        );
        for reason in reasons {
            let text = serde_json::to_string(&reason).unwrap();
            assert_eq!(serde_json::from_str::<NotAssessed>(&text).unwrap(), reason);
        }
        assert!(serde_json::from_str::<NotAssessed>("\"because\"").is_err());
    }

    #[test]
    fn a_control_with_damaged_evidence_does_not_pass() {
        let passed = result("A-1", Severity::High, RuleStatus::Passed);
        let mut damaged = result("A-2", Severity::Low, RuleStatus::NotAssessed);
        damaged.reason = Some(NotAssessed::damaged_evidence(&["x.pcap"]));
        let mut absent = result("A-3", Severity::Low, RuleStatus::NotAssessed);
        absent.reason = Some(NotAssessed::no_artifact(&["capture"]));
        assert_eq!(control_status([&passed, &absent]), ControlStatus::Pass);
        assert_eq!(
            control_status([&passed, &absent, &damaged]),
            ControlStatus::NotAssessed
        );
    }

    fn result(rule: &str, severity: Severity, status: RuleStatus) -> RuleResult {
        RuleResult {
            rule: rule.into(),
            severity,
            status,
            findings: usize::from(status == RuleStatus::Failed),
            reason: None,
        }
    }

    #[test]
    fn score_is_the_severity_weighted_pass_rate() {
        let results = [
            result("A", Severity::High, RuleStatus::Passed),
            result("B", Severity::Medium, RuleStatus::Failed),
            result("C", Severity::Low, RuleStatus::Waived),
            result("D", Severity::Critical, RuleStatus::NotAssessed),
        ];
        let tally = tally(&results);
        // (6 + 1) / (6 + 3 + 1) = 70 %; 3 of 4 rules assessed.
        assert_eq!(tally.score, Some(70.0));
        assert_eq!(tally.coverage, 75.0);
    }

    #[test]
    fn nothing_assessed_is_no_score_not_a_pass() {
        let results = [result("A", Severity::High, RuleStatus::NotAssessed)];
        assert_eq!(tally(&results).score, None);
        let controls = score_controls(vec![(Control::Updates, results[0].clone())]);
        assert!(controls
            .iter()
            .all(|control| control.status == ControlStatus::NotAssessed));
        assert_eq!(controls.len(), 6, "every control is reported");
    }

    #[test]
    fn critical_findings_cap_the_grade() {
        assert_eq!(Grade::from_score(Some(95.0), None), Grade::A);
        assert_eq!(
            Grade::from_score(Some(95.0), Some(Severity::Critical)),
            Grade::F
        );
        assert_eq!(Grade::from_score(Some(61.0), None), Grade::D);
        assert_eq!(
            Grade::from_score(None, Some(Severity::Critical)),
            Grade::NotAssessed
        );
    }

    #[test]
    fn high_findings_cap_the_grade_at_c() {
        assert_eq!(
            Grade::from_score(Some(95.0), Some(Severity::High)),
            Grade::C
        );
        assert_eq!(
            Grade::from_score(Some(85.0), Some(Severity::High)),
            Grade::C
        );
        assert_eq!(
            Grade::from_score(Some(65.0), Some(Severity::High)),
            Grade::D
        );
        assert_eq!(
            Grade::from_score(Some(95.0), Some(Severity::Medium)),
            Grade::A
        );
    }

    #[test]
    fn a_grade_over_little_coverage_is_provisional() {
        assert!(is_provisional(Grade::A, 28.0, 50.0));
        assert!(!is_provisional(Grade::A, 50.0, 50.0));
        assert!(!is_provisional(Grade::NotAssessed, 0.0, 50.0));
    }
}
