//! Key material outside images: a device folder's plain key files get the content scan that
//! firmware members get, so the SSH host key OpenHD ships in its image overlay
//! (`openhd/ssh_host_rsa_key`) is a finding, with its line, and never printed.

mod common;

use common::{artifact, corpus, rules_fired, scan_json_with};
use std::fs;

#[test]
fn a_shipped_ssh_host_key_is_a_finding() {
    let Some(key) = corpus("openhd/ssh_host_rsa_key") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let device = dir.path().join("openhd-air");
    fs::create_dir_all(device.join("etc/ssh")).expect("mkdir");
    fs::copy(&key, device.join("etc/ssh/ssh_host_rsa_key")).expect("copy");
    let (report, _) = scan_json_with(dir.path(), &["--fail-on", "none"]);
    let record = artifact(&report, "ssh_host_rsa_key");
    assert_eq!(record["kind"], "key-material", "{record}");
    assert_eq!(record["status"], "assessed", "{record}");
    let path = record["path"].as_str().expect("path");
    assert_eq!(rules_fired(&report, path), ["KEY-001"]);
    let finding = &report["findings"][0];
    assert_eq!(finding["location"]["line"], 1, "{finding}");
    assert!(
        finding["message"]
            .as_str()
            .is_some_and(|message| message.contains("RSA PRIVATE KEY")),
        "{finding}"
    );
    // The key's body never reaches the report.
    assert!(!report.to_string().contains("MIIEpAIBAAKCAQEAuMPICm59CIP3"));
}

#[test]
fn a_certificate_alone_passes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = dir.path().join("gcs");
    fs::create_dir_all(&device).expect("mkdir");
    fs::copy(
        "tests/fixtures/rules/KEY-001/passes.pem",
        device.join("ground-station-ca.pem"),
    )
    .expect("copy");
    let (report, code) = scan_json_with(dir.path(), &["--fail-on", "none"]);
    assert_eq!(
        artifact(&report, "ground-station-ca.pem")["status"],
        "assessed"
    );
    assert!(report["findings"].as_array().expect("findings").is_empty());
    assert_eq!(code, 0);
}
