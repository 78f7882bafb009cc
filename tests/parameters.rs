//! A device's parameter files as one configuration, on ArduPilot Methodic Configurator's
//! Tarot X4 (`methodic-tarot-x4/` of SOURCES.md): `00_default.param` sets LOG_DISARMED 0 (line
//! 648), `02_imu_temperature_calibration_setup.param` sets it to 1 for the calibration and
//! `04_imu_temperature_calibration_finish.param` back to 0. Applied in order, the vehicle does
//! not log while disarmed: APM-009 must not fire on the setup file, and every finding on a
//! parameter is reported once, at the file and line that set its final value.

mod common;

use common::corpus;
use drone_audit::analyze::{self, parameters, ArtifactKind, Evidence};
use drone_audit::rules;
use drone_audit::rules::engine::{evaluate, Outcome};
use std::path::PathBuf;

const FILES: [&str; 5] = [
    "00_default.param",
    "02_imu_temperature_calibration_setup.param",
    "04_imu_temperature_calibration_finish.param",
    "06_remote_controller_receiver.param",
    "08_telemetry.param",
];

/// The Tarot's files, analyzed, with their paths; None without the corpus.
fn tarot() -> Option<Vec<(String, Evidence)>> {
    let mut files = Vec::new();
    for name in FILES {
        let path: PathBuf = corpus(&format!("methodic-tarot-x4/{name}"))?;
        let content = std::fs::read(&path).expect("read");
        let analyzer = analyze::identify(&path, &content).expect("identified");
        assert_eq!(analyzer.kind(), ArtifactKind::ArdupilotParams, "{name}");
        files.push((
            name.to_owned(),
            analyzer.analyze(&content).expect("analyzes"),
        ));
    }
    Some(files)
}

/// `(file, line, rule)` of every finding of the ArduPilot rules on the files.
fn findings(files: &[(String, Evidence)]) -> Vec<(String, u32, String)> {
    let rules = rules::load(None).expect("rules");
    let mut found = Vec::new();
    for rule in rules
        .rules
        .iter()
        .filter(|rule| rule.kinds.contains(&ArtifactKind::ArdupilotParams))
    {
        for (name, evidence) in files {
            if let Outcome::Assessed(matches) = evaluate(rule, evidence) {
                for found_match in matches {
                    found.push((
                        name.clone(),
                        found_match.location.line.unwrap_or(0),
                        rule.id.clone(),
                    ));
                }
            }
        }
    }
    found.sort();
    found
}

#[test]
fn the_tarots_files_apply_in_order_and_are_judged_by_their_final_values() {
    let Some(mut files) = tarot() else {
        return;
    };
    // Each file alone: the setup file logs while disarmed.
    let alone = findings(&files);
    assert!(
        alone.contains(&(FILES[1].to_owned(), 9, "APM-009".to_owned())),
        "{alone:?}"
    );
    // Given in reverse: the order comes from the numbers in the names.
    parameters::apply_in_order(
        files
            .iter_mut()
            .rev()
            .map(|(name, evidence)| (name.as_str(), Some(evidence.kind), Some(evidence))),
    );
    let log_disarmed = |index: usize| &files[index].1.document["parameters"]["LOG_DISARMED"];
    assert_eq!(log_disarmed(0)["line"], 648);
    assert_eq!(
        log_disarmed(0)["superseded_by"],
        "04_imu_temperature_calibration_finish.param:2"
    );
    assert_eq!(
        log_disarmed(1)["superseded_by"],
        "04_imu_temperature_calibration_finish.param:2"
    );
    assert!(log_disarmed(2).get("superseded_by").is_none());
    assert_eq!(log_disarmed(2)["value"], 0);
    let merged = findings(&files);
    assert!(
        !merged.iter().any(|(_, _, rule)| rule == "APM-009"),
        "LOG_DISARMED ends at 0: {merged:?}"
    );
    // No finding is left on a value that a later file sets again, and no parameter's finding
    // is reported twice.
    for (name, line, rule) in &merged {
        let (_, evidence) = files.iter().find(|(file, _)| file == name).expect("file");
        let superseded = evidence.document["parameters"]
            .as_object()
            .expect("parameters")
            .values()
            .any(|node| node["line"] == *line && node.get("superseded_by").is_some());
        assert!(!superseded, "{rule} at {name}:{line}");
    }
    for (index, file) in files.iter().enumerate() {
        assert_eq!(file.1.document["configuration"]["position"], index + 1);
    }
}

/// The scan applies the files in order too: scanned as one device, the Tarot has no APM-009
/// (the setup file's LOG_DISARMED 1 is superseded) and no finding on a superseded value.
#[test]
fn a_scan_of_the_vehicle_judges_its_final_configuration() {
    let Some(folder) = corpus("methodic-tarot-x4") else {
        return;
    };
    let (report, _) = common::scan_json_with(&folder, &["--fail-on", "none"]);
    let findings = report["findings"].as_array().expect("findings");
    assert!(!findings.is_empty(), "the default file has findings");
    for finding in findings {
        assert_ne!(finding["rule"], "APM-009", "{finding}");
        let artifact = finding["artifact"].as_str().expect("artifact");
        assert!(
            !artifact.ends_with("02_imu_temperature_calibration_setup.param"),
            "{finding}"
        );
    }
}
