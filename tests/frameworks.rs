//! Compliance frameworks end to end (issue #19): the built-in mapping (every rule under
//! dhs-2019, every mapped id a rule, manual never passing), `scan --framework` in every
//! format on the sample fleet, frameworks leaving scores alone, user frameworks with
//! `--frameworks DIR` and their errors, `frameworks list/explain`, and docs/frameworks.md
//! kept current.

use drone_audit::frameworks::{self, Evidence, RequirementStatus};
use drone_audit::rules;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

mod common;

fn scan(arguments: &[&str]) -> (String, i32) {
    let output = common::drone_audit()
        .args(["scan", "samples", "--quiet"])
        .args(arguments)
        .output()
        .expect("drone-audit runs");
    (
        String::from_utf8(output.stdout).expect("UTF-8 output"),
        output.status.code().unwrap_or(-1),
    )
}

fn scan_json(arguments: &[&str]) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(arguments);
    let (text, _) = scan(&all);
    serde_json::from_str(&text).expect("the report is JSON")
}

fn builtin() -> (rules::RuleSet, frameworks::FrameworkSet) {
    let rules = rules::load(None).expect("built-in rules load");
    let set = frameworks::load(None, &rules).unwrap_or_else(|errors| panic!("{errors}"));
    (rules, set)
}

#[test]
fn every_builtin_rule_maps_to_dhs_2019_and_every_mapped_id_is_a_rule() {
    let (rules, set) = builtin();
    let dhs = set.get("dhs-2019").expect("dhs-2019 is built in");
    let under_dhs: BTreeSet<&str> = dhs
        .requirements
        .iter()
        .flat_map(|requirement| requirement.rules())
        .map(String::as_str)
        .collect();
    for rule in &rules.rules {
        assert!(
            under_dhs.contains(rule.id.as_str()),
            "{} is not under dhs-2019",
            rule.id
        );
    }
    for framework in &set.frameworks {
        for requirement in &framework.requirements {
            for rule in requirement.rules() {
                assert!(
                    rules.get(rule).is_some(),
                    "{}:{} maps unknown rule {rule}",
                    framework.id,
                    requirement.id
                );
            }
            if let Evidence::Manual { collect } = &requirement.evidence {
                assert!(!collect.is_empty(), "{}:{}", framework.id, requirement.id);
            }
        }
    }
    // The six DHS mitigations are the controls: each maps by control, not rule by rule.
    for id in ["1", "2", "3", "4", "5-encrypt", "5-password"] {
        let requirement = dhs.requirements.iter().find(|r| r.id == id).expect(id);
        assert!(
            matches!(&requirement.evidence, Evidence::Rules { controls, named, .. } if controls.len() == 1 && named.is_empty()),
            "dhs-2019:{id} maps by control"
        );
    }
}

#[test]
fn the_sample_fleet_has_every_status_in_every_framework_and_manual_never_passes() {
    let report = scan_json(&["--framework", "all"]);
    let results = report["frameworks"]
        .as_array()
        .expect("frameworks in the report");
    assert_eq!(results.len(), 6);
    let (_, set) = builtin();
    for result in results {
        let id = result["id"].as_str().unwrap();
        let framework = set.get(id).unwrap();
        let requirements = result["requirements"].as_array().unwrap();
        let fleet: BTreeSet<&str> = requirements
            .iter()
            .map(|requirement| requirement["status"].as_str().unwrap())
            .collect();
        let mut seen = fleet.clone();
        for requirement in requirements {
            let manual = framework
                .requirements
                .iter()
                .find(|r| r.id == requirement["id"])
                .unwrap()
                .is_manual();
            for device in requirement["devices"].as_array().unwrap() {
                let status = device["status"].as_str().unwrap();
                seen.insert(status);
                assert_eq!(status == "manual", manual, "{id}:{}", requirement["id"]);
            }
            assert_eq!(
                requirement["status"] == "manual",
                manual,
                "{id}:{}",
                requirement["id"]
            );
            if manual {
                assert_ne!(requirement["status"], "pass", "{id}:{}", requirement["id"]);
            }
        }
        let all: BTreeSet<&str> = RequirementStatus::ALL
            .iter()
            .map(|status| status.id())
            .collect();
        assert_eq!(
            seen, all,
            "{id}: fleet and devices together show every status"
        );
        // dhs-2019's six mitigations are whole controls, and every control fails on some
        // sample device, so its fleet view has no pass; its devices have (docs/frameworks.md).
        if id == "dhs-2019" {
            assert_eq!(fleet, BTreeSet::from(["fail", "manual"]), "{id}");
        } else {
            assert_eq!(fleet, all, "{id}: the fleet shows every status");
        }
        let summary = &result["summary"];
        let count: u64 = ["pass", "fail", "not_assessed", "manual"]
            .iter()
            .map(|key| summary[key].as_u64().unwrap())
            .sum();
        assert_eq!(count as usize, requirements.len(), "{id}");
    }
}

#[test]
fn html_shows_a_table_per_framework() {
    let (html, code) = scan(&["--framework", "all", "--format", "html"]);
    assert_ne!(code, 2, "the scan ran");
    let (_, set) = builtin();
    for framework in &set.frameworks {
        let start = html
            .find(&format!("<section id=\"framework-{}\">", framework.id))
            .unwrap_or_else(|| panic!("no section for {}", framework.id));
        let section = &html[start..start + html[start..].find("</section>").unwrap()];
        assert!(section.contains("<table>"), "{}", framework.id);
        for requirement in &framework.requirements {
            assert!(
                section.contains(&format!("<td class=\"mono\">{}</td>", requirement.id)),
                "{}:{}",
                framework.id,
                requirement.id
            );
        }
        assert!(section.contains("class=\"fw-manual\">manual<"));
    }
}

#[test]
fn frameworks_change_no_score_and_leave_reports_alone_without_the_flag() {
    let plain = scan_json(&[]);
    assert!(plain.get("frameworks").is_none());
    let mut with = scan_json(&["--framework", "etsi-en-303-645", "--framework", "dhs-2019"]);
    let ids: Vec<&str> = with["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|framework| framework["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["etsi-en-303-645", "dhs-2019"]);
    with.as_object_mut().unwrap().remove("frameworks");
    assert_eq!(with, plain, "only the frameworks were added");
    for format in ["table", "sarif", "junit", "markdown", "html"] {
        let (text, _) = scan(&["--format", format]);
        assert!(
            !text.contains("framework:") && !text.contains("taxonom"),
            "{format}"
        );
    }
}

#[test]
fn sarif_lists_frameworks_as_taxonomies_related_to_rules_and_stays_valid() {
    let (text, _) = scan(&["--framework", "all", "--format", "sarif"]);
    let log: Value = serde_json::from_str(&text).expect("SARIF is JSON");
    let run = &log["runs"][0];
    let taxonomies = run["taxonomies"].as_array().unwrap();
    assert_eq!(taxonomies.len(), 6);
    assert_eq!(
        run["tool"]["driver"]["supportedTaxonomies"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    let rule = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|rule| rule["id"] == "AUTH-002")
        .unwrap();
    let targets: Vec<(String, String)> = rule["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|relationship| {
            let target = &relationship["target"];
            let component = target["toolComponent"]["index"].as_u64().unwrap() as usize;
            let index = target["index"].as_u64().unwrap() as usize;
            assert_eq!(taxonomies[component]["taxa"][index]["id"], target["id"]);
            (
                target["toolComponent"]["name"].as_str().unwrap().to_owned(),
                target["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(targets.contains(&("etsi-en-303-645".to_owned(), "5.1-1".to_owned())));
    assert!(targets.contains(&("dhs-2019".to_owned(), "5-password".to_owned())));
    let Some(schema_path) = common::shared("schemas/sarif-schema-2.1.0.json") else {
        return;
    };
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let mut broken = log.clone();
    broken["runs"][0]["taxonomies"][0]["taxa"][0]["id"] = Value::from(7);
    assert!(
        !validator.is_valid(&broken),
        "the validator sees the taxonomies"
    );
}

#[test]
fn junit_has_a_suite_per_framework_and_markdown_a_section() {
    let (xml, _) = scan(&["--framework", "px4-hardening", "--format", "junit"]);
    assert!(
        xml.contains(
            "<testsuite name=\"framework: px4-hardening\" tests=\"9\" failures=\"4\" errors=\"0\" skipped=\"4\">"
        ),
        "{xml}"
    );
    let case = "name=\"secure-boot Bootloader secure boot with the integrator&apos;s key\">";
    let at = xml.find(case).expect("a case per requirement") + case.len();
    assert!(
        xml[at..]
            .trim_start()
            .starts_with("<skipped message=\"manual: collect by hand:"),
        "a manual requirement is skipped, never passed"
    );
    let (markdown, _) = scan(&["--framework", "green-uas", "--format", "markdown"]);
    assert!(
        markdown.contains("### Framework: AUVSI Green UAS"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| roc-gcs-security | GCS Security | ✅ pass | 5 pass |"),
        "{markdown}"
    );
}

#[test]
fn unknown_framework_is_a_usage_error_naming_the_known_ones() {
    let output = common::drone_audit()
        .args(["scan", "samples", "--framework", "iso-27001"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no framework `iso-27001` (known: cisa-fbi-2024, dhs-2019"),
        "{stderr}"
    );
}

const USER_FRAMEWORK: &str = r#"[framework]
id = "acme"
title = "ACME drone policy"
publisher = "ACME"
url = "https://intranet.example/acme"
date = "2025-03"
version = "2.0"
verified = "Ours."
unverified = "Nothing."

[[requirement]]
id = "4.2"
title = "No default passwords"
summary = "No default password anywhere."
rules = ["AUTH-002", "ACCT-003", "WIFI-005"]

[[requirement]]
id = "7.1"
title = "Pilots are trained"
summary = "Every pilot completes the briefing."
manual = true
collect = "Training records."
"#;

#[test]
fn a_user_framework_is_reported_and_its_errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("acme.toml"), USER_FRAMEWORK).unwrap();
    let folder = dir.path().to_str().unwrap();
    let report = scan_json(&["--frameworks", folder, "--framework", "acme"]);
    let requirements = report["frameworks"][0]["requirements"].as_array().unwrap();
    assert_eq!(requirements[0]["status"], "fail");
    assert_eq!(requirements[1]["status"], "manual");
    let explained = common::drone_audit()
        .args(["frameworks", "explain", "acme:4.2", "--frameworks", folder])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&explained.stdout)
        .contains("named:         AUTH-002, ACCT-003, WIFI-005"));

    std::fs::write(
        dir.path().join("acme.toml"),
        USER_FRAMEWORK
            .replace("\"WIFI-005\"", "\"WIFI-500\"")
            .replace("id = \"7.1\"", "id = \"4.2\""),
    )
    .unwrap();
    let output = common::drone_audit()
        .args([
            "scan",
            "samples",
            "--frameworks",
            folder,
            "--framework",
            "acme",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let file = Path::new(folder).join("acme.toml");
    let file = file.display();
    assert!(
        stderr.contains(&format!(
            "{file}:11: requirement 4.2: unknown rule `WIFI-500`"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{file}:17: duplicate requirement `4.2` (first at line 11)"
        )),
        "{stderr}"
    );
}

#[test]
fn frameworks_explain_a_requirement_and_say_manual_never_passes() {
    let output = common::drone_audit()
        .args(["frameworks", "explain", "etsi-en-303-645:5.7-1"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.starts_with("etsi-en-303-645:5.7-1: Secure boot\n"),
        "{text}"
    );
    assert!(text.contains("never reported as passed"), "{text}");
    let output = common::drone_audit()
        .args(["frameworks", "explain", "dhs-2019:3"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("every rule of: removable-media"), "{text}");
    let output = common::drone_audit()
        .args(["frameworks", "explain", "dhs-2019:9"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn docs_frameworks_md_is_current() {
    let output = common::drone_audit()
        .args(["frameworks", "list", "--format", "markdown"])
        .output()
        .unwrap();
    let generated = String::from_utf8(output.stdout).unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/frameworks.md");
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        written == generated,
        "docs/frameworks.md is stale: run `cargo run -- frameworks list --format markdown > docs/frameworks.md`"
    );
    for framework in [
        "dhs-2019",
        "cisa-fbi-2024",
        "etsi-en-303-645",
        "nistir-8259a",
        "green-uas",
        "px4-hardening",
    ] {
        assert!(
            generated.contains(&format!("\n## {framework}\n")),
            "{framework}"
        );
    }
}

#[test]
fn a_rule_the_policy_disables_leaves_its_requirement_not_assessed_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let framework = USER_FRAMEWORK.replace(
        "rules = [\"AUTH-002\", \"ACCT-003\", \"WIFI-005\"]",
        "rules = [\"AUTH-002\"]",
    );
    std::fs::create_dir(dir.path().join("frameworks")).unwrap();
    std::fs::write(dir.path().join("frameworks/acme.toml"), framework).unwrap();
    let policy = std::fs::read_to_string("samples/drone-audit.toml").unwrap()
        + "\n[rules]\ndisable = [\"AUTH-002\"]\n";
    let policy_path = dir.path().join("policy.toml");
    std::fs::write(&policy_path, policy).unwrap();
    let folder = dir.path().join("frameworks");
    let report = scan_json(&[
        "--policy",
        policy_path.to_str().unwrap(),
        "--frameworks",
        folder.to_str().unwrap(),
        "--framework",
        "acme",
    ]);
    let requirement = &report["frameworks"][0]["requirements"][0];
    assert_eq!(requirement["status"], "not-assessed");
    assert_eq!(
        requirement["reason"],
        "AUTH-002: not in force (disabled by the policy)"
    );
    // Without the policy the same requirement fails: AUTH-002 fires on the sample fleet.
    let report = scan_json(&[
        "--frameworks",
        folder.to_str().unwrap(),
        "--framework",
        "acme",
    ]);
    assert_eq!(report["frameworks"][0]["requirements"][0]["status"], "fail");
}
