//! Fail-closed, for every artifact kind: a compliant device holds an artifact on which a rule
//! passes (the rule's own `passes` fixture) and a damaged artifact of the same kind. The rule
//! must then be "not assessed" naming the damaged file — never passed on the part that could
//! be read — the damaged artifact must be listed with its error, the rule's control must not
//! pass, and the exit code must say the scan was incomplete.

mod common;

use common::{artifact, find_fixture, fixture_files, rule_fixtures, scan_json};

use drone_audit::analyze::{self, ArtifactKind};
use drone_audit::rules;
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};

/// A damaged copy of `bytes`: cut short (binary formats, whose records then end early), or
/// with bytes that are not UTF-8 in the last line (text formats, which must be valid text).
fn damage(kind: ArtifactKind, bytes: &[u8]) -> Vec<u8> {
    match kind {
        ArtifactKind::Capture
        | ArtifactKind::DataflashLog
        | ArtifactKind::Tlog
        | ArtifactKind::Ulog
        | ArtifactKind::Firmware => {
            // Off any record boundary: a log cut between records is just a shorter log.
            let mut cut = bytes.to_vec();
            cut.truncate(bytes.len() * 3 / 5 + 3);
            cut
        }
        ArtifactKind::DjiFlightRecord => {
            // The details block ends the file: cut into it, and the offset no longer fits.
            let mut cut = bytes.to_vec();
            cut.truncate(bytes.len() - 7);
            cut
        }
        _ => {
            // In the last line, after the first lines, which identification reads.
            let mut spoiled = bytes.to_vec();
            let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
            let at = body
                .iter()
                .rposition(|byte| *byte == b'\n')
                .map_or(0, |end| end + 1);
            spoiled.splice(at..at, [0xff, 0xfe, 0xc3, 0x28]);
            spoiled
        }
    }
}

/// For each kind, a rule whose `passes` fixture is, or holds, a file of that kind, and that
/// needs no policy: the first such file of the first such rule, in rule order.
fn rule_per_kind() -> Vec<(ArtifactKind, String, PathBuf)> {
    let all = rules::load(None).expect("built-in rules");
    let mut chosen: Vec<(ArtifactKind, String, PathBuf)> = Vec::new();
    for rule in &all.rules {
        let dir = rule_fixtures().join(&rule.id);
        // LOG-006 and LOG-007 judge a device's logs together: a second log changes them.
        if dir.join("policy.toml").exists() || ["LOG-006", "LOG-007"].contains(&rule.id.as_str()) {
            continue;
        }
        let Some(passes) = find_fixture(&dir, "passes") else {
            continue;
        };
        let candidates = fixture_files(&passes).expect("fixture files");
        for candidate in candidates {
            let content = fs::read(&candidate).expect("fixture");
            let Some(kind) =
                analyze::identify(&candidate, &content).map(|analyzer| analyzer.kind())
            else {
                continue;
            };
            if kind != ArtifactKind::Profile
                && rule.kinds.contains(&kind)
                && !chosen.iter().any(|(known, _, _)| *known == kind)
            {
                chosen.push((kind, rule.id.clone(), candidate));
            }
        }
    }
    // The MAVLink rules' fixtures are captures; the sample quadcopter's telemetry log passes
    // CAP-008 (no SETUP_SIGNING in it).
    if !chosen
        .iter()
        .any(|(kind, _, _)| *kind == ArtifactKind::Tlog)
    {
        let tlog = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples/px4-quad/telemetry/flight-0007.tlog");
        chosen.push((ArtifactKind::Tlog, "CAP-008".to_owned(), tlog));
    }
    chosen
}

/// The result of `rule` on the only device of `report`: (status, reason of not assessed).
fn rule_result(report: &Value, rule: &str) -> (String, Option<String>, String) {
    for control in report["devices"][0]["controls"]
        .as_array()
        .expect("controls")
    {
        let status = control["status"].as_str().expect("status").to_owned();
        for result in control["rules"].as_array().into_iter().flatten() {
            if result["rule"] == rule {
                return (
                    result["status"].as_str().expect("status").to_owned(),
                    None,
                    status,
                );
            }
        }
        for group in control["not_assessed"].as_array().into_iter().flatten() {
            if group["rules"].get(rule).is_some() {
                let reason = group["reason"].as_str().map(str::to_owned);
                return ("not_assessed".to_owned(), reason, status);
            }
        }
    }
    panic!("{rule} is in the report")
}

#[test]
fn a_damaged_artifact_makes_its_rules_not_assessed_for_every_kind() {
    let chosen = rule_per_kind();
    // Every kind but the profile (tests/cli.rs covers a damaged profile) has a rule chosen, and
    // but PX4's signing key file: any bytes are one (there is nothing to damage), and one of
    // the wrong size is `well_formed: false`, on which PX4-006 is not assessed (tested below).
    assert_eq!(chosen.len(), ArtifactKind::ALL.len() - 2, "{chosen:?}");
    let mut failures = Vec::new();
    for (kind, rule, passes) in chosen {
        let fleet = tempfile::tempdir().expect("tempdir");
        let device = fleet.path().join("m2e-hq");
        fs::create_dir_all(&device).expect("mkdir");
        fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/m2e-hq/profile.toml"),
            device.join("profile.toml"),
        )
        .expect("copy");
        let extension = passes.extension().and_then(|e| e.to_str()).unwrap_or("txt");
        let content = fs::read(&passes).expect("fixture");
        fs::write(device.join(format!("good.{extension}")), &content).expect("write");
        let damaged_name = format!("damaged.{extension}");
        fs::write(device.join(&damaged_name), damage(kind, &content)).expect("write");

        let (report, code) = scan_json(fleet.path());
        let damaged = artifact(&report, &damaged_name);
        let (status, reason, control) = rule_result(&report, &rule);
        let problems: Vec<String> = [
            (!matches!(damaged["status"].as_str(), Some("error" | "partial")))
                .then(|| format!("the damaged file is {}", damaged["status"])),
            damaged["reason"]
                .as_str()
                .is_none_or(str::is_empty)
                .then(|| "no reason given".to_owned()),
            (status != "not_assessed").then(|| format!("{rule} is {status}")),
            (!reason
                .as_deref()
                .is_some_and(|reason| reason.contains(&damaged_name)))
            .then(|| format!("the reason does not name the file: {reason:?}")),
            (control == "pass").then(|| "its control passes".to_owned()),
            (code == 0).then(|| "exit code 0".to_owned()),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !problems.is_empty() {
            failures.push(format!("{kind} ({rule}): {}", problems.join("; ")));
        }
        if report["findings"].as_array().is_some_and(Vec::is_empty) && code != 3 {
            failures.push(format!(
                "{kind} ({rule}): exit code {code}, not 3 (incomplete)"
            ));
        }
    }
    assert!(failures.is_empty(), "fail-open:\n{}", failures.join("\n"));
}

/// A misspelt key in a profile drops the fact its rule reads: `local_data_mod = false` used
/// to leave CONN-001 out silently (a warning at the end, exit code unchanged). The profile
/// is now `partial`, naming the key, its line and the key it resembles; CONN-001 is not
/// assessed, and the scan is incomplete.
#[test]
fn a_misspelt_profile_key_makes_the_profile_partial_with_a_suggestion() {
    let fires = fs::read_to_string(rule_fixtures().join("CONN-001/fires.toml")).expect("fixture");
    let misspelt = fires.replace("local_data_mode = false", "local_data_mod = false");
    assert_ne!(fires, misspelt);
    let line = misspelt
        .lines()
        .position(|line| line.starts_with("local_data_mod "))
        .expect("the misspelt line")
        + 1;
    let fleet = tempfile::tempdir().expect("tempdir");
    let device = fleet.path().join("m2e");
    fs::create_dir_all(&device).expect("mkdir");
    fs::write(device.join("profile.toml"), misspelt).expect("write");

    let (report, code) = scan_json(fleet.path());
    let profile = artifact(&report, "m2e/profile.toml");
    assert_eq!(profile["status"], "partial", "{profile}");
    let reason = profile["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains(&format!("(line {line}; did you mean `local_data_mode`?)")),
        "{reason}"
    );
    let (status, _, _) = rule_result(&report, "CONN-001");
    assert_eq!(status, "not_assessed");
    assert_eq!(code, 3, "the scan is incomplete");
}

#[test]
fn a_signing_key_file_of_the_wrong_size_is_not_assessed() {
    let fleet = tempfile::tempdir().expect("tempdir");
    let card = fleet.path().join("px4-quad").join("mavlink");
    fs::create_dir_all(&card).expect("mkdir");
    // 39 bytes: PX4 would ignore it, and it may still be a key written by another tool.
    fs::write(card.join("mavlink-signing-key.bin"), [0x42; 39]).expect("key file");
    let (report, _) = scan_json(fleet.path());
    let record = artifact(&report, "mavlink-signing-key.bin");
    assert_eq!(record["kind"], "mavlink-signing-key", "{record}");
    assert!(
        record["warnings"][0]
            .as_str()
            .is_some_and(|warning| warning.contains("39 bytes")),
        "{record}"
    );
    let (status, reason, _) = rule_result(&report, "PX4-006");
    assert_eq!(status, "not_assessed", "{report}");
    assert!(reason.is_some_and(|reason| reason.contains("well_formed")));
}
