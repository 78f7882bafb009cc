//! Broadcast Remote ID in 802.11 captures: the rule fixtures of RID-001 and RID-002 are made
//! here, by the same frame encoder the unit tests use (`capture::remote_id::encode`, layouts of
//! opendroneid-core-c), and must stay what this generator writes
//! (`REGENERATE_FIXTURES=1 cargo test --test remote_id` rewrites them); `inspect` shows what a
//! broadcast disclosed, and a capture without management frames shows no `remote_id`.

mod common;

use common::{inspect, rule_fixtures};
use drone_audit::analyze::capture::remote_id::encode::{
    basic_id, beacon, location, nan_action, operator_id, pack, pcap, system,
};
use std::fs;

const DRONE: [u8; 6] = [0x60, 0x60, 0x1f, 0x00, 0x00, 0x01];
const OTHER: [u8; 6] = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];

/// Every fixture file this generator owns, with its bytes.
fn fixtures() -> Vec<(&'static str, Vec<u8>)> {
    let serial = "1596F35A3B0000000000";
    let full = pack(&[
        basic_id(1, serial),
        location(47.3977, 8.5456),
        system(47.3970, 8.5450),
        operator_id("FIN87astrdge12k8"),
    ]);
    let session_only = pack(&[
        basic_id(4, "session-7f3a"),
        location(47.3977, 8.5456),
        system(47.3970, 8.5450),
    ]);
    let no_operator = pack(&[
        basic_id(1, serial),
        location(47.3977, 8.5456),
        system(0.0, 0.0),
    ]);
    // A plain access point's beacon beside the drone's: no Remote ID, not a broadcaster.
    let access_point = beacon(OTHER, "hangar", &[])[..40].to_vec();
    vec![
        (
            "RID-001/fires.pcap",
            pcap(&[access_point.clone(), beacon(DRONE, "RID-1596F", &full)]),
        ),
        (
            "RID-001/passes.pcap",
            pcap(&[
                access_point.clone(),
                beacon(DRONE, "RID-session", &session_only),
            ]),
        ),
        (
            "RID-001/policy.toml",
            b"[remote_id]\nserial_in_clear = false\n".to_vec(),
        ),
        (
            "RID-002/fires.pcap",
            pcap(&[nan_action(DRONE, &full), nan_action(DRONE, &full)]),
        ),
        (
            "RID-002/passes.pcap",
            pcap(&[access_point, beacon(DRONE, "RID-1596F", &no_operator)]),
        ),
        (
            "RID-002/policy.toml",
            b"[remote_id]\noperator_location_in_clear = false\n".to_vec(),
        ),
    ]
}

#[test]
fn the_remote_id_fixtures_are_what_the_generator_writes() {
    let root = rule_fixtures();
    let regenerate = std::env::var_os("REGENERATE_FIXTURES").is_some();
    for (path, bytes) in fixtures() {
        let path = root.join(path);
        if regenerate {
            fs::create_dir_all(path.parent().expect("parent")).expect("fixture folder");
            fs::write(&path, &bytes).expect("write fixture");
        }
        let kept = fs::read(&path).unwrap_or_default();
        assert!(
            kept == bytes,
            "{} is not what tests/remote_id.rs generates (REGENERATE_FIXTURES=1)",
            path.display()
        );
    }
}

#[test]
fn inspect_shows_what_a_broadcast_disclosed() {
    let (inspected, code) = inspect(&rule_fixtures().join("RID-001/fires.pcap"));
    assert_eq!(code, 0, "{inspected}");
    let remote_id = &inspected["evidence"]["remote_id"];
    assert_eq!(remote_id["management_frames"], 2, "{remote_id}");
    assert_eq!(remote_id["frames"], 1);
    let broadcasters = remote_id["broadcasters"].as_array().expect("broadcasters");
    assert_eq!(broadcasters.len(), 1, "the access point is no broadcaster");
    let drone = &broadcasters[0];
    assert_eq!(drone["transmitter"], "60:60:1f:00:00:01");
    assert_eq!(drone["transport"], "wifi-beacon");
    assert_eq!(drone["packet"], 2);
    assert_eq!(drone["serial"], "1596F35A3B0000000000");
    assert_eq!(drone["operator_id"], "FIN87astrdge12k8");
    assert_eq!(drone["operator_location_type"], "live-gnss");
    let latitude = drone["operator_location"]["latitude"]
        .as_f64()
        .expect("lat");
    assert!((latitude - 47.397).abs() < 1e-6, "{drone}");
    // The default policy allows both disclosures.
    assert_eq!(drone["policy"]["serial_in_clear"], true);
    assert_eq!(drone["policy"]["operator_location_in_clear"], true);
}

#[test]
fn a_capture_without_management_frames_has_no_remote_id() {
    let (inspected, code) = inspect(&rule_fixtures().join("CAP-015/fires.pcap"));
    assert_eq!(code, 0, "{inspected}");
    assert!(
        inspected["evidence"].get("remote_id").is_none(),
        "{}",
        inspected["evidence"]
    );
}
