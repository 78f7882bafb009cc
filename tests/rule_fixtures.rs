//! Every rule has a fixture that must fire and one that must not, under
//! `tests/fixtures/rules/<RULE-ID>/`:
//!
//! - `fires.<ext>`: an artifact on which the rule selects at least one node. The findings it
//!   renders (`line N: message`, `packet N: …` or `offset N: …`, one a line, after the
//!   container chain inside an image) must equal `expected.txt` beside it, so a change
//!   of wording or location shows up in review. `UPDATE_EXPECTED=1 cargo test` rewrites them.
//! - `passes.<ext>`: an artifact on which the rule is assessed (its `requires` matches) and
//!   selects nothing: a "not assessed" would prove nothing.
//! - `policy.toml` (optional): the policy both are scanned under; defaults otherwise.
//!
//! A fixture may be a folder (`fires/`, `passes/`): the artifacts of one device, for rules that
//! judge a device's artifacts together (several flight logs kept on one device).

mod common;

use common::{find_fixture, fixture_files, rule_fixtures};
use drone_audit::discover::DeviceInfo;
use drone_audit::policy::Policy;
use drone_audit::report::{ArtifactStatus, Finding};
use drone_audit::rules::{self, Rule, RuleSet};
use drone_audit::scan::{DeviceScanner, Limits, NoProgress, ScanOptions, ScannedDevice};
use drone_audit::score::RuleStatus;
use std::fs;
use std::path::Path;

/// A fixture (one file, or the files of a fixture folder) scanned as the scan scans one device,
/// with the rule alone in force. A single file must be of a kind the rule reads (the other
/// files of a fixture folder are the device's context, a profile say), and every file must be
/// identified and analyzed.
fn scan_fixture(path: &Path, rule: &Rule, policy: &Policy) -> Result<ScannedDevice, String> {
    let files = fixture_files(path)?;
    let rules = RuleSet {
        rules: vec![rule.clone()],
        digest: String::new(),
    };
    let device = DeviceInfo {
        id: rule.id.clone(),
        ..DeviceInfo::default()
    };
    let scanned =
        DeviceScanner::new(&rules, policy, Limits::default()).scan(&device, &files, &NoProgress);
    for record in &scanned.records {
        if !matches!(
            record.status,
            ArtifactStatus::Assessed | ArtifactStatus::Partial
        ) {
            return Err(format!(
                "{} is not analyzed: {}",
                record.path,
                record.reason.as_deref().unwrap_or("no reason")
            ));
        }
    }
    let of_the_rule = |record: &&drone_audit::report::ArtifactRecord| {
        record.kind.is_some_and(|kind| rule.kinds.contains(&kind))
    };
    let single = !path.is_dir();
    if let Some(other) = scanned
        .records
        .iter()
        .find(|record| single && !of_the_rule(record))
    {
        return Err(format!(
            "{} is a {:?}, but {} applies to {:?}",
            other.path, other.kind, rule.id, rule.kinds
        ));
    }
    if !scanned.records.iter().any(|record| of_the_rule(&record)) {
        return Err(format!(
            "{} holds no {:?} artifact for {}",
            path.display(),
            rule.kinds,
            rule.id
        ));
    }
    Ok(scanned)
}

/// The rule's status on a scanned fixture.
fn rule_status(scanned: &ScannedDevice, rule: &Rule) -> (RuleStatus, String) {
    scanned
        .report
        .controls
        .iter()
        .flat_map(|control| &control.rules)
        .find(|result| *result.rule == *rule.id)
        .map(|result| {
            (
                result.status,
                result.reason.as_deref().unwrap_or_default().to_owned(),
            )
        })
        .unwrap_or((RuleStatus::NotAssessed, "not in the report".to_owned()))
}

/// A finding as expected.txt renders it: after the container chain inside an image, its
/// packet, line or offset and its message.
fn render(finding: &Finding) -> String {
    let location = &finding.location;
    let container = location
        .container
        .as_ref()
        .map(|container| format!("{container}: "))
        .unwrap_or_default();
    container
        + &match (location.packet, location.line, location.offset) {
            (Some(packet), _, _) => format!("packet {packet}: {}\n", finding.message),
            (None, Some(line), _) => format!("line {line}: {}\n", finding.message),
            (None, None, Some(offset)) => format!("offset {offset}: {}\n", finding.message),
            (None, None, None) => format!("line ?: {}\n", finding.message),
        }
}

/// The fleet stage's rule: `fires/` and `passes/` are fleets (a folder per device), scanned
/// whole with the built-in rules (and `policy.toml` beside them, if any). `fires/` must give
/// the findings of expected.txt; on `passes/`, every device must pass the rule.
fn check_fleet_rule(rule: &Rule, dir: &Path) -> Result<(), String> {
    let policy = dir.join("policy.toml");
    let scan = |fleet: &str| {
        drone_audit::scan::scan(&ScanOptions {
            paths: vec![dir.join(fleet)],
            policy: policy.exists().then(|| policy.clone()),
            ..ScanOptions::default()
        })
        .map_err(|error| format!("{}: {error}", rule.id))
    };
    let fired = scan("fires")?;
    let rendered: String = fired
        .findings
        .iter()
        .filter(|finding| finding.rule == rule.id)
        .map(render)
        .collect::<String>()
        // Paths relative to the fixture folder, whatever the checkout's place.
        .replace(&format!("{}/", dir.display()), "");
    if rendered.is_empty() {
        return Err(format!("{}: fires/ must fire", rule.id));
    }
    let expected_path = dir.join("expected.txt");
    if std::env::var_os("UPDATE_EXPECTED").is_some() {
        fs::write(&expected_path, &rendered).map_err(|error| error.to_string())?;
    }
    let expected = fs::read_to_string(&expected_path)
        .map_err(|_| format!("{}: no expected.txt (run with UPDATE_EXPECTED=1)", rule.id))?;
    if expected != rendered {
        return Err(format!(
            "{}: findings changed\n--- expected.txt\n{expected}--- now\n{rendered}",
            rule.id
        ));
    }
    let passed = scan("passes")?;
    let statuses: Vec<RuleStatus> = passed
        .devices
        .iter()
        .flat_map(|device| &device.controls)
        .flat_map(|control| &control.rules)
        .filter(|result| *result.rule == *rule.id)
        .map(|result| result.status)
        .collect();
    if statuses.len() < 2 || statuses.iter().any(|status| *status != RuleStatus::Passed) {
        return Err(format!(
            "{}: every device of passes/ must pass, got {statuses:?}",
            rule.id
        ));
    }
    Ok(())
}

fn check_rule(rule: &Rule, all_rules: &RuleSet) -> Result<(), String> {
    let dir = rule_fixtures().join(&rule.id);
    if rule.id == drone_audit::shared_secrets::RULE_ID {
        return check_fleet_rule(rule, &dir);
    }
    let policy = match dir.join("policy.toml") {
        path if path.exists() => {
            let text = fs::read_to_string(&path).map_err(|error| error.to_string())?;
            Policy::parse(&text, all_rules)
                .map_err(|errors| format!("{}: {errors:?}", path.display()))?
        }
        _ => Policy::default(),
    };
    let fires =
        find_fixture(&dir, "fires").ok_or_else(|| format!("{}: no fires.* fixture", rule.id))?;
    let passes =
        find_fixture(&dir, "passes").ok_or_else(|| format!("{}: no passes.* fixture", rule.id))?;

    let fired = scan_fixture(&fires, rule, &policy)?;
    let findings: Vec<&Finding> = fired.findings.iter().flatten().collect();
    if findings.is_empty() {
        let (status, reason) = rule_status(&fired, rule);
        return Err(format!(
            "{}: {} must fire, got {status:?} {reason}",
            rule.id,
            fires.display()
        ));
    }
    let rendered: String = findings.into_iter().map(render).collect();
    let expected_path = dir.join("expected.txt");
    if std::env::var_os("UPDATE_EXPECTED").is_some() {
        fs::write(&expected_path, &rendered).map_err(|error| error.to_string())?;
    }
    let expected = fs::read_to_string(&expected_path)
        .map_err(|_| format!("{}: no expected.txt (run with UPDATE_EXPECTED=1)", rule.id))?;
    if expected != rendered {
        return Err(format!(
            "{}: findings changed\n--- expected.txt\n{expected}--- now\n{rendered}",
            rule.id
        ));
    }

    let passed = scan_fixture(&passes, rule, &policy)?;
    match rule_status(&passed, rule) {
        (RuleStatus::Passed, _) => Ok(()),
        (RuleStatus::Failed | RuleStatus::Waived, _) => Err(format!(
            "{}: {} must not fire, but found {:?}",
            rule.id,
            passes.display(),
            passed
                .findings
                .iter()
                .flatten()
                .map(render)
                .collect::<Vec<_>>()
        )),
        (RuleStatus::NotAssessed, reason) => Err(format!(
            "{}: {} must be assessed, but is not: {reason}",
            rule.id,
            passes.display()
        )),
    }
}

#[test]
fn every_rule_fires_on_its_fixture_and_passes_on_the_other() {
    let all_rules = rules::load(None).expect("built-in rules load");
    let failures: Vec<String> = all_rules
        .rules
        .iter()
        .filter_map(|rule| check_rule(rule, &all_rules).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} rules fail their fixtures:\n{}",
        failures.len(),
        all_rules.rules.len(),
        failures.join("\n")
    );
}

#[test]
fn every_fixture_folder_belongs_to_a_rule() {
    let all_rules = rules::load(None).expect("built-in rules load");
    for entry in fs::read_dir(rule_fixtures()).expect("fixtures folder") {
        let name = entry
            .expect("entry")
            .file_name()
            .into_string()
            .expect("UTF-8 name");
        assert!(
            all_rules.get(&name).is_some(),
            "tests/fixtures/rules/{name} has no rule"
        );
    }
}
