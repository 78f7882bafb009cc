//! Scans of the real third-party artifacts in `../shared/corpus` (see its SOURCES.md). Each
//! test skips, saying so, when the corpus is not beside the project. Nothing is copied into
//! the project: hardened variants are written to temporary folders by the tests.

mod common;

use common::corpus;

use assert_cmd::Command;
use serde_json::Value;
use std::fs;
use std::path::Path;

fn scan_json(path: &Path) -> (Value, i32) {
    let output = Command::cargo_bin("drone-audit")
        .expect("binary built")
        .args([
            "scan",
            path.to_str().expect("UTF-8 path"),
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "invalid JSON ({error}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (report, output.status.code().expect("exit code"))
}

/// The 1-based line of the first line of `file` that starts with `prefix`.
fn line_of(file: &Path, prefix: &str) -> u64 {
    let text = fs::read_to_string(file).expect("readable corpus file");
    let index = text
        .lines()
        .position(|line| line.starts_with(prefix))
        .unwrap_or_else(|| panic!("{prefix} not in {}", file.display()));
    index as u64 + 1
}

fn findings_of<'a>(report: &'a Value, artifact_suffix: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|finding| {
            finding["artifact"]
                .as_str()
                .is_some_and(|artifact| artifact.ends_with(artifact_suffix))
        })
        .collect()
}

fn control_status<'a>(report: &'a Value, device: &str, control: &str) -> &'a str {
    let device = report["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|entry| entry["id"] == device)
        .expect("device");
    let control = device["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|entry| entry["control"] == control)
        .expect("control");
    control["status"].as_str().expect("status")
}

#[test]
fn damn_vulnerable_drone_fails_authentication_and_encryption_with_line_numbers() {
    let Some(dvd) = corpus("dvd") else { return };
    let (report, code) = scan_json(&dvd);
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["incomplete"], false);
    for artifact in report["artifacts"].as_array().expect("artifacts") {
        assert_eq!(
            artifact["status"], "assessed",
            "every DVD config is identified and analyzed: {artifact}"
        );
    }
    assert_eq!(control_status(&report, "dvd", "authentication"), "fail");
    assert_eq!(control_status(&report, "dvd", "encryption"), "fail");
    assert_eq!(control_status(&report, "dvd", "connectivity"), "fail");

    let has = |artifact: &str, rule_prefix: &str, line: u64| {
        findings_of(&report, artifact).iter().any(|finding| {
            finding["rule"]
                .as_str()
                .is_some_and(|rule| rule.starts_with(rule_prefix))
                && finding["location"]["line"] == line
        })
    };
    let parm = dvd.join("drone.parm");
    assert!(
        has("drone.parm", "APM-001", line_of(&parm, "SYSID_ENFORCE")),
        "SYSID_ENFORCE 0 flagged on its line"
    );
    assert!(
        has(
            "sshd_config",
            "SSH-",
            line_of(&dvd.join("sshd_config"), "PermitRootLogin yes")
        ),
        "root login flagged on its line"
    );
    let hostapd = findings_of(&report, "hostapd.conf");
    assert!(
        hostapd.iter().any(|finding| finding["message"]
            .as_str()
            .is_some_and(|message| message.contains("WEP"))),
        "WEP access point: {hostapd:#?}"
    );
    let supplicant = findings_of(&report, "wpa_supplicant.conf");
    assert!(
        supplicant
            .iter()
            .any(|finding| finding["control"] == "encryption"),
        "WEP client network: {supplicant:#?}"
    );
    assert!(
        !findings_of(&report, "mavlink-router.conf").is_empty(),
        "the default TCP server listens on all interfaces"
    );
    for finding in report["findings"].as_array().expect("findings") {
        assert!(
            finding["location"]["line"]
                .as_u64()
                .is_some_and(|line| line > 0),
            "finding without a line: {finding}"
        );
    }
}

/// Writes DVD's configs to `dir`, hardened the way an operator following the findings would.
fn harden_dvd(dvd: &Path, dir: &Path) {
    let read = |name: &str| fs::read_to_string(dvd.join(name)).expect("corpus file");
    let hostapd: String = read("hostapd.conf")
        .lines()
        .filter(|line| !line.starts_with("wep_"))
        .map(|line| format!("{line}\n"))
        .collect();
    let hostapd = format!("{hostapd}wpa=2\nwpa_key_mgmt=SAE\nrsn_pairwise=CCMP\nieee80211w=2\nsae_require_mfp=1\nwpa_passphrase=harbour-lantern-quartz-91-meadow\nwps_state=0\n");
    fs::write(dir.join("hostapd.conf"), hostapd).expect("write");

    let supplicant = "ctrl_interface=DIR=/var/run/wpa_supplicant GROUP=netdev\nupdate_config=0\n\nnetwork={\n\tssid=\"Drone_Wifi\"\n\tkey_mgmt=SAE\n\tsae_password=\"harbour-lantern-quartz-91-meadow\"\n\tieee80211w=2\n}\n";
    fs::write(dir.join("wpa_supplicant.conf"), supplicant).expect("write");

    let sshd = read("sshd_config")
        .replace("PermitRootLogin yes", "PermitRootLogin no")
        .replace("X11Forwarding yes", "X11Forwarding no");
    let sshd = format!(
        "{sshd}\nListenAddress 10.13.0.1\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nAllowTcpForwarding no\nAllowAgentForwarding no\nGatewayPorts no\nPermitTunnel no\nMaxAuthTries 3\n"
    );
    fs::write(dir.join("sshd_config"), sshd).expect("write");

    let parm = read("drone.parm")
        .replace("SYSID_ENFORCE    0", "SYSID_ENFORCE    1")
        .replace("SCR_ENABLE       1", "SCR_ENABLE       0")
        .replace("BRD_OPTIONS      0", "BRD_OPTIONS      2");
    fs::write(dir.join("drone.parm"), parm).expect("write");

    let router: String = read("mavlink-router.conf")
        .lines()
        .map(|line| {
            if line.trim() == "[General]" {
                "[General]\nTcpServerPort=0\n".to_owned()
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    fs::write(dir.join("mavlink-router.conf"), router).expect("write");
}

#[test]
fn a_hardened_copy_of_damn_vulnerable_drone_runs_clean() {
    let Some(dvd) = corpus("dvd") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let hardened = dir.path().join("dvd-hardened");
    fs::create_dir(&hardened).expect("mkdir");
    harden_dvd(&dvd, &hardened);
    let (report, code) = scan_json(&hardened);
    let findings = report["findings"].as_array().expect("findings");
    assert!(
        findings.is_empty(),
        "hardened DVD still has findings: {findings:#?}"
    );
    assert_eq!(code, 0);
    for artifact in report["artifacts"].as_array().expect("artifacts") {
        assert_eq!(artifact["status"], "assessed", "{artifact}");
    }
    for control in ["authentication", "encryption", "connectivity"] {
        assert_eq!(
            control_status(&report, "dvd-hardened", control),
            "pass",
            "{control}"
        );
    }
}

#[test]
fn qgroundcontrol_parameter_dump_is_read_and_judged() {
    let Some(params) = corpus("qgc/PX4MockLink.params") else {
        return;
    };
    let (report, _) = scan_json(&params);
    let artifact = &report["artifacts"][0];
    assert_eq!(artifact["kind"], "qgc-params");
    assert_eq!(artifact["status"], "assessed");
    // PX4 1.17 MockLink: no MAV_SIGN_CFG in the dump, so signing is not assessed, not passed.
    let device = &report["devices"][0];
    let encryption = device["controls"]
        .as_array()
        .expect("controls")
        .iter()
        .find(|control| control["control"] == "encryption")
        .expect("encryption");
    let not_assessed = encryption["not_assessed"]
        .as_array()
        .expect("rules not assessed, by reason");
    assert!(
        not_assessed
            .iter()
            .any(|group| group["rules"].get("PX4-001").is_some()),
        "PX4-001 is not assessed: {encryption}"
    );
}

/// pymavlink's DataFlash log (SOURCES.md): ArduPlane V3.8.2-dev (8178ab40), 809 PARM records
/// with SYSID_ENFORCE 0, 5 GPS records with positions, cut off at byte 65512 of 65536.
#[test]
fn pymavlink_dataflash_log_shows_what_flew() {
    let Some(log) = corpus("pymavlink/test.BIN") else {
        return;
    };
    let output = Command::cargo_bin("drone-audit")
        .expect("binary built")
        .arg("inspect")
        .arg(&log)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3), "the log is cut off: partial");
    let inspected: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(inspected["kind"], "dataflash-log");
    assert!(inspected["incomplete"]
        .as_str()
        .is_some_and(|reason| reason.contains("byte 65512")));
    let evidence = &inspected["evidence"];
    assert_eq!(evidence["firmware"]["vehicle"], "ArduPlane");
    assert_eq!(evidence["firmware"]["version"], "3.8.2-dev");
    assert_eq!(evidence["firmware"]["git_hash"], "8178ab40");
    assert_eq!(evidence["record_counts"]["PARM"], 809);
    assert_eq!(evidence["record_counts"]["GPS"], 5);
    assert_eq!(evidence["record_counts"]["CMD"], 12);
    assert_eq!(evidence["positions"]["present"], true);
    for (name, value) in [
        ("SYSID_ENFORCE", 0),
        ("SYSID_MYGCS", 255),
        ("ARMING_CHECK", 8191),
        ("FS_GCS_ENABL", 0),
        ("LOG_DISARMED", 0),
        ("SERIAL5_BAUD", 921600),
    ] {
        assert_eq!(evidence["parameters"][name]["value"], value, "{name}");
    }
    let messages: Vec<&str> = evidence["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|message| message["text"].as_str())
        .collect();
    assert!(messages.contains(&"GPS 1: detected as u-blox at 115200 baud"));

    // Scanned, the ArduPilot parameter rules read the log too: SYSID_ENFORCE 0 is found at
    // its PARM record's byte offset, and the positions are stored in the clear.
    let dir = tempfile::tempdir().expect("tempdir");
    fs::create_dir_all(dir.path().join("plane")).expect("mkdir");
    fs::copy(&log, dir.path().join("plane/test.BIN")).expect("copy");
    let (report, code) = scan_json(dir.path());
    assert_eq!(code, 1);
    let findings = findings_of(&report, "test.BIN");
    let enforce = findings
        .iter()
        .find(|finding| finding["rule"] == "APM-001")
        .expect("APM-001 on the log");
    assert!(enforce["location"]["offset"]
        .as_u64()
        .is_some_and(|offset| offset > 0));
    assert!(findings.iter().any(|finding| finding["rule"] == "LOG-001"));
    let artifact = report["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .find(|artifact| artifact["kind"] == "dataflash-log")
        .expect("the log is listed");
    assert_eq!(artifact["status"], "partial");
}
