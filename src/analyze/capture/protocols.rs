//! What the payloads say: DNS questions and answers (simple-dns), TLS ClientHello and
//! ServerHello (server name, versions, cipher suites), HTTP and RTSP request lines and the
//! headers that matter, FTP and telnet logins, and MAVLink v1 and v2 frames.
//!
//! Each parser reads one segment's payload and returns nothing when the bytes are not its
//! protocol: every length is checked, nothing panics on hostile input, and nothing
//! reassembles TCP streams (a request split across segments is read from its first segment).

use std::net::IpAddr;

/// A DNS message's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dns {
    pub response: bool,
    /// Names asked for (lowercase, no trailing dot).
    pub questions: Vec<String>,
    /// Addresses the answers give, with the name they answer for (CNAME chains followed to
    /// the question's name).
    pub answers: Vec<(String, IpAddr)>,
}

pub fn dns(payload: &[u8]) -> Option<Dns> {
    let packet = simple_dns::Packet::parse(payload).ok()?;
    let questions: Vec<String> = packet
        .questions
        .iter()
        .map(|question| normalize(&question.qname.to_string()))
        .collect();
    if questions.is_empty() && packet.answers.is_empty() {
        return None;
    }
    // Names that are aliases (CNAME) of the question: their addresses answer the question.
    let mut aliases: Vec<String> = questions.clone();
    for record in &packet.answers {
        if let simple_dns::rdata::RData::CNAME(target) = &record.rdata {
            if aliases.contains(&normalize(&record.name.to_string())) {
                aliases.push(normalize(&target.0.to_string()));
            }
        }
    }
    let mut answers = Vec::new();
    for record in &packet.answers {
        let address = match &record.rdata {
            simple_dns::rdata::RData::A(a) => IpAddr::V4(a.address.into()),
            simple_dns::rdata::RData::AAAA(aaaa) => IpAddr::V6(aaaa.address.into()),
            _ => continue,
        };
        let name = normalize(&record.name.to_string());
        let asked = match questions.first() {
            Some(question) if aliases.contains(&name) => question.clone(),
            _ => name,
        };
        answers.push((asked, address));
    }
    Some(Dns {
        response: packet.has_flags(simple_dns::PacketFlag::RESPONSE),
        questions,
        answers,
    })
}

fn normalize(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// A TLS handshake message's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    ClientHello {
        server_name: Option<String>,
        /// Versions offered: the supported_versions extension if present, else the
        /// ClientHello's own version (0x0303 for TLS 1.2…).
        versions: Vec<u16>,
        cipher_suites: Vec<u16>,
    },
    ServerHello {
        version: u16,
        cipher_suite: u16,
    },
}

/// Cipher suites kept per ClientHello (real clients offer fewer than 100).
pub const MAX_SUITES: usize = 256;

/// The longest DNS name (RFC 1035); longer server names are cut to it.
const MAX_NAME: usize = 253;

/// The extensions of a hello: each (type, data) that is whole in the bytes captured. A hello
/// split across segments keeps the extensions that arrived.
fn extensions<'a>(reader: &mut Reader<'a>) -> Vec<(u16, Reader<'a>)> {
    let mut found = Vec::new();
    let Some(length) = reader.u16() else {
        return found;
    };
    let available = reader.0.len().min(usize::from(length));
    let mut block = Reader(reader.take(available).unwrap_or_default());
    while let (Some(kind), Some(length)) = (block.u16(), block.u16()) {
        let Some(data) = block.take(usize::from(length)) else {
            break;
        };
        found.push((kind, Reader(data)));
    }
    found
}

/// Two-byte values of a list, GREASE left out.
fn u16_list(bytes: &[u8]) -> impl Iterator<Item = u16> + '_ {
    bytes
        .chunks_exact(2)
        .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
        .filter(|value| !is_grease(*value))
}

/// Reads a TLS record holding a ClientHello or ServerHello. The hello is read within its own
/// handshake length (a ServerHello is often followed by a Certificate in the same segment),
/// and a hello cut short by the segment keeps what arrived.
pub fn tls(payload: &[u8]) -> Option<Tls> {
    // Record: type 22 (handshake), version 3.x, length; then handshake type and length.
    if payload.len() < 9 || payload[0] != 22 || payload[1] != 3 {
        return None;
    }
    let body = payload.get(5..)?;
    let kind = body[0];
    let length = usize::from(body[1]) << 16 | usize::from(body[2]) << 8 | usize::from(body[3]);
    let message = body.get(4..)?;
    let mut reader = Reader(&message[..length.min(message.len())]);
    let legacy_version = reader.u16()?;
    reader.skip(32)?; // random
    let session_id = usize::from(reader.u8()?);
    reader.skip(session_id)?;
    match kind {
        1 => {
            let suites_length = usize::from(reader.u16()?);
            let cipher_suites: Vec<u16> = u16_list(reader.take(suites_length)?)
                .take(MAX_SUITES)
                .collect();
            let compression = usize::from(reader.u8()?);
            reader.skip(compression)?;
            let mut server_name = None;
            let mut versions = Vec::new();
            for (kind, mut data) in extensions(&mut reader) {
                match kind {
                    0 => {
                        // server_name list: length, then entries of type, length, name.
                        let entry = data.u16().and(data.u8());
                        let name_length = data.u16().map(usize::from);
                        if let (Some(0), Some(name_length)) = (entry, name_length) {
                            if let Some(name) = data.take(name_length) {
                                let name = &name[..name.len().min(MAX_NAME)];
                                server_name =
                                    Some(String::from_utf8_lossy(name).to_ascii_lowercase());
                            }
                        }
                    }
                    43 => {
                        if let Some(list_length) = data.u8() {
                            if let Some(list) = data.take(usize::from(list_length)) {
                                versions = u16_list(list).take(16).collect();
                            }
                        }
                    }
                    _ => {}
                }
            }
            if versions.is_empty() {
                versions.push(legacy_version);
            }
            Some(Tls::ClientHello {
                server_name,
                versions,
                cipher_suites,
            })
        }
        2 => {
            let cipher_suite = reader.u16()?;
            let mut version = legacy_version;
            if reader.u8().is_some() {
                // compression, then the extensions
                for (kind, mut data) in extensions(&mut reader) {
                    if kind == 43 {
                        version = data.u16().unwrap_or(version);
                    }
                }
            }
            Some(Tls::ServerHello {
                version,
                cipher_suite,
            })
        }
        _ => None,
    }
}

/// GREASE values (RFC 8701) are noise a client adds; they are not offers.
fn is_grease(value: u16) -> bool {
    value & 0x0f0f == 0x0a0a && value >> 8 == value & 0xff
}

/// A TLS version's name.
pub fn tls_version_name(version: u16) -> String {
    match version {
        0x0300 => "SSL 3.0".to_owned(),
        0x0301 => "TLS 1.0".to_owned(),
        0x0302 => "TLS 1.1".to_owned(),
        0x0303 => "TLS 1.2".to_owned(),
        0x0304 => "TLS 1.3".to_owned(),
        other => format!("0x{other:04x}"),
    }
}

/// Whether a cipher suite is broken or export grade: NULL encryption, anonymous key exchange,
/// export grade, RC4, IDEA, DES or 3DES (IANA TLS cipher suite registry).
pub fn weak_cipher_suite(suite: u16) -> Option<&'static str> {
    match suite {
        0x0000..=0x0002
        | 0x002c..=0x002e
        | 0x003b
        | 0x00b0
        | 0x00b1
        | 0x00b4
        | 0x00b5
        | 0x00b8
        | 0x00b9
        | 0xc001
        | 0xc006
        | 0xc00b
        | 0xc010
        | 0xc015
        | 0xc039
        | 0xc03a
        | 0xc03b => Some("NULL"),
        0x0003
        | 0x0006
        | 0x0008
        | 0x000b
        | 0x000e
        | 0x0011
        | 0x0014
        | 0x0017
        | 0x0019
        | 0x0026..=0x0029
        | 0x0062..=0x0065 => Some("EXPORT"),
        0x0018
        | 0x001a..=0x001b
        | 0x0034
        | 0x003a
        | 0x006c
        | 0x006d
        | 0x00a6
        | 0x00a7
        | 0xc018
        | 0xc019 => Some("ANON"),
        0x0004 | 0x0005 | 0x0020 | 0x0024 | 0x002b | 0x008a | 0x008e | 0x0092 | 0xc002 | 0xc007
        | 0xc00c | 0xc011 | 0xc016 | 0xc033 => Some("RC4"),
        0x0007 | 0x0021 | 0x0025 => Some("IDEA"),
        0x0009 | 0x000c | 0x000f | 0x0012 | 0x0015 | 0x001e | 0x0022 => Some("DES"),
        0x000a
        | 0x000d
        | 0x0010
        | 0x0013
        | 0x0016
        | 0x001f
        | 0x0023
        | 0x008b
        | 0x008f
        | 0x0093
        | 0xc003
        | 0xc008
        | 0xc00d
        | 0xc012
        | 0xc017
        | 0xc01a..=0xc01c
        | 0xc034 => Some("3DES"),
        _ => None,
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, count: usize) -> Option<&'a [u8]> {
        let (head, rest) = (self.0.get(..count)?, self.0.get(count..)?);
        self.0 = rest;
        Some(head)
    }
    fn skip(&mut self, count: usize) -> Option<()> {
        self.take(count).map(|_| ())
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|bytes| bytes[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2)
            .map(|bytes| u16::from_be_bytes([bytes[0], bytes[1]]))
    }
}

/// An HTTP or RTSP request's first line and the headers that matter here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `http` or `rtsp`.
    pub protocol: &'static str,
    pub method: String,
    /// The request target as sent (a path for HTTP, a URL for RTSP).
    pub target: String,
    pub host: Option<String>,
    pub user_agent: Option<String>,
    /// The Authorization header's scheme (`Basic`, `Digest`…), if any.
    pub authorization: Option<String>,
}

const HTTP_METHODS: &[&str] = &[
    "GET", "POST", "PUT", "HEAD", "DELETE", "PATCH", "OPTIONS", "CONNECT",
];
const RTSP_METHODS: &[&str] = &[
    "OPTIONS",
    "DESCRIBE",
    "SETUP",
    "PLAY",
    "PAUSE",
    "TEARDOWN",
    "ANNOUNCE",
    "RECORD",
    "GET_PARAMETER",
    "SET_PARAMETER",
];

/// Reads an HTTP/1.x or RTSP/1.0 request from the start of a payload.
pub fn request(payload: &[u8]) -> Option<Request> {
    let head = payload.get(..payload.len().min(8192))?;
    let line_end = head.iter().position(|&byte| byte == b'\n')?;
    let line = std::str::from_utf8(&head[..line_end]).ok()?.trim_end();
    let mut words = line.split(' ');
    let (method, target, version) = (words.next()?, words.next()?, words.next()?);
    if words.next().is_some() {
        return None;
    }
    let protocol = if version.starts_with("HTTP/1.") && HTTP_METHODS.contains(&method) {
        "http"
    } else if version == "RTSP/1.0" && RTSP_METHODS.contains(&method) {
        "rtsp"
    } else {
        return None;
    };
    let mut request = Request {
        protocol,
        method: method.to_owned(),
        target: target.to_owned(),
        host: None,
        user_agent: None,
        authorization: None,
    };
    for line in String::from_utf8_lossy(&head[line_end + 1..]).lines() {
        if line.trim().is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim().to_owned();
        match name.trim().to_ascii_lowercase().as_str() {
            "host" => request.host = Some(value.to_ascii_lowercase()),
            "user-agent" => request.user_agent = Some(value),
            "authorization" => {
                request.authorization = value.split(' ').next().map(str::to_owned);
            }
            _ => {}
        }
    }
    Some(request)
}

/// RTP or RTCP (RFC 3550) in a UDP payload: version 2, a 12-byte header at least, and a
/// payload type that is RTP's (0-34, 96-127) or RTCP's (200-204 in the second byte).
pub fn rtp(payload: &[u8]) -> Option<&'static str> {
    let (&first, &second) = (payload.first()?, payload.get(1)?);
    if first >> 6 != 2 || payload.len() < 12 {
        return None;
    }
    if (200..=204).contains(&second) {
        return Some("rtcp");
    }
    let payload_type = second & 0x7f;
    (payload_type <= 34 || payload_type >= 96).then_some("rtp")
}

/// A cleartext login command: FTP `USER`/`PASS`, or POP3/IMAP-style `USER`.
pub fn ftp_login(payload: &[u8]) -> Option<&'static str> {
    let head = payload.get(..5)?;
    if head.eq_ignore_ascii_case(b"USER ") {
        Some("USER")
    } else if head.eq_ignore_ascii_case(b"PASS ") {
        Some("PASS")
    } else {
        None
    }
}

pub use crate::analyze::mavlink::{frames as mavlink, Frame as MavlinkFrame, SETUP_SIGNING};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rtp_and_rtcp_by_header() {
        let mut packet = vec![0x80, 96, 0, 1, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78];
        packet.extend_from_slice(&[0; 100]);
        assert_eq!(rtp(&packet), Some("rtp"));
        packet[1] = 201;
        assert_eq!(rtp(&packet), Some("rtcp"));
        packet[1] = 60; // an unassigned payload type
        assert_eq!(rtp(&packet), None);
        assert_eq!(rtp(&[0x80, 96, 0]), None, "shorter than a header");
        assert_eq!(rtp(&[0x40; 20]), None, "not version 2");
    }

    #[test]
    fn http_and_rtsp_requests() {
        let http = request(b"GET /fw/latest.bin HTTP/1.1\r\nHost: Update.Example.com\r\nAuthorization: Basic YTpi\r\nUser-Agent: DJI-GO/4\r\n\r\n").expect("HTTP");
        assert_eq!(http.protocol, "http");
        assert_eq!(http.host.as_deref(), Some("update.example.com"));
        assert_eq!(http.authorization.as_deref(), Some("Basic"));
        let rtsp = request(b"DESCRIBE rtsp://192.168.1.1:7070/webcam RTSP/1.0\r\nCSeq: 2\r\n\r\n")
            .expect("RTSP");
        assert_eq!((rtsp.protocol, rtsp.authorization), ("rtsp", None));
        assert_eq!(request(b"HELLO world HTTP/1.1\r\n"), None);
        assert_eq!(request(b"\xff\xfe"), None);
    }

    #[test]
    fn tls_client_hello_with_sni_and_versions() {
        // A minimal ClientHello: TLS 1.2 legacy version, two suites (one GREASE), SNI and
        // supported_versions (1.3, 1.2).
        let sni = b"mydjiflight.dji.com";
        let mut extensions = Vec::new();
        extensions.extend_from_slice(&[0, 0]);
        extensions.extend_from_slice(&((sni.len() + 5) as u16).to_be_bytes());
        extensions.extend_from_slice(&((sni.len() + 3) as u16).to_be_bytes());
        extensions.push(0);
        extensions.extend_from_slice(&(sni.len() as u16).to_be_bytes());
        extensions.extend_from_slice(sni);
        extensions.extend_from_slice(&[0, 43, 0, 5, 4, 3, 4, 3, 3]);
        let mut hello = vec![3, 3];
        hello.extend_from_slice(&[0; 32]);
        hello.push(0);
        hello.extend_from_slice(&[0, 4, 0x0a, 0x0a, 0x13, 0x01, 1, 0]);
        hello.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
        hello.extend_from_slice(&extensions);
        let mut record = vec![22, 3, 1];
        record.extend_from_slice(&((hello.len() + 4) as u16).to_be_bytes());
        record.push(1);
        record.extend_from_slice(&(hello.len() as u32).to_be_bytes()[1..]);
        record.extend_from_slice(&hello);
        assert_eq!(
            tls(&record),
            Some(Tls::ClientHello {
                server_name: Some("mydjiflight.dji.com".to_owned()),
                versions: vec![0x0304, 0x0303],
                cipher_suites: vec![0x1301],
            })
        );
        assert_eq!(tls(&record[..20]), None);
        assert_eq!(weak_cipher_suite(0x000a), Some("3DES"));
        assert_eq!(weak_cipher_suite(0x1301), None);
    }
}
