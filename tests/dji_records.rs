//! DJI flight records end to end, on the real records of SOURCES.md: the format-14 records of
//! `dji-v14/` (two flights of one aircraft, DJI Pilot) are identified, their masked details are
//! read offline, their frame records are reported encrypted, and one device keeping both is
//! "several flights kept" (LOG-006); a damaged record under DJI's file name is an error, never
//! skipped.

mod common;

use common::{artifact, assert_status, corpus, inspect, rules_fired, scan_json};
use serde_json::Value;
use std::fs;

const FIRST: &str = "dji-v14/DJIFlightRecord_2023-09-22__15-50-27_.txt";
const SECOND: &str = "dji-v14/DJIFlightRecord_2023-10-10__17-37-53_.txt";

/// The rules fired on the artifact whose path ends with `suffix`, sorted.
fn fired(report: &Value, suffix: &str) -> Vec<String> {
    let path = artifact(report, suffix)["path"]
        .as_str()
        .expect("path")
        .to_owned();
    let mut rules = rules_fired(report, &path);
    rules.sort();
    rules
}

#[test]
fn format_14_records_show_their_details_and_keep_their_frames_encrypted() {
    for (name, start_time_ms, flight_time_s, latitude, longitude) in [
        (FIRST, 1_695_412_227_526u64, 572.3, 40.0826077, -88.2012369),
        (SECOND, 1_696_973_873_272, 215.7, 40.0688718, -88.2096729),
    ] {
        let Some(record) = corpus(name) else {
            return;
        };
        let (inspected, code) = inspect(&record);
        assert_eq!(code, 0, "{name}");
        assert_eq!(inspected["kind"], "dji-flight-record", "{name}");
        let evidence = &inspected["evidence"];
        // SOURCES.md: byte 10 is 14, the details offset (bytes 0-7) 809.
        assert_eq!(evidence["version"], 14);
        assert_eq!(evidence["encrypted"], true);
        let frames = &evidence["frames"];
        assert_eq!(frames["offset"], 809);
        assert_eq!(frames["encrypted"], true);
        assert_eq!(frames["decoded"], false);
        let auxiliary = &evidence["auxiliary"];
        assert_eq!(auxiliary["details_length"], 436);
        assert_eq!(auxiliary["app"], "dji-pilot");
        let details = &evidence["details"];
        assert_eq!(details["obfuscated"], true);
        for (field, value) in [
            ("aircraft_name", "djiaircraft"),
            ("aircraft_serial", "1581F6GKB235K004"),
            ("remote_serial", "4LGZL4M0070414"),
            ("battery_serial", "6JYPL5KDA0037U"),
            ("app_platform", "android"),
        ] {
            assert_eq!(details[field], value, "{name}: {field}");
        }
        // The start time (UTC) is the file name's time, which the tablet wrote in UTC-4.
        assert_eq!(details["start_time_ms"], start_time_ms, "{name}");
        assert_eq!(details["flight_time_s"], flight_time_s, "{name}");
        assert_eq!(details["home"]["latitude"], latitude, "{name}");
        assert_eq!(details["home"]["longitude"], longitude, "{name}");
        assert_eq!(evidence["positions"]["position_records"], 1);
    }
}

#[test]
fn one_device_keeping_both_records_kept_several_flights() {
    let (Some(first), Some(second)) = (corpus(FIRST), corpus(SECOND)) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let tablet = dir.path().join("tablet");
    fs::create_dir_all(&tablet).expect("mkdir");
    for record in [&first, &second] {
        fs::copy(record, tablet.join(record.file_name().expect("name"))).expect("copy");
    }
    let (report, _) = scan_json(dir.path());
    for name in [FIRST, SECOND] {
        let file = name.trim_start_matches("dji-v14/");
        assert_eq!(artifact(&report, file)["status"], "assessed");
        assert_eq!(artifact(&report, file)["kind"], "dji-flight-record");
    }
    // The earlier flight carries the device-wide finding, once.
    assert_eq!(
        fired(&report, "DJIFlightRecord_2023-09-22__15-50-27_.txt"),
        ["LOG-001", "LOG-005", "LOG-006"]
    );
    assert_eq!(
        fired(&report, "DJIFlightRecord_2023-10-10__17-37-53_.txt"),
        ["LOG-001", "LOG-005"]
    );
    // Both records name the same aircraft: they are two flights of one vehicle.
    let several = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|finding| finding["rule"] == "LOG-006")
        .expect("LOG-006");
    assert!(
        several["message"]
            .as_str()
            .expect("message")
            .contains("of the aircraft djiaircraft 1581F6GKB235K004"),
        "{several}"
    );
    let finding = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|finding| finding["rule"] == "LOG-005")
        .expect("LOG-005");
    let message = finding["message"].as_str().expect("message");
    assert!(
        message.contains("djiaircraft") && message.contains("1581F6GKB235K004"),
        "{message}"
    );
}

#[test]
fn a_damaged_record_under_djis_name_is_an_error_not_skipped() {
    let Some(first) = corpus(FIRST) else {
        return;
    };
    let whole = fs::read(first).expect("read");
    let dir = tempfile::tempdir().expect("tempdir");
    let tablet = dir.path().join("tablet");
    fs::create_dir_all(&tablet).expect("mkdir");
    // Cut inside the auxiliary info block; and the same bytes under another name.
    fs::write(
        tablet.join("DJIFlightRecord_2023-09-22_[15-50-27].txt"),
        &whole[..400],
    )
    .expect("write");
    fs::write(tablet.join("flight.txt"), &whole[..400]).expect("write");
    let (report, _) = scan_json(dir.path());
    let named = artifact(&report, "DJIFlightRecord_2023-09-22_[15-50-27].txt");
    assert_status(named, "error", "runs past the end of the file");
    assert_eq!(named["kind"], "dji-flight-record");
    assert_status(
        artifact(&report, "flight.txt"),
        "skipped",
        "not a known artifact kind",
    );
}
