//! mavlink-router on real companion images: ArduPilot APSync's Up Squared router
//! (`apsync/Up_Squared-mavlink-router.conf` of SOURCES.md) sends MAVLink to its access point's
//! subnet broadcast address, 10.0.1.255, from three endpoints; its 127.0.0.1 endpoints stay
//! on the companion. MAVR-005 must fire at each `Address = 10.0.1.255` line and nowhere else.

mod common;

use common::{artifact, corpus, scan_json};
use std::fs;

#[test]
fn apsync_router_broadcasting_to_its_subnet_is_found_at_each_address_line() {
    let Some(config) = corpus("apsync/Up_Squared-mavlink-router.conf") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let companion = dir.path().join("apsync");
    fs::create_dir_all(&companion).expect("mkdir");
    fs::copy(&config, companion.join("mavlink-router.conf")).expect("copy");
    let (report, _) = scan_json(dir.path());
    let record = artifact(&report, "mavlink-router.conf");
    assert_eq!(record["kind"], "mavlink-router");
    assert_eq!(record["status"], "assessed");
    let broadcasts: Vec<(u64, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|finding| finding["rule"] == "MAVR-005")
        .map(|finding| {
            (
                finding["location"]["line"].as_u64().expect("line"),
                finding["message"].as_str().expect("message").to_owned(),
            )
        })
        .collect();
    let lines: Vec<u64> = broadcasts.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, [156, 162, 168], "{broadcasts:?}");
    assert_eq!(
        broadcasts[0].1,
        "udp endpoint to_10_0_1_14550 sends MAVLink to the subnet broadcast address 10.0.1.255: every host on the network receives it"
    );
    // The loopback endpoints (lines 119-149) and the eavesdropping one find nothing.
    let elsewhere: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|finding| {
            finding["location"]["line"]
                .as_u64()
                .is_some_and(|line| (108..=150).contains(&line))
        })
        .collect();
    assert!(elsewhere.is_empty(), "{elsewhere:?}");
}
