//! The scanned tree is untrusted, its policy included (issue 16, item 12): a pull request
//! that adds a `drone-audit.toml` disabling, re-rating or waiving rules must not turn a red
//! gate green unnoticed. Every format states what the policy disables, re-rates and waives;
//! `--trusted-policy FILE` takes the policy from FILE only and names the tree's in warnings.

mod common;

use common::{copy_folder, drone_audit, scan_json_with};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

/// The policy a pull request adds to the scanned tree: it switches off or lowers three of
/// the sample device's failing rules.
const PERMISSIVE_POLICY: &str = r#"
[rules]
disable = ["CONN-001"]
severity = { "CONN-002" = "info" }

[[waiver]]
rule = "FW-006"
reason = "the vendor says it is fine"
expires = "2099-12-31"
"#;

/// A fleet of the sample field device with the permissive policy at its top.
fn fleet_with_its_own_policy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let fleet = dir.path().join("fleet");
    copy_folder(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/m2e-field"),
        &fleet.join("m2e-field"),
    );
    fs::write(fleet.join("drone-audit.toml"), PERMISSIVE_POLICY).expect("write");
    (dir, fleet)
}

fn render(fleet: &Path, format: &str, arguments: &[&str]) -> String {
    let output = drone_audit()
        .arg("scan")
        .arg(fleet)
        .args(["--format", format, "--fail-on", "none"])
        .args(arguments)
        .output()
        .expect("runs");
    String::from_utf8(output.stdout).expect("UTF-8 report")
}

fn rules_fired(report: &Value) -> Vec<&str> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|finding| finding["rule"].as_str())
        .collect()
}

#[test]
fn every_format_states_what_the_policy_disables_rerates_and_waives() {
    let (_dir, fleet) = fleet_with_its_own_policy();
    let line = "disables 1 rule (CONN-001), re-rates 1 (CONN-002 high → info), waives 1 rule (FW-006 until 2099-12-31)";
    for format in ["table", "sarif", "junit", "html"] {
        let report = render(&fleet, format, &[]);
        // In the first lines (the table's header, the XML comment, the page's header), not
        // somewhere in the middle.
        let head: String = report
            .lines()
            .take(if format == "html" { 400 } else { 3 })
            .collect();
        let head = if format == "sarif" {
            report.clone()
        } else {
            head
        };
        assert!(head.contains(line), "{format}:\n{head}");
    }
    let markdown = render(&fleet, "markdown", &[]);
    assert!(
        markdown
            .lines()
            .take(6)
            .any(|markdown_line| markdown_line.contains(line)),
        "{markdown}"
    );
    let json: Value = serde_json::from_str(&render(&fleet, "json", &[])).expect("JSON");
    let changes = &json["policy"]["changes"];
    assert_eq!(changes["disabled"], serde_json::json!(["CONN-001"]));
    assert_eq!(
        changes["rerated"],
        serde_json::json!([{"rule": "CONN-002", "from": "high", "to": "info"}])
    );
    assert_eq!(changes["waived"][0]["rule"], "FW-006");
    assert_eq!(changes["waived"][0]["expires"], "2099-12-31");
}

#[test]
fn a_policy_without_changes_says_so() {
    let (_dir, fleet) = fleet_with_its_own_policy();
    fs::write(
        fleet.join("drone-audit.toml"),
        "[passwords]\nmin_length = 10\n",
    )
    .expect("write");
    let table = render(&fleet, "table", &[]);
    assert!(
        table.contains("disables 0 rules, re-rates 0, waives 0 rules"),
        "{table}"
    );
    fs::write(
        fleet.join("drone-audit.toml"),
        "[ssh]\nrequire_keys = false\n",
    )
    .expect("write");
    let table = render(&fleet, "table", &[]);
    assert!(
        table.contains("relaxes 1 (ssh.require_keys = false (default true))"),
        "{table}"
    );
}

#[test]
fn a_trusted_policy_is_the_only_one_and_the_trees_is_named() {
    let (dir, fleet) = fleet_with_its_own_policy();
    let (own, _) = scan_json_with(&fleet, &["--fail-on", "none"]);
    assert!(
        !rules_fired(&own).contains(&"CONN-001"),
        "the tree's policy is used by default"
    );

    // The policy of the protected branch, outside the scanned folder.
    let trusted = dir.path().join("policy.toml");
    fs::write(&trusted, "[passwords]\nmin_length = 8\n").expect("write");
    let trusted_text = trusted.to_str().expect("UTF-8 path");
    let (gated, _) = scan_json_with(
        &fleet,
        &["--fail-on", "none", "--trusted-policy", trusted_text],
    );
    assert!(
        rules_fired(&gated).contains(&"CONN-001"),
        "the tree's policy is not used"
    );
    assert!(gated["policy"]["source"]
        .as_str()
        .is_some_and(|source| source.ends_with("policy.toml")));
    assert_eq!(
        gated["policy"]["changes"]["disabled"],
        serde_json::json!([])
    );
    let warnings: Vec<&str> = gated["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        warnings
            .iter()
            .any(|warning| warning.contains("fleet/drone-audit.toml")
                && warning.contains("not used")
                && warning.contains("--trusted-policy")),
        "{warnings:?}"
    );
    // A red gate stays red.
    let code = drone_audit()
        .arg("scan")
        .arg(&fleet)
        .args(["--trusted-policy", trusted_text, "--format", "json"])
        .output()
        .expect("runs")
        .status
        .code();
    assert_eq!(code, Some(1));
}

#[test]
fn a_trusted_policy_inside_the_scanned_folder_is_refused() {
    let (_dir, fleet) = fleet_with_its_own_policy();
    let output = drone_audit()
        .arg("scan")
        .arg(&fleet)
        .arg("--trusted-policy")
        .arg(fleet.join("drone-audit.toml"))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("inside the scanned folder"), "{stderr}");
    let both = drone_audit()
        .args([
            "scan",
            "samples",
            "--policy",
            "a.toml",
            "--trusted-policy",
            "b.toml",
        ])
        .output()
        .expect("runs");
    assert_eq!(
        both.status.code(),
        Some(2),
        "the two options exclude each other"
    );
}
