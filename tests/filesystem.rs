//! What a scan meets on real disks besides artifacts: link loops, links out of the root,
//! FIFOs, names that are not UTF-8, empty files and a 10 GB sparse file. Each is reported,
//! the rest of the device is assessed, and nothing hangs.
#![cfg(unix)]

mod common;

use common::{artifact, assert_status, drone_audit, scan_json, scan_json_with};
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

const COMPLIANT: &str = include_str!("../samples/m2e-hq/profile.toml");

#[test]
fn odd_files_are_reported_and_the_device_is_still_assessed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = dir.path().join("m2e");
    fs::create_dir_all(&device).expect("mkdir");
    fs::write(device.join("profile.toml"), COMPLIANT).expect("write");
    // A link loop, and a link that leaves the scanned root.
    std::os::unix::fs::symlink(device.join("b"), device.join("a")).expect("link");
    std::os::unix::fs::symlink(device.join("a"), device.join("b")).expect("link");
    std::os::unix::fs::symlink("/etc/passwd", device.join("passwd")).expect("link");
    // A FIFO: reading it would block forever.
    let fifo = device.join("pipe");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    // A name that is not UTF-8, an empty file, and a 10 GB sparse file.
    let odd_name = device.join(std::ffi::OsStr::from_bytes(b"notes-\xff.txt"));
    fs::write(&odd_name, "just notes\n").expect("write");
    fs::write(device.join("empty.conf"), "").expect("write");
    let sparse = fs::File::create(device.join("huge.img")).expect("create");
    sparse.set_len(10 << 30).expect("a sparse 10 GB file");

    let (report, code) = scan_json(dir.path());

    assert_eq!(artifact(&report, "m2e/profile.toml")["status"], "assessed");
    for link in ["m2e/a", "m2e/b", "m2e/passwd"] {
        assert_status(artifact(&report, link), "skipped", "link");
    }
    let pipe = artifact(&report, "m2e/pipe");
    assert_eq!(pipe["status"], "skipped", "{pipe}");
    let odd = artifact(&report, ".txt");
    assert!(
        odd["path"]
            .as_str()
            .is_some_and(|path| path.contains('\u{fffd}')),
        "the name is shown with a replacement character: {odd}"
    );
    assert_eq!(artifact(&report, "m2e/empty.conf")["status"], "skipped");
    assert_status(
        artifact(&report, "m2e/huge.img"),
        "error",
        "--max-file-size",
    );
    // The compliant profile passes; the huge file makes the scan incomplete.
    assert_eq!(code, 3);
    assert!(Path::new(&fifo).exists(), "nothing was written or removed");
}

#[test]
fn the_report_does_not_depend_on_the_order_of_the_paths() {
    let scan = |paths: &[&str]| {
        let output = drone_audit()
            .arg("scan")
            .args(paths)
            .args(["--format", "json"])
            .output()
            .expect("runs");
        output.stdout
    };
    let forward = scan(&[
        "samples/m2e-hq",
        "samples/px4-quad",
        "samples/anafi-thermal",
    ]);
    let backward = scan(&[
        "samples/anafi-thermal",
        "samples/px4-quad",
        "samples/m2e-hq",
    ]);
    assert!(!forward.is_empty());
    assert!(
        forward == backward,
        "the same report whatever the order of the paths"
    );
}

/// A fleet folder with one compliant device, in a fresh temporary folder.
fn fleet_with_a_device() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let fleet = dir.path().join("fleet");
    fs::create_dir_all(fleet.join("m2e")).expect("mkdir");
    fs::write(fleet.join("m2e/profile.toml"), COMPLIANT).expect("write");
    (dir, fleet)
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

#[test]
fn a_fifo_named_gitignore_is_reported_and_does_not_block_the_scan() {
    let (_dir, fleet) = fleet_with_a_device();
    mkfifo(&fleet.join(".gitignore"));
    mkfifo(&fleet.join("m2e/.gitignore"));
    let started = std::time::Instant::now();
    let (report, _) = scan_json(&fleet);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "the scan took {:?}",
        started.elapsed()
    );
    assert_eq!(artifact(&report, "m2e/profile.toml")["status"], "assessed");
    for ignore_file in ["fleet/.gitignore", "m2e/.gitignore"] {
        assert_status(
            artifact(&report, ignore_file),
            "skipped",
            "ignore file not a regular file",
        );
    }
}

#[test]
fn a_fifo_whose_name_says_what_it_is_is_an_error_not_skipped() {
    // An sshd_config that cannot be read is evidence missed: the gate must not pass (it was
    // skipped, exit 0). A FIFO of no telling name stays skipped.
    let (_dir, fleet) = fleet_with_a_device();
    mkfifo(&fleet.join("m2e/sshd_config"));
    mkfifo(&fleet.join("m2e/pipe"));
    let (report, code) = scan_json(&fleet);
    assert_eq!(code, 3, "{report}");
    assert_status(
        artifact(&report, "m2e/sshd_config"),
        "error",
        "not a regular file",
    );
    assert_status(
        artifact(&report, "m2e/pipe"),
        "skipped",
        "not a regular file",
    );
}

#[test]
fn an_ignore_file_linked_to_dev_zero_is_refused_unread() {
    let (_dir, fleet) = fleet_with_a_device();
    std::os::unix::fs::symlink("/dev/zero", fleet.join(".ignore")).expect("link");
    std::os::unix::fs::symlink("/dev/zero", fleet.join("m2e/.gitignore")).expect("link");
    let (report, _) = scan_json_with(&fleet, &["--fail-on", "none"]);
    assert_eq!(artifact(&report, "m2e/profile.toml")["status"], "assessed");
    assert_status(
        artifact(&report, "fleet/.ignore"),
        "skipped",
        "out of the scanned folder",
    );
    assert_status(
        artifact(&report, "m2e/.gitignore"),
        "skipped",
        "out of the scanned folder",
    );
}

#[test]
fn an_oversized_ignore_file_is_not_applied_and_hides_nothing() {
    let (_dir, fleet) = fleet_with_a_device();
    // Over the 1 MiB bound: its `*` would have hidden the profile.
    let mut huge = "*\n".to_owned();
    huge.push_str(&"# padding\n".repeat(120_000));
    fs::write(fleet.join(".gitignore"), huge).expect("write");
    let (report, _) = scan_json(&fleet);
    assert_eq!(artifact(&report, "m2e/profile.toml")["status"], "assessed");
    assert_status(artifact(&report, "fleet/.gitignore"), "skipped", "bound");
}

#[test]
fn ignore_files_still_hide_what_they_list() {
    let (_dir, fleet) = fleet_with_a_device();
    fs::write(fleet.join("m2e/old.toml"), "x = 1\n").expect("write");
    fs::write(fleet.join(".gitignore"), "old.toml\n").expect("write");
    let (report, _) = scan_json(&fleet);
    let paths: Vec<&str> = report["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .filter_map(|artifact| artifact["path"].as_str())
        .collect();
    assert!(
        !paths.iter().any(|path| path.ends_with("old.toml")),
        "{paths:?}"
    );
    assert!(paths.iter().any(|path| path.ends_with("profile.toml")));
}

const SECRET: &str = "ghp_0123456789abcdefSECRETTOKEN";

/// The output of `scan fleet`, stdout and stderr together, and the exit code.
fn scan_output(fleet: &Path, arguments: &[&str]) -> (String, i32) {
    let output = drone_audit()
        .arg("scan")
        .arg(fleet)
        .args(arguments)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (text, output.status.code().expect("exit code"))
}

#[test]
fn an_inventory_or_policy_linked_out_of_the_tree_is_refused_and_never_echoed() {
    for name in ["fleet.toml", "drone-audit.toml"] {
        let (dir, fleet) = fleet_with_a_device();
        // Like /proc/self/environ: not TOML, and a CI job's tokens in it.
        let environ = dir.path().join("environ");
        fs::write(&environ, format!("GITHUB_TOKEN={SECRET}\nHOME=/root\n")).expect("write");
        std::os::unix::fs::symlink(&environ, fleet.join(name)).expect("link");
        let (output, code) = scan_output(&fleet, &["--format", "json"]);
        assert_eq!(code, 2, "{name}: {output}");
        assert!(!output.contains(SECRET), "{name}: {output}");
        assert!(!output.contains("GITHUB_TOKEN"), "{name}: {output}");
        assert!(
            output.contains(name) && output.contains("out of the scanned folder"),
            "{name}: {output}"
        );
    }
}

#[test]
fn a_broken_inventory_inside_the_tree_is_quoted_by_a_short_excerpt_only() {
    for name in ["fleet.toml", "drone-audit.toml"] {
        let (_dir, fleet) = fleet_with_a_device();
        let long_secret = format!("{SECRET}{}", "x".repeat(100));
        fs::write(fleet.join(name), format!("GITHUB_TOKEN={long_secret}\n")).expect("write");
        let (output, code) = scan_output(&fleet, &["--format", "json"]);
        assert_eq!(code, 2, "{name}: {output}");
        assert!(output.contains("line 1, column"), "{name}: {output}");
        assert!(!output.contains(&long_secret), "{name}: {output}");
    }
}

#[test]
fn a_fifo_named_like_the_inventory_or_the_policy_does_not_block() {
    for name in ["fleet.toml", "drone-audit.toml"] {
        let (_dir, fleet) = fleet_with_a_device();
        mkfifo(&fleet.join(name));
        let (output, code) = scan_output(&fleet, &["--format", "json"]);
        assert_eq!(code, 2, "{name}: {output}");
        assert!(output.contains("not a regular file"), "{name}: {output}");
    }
}
