//! Wi-Fi configurations end to end, on real files: OpenHD's ground-station hotspot
//! (`openhd/apconfig.txt`, a hostapd configuration not named hostapd.conf) ships the public
//! passphrase `openhd`, and the finding points at the passphrase's line, not at the SSID's.
//! SSIDs in messages are escaped; a client network that lists `NONE` joins open networks, and
//! one that leaves `proto`/`pairwise` at their defaults accepts WPA1 and TKIP.

mod common;

use common::{artifact, corpus, scan_json_with};
use serde_json::Value;
use std::fs;

fn findings_of<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|finding| finding["rule"] == rule)
        .collect()
}

#[test]
fn openhd_hotspot_default_passphrase_is_found_on_its_line() {
    let Some(apconfig) = corpus("openhd/apconfig.txt") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let device = dir.path().join("openhd-ground");
    fs::create_dir_all(&device).expect("mkdir");
    fs::copy(&apconfig, device.join("apconfig.txt")).expect("copy");
    let (report, _) = scan_json_with(dir.path(), &["--fail-on", "none"]);
    assert_eq!(artifact(&report, "apconfig.txt")["kind"], "hostapd");
    let default = findings_of(&report, "WIFI-005");
    assert_eq!(default.len(), 1, "{default:?}");
    assert_eq!(default[0]["location"]["line"], 10, "wpa_passphrase=openhd");
    assert!(
        default[0]["message"]
            .as_str()
            .is_some_and(|message| message.starts_with("network \"Open.HD\" uses a well-known")),
        "{}",
        default[0]
    );
    // The passphrase is never printed.
    let text = report.to_string();
    assert!(!text.contains("wpa_passphrase=openhd"));
}

#[test]
fn hostile_ssids_are_escaped_and_permissive_clients_are_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = dir.path().join("gcs");
    fs::create_dir_all(&device).expect("mkdir");
    // A hex SSID that would recolour a terminal; a block without an SSID that also accepts
    // open networks; a block that leaves proto and pairwise at their defaults.
    fs::write(
        device.join("wpa_supplicant.conf"),
        "ctrl_interface=/run/wpa_supplicant\nupdate_config=1\n\nnetwork={\n\tssid=1b5b33316d47435300\n\tkey_mgmt=NONE\n}\n\nnetwork={\n\tkey_mgmt=WPA-PSK NONE\n\tpsk=\"Fj#8u2-wq!Lr0pzX\"\n\tproto=RSN\n\tpairwise=CCMP\n\tieee80211w=2\n}\n\nnetwork={\n\tssid=\"field-ap\"\n\tpsk=\"Fj#8u2-wq!Lr0pzX\"\n\tieee80211w=2\n}\n",
    )
    .expect("write");
    let (report, _) = scan_json_with(dir.path(), &["--fail-on", "none"]);
    let text = report.to_string();
    assert!(
        !text.contains('\u{1b}'),
        "no raw escape character in the report"
    );
    let open: Vec<&str> = findings_of(&report, "WIFI-001")
        .iter()
        .map(|finding| finding["message"].as_str().expect("message"))
        .collect();
    assert_eq!(open.len(), 2, "{open:?}");
    assert!(
        open[0].starts_with("network \"\\x1b[31mGCS\\x00\""),
        "{open:?}"
    );
    assert!(open[1].starts_with("any network can be joined"), "{open:?}");
    let legacy = findings_of(&report, "WIFI-003");
    assert_eq!(legacy.len(), 1, "{legacy:?}");
    assert_eq!(legacy[0]["location"]["line"], 17);
    assert!(legacy[0]["message"].as_str().is_some_and(
        |message| message.contains("protocols wpa, rsn and pairwise ciphers CCMP, TKIP")
    ));
}
