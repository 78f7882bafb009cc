//! End-to-end tests of `drone-audit compare`: candidates side by side per control, judged by
//! one policy, in every format.

mod common;

use common::{copy_folder, drone_audit};
use serde_json::Value;
use std::fs;
use std::path::Path;

fn compare_json(args: &[&str]) -> (Value, i32) {
    let output = drone_audit()
        .arg("compare")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    let comparison = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "invalid JSON ({error}): {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (comparison, output.status.code().expect("exit code"))
}

fn candidate<'a>(comparison: &'a Value, name: &str) -> &'a Value {
    comparison["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .find(|candidate| candidate["name"] == name)
        .unwrap_or_else(|| panic!("candidate {name} in {comparison}"))
}

fn control<'a>(candidate: &'a Value, control: &str) -> &'a Value {
    candidate["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|result| result["control"] == control)
        .unwrap_or_else(|| panic!("control {control} in {candidate}"))
}

#[test]
fn candidates_are_set_side_by_side_per_control() {
    let (comparison, code) = compare_json(&[
        "samples/m2e-hq",
        "samples/px4-quad",
        "samples/anafi-thermal",
    ]);
    assert_eq!(code, 0, "a comparison is not a gate");
    let names: Vec<&str> = comparison["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .map(|candidate| candidate["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        ["m2e-hq", "px4-quad", "anafi-thermal"],
        "order given"
    );

    let hq = candidate(&comparison, "m2e-hq");
    assert_eq!(hq["grade"], "A");
    for result in hq["controls"].as_array().expect("controls") {
        assert_eq!(result["status"], "pass", "{result}");
    }

    // The quad's companion computer lets root log in with a password, and its shadow file
    // holds the Raspberry Pi default: both count against the candidate's authentication.
    let quad = candidate(&comparison, "px4-quad");
    let authentication = control(quad, "authentication");
    assert_eq!(authentication["status"], "fail");
    let failed: Vec<&str> = authentication["failed_rules"]
        .as_array()
        .expect("failed rules")
        .iter()
        .map(|rule| rule.as_str().expect("id"))
        .collect();
    assert!(failed.contains(&"SSH-001"), "{failed:?}");
    assert!(failed.contains(&"ACCT-003"), "{failed:?}");
    assert_eq!(quad["grade"], "F", "critical findings cap the grade");

    let anafi = candidate(&comparison, "anafi-thermal");
    assert_eq!(control(anafi, "removable-media")["status"], "fail");
}

#[test]
fn a_candidate_without_evidence_is_not_assessed_with_the_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let vendor = dir.path().join("vendor-x");
    fs::create_dir_all(&vendor).expect("mkdir");
    fs::write(vendor.join("brochure.txt"), "Military-grade encryption!\n").expect("write");
    let (comparison, code) = compare_json(&["samples/m2e-hq", vendor.to_str().expect("UTF-8")]);
    assert_eq!(code, 0);
    let brochure = candidate(&comparison, "vendor-x");
    assert_eq!(brochure["grade"], "n/a");
    let encryption = control(brochure, "encryption");
    assert_eq!(encryption["status"], "not-assessed");
    assert!(
        encryption["not_assessed_because"]
            .as_array()
            .expect("reasons")
            .iter()
            .any(|reason| reason == "no profile artifact"),
        "{encryption}"
    );
}

/// A candidate's own drone-audit.toml must not soften how it is judged: every candidate is
/// held to the policy given on the command line (or the defaults).
#[test]
fn a_policy_inside_a_candidate_folder_is_ignored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let honest = dir.path().join("honest");
    let lenient = dir.path().join("lenient");
    copy_folder(&root.join("samples/anafi-thermal"), &honest);
    copy_folder(&root.join("samples/anafi-thermal"), &lenient);
    fs::write(
        lenient.join("drone-audit.toml"),
        "[rules]\ndisable = [\"RM-001\", \"RM-002\", \"RM-003\"]\n",
    )
    .expect("write");
    let (comparison, _) = compare_json(&[
        honest.to_str().expect("UTF-8"),
        lenient.to_str().expect("UTF-8"),
    ]);
    let honest = candidate(&comparison, "honest");
    let lenient = candidate(&comparison, "lenient");
    assert_eq!(control(lenient, "removable-media")["status"], "fail");
    assert_eq!(honest["score"], lenient["score"]);
    assert_eq!(honest["controls"], lenient["controls"]);
}

#[test]
fn candidates_with_the_same_folder_name_keep_their_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for vendor in ["vendor-a", "vendor-b"] {
        copy_folder(
            &root.join("samples/m2e-hq"),
            &dir.path().join(vendor).join("m30"),
        );
    }
    let a = dir.path().join("vendor-a/m30");
    let b = dir.path().join("vendor-b/m30");
    let (comparison, _) = compare_json(&[a.to_str().expect("UTF-8"), b.to_str().expect("UTF-8")]);
    let names: Vec<&str> = comparison["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .map(|candidate| candidate["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names.len(), 2);
    assert_ne!(names[0], names[1], "{names:?}");
    assert!(names[0].ends_with("vendor-a/m30"), "{names:?}");
}

#[test]
fn table_markdown_and_html_show_the_same_verdicts() {
    let args = ["compare", "samples/m2e-hq", "samples/px4-quad"];
    let table = drone_audit().args(args).output().expect("runs");
    let table = String::from_utf8(table.stdout).expect("UTF-8");
    assert!(table.contains(
        "Ranking (grade, then score, then coverage; provisional grades after the others): px4-quad (F) > m2e-hq (A*)"
    ));
    assert!(table.contains("FAIL"));
    assert!(!table.contains('\u{1b}'), "no colour off a terminal");

    let markdown = drone_audit()
        .args(args)
        .args(["--format", "markdown"])
        .output()
        .expect("runs");
    let markdown = String::from_utf8(markdown.stdout).expect("UTF-8");
    assert!(markdown.contains("| | m2e-hq | px4-quad |"), "{markdown}");
    assert!(markdown.contains("| authentication | ✅ pass (100.0) | ❌ FAIL"));

    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("compare.html");
    drone_audit()
        .args(args)
        .args(["--format", "html", "--output"])
        .arg(&page)
        .assert()
        .success()
        .stdout("");
    let html = fs::read_to_string(&page).expect("page written");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg"), "scores drawn inline");
    assert!(!html.contains("<script"), "no scripts");
    assert!(!html.contains("src=\"http"), "no external assets");
    assert!(html.contains("status fail"));
}

#[test]
fn a_candidate_that_is_not_a_folder_is_a_usage_error() {
    drone_audit()
        .args(["compare", "samples/m2e-hq", "samples/m2e-hq/profile.toml"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "samples/m2e-hq/profile.toml: a candidate must be a folder",
        ));
}

/// Issue #18 item 5: a candidate folder is discovered as `scan` discovers a device. The
/// plane's folder holds `APM/`, `companion/` and `firmware/`: they are parts of one drone,
/// not three devices, so `compare` must score it as `scan samples/` scores it.
#[test]
fn a_candidate_is_one_device_as_scan_discovers_it() {
    let policy = "samples/drone-audit.toml";
    let (report, _) = common::scan_json_with(Path::new("samples"), &["--policy", policy]);
    let (comparison, _) = compare_json(&[
        "samples/ardupilot-plane",
        "samples/m2e-field",
        "--policy",
        policy,
    ]);
    for name in ["ardupilot-plane", "m2e-field"] {
        let device = report["devices"]
            .as_array()
            .expect("devices")
            .iter()
            .find(|device| device["id"] == name)
            .expect("device in the scan");
        let candidate = candidate(&comparison, name);
        assert_eq!(candidate["devices"], 1, "{name}: one device");
        for field in ["score", "grade", "coverage"] {
            assert_eq!(candidate[field], device[field], "{name}: {field}");
        }
    }
}

/// A candidate that is a fleet (only device subfolders at its top, or a `fleet.toml`) keeps
/// its devices.
#[test]
fn a_candidate_fleet_keeps_its_devices() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fleet = dir.path().join("vendor-fleet");
    copy_folder(&root.join("samples/m2e-hq"), &fleet.join("hq"));
    copy_folder(&root.join("samples/anafi-thermal"), &fleet.join("anafi"));
    let inventoried = dir.path().join("inventoried");
    copy_folder(&root.join("samples/m2e-hq"), &inventoried);
    fs::write(
        inventoried.join("fleet.toml"),
        "[[device]]\nid = \"hq-1\"\npaths = [\"profile.toml\"]\n[[device]]\nid = \"hq-2\"\npaths = [\"ground-station.pcap\"]\n",
    )
    .expect("write");
    let (comparison, _) = compare_json(&[
        fleet.to_str().expect("UTF-8"),
        inventoried.to_str().expect("UTF-8"),
    ]);
    assert_eq!(candidate(&comparison, "vendor-fleet")["devices"], 2);
    assert_eq!(candidate(&comparison, "inventoried")["devices"], 2);
}

/// `compare samples/*` names the fleet's policy file beside the drones' folders: it is left
/// out with a note, not refused as a candidate that is not a folder.
#[test]
fn a_policy_file_among_the_candidates_is_left_out_with_a_note() {
    let output = drone_audit()
        .args([
            "compare",
            "samples/drone-audit.toml",
            "samples/m2e-hq",
            "samples/px4-quad",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("samples/drone-audit.toml: a policy file, not a candidate: left out"),
        "{stderr}"
    );
    let comparison: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let names: Vec<&str> = comparison["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .filter_map(|candidate| candidate["name"].as_str())
        .collect();
    assert_eq!(names, ["m2e-hq", "px4-quad"]);
}

/// m2e-hq is A over about a quarter of the rules in force (a profile and a capture);
/// ardupilot-plane is C over two thirds. The provisional A ranks after the C in every format,
/// which says why; the JSON marks the grade provisional and gives each candidate's rank.
#[test]
fn a_provisional_grade_ranks_after_grades_on_enough_evidence_and_says_so() {
    let args = ["samples/m2e-hq", "samples/ardupilot-plane"];
    let (comparison, _) = compare_json(&args);
    let m2e = candidate(&comparison, "m2e-hq");
    let plane = candidate(&comparison, "ardupilot-plane");
    assert_eq!(m2e["grade"], "A");
    assert_eq!(m2e["provisional"], true, "{m2e}");
    assert!(m2e["coverage"].as_f64().expect("coverage") < 50.0);
    assert_eq!(plane["grade"], "C");
    assert_eq!(plane["provisional"], false, "{plane}");
    assert_eq!(plane["rank"], 1);
    assert_eq!(m2e["rank"], 2);

    let why =
        "m2e-hq ranks after ardupilot-plane (C) although its grade A is better: it is provisional";
    let table = drone_audit()
        .arg("compare")
        .args(args)
        .output()
        .expect("runs");
    let table = String::from_utf8(table.stdout).expect("UTF-8");
    assert!(
        table.contains("provisional grades after the others): ardupilot-plane (C) > m2e-hq (A*)"),
        "{table}"
    );
    assert!(table.contains(why), "{table}");

    let markdown = drone_audit()
        .arg("compare")
        .args(args)
        .args(["--format", "markdown"])
        .output()
        .expect("runs");
    let markdown = String::from_utf8(markdown.stdout).expect("UTF-8");
    assert!(
        markdown.contains("ardupilot-plane (C) > m2e-hq (A\\*)"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| **Grade** | **A\\*** | **C** |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("although its grade A is better"),
        "{markdown}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("compare.html");
    drone_audit()
        .arg("compare")
        .args(args)
        .args(["--format", "html", "--output"])
        .arg(&page)
        .assert()
        .success();
    let html = fs::read_to_string(&page).expect("page");
    let chart = &html[html.find("<svg").expect("chart")..html.find("</svg>").expect("end")];
    let plane_bar = chart
        .find(">ardupilot-plane<")
        .expect("a bar for ardupilot-plane");
    let m2e_bar = chart.find(">m2e-hq<").expect("a bar for m2e-hq");
    assert!(plane_bar < m2e_bar, "the C's bar comes first: {chart}");
    assert!(chart.contains("grade A (coverage "), "{chart}");
    assert!(chart.contains("%, provisional)"), "{chart}");
    assert!(html.contains(why), "the page says why");
}
