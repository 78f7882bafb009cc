//! mavlink-router configuration (`main.conf`): where a companion computer routes the
//! autopilot's MAVLink.
//!
//! The file is INI: `[General]`, `[UartEndpoint NAME]`, `[UdpEndpoint NAME]` and
//! `[TcpEndpoint NAME]` sections of `Key = Value` lines, names and keys in any case, `#` and
//! `;` comment lines (mavlink-router has no end-of-line comments). It is identified by an
//! endpoint section, or a `[General]` section with a mavlink-router key, among its first
//! meaningful lines. The evidence (docs/evidence/mavlink-router.md) is the `general` settings
//! and one [`Endpoint`] per endpoint section; the TCP server that mavlink-router runs unless
//! `TcpServerPort=0` (port 5760 by default, on every interface) is an endpoint too, named
//! `TcpServerPort`, so one rule covers every listening socket. A UDP endpoint whose address
//! reaches many hosts (255.255.255.255, an address ending in `.255`, a multicast group) has a
//! `fan_out` node at its `Address` line. Unknown keys, keys outside a section, malformed lines
//! and addresses that are not IP addresses are warnings.

use crate::analyze::text;
use crate::analyze::{AnalyzeError, Analyzer, ArtifactKind, Evidence};
use crate::net::{self, AddressScope};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;

pub struct MavlinkRouterAnalyzer;

/// How many of the first meaningful lines identification reads.
const SNIFF_LINES: usize = 50;

/// mavlink-router's TCP server port when `TcpServerPort` is not set.
const DEFAULT_TCP_SERVER_PORT: u16 = 5760;

/// Keys of `[General]`, lowercase (mavlink-router's global and log option tables).
const GENERAL_KEYS: &[&str] = &[
    "tcpserverport",
    "reportstats",
    "debugloglevel",
    "deduplicationperiod",
    "sniffersysid",
    "mavlinkdialect",
    "log",
    "logmode",
    "logsystemid",
    "minfreespace",
    "maxlogfiles",
    "logtelemetry",
];

/// Keys every endpoint section takes, lowercase: message filters and grouping.
const ENDPOINT_KEYS: &[&str] = &[
    "allowmsgidout",
    "blockmsgidout",
    "allowsrccompout",
    "blocksrccompout",
    "allowsrcsysout",
    "blocksrcsysout",
    "allowmsgidin",
    "blockmsgidin",
    "allowsrccompin",
    "blocksrccompin",
    "allowsrcsysin",
    "blocksrcsysin",
    "group",
    "ignorecompid",
];

/// The transport of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EndpointType {
    /// A UDP endpoint (`[UdpEndpoint]`), a client or a server by its `mode`.
    Udp,
    /// A TCP client endpoint (`[TcpEndpoint]`).
    Tcp,
    /// A serial port (`[UartEndpoint]`), usually the link to the autopilot.
    Uart,
    /// The TCP server of `[General]`, which accepts any number of clients.
    TcpServer,
}

impl EndpointType {
    /// The section type that declares it, lowercase.
    fn of_section(section: &str) -> Option<EndpointType> {
        match section {
            "udpendpoint" => Some(EndpointType::Udp),
            "tcpendpoint" => Some(EndpointType::Tcp),
            "uartendpoint" => Some(EndpointType::Uart),
            _ => None,
        }
    }

    fn keys(self) -> &'static [&'static str] {
        match self {
            EndpointType::Udp => &["address", "mode", "port", "filter"],
            EndpointType::Tcp => &["address", "port", "retrytimeout"],
            EndpointType::Uart => &["device", "baud", "flowcontrol"],
            EndpointType::TcpServer => &[],
        }
    }
}

/// Whether an endpoint connects out or waits for peers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Sends to its address (UDP `Mode=Normal`, TCP endpoints).
    Client,
    /// Listens on its address and answers whoever sent last (UDP `Mode=Server` or the old
    /// `Eavesdropping`, and the TCP server).
    Server,
}

/// How a UDP endpoint's address delivers what is sent to it, when it reaches many hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub enum Delivery {
    /// 255.255.255.255: every host of the link.
    #[serde(rename = "broadcast")]
    Broadcast,
    /// An IPv4 address ending in `.255`: the broadcast address of the /24 it is in (or of a
    /// narrower subnet's upper half). In a wider subnet it could be a host, but a router
    /// configuration that names such a host is rare; the file gives no netmask to tell.
    #[serde(rename = "subnet broadcast")]
    SubnetBroadcast,
    /// A multicast group: every host that joins it.
    #[serde(rename = "multicast")]
    Multicast,
}

impl Delivery {
    fn of(address: IpAddr) -> Option<Delivery> {
        match address {
            IpAddr::V4(v4) if v4.is_broadcast() => Some(Delivery::Broadcast),
            IpAddr::V4(v4) if v4.is_multicast() => Some(Delivery::Multicast),
            IpAddr::V4(v4) if v4.octets()[3] == 255 && !v4.is_loopback() && v4.octets()[0] != 0 => {
                Some(Delivery::SubnetBroadcast)
            }
            IpAddr::V6(v6) if v6.is_multicast() => Some(Delivery::Multicast),
            _ => None,
        }
    }
}

/// A UDP endpoint's address that reaches many hosts, placed at its `Address` line so that
/// findings about it point there. It names its endpoint so that a finding about it reads whole.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FanOut {
    /// The endpoint's section name.
    pub endpoint: String,
    /// The endpoint's transport (always `udp`).
    pub r#type: EndpointType,
    /// The address as written, IPv6 without brackets.
    pub address: String,
    /// How the address delivers what is sent to it.
    pub delivery: Delivery,
    /// The `Address` line.
    pub line: u32,
}

/// The evidence document of a mavlink-router configuration: the `[General]` settings and every
/// endpoint the router opens, the TCP server it runs by default included.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MavlinkRouterEvidence {
    /// `[General]`, always present, with mavlink-router's defaults filled in.
    pub general: General,
    /// The TCP server first (when on), then one entry per endpoint section, in file order.
    pub endpoints: Vec<Endpoint>,
}

/// `[General]`, with mavlink-router's defaults filled in.
#[derive(Debug, Serialize, JsonSchema)]
pub struct General {
    /// The `[General]` line; absent when the file has no `[General]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The TCP server's port: `TcpServerPort`, 5760 when unset; 0 when off. An unreadable
    /// value is taken as the default (and warned about), since mavlink-router then listens
    /// anyway or refuses to start.
    pub tcp_server_port: u16,
    /// The file does not set `TcpServerPort`: the server runs by default.
    pub tcp_server_default: bool,
    /// `ReportStats`: statistics of the endpoints are logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_stats: Option<bool>,
    /// `MavlinkDialect` as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mavlink_dialect: Option<String>,
    /// `DebugLogLevel` as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug_log_level: Option<String>,
    /// `SnifferSysid`: messages for every system are copied to the endpoint where this system
    /// id is seen (absent or 0: off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sniffer_sysid: Option<u32>,
    /// Flight-stack logging, present when `Log` names a directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<FlightLog>,
}

/// The flight-stack logs mavlink-router writes.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FlightLog {
    /// `Log`: the directory logs are written to.
    pub directory: String,
    /// The `Log` line (findings about logging point here).
    pub line: u32,
    /// `LogMode` in lower case: `always` (the default) or `while-armed`.
    pub mode: String,
    /// `MaxLogFiles`: older logs are deleted beyond this count; 0 (the default) keeps every
    /// log.
    pub max_log_files: u64,
    /// `MinFreeSpace` in bytes: older logs are deleted when free space falls below it; 0 (the
    /// default) never.
    pub min_free_space: u64,
    /// `LogTelemetry`: raw telemetry is also logged as .tlog files.
    pub telemetry: bool,
}

/// One endpoint: a section, or the TCP server.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Endpoint {
    /// The section's name; `TcpServerPort` for the TCP server.
    pub name: String,
    /// The endpoint's transport.
    pub r#type: EndpointType,
    /// Whether the endpoint connects out or listens; absent for UART endpoints, and for a UDP
    /// endpoint without a valid `Mode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// `Address`: the address sent to, connected to or listened on, IPv6 without brackets;
    /// `0.0.0.0` for the TCP server. Kept even when it is not an IP address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// `Port`; absent when unset (a UDP client then takes the next free port from 14550) or
    /// invalid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// UART: `Device`, the serial port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// UART: `Baud`, the rates tried in turn; absent when unset.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub baud: Vec<u32>,
    /// UART: `FlowControl`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_control: Option<bool>,
    /// TCP: `RetryTimeout` in seconds (0: no reconnection).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_timeout: Option<i64>,
    /// `Group`: endpoints sharing one list of connected systems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Where `address` leads; absent without an IP address. A directed broadcast
    /// (`192.168.1.255`) is `private`: see `fan_out`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<AddressScope>,
    /// A UDP endpoint whose address reaches many hosts (broadcast, subnet broadcast,
    /// multicast); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fan_out: Option<FanOut>,
    /// A server on `0.0.0.0` or `::`: reachable from every network the companion computer
    /// joins.
    pub listens_on_all: bool,
    /// The endpoint exists by mavlink-router's defaults rather than by a line of the file
    /// (the TCP server when `TcpServerPort` is unset).
    pub implicit: bool,
    /// The section's header line; for the TCP server the `TcpServerPort` line, else the
    /// `[General]` line, else the first section's line.
    pub line: u32,
}

/// A section as read: its header line and its keys (lowercase key → value, line).
#[derive(Debug)]
struct Section {
    name: String,
    line: u32,
    keys: BTreeMap<String, (String, u32)>,
}

/// Which section the reader is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Before the first section.
    Start,
    General,
    /// The endpoint section at this index.
    Endpoint(usize),
    /// A section mavlink-router ignores; its keys are skipped without a warning each.
    Ignored,
}

/// What a file says, as it is read.
#[derive(Debug)]
struct Config {
    general: Option<Section>,
    endpoints: Vec<(EndpointType, Section)>,
    place: Place,
    warnings: Vec<String>,
}

impl Analyzer for MavlinkRouterAnalyzer {
    fn kind(&self) -> ArtifactKind {
        ArtifactKind::MavlinkRouter
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["conf"]
    }

    fn identify(&self, content: &[u8]) -> bool {
        let lines = text::sniff(content, &['#', ';'], SNIFF_LINES);
        let ini_like = lines
            .iter()
            .all(|line| line.starts_with('[') || line.contains('='));
        let mut in_general = false;
        for line in &lines {
            if let Some(header) = line
                .strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
            {
                let section = header
                    .split(' ')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if EndpointType::of_section(&section).is_some() && header.contains(' ') {
                    return ini_like;
                }
                in_general = section == "general";
            } else if in_general {
                let key = line
                    .split('=')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase();
                if GENERAL_KEYS.contains(&key.as_str()) {
                    return ini_like;
                }
            }
        }
        false
    }

    fn analyze_with_options(
        &self,
        content: &[u8],
        _: crate::analyze::AnalyzeOptions<'_>,
    ) -> Result<Evidence, AnalyzeError> {
        let text = text::decode(content)?;
        let mut config = Config {
            general: None,
            endpoints: Vec::new(),
            place: Place::Start,
            warnings: Vec::new(),
        };
        for line in text::lines(text) {
            let line = line?;
            config.read_line(line.text.trim(), line.number);
        }
        if config.general.is_none() && config.endpoints.is_empty() {
            return Err(AnalyzeError::new("no [General] or endpoint section found"));
        }
        let first_section_line = config
            .endpoints
            .iter()
            .map(|(_, section)| section.line)
            .chain(config.general.as_ref().map(|section| section.line))
            .min();
        let general = general(config.general.as_ref(), &mut config.warnings);
        let mut endpoints = Vec::new();
        if general.tcp_server_port != 0 {
            let set_on = config
                .general
                .as_ref()
                .and_then(|section| section.keys.get("tcpserverport"))
                .map(|(_, line)| *line);
            let line = set_on.or(general.line).or(first_section_line).unwrap_or(1);
            endpoints.push(tcp_server(
                general.tcp_server_port,
                general.tcp_server_default,
                line,
            ));
        }
        for (endpoint_type, section) in &config.endpoints {
            endpoints.push(endpoint(*endpoint_type, section, &mut config.warnings));
        }
        let document = serde_json::to_value(MavlinkRouterEvidence { general, endpoints })
            .map_err(|error| AnalyzeError::new(format!("cannot serialise evidence: {error}")))?;
        Ok(Evidence {
            incomplete: None,
            kind: ArtifactKind::MavlinkRouter,
            document,
            lines: Default::default(),
            warnings: config.warnings,
        })
    }
}

impl Config {
    fn read_line(&mut self, body: &str, line: u32) {
        // mavlink-router only knows whole-line comments, so text::strip_comment (which cuts at
        // any `#`) would change values it reads whole.
        if body.is_empty() || body.starts_with('#') || body.starts_with(';') {
            return;
        }
        if body.starts_with('[') {
            self.place = self.open_section(body, line);
            return;
        }
        let Some((key, value)) = body.split_once('=') else {
            self.warnings
                .push(format!("line {line}: not a `Key = Value` line, ignored"));
            return;
        };
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() || value.is_empty() {
            let missing = if key.is_empty() {
                "no key before"
            } else {
                "no value after"
            };
            self.warnings.push(format!(
                "line {line}: {missing} `=`, ignored (mavlink-router refuses the file)"
            ));
            return;
        }
        let lowercase = key.to_ascii_lowercase();
        let (section, known, where_) = match self.place {
            Place::Start => {
                self.warnings.push(format!("line {line}: `{key}` is outside any section, ignored (mavlink-router refuses the file)"));
                return;
            }
            Place::Ignored => return,
            Place::General => (
                self.general.as_mut(),
                GENERAL_KEYS.contains(&lowercase.as_str()),
                "[General]".to_owned(),
            ),
            Place::Endpoint(index) => match self.endpoints.get_mut(index) {
                Some((endpoint_type, section)) => {
                    let known = endpoint_type.keys().contains(&lowercase.as_str())
                        || ENDPOINT_KEYS.contains(&lowercase.as_str());
                    let where_ =
                        format!("[{} {}]", section_type_name(*endpoint_type), section.name);
                    (Some(section), known, where_)
                }
                None => return,
            },
        };
        let Some(section) = section else { return };
        if !known {
            self.warnings.push(format!(
                "line {line}: unknown key `{key}` in {where_}, ignored"
            ));
            return;
        }
        if let Some((_, earlier)) = section.keys.insert(lowercase, (value.to_owned(), line)) {
            self.warnings.push(format!("line {line}: `{key}` set again in {where_} (first on line {earlier}); the later value wins"));
        }
    }

    /// Opens the section of a header line; sections of the same name are one section, as
    /// mavlink-router merges them.
    fn open_section(&mut self, body: &str, line: u32) -> Place {
        let Some(header) = body
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        else {
            self.warnings.push(format!(
                "line {line}: malformed section header `{body}`; its keys are ignored"
            ));
            return Place::Ignored;
        };
        let (section_type, name) = match header.split_once(' ') {
            Some((section_type, name)) => (section_type.to_ascii_lowercase(), Some(name)),
            None => (header.to_ascii_lowercase(), None),
        };
        if section_type == "general" {
            if name.is_some() {
                self.warnings.push(format!(
                    "line {line}: [General] takes no name; `{header}` is read as [General]"
                ));
            }
            self.general.get_or_insert_with(|| Section {
                name: String::new(),
                line,
                keys: BTreeMap::new(),
            });
            return Place::General;
        }
        let Some(endpoint_type) = EndpointType::of_section(&section_type) else {
            self.warnings.push(format!(
                "line {line}: unknown section `[{header}]`; its keys are ignored"
            ));
            return Place::Ignored;
        };
        let Some(name) =
            name.filter(|name| !name.is_empty() && !name.contains(char::is_whitespace))
        else {
            self.warnings.push(format!("line {line}: `[{header}]` needs one name without spaces; mavlink-router ignores the section"));
            return Place::Ignored;
        };
        let existing = self.endpoints.iter().position(|(other_type, section)| {
            *other_type == endpoint_type && section.name.eq_ignore_ascii_case(name)
        });
        let index = existing.unwrap_or_else(|| {
            self.endpoints.push((
                endpoint_type,
                Section {
                    name: name.to_owned(),
                    line,
                    keys: BTreeMap::new(),
                },
            ));
            self.endpoints.len() - 1
        });
        Place::Endpoint(index)
    }
}

fn section_type_name(endpoint_type: EndpointType) -> &'static str {
    match endpoint_type {
        EndpointType::Udp => "UdpEndpoint",
        EndpointType::Tcp => "TcpEndpoint",
        EndpointType::Uart => "UartEndpoint",
        EndpointType::TcpServer => "General",
    }
}

/// The `[General]` settings with defaults, warning about values mavlink-router refuses.
fn general(section: Option<&Section>, warnings: &mut Vec<String>) -> General {
    let get = |key: &str| section.and_then(|section| section.keys.get(key));
    let mut parse = |key: &str, name: &str, parse: &dyn Fn(&str) -> Option<u64>| -> Option<u64> {
        let (value, line) = get(key)?;
        let parsed = parse(value);
        if parsed.is_none() {
            warnings.push(format!(
                "line {line}: {name} `{value}` is not valid, ignored (mavlink-router refuses it)"
            ));
        }
        parsed
    };
    let port = parse("tcpserverport", "TcpServerPort", &|value| {
        value.parse::<u16>().ok().map(u64::from)
    });
    let report_stats = parse("reportstats", "ReportStats", &|value| {
        boolean(value).map(u64::from)
    });
    let sniffer_sysid = parse("sniffersysid", "SnifferSysid", &|value| {
        value.parse::<u32>().ok().map(u64::from)
    });
    let max_log_files = parse("maxlogfiles", "MaxLogFiles", &|value| value.parse().ok());
    let min_free_space = parse("minfreespace", "MinFreeSpace", &|value| value.parse().ok());
    let telemetry = parse("logtelemetry", "LogTelemetry", &|value| {
        boolean(value).map(u64::from)
    });
    let log = get("log").map(|(directory, line)| FlightLog {
        directory: directory.clone(),
        line: *line,
        mode: get("logmode").map_or_else(
            || "always".to_owned(),
            |(mode, _)| mode.to_ascii_lowercase(),
        ),
        max_log_files: max_log_files.unwrap_or(0),
        min_free_space: min_free_space.unwrap_or(0),
        telemetry: telemetry == Some(1),
    });
    General {
        line: section.map(|section| section.line),
        // A port that cannot be read is taken as the default: assume the server listens.
        tcp_server_port: port
            .and_then(|port| u16::try_from(port).ok())
            .unwrap_or(DEFAULT_TCP_SERVER_PORT),
        tcp_server_default: get("tcpserverport").is_none(),
        report_stats: report_stats.map(|value| value == 1),
        mavlink_dialect: get("mavlinkdialect").map(|(value, _)| value.clone()),
        debug_log_level: get("debugloglevel").map(|(value, _)| value.clone()),
        sniffer_sysid: sniffer_sysid.and_then(|sysid| u32::try_from(sysid).ok()),
        log,
    }
}

/// The TCP server mavlink-router runs on every IPv4 interface.
fn tcp_server(port: u16, implicit: bool, line: u32) -> Endpoint {
    let any = IpAddr::from([0, 0, 0, 0]);
    Endpoint {
        name: "TcpServerPort".to_owned(),
        r#type: EndpointType::TcpServer,
        mode: Some(Mode::Server),
        address: Some(any.to_string()),
        port: Some(port),
        device: None,
        baud: Vec::new(),
        flow_control: None,
        retry_timeout: None,
        group: None,
        scope: Some(net::scope(any)),
        fan_out: None,
        listens_on_all: true,
        implicit,
        line,
    }
}

/// The endpoint a section declares, warning about what mavlink-router would refuse.
fn endpoint(
    endpoint_type: EndpointType,
    section: &Section,
    warnings: &mut Vec<String>,
) -> Endpoint {
    let get = |key: &str| section.keys.get(key);
    let header = format!("[{} {}]", section_type_name(endpoint_type), section.name);
    let mut endpoint = Endpoint {
        name: section.name.clone(),
        r#type: endpoint_type,
        mode: None,
        address: None,
        port: None,
        device: get("device").map(|(device, _)| device.clone()),
        baud: Vec::new(),
        flow_control: None,
        retry_timeout: None,
        group: get("group").map(|(group, _)| group.clone()),
        scope: None,
        fan_out: None,
        listens_on_all: false,
        implicit: false,
        line: section.line,
    };
    match endpoint_type {
        EndpointType::Udp => {
            endpoint.mode = match get("mode") {
                Some((mode, line)) => match mode.to_ascii_lowercase().as_str() {
                    "normal" => Some(Mode::Client),
                    "server" | "eavesdropping" => Some(Mode::Server),
                    _ => {
                        warnings.push(format!("line {line}: Mode `{mode}` is neither Normal nor Server (mavlink-router refuses it)"));
                        None
                    }
                },
                None => {
                    warnings.push(format!(
                        "line {}: {header} has no Mode (mavlink-router refuses it)",
                        section.line
                    ));
                    None
                }
            };
        }
        EndpointType::Tcp => endpoint.mode = Some(Mode::Client),
        EndpointType::Uart | EndpointType::TcpServer => {}
    }
    if let Some((value, line)) = get("port") {
        endpoint.port = value.parse::<u16>().ok().filter(|port| *port != 0);
        if endpoint.port.is_none() {
            warnings.push(format!("line {line}: Port `{value}` is not a port number"));
        }
    }
    if let Some((value, line)) = get("baud") {
        endpoint.baud = value
            .split(',')
            .filter_map(|baud| baud.trim().parse().ok())
            .collect();
        if endpoint.baud.is_empty() {
            warnings.push(format!("line {line}: Baud `{value}` has no baud rate"));
        }
    }
    if let Some((value, line)) = get("flowcontrol") {
        endpoint.flow_control = boolean(value);
        if endpoint.flow_control.is_none() {
            warnings.push(format!(
                "line {line}: FlowControl `{value}` is not true, false, 1 or 0"
            ));
        }
    }
    if let Some((value, _)) = get("retrytimeout") {
        endpoint.retry_timeout = value.parse().ok();
    }
    if let Some((value, line)) = get("address") {
        let address = value
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
            .unwrap_or(value);
        endpoint.address = Some(address.to_owned());
        match address.parse::<IpAddr>() {
            Ok(ip) => {
                endpoint.scope = Some(net::scope(ip));
                endpoint.fan_out = Delivery::of(ip)
                    .filter(|_| endpoint_type == EndpointType::Udp)
                    .map(|delivery| FanOut {
                        endpoint: section.name.clone(),
                        r#type: endpoint_type,
                        address: address.to_owned(),
                        delivery,
                        line: *line,
                    });
            }
            Err(_) => warnings.push(format!("line {line}: Address `{value}` is not an IPv4 or [IPv6] address (mavlink-router refuses it)")),
        }
    }
    let required: &[(&str, &str)] = match endpoint_type {
        EndpointType::Udp if endpoint.mode == Some(Mode::Server) => {
            &[("address", "Address"), ("port", "Port")]
        }
        EndpointType::Udp => &[("address", "Address")],
        EndpointType::Tcp => &[("address", "Address"), ("port", "Port")],
        EndpointType::Uart => &[("device", "Device")],
        EndpointType::TcpServer => &[],
    };
    for (_, name) in required.iter().filter(|(key, _)| get(key).is_none()) {
        warnings.push(format!(
            "line {}: {header} has no {name} (mavlink-router refuses it)",
            section.line
        ));
    }
    endpoint.listens_on_all =
        endpoint.mode == Some(Mode::Server) && endpoint.scope == Some(AddressScope::Unspecified);
    endpoint
}

/// mavlink-router's booleans: `true`/`false` in any case, or an integer (non-zero is true).
fn boolean(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        other => other.parse::<i64>().ok().map(|number| number != 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{hostapd::HostapdAnalyzer, wpa_supplicant::WpaSupplicantAnalyzer};
    use serde_json::{json, Value};
    use std::path::Path;

    fn analyze(text: &str) -> Evidence {
        MavlinkRouterAnalyzer.analyze(text.as_bytes()).unwrap()
    }

    const COMPANION: &str = "\
# /etc/mavlink-router/main.conf on the X8's Raspberry Pi
[General]
TcpServerPort = 0
ReportStats = false
Log = /var/log/flight-stack
MaxLogFiles = 20

[UartEndpoint pixhawk]
Device = /dev/ttyAMA0
Baud = 921600,57600

[UdpEndpoint gcs]
Mode = Normal
Address = 192.168.42.10
Port = 14550

; listener for the video companion
[udpendpoint Lan]
mode = eavesdropping
address = 0.0.0.0
port = 14601

[TcpEndpoint cloud]
Address = [2001:db8::7]
Port = 5790
RetryTimeout = 10
";

    #[test]
    fn sections_become_endpoints_with_scopes() {
        let evidence = analyze(COMPANION);
        let document = &evidence.document;
        assert_eq!(document["general"]["tcp_server_port"], 0);
        assert_eq!(document["general"]["tcp_server_default"], false);
        assert_eq!(document["general"]["line"], 2);
        assert_eq!(
            document["general"]["log"],
            json!({"directory": "/var/log/flight-stack", "line": 5, "mode": "always", "max_log_files": 20, "min_free_space": 0, "telemetry": false})
        );
        let endpoints = document["endpoints"].as_array().unwrap();
        assert_eq!(endpoints.len(), 4, "TcpServerPort=0: no TCP server");
        assert_eq!(endpoints[0]["type"], "uart");
        assert_eq!(endpoints[0]["baud"], json!([921600, 57600]));
        assert!(endpoints[0].get("mode").is_none());
        assert_eq!(
            endpoints[1],
            json!({"name": "gcs", "type": "udp", "mode": "client", "address": "192.168.42.10", "port": 14550, "scope": "private", "listens_on_all": false, "implicit": false, "line": 12})
        );
        assert_eq!(
            endpoints[2]["mode"], "server",
            "Eavesdropping is the old name of Server"
        );
        assert_eq!(endpoints[2]["listens_on_all"], true);
        assert_eq!(endpoints[2]["scope"], "unspecified");
        assert_eq!(endpoints[3]["address"], "2001:db8::7");
        assert_eq!(endpoints[3]["scope"], "public");
        assert_eq!(endpoints[3]["retry_timeout"], 10);
        assert!(evidence.warnings.is_empty(), "{:?}", evidence.warnings);
    }

    #[test]
    fn the_tcp_server_is_on_by_default_on_every_interface() {
        let evidence = analyze("[General]\nMavlinkDialect = ardupilotmega\n\n[UartEndpoint fc]\nDevice = /dev/serial0\n");
        let general = &evidence.document["general"];
        assert_eq!(general["tcp_server_port"], 5760);
        assert_eq!(general["tcp_server_default"], true);
        let server = &evidence.document["endpoints"][0];
        assert_eq!(server["name"], "TcpServerPort");
        assert_eq!(server["type"], "tcp-server");
        assert_eq!(server["address"], "0.0.0.0");
        assert_eq!(server["port"], 5760);
        assert_eq!(server["listens_on_all"], true);
        assert_eq!(server["implicit"], true);
        assert_eq!(
            server["line"], 1,
            "the [General] line, where the setting belongs"
        );
        let explicit = analyze(
            "[UdpEndpoint a]\nMode = Normal\nAddress = 10.0.0.2\n[General]\ntcpserverport = 5770\n",
        );
        let server = &explicit.document["endpoints"][0];
        assert_eq!(
            (
                server["port"].clone(),
                server["implicit"].clone(),
                server["line"].clone()
            ),
            (json!(5770), json!(false), json!(5))
        );
        let no_general = analyze("[UdpEndpoint a]\nMode = Normal\nAddress = 10.0.0.2\n");
        assert_eq!(
            no_general.document["endpoints"][0]["line"], 1,
            "no [General]: the first section"
        );
    }

    #[test]
    fn bad_lines_are_warnings_with_their_line() {
        let evidence = analyze("Log = /tmp\n[General]\nTcpServerPort = http\nColour = red\nnot a setting\nReportStats =\n[UdpEndpoint]\nMode = Normal\n[UdpEndpoint gcs]\nMode = broadcast\nAddress = gcs.example.org\nPort = 99999\n[Serial x]\nDevice = /dev/ttyS0\n[General\n");
        assert_eq!(
            evidence.warnings,
            [
                "line 1: `Log` is outside any section, ignored (mavlink-router refuses the file)",
                "line 4: unknown key `Colour` in [General], ignored",
                "line 5: not a `Key = Value` line, ignored",
                "line 6: no value after `=`, ignored (mavlink-router refuses the file)",
                "line 7: `[UdpEndpoint]` needs one name without spaces; mavlink-router ignores the section",
                "line 13: unknown section `[Serial x]`; its keys are ignored",
                "line 15: malformed section header `[General`; its keys are ignored",
                "line 3: TcpServerPort `http` is not valid, ignored (mavlink-router refuses it)",
                "line 10: Mode `broadcast` is neither Normal nor Server (mavlink-router refuses it)",
                "line 12: Port `99999` is not a port number",
                "line 11: Address `gcs.example.org` is not an IPv4 or [IPv6] address (mavlink-router refuses it)",
            ]
        );
        let endpoints = evidence.document["endpoints"].as_array().unwrap();
        assert_eq!(
            endpoints[0]["port"], 5760,
            "an unreadable port is taken as the default"
        );
        assert_eq!(
            endpoints[1]["address"], "gcs.example.org",
            "a broken address keeps its endpoint"
        );
        assert!(endpoints[1].get("scope").is_none());
    }

    #[test]
    fn the_evidence_follows_its_schema() {
        // The companion's file with the TCP server on, every [General] key, and telemetry sent
        // to the subnet's broadcast address as APSync does.
        let full = COMPANION.replace(
            "TcpServerPort = 0\n",
            "TcpServerPort = 5760\nSnifferSysid = 254\nMavlinkDialect = common\n\
             DebugLogLevel = info\nLogMode = while-armed\nMinFreeSpace = 1000000\n\
             LogTelemetry = true\n",
        ) + "\n[UdpEndpoint wifi]\nMode = Normal\nAddress = 10.0.1.255\nPort = 14550\nGroup = fleet\n";
        let evidence = analyze(&full);
        let endpoints = evidence.document["endpoints"].as_array().unwrap();
        assert_eq!(endpoints[0]["type"], "tcp-server");
        assert_eq!(endpoints[5]["fan_out"]["delivery"], "subnet broadcast");
        assert_eq!(evidence.document["general"]["log"]["telemetry"], true);
        crate::analyze::schema::assert_follows_schema(
            crate::analyze::ArtifactKind::MavlinkRouter,
            &evidence.document,
        );
        let corpus = [
            "dvd/mavlink-router.conf",
            "apsync/Up_Squared-mavlink-router.conf",
        ];
        for corpus in corpus {
            if let Some(content) = crate::test_prerequisites::corpus_bytes(corpus) {
                let evidence = MavlinkRouterAnalyzer.analyze(&content).unwrap();
                crate::analyze::schema::assert_follows_schema(
                    crate::analyze::ArtifactKind::MavlinkRouter,
                    &evidence.document,
                );
            }
        }
    }

    #[test]
    fn sections_and_keys_are_case_insensitive_and_merge() {
        let evidence = analyze("[UDPENDPOINT gcs]\nADDRESS = 10.0.0.1\n[udpendpoint GCS]\nmode = server\nport = 14550\naddress = 0.0.0.0\n");
        let endpoints = evidence.document["endpoints"].as_array().unwrap();
        assert_eq!(
            endpoints.len(),
            2,
            "the TCP server and one merged UDP endpoint"
        );
        assert_eq!(endpoints[1]["address"], "0.0.0.0");
        assert_eq!(endpoints[1]["listens_on_all"], true);
        assert_eq!(endpoints[1]["line"], 1);
        assert_eq!(evidence.warnings, ["line 6: `address` set again in [UdpEndpoint gcs] (first on line 2); the later value wins"]);
    }

    #[test]
    fn mavlink_router_is_told_apart_from_other_files() {
        assert!(MavlinkRouterAnalyzer.identify(COMPANION.as_bytes()));
        assert!(MavlinkRouterAnalyzer
            .identify(b"[UdpEndpoint gcs]\nMode = Normal\nAddress = 10.0.0.1\n"));
        assert!(
            !MavlinkRouterAnalyzer.identify(b"[General]\nSavePath=/home/pilot\nLanguage=en\n"),
            "QGroundControl.ini"
        );
        assert!(!MavlinkRouterAnalyzer.identify(b"[General]\n"));
        assert!(!MavlinkRouterAnalyzer.identify(b"interface=wlan0\nssid=x\nwpa=2\n"));
        assert!(!MavlinkRouterAnalyzer.identify(b"[UdpEndpoint x]\n\0\0\0"));
        assert!(!HostapdAnalyzer.identify(COMPANION.as_bytes()));
        assert!(!WpaSupplicantAnalyzer.identify(COMPANION.as_bytes()));
    }

    #[test]
    fn hostile_input_is_an_error_or_a_warning_never_a_panic() {
        assert!(MavlinkRouterAnalyzer.analyze(b"[General]\n\xff").is_err());
        assert!(MavlinkRouterAnalyzer.analyze(b"; nothing\n").is_err());
        let evidence = analyze("[]\n[ ]\n[UdpEndpoint  ]\n[TcpEndpoint a b]\n[UartEndpoint \u{fffd}]\nBaud=,,\nFlowControl=maybe\n[General]\nMaxLogFiles=-1\n=\n");
        assert!(!evidence.warnings.is_empty());
    }

    #[test]
    fn damn_vulnerable_drone_router() {
        let Some(content) = crate::test_prerequisites::corpus_bytes("dvd/mavlink-router.conf")
        else {
            return;
        };
        assert!(MavlinkRouterAnalyzer.identify(&content));
        let evidence = MavlinkRouterAnalyzer.analyze(&content).unwrap();
        let general = &evidence.document["general"];
        assert_eq!(general["mavlink_dialect"], "ardupilotmega");
        assert_eq!(general["tcp_server_default"], true);
        assert!(general.get("log").is_none(), "Log is commented out");
        let endpoints = evidence.document["endpoints"].as_array().unwrap();
        assert_eq!(endpoints.len(), 1);
        assert_eq!(endpoints[0]["type"], "tcp-server");
        assert_eq!(endpoints[0]["port"], 5760);
        assert_eq!(endpoints[0]["listens_on_all"], true);
        assert_eq!(endpoints[0]["line"], general["line"]);
        assert!(evidence.warnings.is_empty(), "{:?}", evidence.warnings);
    }

    #[test]
    fn broadcast_and_multicast_addresses_fan_out_at_their_address_line() {
        let evidence = analyze("[UdpEndpoint lan]\nMode = Normal\nAddress = 10.0.1.255\n[UdpEndpoint all]\nMode = Normal\nAddress = 255.255.255.255\n[UdpEndpoint group]\nMode = Normal\nAddress = 239.1.1.1\n[UdpEndpoint group6]\nMode = Normal\nAddress = [ff02::1]\n[UdpEndpoint gcs]\nMode = Normal\nAddress = 10.0.1.254\n[UdpEndpoint local]\nMode = Normal\nAddress = 127.0.0.255\n[TcpEndpoint t]\nAddress = 10.0.1.255\nPort = 5760\n");
        let endpoints = evidence.document["endpoints"].as_array().unwrap();
        let fan_out: Vec<(String, Value)> = endpoints
            .iter()
            .map(|endpoint| {
                (
                    endpoint["name"].as_str().unwrap().to_owned(),
                    endpoint.get("fan_out").cloned().unwrap_or(Value::Null),
                )
            })
            .collect();
        assert_eq!(
            fan_out[1],
            (
                "lan".to_owned(),
                json!({"endpoint": "lan", "type": "udp", "address": "10.0.1.255", "delivery": "subnet broadcast", "line": 3})
            )
        );
        assert_eq!(fan_out[2].1["delivery"], "broadcast");
        assert_eq!(fan_out[3].1["delivery"], "multicast");
        assert_eq!(fan_out[4].1["delivery"], "multicast");
        for (name, node) in &fan_out[5..] {
            assert_eq!(*node, Value::Null, "{name}: unicast, loopback or TCP");
        }
        assert_eq!(fan_out[0].1, Value::Null, "the TCP server");
    }

    #[test]
    fn apsync_up_squared_router_broadcasts_to_its_subnet() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/corpus/apsync/Up_Squared-mavlink-router.conf");
        let Ok(content) = std::fs::read(&path) else {
            eprintln!(
                "skipped: {} is absent (the shared corpus is not checked out)",
                path.display()
            );
            return;
        };
        assert!(MavlinkRouterAnalyzer.identify(&content));
        let evidence = MavlinkRouterAnalyzer.analyze(&content).unwrap();
        let lines: Vec<&Value> = evidence.document["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|endpoint| endpoint.get("fan_out"))
            .map(|fan_out| &fan_out["line"])
            .collect();
        assert_eq!(lines, [156, 162, 168]);
    }

    #[test]
    fn noise_never_panics() {
        const PIECES: &[&str] = &[
            "[",
            "]",
            "General",
            "UdpEndpoint",
            " ",
            "a",
            "=",
            "\n",
            "#",
            ";",
            "Address",
            "Mode",
            "Server",
            "0.0.0.0",
            "[::",
            "Port",
            "99999",
            "Log",
            "MaxLogFiles",
            "-",
            "é",
            "\r\n",
            "TcpServerPort",
            ",",
            "Baud",
        ];
        let mut state: u64 = 7;
        for _ in 0..300 {
            let text: String = (0..200)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    PIECES[usize::try_from(state >> 33).unwrap_or(0) % PIECES.len()]
                })
                .collect();
            let _ = MavlinkRouterAnalyzer.identify(text.as_bytes());
            let _ = MavlinkRouterAnalyzer.analyze(text.as_bytes());
        }
    }
}
