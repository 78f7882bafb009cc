//! A scan makes the `parameters` map of parameter files and flight logs with only the
//! parameters its rules can read (`rules::reads`, `analyze::parameters::scope`). The findings,
//! scores and results must be those of the whole evidence: every folder of the rule fixtures,
//! the samples and the real-artifact corpus that holds such a file is scanned as one device
//! both ways, with every built-in rule, and the device's report and findings compared.

mod common;

use common::{corpus, rule_fixtures};
use drone_audit::analyze;
use drone_audit::analyze::parameters::{scope, ParameterScope};
use drone_audit::discover::DeviceInfo;
use drone_audit::policy::Policy;
use drone_audit::rules::{self, reads};
use drone_audit::scan::{analyze_file, DeviceScanner, Limits};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every file under `root`, by the folder it is in.
fn files_by_folder(root: &Path, folders: &mut BTreeMap<PathBuf, Vec<PathBuf>>) {
    for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
        let entry = entry.expect("a readable tree");
        if entry.file_type().is_file() {
            let folder = entry.path().parent().expect("a folder").to_owned();
            folders
                .entry(folder)
                .or_default()
                .push(entry.path().to_owned());
        }
    }
}

/// Whether the scan would analyze `path` as a kind that holds parameters.
fn holds_parameters(path: &Path) -> bool {
    let content = std::fs::read(path).unwrap_or_default();
    analyze::identify(path, &content)
        .map(|analyzer| analyzer.kind())
        .or_else(|| analyze::kind_named(path))
        .is_some_and(|kind| scope::KINDS.contains(&kind))
}

#[test]
fn findings_on_the_parameters_the_rules_read_are_those_on_every_parameter() {
    let rules = rules::load(None).expect("built-in rules");
    let scope = reads::parameter_scope(&rules.rules);
    assert!(
        matches!(scope, ParameterScope::Only { .. }),
        "the built-in rules read every parameter"
    );
    let policy = Policy::default();
    let scanner = DeviceScanner::new(&rules, &policy, Limits::default());
    let mut folders = BTreeMap::new();
    files_by_folder(&rule_fixtures(), &mut folders);
    files_by_folder(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("samples"),
        &mut folders,
    );
    if let Some(corpus) = corpus("") {
        files_by_folder(&corpus, &mut folders);
    }
    let mut compared = 0;
    let mut findings = 0;
    for (folder, files) in &folders {
        if !files.iter().any(|file| holds_parameters(file)) {
            continue;
        }
        let device = DeviceInfo {
            id: folder.display().to_string(),
            ..DeviceInfo::default()
        };
        let scanned = |parameters: &ParameterScope| {
            let analyzed = files
                .iter()
                .map(|file| analyze_file(file, None, &policy, Limits::default(), parameters))
                .collect();
            let device = scanner.evaluate(&device, analyzed);
            (
                serde_json::to_string(&device.report).expect("a report"),
                serde_json::to_string(&device.findings).expect("findings"),
            )
        };
        let (whole_report, whole_findings) = scanned(&ParameterScope::All);
        let (cut_report, cut_findings) = scanned(&scope);
        assert_eq!(whole_findings, cut_findings, "{}", folder.display());
        assert_eq!(whole_report, cut_report, "{}", folder.display());
        compared += 1;
        findings += whole_findings.matches("\"rule\":").count();
    }
    // The fixtures, samples and corpus have 36 such folders, with 87 findings (2026-12-04).
    assert!(compared >= 30, "{compared} folders compared");
    assert!(findings >= 40, "{findings} findings compared");
}
