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
use drone_audit::analyze::{self, Evidence};
use drone_audit::policy::Policy;
use drone_audit::rules::engine::{evaluate, Outcome};
use drone_audit::rules::{self, Rule, RuleSet};
use drone_audit::scan::{annotate_device, DeviceArtifact};
use std::fs;
use std::path::Path;

/// The evidence of one fixture file; `of_the_rule` requires it to be of a kind the rule reads
/// (the other files of a fixture folder are the device's context, a profile say).
fn evidence_of(
    path: &Path,
    rule: &Rule,
    policy: &Policy,
    of_the_rule: bool,
) -> Result<Evidence, String> {
    let content =
        fs::read(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let analyzer = analyze::identify(path, &content)
        .ok_or_else(|| format!("{} is not identified as any kind", path.display()))?;
    if of_the_rule && !rule.kinds.contains(&analyzer.kind()) {
        return Err(format!(
            "{} is a {}, but {} applies to {:?}",
            path.display(),
            analyzer.kind(),
            rule.id,
            rule.kinds
        ));
    }
    let mut evidence = analyzer
        .analyze(&content)
        .map_err(|error| format!("{} does not analyze: {error}", path.display()))?;
    policy.enrich(evidence.kind, &mut evidence.document);
    Ok(evidence)
}

/// The evidence of a fixture: one file, or every file of a fixture folder, annotated as a
/// scan annotates one device's artifacts (a single file is a device of one artifact).
fn evidences_of(path: &Path, rule: &Rule, policy: &Policy) -> Result<Vec<Evidence>, String> {
    let files = fixture_files(path)?;
    let single = !path.is_dir();
    let mut evidences = files
        .iter()
        .map(|file| evidence_of(file, rule, policy, single))
        .collect::<Result<Vec<Evidence>, String>>()?;
    if !evidences
        .iter()
        .any(|evidence| rule.kinds.contains(&evidence.kind))
    {
        return Err(format!(
            "{} holds no {:?} artifact for {}",
            path.display(),
            rule.kinds,
            rule.id
        ));
    }
    let names: Vec<String> = files
        .iter()
        .map(|file| file.display().to_string())
        .collect();
    let mut view: Vec<DeviceArtifact<'_>> = names
        .iter()
        .zip(evidences.iter_mut())
        .map(|(name, evidence)| DeviceArtifact {
            path: name,
            kind: Some(evidence.kind),
            evidence: Some(evidence),
        })
        .collect();
    annotate_device(&mut view, policy);
    Ok(evidences)
}

/// The rule over every evidence of a fixture: assessed if it is on any, with all matches.
fn outcome(rule: &Rule, evidences: &[Evidence]) -> Outcome {
    let mut assessed = false;
    let mut matches = Vec::new();
    for evidence in evidences {
        if let Outcome::Assessed(found) = evaluate(rule, evidence) {
            assessed = true;
            matches.extend(found);
        }
    }
    if assessed {
        Outcome::Assessed(matches)
    } else {
        Outcome::NoEvidence
    }
}

fn check_rule(rule: &Rule, all_rules: &RuleSet) -> Result<(), String> {
    let dir = rule_fixtures().join(&rule.id);
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

    let rendered = match outcome(rule, &evidences_of(&fires, rule, &policy)?) {
        Outcome::Assessed(matches) if !matches.is_empty() => matches
            .iter()
            .map(|found| {
                let location = &found.location;
                let container = location
                    .container
                    .as_ref()
                    .map(|container| format!("{container}: "))
                    .unwrap_or_default();
                container
                    + &match (location.packet, location.line, location.offset) {
                        (Some(packet), _, _) => format!("packet {packet}: {}\n", found.message),
                        (None, Some(line), _) => format!("line {line}: {}\n", found.message),
                        (None, None, Some(offset)) => {
                            format!("offset {offset}: {}\n", found.message)
                        }
                        (None, None, None) => format!("line ?: {}\n", found.message),
                    }
            })
            .collect::<String>(),
        other => {
            return Err(format!(
                "{}: {} must fire, got {other:?}",
                rule.id,
                fires.display()
            ))
        }
    };
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

    match outcome(rule, &evidences_of(&passes, rule, &policy)?) {
        Outcome::Assessed(matches) if matches.is_empty() => Ok(()),
        Outcome::Assessed(matches) => Err(format!(
            "{}: {} must not fire, but found {matches:?}",
            rule.id,
            passes.display()
        )),
        Outcome::NoEvidence => Err(format!(
            "{}: {} must be assessed (its `requires` selects nothing)",
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
