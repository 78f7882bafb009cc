//! End-to-end tests of the supply-chain control (docs/supply-chain.md): the samples' bills of
//! materials judged under each law, the procurement row of `compare` in every format, the
//! policy's `[supply_chain]` table, and a catalogue overlay through `--rules DIR`.

mod common;

use common::{copy_folder, drone_audit, scan_json_with};
use serde_json::Value;
use std::fs;
use std::path::Path;

const SAMPLE_POLICY: &str = "samples/drone-audit.toml";

fn device<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|device| device["id"] == id)
        .unwrap_or_else(|| panic!("device {id}"))
}

/// A rule's status on a device: `passed`, `failed`, `waived`, or `not-assessed`.
fn rule_status(report: &Value, device_id: &str, rule: &str) -> String {
    let control = device(report, device_id)["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|control| control["control"] == "supply-chain")
        .unwrap_or_else(|| panic!("{device_id} has no supply-chain control"));
    if let Some(result) = control["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|result| result["rule"] == rule)
    {
        return result["status"].as_str().expect("status").to_owned();
    }
    let not_assessed = control["not_assessed"].as_array().expect("groups");
    assert!(
        not_assessed
            .iter()
            .any(|group| group["rules"].get(rule).is_some()),
        "{rule} is not in force on {device_id}"
    );
    "not-assessed".to_owned()
}

fn findings<'a>(report: &'a Value, device_id: &str, rule: &str) -> Vec<&'a str> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|finding| finding["device"] == device_id && finding["rule"] == rule)
        .map(|finding| finding["message"].as_str().expect("message"))
        .collect()
}

#[test]
fn dji_drones_are_covered_by_each_law_that_names_them_with_component_and_source() {
    let (report, _) = scan_json_with(Path::new("samples"), &[]);
    for id in ["m2e-hq", "m2e-field"] {
        for rule in ["SC-001", "SC-002", "SC-003"] {
            assert_eq!(rule_status(&report, id, rule), "failed", "{id} {rule}");
        }
        let covered = findings(&report, id, "SC-001");
        assert!(
            covered.iter().any(|message| message.starts_with(
                "aircraft Mavic 2 Enterprise Dual: SZ DJI Technology Co., Ltd. is domiciled in CN; NDAA §848 (https://www.diu.mil/blue-uas-policy, verified true)"
            )),
            "{covered:#?}"
        );
        let fcc = findings(&report, id, "SC-003");
        assert!(
            fcc.iter().all(
                |message| message.contains(": made by DJI; FCC Covered List")
                    && message.contains("verified false")
            ),
            "{fcc:#?}"
        );
    }
    // The capture of the field team's tablet reaches DJI's cloud, run from a covered country.
    assert_eq!(rule_status(&report, "m2e-field", "SC-006"), "failed");
    assert_eq!(rule_status(&report, "m2e-hq", "SC-006"), "passed");
}

#[test]
fn parrot_and_px4_are_unknown_part_by_part_never_clear_on_unstated_facts() {
    let (report, _) = scan_json_with(Path::new("samples"), &[]);
    for id in ["anafi-thermal", "px4-quad"] {
        for rule in ["SC-001", "SC-002", "SC-003"] {
            assert_eq!(
                rule_status(&report, id, rule),
                "not-assessed",
                "{id} {rule}: unknown parts leave the law undecided"
            );
        }
        assert_eq!(rule_status(&report, id, "SC-004"), "failed", "{id}");
    }
    assert_eq!(
        findings(&report, "anafi-thermal", "SC-004"),
        ["camera Thermal camera module (unknown): made where, by a maker domiciled where, is unknown"]
    );
    assert_eq!(findings(&report, "px4-quad", "SC-004").len(), 3);
    // PX4 publishes a disclosure policy but no dated support period.
    assert_eq!(rule_status(&report, "px4-quad", "SC-009"), "passed");
    assert_eq!(rule_status(&report, "px4-quad", "SC-010"), "failed");
}

#[test]
fn the_supply_chain_stays_outside_the_score() {
    let (report, _) = scan_json_with(Path::new("samples"), &[]);
    let hq = device(&report, "m2e-hq");
    assert_eq!(hq["grade"], "A", "covered parts do not move the DHS score");
    assert_eq!(hq["score"], 100.0);
    let controls: Vec<&str> = report["summary"]["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .map(|control| control["control"].as_str().expect("id"))
        .collect();
    assert_eq!(
        controls.len(),
        6,
        "the fleet summary keeps the six DHS axes: {controls:?}"
    );
}

#[test]
fn reports_with_supply_chain_findings_say_they_are_not_legal_advice() {
    for format in ["table", "markdown", "html", "junit", "sarif"] {
        let output = drone_audit()
            .args([
                "scan",
                "samples/m2e-hq",
                "--policy",
                SAMPLE_POLICY,
                "--format",
                format,
            ])
            .output()
            .expect("runs");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            text.contains("not legal advice"),
            "{format} does not carry the note"
        );
    }
}

#[test]
fn compare_shows_the_supply_chain_row_in_every_format() {
    let candidates = [
        "samples/m2e-hq",
        "samples/anafi-thermal",
        "samples/px4-quad",
    ];
    let output = drone_audit()
        .arg("compare")
        .args(candidates)
        .args(["--policy", SAMPLE_POLICY, "--format", "json"])
        .output()
        .expect("runs");
    let comparison: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let row = |name: &str| -> Vec<(String, String)> {
        comparison["candidates"]
            .as_array()
            .expect("candidates")
            .iter()
            .find(|candidate| candidate["name"] == name)
            .expect("candidate")["supply_chain"]
            .as_array()
            .expect("row")
            .iter()
            .map(|verdict| {
                (
                    verdict["law"].as_str().expect("law").to_owned(),
                    verdict["status"].as_str().expect("status").to_owned(),
                )
            })
            .collect()
    };
    let laws = |status: &str| -> Vec<(String, String)> {
        ["ndaa-848", "asda", "fcc-covered"]
            .iter()
            .map(|law| ((*law).to_owned(), status.to_owned()))
            .collect()
    };
    assert_eq!(row("m2e-hq"), laws("covered"));
    assert_eq!(row("anafi-thermal"), laws("unknown"));
    assert_eq!(row("px4-quad"), laws("unknown"));
    let hq = comparison["candidates"][0]["supply_chain"][0].clone();
    assert!(hq["components"][0]
        .as_str()
        .expect("component")
        .contains("(https://www.diu.mil/blue-uas-policy, verified true)"));
    assert_eq!(hq["source"], "https://www.diu.mil/blue-uas-policy");
    let anafi = comparison["candidates"][1]["supply_chain"][0].clone();
    assert!(anafi["components"][0]
        .as_str()
        .expect("unknown part")
        .contains("Thermal camera module"));

    for (format, row_text) in [
        ("table", "supply chain: ndaa-848"),
        ("markdown", "| supply chain: ndaa-848 | ❌ COVERED"),
        ("html", "<section id=\"supply-chain\">"),
    ] {
        let output = drone_audit()
            .arg("compare")
            .args(candidates)
            .args(["--policy", SAMPLE_POLICY, "--format", format])
            .output()
            .expect("runs");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains(row_text), "{format}: {text}");
        assert!(text.contains("not legal advice"), "{format}");
        if format == "html" {
            let supply = text.find("id=\"supply-chain\"").expect("section");
            let scores = text.find("id=\"scores\"").expect("scores");
            assert!(supply < scores, "the supply chain comes first on the page");
            // Each cell is its verdict; the parts it rests on are folded beneath, counted, so
            // that three laws over five candidates do not push the scores off the first screen.
            let section = &text[supply..scores];
            assert!(
                section.contains("<b>covered</b><details><summary>2 parts covered</summary><ul>"),
                "{section}"
            );
            assert!(section.contains("<summary>1 part of unknown origin</summary>"));
            assert!(!section.contains("</b><ul>"), "no list outside a fold");
        }
    }
}

#[test]
fn a_policy_that_applies_no_us_law_disables_their_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("policy.toml");
    fs::write(
        &policy,
        "[supply_chain]\napply = []\nunknown_origin = \"not-assessed\"\n",
    )
    .expect("write");
    let policy = policy.display().to_string();
    let (report, _) = scan_json_with(Path::new("samples/m2e-hq"), &["--policy", &policy]);
    let disabled: Vec<&str> = report["policy"]["changes"]["disabled"]
        .as_array()
        .expect("disabled")
        .iter()
        .map(|id| id.as_str().expect("id"))
        .collect();
    assert_eq!(disabled, ["SC-001", "SC-002", "SC-003"]);
    assert!(findings(&report, "m2e-hq", "SC-001").is_empty());
    assert_eq!(rule_status(&report, "m2e-hq", "SC-004"), "not-assessed");

    fs::write(
        dir.path().join("bad.toml"),
        "[supply_chain]\napply = [\"gdpr\"]\n",
    )
    .expect("write");
    let output = drone_audit()
        .args(["scan", "samples/m2e-hq", "--policy"])
        .arg(dir.path().join("bad.toml"))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no law `gdpr`"));
}

#[test]
fn a_catalogue_in_the_rules_folder_replaces_the_builtin_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules");
    fs::create_dir_all(rules.join("catalogue")).expect("mkdir");
    // A rules folder holds at least one rule file.
    fs::write(
        rules.join("extra.toml"),
        r#"[[rule]]
id = "ORG-001"
name = "org-unencrypted-link"
title = "A link is not encrypted"
control = "encryption"
severity = "high"
kinds = ["profile"]
select = "$.links[?@.encryption == 'none']"
message = "{name} is not encrypted"
rationale = "Because."
remediation = "Encrypt it."
references = ["DHS-2019:5"]
example = "[[links]]"
"#,
    )
    .expect("write");
    // The organisation's catalogue: §848 read as covering Russia only.
    let catalogue = fs::read_to_string("rules/catalogue/supply-chain.toml")
        .expect("catalogue")
        .replacen(
            "law = \"ndaa-848\"\ncountry = \"CN\"",
            "law = \"ndaa-848\"\ncountry = \"RU\"",
            1,
        );
    fs::write(rules.join("catalogue/supply-chain.toml"), catalogue).expect("write");
    let fleet = dir.path().join("fleet");
    copy_folder(Path::new("samples/m2e-hq"), &fleet.join("m2e-hq"));
    let rules_arg = rules.display().to_string();
    let (report, _) = scan_json_with(&fleet, &["--rules", &rules_arg]);
    // DJI is domiciled in CN, not RU, and where its parts were made is unknown.
    assert_eq!(rule_status(&report, "m2e-hq", "SC-001"), "not-assessed");
    assert_eq!(rule_status(&report, "m2e-hq", "SC-003"), "failed");

    fs::write(
        rules.join("catalogue/supply-chain.toml"),
        "[[law]]\nshort_name = \"x\"\n",
    )
    .expect("write");
    let output = drone_audit()
        .arg("scan")
        .arg(&fleet)
        .args(["--rules", &rules_arg])
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(2),
        "a broken catalogue stops the scan"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("supply-chain.toml"));
}
