//! The JSON, SARIF, JUnit, Markdown and HTML renderers, on the sample fleet's report and on small
//! reports built from it for the edge cases: no findings, a waived finding, an unreadable
//! artifact, and text that needs escaping (`<script>`, `&`, quotes, `|`, backticks, control
//! characters, non-ASCII). External checkers (the official SARIF schema, Python's junitparser,
//! headless Chromium) run when they are installed and are skipped with a message otherwise.

use drone_audit::report::fingerprint::scan_relative;
use drone_audit::report::html::HtmlRenderer;
use drone_audit::report::json::JsonRenderer;
use drone_audit::report::junit::JunitRenderer;
use drone_audit::report::markdown::{MarkdownRenderer, GITHUB_COMMENT_LIMIT};
use drone_audit::report::sarif::SarifRenderer;
use drone_audit::report::{ArtifactStatus, BaselineUsed, Finding, Renderer, Report, Waived};
use drone_audit::scan::{scan, ScanOptions};
use drone_audit::score::{ControlStatus, RuleStatus};
use drone_audit::shard::{Part, Partial, Shard};
use quick_xml::events::Event;
use quick_xml::XmlVersion;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

mod common;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The sample fleet's report (scanned once per test run).
fn sample_report() -> Report {
    static SAMPLE: OnceLock<Report> = OnceLock::new();
    SAMPLE.get_or_init(scan_samples).clone()
}

/// Scans the sample fleet; paths are made relative to the crate root, as a CI checkout has them.
fn scan_samples() -> Report {
    let root = manifest_dir();
    let mut report = scan(&ScanOptions {
        paths: vec![root.join("samples")],
        ..Default::default()
    })
    .expect("the sample fleet scans");
    let prefix = format!("{}/", root.to_string_lossy().replace('\\', "/"));
    let relative = |text: &mut String| *text = text.replace(&prefix, "");
    for artifact in &mut report.artifacts {
        relative(&mut artifact.path);
    }
    for finding in &mut report.findings {
        relative(&mut finding.artifact);
    }
    for root in &mut report.scan_roots {
        *root = root
            .trim_end_matches('/')
            .replace(prefix.trim_end_matches('/'), "");
        *root = root.trim_start_matches('/').to_owned();
    }
    if let Some(source) = &mut report.policy.source {
        relative(source);
    }
    for device in &mut report.devices {
        for rule in device
            .controls
            .iter_mut()
            .flat_map(|control| &mut control.rules)
        {
            if let Some(reason) = &mut rule.reason {
                *reason = drone_audit::score::NotAssessed::parse(&reason.replace(&prefix, ""))
                    .expect("a reason the report writes");
            }
        }
    }
    report
}

const HOSTILE_DEVICE: &str = "anafi|thermal <α> & \"β\" `x`";
const HOSTILE_MESSAGE: &str =
    "<script>alert('x')</script> & \"quotes\" | `tick` ** _em_ — Ünïcode ✈ \u{1}bell\u{7} \u{FFFE}";
const WAIVER_REASON: &str = "Accepted <until> the refit & \"retest\"";
const UNREADABLE_PATH: &str = "samples/anafi thermal/flight <1> & 'log'.bin";
const UNREADABLE_REASON: &str = "truncated & corrupt <header>";

/// One device of the sample fleet, renamed to a hostile id, with three kinds of finding (a
/// hostile message, a waived one, one located by packet and offset rather than line) and an
/// artifact that could not be read.
fn edge_case_report() -> Report {
    let mut report = sample_report();
    let original = report.devices[0].info.id.clone();
    report.devices.truncate(1);
    report.devices[0].info.id = HOSTILE_DEVICE.to_owned();
    report.findings.retain(|finding| finding.device == original);
    report
        .artifacts
        .retain(|artifact| artifact.device.as_deref() == Some(original.as_str()));
    for finding in &mut report.findings {
        finding.device = HOSTILE_DEVICE.to_owned();
    }
    for artifact in &mut report.artifacts {
        artifact.device = Some(HOSTILE_DEVICE.to_owned());
    }
    let rules: Vec<String> = report
        .findings
        .iter()
        .map(|finding| finding.rule.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(
        rules.len() >= 3,
        "the first sample device fails several rules"
    );
    let first_of = |report: &mut Report, rule: &str| -> usize {
        report
            .findings
            .iter()
            .position(|finding| finding.rule == rule)
            .expect("the rule has a finding")
    };
    let hostile = first_of(&mut report, &rules[0]);
    report.findings[hostile].message = HOSTILE_MESSAGE.to_owned();
    let waived_rule = rules[1].clone();
    for finding in report
        .findings
        .iter_mut()
        .filter(|finding| finding.rule == waived_rule)
    {
        finding.waived = Some(Waived {
            reason: WAIVER_REASON.to_owned(),
            expires: "2099-12-31".to_owned(),
        });
    }
    let by_packet = first_of(&mut report, &rules[2]);
    report.findings[by_packet].location.line = None;
    report.findings[by_packet].location.packet = Some(42);
    report.findings[by_packet].location.offset = Some(0x1a2);

    let mut unreadable = report.artifacts[0].clone();
    unreadable.path = UNREADABLE_PATH.to_owned();
    unreadable.kind = None;
    unreadable.sha256 = None;
    unreadable.status = ArtifactStatus::Error;
    unreadable.reason = Some(UNREADABLE_REASON.to_owned());
    report.artifacts.push(unreadable);
    report.summary.incomplete = true;
    report.summary.devices = 1;
    report
}

/// The sample fleet as if every rule it fails had passed.
fn clean_report() -> Report {
    let mut report = sample_report();
    report.findings.clear();
    for control in report
        .devices
        .iter_mut()
        .flat_map(|device| &mut device.controls)
    {
        if control.status == ControlStatus::Fail {
            control.status = ControlStatus::Pass;
        }
        for rule in &mut control.rules {
            if rule.status == RuleStatus::Failed {
                rule.status = RuleStatus::Passed;
                rule.findings = 0;
            }
        }
    }
    for count in report.summary.findings.values_mut() {
        *count = 0;
    }
    report
}

fn render(renderer: &dyn Renderer, report: &Report) -> String {
    let mut out = Vec::new();
    renderer
        .render(report, &mut out)
        .expect("rendering succeeds");
    String::from_utf8(out).expect("renderers write UTF-8")
}

fn renderers() -> Vec<(&'static str, Box<dyn Renderer>)> {
    vec![
        ("sarif", Box::new(SarifRenderer::default())),
        ("junit", Box::new(JunitRenderer)),
        ("markdown", Box::new(MarkdownRenderer)),
        ("html", Box::new(HtmlRenderer)),
    ]
}

#[test]
fn every_format_is_deterministic() {
    let (first, second) = (scan_samples(), scan_samples());
    for (name, renderer) in renderers() {
        assert_eq!(
            render(renderer.as_ref(), &first),
            render(renderer.as_ref(), &second),
            "{name} output differs between two scans of the same fleet"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// JSON

#[test]
fn json_is_serde_jsons_serialisation_of_the_whole_report() {
    // The renderer writes the lists itself, in parallel: the text must not differ from
    // serialising the report in one go, with every optional field absent or present.
    let mut every_field = sample_report();
    every_field.baseline = Some(BaselineUsed {
        source: "baseline.json".to_owned(),
        known_findings: 3,
    });
    every_field.warnings = vec!["waiver w1 matched no finding".to_owned()];
    every_field.shard = Some(Part {
        shard: Shard::new(2, 3).unwrap(),
        inputs: "ab".repeat(32),
    });
    every_field.partial = Some(Partial {
        missing_shards: vec![3],
    });
    assert!(
        every_field.findings.len() > 64,
        "the findings span several runs of the renderer"
    );
    for report in [sample_report(), edge_case_report(), every_field] {
        let text = render(&JsonRenderer, &report);
        assert_eq!(text, serde_json::to_string(&report).unwrap() + "\n");
        let read_back: Report = serde_json::from_str(&text).expect("the report reads back");
        assert_eq!(serde_json::to_string(&read_back).unwrap() + "\n", text);
        common::assert_valid_report(&serde_json::from_str(&text).expect("JSON"));
    }
}

// ---------------------------------------------------------------------------------------------
// SARIF

fn sarif(report: &Report) -> Value {
    serde_json::from_str(&render(&SarifRenderer::default(), report)).expect("SARIF is JSON")
}

#[test]
fn sarif_matches_the_official_schema() {
    let Some(schema_path) = common::shared("schemas/sarif-schema-2.1.0.json") else {
        return;
    };
    let schema_text = std::fs::read_to_string(&schema_path).expect("the SARIF schema reads");
    let schema: Value = serde_json::from_str(&schema_text).expect("the schema is JSON");
    let validator = jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    for (name, report) in [
        ("sample", sample_report()),
        ("edge case", edge_case_report()),
        ("clean", clean_report()),
    ] {
        let log = sarif(&report);
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|error| format!("{} at {}", error, error.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{name} SARIF breaks the schema:\n{}",
            errors.join("\n")
        );
    }
    // The validator is live: a level SARIF does not know is caught.
    let mut broken = sarif(&sample_report());
    broken["runs"][0]["results"][0]["level"] = Value::from("severe");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn sarif_describes_every_rule_and_finding() {
    let report = sample_report();
    let log = sarif(&report);
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"]
        .as_str()
        .is_some_and(|uri| uri.ends_with("sarif-schema-2.1.0.json")));
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "drone-audit");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));

    let rules = driver["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), report.rules.catalogue.len());
    for (rule, info) in rules.iter().zip(&report.rules.catalogue) {
        assert_eq!(rule["id"], info.id.as_str());
        assert_eq!(rule["name"], info.name.as_str());
        assert_eq!(rule["shortDescription"]["text"], info.title.as_str());
        assert_eq!(rule["fullDescription"]["text"], info.rationale.as_str());
        let help = rule["help"]["text"].as_str().expect("help text");
        // Plain text: the backticks that mark code in Markdown are gone.
        assert!(help.contains(&info.remediation.replace('`', "")));
        assert!(info
            .references
            .iter()
            .all(|reference| help.contains(reference.as_str())));
        assert!(rule["help"]["markdown"]
            .as_str()
            .is_some_and(|text| text.contains("**Remediation:**")));
        let (level, score) = match info.severity.id() {
            "critical" => ("error", "9.5"),
            "high" => ("error", "8.0"),
            "medium" => ("warning", "5.5"),
            "low" => ("note", "3.0"),
            _ => ("note", "0.0"),
        };
        assert_eq!(rule["defaultConfiguration"]["level"], level);
        assert_eq!(rule["properties"]["security-severity"], score);
        let tags = rule["properties"]["tags"].as_array().expect("tags");
        assert_eq!(tags[0], "security");
        assert_eq!(tags[1], info.control.id());
    }

    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), report.findings.len());
    for (result, finding) in results.iter().zip(&report.findings) {
        assert_eq!(result["ruleId"], finding.rule.as_str());
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], finding.rule.as_str());
        assert!(result["message"]["text"]
            .as_str()
            .is_some_and(|text| text.starts_with(finding.message.as_str())));
        let location = &result["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().expect("uri");
        // DJI names flight records `..._[HH-MM-SS].txt`: brackets are percent-encoded in URIs.
        assert_eq!(
            uri.replace("%5B", "[").replace("%5D", "]"),
            scan_relative(&finding.artifact, &report.scan_roots),
            "the artifact's path under the scan root, percent-encoded"
        );
        assert!(!uri.starts_with('/') && !uri.contains('\\'));
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(
            location["region"]["startLine"].as_u64(),
            Some(finding.location.line.map_or(1, u64::from)),
            "the finding's line, or the first"
        );
        assert_eq!(
            result["partialFingerprints"]["droneAudit/v2"],
            finding.fingerprint.as_str()
        );
        assert!(result.get("suppressions").is_none());
    }
    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], true);
    assert!(invocation.get("toolExecutionNotifications").is_none());
    let artifacts = run["artifacts"].as_array().expect("artifacts");
    assert_eq!(artifacts.len(), report.artifacts.len());
    assert!(artifacts
        .iter()
        .zip(&report.artifacts)
        .all(
            |(artifact, record)| artifact["hashes"]["sha-256"].as_str() == record.sha256.as_deref()
        ));
}

#[test]
fn sarif_carries_waivers_unreadable_artifacts_and_packet_locations() {
    let report = edge_case_report();
    let log = sarif(&report);
    let run = &log["runs"][0];
    let results = run["results"].as_array().expect("results");
    for (result, finding) in results.iter().zip(&report.findings) {
        match &finding.waived {
            Some(waived) => {
                assert_eq!(result["suppressions"][0]["kind"], "external");
                assert_eq!(
                    result["suppressions"][0]["justification"],
                    waived.reason.as_str()
                );
            }
            None => assert!(result.get("suppressions").is_none()),
        }
    }
    assert!(results
        .iter()
        .any(|result| result["suppressions"][0]["justification"] == WAIVER_REASON));
    assert!(results
        .iter()
        .any(|result| result["message"]["text"] == HOSTILE_MESSAGE));

    let by_packet = results
        .iter()
        .find(|result| {
            result["message"]["text"]
                .as_str()
                .is_some_and(|text| text.contains("(packet 42, byte offset 0x1a2)"))
        })
        .expect("a result located by packet");
    assert_eq!(
        by_packet["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    assert_eq!(by_packet["properties"]["packet"], 42);

    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notifications = invocation["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    assert_eq!(notifications.len(), 1);
    assert_eq!(notifications[0]["level"], "error");
    let text = notifications[0]["message"]["text"].as_str().expect("text");
    assert!(text.contains(UNREADABLE_PATH) && text.contains(UNREADABLE_REASON));
    assert_eq!(
        notifications[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "anafi%20thermal/flight%20%3C1%3E%20%26%20%27log%27.bin"
    );
}

#[test]
fn sarif_of_a_clean_fleet_has_rules_and_no_results() {
    let log = sarif(&clean_report());
    assert_eq!(log["runs"][0]["results"].as_array().map(Vec::len), Some(0));
    assert!(log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .is_some_and(|rules| !rules.is_empty()));
}

// ---------------------------------------------------------------------------------------------
// JUnit

/// What a JUnit file says of one suite: the counts in its attributes and those of its cases.
#[derive(Debug, Default, PartialEq, Eq, Clone)]
struct SuiteCounts {
    tests: usize,
    failures: usize,
    skipped: usize,
    errors: usize,
}

#[derive(Debug, Default)]
struct ParsedJunit {
    declared_total: SuiteCounts,
    declared: BTreeMap<String, SuiteCounts>,
    counted: BTreeMap<String, SuiteCounts>,
    failure_types: BTreeSet<String>,
    skipped_messages: Vec<String>,
    error_messages: Vec<String>,
}

fn attribute(element: &quick_xml::events::BytesStart, name: &str) -> String {
    element
        .try_get_attribute(name)
        .expect("well-formed attributes")
        .unwrap_or_else(|| {
            panic!(
                "<{}> has no {name}",
                String::from_utf8_lossy(element.name().as_ref())
            )
        })
        .normalized_value(XmlVersion::Explicit1_0)
        .expect("the attribute unescapes")
        .into_owned()
}

fn declared_counts(element: &quick_xml::events::BytesStart) -> SuiteCounts {
    let number = |name: &str| attribute(element, name).parse().expect("a count");
    SuiteCounts {
        tests: number("tests"),
        failures: number("failures"),
        skipped: number("skipped"),
        errors: number("errors"),
    }
}

/// Reads a JUnit file back with quick-xml, checking it is well-formed on the way.
fn parse_junit(xml: &str) -> ParsedJunit {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut parsed = ParsedJunit::default();
    let mut suite = String::new();
    let mut depth = 0usize;
    loop {
        let event = reader.read_event().expect("well-formed XML");
        let (element, is_empty) = match &event {
            Event::Start(element) => (element, false),
            Event::Empty(element) => (element, true),
            Event::End(_) => {
                depth -= 1;
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        if !is_empty {
            depth += 1;
        }
        match element.name().as_ref() {
            b"testsuites" => parsed.declared_total = declared_counts(element),
            b"testsuite" => {
                suite = attribute(element, "name");
                parsed
                    .declared
                    .insert(suite.clone(), declared_counts(element));
                parsed.counted.insert(suite.clone(), SuiteCounts::default());
            }
            b"testcase" => {
                assert!(!attribute(element, "classname").is_empty());
                assert!(!attribute(element, "name").is_empty());
                parsed.counted.entry(suite.clone()).or_default().tests += 1;
            }
            b"failure" => {
                parsed.failure_types.insert(attribute(element, "type"));
                assert!(!attribute(element, "message").is_empty());
                parsed.counted.entry(suite.clone()).or_default().failures += 1;
            }
            b"skipped" => {
                parsed.skipped_messages.push(attribute(element, "message"));
                parsed.counted.entry(suite.clone()).or_default().skipped += 1;
            }
            b"error" => {
                parsed.error_messages.push(attribute(element, "message"));
                parsed.counted.entry(suite.clone()).or_default().errors += 1;
            }
            _ => {}
        }
    }
    assert_eq!(depth, 0, "every element is closed");
    parsed
}

fn total(counts: &BTreeMap<String, SuiteCounts>) -> SuiteCounts {
    counts
        .values()
        .fold(SuiteCounts::default(), |sum, suite| SuiteCounts {
            tests: sum.tests + suite.tests,
            failures: sum.failures + suite.failures,
            skipped: sum.skipped + suite.skipped,
            errors: sum.errors + suite.errors,
        })
}

/// (device, rule, artifact) triples with a finding no waiver covers: one failed case each.
fn open_groups(report: &Report) -> BTreeSet<(&str, &str, &str)> {
    report
        .findings
        .iter()
        .filter(|finding| finding.waived.is_none())
        .map(|finding| {
            (
                finding.device.as_str(),
                finding.rule.as_str(),
                finding.artifact.as_str(),
            )
        })
        .collect()
}

#[test]
fn junit_counts_agree_with_the_cases_and_the_report() {
    for (name, report) in [
        ("sample", sample_report()),
        ("edge case", edge_case_report()),
        ("clean", clean_report()),
    ] {
        let parsed = parse_junit(&render(&JunitRenderer, &report));
        assert_eq!(parsed.declared, parsed.counted, "{name}: suite counts");
        assert_eq!(
            parsed.declared_total,
            total(&parsed.counted),
            "{name}: <testsuites> counts"
        );
        let devices: BTreeSet<String> = report
            .devices
            .iter()
            .map(|device| device.info.id.clone())
            .collect();
        assert_eq!(
            parsed.declared.keys().cloned().collect::<BTreeSet<_>>(),
            devices,
            "{name}: a suite per device"
        );
        assert_eq!(
            parsed.declared_total.failures,
            open_groups(&report).len(),
            "{name}: a failure per rule and artifact with open findings"
        );
        assert_eq!(
            parsed.declared_total.errors,
            report.errors().count(),
            "{name}: an error per unreadable artifact"
        );
        let not_assessed = report
            .devices
            .iter()
            .flat_map(|device| &device.controls)
            .flat_map(|control| &control.rules)
            .filter(|rule| rule.status == RuleStatus::NotAssessed)
            .count();
        let waived_groups: BTreeSet<(&str, &str, &str)> = report
            .findings
            .iter()
            .filter(|finding| finding.waived.is_some())
            .map(|finding| {
                (
                    finding.device.as_str(),
                    finding.rule.as_str(),
                    finding.artifact.as_str(),
                )
            })
            .filter(|group| !open_groups(&report).contains(group))
            .collect();
        assert_eq!(
            parsed.declared_total.skipped,
            not_assessed + waived_groups.len(),
            "{name}: skipped = not assessed + waived"
        );
        for failure_type in &parsed.failure_types {
            assert!(
                ["critical", "high", "medium", "low", "info"].contains(&failure_type.as_str()),
                "{name}: failure type {failure_type} is a severity"
            );
        }
    }
}

#[test]
fn junit_escapes_text_and_drops_characters_xml_forbids() {
    let report = edge_case_report();
    let xml = render(&JunitRenderer, &report);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert!(
        !xml.chars()
            .any(|ch| matches!(ch, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')),
        "no character XML 1.0 forbids"
    );
    assert!(!xml.contains("<script>"));
    assert!(xml.contains("&lt;script&gt;"));
    let parsed = parse_junit(&xml);
    assert!(parsed.declared.contains_key(HOSTILE_DEVICE));
    assert!(parsed
        .skipped_messages
        .iter()
        .any(|message| message.contains(WAIVER_REASON) && message.contains("2099-12-31")));
    assert!(parsed
        .skipped_messages
        .iter()
        .any(|message| message.starts_with("not assessed: ")));
    assert_eq!(parsed.error_messages.len(), 1);
    assert!(parsed.error_messages[0].contains(UNREADABLE_REASON));
    assert!(xml.contains("Ünïcode ✈"));
    assert!(xml.contains("fix: "), "failures quote the fix");
}

/// A finding whose device has no results in the report (a report edited by hand or written by
/// another tool) still fails the JUnit report, in the `no-device` suite.
#[test]
fn junit_fails_on_findings_whose_device_has_no_results() {
    let mut report = sample_report();
    let removed = report.devices.remove(0);
    let open = open_groups(&report);
    assert!(open
        .iter()
        .any(|(device, _, _)| *device == removed.info.id.as_str()));
    let parsed = parse_junit(&render(&JunitRenderer, &report));
    assert_eq!(parsed.declared_total.failures, open.len());
    assert_eq!(parsed.declared, parsed.counted);
}

/// Counts as junitparser reads them: the attributes it parses, and what it finds in the cases.
const JUNITPARSER_COUNTS: &str = r#"
import json, sys
from junitparser import JUnitXml, Failure, Skipped, Error
xml = JUnitXml.fromfile(sys.argv[1])
suites = {}
for suite in xml:
    counted = {"tests": 0, "failures": 0, "skipped": 0, "errors": 0}
    for case in suite:
        counted["tests"] += 1
        for result in case.result:
            if isinstance(result, Failure): counted["failures"] += 1
            elif isinstance(result, Skipped): counted["skipped"] += 1
            elif isinstance(result, Error): counted["errors"] += 1
    declared = {"tests": suite.tests, "failures": suite.failures,
                "skipped": suite.skipped, "errors": suite.errors}
    suites[suite.name] = {"declared": declared, "counted": counted}
total = {"tests": xml.tests, "failures": xml.failures, "skipped": xml.skipped, "errors": xml.errors}
print(json.dumps({"suites": suites, "total": total}))
"#;

/// What junitparser counts in a JUnit document (`JUNITPARSER_COUNTS`), as JSON.
fn junitparser_counts(xml: &str, name: &str) -> Value {
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("report.xml");
    std::fs::write(&file, xml).expect("write the report");
    let output = Command::new("python3")
        .args(["-c", JUNITPARSER_COUNTS])
        .arg(&file)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{name}: junitparser failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON from python")
}

#[test]
fn junitparser_reads_the_same_counts() {
    if !common::python_module("junitparser", "pip install junitparser") {
        return;
    }
    for (name, report) in [
        ("sample", sample_report()),
        ("edge case", edge_case_report()),
    ] {
        let xml = render(&JunitRenderer, &report);
        let ours = parse_junit(&xml);
        let theirs = junitparser_counts(&xml, name);
        let counts = |value: &Value| SuiteCounts {
            tests: value["tests"].as_u64().expect("tests") as usize,
            failures: value["failures"].as_u64().expect("failures") as usize,
            skipped: value["skipped"].as_u64().expect("skipped") as usize,
            errors: value["errors"].as_u64().expect("errors") as usize,
        };
        assert_eq!(
            counts(&theirs["total"]),
            ours.declared_total,
            "{name}: total"
        );
        let suites = theirs["suites"].as_object().expect("suites");
        assert_eq!(suites.len(), ours.declared.len(), "{name}: suites");
        for (suite, value) in suites {
            let declared = counts(&value["declared"]);
            assert_eq!(declared, counts(&value["counted"]), "{name}: {suite}");
            assert_eq!(Some(&declared), ours.declared.get(suite), "{name}: {suite}");
        }
    }
}

/// The sample fleet's five devices copied `copies` times under new ids.
fn fleet_of_copies(copies: usize) -> Report {
    common::copies_of(&sample_report(), copies)
}

/// Over 50 devices the JUnit report is a case per rule for the whole fleet: 10,000 devices
/// (208,000 findings) fit in well under 10 MB (about 100 MB with a case per rule, device and
/// artifact), the counts agree with the cases, and it fails exactly on the rules with an open
/// finding on some device, stating how many findings and devices its body leaves out.
#[test]
fn junit_of_ten_thousand_devices_is_a_case_per_rule_and_stays_small() {
    let report = fleet_of_copies(2_000);
    assert_eq!(report.devices.len(), 10_000);
    let xml = render(&JunitRenderer, &report);
    eprintln!("JUnit of 10,000 devices: {} bytes", xml.len());
    assert!(xml.len() < 2_000_000, "{} bytes", xml.len());
    let parsed = parse_junit(&xml);
    assert_eq!(parsed.declared, parsed.counted, "suite counts");
    assert_eq!(
        parsed.declared_total,
        total(&parsed.counted),
        "<testsuites>"
    );

    // A failure per rule with an open finding on any device, none for the others.
    let failing_rules: BTreeSet<&str> = report
        .findings
        .iter()
        .filter(|finding| finding.waived.is_none())
        .map(|finding| finding.rule.as_str())
        .collect();
    assert!(failing_rules.len() > 20, "{failing_rules:?}");
    assert_eq!(parsed.declared_total.failures, failing_rules.len());
    assert_eq!(
        parsed.declared_total.errors,
        report.errors().count().min(100) + usize::from(report.errors().count() > 100)
    );
    for rule in &failing_rules {
        let devices: BTreeSet<&str> = report
            .findings
            .iter()
            .filter(|finding| finding.rule == *rule && finding.waived.is_none())
            .map(|finding| finding.device.as_str())
            .collect();
        let findings = report
            .findings
            .iter()
            .filter(|finding| finding.rule == *rule && finding.waived.is_none())
            .count();
        let message = format!(
            "{findings} open findings on {} of 10000 devices",
            devices.len()
        );
        assert!(
            xml.contains(&format!(
                "name=\"{rule}\">\n      <failure message=\"{message}\""
            )),
            "{rule}: {message}"
        );
        if findings > 50 {
            assert!(
                xml.contains(&format!("… and {} more findings on", findings - 50)),
                "{rule}: the count left out"
            );
        }
    }
    // A pass never hides a device the rule could not judge.
    let passed_somewhere_not_assessed_elsewhere = report
        .devices
        .iter()
        .flat_map(|device| &device.controls)
        .flat_map(|control| &control.rules)
        .filter(|rule| rule.status == RuleStatus::NotAssessed)
        .map(|rule| rule.rule.to_string())
        .collect::<BTreeSet<_>>();
    for rule in passed_somewhere_not_assessed_elsewhere {
        assert!(
            xml.contains(&format!("name=\"{rule} not assessed\""))
                || xml.contains(&format!(
                    "name=\"{rule}\">\n      <skipped message=\"not assessed on"
                )),
            "{rule}: its devices not assessed are a skipped case"
        );
    }
    assert!(xml.contains("<property name=\"grades\" value=\""));
    assert!(xml.contains("<property name=\"worst-devices\" value=\""));

    if common::python_module("junitparser", "pip install junitparser") {
        let theirs = junitparser_counts(&xml, "fleet layout");
        assert_eq!(
            theirs["total"]["failures"].as_u64(),
            Some(failing_rules.len() as u64),
            "junitparser counts the failures"
        );
        for (suite, value) in theirs["suites"].as_object().expect("suites") {
            assert_eq!(value["declared"], value["counted"], "{suite}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Markdown

fn utf16_length(text: &str) -> usize {
    text.encode_utf16().count()
}

#[test]
fn markdown_summarises_the_sample_fleet() {
    let report = sample_report();
    let markdown = render(&MarkdownRenderer, &report);
    let heading = markdown.lines().next().expect("a heading");
    assert!(heading.starts_with("## "));
    assert!(heading.contains(&format!("fleet grade {}", report.summary.grade.label())));
    assert!(heading.contains(&format!(
        "score {:.1}",
        report.summary.score.expect("a score")
    )));
    assert!(heading.contains(&format!("coverage {}%", report.summary.coverage)));
    for device in &report.devices {
        assert!(
            markdown
                .lines()
                .any(|line| line.starts_with(&format!("| {} |", device.info.id))),
            "a table row for {}",
            device.info.id
        );
    }
    assert!(markdown.contains("❌") && markdown.contains("✅"));
    let critical = markdown
        .find("#### 🔴 Critical")
        .expect("critical findings in the open");
    let high = markdown
        .find("#### 🟠 High")
        .expect("high findings in the open");
    let medium = markdown
        .find("<details><summary>🟡 Medium")
        .expect("medium findings folded");
    assert!(critical < high && high < medium);
    let first_critical = report
        .findings
        .iter()
        .find(|finding| finding.severity.id() == "critical")
        .expect("the sample has a critical finding");
    let line = first_critical.location.line.expect("a line");
    assert!(markdown.contains(&format!("`{}:{line}`", first_critical.artifact)));
    assert!(markdown.contains("**Fix:**"));
    assert!(markdown.contains("Not assessed:"));
    assert!(utf16_length(&markdown) <= GITHUB_COMMENT_LIMIT);
    assert!(!markdown.contains("Truncated"));
}

#[test]
fn markdown_stays_under_githubs_comment_limit() {
    let mut report = sample_report();
    let originals = report.findings.clone();
    for copy in 1..40 {
        report
            .findings
            .extend(originals.iter().map(|finding| Finding {
                fingerprint: format!("{}:{copy}", finding.fingerprint),
                ..finding.clone()
            }));
    }
    let markdown = render(&MarkdownRenderer, &report);
    assert!(
        utf16_length(&markdown) <= GITHUB_COMMENT_LIMIT,
        "{} UTF-16 units",
        utf16_length(&markdown)
    );
    let shown = markdown
        .lines()
        .filter(|line| line.starts_with("- **"))
        .count();
    // At most 25 findings of each severity are listed; the others are counted, per severity.
    let counted: usize = markdown
        .lines()
        .filter_map(|line| line.strip_prefix("… and "))
        .filter_map(|rest| rest.split(' ').next()?.parse::<usize>().ok())
        .sum();
    assert!(counted > 0);
    assert_eq!(
        shown + counted,
        report.findings.len(),
        "every finding shown or counted"
    );
    assert!(markdown.contains("the JSON, HTML and SARIF reports list them all"));
    assert_eq!(
        markdown.matches("<details>").count(),
        markdown.matches("</details>").count(),
        "every folded section is closed"
    );
}

#[test]
fn markdown_escapes_report_text() {
    let report = edge_case_report();
    let markdown = render(&MarkdownRenderer, &report);
    assert!(!markdown.contains("<script>"));
    assert!(markdown.contains("&lt;script&gt;"));
    let row = markdown
        .lines()
        .find(|line| line.starts_with("| anafi\\|thermal"))
        .expect("the device's row, its | escaped");
    let cell_separators = row.matches('|').count() - row.matches("\\|").count();
    assert_eq!(cell_separators, 4 + 6 + 1, "the row keeps its 10 cells");
    assert!(markdown.contains("\\`tick\\`"));
    assert!(markdown.contains("Ünïcode ✈"));
    assert!(markdown.contains("Incomplete scan"));
    assert!(markdown.contains(UNREADABLE_PATH));
    assert!(markdown.contains("Waived findings"));
    assert!(markdown.contains("Accepted &lt;until&gt; the refit &amp; \"retest\""));
}

#[test]
fn markdown_for_a_clean_fleet_says_so() {
    let markdown = render(&MarkdownRenderer, &clean_report());
    assert!(markdown.contains("No open findings."));
    assert!(!markdown.contains("| ❌"), "no control fails");
}

// ---------------------------------------------------------------------------------------------
// HTML

#[test]
fn html_is_one_self_contained_escaped_page() {
    let report = sample_report();
    let html = render(&HtmlRenderer, &report);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg"));
    assert!(html.contains("@media print"));
    for forbidden in [
        "<script",
        "<link",
        "src=",
        "@import",
        "url(http",
        "href=\"http",
    ] {
        assert!(!html.contains(forbidden), "the page holds no {forbidden}");
    }
    assert!(html.contains(&format!(
        "<span class=\"value\">{}</span>",
        report.summary.grade.label()
    )));
    for device in &report.devices {
        assert!(html.contains(&device.info.id));
    }
    for artifact in &report.artifacts {
        if let Some(sha256) = &artifact.sha256 {
            assert!(html.contains(sha256.as_str()));
        }
    }
    assert!(html.contains(&report.rules.digest));
    assert!(html.contains(&report.tool.version));
    for label in ["pass 0/", "FAIL "] {
        assert!(html.contains(label), "heat map cells say {label}in words");
    }

    let edge = render(&HtmlRenderer, &edge_case_report());
    assert!(!edge.contains("<script>alert"));
    assert!(edge.contains("&lt;script&gt;alert('x')&lt;/script&gt; &amp; &quot;quotes&quot;"));
    assert!(edge.contains("anafi|thermal &lt;α&gt; &amp; &quot;β&quot;"));
    assert!(edge.contains("WAIVED until 2099-12-31"));
    assert!(edge.contains("truncated &amp; corrupt &lt;header&gt;"));
    assert!(edge.contains("Incomplete scan"));

    let clean = render(&HtmlRenderer, &clean_report());
    assert!(clean.contains("No findings."));
}

/// Runs a command for at most `limit`, its standard output into `stdout`.
fn run_with_limit(command: &mut Command, stdout: &Path, limit: Duration) -> bool {
    let file = std::fs::File::create(stdout).expect("create the output file");
    let mut child = command
        .stdout(file)
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            return status.success();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn chromium(profile: &Path) -> Command {
    let mut command = Command::new("/usr/bin/chromium");
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,2000",
    ]);
    command.arg(format!("--user-data-dir={}", profile.display()));
    command
}

/// Loads the sample fleet's page in headless Chromium: it renders to a PNG screenshot, and
/// its DOM holds the fleet grade and every device. `DRONE_AUDIT_SCREENSHOT=path` keeps a copy
/// of the screenshot.
#[test]
fn html_renders_in_headless_chromium() {
    if !common::oracle("/usr/bin/chromium", "apt-get install chromium") {
        return;
    }
    let report = sample_report();
    let dir = tempfile::tempdir().expect("a temp dir");
    let page = dir.path().join("report.html");
    std::fs::write(&page, render(&HtmlRenderer, &report)).expect("write the page");
    let url = format!("file://{}", page.display());

    let screenshot: PathBuf = dir.path().join("shot.png");
    let finished = run_with_limit(
        chromium(&dir.path().join("profile-shot"))
            .arg(format!("--screenshot={}", screenshot.display()))
            .arg(&url),
        &dir.path().join("screenshot.log"),
        Duration::from_secs(120),
    );
    assert!(finished, "chromium took the screenshot in time");
    let png = std::fs::read(&screenshot).expect("chromium wrote the screenshot");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "the screenshot is a PNG"
    );
    if let Some(keep) = std::env::var_os("DRONE_AUDIT_SCREENSHOT") {
        std::fs::write(&keep, &png).expect("keep the screenshot");
    }

    let dom_file = dir.path().join("dom.html");
    let finished = run_with_limit(
        chromium(&dir.path().join("profile-dom"))
            .arg("--dump-dom")
            .arg(&url),
        &dom_file,
        Duration::from_secs(120),
    );
    assert!(finished, "chromium dumped the DOM in time");
    let dom = std::fs::read_to_string(&dom_file).expect("the DOM");
    assert!(dom.contains(&format!(
        "<span class=\"value\">{}</span>",
        report.summary.grade.label()
    )));
    for device in &report.devices {
        assert!(
            dom.contains(&device.info.id),
            "the DOM shows {}",
            device.info.id
        );
    }
}

/// The procurement comparison's page loads in headless Chromium and shows every candidate
/// and verdict.
#[test]
fn comparison_html_renders_in_headless_chromium() {
    if !common::oracle("/usr/bin/chromium", "apt-get install chromium") {
        return;
    }
    let candidates = ["m2e-hq", "px4-quad", "anafi-thermal"]
        .iter()
        .map(|name| {
            let report = scan(&ScanOptions {
                paths: vec![manifest_dir().join("samples").join(name)],
                ignore_found_policies: true,
                candidates: true,
                ..Default::default()
            })
            .expect("the candidate scans");
            ((*name).to_owned(), format!("samples/{name}"), report)
        })
        .collect();
    let comparison = drone_audit::report::comparison::Comparison::new(candidates);
    let mut page = Vec::new();
    drone_audit::report::comparison::write_html(&comparison, &mut page).expect("render");
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("compare.html");
    std::fs::write(&path, &page).expect("write the page");
    let dom_file = dir.path().join("dom.html");
    let finished = run_with_limit(
        chromium(&dir.path().join("profile"))
            .arg("--dump-dom")
            .arg(format!("file://{}", path.display())),
        &dom_file,
        Duration::from_secs(120),
    );
    assert!(finished, "chromium dumped the DOM in time");
    let dom = std::fs::read_to_string(&dom_file).expect("the DOM");
    for name in ["m2e-hq", "px4-quad", "anafi-thermal"] {
        assert!(dom.contains(name), "the DOM shows {name}");
    }
    assert!(dom.contains("status fail") && dom.contains("status pass"));
    assert!(dom.contains("<svg"), "the score chart is drawn");
}
