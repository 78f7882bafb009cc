//! Flight logs end to end: pyulog's real ULog must show what SOURCES.md says is in it, and,
//! where pyulog is installed, the same parameters and info messages as `ulog_params` and
//! `ulog_info`; the sample fleet's logs give the findings the story needs; damaged logs give
//! a partial result or a clear error.

mod common;

use common::{artifact, corpus, drone_audit, inspect, oracle, rules_fired, scan_json};

use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

#[test]
fn pyulog_sample_log_shows_its_facts() {
    let Some(log) = corpus("pyulog/sample_log_small.ulg") else {
        return;
    };
    let (inspected, code) = inspect(&log);
    assert_eq!(code, 0);
    assert_eq!(inspected["kind"], "ulog");
    let evidence = &inspected["evidence"];
    // SOURCES.md: message counts B 1, I 14, F 82, P 980, M 131, A 72, D 14604, O 1, S 12, L 3.
    let counts = &evidence["message_counts"];
    for (kind, count) in [
        ("B", 1),
        ("I", 14),
        ("F", 82),
        ("P", 980),
        ("M", 131),
        ("A", 72),
        ("D", 14604),
        ("O", 1),
        ("S", 12),
        ("L", 3),
    ] {
        assert_eq!(counts[kind], count, "{kind} messages");
    }
    let info = &evidence["info"];
    assert_eq!(info["sys_name"], "PX4");
    assert_eq!(info["ver_hw"], "CUBEPILOT_CUBEORANGE");
    assert_eq!(info["ver_sw"], "8583f1da30b63154d6ba0bc187d86135dfe33cf9");
    assert_eq!(info["ver_sw_release"], 17498624);
    assert_eq!(info["sys_uuid"], "000600000000383638393239510d0035002d");
    // ver_sw_release 0x010B0200: 1.11.2, build type 0, a development build.
    assert_eq!(evidence["firmware"]["version"], "1.11.2-dev");
    for (name, value) in [
        ("MAV_PROTO_VER", 0),
        ("MAV_SYS_ID", 1),
        ("MAV_TYPE", 22),
        ("MAV_0_CONFIG", 101),
        ("MAV_1_CONFIG", 102),
        ("COM_ARM_AUTH_REQ", 0),
        ("CBRK_FLIGHTTERM", 121212),
        ("NAV_DLL_ACT", 2),
        ("GF_MAX_HOR_DIST", 0),
    ] {
        assert_eq!(evidence["parameters"][name]["value"], value, "{name}");
    }
    assert_eq!(evidence["positions"]["present"], true);
    assert_eq!(evidence["dropouts"]["count"], 1);
}

/// `ulog_params FILE` prints `NAME,VALUE` lines; `ulog_info FILE` an "Info Messages:" block.
fn pyulog(tool: &str, log: &Path) -> Option<String> {
    let output = std::process::Command::new(tool).arg(log).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn parameters_and_info_match_pyulog() {
    let Some(log) = corpus("pyulog/sample_log_small.ulg") else {
        return;
    };
    if !oracle("ulog_params", "pip install pyulog") || !oracle("ulog_info", "pip install pyulog") {
        return;
    }
    let (Some(params), Some(info)) = (pyulog("ulog_params", &log), pyulog("ulog_info", &log))
    else {
        panic!("pyulog could not read {}", log.display());
    };
    let (inspected, _) = inspect(&log);
    let evidence = &inspected["evidence"];
    let expected: BTreeMap<String, f64> = params
        .lines()
        .filter_map(|line| line.split_once(','))
        .map(|(name, value)| (name.to_owned(), value.parse().expect("a number")))
        .collect();
    let ours: BTreeMap<String, f64> = evidence["parameters"]
        .as_object()
        .expect("parameters")
        .iter()
        .map(|(name, parameter)| (name.clone(), parameter["value"].as_f64().expect("number")))
        .collect();
    assert_eq!(ours.len(), expected.len(), "the same parameters");
    for (name, value) in &expected {
        let mine = ours.get(name).unwrap_or_else(|| panic!("{name} missing"));
        assert!(
            (mine - value).abs() <= value.abs() * 1e-6 + 1e-9,
            "{name}: {mine} vs {value}"
        );
    }
    let block = info
        .split("Info Messages:")
        .nth(1)
        .expect("ulog_info lists info messages");
    // The block's lines are indented; the next section's heading is not.
    for line in block.lines().skip(1) {
        let Some((key, value)) = line
            .strip_prefix(' ')
            .and_then(|line| line.split_once(": "))
        else {
            break;
        };
        let ours = &evidence["info"][key];
        let ours = ours
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| ours.to_string());
        assert_eq!(ours, value, "info {key}");
    }
}

#[test]
fn the_sample_logs_tell_the_story() {
    let output = drone_audit()
        .args(["scan", "samples/", "--format", "json"])
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    // Both vehicles' logs are still in their cards' layouts (the cards stayed in), tracks in
    // the clear; the firmware they flew is the approved one. The quad's card holds two
    // flights: the data of the earlier one was not erased (reported once, on the first log).
    // Its ground station's telemetry log is of another kind: it does not make a third.
    let sorted = |mut rules: Vec<String>| {
        rules.sort();
        rules
    };
    assert_eq!(
        sorted(rules_fired(
            &report,
            "samples/px4-quad/log/2026-10-31/14_20_05.ulg"
        )),
        vec!["LOG-001", "LOG-006", "LOG-007"]
    );
    assert_eq!(
        sorted(rules_fired(
            &report,
            "samples/px4-quad/log/2026-11-01/10_00_00.ulg"
        )),
        vec!["LOG-001", "LOG-007"]
    );
    assert_eq!(
        sorted(rules_fired(
            &report,
            "samples/ardupilot-plane/APM/LOGS/00000042.BIN"
        )),
        vec!["LOG-001", "LOG-007"]
    );
    assert_eq!(
        sorted(rules_fired(
            &report,
            "samples/m2e-field/tablet/DJIFlightRecord_2026-11-01_[10-00-00].txt"
        )),
        vec!["LOG-001", "LOG-005"]
    );
    let kinds: Vec<&str> = report["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .filter_map(|artifact| artifact["kind"].as_str())
        .collect();
    for kind in ["ulog", "dataflash-log", "tlog", "capture"] {
        assert!(kinds.contains(&kind), "{kind} in the samples");
    }
}

#[test]
fn damaged_logs_are_partial_or_errors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    let device = dir.path().join("quad");
    std::fs::create_dir_all(&device).expect("mkdir");
    for (sample, name) in [
        ("samples/px4-quad/log/2026-11-01/10_00_00.ulg", "cut.ulg"),
        ("samples/ardupilot-plane/APM/LOGS/00000042.BIN", "cut.BIN"),
        ("samples/px4-quad/telemetry/flight-0007.tlog", "cut.tlog"),
    ] {
        let whole = std::fs::read(root.join(sample)).expect("sample");
        std::fs::write(device.join(name), &whole[..whole.len() - 5]).expect("write");
    }
    // A ULog header, then a message claiming 65,535 bytes that the file does not hold.
    let mut bogus = b"ULog\x01\x12\x35\x01".to_vec();
    bogus.extend_from_slice(&[0; 8]);
    bogus.extend_from_slice(&[0xff, 0xff, b'D', 1, 2, 3]);
    std::fs::write(device.join("bogus.ulg"), &bogus).expect("write");
    let (report, code) = scan_json(dir.path());
    let status = |name: &str| -> (String, String) {
        let artifact = artifact(&report, name);
        (
            artifact["status"].as_str().unwrap_or_default().to_owned(),
            artifact["reason"].as_str().unwrap_or_default().to_owned(),
        )
    };
    for name in ["cut.ulg", "cut.BIN", "cut.tlog"] {
        let (status, reason) = status(name);
        assert_eq!(status, "partial", "{name}: {reason}");
        assert!(reason.contains("ends in the middle"), "{name}: {reason}");
    }
    let (status, reason) = status("bogus.ulg");
    assert_eq!(status, "error", "{reason}");
    assert_eq!(report["summary"]["incomplete"], true);
    // The cut telemetry log still shows unsigned MAVLink: findings outrank incompleteness.
    assert_eq!(code, 1);
}

/// The DJI flight record of SOURCES.md: version 4, details in the clear.
#[test]
fn dji_flight_record_details_are_read() {
    let Some(record) = corpus("djilog/DJIFlightRecord_2015-12-29__19-05-48_.txt") else {
        return;
    };
    let (inspected, code) = inspect(&record);
    assert_eq!(code, 0);
    assert_eq!(inspected["kind"], "dji-flight-record");
    let evidence = &inspected["evidence"];
    assert_eq!(evidence["version"], 4);
    assert_eq!(evidence["encrypted"], false);
    assert_eq!(evidence["details_offset"], 119262);
    let details = &evidence["details"];
    for (field, value) in [
        ("aircraft_serial", "03Z0265508"),
        ("camera_serial", "048LA08500"),
        ("remote_serial", "04DJA64612"),
        ("battery_serial", "0000000000"),
        ("aircraft_name", "moo"),
        ("app_platform", "android"),
        ("app_version", "2.4.3"),
    ] {
        assert_eq!(details[field], value, "{field}");
    }
    assert_eq!(details["start_time_ms"], 1451415948484u64);
    assert_eq!(details["flight_time_s"], 92.941);
    assert_eq!(details["max_height_m"], 39.5);
    assert_eq!(details["product_type"], 4);
    let latitude = details["home"]["latitude"].as_f64().expect("latitude");
    let longitude = details["home"]["longitude"].as_f64().expect("longitude");
    assert!((latitude - 53.73588).abs() < 1e-4 && (longitude + 1.76652).abs() < 1e-4);
}

/// px4-ulog-rs's deliberately corrupt ULog (SOURCES.md): data messages with a msg_id that no
/// subscription registered. What was passed over is counted, and the log is not called
/// fully assessed.
#[test]
fn a_ulog_with_unregistered_message_ids_is_partial_with_the_bytes_passed_over() {
    let Some(log) = corpus("px4-ulog-rs/corrupt_unregistered_msg_id.ulg") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let device = dir.path().join("px4-vehicle");
    fs::create_dir_all(&device).expect("mkdir");
    fs::copy(&log, device.join("corrupt.ulg")).expect("copy");
    let (report, code) = scan_json(dir.path());
    let record = artifact(&report, "corrupt.ulg");
    assert_eq!(record["kind"], "ulog", "{record}");
    common::assert_status(
        record,
        "partial",
        "15017 bytes were passed over (14979 corrupt bytes to the next sync marker, 38 bytes \
         in 1 data messages of message ids no subscription registered)",
    );
    assert!(matches!(code, 1 | 3), "{code}");
}

/// dronekit-la's fs-batt.log (SOURCES.md): a telemetry log named `.log`, MAVLink 1 frames
/// from an ArduCopter 3.4-dev whose STATUSTEXT names the firmware and whose PARAM_VALUE
/// messages give its 581 parameters. Identified by content; what flew is read from frames
/// whose checksum holds with their message's CRC_EXTRA, so the firmware and parameter rules
/// apply to it.
#[test]
fn a_telemetry_log_tells_the_firmware_and_parameters_that_flew() {
    let Some(log) = corpus("dronekit-la/fs-batt.log") else {
        return;
    };
    let (inspected, code) = inspect(&log);
    assert_eq!(code, 0, "{inspected}");
    assert_eq!(inspected["kind"], "tlog");
    let evidence = &inspected["evidence"];
    assert_eq!(evidence["autopilot"], "ardupilot");
    let firmware = &evidence["firmware"];
    assert_eq!(firmware["vehicle"], "APM:Copter", "{firmware}");
    assert_eq!(firmware["version"], "3.4-dev");
    assert_eq!(firmware["git_hash"], "a3c91424");
    assert_eq!(firmware["offset"], 2683, "the STATUSTEXT record's offset");
    let parameters = evidence["parameters"].as_object().expect("parameters");
    assert_eq!(parameters.len(), 581);
    assert_eq!(parameters["SYSID_MYGCS"]["value"], 253);
    assert_eq!(parameters["SERIAL1_PROTOCOL"]["offset"], 3361);

    let dir = tempfile::tempdir().expect("tempdir");
    let device = dir.path().join("copter");
    fs::create_dir_all(&device).expect("mkdir");
    fs::copy(&log, device.join("fs-batt.log")).expect("copy");
    let policy = tempfile::NamedTempFile::new().expect("policy file");
    fs::write(
        policy.path(),
        "[[firmware]]\nvendor = \"ArduPilot\"\nmodel = \"APM:Copter\"\ncomponent = \"autopilot\"\nminimum = \"3.5.0\"\n",
    )
    .expect("write policy");
    let policy_path = policy.path().to_str().expect("UTF-8 path");
    let (report, _) = common::scan_json_with(dir.path(), &["--policy", policy_path]);
    let fired = rules_fired(
        &report,
        artifact(&report, "fs-batt.log")["path"]
            .as_str()
            .expect("path"),
    );
    // The firmware flown is below the policy's minimum; SERIAL1 and SERIAL2 speak MAVLink 1.
    assert!(fired.contains(&"LOG-003".to_owned()), "{fired:?}");
    assert_eq!(
        fired.iter().filter(|rule| *rule == "APM-004").count(),
        2,
        "{fired:?}"
    );
}

/// Noise shaped like telemetry records never names the firmware: a STATUSTEXT whose
/// checksum does not hold with its CRC_EXTRA is not read.
#[test]
fn a_status_text_with_a_bad_checksum_names_no_firmware() {
    let Some(log) = corpus("dronekit-la/fs-batt.log") else {
        return;
    };
    let mut content = fs::read(&log).expect("read");
    // The checksum of the STATUSTEXT record at 2683 (8-byte stamp, 6-byte header, 51 bytes).
    content[2683 + 8 + 6 + 51] ^= 0xff;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("flight.tlog");
    fs::write(&path, &content).expect("write");
    let (inspected, _) = inspect(&path);
    let firmware = &inspected["evidence"]["firmware"];
    assert_ne!(
        firmware["text"], "APM:Copter V3.4-dev (a3c91424)",
        "{firmware}"
    );
}

/// The real logs of three autopilots gathered in one folder (two PX4 boards told apart by
/// their `sys_uuid`, an ArduPilot board by the UID it prints at boot) are one flight of each,
/// not several flights of one vehicle: LOG-006 stays quiet. A second copy of one of them is a
/// second flight of that vehicle, and LOG-006 names it.
#[test]
fn logs_of_three_autopilots_in_one_folder_are_not_several_flights_of_one() {
    let logs = [
        "pyulog/sample_log_small.ulg",
        "px4-ulog-rs/corrupt_unregistered_msg_id.ulg",
        "pymavlink/test.BIN",
    ];
    let Some(paths) = logs
        .iter()
        .map(|log| corpus(log))
        .collect::<Option<Vec<_>>>()
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let device = dir.path().join("downloads");
    fs::create_dir_all(&device).expect("mkdir");
    for path in &paths {
        fs::copy(path, device.join(path.file_name().expect("name"))).expect("copy");
    }
    let (report, _) = scan_json(dir.path());
    for path in &paths {
        let name = path.file_name().expect("name").to_str().expect("UTF-8");
        let record = artifact(&report, name);
        assert!(record["status"] != "error", "{record}");
    }
    let several = |report: &Value| -> Vec<String> {
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|finding| finding["rule"] == "LOG-006")
            .map(|finding| finding["message"].as_str().expect("message").to_owned())
            .collect()
    };
    assert_eq!(several(&report), Vec::<String>::new());

    fs::copy(&paths[2], device.join("00000043.BIN")).expect("copy");
    let (report, _) = scan_json(dir.path());
    assert_eq!(
        several(&report),
        [
            "logs of several flights of the PX4v4 board 00360029 30365103 31323731 (vehicle logs) \
          are kept together on this device: the data of earlier flights was not erased"
        ]
    );
}
