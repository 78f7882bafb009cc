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

/// A classic pcap header: little-endian, microseconds, snap length 65535, `link_type`.
fn pcap_header(link_type: u32) -> Vec<u8> {
    let mut header = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    header.extend_from_slice(&[0; 8]);
    header.extend_from_slice(&65535u32.to_le_bytes());
    header.extend_from_slice(&link_type.to_le_bytes());
    header
}

/// A pcap record holding `data`, captured at `seconds`.
fn pcap_record(seconds: u32, data: &[u8]) -> Vec<u8> {
    let mut record = seconds.to_le_bytes().to_vec();
    record.extend_from_slice(&0u32.to_le_bytes());
    record.extend_from_slice(&(data.len() as u32).to_le_bytes());
    record.extend_from_slice(&(data.len() as u32).to_le_bytes());
    record.extend_from_slice(data);
    record
}

/// A raw IPv4 UDP datagram (LINKTYPE_RAW) from `source`:`sport` to `destination`:`dport`.
fn udp4(source: [u8; 4], sport: u16, destination: [u8; 4], dport: u16, payload: &[u8]) -> Vec<u8> {
    let total = 20 + 8 + payload.len();
    let mut packet = vec![0x45, 0];
    packet.extend_from_slice(&(total as u16).to_be_bytes());
    packet.extend_from_slice(&[0, 0, 0, 0, 64, 17, 0, 0]);
    packet.extend_from_slice(&source);
    packet.extend_from_slice(&destination);
    packet.extend_from_slice(&sport.to_be_bytes());
    packet.extend_from_slice(&dport.to_be_bytes());
    packet.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    packet.extend_from_slice(&[0, 0]);
    packet.extend_from_slice(payload);
    packet
}

/// A DNS query for the A record of `name`, from the tablet to its resolver.
fn dns_query(id: u16, name: &str) -> Vec<u8> {
    let mut message = id.to_be_bytes().to_vec();
    message.extend_from_slice(&[1, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        message.push(label.len() as u8);
        message.extend_from_slice(label.as_bytes());
    }
    message.extend_from_slice(&[0, 0, 1, 0, 1]);
    udp4(
        [192, 168, 10, 20],
        40000 + id % 1000,
        [192, 168, 10, 1],
        53,
        &message,
    )
}

/// The result of `rule` on the only device of `report`: its status (`not-assessed` for the
/// rules grouped under a reason) and that reason.
fn rule_outcome(report: &Value, rule: &str) -> (String, String) {
    for control in report["devices"][0]["controls"]
        .as_array()
        .expect("controls")
    {
        for result in control["rules"].as_array().into_iter().flatten() {
            if result["rule"] == rule {
                let status = result["status"].as_str().expect("status").to_owned();
                let reason = result["reason"].as_str().unwrap_or_default().to_owned();
                return (status, reason);
            }
        }
        for group in control["not_assessed"].as_array().into_iter().flatten() {
            if group["rules"].get(rule).is_some() {
                let reason = group["reason"].as_str().unwrap_or_default().to_owned();
                return ("not-assessed".to_owned(), reason);
            }
        }
    }
    panic!("{rule} is in the report: {report}")
}

/// A folder holding one device folder, `gcs`, for captures written by a test.
fn one_device() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = dir.path().join("gcs");
    fs::create_dir_all(&device).expect("mkdir");
    (dir, device)
}

#[test]
fn sparse_captures_of_empty_records_end_in_seconds_never_assessed() {
    let (dir, device) = one_device();
    // A pcap header, then holes: what the file system reads as zeros, 16-byte records of
    // nothing, without taking disk space.
    let sparse = |name: &str, length: u64| {
        let mut file = fs::File::create(device.join(name)).expect("create");
        std::io::Write::write_all(&mut file, &pcap_header(101)).expect("write");
        file.set_len(length).expect("sparse length");
    };
    sparse("zeros.pcap", 64 << 20);
    // 20 GB: over the captures' own size bound, refused before a byte is read.
    sparse("twenty-gigabytes.pcap", 20_000_000_000);
    let started = std::time::Instant::now();
    let (report, code) = scan_json(dir.path());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_status(
        artifact(&report, "zeros.pcap"),
        "partial",
        "10000 records in a row from byte 24 hold no byte",
    );
    let huge = artifact(&report, "twenty-gigabytes.pcap");
    assert_status(
        huge,
        "error",
        "over the 4294967296-byte limit (--max-capture-size)",
    );
    assert_eq!(huge["size"], 20_000_000_000u64);
    assert_eq!(code, 3, "an incomplete scan");
    // The bound is the user's to set.
    let (report, _) = common::scan_json_with(dir.path(), &["--max-capture-size", "1000000"]);
    assert_status(
        artifact(&report, "zeros.pcap"),
        "error",
        "over the 1000000-byte limit",
    );
}

#[test]
fn a_capture_padded_past_the_record_caps_is_partial_and_its_rules_not_passed() {
    let (dir, device) = one_device();
    let mut capture = pcap_header(101);
    // 10,001 junk lookups overflow the DNS cap; the vendor lookup comes after them.
    for index in 0..10_001u32 {
        let query = dns_query(index as u16, &format!("pad{index}.example.org"));
        capture.extend(pcap_record(1_790_000_000 + index / 100, &query));
    }
    let vendor = dns_query(7, "mydjiflight.dji.com");
    capture.extend(pcap_record(1_790_000_200, &vendor));
    fs::write(device.join("padded.pcap"), &capture).expect("write");
    let (report, code) = scan_json(dir.path());
    assert_status(
        artifact(&report, "padded.pcap"),
        "partial",
        "more than 10000 records of one sort",
    );
    // The vendor lookup has room of its own past the cap: found, never passed over.
    let (status, reason) = rule_outcome(&report, "CAP-003");
    assert_eq!(status, "failed", "{reason}");
    // Rules the padding may have hidden evidence from are not assessed, not passed.
    let (status, reason) = rule_outcome(&report, "CAP-004");
    assert_eq!(status, "not-assessed", "{reason}");
    assert!(reason.contains("padded.pcap"), "{reason}");
    assert_ne!(code, 0, "never a clean exit");
    // The same capture without the padding: the lookup is found.
    let (dir, device) = one_device();
    let mut capture = pcap_header(101);
    capture.extend(pcap_record(1_790_000_200, &vendor));
    fs::write(device.join("plain.pcap"), &capture).expect("write");
    let (report, _) = scan_json(dir.path());
    let (status, _) = rule_outcome(&report, "CAP-003");
    assert_eq!(status, "failed");
}

#[test]
fn captures_without_decodable_traffic_leave_the_traffic_rules_not_assessed() {
    let (dir, device) = one_device();
    // 802.11 data frames (type 2) with the Protected bit: CCMP-encrypted payloads.
    let mut encrypted = pcap_header(105);
    for index in 0..50u32 {
        let mut frame = vec![0x08, 0x41, 0, 0];
        frame.extend_from_slice(&[0x02; 18]);
        frame.extend_from_slice(&[0x10, 0x00]);
        frame.extend((0..120).map(|byte| (byte * 7 + index) as u8));
        encrypted.extend(pcap_record(1_790_000_000 + index, &frame));
    }
    fs::write(device.join("wpa2.pcap"), &encrypted).expect("write");
    let (report, code) = scan_json(dir.path());
    let capture = artifact(&report, "wpa2.pcap");
    assert_eq!(capture["status"], "assessed", "{capture}");
    assert!(
        capture["warnings"][0]
            .as_str()
            .is_some_and(|warning| warning.contains("no decodable traffic")),
        "{capture}"
    );
    for rule in ["CAP-001", "CAP-002", "CAP-003", "CAP-004", "CAP-012"] {
        let (status, reason) = rule_outcome(&report, rule);
        assert_eq!(status, "not-assessed", "{rule}: {reason}");
        assert!(reason.contains("decodable_traffic"), "{rule}: {reason}");
    }
    // The frames' protection itself was seen, and is as it should be.
    assert_eq!(rule_outcome(&report, "CAP-015").0, "passed");
    assert_eq!(code, 0);

    // A link type this tool does not read (USER0, 147): nothing in it is traffic to it.
    let (dir, device) = one_device();
    let mut unknown = pcap_header(147);
    let lookup = dns_query(7, "mydjiflight.dji.com");
    for second in 0..5 {
        unknown.extend(pcap_record(1_790_000_000 + second, &lookup));
    }
    fs::write(device.join("user0.pcap"), &unknown).expect("write");
    let (report, _) = scan_json(dir.path());
    let (status, reason) = rule_outcome(&report, "CAP-003");
    assert_eq!(status, "not-assessed", "{reason}");
    let (inspected, _) = inspect(&device.join("user0.pcap"));
    assert_eq!(
        inspected["evidence"]["undecodable"]["unknown_link_type_packets"],
        5
    );
}
