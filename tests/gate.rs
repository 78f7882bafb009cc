//! The CI gate (issue #18, items 1-3): fingerprints that survive unrelated edits, baselines
//! that do not depend on how the scan path was typed, and waivers that expire without
//! stopping the pipeline.

mod common;

use common::{copy_folder, drone_audit};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

fn samples() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/samples"))
}

/// Runs drone-audit in `dir` and parses its standard output as JSON.
fn run_json(dir: &Path, arguments: &[&str]) -> (Value, String) {
    let output = drone_audit()
        .current_dir(dir)
        .args(arguments)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let value: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("invalid JSON ({error}): {stderr}"));
    if value.get("schema_version").is_some() {
        common::assert_valid_report(&value);
    }
    (value, stderr)
}

/// Fingerprint by rule, device and subject, from a JSON report.
fn json_fingerprints(report: &Value) -> BTreeMap<String, Vec<String>> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for finding in report["findings"].as_array().expect("findings") {
        let key = format!(
            "{} {} {}",
            finding["rule"].as_str().expect("rule"),
            finding["device"].as_str().expect("device"),
            finding["subject"].as_str().expect("subject"),
        );
        found.entry(key).or_default().push(
            finding["fingerprint"]
                .as_str()
                .expect("fingerprint")
                .to_owned(),
        );
    }
    for fingerprints in found.values_mut() {
        fingerprints.sort();
    }
    found
}

fn sarif_fingerprints(sarif: &Value) -> Vec<String> {
    let mut found: Vec<String> = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|result| {
            result["partialFingerprints"]["droneAudit/v2"]
                .as_str()
                .expect("our partial fingerprint")
                .to_owned()
        })
        .collect();
    found.sort();
    found
}

/// Reverses the order of a classic pcap file's packets.
fn reverse_packets(path: &Path) {
    let bytes = fs::read(path).expect("capture");
    let (header, mut rest) = bytes.split_at(24);
    let mut records = Vec::new();
    while rest.len() >= 16 {
        let length = u32::from_le_bytes(rest[8..12].try_into().expect("4 bytes")) as usize;
        let (record, after) = rest.split_at(16 + length);
        records.push(record.to_vec());
        rest = after;
    }
    assert!(records.len() > 2, "a capture with packets to reorder");
    records.reverse();
    fs::write(path, [header.to_vec(), records.concat()].concat()).expect("write capture");
}

#[test]
fn fingerprints_survive_moved_lines_reordered_packets_and_a_renamed_scan_root() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = dir.path().join("fleet");
    copy_folder(samples(), &first);
    let (before, _) = run_json(
        dir.path(),
        &["scan", "fleet", "--format", "json", "--quiet"],
    );
    let (before_sarif, _) = run_json(
        dir.path(),
        &["scan", "fleet", "--format", "sarif", "--quiet"],
    );

    // Another checkout, under another name, edited where nothing changes what is found.
    let second = dir.path().join("elsewhere/renamed-fleet");
    copy_folder(samples(), &second);
    let sshd = second.join("px4-quad/companion/sshd_config");
    let text = fs::read_to_string(&sshd).expect("sshd_config");
    let (root_login, rest): (Vec<&str>, Vec<&str>) = text
        .lines()
        .partition(|line| line.starts_with("PermitRootLogin"));
    fs::write(
        &sshd,
        format!(
            "# Reviewed 2026-11-25 by the fleet team\n\n{}\n{}\n",
            rest.join("\n"),
            root_login.join("\n")
        ),
    )
    .expect("edit sshd_config");
    let shadow = second.join("px4-quad/companion/shadow");
    let accounts = fs::read_to_string(&shadow).expect("shadow");
    let reversed: Vec<&str> = accounts.lines().rev().collect();
    fs::write(&shadow, reversed.join("\n") + "\n").expect("edit shadow");
    reverse_packets(&second.join("m2e-field/ground-station.pcap"));
    reverse_packets(&second.join("px4-quad/companion/telemetry.pcap"));

    // Scanned as `.` from inside the folder, and by its absolute path.
    let (after, _) = run_json(&second, &["scan", ".", "--format", "json", "--quiet"]);
    let absolute = second.to_str().expect("UTF-8");
    let (after_sarif, _) = run_json(
        dir.path(),
        &["scan", absolute, "--format", "sarif", "--quiet"],
    );

    let messages_before: Vec<&Value> = before["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|finding| &finding["message"])
        .collect();
    let messages_after: Vec<&Value> = after["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|finding| &finding["message"])
        .collect();
    assert_ne!(
        messages_before, messages_after,
        "the edits moved lines and packets the messages quote"
    );
    assert_eq!(json_fingerprints(&before), json_fingerprints(&after));
    assert_eq!(
        sarif_fingerprints(&before_sarif),
        sarif_fingerprints(&after_sarif)
    );
    let subjects = json_fingerprints(&before);
    assert!(subjects.contains_key("SSH-001 px4-quad effective.permitrootlogin"));
    assert!(subjects.contains_key("ACCT-002 px4-quad accounts[name=lab]"));
}

/// A copy of the samples in a temporary folder, as `fleet/` beside the baseline and policy.
fn sample_fleet() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_folder(samples(), &dir.path().join("fleet"));
    dir
}

fn finding_count(report: &Value) -> usize {
    report["findings"].as_array().map_or(0, Vec::len)
}

#[test]
fn a_baseline_matches_however_the_scan_path_is_typed() {
    let dir = sample_fleet();
    let fleet = dir.path().join("fleet");
    let (written, _) = run_json(
        dir.path(),
        &[
            "scan",
            "fleet",
            "--format",
            "json",
            "--quiet",
            "--write-baseline",
            "b.json",
        ],
    );
    let total = finding_count(&written);
    assert!(total > 50);
    let baseline: Value =
        serde_json::from_slice(&fs::read(dir.path().join("b.json")).expect("baseline"))
            .expect("JSON");
    assert_eq!(baseline["rules_digest"], written["rules"]["digest"]);

    // From inside the fleet, as `.`: every finding is known, and nothing is warned about.
    let (report, stderr) = run_json(
        &fleet,
        &[
            "scan",
            ".",
            "--format",
            "json",
            "--quiet",
            "--baseline",
            "../b.json",
        ],
    );
    assert_eq!(finding_count(&report), 0, "{stderr}");
    assert_eq!(report["baseline"]["known_findings"], total);
    assert!(!stderr.contains("baseline"), "{stderr}");

    // By its absolute path, the same.
    let absolute = fleet.to_str().expect("UTF-8");
    let (report, _) = run_json(
        dir.path(),
        &[
            "scan",
            absolute,
            "--format",
            "json",
            "--quiet",
            "--baseline",
            "b.json",
        ],
    );
    assert_eq!(finding_count(&report), 0);

    // The table says that a baseline was applied and what it hides.
    let output = drone_audit()
        .current_dir(&fleet)
        .args(["scan", ".", "--baseline", "../b.json"])
        .output()
        .expect("runs");
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table.contains(&format!(
            "Baseline ../b.json applied: {total} known findings hidden"
        )),
        "{table}"
    );
}

#[test]
fn a_baseline_that_matches_nothing_or_other_rules_is_warned_about() {
    let dir = sample_fleet();
    fs::write(
        dir.path().join("other.json"),
        r#"{"format": "drone-audit-baseline/1", "rules_digest": "0123456789abcdef", "fingerprints": ["not-a-finding-of-this-fleet"]}"#,
    )
    .expect("write baseline");
    let (report, stderr) = run_json(
        dir.path(),
        &[
            "scan",
            "fleet",
            "--format",
            "json",
            "--quiet",
            "--baseline",
            "other.json",
        ],
    );
    let warnings: Vec<&str> = report["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let matched_none = "baseline other.json matched none of the";
    let other_rules = "baseline other.json was made with other rules (digest 0123456789ab…";
    for expected in [matched_none, other_rules] {
        assert!(
            warnings.iter().any(|warning| warning.starts_with(expected)),
            "{warnings:?}"
        );
        assert!(stderr.contains(expected), "{stderr}");
    }
}

#[test]
fn sarif_of_an_absolute_scan_path_names_no_local_folder() {
    let dir = sample_fleet();
    let fleet = dir.path().join("fleet");
    let absolute = fleet.to_str().expect("UTF-8");
    let output = drone_audit()
        .args(["scan", absolute, "--format", "sarif", "--quiet"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(!text.contains("file://"), "no file: URI");
    let sarif: Value = serde_json::from_str(&text).expect("SARIF is JSON");
    for artifact in sarif["runs"][0]["artifacts"].as_array().expect("artifacts") {
        let uri = artifact["location"]["uri"].as_str().expect("uri");
        assert!(!uri.starts_with('/') && !uri.contains("tmp"), "{uri}");
    }
    let uri = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
        ["artifactLocation"]["uri"];
    assert!(
        uri.as_str()
            .is_some_and(|uri| !uri.starts_with('/') && fleet.join(uri).exists()),
        "relative to the scan root: {uri}"
    );

    // With --source-root, relative to it (a repository's root for GitHub code scanning).
    let (sarif, _) = run_json(
        dir.path(),
        &[
            "scan",
            absolute,
            "--format",
            "sarif",
            "--quiet",
            "--source-root",
            ".",
        ],
    );
    let uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
        ["artifactLocation"]["uri"]
        .as_str()
        .expect("uri")
        .to_owned();
    assert!(uri.starts_with("fleet/"), "{uri}");
}

/// A policy for the sample fleet that waives SSH-001 on px4-quad until `expires`.
fn waiver_policy(dir: &Path, expires: &str, settings: &str) -> String {
    let path = dir.join("policy.toml");
    let samples_policy = fs::read_to_string(samples().join("drone-audit.toml")).expect("policy");
    fs::write(
        &path,
        format!(
            "{settings}{samples_policy}\n[[waiver]]\nrule = \"SSH-001\"\ndevice = \"px4-quad\"\nreason = \"bench unit, no radio\"\nexpires = \"{expires}\"\n"
        ),
    )
    .expect("write policy");
    path.to_str().expect("UTF-8").to_owned()
}

fn ssh_001(report: &Value) -> &Value {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|finding| finding["rule"] == "SSH-001")
        .expect("SSH-001 on px4-quad")
}

#[test]
fn an_expired_waiver_no_longer_applies_and_never_stops_the_run_on_its_own() {
    let dir = sample_fleet();
    let policy = waiver_policy(dir.path(), "2020-01-31", "");
    let output = drone_audit()
        .current_dir(dir.path())
        .args([
            "scan", "fleet", "--policy", &policy, "--format", "json", "--quiet",
        ])
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(1),
        "findings fail it, not the waiver"
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert!(
        ssh_001(&report).get("waived").is_none(),
        "the finding counts again"
    );
    assert_eq!(
        report["policy"]["changes"]["expired"][0]["waiver"],
        "SSH-001 (device px4-quad)"
    );
    assert!(report["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .any(|warning| warning.as_str().is_some_and(
            |text| text.starts_with("waiver SSH-001 (device px4-quad) expired on 2020-01-31")
        )));

    // Waived with --fail-on critical, the run passes (exit 0) though the waiver expired.
    drone_audit()
        .current_dir(dir.path())
        .args([
            "scan",
            "fleet",
            "--policy",
            &policy,
            "--fail-on",
            "critical",
            "--quiet",
        ])
        .assert()
        .stdout(predicates::str::contains(
            "1 expired waiver no longer applies (SSH-001 (device px4-quad), expired 2020-01-31)",
        ));
}

#[test]
fn a_waiver_due_soon_is_listed_in_every_format() {
    let dir = sample_fleet();
    let expires = drone_audit::waiver::Date::today().add_days(5).to_string();
    let policy = waiver_policy(dir.path(), &expires, "");
    // The policy's line in every format; the JSON report's warning too.
    let due = format!("SSH-001 (device px4-quad) until {expires}, due in 5 days");
    let warned = format!("waiver SSH-001 (device px4-quad) expires on {expires}, in 5 days");
    for format in ["table", "json", "sarif", "junit", "markdown", "html"] {
        let output = drone_audit()
            .current_dir(dir.path())
            .args([
                "scan", "fleet", "--policy", &policy, "--format", format, "--quiet",
            ])
            .output()
            .expect("runs");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            text.contains(&due) || (format == "json" && text.contains(&warned)),
            "{format} lists the waiver as due"
        );
    }
    let (report, _) = run_json(
        dir.path(),
        &[
            "scan", "fleet", "--policy", &policy, "--format", "json", "--quiet",
        ],
    );
    assert!(ssh_001(&report).get("waived").is_some(), "it still applies");
    assert_eq!(report["policy"]["changes"]["waived"][0]["due_in_days"], 5);

    // Outside `[waivers] warn_days`, it is not due.
    let policy = waiver_policy(dir.path(), &expires, "[waivers]\nwarn_days = 3\n\n");
    let (report, _) = run_json(
        dir.path(),
        &[
            "scan", "fleet", "--policy", &policy, "--format", "json", "--quiet",
        ],
    );
    assert!(report["policy"]["changes"]["waived"][0]
        .get("due_in_days")
        .is_none());
}

#[test]
fn the_committed_schemas_are_those_drone_audit_prints() {
    for (kind, file) in [
        ("report", "report.schema.json"),
        ("comparison", "comparison.schema.json"),
    ] {
        let output = drone_audit().args(["schema", kind]).output().expect("runs");
        assert!(output.status.success());
        let committed = fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("docs/schemas")
                .join(file),
        )
        .expect("committed schema");
        assert!(
            committed == String::from_utf8_lossy(&output.stdout),
            "docs/schemas/{file} is stale: run `drone-audit schema {kind} > docs/schemas/{file}`"
        );
    }
}

#[test]
fn reports_follow_the_report_schema_and_a_broken_one_does_not() {
    let dir = sample_fleet();
    let (mut report, _) = run_json(
        dir.path(),
        &["scan", "fleet", "--format", "json", "--quiet"],
    );
    report["findings"][0]["severity"] = Value::from("catastrophic");
    let result = std::panic::catch_unwind(|| common::assert_valid_report(&report));
    assert!(result.is_err(), "a severity that does not exist is refused");
}

/// The sample fleet's report, its devices copied until it has `devices` of them (with their
/// artifacts and findings), as a scan of that many devices would report it.
fn fleet_of(devices: usize) -> drone_audit::report::Report {
    let mut report = drone_audit::scan::scan(&drone_audit::scan::ScanOptions {
        paths: vec![samples().to_path_buf()],
        ..Default::default()
    })
    .expect("the samples scan");
    let copies = devices.div_ceil(report.devices.len());
    let (devices, artifacts, findings) = (
        report.devices.clone(),
        report.artifacts.clone(),
        report.findings.clone(),
    );
    report.devices.clear();
    report.artifacts.clear();
    report.findings.clear();
    for copy in 0..copies {
        let rename = |id: &str| format!("{id}-{copy:05}");
        report
            .devices
            .extend(devices.iter().cloned().map(|mut device| {
                device.info.id = rename(&device.info.id);
                device
            }));
        report
            .artifacts
            .extend(artifacts.iter().cloned().map(|mut artifact| {
                artifact.path = format!("{}/{copy:05}", artifact.path);
                artifact
            }));
        report
            .findings
            .extend(findings.iter().cloned().map(|mut finding| {
                finding.device = rename(&finding.device);
                finding.fingerprint = format!("{}-{copy}", finding.fingerprint);
                finding
            }));
    }
    drone_audit::report::assemble::sort_findings(&mut report.findings);
    report
}

/// The limits are GitHub's by default; smaller ones here keep the test quick (with
/// `fleet_of(10_000)` and the defaults: 208,000 findings, 25,000 kept, docs/ci.md).
#[test]
fn sarif_of_a_large_fleet_stays_within_its_limits() {
    use drone_audit::report::sarif::{SarifOptions, SarifRenderer, MAX_RESULTS};
    const MAX: usize = 1_000;
    use drone_audit::report::Renderer;
    use std::io::Write;

    assert_eq!(SarifOptions::default().max_results, MAX_RESULTS);
    let report = fleet_of(100);
    let total = report.findings.len();
    assert!(total > MAX, "{total} findings");
    let renderer = SarifRenderer::new(SarifOptions {
        max_results: MAX,
        ..SarifOptions::default()
    });
    let started = std::time::Instant::now();
    let mut sarif = Vec::new();
    renderer.render(&report, &mut sarif).expect("renders");
    let elapsed = started.elapsed();
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(&sarif).expect("gzip");
    let gzipped = gzip.finish().expect("gzip").len();
    eprintln!(
        "SARIF of {} devices, {total} findings: {} bytes, {gzipped} gzipped, {} left out, {elapsed:?}",
        report.devices.len(),
        sarif.len(),
        renderer.left_out()
    );
    assert!(gzipped < 10 * 1024 * 1024);
    let log: Value = serde_json::from_slice(&sarif).expect("SARIF is JSON");
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), MAX);
    assert_eq!(
        log["runs"][0]["properties"]["resultsLeftOut"],
        total - results.len()
    );
    assert_eq!(renderer.left_out(), total - results.len());
    assert!(renderer
        .left_out_note()
        .is_some_and(|note| note.contains("--sarif-all-results")));
    // The most severe are those kept: no kept result is less severe than one left out.
    let rank = |severity: &str| {
        ["critical", "high", "medium", "low", "info"]
            .iter()
            .position(|name| *name == severity)
            .expect("a severity")
    };
    let least_kept = results
        .iter()
        .map(|result| rank(result["properties"]["severity"].as_str().expect("severity")))
        .max()
        .expect("results");
    let most_left_out = report.findings[results.len()..]
        .iter()
        .map(|finding| rank(finding.severity.id()))
        .min()
        .expect("findings left out");
    assert!(least_kept <= most_left_out);

    // Everything, when asked.
    let everything = SarifRenderer::new(SarifOptions {
        all_results: true,
        ..SarifOptions::default()
    });
    let mut sarif = Vec::new();
    everything.render(&report, &mut sarif).expect("renders");
    let log: Value = serde_json::from_slice(&sarif).expect("SARIF is JSON");
    assert_eq!(
        log["runs"][0]["results"].as_array().map(Vec::len),
        Some(total)
    );
    assert_eq!(everything.left_out_note(), None);
}

#[test]
fn sarif_that_would_be_over_10_mb_gzipped_keeps_fewer_results() {
    use drone_audit::report::sarif::{SarifOptions, SarifRenderer};
    use drone_audit::report::Renderer;
    use std::io::Write;
    const MAX_GZIPPED_BYTES: usize = 300_000;

    let mut report = fleet_of(100);
    // Messages that do not compress (a capture's hostile strings, say): 2,080 findings of
    // 800 pseudo-random hex digits are some 800 kB gzipped.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for finding in &mut report.findings {
        finding.message = (0..50)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                format!("{state:016x}")
            })
            .collect();
    }
    let renderer = SarifRenderer::new(SarifOptions {
        max_gzipped_bytes: MAX_GZIPPED_BYTES,
        ..SarifOptions::default()
    });
    let mut sarif = Vec::new();
    renderer.render(&report, &mut sarif).expect("renders");
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(&sarif).expect("gzip");
    let gzipped = gzip.finish().expect("gzip").len();
    let log: Value = serde_json::from_slice(&sarif).expect("SARIF is JSON");
    let kept = log["runs"][0]["results"].as_array().map_or(0, Vec::len);
    assert!(gzipped <= MAX_GZIPPED_BYTES, "{gzipped} bytes gzipped");
    assert!(
        kept > 0 && kept < report.findings.len(),
        "{kept} results kept"
    );
    assert_eq!(renderer.left_out(), report.findings.len() - kept);
}

/// A waiver's `path` glob matches the artifact's path relative to the folder scanned, as
/// fingerprints and baselines do: `scan fleet/`, `cd fleet && scan .` and `scan /abs/fleet`
/// waive the same finding, and none warns that the waiver matched nothing.
#[test]
fn a_waiver_path_matches_however_the_scan_path_is_typed() {
    let dir = sample_fleet();
    let fleet = dir.path().join("fleet");
    let policy = dir.path().join("policy.toml");
    let samples_policy = fs::read_to_string(samples().join("drone-audit.toml")).expect("policy");
    fs::write(
        &policy,
        format!(
            "{samples_policy}\n[[waiver]]\nrule = \"SSH-001\"\npath = \"px4-quad/companion/sshd_config\"\nreason = \"bench unit, no radio\"\nexpires = \"2099-12-31\"\n"
        ),
    )
    .expect("write policy");
    let policy = policy.to_str().expect("UTF-8");
    let absolute = fleet.to_str().expect("UTF-8");
    for (cwd, root) in [
        (dir.path(), "fleet/"),
        (dir.path(), "fleet"),
        (fleet.as_path(), "."),
        (dir.path(), absolute),
    ] {
        let (report, stderr) = run_json(
            cwd,
            &[
                "scan", root, "--policy", policy, "--format", "json", "--quiet",
            ],
        );
        let finding = ssh_001(&report);
        assert!(
            finding["artifact"]
                .as_str()
                .is_some_and(|artifact| artifact.ends_with("px4-quad/companion/sshd_config")),
            "{finding}"
        );
        assert_eq!(
            finding["waived"]["reason"], "bench unit, no radio",
            "scan {root}: {finding}"
        );
        let warnings = report["warnings"].to_string();
        assert!(
            !warnings.contains("matched no finding") && !stderr.contains("matched no finding"),
            "scan {root}: {warnings} {stderr}"
        );
    }

    // A glob written for the path as typed under `scan fleet` matches nothing, and the
    // warning says which path to write.
    let typed = dir.path().join("typed.toml");
    fs::write(
        &typed,
        format!(
            "{samples_policy}\n[[waiver]]\nrule = \"SSH-001\"\npath = \"fleet/px4-quad/*\"\nreason = \"bench unit, no radio\"\nexpires = \"2099-12-31\"\n"
        ),
    )
    .expect("write policy");
    let (report, _) = run_json(
        dir.path(),
        &[
            "scan",
            "fleet",
            "--policy",
            typed.to_str().expect("UTF-8"),
            "--format",
            "json",
            "--quiet",
        ],
    );
    assert!(ssh_001(&report)["waived"].is_null());
    assert!(
        report["warnings"].to_string().contains(
            "matched no finding: remove it or correct its rule, device or path (a path glob matches the path relative to the folder scanned: `px4-quad/*`, without the folder `fleet`)"
        ),
        "{}",
        report["warnings"]
    );
}
