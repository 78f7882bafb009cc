//! A scan that assessed nothing is no verdict: an empty folder, a folder of files of no known
//! kind, or a fleet with one such device exits 3 (incomplete) and says why, unless the user
//! accepts it with --allow-empty.

mod common;

use common::drone_audit;
use std::fs;

#[test]
fn an_empty_folder_is_an_incomplete_scan() {
    let dir = tempfile::tempdir().expect("temp dir");
    drone_audit()
        .args([
            "scan",
            dir.path().to_str().expect("UTF-8"),
            "--fail-on",
            "none",
        ])
        .assert()
        .code(3)
        .stderr(predicates::str::contains("found no device to assess"));
    drone_audit()
        .args(["scan", dir.path().to_str().expect("UTF-8"), "--allow-empty"])
        .assert()
        .code(0)
        .stderr(predicates::str::contains("accepted (--allow-empty)"));
}

#[test]
fn a_device_with_nothing_assessed_makes_the_scan_incomplete() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fleet = dir.path();
    fs::create_dir_all(fleet.join("quad")).expect("mkdir");
    fs::create_dir_all(fleet.join("notes")).expect("mkdir");
    fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/samples/m2e-hq/profile.toml"),
        fleet.join("quad/profile.toml"),
    )
    .expect("copy a sample profile");
    fs::write(fleet.join("notes/readme.txt"), "nothing a rule can read\n").expect("write");
    let folder = fleet.to_str().expect("UTF-8");
    drone_audit()
        .args(["scan", folder, "--fail-on", "none"])
        .assert()
        .code(3)
        .stderr(predicates::str::contains(
            "device notes: no rule could be assessed",
        ));
    drone_audit()
        .args(["scan", folder, "--fail-on", "none", "--allow-empty"])
        .assert()
        .code(0);
    // With the unknown file gone, every device is assessed and the scan is complete.
    fs::remove_dir_all(fleet.join("notes")).expect("rm");
    drone_audit()
        .args(["scan", folder, "--fail-on", "none"])
        .assert()
        .code(0);
}
