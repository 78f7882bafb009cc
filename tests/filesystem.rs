//! What a scan meets on real disks besides artifacts: link loops, links out of the root,
//! FIFOs, names that are not UTF-8, empty files and a 10 GB sparse file. Each is reported,
//! the rest of the device is assessed, and nothing hangs.
#![cfg(unix)]

mod common;

use common::{artifact, assert_status, drone_audit, scan_json};
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
