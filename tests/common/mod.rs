//! Helpers shared by the integration tests. Each test file uses some of them.
#![allow(dead_code)]

mod report_schema;
pub use report_schema::assert_valid_report;

use assert_cmd::Command;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

/// The drone-audit binary, run from the crate root, without colour.
pub fn drone_audit() -> Command {
    let mut command = Command::cargo_bin("drone-audit").expect("binary built");
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    command
}

// The corpus and the oracle tools: a test that needs one fails under CI when it is missing,
// and skips, saying so, only on a developer's machine (src/test_prerequisites.rs).
#[path = "../../src/test_prerequisites.rs"]
mod test_prerequisites;
#[allow(unused_imports)] // each test file uses some of them
pub use test_prerequisites::{
    corpus, find_tool, oracle, python_module, required, shared, REQUIRE_VARIABLE,
};

/// Copies a folder tree (tests build fleets from the samples).
pub fn copy_folder(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// The artifact of a JSON report whose path ends with `suffix`.
pub fn artifact<'a>(report: &'a Value, suffix: &str) -> &'a Value {
    report["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .find(|artifact| {
            artifact["path"]
                .as_str()
                .is_some_and(|path| path.ends_with(suffix))
        })
        .unwrap_or_else(|| panic!("{suffix} listed in the report"))
}

/// The rule ids of a JSON report's findings on `artifact`, in report order.
pub fn rules_fired(report: &Value, artifact: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|finding| finding["artifact"] == artifact)
        .map(|finding| finding["rule"].as_str().expect("rule").to_owned())
        .collect()
}

/// What `drone-audit inspect` prints for `path`, and its exit code.
pub fn inspect(path: &Path) -> (Value, i32) {
    let output = drone_audit()
        .arg("inspect")
        .arg(path)
        .output()
        .expect("runs");
    let inspected: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "invalid JSON ({error}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (inspected, output.status.code().expect("exit code"))
}

/// The JSON report of `drone-audit scan folder`, and its exit code; a scan that hangs on a
/// hostile file fails the test after a minute instead of stalling the suite.
pub fn scan_json(folder: &Path) -> (Value, i32) {
    scan_json_with(folder, &[])
}

/// [`scan_json`] with more arguments (limits, say).
pub fn scan_json_with(folder: &Path, arguments: &[&str]) -> (Value, i32) {
    let output = drone_audit()
        .arg("scan")
        .arg(folder)
        .args(["--format", "json"])
        .args(arguments)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "invalid JSON ({error}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_valid_report(&report);
    (report, output.status.code().expect("exit code"))
}

/// The folder of the rules' fixtures: `tests/fixtures/rules/<RULE-ID>/`.
pub fn rule_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

/// The fixture in `dir` named `stem` (`fires`, `passes`) with any extension, or a folder of
/// that name; the first by path when there are several.
pub fn find_fixture(dir: &Path, stem: &str) -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.file_stem().is_some_and(|name| name == stem))
        .collect();
    candidates.sort();
    candidates.into_iter().next()
}

/// The files of a fixture, sorted: the file itself, or every file under the folder.
pub fn fixture_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    fn walk(path: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
        if !path.is_dir() {
            files.push(path.to_path_buf());
            return Ok(());
        }
        for entry in fs::read_dir(path).map_err(|error| error.to_string())? {
            walk(&entry.map_err(|error| error.to_string())?.path(), files)?;
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(path, &mut files)?;
    files.sort();
    Ok(files)
}

/// Asserts an artifact record's status and that its reason says `reason_part`.
pub fn assert_status(record: &Value, status: &str, reason_part: &str) {
    assert_eq!(record["status"], status, "{record}");
    let reason = record["reason"].as_str().unwrap_or_default();
    assert!(reason.contains(reason_part), "{record}");
}

/// `base`'s devices copied `copies` times under new ids (`ID-0000`, `ID-0001`…), with their
/// findings and unreadable artifacts, summarised as a scan would: a large fleet made from a
/// small report.
pub fn copies_of(base: &drone_audit::report::Report, copies: usize) -> drone_audit::report::Report {
    let mut report = base.clone();
    report.devices.clear();
    report.findings.clear();
    report.artifacts.clear();
    for copy in 0..copies {
        let rename = |id: &str| format!("{id}-{copy:04}");
        for device in &base.devices {
            let mut device = device.clone();
            device.info.id = rename(&device.info.id);
            report.devices.push(device);
        }
        for finding in &base.findings {
            let mut finding = finding.clone();
            finding.device = rename(&finding.device);
            report.findings.push(finding);
        }
        for artifact in &base.artifacts {
            let mut artifact = artifact.clone();
            artifact.device = artifact.device.as_deref().map(rename);
            report.artifacts.push(artifact);
        }
    }
    report.summary = drone_audit::report::assemble::summarize(
        &report.devices,
        &report.findings,
        &report.artifacts,
    );
    report
}
