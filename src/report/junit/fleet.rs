//! JUnit suites for a fleet larger than [`DETAILED_DEVICES`]: a test case per rule for the
//! whole fleet, not per rule and device. One case per rule, device and artifact made about
//! 100 MB of XML for 10,000 devices, which no CI viewer loads; this layout stays under 2 MB
//! there (bench/report-formats) and still fails exactly when the small layout would.
//!
//! - A suite `fleet` carries the fleet's grade, score, coverage, grade distribution and worst
//!   devices as properties, and the artifacts that could not be read as `<error>` cases (the
//!   first [`ERRORS_LISTED`] one each, the rest counted in one more).
//! - A suite `fleet.CONTROL` per control holds a case named by the rule's id for each rule:
//!   a `<failure>` when any device has an open finding of it (the body quotes the first
//!   [`FINDINGS_LISTED`] findings and states how many more on how many more devices), else
//!   passed when it passed on some device, else `<skipped>` (waived or not assessed
//!   everywhere).
//! - Beside a failed or passed case, `RULE not assessed` and `RULE waived` are `<skipped>`
//!   cases naming the devices the rule could not judge or was waived on (reasons and devices
//!   capped, the counts left out stated), so a pass never hides a device nobody looked at.
//!
//! Case names do not carry counts, so a CI tool that tracks a test from run to run (GitLab's
//! "newly failed" and "fixed") sees a rule go from passed to failed and back.

use super::{unreadable_case, Case, Suite, Verdict};
use crate::control::{Control, Severity};
use crate::report::html_board::{detailed_devices, DETAILED_DEVICES};
use crate::report::{DeviceReport, Finding, Report};
use crate::score::{Grade, RuleStatus};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Findings a failed rule's body quotes; the rest are counted.
pub const FINDINGS_LISTED: usize = 50;
/// Unreadable artifacts written as a case each; the rest are counted in one more.
pub const ERRORS_LISTED: usize = 100;
/// Distinct reasons a skipped case names, and devices it names per reason.
const REASONS_LISTED: usize = 5;
const DEVICES_LISTED: usize = 10;
/// Worst devices named in the fleet suite's properties.
const WORST_DEVICES_LISTED: usize = 10;

/// The name of the suite that holds the fleet's properties and unreadable artifacts.
const FLEET_SUITE: &str = "fleet";

/// What one rule did across the fleet, device by device.
struct RuleAcrossFleet<'a> {
    rule: &'a str,
    control: Control,
    severity: Severity,
    /// Devices with open findings, and those findings (empty when the report carries the
    /// rule's failure but not its findings).
    failed: Vec<(&'a str, Vec<&'a Finding>)>,
    /// Devices whose every finding of the rule is waived, with why.
    waived: Vec<(&'a str, String)>,
    passed: usize,
    /// Devices the rule could not be assessed on, by reason.
    not_assessed: BTreeMap<&'a str, Vec<&'a str>>,
}

/// The suites of a large fleet, in place of a suite per device.
pub(super) fn suites(report: &Report) -> Vec<Suite> {
    let rules = rules_across_fleet(&report.devices, &report.findings);
    let devices = report.devices.len();
    let mut suites = vec![fleet_suite(report)];
    // The controls in the order the devices list them (the six DHS axes, then the supply
    // chain, which Control::ALL leaves out).
    let mut controls: Vec<Control> = Vec::new();
    for rule in &rules {
        if !controls.contains(&rule.control) {
            controls.push(rule.control);
        }
    }
    for control in controls {
        let cases: Vec<Case> = rules
            .iter()
            .filter(|rule| rule.control == control)
            .flat_map(|rule| rule_cases(rule, devices))
            .collect();
        if !cases.is_empty() {
            suites.push(Suite {
                name: format!("{FLEET_SUITE}.{}", control.id()),
                properties: vec![("devices", devices.to_string())],
                cases,
            });
        }
    }
    suites
}

/// Every rule in force, in the order the devices' controls list them, with each device's
/// outcome.
fn rules_across_fleet<'a>(
    devices: &'a [DeviceReport],
    all_findings: &'a [Finding],
) -> Vec<RuleAcrossFleet<'a>> {
    let mut findings: HashMap<(&str, &str), Vec<&Finding>> = HashMap::new();
    for finding in all_findings {
        findings
            .entry((finding.device.as_str(), finding.rule.as_str()))
            .or_default()
            .push(finding);
    }
    let mut rules: Vec<RuleAcrossFleet> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut judged: HashSet<(&str, &str)> = HashSet::new();
    for device in devices {
        let id = device.info.id.as_str();
        for control in &device.controls {
            for result in &control.rules {
                let at = *index.entry(&result.rule).or_insert_with(|| {
                    rules.push(RuleAcrossFleet {
                        rule: &result.rule,
                        control: control.control,
                        severity: result.severity,
                        failed: Vec::new(),
                        waived: Vec::new(),
                        passed: 0,
                        not_assessed: BTreeMap::new(),
                    });
                    rules.len() - 1
                });
                let across = &mut rules[at];
                judged.insert((id, &*result.rule));
                let found = findings
                    .get(&(id, &*result.rule))
                    .map_or(&[][..], Vec::as_slice);
                let open: Vec<&Finding> = found
                    .iter()
                    .copied()
                    .filter(|finding| finding.waived.is_none())
                    .collect();
                if !open.is_empty() || (found.is_empty() && result.status == RuleStatus::Failed) {
                    across.failed.push((id, open));
                } else if !found.is_empty() || result.status == RuleStatus::Waived {
                    across.waived.push((id, waiver_reasons(found)));
                } else if result.status == RuleStatus::Passed {
                    across.passed += 1;
                } else {
                    across
                        .not_assessed
                        .entry(result.reason.as_deref().unwrap_or("no evidence"))
                        .or_default()
                        .push(id);
                }
            }
        }
    }
    // Findings no device's results account for (a device or rule missing from a report put
    // together by hand or by another tool) still fail or are waived: never dropped.
    let mut unjudged: Vec<(&(&str, &str), &Vec<&Finding>)> = findings
        .iter()
        .filter(|(key, _)| !judged.contains(*key))
        .collect();
    unjudged.sort_by_key(|(key, _)| **key);
    for ((device, rule), found) in unjudged {
        let at = *index.entry(rule).or_insert_with(|| {
            rules.push(RuleAcrossFleet {
                rule,
                control: found[0].control,
                severity: found[0].severity,
                failed: Vec::new(),
                waived: Vec::new(),
                passed: 0,
                not_assessed: BTreeMap::new(),
            });
            rules.len() - 1
        });
        let open: Vec<&Finding> = found
            .iter()
            .copied()
            .filter(|finding| finding.waived.is_none())
            .collect();
        if open.is_empty() {
            rules[at].waived.push((device, waiver_reasons(found)));
        } else {
            rules[at].failed.push((device, open));
        }
    }
    rules
}

fn waiver_reasons(findings: &[&Finding]) -> String {
    let mut reasons: Vec<String> = findings
        .iter()
        .filter_map(|finding| finding.waived.as_ref())
        .map(|waiver| format!("{} (until {})", waiver.reason, waiver.expires))
        .collect();
    reasons.sort();
    reasons.dedup();
    if reasons.is_empty() {
        "waived".to_owned()
    } else {
        reasons.join("; ")
    }
}

/// The rule's case, and beside a failed or passed one the devices it did not judge.
fn rule_cases(rule: &RuleAcrossFleet, devices: usize) -> Vec<Case> {
    let classname = format!("{FLEET_SUITE}.{}", rule.control.id());
    let case = |name: String, verdict: Verdict| Case {
        classname: classname.clone(),
        name,
        verdict,
    };
    let mut cases = Vec::new();
    if !rule.failed.is_empty() {
        cases.push(case(rule.rule.to_owned(), failed_verdict(rule, devices)));
    } else if rule.passed > 0 {
        cases.push(case(rule.rule.to_owned(), Verdict::Passed));
    } else {
        // Judged nowhere: one skipped case says why, for every device.
        let mut why = Vec::new();
        if !rule.waived.is_empty() {
            why.push(waived_text(rule, devices));
        }
        if !rule.not_assessed.is_empty() {
            why.push(not_assessed_text(rule, devices));
        }
        cases.push(case(
            rule.rule.to_owned(),
            Verdict::Skipped {
                message: why.join("; "),
            },
        ));
        return cases;
    }
    if !rule.not_assessed.is_empty() {
        cases.push(case(
            format!("{} not assessed", rule.rule),
            Verdict::Skipped {
                message: not_assessed_text(rule, devices),
            },
        ));
    }
    if !rule.waived.is_empty() {
        cases.push(case(
            format!("{} waived", rule.rule),
            Verdict::Skipped {
                message: waived_text(rule, devices),
            },
        ));
    }
    cases
}

/// `not assessed on 40 of 60 devices: REASON (30 devices: a, b, … and 20 more); …`
fn not_assessed_text(rule: &RuleAcrossFleet, devices: usize) -> String {
    let count: usize = rule.not_assessed.values().map(Vec::len).sum();
    let mut reasons: Vec<(&&str, &Vec<&str>)> = rule.not_assessed.iter().collect();
    // The reasons that cover most devices first; equal ones in the reasons' order.
    reasons.sort_by_key(|(_, ids)| std::cmp::Reverse(ids.len()));
    let mut parts: Vec<String> = reasons
        .iter()
        .take(REASONS_LISTED)
        .map(|(reason, ids)| format!("{reason} ({})", devices_text(ids, devices)))
        .collect();
    if reasons.len() > REASONS_LISTED {
        let rest: usize = reasons[REASONS_LISTED..]
            .iter()
            .map(|(_, ids)| ids.len())
            .sum();
        parts.push(format!(
            "{} other reasons on {rest} devices",
            reasons.len() - REASONS_LISTED
        ));
    }
    format!(
        "not assessed on {count} of {devices} devices: {}",
        parts.join("; ")
    )
}

/// `waived on 3 of 60 devices: REASON (until DATE) (3 devices: a, b, c)`
fn waived_text(rule: &RuleAcrossFleet, devices: usize) -> String {
    let mut by_reason: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (device, reason) in &rule.waived {
        by_reason.entry(reason).or_default().push(device);
    }
    let parts: Vec<String> = by_reason
        .iter()
        .take(REASONS_LISTED)
        .map(|(reason, ids)| format!("{reason} ({})", devices_text(ids, devices)))
        .collect();
    let mut text = format!(
        "waived on {} of {devices} devices: {}",
        rule.waived.len(),
        parts.join("; ")
    );
    if by_reason.len() > REASONS_LISTED {
        text.push_str(&format!(
            "; {} other waivers",
            by_reason.len() - REASONS_LISTED
        ));
    }
    text
}

/// `3 devices: a, b, c`, or the first [`DEVICES_LISTED`] and `… and N more`; `all 60
/// devices` when they are the whole fleet.
fn devices_text(ids: &[&str], devices: usize) -> String {
    if ids.len() == devices {
        return format!("all {devices} devices");
    }
    let listed: Vec<&str> = ids.iter().copied().take(DEVICES_LISTED).collect();
    let more = ids.len().saturating_sub(DEVICES_LISTED);
    let noun = if ids.len() == 1 { "device" } else { "devices" };
    let mut text = format!("{} {noun}: {}", ids.len(), listed.join(", "));
    if more > 0 {
        text.push_str(&format!(" … and {more} more"));
    }
    text
}

/// The failure of a rule with open findings somewhere: the message counts them, the body
/// quotes the first [`FINDINGS_LISTED`] with the fix and states what it leaves out.
fn failed_verdict(rule: &RuleAcrossFleet, devices: usize) -> Verdict {
    let open: Vec<&Finding> = rule
        .failed
        .iter()
        .flat_map(|(_, findings)| findings.iter().copied())
        .collect();
    let severity = open
        .iter()
        .map(|finding| finding.severity)
        .max()
        .unwrap_or(rule.severity);
    let failing = rule.failed.len();
    let message = format!(
        "{} open findings on {failing} of {devices} devices",
        open.len()
    );
    let mut details = match open.first() {
        Some(first) => format!(
            "{}: {}\nfix: {}\n",
            first.rule, first.title, first.remediation
        ),
        None => format!("{}\n", rule.rule),
    };
    let not_assessed: usize = rule.not_assessed.values().map(Vec::len).sum();
    details.push_str(&format!(
        "failed on {failing} devices, passed on {}, waived on {}, not assessed on {not_assessed} (of {devices})\n",
        rule.passed,
        rule.waived.len()
    ));
    for finding in open.iter().take(FINDINGS_LISTED) {
        details.push_str(&format!(
            "{}: {}: {}\n",
            finding.device,
            finding.place(),
            finding.message
        ));
    }
    let listed_devices: HashSet<&str> = open
        .iter()
        .take(FINDINGS_LISTED)
        .map(|finding| finding.device.as_str())
        .collect();
    let unlisted_findings = open.len().saturating_sub(FINDINGS_LISTED);
    let unlisted_devices = rule
        .failed
        .iter()
        .filter(|(device, _)| !listed_devices.contains(device))
        .count();
    if unlisted_findings > 0 || unlisted_devices > 0 {
        details.push_str(&format!(
            "… and {unlisted_findings} more findings on {unlisted_devices} more devices, not listed here: the JSON report (--format json) lists every finding\n"
        ));
    }
    Verdict::Failed {
        message,
        severity: severity.id(),
        details,
    }
}

/// The fleet's verdict as properties, and its unreadable artifacts as errors.
fn fleet_suite(report: &Report) -> Suite {
    let summary = &report.summary;
    let mut properties = vec![
        ("devices", summary.devices.to_string()),
        ("grade", summary.grade.label().to_owned()),
    ];
    if let Some(score) = summary.score {
        properties.push(("score", format!("{score:.1}")));
    }
    properties.push(("coverage", format!("{}%", summary.coverage)));
    if report
        .policy
        .is_provisional(summary.grade, summary.coverage)
    {
        properties.push((
            "grade-provisional",
            format!(
                "coverage below {}% of the rules in force",
                report.policy.provisional_below
            ),
        ));
    }
    properties.push(("grades", grade_distribution(report)));
    let worst: Vec<String> = detailed_devices(report)
        .iter()
        .take(WORST_DEVICES_LISTED)
        .map(|device| {
            let score = device
                .score
                .map_or_else(|| "n/a".to_owned(), |score| format!("{score:.1}"));
            format!(
                "{} {} {score} (coverage {}%)",
                device.info.id,
                crate::report::legend::grade_cell(&report.policy, device.grade, device.coverage),
                device.coverage
            )
        })
        .collect();
    properties.push(("worst-devices", worst.join(", ")));
    properties.push((
        "layout",
        format!(
            "over {DETAILED_DEVICES} devices: a test case per rule for the whole fleet; the JSON report has every device's results"
        ),
    ));
    properties.push(("policy", report.policy.summary()));
    if let Some(note) = super::super::supply_chain_note::text(report) {
        properties.push(("supply-chain", note.to_owned()));
    }
    Suite {
        name: FLEET_SUITE.to_owned(),
        properties,
        cases: unreadable_cases(report),
    }
}

/// `A 2000, C 2000, F 6000`: devices per grade, best first.
fn grade_distribution(report: &Report) -> String {
    let mut grades: BTreeMap<Grade, usize> = BTreeMap::new();
    for device in &report.devices {
        *grades.entry(device.grade).or_default() += 1;
    }
    grades
        .iter()
        .map(|(grade, count)| format!("{} {count}", grade.label()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An error case for each of the first [`ERRORS_LISTED`] unreadable artifacts, and one for
/// the rest with their count: the run's errors never read as zero.
fn unreadable_cases(report: &Report) -> Vec<Case> {
    let known: HashSet<&str> = report
        .devices
        .iter()
        .map(|device| device.info.id.as_str())
        .collect();
    let errors: Vec<_> = report.errors().collect();
    let mut cases: Vec<Case> = errors
        .iter()
        .take(ERRORS_LISTED)
        .map(|artifact| {
            let suite = artifact
                .device
                .as_deref()
                .filter(|device| known.contains(device))
                .unwrap_or(super::NO_DEVICE_SUITE);
            unreadable_case(suite, artifact)
        })
        .collect();
    let rest = errors.len().saturating_sub(ERRORS_LISTED);
    if rest > 0 {
        cases.push(Case {
            classname: format!("{FLEET_SUITE}.artifacts"),
            name: format!("read {rest} more artifacts"),
            verdict: Verdict::Error {
                message: format!(
                    "{rest} more artifacts could not be assessed, not listed here: the JSON report (--format json) lists each with its reason"
                ),
            },
        });
    }
    cases
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finding_no_device_result_accounts_for_still_fails() {
        let finding: Finding = serde_json::from_value(serde_json::json!({
            "rule": "SSH-001",
            "title": "Root login",
            "control": "authentication",
            "severity": "high",
            "device": "ghost",
            "artifact": "ghost/sshd_config",
            "location": { "evidence_path": "$" },
            "message": "root may log in",
            "remediation": "PermitRootLogin no",
            "subject": "",
            "fingerprint": ""
        }))
        .expect("a finding");
        let findings = [finding];
        let rules = rules_across_fleet(&[], &findings);
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].failed.len(), 1);
        let cases = rule_cases(&rules[0], 0);
        assert!(matches!(cases[0].verdict, Verdict::Failed { .. }));
    }
}
