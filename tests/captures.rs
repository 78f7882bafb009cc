//! Packet captures end to end: the real captures of `../shared/corpus` (pymavlink's MAVLink
//! captures, the e99 toy drone's RTSP and app traffic) must show what SOURCES.md says is in
//! them; where tshark is installed, drone-audit's conversations must be tshark's; the sample
//! fleet's captures give the findings the story needs; and damaged captures give a partial
//! result or a clear error, never a panic.

mod common;

use common::{
    artifact, assert_status, corpus, drone_audit, inspect, oracle, rules_fired, scan_json,
};

use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The evidence `inspect` prints for a capture.
fn evidence(path: &Path) -> Value {
    let (inspected, code) = inspect(path);
    assert_eq!(code, 0, "{inspected}");
    assert_eq!(inspected["kind"], "capture");
    inspected["evidence"].clone()
}

#[test]
fn pymavlink_captures_hold_unsigned_mavlink_2() {
    let Some(path) = corpus("pymavlink/command_long_over_tcp.pcapng") else {
        return;
    };
    // SOURCES.md: NULL/BSD loopback, 4 packets, TCP 62025 <-> 5760, 7 MAVLink v2 frames, all
    // incompat_flags 0; two COMMAND_LONG from system 250.
    let capture = evidence(&path);
    assert_eq!(capture["format"], "pcapng");
    assert_eq!(capture["link_types"], serde_json::json!(["null"]));
    assert_eq!(capture["packets"], 4);
    let flows = capture["flows"].as_array().expect("flows");
    assert_eq!(flows.len(), 1);
    assert_eq!(flows[0]["protocol"], "tcp");
    assert_eq!(flows[0]["server"]["port"], 5760);
    assert_eq!(capture["mavlink"]["frames"], 7);
    let systems = capture["mavlink"]["systems"].as_array().expect("systems");
    let unsigned: u64 = systems
        .iter()
        .map(|system| system["v2_unsigned_frames"].as_u64().expect("count"))
        .sum();
    assert_eq!(unsigned, 7);
    assert!(systems
        .iter()
        .any(|system| system["system_id"] == 250 && system["frames"] == 2));

    let Some(version) = corpus("pymavlink/autopilot_version.pcapng") else {
        return;
    };
    let capture = evidence(&version);
    assert_eq!(capture["link_types"], serde_json::json!(["ethernet"]));
    assert_eq!(capture["flows"][0]["server"]["port"], 18570);
    assert_eq!(capture["mavlink"]["systems"][0]["v2_unsigned_frames"], 1);
}

#[test]
fn e99_rtsp_video_is_open_and_unauthenticated() {
    let Some(path) = corpus("e99/rtsp-traffic.pcapng") else {
        return;
    };
    // SOURCES.md: 1079 packets; cleartext RTSP to rtsp://192.168.1.1:7070/webcam with no
    // Authorization header; DNS queries for www.google.com and connectivitycheck.gstatic.com.
    let capture = evidence(&path);
    assert_eq!(capture["packets"], 1079);
    let requests = capture["requests"].as_array().expect("requests");
    assert!(requests.iter().all(|request| request["protocol"] == "rtsp"
        && request["target"]
            .as_str()
            .is_some_and(|target| target.starts_with("rtsp://192.168.1.1:7070/webcam"))
        && request.get("authorization").is_none()));
    let methods: Vec<&str> = requests
        .iter()
        .filter_map(|r| r["method"].as_str())
        .collect();
    for method in ["OPTIONS", "DESCRIBE", "SETUP", "PLAY"] {
        assert!(methods.contains(&method), "{method} in {methods:?}");
    }
    let names: Vec<&str> = capture["dns"]
        .as_array()
        .expect("dns")
        .iter()
        .filter_map(|record| record["name"].as_str())
        .collect();
    assert!(names.contains(&"www.google.com") && names.contains(&"connectivitycheck.gstatic.com"));

    // Scanned, the capture fails encryption (CAP-009) and authentication (CAP-010), each
    // finding pointing at a packet.
    let dir = tempfile::tempdir().expect("tempdir");
    fs::create_dir_all(dir.path().join("e99")).expect("mkdir");
    fs::copy(&path, dir.path().join("e99/rtsp-traffic.pcapng")).expect("copy");
    let output = drone_audit()
        .args([
            "scan",
            dir.path().to_str().expect("UTF-8"),
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let rules: Vec<(&str, u64)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|finding| {
            (
                finding["rule"].as_str().expect("rule"),
                finding["location"]["packet"]
                    .as_u64()
                    .expect("a packet number"),
            )
        })
        .collect();
    assert!(
        rules.iter().any(|(rule, _)| *rule == "CAP-009"),
        "{rules:?}"
    );
    assert!(
        rules.iter().any(|(rule, _)| *rule == "CAP-010"),
        "{rules:?}"
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn pcapdroid_raw_ip_capture_is_read_whole() {
    let Some(path) = corpus("e99/PCAPdroid_02_Dec_13_46_06.pcap") else {
        return;
    };
    // SOURCES.md: classic pcap, LINKTYPE_RAW, 1505 packets: 1465 UDP, 40 TCP.
    let capture = evidence(&path);
    assert_eq!(capture["format"], "pcap");
    assert_eq!(capture["link_types"], serde_json::json!(["raw"]));
    assert_eq!(capture["packets"], 1505);
    let count = |protocol: &str| -> u64 {
        capture["flows"]
            .as_array()
            .expect("flows")
            .iter()
            .filter(|flow| flow["protocol"] == protocol)
            .map(|flow| flow["packets"].as_u64().expect("packets"))
            .sum()
    };
    assert_eq!(count("udp"), 1465);
    assert_eq!(count("tcp"), 40);
}

/// tshark's conversation table (`-q -z conv,udp -z conv,tcp`): packets per conversation,
/// keyed by protocol and the two endpoints in sorted order.
fn tshark_conversations(path: &Path) -> Option<BTreeMap<(String, String, String), u64>> {
    let output = std::process::Command::new("tshark")
        .args(["-n", "-q", "-z", "conv,udp", "-z", "conv,tcp", "-r"])
        .arg(path)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut conversations = BTreeMap::new();
    let mut protocol = String::new();
    for line in text.lines() {
        if line.starts_with("UDP Conversations") {
            protocol = "udp".to_owned();
        } else if line.starts_with("TCP Conversations") {
            protocol = "tcp".to_owned();
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        // `A:port <-> B:port  frames N unit  frames N unit  total-frames N unit  start duration`
        if words.len() > 9 && words[1] == "<->" {
            let (a, b) = (words[0].to_owned(), words[2].to_owned());
            let total: u64 = words[9].replace(',', "").parse().ok()?;
            let (low, high) = if a < b { (a, b) } else { (b, a) };
            conversations.insert((protocol.clone(), low, high), total);
        }
    }
    Some(conversations)
}

fn our_conversations(capture: &Value) -> BTreeMap<(String, String, String), u64> {
    capture["flows"]
        .as_array()
        .expect("flows")
        .iter()
        .map(|flow| {
            let endpoint = |side: &str| {
                format!(
                    "{}:{}",
                    flow[side]["address"].as_str().expect("address"),
                    flow[side]["port"]
                )
            };
            let (a, b) = (endpoint("client"), endpoint("server"));
            let (low, high) = if a < b { (a, b) } else { (b, a) };
            (
                (
                    flow["protocol"].as_str().expect("protocol").to_owned(),
                    low,
                    high,
                ),
                flow["packets"].as_u64().expect("packets"),
            )
        })
        .collect()
}

#[test]
fn conversations_match_tshark() {
    if !oracle("tshark", "apt-get install tshark") {
        return;
    }
    let mut captures: Vec<PathBuf> = [
        "e99/rtsp-traffic.pcapng",
        "e99/PCAPdroid_02_Dec_13_46_06.pcap",
        "pymavlink/command_long_over_tcp.pcapng",
        "pymavlink/autopilot_version.pcapng",
        "pymavlink/file_transfer_protocol.pcapng",
    ]
    .iter()
    .filter_map(|relative| corpus(relative))
    .collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    captures.push(root.join("samples/m2e-field/ground-station.pcap"));
    captures.push(root.join("samples/px4-quad/companion/telemetry.pcap"));
    for capture in captures {
        let expected = tshark_conversations(&capture).expect("tshark reads the capture");
        let ours = our_conversations(&evidence(&capture));
        assert_eq!(ours, expected, "{}", capture.display());
    }
}

#[test]
fn the_sample_captures_tell_the_story() {
    let output = drone_audit()
        .args(["scan", "samples/", "--format", "json"])
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert!(
        rules_fired(&report, "samples/m2e-hq/ground-station.pcap").is_empty(),
        "Local Data Mode on"
    );
    let field = rules_fired(&report, "samples/m2e-field/ground-station.pcap");
    for rule in ["CAP-001", "CAP-002", "CAP-003", "CAP-004", "CAP-005"] {
        assert!(field.contains(&rule.to_owned()), "{rule} in {field:?}");
    }
    let tlog = rules_fired(&report, "samples/px4-quad/telemetry/flight-0007.tlog");
    assert_eq!(
        tlog,
        vec!["CAP-006".to_owned(), "CAP-006".to_owned()],
        "unsigned MAVLink from the autopilot and the ground station in the telemetry log"
    );
    assert!(report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(
            |finding| finding["artifact"] == "samples/px4-quad/telemetry/flight-0007.tlog"
                && finding["location"]["offset"] == 0
        ));
    let quad = rules_fired(&report, "samples/px4-quad/companion/telemetry.pcap");
    assert!(
        quad.contains(&"CAP-006".to_owned()) && quad.contains(&"CAP-007".to_owned()),
        "{quad:?}"
    );
}

#[test]
fn damaged_captures_are_partial_or_errors_never_panics() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let whole = fs::read(root.join("samples/m2e-field/ground-station.pcap")).expect("sample");
    let dir = tempfile::tempdir().expect("tempdir");
    let device = dir.path().join("gcs");
    fs::create_dir_all(&device).expect("mkdir");
    // Cut in the middle of a record: the packets before the cut are assessed, with a warning.
    fs::write(device.join("cut.pcap"), &whole[..whole.len() - 7]).expect("write");
    // A header and nothing readable after it: an error naming the problem.
    let mut bogus = whole[..24].to_vec();
    bogus.extend_from_slice(&[0xff; 16]);
    fs::write(device.join("bogus.pcap"), &bogus).expect("write");
    // A pcapng whose block length points back into itself.
    let mut looping = vec![
        0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
    ];
    looping.extend_from_slice(&[0xff; 8]);
    looping.extend_from_slice(&[28, 0, 0, 0]);
    looping.extend_from_slice(&[6, 0, 0, 0, 4, 0, 0, 0]);
    fs::write(device.join("looping.pcapng"), &looping).expect("write");
    // A record that claims 2 GB (a bogus snap length) after the real packets, with more
    // bytes after it than any real record holds.
    let mut huge = whole.clone();
    huge.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
    huge.extend_from_slice(&0x7fff_ffffu32.to_le_bytes());
    huge.extend_from_slice(&0x7fff_ffffu32.to_le_bytes());
    huge.extend(std::iter::repeat_n(0x42, 17 << 20));
    fs::write(device.join("huge.pcap"), &huge).expect("write");
    // 10,000 interface description blocks and no packet.
    let mut interfaces = vec![
        0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
    ];
    interfaces.extend_from_slice(&[0xff; 8]);
    interfaces.extend_from_slice(&[28, 0, 0, 0]);
    for _ in 0..10_000 {
        interfaces.extend_from_slice(&[
            1, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0, 0, 20, 0, 0, 0,
        ]);
    }
    fs::write(device.join("interfaces.pcapng"), &interfaces).expect("write");
    // Random bytes after a valid header.
    let mut state: u32 = 0x1234_5678;
    let mut noise = whole[..24].to_vec();
    noise.extend((0..100_000).map(|_| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state as u8
    }));
    fs::write(device.join("noise.pcap"), &noise).expect("write");
    let (report, code) = scan_json(dir.path());
    // Assessed on what could be read.
    assert_status(
        artifact(&report, "cut.pcap"),
        "partial",
        "ends in the middle of a record",
    );
    let bogus = artifact(&report, "bogus.pcap");
    assert_status(bogus, "error", "no packet could be read");
    let looping = artifact(&report, "looping.pcapng");
    assert_eq!(looping["status"], "error", "{looping}");
    let huge = artifact(&report, "huge.pcap");
    assert_status(huge, "partial", "bogus length");
    let interfaces = artifact(&report, "interfaces.pcapng");
    assert_status(interfaces, "error", "more than 1024 interfaces");
    let noise = artifact(&report, "noise.pcap");
    assert!(
        noise["status"] == "error" || noise["status"] == "partial",
        "{noise}"
    );
    assert_eq!(report["summary"]["incomplete"], true);
    assert!(matches!(code, 1 | 3));
}
