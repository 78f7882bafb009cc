//! The fleet stage end to end: secrets shared by devices that a sharded scan puts in different
//! shards are found by `merge`, whose report is byte-identical to the single scan's; and the
//! report carries digests, never the secrets.

mod common;

use assert_cmd::Command;
use drone_audit::shard::Shard;
use std::path::{Path, PathBuf};

fn drone_audit() -> Command {
    let mut command = Command::cargo_bin("drone-audit").expect("binary built");
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("JOB_COMPLETION_INDEX");
    command
}

const FLEET: &str = "tests/fixtures/rules/FLEET-001/fires";

fn scan(arguments: &[&str]) -> Vec<u8> {
    let output = drone_audit()
        .args(["scan", FLEET, "--fail-on", "none", "--format", "json"])
        .args(arguments)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    output.stdout
}

fn parts(work: &Path, count: u32) -> Vec<PathBuf> {
    (1..=count)
        .map(|index| {
            let part = work.join(format!("part-{index}.json"));
            drone_audit()
                .args(["scan", FLEET, "--fail-on", "none", "--format", "json"])
                .args(["--shard", &format!("{index}/{count}"), "--output"])
                .arg(&part)
                .assert()
                .success();
            part
        })
        .collect()
}

#[test]
fn groups_across_shards_are_found_by_merge_byte_identical() {
    // drone-1 shares its root hash with drone-2 and its signing key with drone-3: with the
    // shards below, each pair is split between two parts.
    let count = 3;
    let shard_of = |device: &str| Shard::of_device(device, count);
    assert_ne!(
        shard_of("drone-1"),
        shard_of("drone-2"),
        "pick another count"
    );
    assert_ne!(
        shard_of("drone-1"),
        shard_of("drone-3"),
        "pick another count"
    );
    let single = scan(&[]);
    let work = tempfile::tempdir().expect("tempdir");
    let parts = parts(work.path(), count);
    for part in &parts {
        let text = std::fs::read_to_string(part).expect("part");
        let part: serde_json::Value = serde_json::from_str(&text).expect("json");
        let within = part["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|finding| finding["rule"] == "FLEET-001");
        assert!(!within, "no group lies within one shard: {text}");
    }
    let merged = drone_audit()
        .arg("merge")
        .args(&parts)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    let report: serde_json::Value = serde_json::from_slice(&single).expect("json");
    let fleet_findings = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|finding| finding["rule"] == "FLEET-001")
        .count();
    assert_eq!(fleet_findings, 2, "{report}");
    assert!(
        merged.stdout == single,
        "merged:\n{}\nsingle:\n{}",
        String::from_utf8_lossy(&merged.stdout),
        String::from_utf8_lossy(&single)
    );
}

#[test]
fn the_report_holds_digests_never_secrets() {
    let single = String::from_utf8(scan(&[])).expect("UTF-8");
    // The root hash of the fixture's shadow files, and the signing key's bytes in hex.
    assert!(!single.contains("$6$Vx3kP9a2$"), "a password hash leaked");
    let key: String = (0x80u8..0xa0).map(|byte| format!("{byte:02x}")).collect();
    assert!(!single.contains(&key), "the signing key leaked");
    assert!(single.contains("\"secrets\""), "{single}");
}

/// The scan walks only some kinds' evidence for `fleet_secret` nodes: exactly the kinds
/// FLEET-001 reads, so that no secret goes unwalked and no kind is walked for nothing.
#[test]
fn the_kinds_walked_for_secrets_are_fleet_001s() {
    let rules = drone_audit::rules::load(None).expect("the built-in rules");
    let fleet = rules
        .rules
        .iter()
        .find(|rule| rule.id == "FLEET-001")
        .expect("FLEET-001");
    let mut kinds = fleet.kinds.clone();
    kinds.sort();
    let mut walked = drone_audit::analyze::fleet_secret::KINDS.to_vec();
    walked.sort();
    assert_eq!(kinds, walked);
}

/// A secret of a kind the scan does not walk would never be compared across devices, and
/// FLEET-001 would pass on it: every document the analyzers make of the fixtures, the samples
/// and the corpus that holds a `fleet_secret` node is of a kind the scan walks.
#[test]
fn every_kind_whose_evidence_holds_a_secret_is_walked() {
    use drone_audit::analyze::{self, fleet_secret};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut folders = vec![root.join("tests/fixtures"), root.join("samples")];
    folders.extend(common::shared("corpus"));
    let mut files = Vec::new();
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("a folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    let mut with_secrets = 0;
    for path in files {
        let Ok(content) = std::fs::read(&path) else {
            continue;
        };
        let Some(analyzer) = analyze::identify(&path, &content)
            .or_else(|| analyze::kind_named(&path).map(analyze::analyzer_for))
        else {
            continue;
        };
        let Ok(evidence) = analyzer.analyze(&content) else {
            continue;
        };
        if fleet_secret::collect(&evidence.document).is_empty() {
            continue;
        }
        with_secrets += 1;
        assert!(
            fleet_secret::may_hold_secrets(evidence.kind),
            "{}: {} evidence holds a secret the scan does not walk",
            path.display(),
            evidence.kind
        );
    }
    assert!(with_secrets > 10, "secrets found in {with_secrets} files");
}
