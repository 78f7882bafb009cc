//! Sharded scans and `merge`: the parts of a fleet scanned in N shards merge into a report
//! byte-identical to the single scan's, and bad sets of parts are refused by name.

mod common;

use assert_cmd::Command;
use common::copy_folder;
use std::fs;
use std::path::{Path, PathBuf};

fn drone_audit() -> Command {
    let mut command = Command::cargo_bin("drone-audit").expect("binary built");
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("JOB_COMPLETION_INDEX")
        .env_remove("SLURM_ARRAY_TASK_ID");
    command
}

/// A fleet of 200 devices: 40 copies of each sample device, with the sample policy (whose
/// waivers then match findings in some shards and not in others), plus a file that belongs
/// to no device.
fn fleet_of_200(root: &Path) {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    for entry in fs::read_dir(&samples).expect("samples") {
        let entry = entry.expect("entry");
        if !entry.file_type().expect("type").is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        for copy in 0..40 {
            copy_folder(&entry.path(), &root.join(format!("{name}-{copy:03}")));
        }
    }
    fs::copy(
        samples.join("drone-audit.toml"),
        root.join("drone-audit.toml"),
    )
    .expect("policy");
}

/// Scans `fleet` whole and in `count` shards, merges the parts, and returns (single, merged)
/// JSON reports and exit codes.
fn single_and_merged(fleet: &str, count: u32, work: &Path) -> ((Vec<u8>, i32), (Vec<u8>, i32)) {
    let single = drone_audit()
        .args(["scan", fleet, "--format", "json"])
        .output()
        .expect("runs");
    let parts = write_parts_of(fleet, work, count);
    let merged = drone_audit()
        .arg("merge")
        .args(&parts)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    (
        (single.stdout, single.status.code().expect("code")),
        (merged.stdout, merged.status.code().expect("code")),
    )
}

#[test]
fn the_samples_merged_from_1_3_and_4_shards_equal_the_single_scan() {
    let work = tempfile::tempdir().expect("tempdir");
    for count in [1, 3, 4] {
        let ((single, single_code), (merged, merged_code)) =
            single_and_merged("samples/", count, work.path());
        assert!(!single.is_empty());
        assert_eq!(merged_code, single_code, "{count} shards: same exit code");
        assert!(
            merged == single,
            "{count} shards: the merged report differs from the single scan's"
        );
    }
}

#[test]
fn a_200_device_fleet_merged_from_1_3_and_4_shards_equals_the_single_scan() {
    let fleet = tempfile::tempdir().expect("tempdir");
    fleet_of_200(fleet.path());
    fs::write(fleet.path().join("README.txt"), "not an artifact\n").expect("write");
    let work = tempfile::tempdir().expect("tempdir");
    let path = fleet.path().to_str().expect("UTF-8");
    let single_code = write_all(work.path(), drone_audit().args(["scan", path]), "single");
    let single = fs::read(work.path().join("single.json")).expect("single report");
    let report: serde_json::Value = serde_json::from_slice(&single).expect("JSON");
    assert_eq!(
        report["summary"]["devices"], 201,
        "200 devices and the root"
    );
    for count in [1, 3, 4] {
        let parts = write_parts_of(path, work.path(), count);
        let merged = drone_audit()
            .arg("merge")
            .args(&parts)
            .args(["--format", "json"])
            .output()
            .expect("runs");
        assert_eq!(merged.status.code(), single_code);
        assert!(
            merged.stdout == single,
            "{count} shards differ from the single scan"
        );
    }
    // Every format of the merged report is the single scan's.
    let parts = write_parts_of(path, work.path(), 3);
    let merged_code = write_all(
        work.path(),
        drone_audit().arg("merge").args(&parts),
        "merged",
    );
    assert_eq!(merged_code, single_code);
    assert_same_reports(work.path(), "single", "merged");
}

/// Every report format.
const FORMATS: [&str; 6] = ["json", "sarif", "junit", "markdown", "html", "table"];

/// Runs `command` writing every format to `dir/PREFIX.FORMAT`; its exit code.
fn write_all(dir: &Path, command: &mut Command, prefix: &str) -> Option<i32> {
    for format in FORMATS {
        command
            .args(["--format", format, "--output"])
            .arg(dir.join(format!("{prefix}.{format}")));
    }
    command.output().expect("runs").status.code()
}

/// Asserts that the reports `dir/LEFT.FORMAT` and `dir/RIGHT.FORMAT` are equal byte for byte
/// in every format.
fn assert_same_reports(dir: &Path, left: &str, right: &str) {
    for format in FORMATS {
        let read = |prefix: &str| fs::read(dir.join(format!("{prefix}.{format}"))).expect("report");
        assert!(read(left) == read(right), "{format} differs");
    }
}

/// Scans `fleet` in `count` shards, in reverse order and alternating thread counts.
fn write_parts_of(fleet: &str, work: &Path, count: u32) -> Vec<PathBuf> {
    (1..=count)
        .rev()
        .map(|index| {
            let part = work.join(format!("fleet-part-{index}-of-{count}.json"));
            drone_audit()
                .args([
                    "scan",
                    fleet,
                    "--fail-on",
                    "none",
                    "--format",
                    "json",
                    "--jobs",
                ])
                .arg(if index % 2 == 0 { "1" } else { "2" })
                .args(["--shard", &format!("{index}/{count}"), "--output"])
                .arg(&part)
                .assert()
                .success();
            part
        })
        .collect()
}

#[test]
fn kubernetes_indexed_jobs_give_the_shard_index() {
    let work = tempfile::tempdir().expect("tempdir");
    let by_index = work.path().join("explicit.json");
    drone_audit()
        .args([
            "scan",
            "samples/",
            "--fail-on",
            "none",
            "--shard",
            "2/3",
            "--format",
            "json",
            "--output",
        ])
        .arg(&by_index)
        .assert()
        .success();
    let from_env = drone_audit()
        .env("JOB_COMPLETION_INDEX", "1")
        .args([
            "scan",
            "samples/",
            "--fail-on",
            "none",
            "--shard",
            "auto/3",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    assert_eq!(from_env.stdout, fs::read(&by_index).expect("part"));
    let part: serde_json::Value = serde_json::from_slice(&from_env.stdout).expect("JSON");
    assert_eq!(part["shard"]["index"], 2);
    assert_eq!(part["shard"]["count"], 3);
    assert_eq!(part["shard"]["inputs"].as_str().map(str::len), Some(64));
    drone_audit()
        .args(["scan", "samples/", "--shard", "auto/3"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "tried JOB_COMPLETION_INDEX (Kubernetes Indexed Job) and SLURM_ARRAY_TASK_ID",
        ));
    // A Slurm array task (`--array=0-2`) gives the same part as the explicit index.
    let from_slurm = drone_audit()
        .env("SLURM_ARRAY_TASK_ID", "1")
        .args([
            "scan",
            "samples/",
            "--fail-on",
            "none",
            "--shard",
            "auto/3",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    assert_eq!(from_slurm.stdout, fs::read(&by_index).expect("part"));
    drone_audit()
        .args(["scan", "samples/", "--shard", "4/3"])
        .assert()
        .code(2);
    // A part is not a verdict: the samples fail on high findings, their parts exit 0.
    drone_audit()
        .args(["scan", "samples/", "--shard", "1/1", "--format", "json"])
        .assert()
        .code(0);
    drone_audit()
        .args(["scan", "samples/", "--shard", "1/2", "--baseline", "b.json"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot be used with"));
}

fn write_parts(work: &Path, prefix: &str, count: u32, extra: &[&str]) -> Vec<PathBuf> {
    (1..=count)
        .map(|index| {
            let part = work.join(format!("{prefix}-part-{index}-of-{count}.json"));
            drone_audit()
                .args(["scan", "samples/", "--fail-on", "none", "--format", "json"])
                .args(["--shard", &format!("{index}/{count}"), "--output"])
                .arg(&part)
                .args(extra)
                .assert()
                .success();
            part
        })
        .collect()
}

fn merge_fails_with(parts: &[&PathBuf], extra: &[&str], message: &str) {
    drone_audit()
        .arg("merge")
        .args(parts)
        .args(extra)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(message));
}

#[test]
fn mismatched_duplicate_and_missing_parts_are_refused_by_name() {
    let work = tempfile::tempdir().expect("tempdir");
    let parts = write_parts(work.path(), "plain", 3, &[]);
    let name = |path: &PathBuf| path.to_str().expect("UTF-8").to_owned();

    merge_fails_with(
        &[&parts[0], &parts[1]],
        &[],
        "shards missing from the set of 3: 3/3",
    );
    merge_fails_with(
        &[&parts[0], &parts[1], &parts[1], &parts[2]],
        &[],
        &format!(
            "shard 2 appears twice: {} and {}",
            name(&parts[1]),
            name(&parts[1])
        ),
    );

    // A part scanned under another policy.
    let policy = work.path().join("strict.toml");
    fs::write(&policy, "[passwords]\nmin_length = 20\n").expect("policy");
    let strict = write_parts(
        work.path(),
        "strict",
        3,
        &["--policy", policy.to_str().expect("UTF-8")],
    );
    merge_fails_with(
        &[&parts[0], &parts[1], &strict[2]],
        &[],
        "the parts come from different policies",
    );
    merge_fails_with(&[&parts[0], &parts[1], &strict[2]], &[], &name(&strict[2]));

    // A part of a split into another number of shards.
    let halves = write_parts(work.path(), "halves", 2, &[]);
    merge_fails_with(
        &[&parts[0], &halves[1]],
        &[],
        "the parts come from different shard counts",
    );

    // A part of a scan with another file-size limit.
    let limited = write_parts(work.path(), "limited", 3, &["--max-file-size", "1000000"]);
    merge_fails_with(
        &[&parts[0], &parts[1], &limited[2]],
        &[],
        "the parts come from different inputs",
    );

    // A part relabelled as another shard: its devices would count twice.
    let relabel = |index: u64, name: &str| {
        let mut part: serde_json::Value =
            serde_json::from_slice(&fs::read(&halves[0]).expect("part")).expect("JSON");
        part["shard"]["index"] = index.into();
        let path = work.path().join(name);
        fs::write(&path, serde_json::to_vec(&part).expect("JSON")).expect("write");
        path
    };
    let relabelled = relabel(2, "relabelled.json");
    merge_fails_with(&[&halves[0], &relabelled], &[], "is in both");
    let impossible = relabel(0, "impossible.json");
    merge_fails_with(
        &[&impossible],
        &[],
        "impossible.json is not a drone-audit JSON report",
    );

    // A whole report is not a part; nor is a file that is not a report.
    let whole = work.path().join("whole.json");
    drone_audit()
        .args(["scan", "samples/", "--format", "json", "--output"])
        .arg(&whole)
        .assert()
        .code(1);
    merge_fails_with(&[&whole], &[], "is not a shard's part");
    let junk = work.path().join("junk.json");
    fs::write(&junk, "{\"schema_version\": 1}").expect("write");
    merge_fails_with(&[&junk], &[], "junk.json is not a drone-audit JSON report");
}

#[test]
fn allow_partial_marks_the_report_partial() {
    let work = tempfile::tempdir().expect("tempdir");
    let parts = write_parts(work.path(), "plain", 3, &[]);
    let output = drone_audit()
        .arg("merge")
        .args([&parts[0], &parts[2]])
        .args(["--allow-partial", "--fail-on", "none", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(3),
        "a partial report is incomplete"
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["partial"]["missing_shards"], serde_json::json!([2]));
    assert!(report.get("shard").is_none());
}

/// A folder `device` in `root` holding folders nested past PATH_MAX: listing the deepest fails
/// (ENAMETOOLONG), even for root. Built from the inside out, each step a rename of short paths.
fn too_deep_to_walk(root: &Path, device: &str) {
    let long = "d".repeat(250);
    let build = root.join(".build");
    let mut inner = build.join("0");
    fs::create_dir_all(&inner).expect("mkdir");
    for step in 1..20 {
        let outer = build.join(step.to_string());
        fs::create_dir(&outer).expect("mkdir");
        fs::rename(&inner, outer.join(&long)).expect("rename");
        inner = outer;
    }
    fs::rename(&inner, root.join(device)).expect("rename");
    fs::remove_dir(&build).expect("rmdir");
}

#[test]
fn pruned_shards_merge_into_the_single_scan_with_each_unreadable_folder_once() {
    // Each shard enters only its own device folders: what one cannot be walked in is reported
    // by its device's shard alone (here shard 2 of 3, not shard 1, which keeps what belongs to
    // no device), and the merged report is still the single scan's.
    let fleet = tempfile::tempdir().expect("tempdir");
    for (name, copies) in [("m2e-hq", 3), ("px4-quad", 3)] {
        for copy in 0..copies {
            copy_folder(
                &Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("samples")
                    .join(name),
                &fleet.path().join(format!("{name}-{copy}")),
            );
        }
    }
    too_deep_to_walk(fleet.path(), "deep");
    let path = fleet.path().to_str().expect("UTF-8");
    let work = tempfile::tempdir().expect("tempdir");
    let ((single, single_code), (merged, merged_code)) = single_and_merged(path, 3, work.path());
    let report: serde_json::Value = serde_json::from_slice(&single).expect("JSON");
    let walk_failures = report["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .filter(|record| {
            record["reason"]
                .as_str()
                .is_some_and(|reason| reason.starts_with("cannot be walked"))
        })
        .count();
    assert_eq!(walk_failures, 1, "the deep folder is named once");
    assert_eq!(merged_code, single_code);
    assert!(
        merged == single,
        "the merged report differs from the single scan's"
    );
    let part = |index: u32| -> serde_json::Value {
        serde_json::from_slice(
            &fs::read(work.path().join(format!("fleet-part-{index}-of-3.json"))).expect("part"),
        )
        .expect("JSON")
    };
    let failures_in = |part: &serde_json::Value| {
        part["artifacts"]
            .as_array()
            .expect("artifacts")
            .iter()
            .filter(|record| {
                record["status"] == "error"
                    && record["path"]
                        .as_str()
                        .is_some_and(|path| path.contains("/deep/"))
            })
            .count()
    };
    assert_eq!(failures_in(&part(1)), 0, "shard 1 did not enter deep");
    assert!(
        failures_in(&part(2)) >= 1,
        "shard 2 owns deep and reports it"
    );
}

/// The parts of the samples in 3 shards, the first rewritten by `rewrite` (its JSON in, the
/// text to write out).
fn parts_with_first_rewritten(
    work: &Path,
    prefix: &str,
    rewrite: impl Fn(serde_json::Value) -> String,
) -> Vec<PathBuf> {
    let parts = write_parts(work, prefix, 3, &[]);
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(&parts[0]).expect("part")).expect("JSON");
    fs::write(&parts[0], rewrite(report)).expect("write");
    parts
}

#[test]
fn a_part_rewritten_with_its_keys_sorted_still_merges_byte_identical() {
    let work = tempfile::tempdir().expect("tempdir");
    let single = drone_audit()
        .args(["scan", "samples/", "--fail-on", "none", "--format", "json"])
        .output()
        .expect("runs")
        .stdout;
    // serde_json's map sorts keys: `artifacts` comes before `devices` and the head's fields,
    // as a tool that sorts keys (jq -S, Python's sort_keys) writes it. Such a part is read
    // whole; the others stream.
    let parts = parts_with_first_rewritten(work.path(), "sorted", |report| {
        serde_json::to_string_pretty(&report).expect("JSON")
    });
    let merged = drone_audit()
        .arg("merge")
        .args(&parts)
        .args(["--fail-on", "none", "--format", "json"])
        .output()
        .expect("runs");
    assert_eq!(merged.status.code(), Some(0), "{merged:?}");
    assert!(
        merged.stdout == single,
        "the merged report differs from the scan's"
    );
}

#[test]
fn a_part_out_of_order_cut_short_or_not_a_report_is_refused_by_name() {
    let work = tempfile::tempdir().expect("tempdir");
    let name = |path: &PathBuf| path.to_str().expect("UTF-8").to_owned();
    // Devices swapped: a merge of lists that are not sorted would not be a scan's order.
    let swapped = parts_with_first_rewritten(work.path(), "swapped", |mut report| {
        let devices = report["devices"].as_array_mut().expect("devices");
        assert!(
            devices.len() >= 2,
            "shard 1 of the samples holds 2 devices or more"
        );
        devices.swap(0, 1);
        // In the layout a scan writes (lists last): serde_json sorted the keys.
        relayout(&serde_json::to_string(&report).expect("JSON"))
    });
    merge_fails_with(
        &swapped.iter().collect::<Vec<_>>(),
        &[],
        &format!(
            "{}: its devices are not in a scan's order",
            name(&swapped[0])
        ),
    );
    // A part cut short in its findings, after its head and devices were read.
    let parts = write_parts(work.path(), "cut", 3, &[]);
    let whole = fs::read(&parts[2]).expect("part");
    fs::write(&parts[2], &whole[..whole.len() * 9 / 10]).expect("cut");
    merge_fails_with(
        &parts.iter().collect::<Vec<_>>(),
        &[],
        &format!("{} is not a drone-audit JSON report", name(&parts[2])),
    );
    // A file that is no report at all.
    fs::write(&parts[2], "[1, 2, 3]").expect("write");
    merge_fails_with(
        &parts.iter().collect::<Vec<_>>(),
        &[],
        &format!("{} is not a drone-audit JSON report", name(&parts[2])),
    );
    // Nothing was written to standard output by a refused merge.
    let refused = drone_audit()
        .arg("merge")
        .args(&parts)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert!(refused.stdout.is_empty());
}

/// A report's JSON with its lists moved back to the end, in a scan's order.
fn relayout(text: &str) -> String {
    let report: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).expect("JSON object");
    let lists = ["devices", "artifacts", "findings"];
    let mut out = String::from("{");
    let mut first = true;
    let fields = report
        .iter()
        .filter(|(key, _)| !lists.contains(&key.as_str()))
        .chain(
            lists
                .iter()
                .map(|list| report.get_key_value(*list).expect("list")),
        );
    for (key, value) in fields {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(&serde_json::to_string(key).expect("key"));
        out.push(':');
        out.push_str(&serde_json::to_string(value).expect("value"));
    }
    out.push('}');
    out
}

#[test]
fn merged_reports_in_every_format_equal_the_single_scans() {
    // JSON alone streams; with another format, or a baseline, the merge is gathered whole:
    // both are the scan's reports byte for byte.
    let work = tempfile::tempdir().expect("tempdir");
    let single_code = write_all(
        work.path(),
        drone_audit().args(["scan", "samples/"]),
        "single",
    );
    let parts = write_parts(work.path(), "formats", 3, &[]);
    let merged_code = write_all(
        work.path(),
        drone_audit().arg("merge").args(&parts),
        "merged",
    );
    assert_eq!(merged_code, single_code);
    assert_same_reports(work.path(), "single", "merged");
}
