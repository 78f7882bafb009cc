//! End-to-end tests of the `drone-audit` command on the sample fleet and on crafted folders:
//! every exit code, the JSON report's fields, determinism, inspect, rules and help.

mod common;

use common::{artifact, assert_status, drone_audit};

use predicates::prelude::*;
use serde_json::Value;
use std::fs;
use std::path::Path;

fn json_report(args: &[&str]) -> (Value, Vec<u8>, i32) {
    let output = drone_audit()
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "invalid JSON ({error}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    common::assert_valid_report(&report);
    (
        report,
        output.stdout,
        output.status.code().expect("exit code"),
    )
}

fn write(root: &Path, relative: &str, text: &str) {
    let path = root.join(relative);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

const COMPLIANT: &str = include_str!("../samples/m2e-hq/profile.toml");

#[test]
fn scanning_the_samples_prints_the_table_and_fails_on_high_findings() {
    drone_audit()
        .args(["scan", "samples/"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("Devices (per control"))
        .stdout(predicate::str::contains("m2e-hq"))
        .stdout(predicate::str::contains("AUTH-002"))
        .stdout(predicate::str::contains("anafi-thermal/profile.toml:"));
}

#[test]
fn json_report_has_the_documented_fields() {
    let (report, _, code) = json_report(&["scan", "samples/"]);
    assert_eq!(code, 1);
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["tool"]["name"], "drone-audit");
    assert_eq!(report["rules"]["digest"].as_str().map(str::len), Some(64));
    assert_eq!(report["policy"]["source"], "samples/drone-audit.toml");
    assert_eq!(report["summary"]["devices"], 5);
    assert_eq!(report["summary"]["incomplete"], false);
    let artifacts = report["artifacts"].as_array().expect("artifacts");
    for artifact in artifacts {
        assert_eq!(
            artifact["status"], "assessed",
            "every sample artifact is identified and analyzed: {artifact}"
        );
        assert!(artifact["kind"].is_string());
        assert_eq!(artifact["sha256"].as_str().map(str::len), Some(64));
    }
    for kind in [
        "profile",
        "qgc-params",
        "ardupilot-params",
        "sshd-config",
        "shadow",
        "passwd",
        "hostapd",
        "mavlink-router",
    ] {
        assert!(
            artifacts.iter().any(|artifact| artifact["kind"] == kind),
            "no {kind} in samples/"
        );
    }
    for finding in report["findings"].as_array().expect("findings") {
        for field in [
            "rule",
            "title",
            "control",
            "severity",
            "device",
            "artifact",
            "message",
            "remediation",
            "fingerprint",
        ] {
            assert!(
                finding[field].is_string(),
                "finding lacks {field}: {finding}"
            );
        }
        // Text artifacts locate findings by line, captures by packet (both from 1), binary
        // logs by byte offset (from 0).
        let location = &finding["location"];
        let numbered = location["line"]
            .as_u64()
            .or(location["packet"].as_u64())
            .is_some_and(|number| number > 0);
        assert!(numbered || location["offset"].is_u64(), "{finding}");
    }
    let device = report["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|device| device["id"] == "m2e-field")
        .expect("m2e-field");
    assert!(
        device["score"].is_number()
            && device["grade"].is_string()
            && device["coverage"].is_number()
    );
    let connectivity = device["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|control| control["control"] == "connectivity")
        .expect("connectivity");
    assert_eq!(connectivity["status"], "fail");
    let rule = connectivity["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|rule| rule["rule"] == "CONN-001")
        .expect("CONN-001 traced");
    assert_eq!(rule["status"], "failed");
    assert_eq!(rule["findings"], 1);
}

#[test]
fn the_compliant_device_has_no_finding_and_the_others_fail_what_they_violate() {
    let (report, _, _) = json_report(&["scan", "samples/"]);
    let findings = report["findings"].as_array().expect("findings");
    let rules_of = |device: &str| -> Vec<String> {
        findings
            .iter()
            .filter(|finding| finding["device"] == device)
            .map(|finding| finding["rule"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    // The headquarters' drone follows the DHS guidance; it is a DJI drone, so its only findings
    // are the supply chain's (docs/supply-chain.md).
    let hq_rules = rules_of("m2e-hq");
    assert!(
        hq_rules.iter().all(|rule| rule.starts_with("SC-")),
        "{hq_rules:?}"
    );
    let field = rules_of("m2e-field");
    for expected in ["CONN-001", "UPD-001", "UPD-004", "UPD-005", "UPD-006"] {
        assert!(
            field.contains(&expected.to_owned()),
            "m2e-field lacks {expected}: {field:?}"
        );
    }
    assert!(rules_of("anafi-thermal").contains(&"AUTH-002".to_owned()));
    assert!(rules_of("px4-quad").contains(&"ENC-003".to_owned()));
    assert!(rules_of("ardupilot-plane").contains(&"CONN-008".to_owned()));
    let hq = report["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|device| device["id"] == "m2e-hq")
        .expect("m2e-hq");
    assert_eq!(hq["grade"], "A");
    assert!(hq["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .filter(|control| control["control"] != "supply-chain")
        .all(|control| control["status"] == "pass"));
}

#[test]
fn reports_are_byte_identical_across_runs_and_thread_counts() {
    let (_, first, _) = json_report(&["scan", "samples/"]);
    let (_, second, _) = json_report(&["scan", "samples/"]);
    let (_, one_thread, _) = json_report(&["scan", "samples/", "--jobs", "1"]);
    let (_, two_threads, _) = json_report(&["scan", "samples/", "--jobs", "2"]);
    assert_eq!(first, second);
    assert_eq!(one_thread, two_threads);
    assert_eq!(first, one_thread);
}

#[test]
fn a_compliant_fleet_exits_zero() {
    // The sample policy with no US procurement law applied: m2e-hq is a DJI drone, covered
    // under them (tests/supply_chain.rs), and otherwise follows the DHS guidance.
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("policy.toml");
    fs::write(
        &policy,
        fs::read_to_string("samples/drone-audit.toml").expect("policy")
            + "\n[supply_chain]\napply = []\n",
    )
    .expect("write");
    drone_audit()
        .args(["scan", "samples/m2e-hq", "--policy"])
        .arg(&policy)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("No findings."));
}

#[test]
fn fail_on_sets_the_threshold_and_nothing_else() {
    let (with_none, _, code) = json_report(&["scan", "samples/", "--fail-on", "none"]);
    assert_eq!(code, 0);
    let (with_high, _, _) = json_report(&["scan", "samples/"]);
    assert_eq!(
        with_none["findings"], with_high["findings"],
        "reports hold every finding whatever the threshold"
    );
    // ardupilot-plane's worst finding is high: it fails on high, not on critical.
    drone_audit()
        .args([
            "scan",
            "samples/ardupilot-plane",
            "--policy",
            "samples/drone-audit.toml",
            "--fail-on",
            "critical",
        ])
        .assert()
        .code(0);
    drone_audit()
        .args([
            "scan",
            "samples/ardupilot-plane",
            "--policy",
            "samples/drone-audit.toml",
            "--fail-on",
            "high",
        ])
        .assert()
        .code(1);
}

#[test]
fn a_profile_with_a_wrong_type_makes_the_scan_incomplete() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "good/profile.toml", COMPLIANT);
    write(
        dir.path(),
        "bad/profile.toml",
        &COMPLIANT.replace("local_data_mode = true", "local_data_mode = \"yes\""),
    );
    let path = dir.path().to_str().expect("UTF-8 path");
    let assert = drone_audit().args(["scan", path]).assert().code(3);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("bad/profile.toml")
            && stderr.contains("controllers[0].apps[0].local_data_mode"),
        "{stderr}"
    );

    let (report, _, code) = json_report(&["scan", path]);
    assert_eq!(code, 3);
    assert_eq!(report["summary"]["incomplete"], true);
    let bad = report["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .find(|artifact| artifact["status"] == "error")
        .expect("errored artifact");
    assert!(bad["reason"]
        .as_str()
        .expect("reason")
        .contains("expected a boolean"));
    let device = report["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|device| device["id"] == "bad")
        .expect("bad device");
    assert_eq!(
        device["grade"], "n/a",
        "a device whose only profile is broken is not graded"
    );
    assert!(device["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .all(|control| control["status"] == "not-assessed"));
    let good = report["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|device| device["id"] == "good")
        .expect("good device");
    assert_eq!(good["grade"], "A", "the scan goes on with the other files");
}

#[test]
fn findings_outrank_incompleteness() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "bad/profile.toml",
        "[identity]\nvendor = 3\n[[links]]\n",
    );
    write(
        dir.path(),
        "weak/profile.toml",
        &COMPLIANT.replace("encryption = \"aes-256\"", "encryption = \"wep\""),
    );
    drone_audit()
        .args(["scan", dir.path().to_str().expect("UTF-8")])
        .assert()
        .code(1);
}

#[test]
fn a_broken_rule_file_is_a_usage_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "mine.toml", "[[rule]]\nid = \"MINE-001\"\nname = \"x\"\ntitle = \"t\"\ncontrol = \"secrecy\"\nseverity = \"high\"\nkinds = [\"profile\"]\nselect = \"$[\"\nmessage = \"m\"\nrationale = \"r\"\nremediation = \"f\"\nreferences = [\"DHS-2019:5\"]\nexample = \"e\"\n");
    drone_audit()
        .args([
            "scan",
            "samples/m2e-hq",
            "--rules",
            dir.path().to_str().expect("UTF-8"),
        ])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(
            "mine.toml:1: rule MINE-001: unknown control `secrecy`",
        ))
        .stderr(predicate::str::contains("not RFC 9535 JSONPath"));
}

#[test]
fn a_user_rule_is_applied_beside_the_builtin_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "org.toml",
        r#"[[rule]]
id = "ORG-001"
name = "dji-app-on-tablet"
title = "DJI app on a tablet"
control = "connectivity"
severity = "low"
kinds = ["profile"]
select = "$.controllers[?@.kind == 'tablet'].apps[?match(@.name, 'DJI.*')]"
message = "{name} runs on a tablet"
rationale = "Our fleet flies DJI apps only on smart controllers."
remediation = "Move the app to the smart controller."
references = ["DHS-2019:1"]
example = "kind = \"tablet\""
"#,
    );
    let (report, _, _) = json_report(&[
        "scan",
        "samples/",
        "--rules",
        dir.path().to_str().expect("UTF-8"),
    ]);
    let org: Vec<&Value> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|finding| finding["rule"] == "ORG-001")
        .collect();
    assert_eq!(org.len(), 1);
    assert_eq!(org[0]["device"], "m2e-field");
    assert_eq!(org[0]["message"], "DJI Pilot runs on a tablet");
}

#[test]
fn a_broken_policy_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "policy.toml",
        "[passwords]\nmin_length = \"eight\"\n",
    );
    let policy = dir.path().join("policy.toml");
    drone_audit()
        .args([
            "scan",
            "samples/m2e-hq",
            "--policy",
            policy.to_str().expect("UTF-8"),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("policy.toml").and(predicate::str::contains("line 2")));
}

#[test]
fn unknown_files_are_listed_as_skipped_with_the_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "m2e/profile.toml", COMPLIANT);
    write(dir.path(), "m2e/notes.txt", "pilot notes\n");
    write(dir.path(), "m2e/Cargo.toml", "[package]\nname = \"x\"\n");
    let (report, _, code) = json_report(&["scan", dir.path().to_str().expect("UTF-8")]);
    assert_eq!(code, 0, "skipped files do not make a scan incomplete");
    let skipped: Vec<&Value> = report["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .filter(|artifact| artifact["status"] == "skipped")
        .collect();
    assert_eq!(skipped.len(), 2);
    assert!(skipped.iter().all(|artifact| artifact["reason"]
        .as_str()
        .expect("reason")
        .contains("not a known artifact kind")));
}

#[test]
fn a_device_without_evidence_is_not_assessed_never_passed() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "empty-drone/README.txt", "nothing here\n");
    let (report, _, code) = json_report(&["scan", dir.path().to_str().expect("UTF-8")]);
    assert_eq!(
        code, 3,
        "a device with nothing assessed makes the scan incomplete"
    );
    let device = &report["devices"][0];
    assert_eq!(device["grade"], "n/a");
    assert_eq!(device["coverage"], 0.0);
    assert!(device.get("score").is_none());
    assert_eq!(report["summary"]["controls"][0]["not_assessed"], 1);
}

#[test]
fn missing_paths_and_bad_arguments_are_usage_errors() {
    drone_audit()
        .args(["scan", "no/such/folder"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such/folder"));
    drone_audit()
        .args(["scan", "samples/", "--fail-on", "sometimes"])
        .assert()
        .code(2);
    drone_audit()
        .args(["scan", "samples/", "--jobs", "0"])
        .assert()
        .code(2);
    drone_audit().args(["scan"]).assert().code(2);
}

#[test]
fn output_goes_to_the_file_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = dir.path().join("report.json");
    drone_audit()
        .args([
            "scan",
            "samples/",
            "--format",
            "json",
            "--output",
            output.to_str().expect("UTF-8"),
        ])
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty());
    let report: Value =
        serde_json::from_slice(&fs::read(output).expect("report written")).expect("JSON");
    assert_eq!(report["summary"]["devices"], 5);
}

#[test]
fn inspect_prints_the_evidence_rules_query() {
    let assert = drone_audit()
        .args([
            "inspect",
            "samples/anafi-thermal/profile.toml",
            "--policy",
            "samples/drone-audit.toml",
        ])
        .assert()
        .code(0);
    let output: Value = serde_json::from_slice(&assert.get_output().stdout).expect("JSON");
    assert_eq!(output["kind"], "profile");
    // The digest and size of what was inspected, as a scan's report records them.
    let content = fs::read("samples/anafi-thermal/profile.toml").expect("the sample");
    assert_eq!(output["size"], content.len());
    let sha256 = output["sha256"].as_str().expect("a digest");
    assert_eq!(sha256.len(), 64);
    let scanned: Value = serde_json::from_slice(
        &drone_audit()
            .args(["scan", "samples/", "--format", "json", "--fail-on", "none"])
            .output()
            .expect("runs")
            .stdout,
    )
    .expect("JSON");
    let recorded = scanned["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .find(|artifact| artifact["path"] == "samples/anafi-thermal/profile.toml")
        .expect("the profile's record");
    assert_eq!(recorded["sha256"], sha256);
    assert_eq!(output["evidence"]["identity"]["model"], "ANAFI Thermal");
    assert_eq!(
        output["evidence"]["links"][0]["policy"]["meets_encryption"],
        false
    );
    assert_eq!(
        output["evidence"]["access"]["pairing"]["purpose"],
        "pairing"
    );
}

#[test]
fn inspect_of_an_unknown_file_says_so() {
    drone_audit()
        .args(["inspect", "README.md"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("not a known artifact kind"));
    drone_audit()
        .args(["inspect", "no-such-file"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no-such-file"));
}

#[test]
fn rules_list_and_explain() {
    drone_audit()
        .args(["rules", "list"])
        .assert()
        .code(0)
        .stdout(
            predicate::str::contains("CONN-001")
                .and(predicate::str::contains("local-data-mode-off")),
        );
    let assert = drone_audit()
        .args(["rules", "list", "--format", "json"])
        .assert()
        .code(0);
    let rules: Value = serde_json::from_slice(&assert.get_output().stdout).expect("JSON");
    assert!(rules.as_array().expect("array").len() >= 15);
    drone_audit()
        .args(["rules", "explain", "ENC-003"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Why it matters:"))
        .stdout(predicate::str::contains("How to fix:"))
        .stdout(predicate::str::contains("References:"))
        .stdout(predicate::str::contains("Example (fires on):"));
    drone_audit()
        .args(["rules", "explain", "NOPE-999"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no rule `NOPE-999`"));
}

#[test]
fn help_documents_the_exit_codes() {
    drone_audit().arg("--help").assert().code(0).stdout(
        predicate::str::contains("Exit codes:")
            .and(predicate::str::contains("3  the scan was incomplete")),
    );
    drone_audit()
        .args(["scan", "--help"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("--fail-on").and(predicate::str::contains("Exit codes:")));
}

#[test]
fn the_published_profile_schema_is_current() {
    let assert = drone_audit().args(["schema", "profile"]).assert().code(0);
    let published =
        fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schemas/profile.schema.json"))
            .expect("docs/schemas/profile.schema.json");
    assert!(
        assert.get_output().stdout == published,
        "docs/schemas/profile.schema.json is stale: run `cargo run -- schema profile > docs/schemas/profile.schema.json`"
    );
}

/// A device folder whose profile has exactly one high finding (CONN-001), with a policy.
fn one_finding_fleet(policy_extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "m2e/profile.toml",
        &COMPLIANT.replace("local_data_mode = true", "local_data_mode = false"),
    );
    let policy =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/drone-audit.toml"))
            .expect("sample policy");
    write(
        dir.path(),
        "drone-audit.toml",
        &format!("{policy}\n{policy_extra}"),
    );
    dir
}

#[test]
fn a_waiver_keeps_the_finding_in_the_report_but_not_in_the_exit_code() {
    let unwaived = one_finding_fleet("");
    drone_audit()
        .args(["scan", unwaived.path().to_str().expect("UTF-8")])
        .assert()
        .code(1);

    let waived = one_finding_fleet("[[waiver]]\nrule = \"CONN-001\"\ndevice = \"m2e*\"\nreason = \"Mapping flights over our own site, approved by the CISO\"\nexpires = \"2099-12-31\"\n");
    let (report, _, code) = json_report(&["scan", waived.path().to_str().expect("UTF-8")]);
    assert_eq!(code, 0);
    let finding = &report["findings"][0];
    assert_eq!(finding["rule"], "CONN-001");
    assert_eq!(finding["waived"]["expires"], "2099-12-31");
    assert_eq!(report["summary"]["waived"], 1);
    assert_eq!(report["summary"]["findings"]["high"], 0);
    let connectivity = report["devices"][0]["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|control| control["control"] == "connectivity")
        .expect("connectivity");
    let rule = connectivity["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|rule| rule["rule"] == "CONN-001")
        .expect("CONN-001");
    assert_eq!(rule["status"], "waived");
    assert_eq!(connectivity["status"], "pass");
    drone_audit()
        .args(["scan", waived.path().to_str().expect("UTF-8")])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("(waived) "));
}

#[test]
fn malformed_waivers_are_errors_and_expired_ones_no_longer_apply() {
    // Expiry alone never stops the run (tests/gate.rs): the finding counts again.
    let expired = one_finding_fleet(
        "[[waiver]]\nrule = \"CONN-001\"\nreason = \"temporary\"\nexpires = \"2020-01-31\"\n",
    );
    drone_audit()
        .args(["scan", expired.path().to_str().expect("UTF-8")])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "waiver CONN-001 expired on 2020-01-31",
        ));
    let malformed = one_finding_fleet(
        "[[waiver]]\nrule = \"CONN-001\"\nreason = \"\"\nexpires = \"next year\"\n",
    );
    drone_audit()
        .args(["scan", malformed.path().to_str().expect("UTF-8")])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("needs a reason").and(predicate::str::contains("not a date")),
        );
}

#[test]
fn an_unused_waiver_is_a_warning() {
    let dir = one_finding_fleet(
        "[[waiver]]\nrule = \"ENC-003\"\nreason = \"no MAVLink here\"\nexpires = \"2099-01-01\"\n",
    );
    let (report, _, _) = json_report(&["scan", dir.path().to_str().expect("UTF-8")]);
    assert!(report["warnings"][0]
        .as_str()
        .expect("warning")
        .contains("waiver ENC-003 matched no finding"));
}

#[test]
fn a_baseline_hides_known_findings_even_when_lines_move() {
    let dir = one_finding_fleet("");
    let fleet = dir.path().to_str().expect("UTF-8").to_owned();
    let baseline = dir.path().parent().expect("parent").join(format!(
        "{}-baseline.json",
        dir.path()
            .file_name()
            .and_then(|name| name.to_str())
            .expect("name")
    ));
    let baseline_path = baseline.to_str().expect("UTF-8").to_owned();
    drone_audit()
        .args(["scan", &fleet, "--write-baseline", &baseline_path])
        .assert()
        .code(1);
    let written: Value =
        serde_json::from_slice(&fs::read(&baseline).expect("baseline written")).expect("JSON");
    assert_eq!(written["format"], "drone-audit-baseline/1");
    assert_eq!(written["fingerprints"].as_array().map(Vec::len), Some(1));

    // Unrelated edits move the finding's line: it is still known.
    let profile = dir.path().join("m2e/profile.toml");
    let text = fs::read_to_string(&profile).expect("profile");
    fs::write(
        &profile,
        format!("# Reviewed 2026-11-25\n# by the fleet team\n\n{text}"),
    )
    .expect("edit");
    let (report, _, code) = json_report(&["scan", &fleet, "--baseline", &baseline_path]);
    assert_eq!(code, 0, "no new finding");
    assert_eq!(report["findings"].as_array().map(Vec::len), Some(0));
    assert_eq!(report["baseline"]["known_findings"], 1);

    // A new violation is reported, alone.
    fs::write(
        &profile,
        text.replace("encryption = \"aes-256\"", "encryption = \"wep\""),
    )
    .expect("edit");
    let (report, _, code) = json_report(&["scan", &fleet, "--baseline", &baseline_path]);
    assert_eq!(code, 1);
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|finding| finding["rule"].as_str())
        .collect();
    assert_eq!(rules, ["ENC-001"]);
    let _ = fs::remove_file(&baseline);
}

#[test]
fn a_json_report_serves_as_a_baseline_and_a_broken_one_is_an_error() {
    let dir = one_finding_fleet("");
    let fleet = dir.path().to_str().expect("UTF-8").to_owned();
    let report_path = dir.path().parent().expect("parent").join(format!(
        "{}-report.json",
        dir.path()
            .file_name()
            .and_then(|name| name.to_str())
            .expect("name")
    ));
    let report_path_text = report_path.to_str().expect("UTF-8").to_owned();
    drone_audit()
        .args([
            "scan",
            &fleet,
            "--format",
            "json",
            "--output",
            &report_path_text,
        ])
        .assert()
        .code(1);
    drone_audit()
        .args(["scan", &fleet, "--baseline", &report_path_text])
        .assert()
        .code(0);
    fs::write(&report_path, "{\"not\": \"a report\"}").expect("write");
    drone_audit()
        .args(["scan", &fleet, "--baseline", &report_path_text])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "neither a drone-audit baseline nor a JSON report",
        ));
    let _ = fs::remove_file(&report_path);
}

#[test]
fn several_formats_are_written_in_one_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let formats = ["table", "json", "sarif", "junit", "markdown", "html"];
    let mut command = drone_audit();
    command.args(["scan", "samples/"]);
    for format in formats {
        command
            .args(["--format", format, "--output"])
            .arg(dir.path().join(format!("report.{format}")));
    }
    command.assert().code(1).stdout(predicate::str::is_empty());
    let read = |format: &str| {
        fs::read_to_string(dir.path().join(format!("report.{format}"))).expect("report written")
    };
    let report: Value = serde_json::from_str(&read("json")).expect("JSON");
    assert_eq!(report["summary"]["devices"], 5);
    let findings = report["findings"].as_array().expect("findings").len();
    assert!(read("table").contains("Devices (per control"));
    let sarif: Value = serde_json::from_str(&read("sarif")).expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        sarif["runs"][0]["results"]
            .as_array()
            .expect("results")
            .len(),
        findings,
        "one SARIF result per finding"
    );
    assert!(read("junit").starts_with("<?xml"));
    assert!(read("markdown").contains("samples/anafi-thermal/profile.toml"));
    assert!(read("html").starts_with("<!DOCTYPE html>"));
    drone_audit()
        .args(["scan", "samples/", "--format", "json", "--format", "table"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("one --output per --format"));
}

#[test]
fn malformed_configs_are_named_with_their_line_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    // An over-long line in an otherwise real sshd_config: an error naming the line.
    let long_line = format!(
        "Port 22\nPermitRootLogin no\nUsePAM yes\nBanner {}\n",
        "x".repeat(100 * 1024)
    );
    write(dir.path(), "companion/sshd_config", &long_line);
    // A QGroundControl dump cut off in the middle of a row: a warning naming that line.
    let rows: String = (0..30)
        .map(|index| format!("1\t1\tPARAM_{index:02}\t{index}\t6\n"))
        .collect();
    write(
        dir.path(),
        "companion/autopilot.params",
        &format!("# Onboard parameters for Vehicle 1\n# Stack: PX4 Pro\n{rows}1\t1\tSDLOG_PRO"),
    );
    // An unknown sshd keyword: sshd refuses to start on the file, so what it would run is not
    // known: partial, naming the line (the rest is read, with a warning for it).
    write(
        dir.path(),
        "gcs/sshd_config",
        "Port 22\nPermitRootLogin no\nPasswordAuthentication no\nFrobnicateLogins yes\nUsePAM yes\nX11Forwarding no\nPrintMotd no\nAcceptEnv LANG LC_*\nSubsystem sftp /usr/lib/openssh/sftp-server\n",
    );
    // Binary noise with a config's name: its name says what it is, so it is an error with the
    // reason, not skipped as an unknown file.
    fs::write(
        dir.path().join("gcs/hostapd.conf"),
        [0x7f, 0x45, 0x4c, 0x46, 0, 0, 0xff, 0xfe, 0x13],
    )
    .expect("write");
    let (report, _, code) = json_report(&["scan", dir.path().to_str().expect("UTF-8")]);
    assert_eq!(
        code, 3,
        "one artifact could not be analyzed, nothing else failed"
    );
    assert_status(
        artifact(&report, "companion/sshd_config"),
        "error",
        "line 4 is 102407 bytes long",
    );
    let truncated = artifact(&report, "companion/autopilot.params");
    assert_eq!(truncated["status"], "assessed");
    assert!(
        truncated["warnings"][0]
            .as_str()
            .expect("warning")
            .starts_with("line 33:"),
        "{truncated}"
    );
    let unknown = artifact(&report, "gcs/sshd_config");
    assert_status(
        unknown,
        "partial",
        "line 4: unknown keyword `FrobnicateLogins`",
    );
    assert!(
        unknown["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .any(|warning| warning
                .as_str()
                .is_some_and(|text| text.contains("line 4") && text.contains("FrobnicateLogins"))),
        "{unknown}"
    );
    assert_status(
        artifact(&report, "gcs/hostapd.conf"),
        "error",
        "binary content",
    );
}

/// Runs the command under a pseudo-terminal (util-linux `script`), as a user at a terminal
/// would, and returns what it printed; None when `script` is not installed (the test skips,
/// saying so, or fails under CI).
fn at_a_terminal(args: &str, no_color: Option<&str>) -> Option<String> {
    if !common::oracle("/usr/bin/script", "apt-get install util-linux") {
        return None;
    }
    let binary = assert_cmd::cargo::cargo_bin("drone-audit");
    let mut command = std::process::Command::new("/usr/bin/script");
    command
        .args(["-qec", &format!("{} {args}", binary.display()), "/dev/null"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR");
    if let Some(value) = no_color {
        command.env("NO_COLOR", value);
    }
    let output = command.output().expect("script runs");
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Whether `text` holds an SGR colour or style sequence (`ESC [ … m`); the progress bar's
/// cursor and line-clearing sequences are not colour.
fn has_colour(text: &str) -> bool {
    text.split('\u{1b}').skip(1).any(|sequence| {
        sequence.strip_prefix('[').is_some_and(|rest| {
            let end = rest.find(|c: char| !(c.is_ascii_digit() || c == ';'));
            end.is_some_and(|end| rest[end..].starts_with('m'))
        })
    })
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let Some(coloured) = at_a_terminal("scan samples/", None) else {
        return;
    };
    assert!(has_colour(&coloured), "a terminal gets colour");
    assert!(coloured.contains("FAIL"), "statuses still say so in words");
    let plain = at_a_terminal("scan samples/", Some("1")).expect("script is installed");
    assert!(!has_colour(&plain), "NO_COLOR turns colour off");
    // NO_COLOR set to the empty string does not count (no-color.org).
    let empty = at_a_terminal("scan samples/", Some("")).expect("script is installed");
    assert!(has_colour(&empty));
    // A pipe gets no colour: every other test reads stdout through one.
    let piped = drone_audit()
        .env_remove("NO_COLOR")
        .args(["scan", "samples/"])
        .output()
        .expect("runs");
    assert!(!has_colour(&String::from_utf8_lossy(&piped.stdout)));
    assert!(!String::from_utf8_lossy(&piped.stdout).contains('\u{1b}'));
}

#[test]
fn quiet_keeps_stderr_empty_and_the_report_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "quad/profile.toml",
        &COMPLIANT.replace("local_data_mode = true", "local_data_mode = \"yes\""),
    );
    let loud = drone_audit()
        .args(["scan", dir.path().to_str().expect("UTF-8")])
        .output()
        .expect("runs");
    assert_eq!(loud.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&loud.stderr).contains("profile.toml"));
    let quiet = drone_audit()
        .args(["scan", "--quiet", dir.path().to_str().expect("UTF-8")])
        .output()
        .expect("runs");
    assert_eq!(quiet.status.code(), Some(3), "the exit code still says so");
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
    assert_eq!(quiet.stdout, loud.stdout, "the report is the same");
}

#[test]
fn shell_completions_and_the_man_page_come_from_the_cli() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = drone_audit()
            .args(["completions", shell])
            .output()
            .expect("runs");
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8(output.stdout).expect("UTF-8");
        for word in ["scan", "compare", "fail-on", "sarif"] {
            assert!(script.contains(word), "{shell} completes {word}");
        }
    }
    let man = drone_audit().arg("man").output().expect("runs");
    assert!(man.status.success());
    let man = String::from_utf8(man.stdout).expect("UTF-8");
    assert!(
        man.starts_with(".ie") || man.contains(".TH drone-audit"),
        "{man}"
    );
    assert!(man.contains("compare"));
    assert!(man.contains("Exit codes"));
}

#[test]
fn the_published_rule_reference_is_current() {
    let output = drone_audit()
        .args(["rules", "list", "--format", "markdown"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let published = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md"))
        .expect("docs/rules.md");
    assert!(
        output.stdout == published.as_bytes(),
        "docs/rules.md is stale: run `cargo run -- rules list --format markdown > docs/rules.md`"
    );
    let rules: Value = serde_json::from_slice(
        &drone_audit()
            .args(["rules", "list", "--format", "json"])
            .output()
            .expect("runs")
            .stdout,
    )
    .expect("JSON");
    for rule in rules.as_array().expect("rules") {
        let id = rule["id"].as_str().expect("id");
        assert!(
            published.contains(&format!("\n## {id}\n")),
            "{id} has a section"
        );
    }
}
