//! JUnit XML report, for CI dashboards that chart test results.
//!
//! A fleet of up to [`crate::report::html_board::DETAILED_DEVICES`] devices gets a
//! `<testsuite>` per device and a `<testcase>` per rule on it (one per artifact the rule has
//! findings on, otherwise one for the device). A failed rule is a `<failure>` quoting its
//! findings and fixes; a waived or not-assessed rule is `<skipped>` with the reason; an
//! artifact that could not be read is an `<error>`.
//!
//! A larger fleet gets a test case per rule for the whole fleet instead ([`fleet`]): a case per
//! rule and device made about 100 MB of XML for 10,000 devices. It fails exactly when the
//! per-device layout would (some device has an open finding), and states what it leaves out.
//!
//! The suites are first built as plain values ([`Suite`], [`Case`]) and counted from those, so
//! the `tests`, `failures`, `skipped` and `errors` attributes always agree with the cases
//! written. Text is checked against XML 1.0's character range before quick-xml escapes it.

use crate::report::{ArtifactRecord, DeviceReport, Finding, Renderer, Report};
use crate::score::{RuleResult, RuleStatus};
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io;

pub mod fleet;
mod frameworks;

/// The suite that holds unreadable artifacts that belong to no known device.
const NO_DEVICE_SUITE: &str = "no-device";

pub struct JunitRenderer;

impl Renderer for JunitRenderer {
    fn render(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
        let mut suites = if crate::report::html_board::is_large(report) {
            fleet::suites(report)
        } else {
            suites(report)
        };
        suites.extend(frameworks::suites(report));
        let policy = format!("Policy {}", report.policy.summary());
        write_suites(&report.tool.name, &policy, &suites, out)
    }
}

/// One device's test suite.
#[derive(Debug)]
struct Suite {
    name: String,
    properties: Vec<(&'static str, String)>,
    cases: Vec<Case>,
}

/// One rule on one artifact (or on the device), or one unreadable artifact.
#[derive(Debug)]
struct Case {
    classname: String,
    name: String,
    verdict: Verdict,
}

#[derive(Debug)]
enum Verdict {
    Passed,
    Failed {
        message: String,
        severity: &'static str,
        details: String,
    },
    Skipped {
        message: String,
    },
    Error {
        message: String,
    },
}

/// `tests`, `failures`, `skipped`, `errors` of a set of cases.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    tests: usize,
    failures: usize,
    skipped: usize,
    errors: usize,
}

impl Counts {
    fn of(cases: &[Case]) -> Counts {
        let mut counts = Counts {
            tests: cases.len(),
            ..Counts::default()
        };
        for case in cases {
            match case.verdict {
                Verdict::Passed => {}
                Verdict::Failed { .. } => counts.failures += 1,
                Verdict::Skipped { .. } => counts.skipped += 1,
                Verdict::Error { .. } => counts.errors += 1,
            }
        }
        counts
    }

    fn add(self, other: Counts) -> Counts {
        Counts {
            tests: self.tests + other.tests,
            failures: self.failures + other.failures,
            skipped: self.skipped + other.skipped,
            errors: self.errors + other.errors,
        }
    }

    fn attributes(self) -> [(&'static str, String); 4] {
        [
            ("tests", self.tests.to_string()),
            ("failures", self.failures.to_string()),
            ("errors", self.errors.to_string()),
            ("skipped", self.skipped.to_string()),
        ]
    }
}

/// Findings of one rule on one device, by artifact path.
type FindingsByArtifact<'a> = BTreeMap<&'a str, Vec<&'a Finding>>;

fn suites(report: &Report) -> Vec<Suite> {
    let mut findings: BTreeMap<(&str, &str), FindingsByArtifact> = BTreeMap::new();
    for finding in &report.findings {
        findings
            .entry((finding.device.as_str(), finding.rule.as_str()))
            .or_default()
            .entry(finding.artifact.as_str())
            .or_default()
            .push(finding);
    }
    let mut suites: Vec<Suite> = report
        .devices
        .iter()
        .map(|device| device_suite(report, device, &findings))
        .collect();
    let orphans: Vec<Case> = report
        .errors()
        .filter(|artifact| {
            artifact
                .device
                .as_deref()
                .is_none_or(|device| report.device(device).is_none())
        })
        .map(|artifact| unreadable_case(NO_DEVICE_SUITE, artifact))
        .collect();
    let mut orphans = orphans;
    orphans.extend(unjudged_cases(report, &findings));
    if !orphans.is_empty() {
        suites.push(Suite {
            name: NO_DEVICE_SUITE.to_owned(),
            properties: Vec::new(),
            cases: orphans,
        });
    }
    suites
}

/// Findings no device's rule results account for (a device or rule missing from a report
/// put together by hand or by another tool): a case each in the `no-device` suite, so that
/// they fail the run instead of vanishing.
fn unjudged_cases(
    report: &Report,
    findings: &BTreeMap<(&str, &str), FindingsByArtifact>,
) -> Vec<Case> {
    let judged: std::collections::HashSet<(&str, &str)> = report
        .devices
        .iter()
        .flat_map(|device| {
            device.controls.iter().flat_map(move |control| {
                control
                    .rules
                    .iter()
                    .map(move |rule| (device.info.id.as_str(), &*rule.rule))
            })
        })
        .collect();
    findings
        .iter()
        .filter(|(key, _)| !judged.contains(*key))
        .flat_map(|((device, rule), by_artifact)| {
            by_artifact.iter().map(move |(artifact, findings)| Case {
                classname: format!("{NO_DEVICE_SUITE}.{device}"),
                name: format!("{rule} {artifact}"),
                verdict: findings_verdict(findings),
            })
        })
        .collect()
}

fn device_suite(
    report: &Report,
    device: &DeviceReport,
    findings: &BTreeMap<(&str, &str), FindingsByArtifact>,
) -> Suite {
    let id = device.info.id.as_str();
    let mut cases = Vec::new();
    for control in &device.controls {
        let classname = format!("{id}.{}", control.control.id());
        for rule in &control.rules {
            match findings.get(&(id, &*rule.rule)) {
                Some(by_artifact) => {
                    for (artifact, findings) in by_artifact {
                        cases.push(Case {
                            classname: classname.clone(),
                            name: format!("{} {artifact}", rule.rule),
                            verdict: findings_verdict(findings),
                        });
                    }
                }
                None => cases.push(Case {
                    classname: classname.clone(),
                    name: format!("{} {id}", rule.rule),
                    verdict: rule_verdict(rule),
                }),
            }
        }
    }
    cases.extend(
        report
            .errors()
            .filter(|artifact| artifact.device.as_deref() == Some(id))
            .map(|artifact| unreadable_case(id, artifact)),
    );
    let mut properties = Vec::new();
    for (name, value) in [
        ("vendor", &device.info.vendor),
        ("model", &device.info.model),
        ("serial", &device.info.serial),
        ("unit", &device.info.unit),
    ] {
        if let Some(value) = value {
            properties.push((name, value.clone()));
        }
    }
    properties.push(("grade", device.grade.label().to_owned()));
    if let Some(score) = device.score {
        properties.push(("score", format!("{score:.1}")));
    }
    properties.push(("coverage", format!("{}%", device.coverage)));
    if report.policy.is_provisional(device.grade, device.coverage) {
        properties.push((
            "grade-provisional",
            format!(
                "coverage below {}% of the rules in force",
                report.policy.provisional_below
            ),
        ));
    }
    // Every suite says what the policy changed of the rules that judged it.
    properties.push(("policy", report.policy.summary()));
    if let Some(note) = super::supply_chain_note::text(report) {
        properties.push(("supply-chain", note.to_owned()));
    }
    Suite {
        name: id.to_owned(),
        properties,
        cases,
    }
}

/// The verdict of a rule that produced no findings in this report.
fn rule_verdict(rule: &RuleResult) -> Verdict {
    match rule.status {
        RuleStatus::Passed => Verdict::Passed,
        RuleStatus::NotAssessed => Verdict::Skipped {
            message: format!(
                "not assessed: {}",
                rule.reason.as_deref().unwrap_or("no evidence")
            ),
        },
        RuleStatus::Waived => Verdict::Skipped {
            message: "waived".to_owned(),
        },
        RuleStatus::Failed => Verdict::Failed {
            message: format!("{} findings", rule.findings),
            severity: rule.severity.id(),
            details: String::new(),
        },
    }
}

/// A rule's findings on one artifact: a failure unless a waiver covers every one of them.
fn findings_verdict(findings: &[&Finding]) -> Verdict {
    let (waived, open): (Vec<&Finding>, Vec<&Finding>) = findings
        .iter()
        .partition(|finding| finding.waived.is_some());
    if open.is_empty() {
        let mut reasons: Vec<String> = waived
            .iter()
            .filter_map(|finding| finding.waived.as_ref())
            .map(|waiver| format!("{} (until {})", waiver.reason, waiver.expires))
            .collect();
        reasons.dedup();
        return Verdict::Skipped {
            message: format!("waived: {}", reasons.join("; ")),
        };
    }
    let severity = open
        .iter()
        .map(|finding| finding.severity)
        .max()
        .map_or("", |severity| severity.id());
    let messages: Vec<&str> = open
        .iter()
        .map(|finding| finding.message.as_str())
        .collect();
    let mut details = format!("{}: {}\n", open[0].rule, open[0].title);
    for finding in &open {
        details.push_str(&format!(
            "{}: {}\n  fix: {}\n",
            finding.place(),
            finding.message,
            finding.remediation
        ));
    }
    for finding in &waived {
        if let Some(waiver) = &finding.waived {
            details.push_str(&format!(
                "{}: {} (waived until {}: {})\n",
                finding.place(),
                finding.message,
                waiver.expires,
                waiver.reason
            ));
        }
    }
    Verdict::Failed {
        message: messages.join("; "),
        severity,
        details,
    }
}

fn unreadable_case(suite: &str, artifact: &ArtifactRecord) -> Case {
    Case {
        classname: format!("{suite}.artifacts"),
        name: format!("read {}", artifact.path),
        verdict: Verdict::Error {
            message: format!(
                "could not be assessed: {}",
                artifact.reason.as_deref().unwrap_or("unknown error")
            ),
        },
    }
}

fn write_suites(
    tool: &str,
    policy: &str,
    suites: &[Suite],
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let mut writer = Writer::new_with_indent(out, b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    // The policy's line heads the file; "--" may not appear in an XML comment.
    let comment = format!(" {} ", attribute_text(policy).replace("--", "- -"));
    writer.write_event(Event::Comment(BytesText::from_escaped(comment)))?;
    let total = suites.iter().fold(Counts::default(), |total, suite| {
        total.add(Counts::of(&suite.cases))
    });
    let mut attributes = vec![("name", tool.to_owned())];
    attributes.extend(total.attributes());
    let mut element = writer.create_element("testsuites");
    for (name, value) in &attributes {
        element = element.with_attribute((*name, value.as_str()));
    }
    element.write_inner_content(|writer| {
        for suite in suites {
            write_suite(writer, suite)?;
        }
        Ok(())
    })?;
    writer.get_mut().write_all(b"\n")
}

fn write_suite<W: io::Write>(writer: &mut Writer<W>, suite: &Suite) -> io::Result<()> {
    let mut attributes = vec![("name", attribute_text(&suite.name).into_owned())];
    attributes.extend(Counts::of(&suite.cases).attributes());
    let mut element = writer.create_element("testsuite");
    for (name, value) in &attributes {
        element = element.with_attribute((*name, value.as_str()));
    }
    element.write_inner_content(|writer| {
        if !suite.properties.is_empty() {
            writer
                .create_element("properties")
                .write_inner_content(|writer| {
                    for (name, value) in &suite.properties {
                        writer
                            .create_element("property")
                            .with_attribute(("name", *name))
                            .with_attribute(("value", attribute_text(value).as_ref()))
                            .write_empty()?;
                    }
                    Ok(())
                })?;
        }
        for case in &suite.cases {
            write_case(writer, case)?;
        }
        Ok(())
    })?;
    Ok(())
}

fn write_case<W: io::Write>(writer: &mut Writer<W>, case: &Case) -> io::Result<()> {
    let element = writer
        .create_element("testcase")
        .with_attribute(("classname", attribute_text(&case.classname).as_ref()))
        .with_attribute(("name", attribute_text(&case.name).as_ref()));
    match &case.verdict {
        Verdict::Passed => {
            element.write_empty()?;
        }
        Verdict::Failed {
            message,
            severity,
            details,
        } => {
            element.write_inner_content(|writer| {
                writer
                    .create_element("failure")
                    .with_attribute(("message", attribute_text(message).as_ref()))
                    .with_attribute(("type", *severity))
                    .write_text_content(BytesText::new(&xml_text(details)))?;
                Ok(())
            })?;
        }
        Verdict::Skipped { message } => {
            element.write_inner_content(|writer| {
                writer
                    .create_element("skipped")
                    .with_attribute(("message", attribute_text(message).as_ref()))
                    .write_empty()?;
                Ok(())
            })?;
        }
        Verdict::Error { message } => {
            element.write_inner_content(|writer| {
                writer
                    .create_element("error")
                    .with_attribute(("message", attribute_text(message).as_ref()))
                    .with_attribute(("type", "unreadable-artifact"))
                    .write_empty()?;
                Ok(())
            })?;
        }
    }
    Ok(())
}

/// Whether XML 1.0 allows the character at all (its `Char` production).
fn is_xml_char(ch: char) -> bool {
    matches!(ch, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Text XML 1.0 can carry: characters it forbids (most C0 controls, U+FFFE, U+FFFF) become
/// U+FFFD, the replacement character.
fn xml_text(text: &str) -> Cow<'_, str> {
    if text.chars().all(is_xml_char) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|ch| if is_xml_char(ch) { ch } else { '\u{FFFD}' })
            .collect(),
    )
}

/// Attribute values on one line: parsers turn line breaks and tabs in attributes into spaces
/// anyway, so do it here where it is visible.
fn attribute_text(text: &str) -> Cow<'_, str> {
    let text = xml_text(text);
    if !text.contains(['\n', '\r', '\t']) {
        return text;
    }
    Cow::Owned(text.replace("\r\n", " ").replace(['\n', '\r', '\t'], " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_xml_forbids_are_replaced() {
        assert_eq!(xml_text("ok\tline\n"), "ok\tline\n");
        assert_eq!(
            xml_text("nul\0 bell\u{7} \u{FFFE}"),
            "nul\u{FFFD} bell\u{FFFD} \u{FFFD}"
        );
        assert_eq!(attribute_text("a\nb\r\nc\td"), "a b c d");
        assert_eq!(xml_text("Ünïcode ✈"), "Ünïcode ✈");
    }

    #[test]
    fn counts_follow_the_verdicts() {
        let case = |verdict| Case {
            classname: "d.c".to_owned(),
            name: "R d".to_owned(),
            verdict,
        };
        let cases = vec![
            case(Verdict::Passed),
            case(Verdict::Skipped {
                message: "waived".to_owned(),
            }),
            case(Verdict::Error {
                message: "broken".to_owned(),
            }),
            case(Verdict::Failed {
                message: "m".to_owned(),
                severity: "high",
                details: String::new(),
            }),
        ];
        assert_eq!(
            Counts::of(&cases),
            Counts {
                tests: 4,
                failures: 1,
                skipped: 1,
                errors: 1
            }
        );
    }
}
