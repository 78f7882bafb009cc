//! Writes the project's own packet captures: the capture rules' fixtures
//! (`tests/fixtures/rules/CAP-*/{fires,passes}.pcap`) and the sample fleet's captures. Every
//! packet is built here, byte by byte, as the real protocols lay them out (Ethernet, IPv4,
//! UDP, TCP, DNS, TLS 1.2/1.3 ClientHello, HTTP, RTSP, MAVLink v1/v2, 802.11 with radiotap),
//! and written as classic little-endian pcap.
//!
//! Usage: `cargo run --example generate_captures` (from the crate root; rewrites the files), or
//! `cargo run --release --example generate_captures -- --large FILE MEGABYTES` for a large
//! capture of a ground station's session (benchmarks): RTP video from the aircraft, MAVLink
//! telemetry both ways, DNS lookups and TLS sessions to the vendor's cloud, written as it is
//! generated.

use std::fs;
use std::path::Path;

/// A frame with its link type (1 Ethernet, 127 802.11 radiotap).
struct Frame {
    link_type: u32,
    bytes: Vec<u8>,
}

const GCS: [u8; 4] = [192, 168, 10, 20];
const DRONE: [u8; 4] = [192, 168, 10, 1];
const RESOLVER: [u8; 4] = [192, 168, 10, 254];
const DJI_CLOUD: [u8; 4] = [47, 88, 1, 10];
const DJI_CDN: [u8; 4] = [104, 18, 2, 20];
const UNKNOWN_HOST: [u8; 4] = [203, 0, 113, 50];

fn ipv4(protocol: u8, source: [u8; 4], destination: [u8; 4], body: &[u8]) -> Vec<u8> {
    let total = 20 + body.len();
    let mut packet = vec![0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, protocol, 0, 0];
    packet[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    packet.extend_from_slice(&source);
    packet.extend_from_slice(&destination);
    let checksum = internet_checksum(&packet);
    packet[10..12].copy_from_slice(&checksum.to_be_bytes());
    packet.extend_from_slice(body);
    packet
}

fn internet_checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn ethernet(ip_packet: Vec<u8>) -> Frame {
    let mut bytes = vec![0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00];
    bytes.extend_from_slice(&ip_packet);
    Frame {
        link_type: 1,
        bytes,
    }
}

fn udp(source: [u8; 4], sport: u16, destination: [u8; 4], dport: u16, payload: &[u8]) -> Frame {
    let mut body = Vec::with_capacity(8 + payload.len());
    body.extend_from_slice(&sport.to_be_bytes());
    body.extend_from_slice(&dport.to_be_bytes());
    body.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    body.extend_from_slice(&[0, 0]);
    body.extend_from_slice(payload);
    ethernet(ipv4(17, source, destination, &body))
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH_ACK: u8 = 0x18;

/// A TCP segment; `numbers` are its sequence and acknowledgement numbers.
fn tcp(
    source: [u8; 4],
    sport: u16,
    destination: [u8; 4],
    dport: u16,
    flags: u8,
    numbers: (u32, u32),
    payload: &[u8],
) -> Frame {
    let mut body = Vec::with_capacity(20 + payload.len());
    body.extend_from_slice(&sport.to_be_bytes());
    body.extend_from_slice(&dport.to_be_bytes());
    body.extend_from_slice(&numbers.0.to_be_bytes());
    body.extend_from_slice(&(if flags & ACK != 0 { numbers.1 } else { 0 }).to_be_bytes());
    body.extend_from_slice(&[0x50, flags, 0xfa, 0xf0, 0, 0, 0, 0]);
    body.extend_from_slice(payload);
    ethernet(ipv4(6, source, destination, &body))
}

/// A TCP conversation: handshake, then each payload from the client, answered by an ACK.
fn tcp_session(
    client: [u8; 4],
    sport: u16,
    server: [u8; 4],
    dport: u16,
    payloads: &[Vec<u8>],
) -> Vec<Frame> {
    let (mut client_next, server_next) = (1001u32, 5001u32);
    let mut frames = vec![
        tcp(client, sport, server, dport, SYN, (1000, 0), b""),
        tcp(server, dport, client, sport, SYN | ACK, (5000, 1001), b""),
        tcp(client, sport, server, dport, ACK, (1001, 5001), b""),
    ];
    for payload in payloads {
        frames.push(tcp(
            client,
            sport,
            server,
            dport,
            PSH_ACK,
            (client_next, server_next),
            payload,
        ));
        client_next += payload.len() as u32;
        frames.push(tcp(
            server,
            dport,
            client,
            sport,
            ACK,
            (server_next, client_next),
            b"",
        ));
    }
    frames
}

fn dns_name(name: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    for label in name.split('.') {
        bytes.push(label.len() as u8);
        bytes.extend_from_slice(label.as_bytes());
    }
    bytes.push(0);
    bytes
}

/// A DNS query for `name` (type A) and its answer.
fn dns_lookup(id: u16, name: &str, answer: [u8; 4]) -> Vec<Frame> {
    let mut query = id.to_be_bytes().to_vec();
    query.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    query.extend_from_slice(&dns_name(name));
    query.extend_from_slice(&[0, 1, 0, 1]);
    let mut response = id.to_be_bytes().to_vec();
    response.extend_from_slice(&[0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
    response.extend_from_slice(&dns_name(name));
    response.extend_from_slice(&[0, 1, 0, 1]);
    response.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4]);
    response.extend_from_slice(&answer);
    vec![
        udp(GCS, 53000 + id, RESOLVER, 53, &query),
        udp(RESOLVER, 53, GCS, 53000 + id, &response),
    ]
}

/// A TLS ClientHello record for `server_name`, offering `versions` and `suites`.
fn client_hello(server_name: &str, versions: &[u16], suites: &[u16]) -> Vec<u8> {
    let name = server_name.as_bytes();
    let mut extensions = Vec::new();
    extensions.extend_from_slice(&[0, 0]);
    extensions.extend_from_slice(&((name.len() + 5) as u16).to_be_bytes());
    extensions.extend_from_slice(&((name.len() + 3) as u16).to_be_bytes());
    extensions.push(0);
    extensions.extend_from_slice(&(name.len() as u16).to_be_bytes());
    extensions.extend_from_slice(name);
    if versions.iter().any(|version| *version >= 0x0304) {
        extensions.extend_from_slice(&[0, 43]);
        extensions.extend_from_slice(&((versions.len() * 2 + 1) as u16).to_be_bytes());
        extensions.push((versions.len() * 2) as u8);
        for version in versions {
            extensions.extend_from_slice(&version.to_be_bytes());
        }
    }
    let legacy = versions
        .iter()
        .copied()
        .filter(|v| *v <= 0x0303)
        .max()
        .unwrap_or(0x0303);
    let mut hello = legacy.to_be_bytes().to_vec();
    hello.extend_from_slice(&[0x5a; 32]);
    hello.push(0);
    hello.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    for suite in suites {
        hello.extend_from_slice(&suite.to_be_bytes());
    }
    hello.extend_from_slice(&[1, 0]);
    hello.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    hello.extend_from_slice(&extensions);
    let mut record = vec![22, 3, 1];
    record.extend_from_slice(&((hello.len() + 4) as u16).to_be_bytes());
    record.push(1);
    record.extend_from_slice(&(hello.len() as u32).to_be_bytes()[1..]);
    record.extend_from_slice(&hello);
    record
}

const MODERN_SUITES: [u16; 3] = [0x1301, 0x1302, 0xc02f];

/// A TLS ServerHello record choosing `version` and `suite` (no extensions, as TLS 1.0 servers
/// send it), followed in the same segment by the start of a Certificate record.
fn server_hello(version: u16, suite: u16) -> Vec<u8> {
    let mut hello = version.to_be_bytes().to_vec();
    hello.extend_from_slice(&[0x6b; 32]);
    hello.push(0);
    hello.extend_from_slice(&suite.to_be_bytes());
    hello.push(0);
    let mut record = vec![22, 3, 1];
    record.extend_from_slice(&((hello.len() + 4) as u16).to_be_bytes());
    record.push(2);
    record.extend_from_slice(&(hello.len() as u32).to_be_bytes()[1..]);
    record.extend_from_slice(&hello);
    record.extend_from_slice(&[22, 3, 1, 0x04, 0x00, 11, 0, 0x03, 0xfc]);
    record
}

/// A TLS session: the client's hello, then the server's, in one conversation.
fn tls_session(
    sport: u16,
    server: [u8; 4],
    client_hello: Vec<u8>,
    server_hello: Vec<u8>,
) -> Vec<Frame> {
    let mut frames = tcp_session(GCS, sport, server, 443, std::slice::from_ref(&client_hello));
    let client_next = 1001 + client_hello.len() as u32;
    frames.push(tcp(
        server,
        443,
        GCS,
        sport,
        PSH_ACK,
        (5001, client_next),
        &server_hello,
    ));
    frames
}

/// MAVLink v2 frame: HEARTBEAT-sized payload, or SETUP_SIGNING's 42 bytes; its checksum seeded
/// with the message's CRC_EXTRA.
fn mavlink_v2(
    sequence: u8,
    system: u8,
    component: u8,
    message: u32,
    payload_length: u8,
    signed: bool,
) -> Vec<u8> {
    let mut frame = vec![
        0xfd,
        payload_length,
        u8::from(signed),
        0,
        sequence,
        system,
        component,
    ];
    frame.extend_from_slice(&message.to_le_bytes()[..3]);
    frame.extend(std::iter::repeat_n(0x11, usize::from(payload_length)));
    frame.extend_from_slice(&[0, 0]);
    if signed {
        frame.push(1); // link id
        frame.extend_from_slice(&[0x22; 6]); // timestamp
        frame.extend_from_slice(&[0x33; 6]); // signature
    }
    drone_audit::analyze::mavlink::seal(&mut frame);
    frame
}

fn mavlink_v1(sequence: u8, system: u8, component: u8, message: u8, payload_length: u8) -> Vec<u8> {
    let mut frame = vec![0xfe, payload_length, sequence, system, component, message];
    frame.extend(std::iter::repeat_n(0x11, usize::from(payload_length)));
    frame.extend_from_slice(&[0, 0]);
    drone_audit::analyze::mavlink::seal(&mut frame);
    frame
}

/// Telemetry from the autopilot (system 1) to the ground station on UDP 14550.
fn telemetry(frames: &[Vec<u8>]) -> Vec<Frame> {
    frames
        .iter()
        .map(|frame| udp(DRONE, 14555, GCS, 14550, frame))
        .collect()
}

/// An RTP packet of H.264 video (dynamic payload type 96) with `size` bytes of payload.
fn rtp_video(sequence: u16, size: usize) -> Vec<u8> {
    let mut packet = vec![0x80, 96];
    packet.extend_from_slice(&sequence.to_be_bytes());
    packet.extend_from_slice(&(u32::from(sequence) * 3000).to_be_bytes());
    packet.extend_from_slice(&0x5eed_cafeu32.to_be_bytes());
    packet.extend(std::iter::repeat_n(0x41, size));
    packet
}

/// Video from the aircraft's camera to the ground station on UDP 5600.
fn video_stream(packets: u16) -> Vec<Frame> {
    (0..packets)
        .map(|sequence| udp(DRONE, 5600, GCS, 5600, &rtp_video(sequence, 1200)))
        .collect()
}

fn http_get(host: &str, path: &str, authorization: Option<&str>) -> Vec<u8> {
    let mut request =
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: DJI-Pilot/2.5\r\n");
    if let Some(credentials) = authorization {
        request.push_str(&format!("Authorization: {credentials}\r\n"));
    }
    request.push_str("\r\n");
    request.into_bytes()
}

fn rtsp(method: &str, url: &str, sequence: u32, authorization: Option<&str>) -> Vec<u8> {
    let mut request =
        format!("{method} {url} RTSP/1.0\r\nCSeq: {sequence}\r\nUser-Agent: Lavf58.29.100\r\n");
    if let Some(credentials) = authorization {
        request.push_str(&format!("Authorization: {credentials}\r\n"));
    }
    request.push_str("\r\n");
    request.into_bytes()
}

fn rtsp_session(authorization: Option<&str>) -> Vec<Frame> {
    let url = "rtsp://192.168.10.1:554/live";
    tcp_session(
        GCS,
        50554,
        DRONE,
        554,
        &[
            rtsp("OPTIONS", url, 1, authorization),
            rtsp("DESCRIBE", url, 2, authorization),
            rtsp("SETUP", &format!("{url}/track1"), 3, authorization),
            rtsp("PLAY", url, 4, authorization),
        ],
    )
}

/// An 802.11 data frame (radiotap) carrying a UDP datagram; `protected` sets the WEP/WPA bit.
fn wifi_data(protected: bool) -> Frame {
    let mut bytes = vec![0, 0, 8, 0, 0, 0, 0, 0]; // radiotap: no fields present
    bytes.extend_from_slice(&[0x08, if protected { 0x41 } else { 0x01 }]);
    bytes.extend_from_slice(&[0; 2]); // duration
    bytes.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01]); // BSSID
    bytes.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02]); // source
    bytes.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01]); // destination
    bytes.extend_from_slice(&[0x10, 0]); // sequence
    let datagram = udp(GCS, 7000, DRONE, 7070, b"stick input").bytes;
    if protected {
        bytes.extend_from_slice(&[0x00, 0x20, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00]); // CCMP header
        bytes.extend(datagram[14..].iter().map(|byte| byte ^ 0x5c));
        bytes.extend_from_slice(&[0; 8]); // MIC
    } else {
        bytes.extend_from_slice(&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]);
        bytes.extend_from_slice(&datagram[14..]);
    }
    Frame {
        link_type: 127,
        bytes,
    }
}

/// A local-only session: the ground station and the aircraft on their own network.
fn local_session() -> Vec<Frame> {
    let mut frames = Vec::new();
    for index in 0..5u8 {
        frames.push(udp(
            GCS,
            40000,
            DRONE,
            9003,
            &[0x55, 0xaa, index, 0x10, 0x00],
        ));
        frames.push(udp(
            DRONE,
            9003,
            GCS,
            40000,
            &[0x55, 0xbb, index, 0x20, 0x01, 0x02],
        ));
    }
    frames
}

fn write_pcap(path: &Path, frames: &[Frame]) {
    let link_type = frames.first().map_or(1, |frame| frame.link_type);
    let mut file = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    file.extend_from_slice(&65535u32.to_le_bytes());
    file.extend_from_slice(&link_type.to_le_bytes());
    // 2026-11-01 10:00:00 UTC, a packet every 20 ms.
    let start = 1_793_527_200u32;
    for (index, frame) in frames.iter().enumerate() {
        assert_eq!(frame.link_type, link_type, "one link type per pcap file");
        let micros = index as u64 * 20_000;
        file.extend_from_slice(&(start + (micros / 1_000_000) as u32).to_le_bytes());
        file.extend_from_slice(&((micros % 1_000_000) as u32).to_le_bytes());
        file.extend_from_slice(&(frame.bytes.len() as u32).to_le_bytes());
        file.extend_from_slice(&(frame.bytes.len() as u32).to_le_bytes());
        file.extend_from_slice(&frame.bytes);
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create the folder");
    }
    fs::write(path, file).expect("write the capture");
    println!("{}: {} packets", path.display(), frames.len());
}

fn concat(parts: Vec<Vec<Frame>>) -> Vec<Frame> {
    parts.into_iter().flatten().collect()
}

/// The fixtures of each capture rule: one capture it must fire on, one it must not.
fn fixtures() -> Vec<(&'static str, Vec<Frame>, Vec<Frame>)> {
    vec![
        (
            "CAP-001",
            concat(vec![local_session(), tcp_session(GCS, 51000, UNKNOWN_HOST, 443, &[client_hello("telemetry.example.net", &[0x0304, 0x0303], &MODERN_SUITES)])]),
            local_session(),
        ),
        (
            "CAP-002",
            concat(vec![dns_lookup(1, "mydjiflight.dji.com", DJI_CLOUD), tcp_session(GCS, 51001, DJI_CLOUD, 443, &[client_hello("mydjiflight.dji.com", &[0x0304, 0x0303], &MODERN_SUITES)])]),
            concat(vec![local_session(), tcp_session(GCS, 51002, UNKNOWN_HOST, 443, &[client_hello("telemetry.example.net", &[0x0304, 0x0303], &MODERN_SUITES)])]),
        ),
        (
            "CAP-003",
            concat(vec![local_session(), dns_lookup(2, "flysafe-api.dji.com", DJI_CLOUD)]),
            concat(vec![local_session(), dns_lookup(3, "pool.ntp.org", UNKNOWN_HOST)]),
        ),
        (
            "CAP-004",
            concat(vec![dns_lookup(4, "dl.djicdn.com", DJI_CDN), tcp_session(GCS, 51003, DJI_CDN, 80, &[http_get("dl.djicdn.com", "/downloads/m2e/firmware/V01.01.0800.bin", None)])]),
            concat(vec![tcp_session(GCS, 51004, DRONE, 80, &[http_get("192.168.10.1", "/status.json", None)])]),
        ),
        (
            "CAP-005",
            concat(vec![dns_lookup(5, "dl.djicdn.com", DJI_CDN), tcp_session(GCS, 51005, DJI_CDN, 443, &[client_hello("dl.djicdn.com", &[0x0304, 0x0303], &MODERN_SUITES)])]),
            concat(vec![dns_lookup(6, "mydjiflight.dji.com", DJI_CLOUD)]),
        ),
        (
            "CAP-006",
            telemetry(&[mavlink_v2(0, 1, 1, 0, 9, false), mavlink_v2(1, 1, 1, 33, 28, false)]),
            telemetry(&[mavlink_v2(0, 1, 1, 0, 9, true), mavlink_v2(1, 1, 1, 33, 28, true)]),
        ),
        (
            "CAP-007",
            telemetry(&[mavlink_v1(0, 1, 1, 0, 9), mavlink_v1(1, 1, 1, 33, 28)]),
            telemetry(&[mavlink_v2(0, 1, 1, 0, 9, true)]),
        ),
        (
            "CAP-008",
            concat(vec![telemetry(&[mavlink_v2(0, 1, 1, 0, 9, true)]), vec![udp(GCS, 14550, DRONE, 14555, &mavlink_v2(0, 255, 190, 256, 42, false))]]),
            telemetry(&[mavlink_v2(0, 1, 1, 0, 9, true), mavlink_v2(1, 1, 1, 0, 9, true)]),
        ),
        ("CAP-009", rtsp_session(None), local_session()),
        (
            "CAP-010",
            rtsp_session(None),
            rtsp_session(Some("Digest username=\"pilot\", realm=\"drone\", nonce=\"5f1c\", uri=\"rtsp://192.168.10.1:554/live\", response=\"0b9e\"")),
        ),
        (
            "CAP-011",
            tcp_session(GCS, 51006, DRONE, 80, &[http_get("192.168.10.1", "/cgi-bin/config", Some("Basic YWRtaW46YWRtaW4="))]),
            tcp_session(GCS, 51007, DRONE, 80, &[http_get("192.168.10.1", "/cgi-bin/config", None)]),
        ),
        (
            "CAP-012",
            concat(vec![tcp_session(GCS, 51008, DRONE, 21, &[b"USER root\r\n".to_vec(), b"PASS raspberry\r\n".to_vec()]), tcp_session(GCS, 51009, DRONE, 23, &[b"root\r\n".to_vec()])]),
            tcp_session(GCS, 51010, DRONE, 22, &[b"SSH-2.0-OpenSSH_9.2p1\r\n".to_vec()]),
        ),
        (
            "CAP-013",
            tcp_session(GCS, 51011, UNKNOWN_HOST, 443, &[client_hello("legacy.example.net", &[0x0301], &[0x002f, 0x0035])]),
            tcp_session(GCS, 51012, UNKNOWN_HOST, 443, &[client_hello("modern.example.net", &[0x0304, 0x0303], &MODERN_SUITES)]),
        ),
        (
            "CAP-014",
            tcp_session(GCS, 51013, UNKNOWN_HOST, 443, &[client_hello("weak.example.net", &[0x0303], &[0xc02f, 0x000a, 0x0005])]),
            tcp_session(GCS, 51014, UNKNOWN_HOST, 443, &[client_hello("modern.example.net", &[0x0304, 0x0303], &MODERN_SUITES)]),
        ),
        ("CAP-015", vec![wifi_data(false), wifi_data(false)], vec![wifi_data(true), wifi_data(true)]),
        (
            "CAP-017",
            tls_session(51015, UNKNOWN_HOST, client_hello("old-server.example.net", &[0x0303, 0x0301], &MODERN_SUITES), server_hello(0x0301, 0xc02f)),
            tls_session(51016, UNKNOWN_HOST, client_hello("modern.example.net", &[0x0303], &MODERN_SUITES), server_hello(0x0303, 0xc02f)),
        ),
        ("CAP-016", concat(vec![local_session(), video_stream(3)]), local_session()),
    ]
}

/// Writes a capture of about `megabytes` MB to `path`, streaming, with a realistic mix.
fn write_large(path: &Path, megabytes: u64) {
    use std::io::Write;
    let file = fs::File::create(path).expect("create the capture");
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut header = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    header.extend_from_slice(&65535u32.to_le_bytes());
    header.extend_from_slice(&1u32.to_le_bytes());
    out.write_all(&header).expect("write");
    let target = megabytes * 1_000_000;
    let mut written = header.len() as u64;
    let mut index: u64 = 0;
    let write_frame =
        |frame: &Frame, out: &mut std::io::BufWriter<fs::File>, index: &mut u64| -> u64 {
            let micros = *index * 250;
            let mut record = Vec::with_capacity(16 + frame.bytes.len());
            record
                .extend_from_slice(&(1_793_527_200u32 + (micros / 1_000_000) as u32).to_le_bytes());
            record.extend_from_slice(&((micros % 1_000_000) as u32).to_le_bytes());
            record.extend_from_slice(&(frame.bytes.len() as u32).to_le_bytes());
            record.extend_from_slice(&(frame.bytes.len() as u32).to_le_bytes());
            record.extend_from_slice(&frame.bytes);
            out.write_all(&record).expect("write");
            *index += 1;
            record.len() as u64
        };
    let mut sequence: u8 = 0;
    while written < target {
        // Every 20 packets: telemetry both ways; every 5,000: a DNS lookup and a TLS session
        // to the vendor; the rest is RTP video from the aircraft to the ground station.
        let step = index % 5_000;
        let frames: Vec<Frame> = if step == 0 {
            let name = format!("api{}.dji.com", (index / 5_000) % 50);
            concat(vec![
                dns_lookup(((index / 5_000) % 60_000) as u16, &name, DJI_CLOUD),
                tcp_session(
                    GCS,
                    40_000 + ((index / 5_000) % 20_000) as u16,
                    DJI_CLOUD,
                    443,
                    &[client_hello(&name, &[0x0304, 0x0303], &MODERN_SUITES)],
                ),
            ])
        } else if step % 20 == 0 {
            sequence = sequence.wrapping_add(1);
            vec![
                udp(
                    DRONE,
                    14555,
                    GCS,
                    14550,
                    &mavlink_v2(sequence, 1, 1, 33, 28, false),
                ),
                udp(
                    GCS,
                    14550,
                    DRONE,
                    14555,
                    &mavlink_v2(sequence, 255, 190, 0, 9, false),
                ),
            ]
        } else {
            vec![udp(DRONE, 5600, GCS, 5600, &rtp_video(index as u16, 1200))]
        };
        for frame in &frames {
            written += write_frame(frame, &mut out, &mut index);
        }
    }
    out.flush().expect("flush");
    println!("{}: {index} packets, {written} bytes", path.display());
}

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, path, megabytes] = arguments.as_slice() {
        if flag == "--large" {
            write_large(
                Path::new(path),
                megabytes.parse().expect("MEGABYTES is a number"),
            );
            return;
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (rule, fires, passes) in fixtures() {
        let dir = root.join("tests/fixtures/rules").join(rule);
        write_pcap(&dir.join("fires.pcap"), &fires);
        write_pcap(&dir.join("passes.pcap"), &passes);
    }
    // The sample fleet: Local Data Mode on (only local traffic) on the compliant Mavic, off
    // on the field unit (it phones home and fetches firmware over HTTP), and a PX4 companion
    // computer that streams unsigned MAVLink 2 and MAVLink 1 to the ground station.
    let samples = root.join("samples");
    write_pcap(
        &samples.join("m2e-hq/ground-station.pcap"),
        &local_session(),
    );
    write_pcap(
        &samples.join("m2e-field/ground-station.pcap"),
        &concat(vec![
            local_session(),
            dns_lookup(10, "mydjiflight.dji.com", DJI_CLOUD),
            tcp_session(
                GCS,
                52000,
                DJI_CLOUD,
                443,
                &[client_hello(
                    "mydjiflight.dji.com",
                    &[0x0304, 0x0303],
                    &MODERN_SUITES,
                )],
            ),
            dns_lookup(11, "dl.djicdn.com", DJI_CDN),
            tcp_session(
                GCS,
                52001,
                DJI_CDN,
                80,
                &[http_get(
                    "dl.djicdn.com",
                    "/downloads/m2e/firmware/V01.01.0800.bin",
                    None,
                )],
            ),
        ]),
    );
    write_pcap(
        &samples.join("px4-quad/companion/telemetry.pcap"),
        &telemetry(&[
            mavlink_v2(0, 1, 1, 0, 9, false),
            mavlink_v2(1, 1, 1, 33, 28, false),
            mavlink_v2(2, 1, 1, 30, 28, false),
            mavlink_v1(3, 1, 1, 0, 9),
        ]),
    );
}
