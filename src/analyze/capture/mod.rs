//! Packet captures (pcap, pcapng): what a ground station, controller or companion computer
//! really sent, and to whom: the audit that settled whether drone apps talk to the internet.
//!
//! The evidence (docs/evidence/capture.md) holds the conversations (`flows`, one per
//! transport and pair of endpoints, both directions, with the first packet's number), the
//! DNS names looked up and what they resolved to, TLS ClientHellos (server name, offered
//! versions, weak cipher suites), HTTP and RTSP requests, cleartext FTP and telnet logins,
//! MAVLink traffic per system (versions, signed and unsigned frames, SETUP_SIGNING sent in
//! the clear) and unprotected 802.11 data frames. Names and flows that reach a vendor cloud,
//! update or map endpoint (rules/catalogue/vendor-endpoints.toml) say which. Every record
//! carries `packet`, the number Wireshark shows, so a finding can be opened there.
//!
//! Bounds: at most [`CaptureLimits::max_size`] bytes are read, [`MAX_FLOWS`] conversations
//! and [`MAX_RECORDS`] records of each other sort kept; past a cap the rest is counted and
//! the capture is partial, so that the rules it feeds are not assessed (never passed on the
//! part kept).

mod decode;
mod packets;
mod protocols;
pub mod remote_id;

use crate::analyze::mavlink::{PacketNumber, SystemAt};
use crate::analyze::{AnalyzeError, Analyzer, ArtifactKind, Evidence};
use crate::net::{self, AddressScope};
use decode::{Decoded, Segment, Transport};
pub use packets::Format;
use packets::Packet;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Read;
use std::net::IpAddr;
use std::sync::OnceLock;

pub use decode::{LINKTYPE_ETHERNET, LINKTYPE_NULL, LINKTYPE_RAW};

pub struct CaptureAnalyzer;

/// Conversations kept; more are counted in `flows_dropped`.
pub const MAX_FLOWS: usize = 100_000;
/// Records of each other sort (DNS names, TLS hellos, requests, logins) kept; lookups of
/// vendor endpoints may take as many again.
pub const MAX_RECORDS: usize = 10_000;

/// Well-known MAVLink ports: a payload of whole MAVLink frames on one of them is MAVLink.
/// Elsewhere, a conversation is MAVLink once [`CONFIRMATIONS`] payloads in a row are whole
/// frames from the same system (random bytes pass the frame check about once in 65,536).
const MAVLINK_PORTS: [u16; 5] = [14550, 14555, 14540, 5760, 18570];

/// Payloads in a row that must agree before a conversation on an unusual port is read as
/// MAVLink or RTP.
const CONFIRMATIONS: u32 = 3;

/// Ports whose side of a conversation is the server, when no TCP handshake says which.
const SERVICE_PORTS: [u16; 12] = [
    53, 80, 443, 554, 5353, 5760, 7070, 8554, 14550, 18570, 21, 23,
];

/// Addresses DNS answers are remembered for.
const MAX_RESOLVED: usize = 100_000;

impl Analyzer for CaptureAnalyzer {
    fn kind(&self) -> ArtifactKind {
        ArtifactKind::Capture
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["pcap", "pcapng", "cap", "dmp"]
    }

    fn identify(&self, content: &[u8]) -> bool {
        Format::sniff(content).is_some()
    }

    fn analyze_with_options(
        &self,
        content: &[u8],
        _: crate::analyze::AnalyzeOptions<'_>,
    ) -> Result<Evidence, AnalyzeError> {
        let format = Format::sniff(content)
            .ok_or_else(|| AnalyzeError::new("not a pcap or pcapng capture"))?;
        analyze_stream(format, content)
    }
}

/// Whether an open file is a capture, and of which format, from its first bytes; the file is
/// rewound to its start either way, so the caller reads it only once.
pub fn format_of(file: &mut std::fs::File) -> std::io::Result<Option<Format>> {
    use std::io::{Seek, SeekFrom};
    let mut head = [0u8; 12];
    let mut filled = 0;
    while filled < head.len() {
        match file.read(&mut head[filled..])? {
            0 => break,
            count => filled += count,
        }
    }
    file.seek(SeekFrom::Start(0))?;
    Ok(Format::sniff(&head[..filled]))
}

/// Bounds on reading one capture. Captures are streamed, so they are not held to the
/// whole-file size limit; this is their own (`--max-capture-size`, docs/limits.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureLimits {
    /// Bytes read at most; a larger capture is read that far and reported as partial.
    pub max_size: u64,
}

/// The default capture size bound: 4 GiB, about 4 s of reading at the measured 1.16 GB/s
/// (BENCHMARKS.md), several hours of a ground station's traffic.
pub const DEFAULT_MAX_CAPTURE_SIZE: u64 = 4 << 30;

impl Default for CaptureLimits {
    fn default() -> Self {
        CaptureLimits {
            max_size: DEFAULT_MAX_CAPTURE_SIZE,
        }
    }
}

/// Analyzes a capture read as a stream, within the default [`CaptureLimits`].
pub fn analyze_stream(format: Format, input: impl Read + Send) -> Result<Evidence, AnalyzeError> {
    analyze_stream_within(format, input, CaptureLimits::default())
}

/// Analyzes a capture read as a stream: memory stays bounded whatever the file's size, and
/// at most `limits.max_size` bytes are read.
pub fn analyze_stream_within(
    format: Format,
    input: impl Read + Send,
    limits: CaptureLimits,
) -> Result<Evidence, AnalyzeError> {
    let mut capture = CaptureBuilder::default();
    // One byte past the bound tells a capture larger than it from one of exactly its size.
    let mut bounded = input.take(limits.max_size.saturating_add(1));
    let mut summary = packets::read(&mut bounded, |packet| capture.add(packet));
    if bounded.limit() == 0 {
        // The reading stopped at the bound, wherever that fell in a record.
        summary.stopped = Some(format!(
            "the capture is larger than the {}-byte capture limit (--max-capture-size)",
            limits.max_size
        ));
    }
    if summary.packets == 0 {
        if let Some(reason) = &summary.stopped {
            return Err(AnalyzeError::new(format!(
                "no packet could be read: {reason}"
            )));
        }
    }
    let incomplete = gaps(&summary, &capture);
    let warnings = capture
        .undecodable_warning(summary.packets)
        .into_iter()
        .collect();
    let document = capture.finish(format, &summary);
    Ok(Evidence {
        kind: ArtifactKind::Capture,
        document: serde_json::to_value(document)
            .map_err(|error| AnalyzeError::new(format!("cannot build the evidence: {error}")))?,
        lines: Default::default(),
        warnings,
        incomplete,
    })
}

/// What the evidence does not cover, if anything: the file past where reading stopped, and
/// the conversations and records past a cap. Either makes the capture partial, so the rules
/// it feeds are not assessed rather than passed on what was kept (a capture padded with
/// junk before its vendor lookups must not pass them).
fn gaps(summary: &packets::ReadSummary, capture: &CaptureBuilder) -> Option<String> {
    let mut gaps = Vec::new();
    if let Some(reason) = &summary.stopped {
        gaps.push(format!(
            "read {} packets, then stopped: {reason}; the rest of the file was not assessed",
            summary.packets
        ));
    }
    if capture.flows_dropped > 0 {
        gaps.push(format!(
            "more than {MAX_FLOWS} conversations (the cap): {} packets of later ones were not \
             assessed",
            capture.flows_dropped
        ));
    }
    if capture.records_dropped > 0 {
        gaps.push(format!(
            "more than {MAX_RECORDS} records of one sort (DNS names, TLS hellos, requests, \
             logins; the cap): {} were not assessed",
            capture.records_dropped
        ));
    }
    (!gaps.is_empty()).then(|| gaps.join("; "))
}

/// An endpoint of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
pub struct Endpoint {
    /// Its IPv4 or IPv6 address.
    pub address: IpAddr,
    /// Its UDP or TCP port.
    pub port: u16,
}

/// A vendor endpoint from the catalogue (rules/catalogue/vendor-endpoints.toml).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorEndpoint {
    /// The catalogue's domain the name falls under (itself or a subdomain of it).
    pub domain: String,
    /// Who runs the service, e.g. `DJI`.
    pub vendor: String,
    /// ISO 3166-1 alpha-2 country of the company that runs the service (the supply-chain
    /// control judges where data goes by it).
    pub operator_country: String,
    /// `cloud`, `update` or `maps`.
    pub kind: String,
    /// Where the catalogue has the entry from (not written to evidence).
    #[serde(skip_serializing)]
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalogue {
    endpoint: Vec<VendorEndpoint>,
}

const CATALOGUE: &str = include_str!("../../../rules/catalogue/vendor-endpoints.toml");

pub fn catalogue() -> &'static [VendorEndpoint] {
    static ENDPOINTS: OnceLock<Vec<VendorEndpoint>> = OnceLock::new();
    ENDPOINTS.get_or_init(|| {
        toml::from_str::<Catalogue>(CATALOGUE)
            .map(|catalogue| catalogue.endpoint)
            .expect("rules/catalogue/vendor-endpoints.toml is valid (a unit test reads it)")
    })
}

/// The catalogue entry a host name falls under (the longest matching domain).
pub fn vendor_of(name: &str) -> Option<&'static VendorEndpoint> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    catalogue()
        .iter()
        .filter(|endpoint| {
            name == endpoint.domain
                || name
                    .strip_suffix(&endpoint.domain)
                    .is_some_and(|head| head.ends_with('.'))
        })
        .max_by_key(|endpoint| endpoint.domain.len())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FlowKey {
    transport: Transport,
    low: Endpoint,
    high: Endpoint,
}

#[derive(Debug, Clone)]
struct Flow {
    transport: Transport,
    client: Endpoint,
    server: Endpoint,
    packets: u64,
    bytes: u64,
    first_packet: u64,
    last_packet: u64,
    first_time: f64,
    last_time: f64,
    /// Names this conversation's server goes by: TLS server name, HTTP host.
    names: BTreeSet<String>,
    protocols: BTreeSet<&'static str>,
}

/// One conversation: a transport and a pair of endpoints, both directions together.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FlowRecord {
    /// The transport: `udp` or `tcp`.
    protocol: &'static str,
    /// The endpoint that opened the conversation: a TCP SYN's sender; without a handshake,
    /// the side not on a service port; else the first sender.
    client: Endpoint,
    /// The other endpoint.
    server: Endpoint,
    /// Packets in both directions.
    packets: u64,
    /// Bytes captured in both directions.
    bytes: u64,
    /// The first packet's number.
    packet: u64,
    /// The last packet's number.
    last_packet: u64,
    /// The first packet's time, seconds since 1970.
    first_time: f64,
    /// The last packet's time, seconds since 1970.
    last_time: f64,
    /// Names the server goes by: from DNS answers, TLS server names and HTTP hosts.
    names: Vec<String>,
    /// Application protocols seen in it.
    protocols: Vec<&'static str>,
    /// The endpoint on the internet (the server's, else the client's), if either is.
    #[serde(skip_serializing_if = "Option::is_none")]
    public_address: Option<IpAddr>,
    /// The catalogue entry its own names (TLS server name, HTTP host) fall under, else one
    /// of the names DNS gave its address; the most specific domain wins.
    #[serde(skip_serializing_if = "Option::is_none")]
    vendor: Option<&'static VendorEndpoint>,
}

/// One name asked of DNS, at its first query.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DnsRecord {
    /// The first query's packet number.
    packet: u64,
    /// The name asked.
    name: String,
    /// Queries for it.
    queries: u64,
    /// Addresses the answers gave.
    answers: Vec<IpAddr>,
    /// The resolver asked.
    server: IpAddr,
    /// The catalogue entry the name falls under.
    #[serde(skip_serializing_if = "Option::is_none")]
    vendor: Option<&'static VendorEndpoint>,
}

/// One TLS connection and server name: what the client offered and the server chose.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TlsRecord {
    /// The ClientHello's packet number.
    packet: u64,
    /// The client's endpoint.
    client: Endpoint,
    /// The server's endpoint.
    server: Endpoint,
    /// The server name (SNI) the client asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    server_name: Option<String>,
    /// Versions offered, by name (`TLS 1.2`…).
    offered_versions: Vec<String>,
    /// The newest version offered is below TLS 1.2.
    legacy_only: bool,
    /// Every suite offered (IANA numbers, `0x1301`…), GREASE values left out.
    offered_suites: Vec<String>,
    /// Broken or export-grade suites offered (`RC4`, `3DES`…), by kind.
    weak_suites: Vec<&'static str>,
    /// The version the server chose, when its ServerHello was captured.
    #[serde(skip_serializing_if = "Option::is_none")]
    chosen_version: Option<String>,
    /// The suite the server chose (IANA number), when its ServerHello was captured.
    #[serde(skip_serializing_if = "Option::is_none")]
    chosen_suite: Option<String>,
    /// The kind of weakness of the chosen suite, when it is broken or export-grade.
    #[serde(skip_serializing_if = "Option::is_none")]
    chosen_weak_suite: Option<&'static str>,
    /// The catalogue entry the server name falls under.
    #[serde(skip_serializing_if = "Option::is_none")]
    vendor: Option<&'static VendorEndpoint>,
}

/// One HTTP or RTSP request (per method, target, host and credentials scheme).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RequestRecord {
    /// Its packet number.
    packet: u64,
    /// `http` or `rtsp`.
    protocol: &'static str,
    /// The request method, e.g. `GET`, `DESCRIBE`.
    method: String,
    /// The request target (path and query).
    target: String,
    /// The client's endpoint.
    client: Endpoint,
    /// The server's endpoint.
    server: Endpoint,
    /// The `Host` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<String>,
    /// The `User-Agent` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<String>,
    /// The scheme of the `Authorization` header (`Basic`, `Digest`), never the credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    authorization: Option<String>,
    /// The target looks like a firmware or app package (`.bin`, `.apk`, `firmware`…).
    download: bool,
    /// The catalogue entry the host falls under.
    #[serde(skip_serializing_if = "Option::is_none")]
    vendor: Option<&'static VendorEndpoint>,
}

/// A plaintext login: FTP `USER`/`PASS` or a telnet session, one per conversation and command.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LoginRecord {
    /// Its packet number.
    packet: u64,
    /// `ftp` or `telnet`.
    protocol: &'static str,
    /// The client's endpoint.
    client: Endpoint,
    /// The server's endpoint.
    server: Endpoint,
    /// What was seen: `USER`/`PASS` commands, or telnet traffic.
    command: &'static str,
}

/// A MAVLink SETUP_SIGNING message (256): it carries the signing key in the clear.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SetupSigning {
    /// Its packet number.
    packet: u64,
    /// The system it was sent to set up.
    system_id: u8,
    /// Who sent it.
    source: Endpoint,
    /// Who it was sent to.
    destination: Endpoint,
}

/// The MAVLink frames seen in the capture's payloads.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct MavlinkRecord {
    /// Frames read.
    frames: u64,
    /// Per system id: frames by version and signing, and the first one's `packet`.
    systems: Vec<SystemAt<PacketNumber>>,
    /// SETUP_SIGNING messages seen: each carries the signing key in the clear.
    setup_signing: Vec<SetupSigning>,
}

/// 802.11 data frames sent without protection.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct WifiRecord {
    /// 802.11 data frames without the Protected bit (EAPOL and bad-FCS frames left out).
    unprotected_data_frames: u64,
    /// The first unprotected data frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    packet: Option<u64>,
}

/// The packets read down to a UDP or TCP segment: the traffic the rules read. Absent when
/// none was (every payload still encrypted, or on link types not read), so the traffic
/// rules, which require it, are not assessed rather than passed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DecodableTraffic {
    /// Packets read down to a UDP or TCP segment.
    packets: u64,
    /// The first one's number.
    packet: u64,
}

/// Packets whose payload could not be read, by why.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Undecodable {
    /// 802.11 data frames with the Protected bit: still encrypted.
    protected_wifi_frames: u64,
    /// Frames of a link type this tool does not read.
    unknown_link_type_packets: u64,
}

/// The evidence of a packet capture (pcap or pcapng): what was sent, to whom, and how.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CaptureEvidence {
    /// The container: `pcap` or `pcapng`.
    format: &'static str,
    /// Packets read (numbered from 1, as Wireshark numbers them).
    packets: u64,
    /// The link types of the packets read, by name (`ethernet`, `ieee802-11-radiotap`…).
    link_types: Vec<String>,
    /// Packets captured shorter than they were on the wire (snap length).
    truncated_packets: u64,
    /// IPv4 and IPv6 fragments after the first (counted, not reassembled).
    later_fragments: u64,
    /// True when reading stopped before the end of the file.
    partial: bool,
    /// The packets read down to a UDP or TCP segment; absent when none was.
    #[serde(skip_serializing_if = "Option::is_none")]
    decodable_traffic: Option<DecodableTraffic>,
    /// Packets whose payload could not be read, by why.
    undecodable: Undecodable,
    /// One per transport and pair of endpoints, both directions together.
    flows: Vec<FlowRecord>,
    /// One per name asked of DNS or mDNS.
    dns: Vec<DnsRecord>,
    /// One per TLS connection and server name.
    tls: Vec<TlsRecord>,
    /// HTTP and RTSP requests.
    requests: Vec<RequestRecord>,
    /// FTP and telnet logins.
    logins: Vec<LoginRecord>,
    /// MAVLink frames in the payloads.
    mavlink: MavlinkRecord,
    /// 802.11 data frames sent without protection.
    wifi: WifiRecord,
    /// Broadcast Remote ID in 802.11 management frames; absent when the capture has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    remote_id: Option<remote_id::RemoteIdRecord>,
}

#[derive(Default)]
struct CaptureBuilder {
    traffic: Option<DecodableTraffic>,
    undecodable: Undecodable,
    flows: HashMap<FlowKey, Flow>,
    flows_dropped: u64,
    records_dropped: u64,
    later_fragments: u64,
    /// Addresses DNS answers gave, with the names they answered.
    resolved: HashMap<IpAddr, BTreeSet<String>>,
    dns: BTreeMap<String, DnsRecord>,
    tls: Vec<TlsRecord>,
    /// The ClientHellos kept, by client, server and name: a retransmission is not kept again.
    tls_seen: HashSet<(Endpoint, Endpoint, Option<String>)>,
    /// The latest ClientHello from a client to a server, for its ServerHello.
    latest_hello: HashMap<(Endpoint, Endpoint), usize>,
    requests: Vec<RequestRecord>,
    requests_seen: BTreeSet<(String, String, Option<String>, Option<String>)>,
    logins: Vec<LoginRecord>,
    logins_seen: BTreeSet<(EndpointPair, &'static str)>,
    mavlink: MavlinkRecord,
    mavlink_systems: crate::analyze::mavlink::Systems,
    /// Conversations on unusual ports whose payloads look like MAVLink or RTP, not yet
    /// confirmed.
    candidates: HashMap<FlowKey, Candidate>,
    wifi: WifiRecord,
    remote_id: remote_id::RemoteIdBuilder,
}

type EndpointPair = (Endpoint, Endpoint);

/// A conversation that looks like MAVLink or RTP, awaiting [`CONFIRMATIONS`] agreeing payloads.
#[derive(Default)]
struct Candidate {
    /// Payloads in a row that agreed.
    agreeing: u32,
    /// MAVLink: the system id and version; RTP: the SSRC and payload type.
    identity: u64,
    /// RTP: the last sequence number.
    sequence: u16,
    /// MAVLink frames held until the conversation is confirmed.
    pending: Vec<(u64, protocols::MavlinkFrame, Endpoint, Endpoint)>,
    confirmed: Option<&'static str>,
}

impl CaptureBuilder {
    /// Says so when no packet of the `packets` read could be decoded to traffic, and why.
    fn undecodable_warning(&self, packets: u64) -> Option<String> {
        if self.traffic.is_some() || packets == 0 {
            return None;
        }
        let Undecodable {
            protected_wifi_frames,
            unknown_link_type_packets,
        } = self.undecodable;
        Some(format!(
            "no decodable traffic: of {packets} packets, {protected_wifi_frames} are 802.11 \
             data frames still encrypted and {unknown_link_type_packets} on link types not \
             read; the rules on traffic are not assessed"
        ))
    }

    fn add(&mut self, packet: &Packet) {
        match decode::decode(packet.link_type, packet.data) {
            Decoded::Segment(segment) => self.add_segment(packet, &segment),
            Decoded::UnprotectedWifiData { inner } => {
                self.wifi.unprotected_data_frames += 1;
                self.wifi.packet.get_or_insert(packet.number);
                if let Some(segment) = inner {
                    self.add_segment(packet, &segment);
                }
            }
            Decoded::WifiManagement {
                subtype,
                transmitter,
                body,
            } => self
                .remote_id
                .add(packet.number, subtype, transmitter, body),
            Decoded::LaterFragment => self.later_fragments += 1,
            Decoded::ProtectedWifiData => self.undecodable.protected_wifi_frames += 1,
            Decoded::UnknownLinkType => self.undecodable.unknown_link_type_packets += 1,
            Decoded::Other | Decoded::Short => {}
        }
    }

    fn add_segment(&mut self, packet: &Packet, segment: &Segment) {
        let traffic = self.traffic.get_or_insert(DecodableTraffic {
            packets: 0,
            packet: packet.number,
        });
        traffic.packets += 1;
        let source = Endpoint {
            address: segment.source,
            port: segment.source_port,
        };
        let destination = Endpoint {
            address: segment.destination,
            port: segment.destination_port,
        };
        let key = FlowKey {
            transport: segment.transport,
            low: source.min(destination),
            high: source.max(destination),
        };
        if self.flows.len() >= MAX_FLOWS && !self.flows.contains_key(&key) {
            self.flows_dropped += 1;
        } else {
            let flow = self.flows.entry(key).or_insert_with(|| {
                // The client opened the conversation: a TCP SYN's sender (a SYN-ACK seen first
                // means the other side did); without a handshake, the side on a service port
                // is the server; else whoever sent first.
                let is_service = |endpoint: &Endpoint| SERVICE_PORTS.contains(&endpoint.port);
                let (client, server) = if segment.tcp_flags.syn {
                    if segment.tcp_flags.ack {
                        (destination, source)
                    } else {
                        (source, destination)
                    }
                } else if is_service(&source) && !is_service(&destination) {
                    (destination, source)
                } else {
                    (source, destination)
                };
                Flow {
                    transport: segment.transport,
                    client,
                    server,
                    packets: 0,
                    bytes: 0,
                    first_packet: packet.number,
                    last_packet: packet.number,
                    first_time: packet.time,
                    last_time: packet.time,
                    names: BTreeSet::new(),
                    protocols: BTreeSet::new(),
                }
            });
            flow.packets += 1;
            flow.bytes += u64::from(segment.ip_length);
            flow.last_packet = packet.number;
            flow.last_time = packet.time;
        }
        let payload = segment.payload;
        if payload.is_empty() {
            return;
        }
        let mut protocol: Option<&'static str> = None;
        if [53, 5353].contains(&segment.source_port)
            || [53, 5353].contains(&segment.destination_port)
        {
            // DNS over TCP prefixes each message with its length.
            let message = match segment.transport {
                Transport::Udp => payload,
                Transport::Tcp => payload.get(2..).unwrap_or_default(),
            };
            if let Some(message) = protocols::dns(message) {
                protocol = Some("dns");
                self.add_dns(packet, &message, source, destination);
            }
        }
        if protocol.is_none() {
            if let Some(frames) = protocols::mavlink(payload) {
                let known_port = MAVLINK_PORTS.contains(&segment.source_port)
                    || MAVLINK_PORTS.contains(&segment.destination_port);
                if known_port || frames.len() > 1 {
                    protocol = Some("mavlink");
                    self.add_mavlink(packet.number, &frames, source, destination);
                } else if segment.transport == Transport::Udp {
                    protocol =
                        self.confirm_mavlink(&key, packet.number, frames[0], source, destination);
                }
            }
        }
        if protocol.is_none()
            && segment.transport == Transport::Udp
            && segment.source_port >= 1024
            && segment.destination_port >= 1024
        {
            protocol = self.confirm_rtp(&key, payload);
        }
        if protocol.is_none() && segment.transport == Transport::Tcp {
            if let Some(hello) = protocols::tls(payload) {
                protocol = Some("tls");
                self.add_tls(packet, hello, source, destination, &key);
            } else if let Some(request) = protocols::request(payload) {
                protocol = Some(request.protocol);
                self.add_request(packet, request, source, destination, &key);
            } else if [21, 23].contains(&segment.destination_port) {
                let (name, command) = if segment.destination_port == 21 {
                    ("ftp", protocols::ftp_login(payload))
                } else {
                    ("telnet", Some("data"))
                };
                protocol = Some(name);
                if let Some(command) = command {
                    self.add_login(packet, name, command, source, destination);
                }
            }
        }
        if let (Some(protocol), Some(flow)) = (protocol, self.flows.get_mut(&key)) {
            flow.protocols.insert(protocol);
        }
    }

    /// A single MAVLink frame on an unusual port counts once the conversation has carried
    /// [`CONFIRMATIONS`] of them in a row from one system; the frames held until then count
    /// too.
    fn confirm_mavlink(
        &mut self,
        key: &FlowKey,
        number: u64,
        frame: protocols::MavlinkFrame,
        source: Endpoint,
        destination: Endpoint,
    ) -> Option<&'static str> {
        if !self.candidates.contains_key(key) && self.candidates.len() >= MAX_FLOWS {
            return None;
        }
        let candidate = self.candidates.entry(*key).or_default();
        if candidate.confirmed == Some("mavlink") {
            self.add_mavlink(number, &[frame], source, destination);
            return Some("mavlink");
        }
        let identity = u64::from(frame.system_id) << 32 | u64::from(frame.version);
        if candidate.agreeing > 0 && candidate.identity == identity {
            candidate.agreeing += 1;
        } else {
            candidate.agreeing = 1;
            candidate.identity = identity;
            candidate.pending.clear();
        }
        candidate.pending.push((number, frame, source, destination));
        if candidate.agreeing < CONFIRMATIONS {
            return None;
        }
        candidate.confirmed = Some("mavlink");
        let pending = std::mem::take(&mut candidate.pending);
        for (number, frame, source, destination) in pending {
            self.add_mavlink(number, &[frame], source, destination);
        }
        Some("mavlink")
    }

    /// RTP counts once the conversation has carried [`CONFIRMATIONS`] packets in a row with
    /// the same SSRC and payload type and rising sequence numbers; RTCP when its length field
    /// fits the payload.
    fn confirm_rtp(&mut self, key: &FlowKey, payload: &[u8]) -> Option<&'static str> {
        if protocols::rtp(payload)? == "rtcp" {
            let words = usize::from(u16::from_be_bytes([payload[2], payload[3]]));
            return ((words + 1) * 4 <= payload.len()).then_some("rtcp");
        }
        if !self.candidates.contains_key(key) && self.candidates.len() >= MAX_FLOWS {
            return None;
        }
        let candidate = self.candidates.entry(*key).or_default();
        let sequence = u16::from_be_bytes([payload[2], payload[3]]);
        let ssrc = u32::from_be_bytes([payload[8], payload[9], payload[10], payload[11]]);
        let identity = u64::from(ssrc) << 8 | u64::from(payload[1] & 0x7f);
        let rising = sequence.wrapping_sub(candidate.sequence).wrapping_sub(1) < 100;
        if candidate.agreeing > 0 && candidate.identity == identity && rising {
            candidate.agreeing += 1;
        } else if candidate.confirmed.is_none() {
            candidate.agreeing = 1;
            candidate.identity = identity;
        }
        candidate.sequence = sequence;
        if candidate.agreeing >= CONFIRMATIONS {
            candidate.confirmed = Some("rtp");
        }
        candidate.confirmed
    }

    fn keep(&mut self, count: usize) -> bool {
        if count >= MAX_RECORDS {
            self.records_dropped += 1;
            false
        } else {
            true
        }
    }

    fn add_dns(
        &mut self,
        packet: &Packet,
        message: &protocols::Dns,
        source: Endpoint,
        destination: Endpoint,
    ) {
        for (name, address) in &message.answers {
            if !self.resolved.contains_key(address) && self.resolved.len() >= MAX_RESOLVED {
                self.records_dropped += 1;
                continue;
            }
            let names = self.resolved.entry(*address).or_default();
            if names.len() < 16 {
                names.insert(name.clone());
            }
        }
        let server = if message.response {
            source.address
        } else {
            destination.address
        };
        for name in &message.questions {
            // Lookups of vendor endpoints have room of their own past the cap, so that junk
            // lookups before them cannot push them out (the capture is partial all the same).
            let room = if vendor_of(name).is_some() {
                self.dns.len().saturating_sub(MAX_RECORDS)
            } else {
                self.dns.len()
            };
            if !self.dns.contains_key(name) && !self.keep(room) {
                continue;
            }
            let record = self.dns.entry(name.clone()).or_insert_with(|| DnsRecord {
                packet: packet.number,
                name: name.clone(),
                queries: 0,
                answers: Vec::new(),
                server,
                vendor: vendor_of(name),
            });
            if message.response {
                for (answered, address) in &message.answers {
                    if answered == name
                        && !record.answers.contains(address)
                        && record.answers.len() < 64
                    {
                        record.answers.push(*address);
                    }
                }
            } else {
                record.queries += 1;
            }
        }
    }

    fn add_tls(
        &mut self,
        packet: &Packet,
        hello: protocols::Tls,
        source: Endpoint,
        destination: Endpoint,
        key: &FlowKey,
    ) {
        match hello {
            protocols::Tls::ClientHello {
                server_name,
                versions,
                cipher_suites,
            } => {
                let seen_key = (source, destination, server_name.clone());
                if self.tls_seen.contains(&seen_key) || !self.keep(self.tls.len()) {
                    return;
                }
                if let (Some(name), Some(flow)) = (&server_name, self.flows.get_mut(key)) {
                    flow.names.insert(name.clone());
                }
                let mut weak: Vec<&'static str> = cipher_suites
                    .iter()
                    .filter_map(|suite| protocols::weak_cipher_suite(*suite))
                    .collect();
                weak.sort_unstable();
                weak.dedup();
                self.tls_seen.insert(seen_key);
                self.latest_hello
                    .insert((source, destination), self.tls.len());
                self.tls.push(TlsRecord {
                    packet: packet.number,
                    client: source,
                    server: destination,
                    vendor: server_name.as_deref().and_then(vendor_of),
                    server_name,
                    legacy_only: versions.iter().all(|version| *version < 0x0303),
                    offered_versions: versions
                        .iter()
                        .map(|version| protocols::tls_version_name(*version))
                        .collect(),
                    offered_suites: cipher_suites
                        .iter()
                        .map(|suite| format!("0x{suite:04x}"))
                        .collect(),
                    weak_suites: weak,
                    chosen_version: None,
                    chosen_suite: None,
                    chosen_weak_suite: None,
                });
            }
            protocols::Tls::ServerHello {
                version,
                cipher_suite,
            } => {
                // The answer to the latest hello from this client to this server.
                if let Some(record) = self
                    .latest_hello
                    .get(&(destination, source))
                    .and_then(|index| self.tls.get_mut(*index))
                {
                    record.chosen_version = Some(protocols::tls_version_name(version));
                    record.chosen_suite = Some(format!("0x{cipher_suite:04x}"));
                    record.chosen_weak_suite = protocols::weak_cipher_suite(cipher_suite);
                }
            }
        }
    }

    fn add_request(
        &mut self,
        packet: &Packet,
        request: protocols::Request,
        source: Endpoint,
        destination: Endpoint,
        key: &FlowKey,
    ) {
        // Credentials are part of the key: a client that is refused retries with them.
        let seen = (
            request.method.clone(),
            request.target.clone(),
            request.host.clone(),
            request.authorization.clone(),
        );
        if self.requests_seen.contains(&seen) || !self.keep(self.requests.len()) {
            return;
        }
        self.requests_seen.insert(seen);
        let host_name = request.host.as_deref().map(host_without_port);
        if let (Some(name), Some(flow)) = (&host_name, self.flows.get_mut(key)) {
            if name.parse::<IpAddr>().is_err() {
                flow.names.insert(name.clone());
            }
        }
        let target = request.target.to_ascii_lowercase();
        let download = [
            ".bin", ".apk", ".ipa", ".img", ".tar", ".zip", ".px4", ".apj", "firmware", "/fw/",
        ]
        .iter()
        .any(|marker| target.contains(marker));
        self.requests.push(RequestRecord {
            packet: packet.number,
            protocol: request.protocol,
            method: request.method,
            target: request.target,
            client: source,
            server: destination,
            vendor: host_name.as_deref().and_then(vendor_of),
            host: request.host,
            user_agent: request.user_agent,
            authorization: request.authorization,
            download,
        });
    }

    fn add_login(
        &mut self,
        packet: &Packet,
        protocol: &'static str,
        command: &'static str,
        source: Endpoint,
        destination: Endpoint,
    ) {
        let seen = ((source, destination), command);
        if self.logins_seen.contains(&seen) || !self.keep(self.logins.len()) {
            return;
        }
        self.logins_seen.insert(seen);
        self.logins.push(LoginRecord {
            packet: packet.number,
            protocol,
            client: source,
            server: destination,
            command,
        });
    }

    fn add_mavlink(
        &mut self,
        number: u64,
        frames: &[protocols::MavlinkFrame],
        source: Endpoint,
        destination: Endpoint,
    ) {
        for frame in frames {
            self.mavlink.frames += 1;
            self.mavlink_systems.add(frame, number);
            if frame.message_id == protocols::SETUP_SIGNING {
                if self.mavlink.setup_signing.len() >= MAX_RECORDS {
                    self.records_dropped += 1;
                    continue;
                }
                self.mavlink.setup_signing.push(SetupSigning {
                    packet: number,
                    system_id: frame.system_id,
                    source,
                    destination,
                });
            }
        }
    }

    fn finish(mut self, format: Format, summary: &packets::ReadSummary) -> CaptureEvidence {
        let mut flows: Vec<Flow> = self.flows.into_values().collect();
        flows.sort_by(|a, b| {
            a.first_packet
                .cmp(&b.first_packet)
                .then_with(|| a.client.cmp(&b.client))
        });
        let flows = flows
            .into_iter()
            .map(|flow| {
                // The flow's own names (TLS server name, HTTP host) say best which service it
                // reached; names DNS gave the address (a CDN's are shared) come next.
                let own_vendor = most_specific_vendor(&flow.names);
                let mut names = flow.names;
                let resolved = self
                    .resolved
                    .get(&flow.server.address)
                    .or_else(|| self.resolved.get(&flow.client.address));
                if let Some(resolved) = resolved {
                    names.extend(resolved.iter().cloned());
                }
                let public_address = [flow.server.address, flow.client.address]
                    .into_iter()
                    .find(|address| net::scope(*address) == AddressScope::Public);
                let vendor = own_vendor.or_else(|| most_specific_vendor(&names));
                FlowRecord {
                    protocol: flow.transport.name(),
                    client: flow.client,
                    server: flow.server,
                    packets: flow.packets,
                    bytes: flow.bytes,
                    packet: flow.first_packet,
                    last_packet: flow.last_packet,
                    first_time: flow.first_time,
                    last_time: flow.last_time,
                    names: names.into_iter().collect(),
                    protocols: flow.protocols.into_iter().collect(),
                    public_address,
                    vendor,
                }
            })
            .collect();
        let mut dns: Vec<DnsRecord> = std::mem::take(&mut self.dns).into_values().collect();
        dns.sort_by(|a, b| a.packet.cmp(&b.packet).then_with(|| a.name.cmp(&b.name)));
        self.mavlink.systems = self
            .mavlink_systems
            .records(|packet| PacketNumber { packet });
        CaptureEvidence {
            format: format.name(),
            packets: summary.packets,
            link_types: summary
                .link_types
                .iter()
                .map(|link_type| link_type_name(*link_type))
                .collect(),
            truncated_packets: summary.truncated_packets,
            later_fragments: self.later_fragments,
            partial: summary.stopped.is_some(),
            decodable_traffic: self.traffic,
            undecodable: self.undecodable,
            flows,
            dns,
            tls: self.tls,
            requests: self.requests,
            logins: self.logins,
            mavlink: self.mavlink,
            wifi: self.wifi,
            remote_id: self.remote_id.finish(),
        }
    }
}

/// The vendor entry with the longest domain that one of `names` falls under.
fn most_specific_vendor(names: &BTreeSet<String>) -> Option<&'static VendorEndpoint> {
    names
        .iter()
        .filter_map(|name| vendor_of(name))
        .max_by_key(|endpoint| endpoint.domain.len())
}

/// A Host header without its port: `name:80` -> `name`, `[::1]:80` -> `::1`.
fn host_without_port(host: &str) -> String {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest).to_owned();
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name.to_owned()
        }
        _ => host.to_owned(),
    }
}

fn link_type_name(link_type: i32) -> String {
    match link_type {
        decode::LINKTYPE_NULL => "null".to_owned(),
        decode::LINKTYPE_ETHERNET => "ethernet".to_owned(),
        decode::LINKTYPE_RAW | 12 | 14 => "raw".to_owned(),
        decode::LINKTYPE_LOOP => "loop".to_owned(),
        decode::LINKTYPE_IEEE802_11 => "ieee802.11".to_owned(),
        decode::LINKTYPE_LINUX_SLL => "linux-sll".to_owned(),
        decode::LINKTYPE_IEEE802_11_RADIOTAP => "ieee802.11-radiotap".to_owned(),
        decode::LINKTYPE_IPV4 => "ipv4".to_owned(),
        decode::LINKTYPE_IPV6 => "ipv6".to_owned(),
        decode::LINKTYPE_LINUX_SLL2 => "linux-sll2".to_owned(),
        other => format!("linktype-{other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A raw IPv4 UDP packet (LINKTYPE_RAW) from 10.0.0.1:`sport` to 10.0.0.2:`dport`.
    fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
        decode::tests::udp4([10, 0, 0, 1], sport, [10, 0, 0, 2], dport, payload)
    }

    fn build(payloads: &[(u16, u16, Vec<u8>)]) -> CaptureEvidence {
        let mut builder = CaptureBuilder::default();
        for (index, (sport, dport, payload)) in payloads.iter().enumerate() {
            let data = udp(*sport, *dport, payload);
            builder.add(&Packet {
                number: index as u64 + 1,
                time: 0.0,
                link_type: LINKTYPE_RAW,
                data: &data,
                original_length: data.len() as u32,
            });
        }
        builder.finish(Format::Pcap, &packets::ReadSummary::default())
    }

    fn rtp(sequence: u16) -> Vec<u8> {
        let mut packet = vec![0x80, 96];
        packet.extend_from_slice(&sequence.to_be_bytes());
        packet.extend_from_slice(&[0, 0, 0, 0, 0xca, 0xfe, 0xba, 0xbe]);
        packet.extend_from_slice(&[0x41; 200]);
        packet
    }

    #[test]
    fn rtp_needs_a_run_of_agreeing_packets() {
        let one = build(&[(40000, 5600, rtp(1))]);
        assert!(
            one.flows[0].protocols.is_empty(),
            "one packet is not a stream"
        );
        let stream = build(&[
            (40000, 5600, rtp(1)),
            (40000, 5600, rtp(2)),
            (40000, 5600, rtp(3)),
        ]);
        assert_eq!(stream.flows[0].protocols, vec!["rtp"]);
        let random = build(&[
            (40000, 5600, rtp(1)),
            (40000, 5600, rtp(900)),
            (40000, 5600, rtp(7)),
        ]);
        assert!(
            random.flows[0].protocols.is_empty(),
            "sequence numbers jump"
        );
    }

    #[test]
    fn mavlink_on_an_unusual_port_needs_a_run_from_one_system() {
        // HEARTBEATs from system 7, custom mode `mode`.
        let heartbeat = |mode: u8| {
            crate::analyze::mavlink::encode_frame(
                2,
                0,
                (7, 1),
                &[mode, 0, 0, 0, 2, 3, 0, 4, 3],
                false,
            )
        };
        let one = build(&[(40000, 40001, heartbeat(0))]);
        assert_eq!(
            one.mavlink.frames, 0,
            "one look-alike datagram is not MAVLink"
        );
        let run = build(&[
            (40000, 40001, heartbeat(0)),
            (40000, 40001, heartbeat(1)),
            (40000, 40001, heartbeat(2)),
            (40000, 40001, heartbeat(3)),
        ]);
        assert_eq!(
            run.mavlink.frames, 4,
            "the frames held until confirmation count"
        );
        assert_eq!(run.mavlink.systems[0].tally.system_id, 7);
        let known = build(&[(40000, 14550, heartbeat(0))]);
        assert_eq!(known.mavlink.frames, 1, "a MAVLink port needs no run");
    }

    #[test]
    fn servers_are_told_by_their_ports_without_a_handshake() {
        let reply = build(&[(53, 40000, vec![0; 4])]);
        assert_eq!(reply.flows[0].server.port, 53);
        assert_eq!(
            host_without_port("update.example.com:8080"),
            "update.example.com"
        );
        assert_eq!(host_without_port("[2001:db8::1]:80"), "2001:db8::1");
        assert_eq!(host_without_port("2001:db8::1"), "2001:db8::1");
    }

    #[test]
    fn the_catalogue_loads_and_matches_subdomains_only() {
        assert!(catalogue().len() >= 10);
        assert_eq!(
            vendor_of("mydjiflight.dji.com").map(|v| v.vendor.as_str()),
            Some("DJI")
        );
        assert_eq!(
            vendor_of("DJI.com.").map(|v| v.vendor.as_str()),
            Some("DJI")
        );
        assert_eq!(vendor_of("notdji.com"), None);
        assert_eq!(
            vendor_of("dl.djicdn.com").map(|v| v.kind.as_str()),
            Some("update")
        );
        assert_eq!(
            vendor_of("cdn.djicdn.com").map(|v| v.kind.as_str()),
            Some("cloud")
        );
    }
}
