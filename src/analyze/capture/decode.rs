//! From a captured frame to addresses, ports and payload: the link layers drone ground
//! stations are captured on (Ethernet with VLAN tags, Linux cooked SLL and SLL2, raw IP, BSD
//! loopback, 802.11 with radiotap), then IPv4 (fragments counted, not reassembled) and IPv6,
//! then UDP and TCP. Every length is checked against the bytes captured; a frame that ends
//! early decodes as far as it goes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const LINKTYPE_NULL: i32 = 0;
pub const LINKTYPE_ETHERNET: i32 = 1;
pub const LINKTYPE_RAW: i32 = 101;
pub const LINKTYPE_LOOP: i32 = 108;
pub const LINKTYPE_IEEE802_11: i32 = 105;
pub const LINKTYPE_LINUX_SLL: i32 = 113;
pub const LINKTYPE_IEEE802_11_RADIOTAP: i32 = 127;
pub const LINKTYPE_IPV4: i32 = 228;
pub const LINKTYPE_IPV6: i32 = 229;
pub const LINKTYPE_LINUX_SLL2: i32 = 276;

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: [u16; 3] = [0x8100, 0x88a8, 0x9100];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Transport {
    Udp,
    Tcp,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        }
    }
}

/// TCP flags the analysis uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpFlags {
    pub syn: bool,
    pub ack: bool,
}

/// A decoded UDP or TCP segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    pub transport: Transport,
    pub source: IpAddr,
    pub source_port: u16,
    pub destination: IpAddr,
    pub destination_port: u16,
    pub tcp_flags: TcpFlags,
    /// The IP packet's length on the wire (header included), for byte counts.
    pub ip_length: u32,
    pub payload: &'a [u8],
}

/// What a frame decoded to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded<'a> {
    Segment(Segment<'a>),
    /// An IPv4 fragment after the first: counted, its payload not read.
    LaterFragment,
    /// IP, but neither UDP nor TCP (ICMP…), or a frame of no traffic (802.11 management).
    Other,
    /// A frame of a link type this tool does not read: its payload is unknown.
    UnknownLinkType,
    /// An 802.11 data frame with the Protected bit: its payload is still encrypted.
    ProtectedWifiData,
    /// An 802.11 data frame sent without protection (no WEP/WPA bit).
    UnprotectedWifiData {
        inner: Option<Segment<'a>>,
    },
    /// An unprotected 802.11 management frame (beacon, action…): its subtype, transmitter
    /// (address 2) and body after the header, for Remote ID.
    WifiManagement {
        subtype: u8,
        transmitter: [u8; 6],
        body: &'a [u8],
    },
    /// The frame ended before its headers did.
    Short,
}

fn u16_be(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]))
}

/// Decodes one frame of `link_type`.
pub fn decode(link_type: i32, frame: &[u8]) -> Decoded<'_> {
    match link_type {
        LINKTYPE_ETHERNET => ethernet(frame),
        LINKTYPE_NULL | LINKTYPE_LOOP => {
            // A 4-byte address family, in the capturing host's byte order (NULL) or network
            // order (LOOP): AF_INET is 2 everywhere; AF_INET6 is 10, 24, 28 or 30.
            let Some(family) = frame.get(..4) else {
                return Decoded::Short;
            };
            let little = u32::from_le_bytes([family[0], family[1], family[2], family[3]]);
            let big = u32::from_be_bytes([family[0], family[1], family[2], family[3]]);
            // Families are small numbers: the byte order that gives one is the right one.
            let family = if little < 256 { little } else { big };
            match family {
                2 => ipv4(&frame[4..]),
                10 | 24 | 28 | 30 => ipv6(&frame[4..]),
                _ => Decoded::Other,
            }
        }
        LINKTYPE_RAW | 12 | 14 => ip(frame),
        LINKTYPE_IPV4 => ipv4(frame),
        LINKTYPE_IPV6 => ipv6(frame),
        LINKTYPE_LINUX_SLL => match u16_be(frame, 14) {
            Some(protocol) => by_ethertype(protocol, frame.get(16..).unwrap_or_default()),
            None => Decoded::Short,
        },
        LINKTYPE_LINUX_SLL2 => match u16_be(frame, 0) {
            Some(protocol) => by_ethertype(protocol, frame.get(20..).unwrap_or_default()),
            None => Decoded::Short,
        },
        LINKTYPE_IEEE802_11_RADIOTAP => {
            let Some((length, flags)) = radiotap(frame) else {
                return Decoded::Short;
            };
            if flags & RADIOTAP_BAD_FCS != 0 {
                return Decoded::Other;
            }
            let mut wifi = frame.get(length..).unwrap_or_default();
            if flags & RADIOTAP_FCS_AT_END != 0 {
                wifi = &wifi[..wifi.len().saturating_sub(4)];
            }
            ieee802_11(wifi, flags & RADIOTAP_DATA_PAD != 0)
        }
        LINKTYPE_IEEE802_11 => ieee802_11(frame, false),
        _ => Decoded::UnknownLinkType,
    }
}

fn ethernet(frame: &[u8]) -> Decoded<'_> {
    let mut at = 12;
    loop {
        let Some(ethertype) = u16_be(frame, at) else {
            return Decoded::Short;
        };
        if ETHERTYPE_VLAN.contains(&ethertype) {
            at += 4;
            continue;
        }
        return by_ethertype(ethertype, frame.get(at + 2..).unwrap_or_default());
    }
}

fn by_ethertype(ethertype: u16, payload: &[u8]) -> Decoded<'_> {
    match ethertype {
        ETHERTYPE_IPV4 => ipv4(payload),
        ETHERTYPE_IPV6 => ipv6(payload),
        _ => Decoded::Other,
    }
}

/// Radiotap Flags: the frame ends with its FCS; padding after the 802.11 header; bad FCS.
const RADIOTAP_FCS_AT_END: u8 = 0x10;
const RADIOTAP_DATA_PAD: u8 = 0x20;
const RADIOTAP_BAD_FCS: u8 = 0x40;

/// The radiotap header's length and its Flags field (0 when absent): the present bitmaps
/// (chained by bit 31), then TSFT (8 bytes, 8-aligned) and Flags (1 byte) if present.
fn radiotap(frame: &[u8]) -> Option<(usize, u8)> {
    let length = usize::from(u16::from_le_bytes([*frame.get(2)?, *frame.get(3)?]));
    let header = frame.get(..length)?;
    let word_at = |at: usize| Some(u32::from_le_bytes(header.get(at..at + 4)?.try_into().ok()?));
    let first = word_at(4)?;
    // Further present words follow while bit 31 is set; only the first names TSFT and Flags.
    let mut at = 8;
    let mut word = first;
    while word & (1 << 31) != 0 && at < 4 + 4 * 9 {
        word = word_at(at)?;
        at += 4;
    }
    if first & 1 != 0 {
        at = at.next_multiple_of(8) + 8;
    }
    let flags = if first & 0b10 != 0 {
        *header.get(at)?
    } else {
        0
    };
    Some((length, flags))
}

const ETHERTYPE_EAPOL: u16 = 0x888e;

/// An 802.11 frame: data frames only; a protected one is opaque, an unprotected one is
/// itself a finding and is read through its LLC/SNAP header, except the EAPOL frames of
/// the WPA handshake, which are unprotected by design.
fn ieee802_11(frame: &[u8], padded: bool) -> Decoded<'_> {
    let (Some(&control), Some(&flags)) = (frame.first(), frame.get(1)) else {
        return Decoded::Short;
    };
    let frame_type = (control >> 2) & 0b11;
    let subtype = control >> 4;
    if frame_type == 0 {
        return management(frame, subtype, flags);
    }
    if frame_type != 2 {
        return Decoded::Other;
    }
    let protected = flags & 0x40 != 0;
    if protected {
        return Decoded::ProtectedWifiData;
    }
    // Null-function frames (subtypes 4 and 12 and the CF-only ones) carry no data.
    if subtype & 0b0100 != 0 {
        return Decoded::Other;
    }
    let to_and_from_ds = flags & 0b11 == 0b11;
    let qos = subtype & 0b1000 != 0;
    let mut header: usize = 24;
    if to_and_from_ds {
        header += 6;
    }
    if qos {
        header += 2;
        if flags & 0x80 != 0 {
            header += 4; // HT control
        }
    }
    if padded {
        header = header.next_multiple_of(4);
    }
    let Some(body) = frame.get(header..) else {
        return Decoded::Short;
    };
    // LLC/SNAP: AA AA 03 00 00 00, then the ethertype.
    let ethertype = match body.get(..6) {
        Some([0xaa, 0xaa, 0x03, 0, 0, 0]) => u16_be(body, 6),
        _ => None,
    };
    if ethertype == Some(ETHERTYPE_EAPOL) {
        return Decoded::Other;
    }
    let inner = ethertype.and_then(|ethertype| match by_ethertype(ethertype, body.get(8..)?) {
        Decoded::Segment(segment) => Some(segment),
        _ => None,
    });
    Decoded::UnprotectedWifiData { inner }
}

/// A management frame: 24 bytes of header (4 more with HT control, the Order bit), then its
/// body. A protected one (management frame protection) is opaque.
fn management(frame: &[u8], subtype: u8, flags: u8) -> Decoded<'_> {
    if flags & 0x40 != 0 {
        return Decoded::Other;
    }
    let header = if flags & 0x80 != 0 { 28 } else { 24 };
    let (Some(transmitter), Some(body)) = (frame.get(10..16), frame.get(header..)) else {
        return Decoded::Short;
    };
    let Ok(transmitter) = transmitter.try_into() else {
        return Decoded::Short;
    };
    Decoded::WifiManagement {
        subtype,
        transmitter,
        body,
    }
}

fn ip(packet: &[u8]) -> Decoded<'_> {
    match packet.first().map(|byte| byte >> 4) {
        Some(4) => ipv4(packet),
        Some(6) => ipv6(packet),
        Some(_) => Decoded::Other,
        None => Decoded::Short,
    }
}

fn ipv4(packet: &[u8]) -> Decoded<'_> {
    let Some(header) = packet.get(..20) else {
        return Decoded::Short;
    };
    if header[0] >> 4 != 4 {
        return Decoded::Other;
    }
    let header_length = usize::from(header[0] & 0x0f) * 4;
    let total_length = usize::from(u16::from_be_bytes([header[2], header[3]]));
    let fragment = u16::from_be_bytes([header[6], header[7]]);
    if fragment & 0x1fff != 0 {
        return Decoded::LaterFragment;
    }
    // A total length of 0 is what segmentation offload leaves in outgoing packets captured
    // on the sending host: the captured bytes are the packet, as Wireshark reads it.
    let total_length = if total_length == 0 {
        packet.len()
    } else {
        total_length
    };
    if header_length < 20 || total_length < header_length {
        return Decoded::Other;
    }
    let source = IpAddr::V4(Ipv4Addr::new(
        header[12], header[13], header[14], header[15],
    ));
    let destination = IpAddr::V4(Ipv4Addr::new(
        header[16], header[17], header[18], header[19],
    ));
    // The capture may hold less than the packet (snap length) or more (Ethernet padding).
    let end = total_length.min(packet.len());
    let Some(body) = packet.get(header_length..end) else {
        return Decoded::Short;
    };
    transport(
        header[9],
        source,
        destination,
        u32::try_from(total_length).unwrap_or(u32::MAX),
        body,
    )
}

fn ipv6(packet: &[u8]) -> Decoded<'_> {
    let Some(header) = packet.get(..40) else {
        return Decoded::Short;
    };
    if header[0] >> 4 != 6 {
        return Decoded::Other;
    }
    let payload_length = usize::from(u16::from_be_bytes([header[4], header[5]]));
    let mut next = header[6];
    let address = |at: usize| {
        let mut octets = [0u8; 16];
        octets.copy_from_slice(&header[at..at + 16]);
        IpAddr::V6(Ipv6Addr::from(octets))
    };
    let (source, destination) = (address(8), address(24));
    let end = (40 + payload_length).min(packet.len());
    let mut body = packet.get(40..end).unwrap_or_default();
    // Extension headers: hop-by-hop, routing, destination options; a fragment header ends
    // the reading unless it is the first fragment.
    for _ in 0..8 {
        match next {
            0 | 43 | 60 => {
                let (Some(&following), Some(&length)) = (body.first(), body.get(1)) else {
                    return Decoded::Short;
                };
                let skip = (usize::from(length) + 1) * 8;
                let Some(rest) = body.get(skip..) else {
                    return Decoded::Short;
                };
                next = following;
                body = rest;
            }
            44 => {
                let (Some(&following), Some(offset)) = (body.first(), u16_be(body, 2)) else {
                    return Decoded::Short;
                };
                if offset >> 3 != 0 {
                    return Decoded::LaterFragment;
                }
                next = following;
                body = body.get(8..).unwrap_or_default();
            }
            _ => break,
        }
    }
    transport(
        next,
        source,
        destination,
        u32::try_from(40 + payload_length).unwrap_or(u32::MAX),
        body,
    )
}

fn transport(
    protocol: u8,
    source: IpAddr,
    destination: IpAddr,
    ip_length: u32,
    body: &[u8],
) -> Decoded<'_> {
    let (transport, header_length, tcp_flags) = match protocol {
        17 => (Transport::Udp, 8, TcpFlags::default()),
        6 => {
            let Some(&offset) = body.get(12) else {
                return Decoded::Short;
            };
            let flags = body.get(13).copied().unwrap_or(0);
            (
                Transport::Tcp,
                usize::from(offset >> 4) * 4,
                TcpFlags {
                    syn: flags & 0x02 != 0,
                    ack: flags & 0x10 != 0,
                },
            )
        }
        _ => return Decoded::Other,
    };
    let (Some(source_port), Some(destination_port)) = (u16_be(body, 0), u16_be(body, 2)) else {
        return Decoded::Short;
    };
    let payload = match transport {
        Transport::Udp => {
            // The UDP length bounds the payload (Ethernet padding is not payload).
            let length = usize::from(u16_be(body, 4).unwrap_or(0));
            body.get(8..length.clamp(8, body.len().max(8)).min(body.len()))
                .unwrap_or_default()
        }
        Transport::Tcp => body.get(header_length.max(20)..).unwrap_or_default(),
    };
    Decoded::Segment(Segment {
        transport,
        source,
        source_port,
        destination,
        destination_port,
        tcp_flags,
        ip_length,
        payload,
    })
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// An IPv4 UDP packet (no checksum) from `source:sport` to `destination:dport`.
    pub(in crate::analyze::capture) fn udp4(
        source: [u8; 4],
        sport: u16,
        destination: [u8; 4],
        dport: u16,
        payload: &[u8],
    ) -> Vec<u8> {
        let total = 20 + 8 + payload.len();
        let mut packet = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 17, 0, 0];
        packet[2..4].copy_from_slice(&(total as u16).to_be_bytes());
        packet.extend_from_slice(&source);
        packet.extend_from_slice(&destination);
        packet.extend_from_slice(&sport.to_be_bytes());
        packet.extend_from_slice(&dport.to_be_bytes());
        packet.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        packet.extend_from_slice(&[0, 0]);
        packet.extend_from_slice(payload);
        packet
    }

    #[test]
    fn ethernet_vlan_ipv4_udp() {
        let ip = udp4([192, 168, 1, 2], 14550, [8, 8, 8, 8], 53, b"query");
        let mut frame = vec![
            0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x81, 0x00, 0, 5, 0x08, 0x00,
        ];
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(&[0; 6]); // Ethernet padding
        let Decoded::Segment(segment) = decode(LINKTYPE_ETHERNET, &frame) else {
            panic!("decoded");
        };
        assert_eq!(segment.transport, Transport::Udp);
        assert_eq!(segment.destination, IpAddr::V4(Ipv4Addr::new(8, 8, 8, 8)));
        assert_eq!(segment.destination_port, 53);
        assert_eq!(segment.payload, b"query");
    }

    #[test]
    fn linux_cooked_captures_and_ipv6() {
        let ip = udp4([10, 1, 1, 2], 40000, [10, 1, 1, 1], 14550, b"mav");
        let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
        sll.extend_from_slice(&ip);
        assert!(
            matches!(decode(LINKTYPE_LINUX_SLL, &sll), Decoded::Segment(s) if s.destination_port == 14550)
        );
        let mut sll2 = vec![
            0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0,
        ];
        sll2.extend_from_slice(&ip);
        assert!(
            matches!(decode(LINKTYPE_LINUX_SLL2, &sll2), Decoded::Segment(s) if s.payload == b"mav")
        );
        // IPv6 with a hop-by-hop options header before UDP.
        let mut ipv6 = vec![0x60, 0, 0, 0, 0, 8 + 8 + 3, 0, 64];
        ipv6.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        ipv6.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        ipv6.extend_from_slice(&[17, 0, 1, 4, 0, 0, 0, 0]);
        ipv6.extend_from_slice(&[0x9c, 0x40, 0x38, 0xd6, 0, 11, 0, 0]);
        ipv6.extend_from_slice(b"abc");
        let Decoded::Segment(segment) = decode(LINKTYPE_IPV6, &ipv6) else {
            panic!("IPv6 decoded");
        };
        assert_eq!(segment.destination_port, 14550);
        assert_eq!(segment.payload, b"abc");
        assert!(segment.destination.is_ipv6());
    }

    #[test]
    fn loopback_in_either_byte_order() {
        let ip = udp4([127, 0, 0, 1], 5000, [127, 0, 0, 1], 14550, b"x");
        for family in [[2, 0, 0, 0], [0, 0, 0, 2]] {
            let mut frame = family.to_vec();
            frame.extend_from_slice(&ip);
            assert!(matches!(decode(LINKTYPE_NULL, &frame), Decoded::Segment(_)));
        }
    }

    #[test]
    fn later_fragments_and_short_frames() {
        let mut ip = udp4([10, 0, 0, 1], 1, [10, 0, 0, 2], 2, b"abc");
        ip[6] = 0x00;
        ip[7] = 0x10;
        assert_eq!(decode(LINKTYPE_RAW, &ip), Decoded::LaterFragment);
        assert_eq!(decode(LINKTYPE_ETHERNET, &[0; 10]), Decoded::Short);
        assert_eq!(decode(LINKTYPE_RAW, &[0x45, 0]), Decoded::Short);
        assert_eq!(decode(9999, &[1, 2, 3]), Decoded::UnknownLinkType);
    }

    #[test]
    fn radiotap_flags_are_found_after_chained_present_words_and_tsft() {
        // Two present words (bit 31 chains), TSFT (bit 0) aligned to 8, then Flags (bit 1).
        let mut header = vec![0, 0, 0, 0];
        header.extend_from_slice(&(0x8000_0003u32).to_le_bytes());
        header.extend_from_slice(&0u32.to_le_bytes());
        header.extend_from_slice(&[0; 4]); // pad to 16, the TSFT's 8-byte alignment
        header.extend_from_slice(&[0; 8]); // TSFT
        header.push(0x10); // Flags: FCS at end
        header.push(0); // Rate
        header[2] = header.len() as u8;
        assert_eq!(radiotap(&header), Some((26, 0x10)));
        // Without Flags present the flags are 0; a header cut short is refused.
        header[4] = 0x01;
        assert_eq!(radiotap(&header), Some((26, 0)));
        assert_eq!(radiotap(&header[..6]), None);
    }

    #[test]
    fn unprotected_wifi_data_is_read_through_llc() {
        let ip = udp4([192, 168, 0, 2], 7000, [192, 168, 0, 1], 7070, b"video");
        let mut frame = vec![0u8; 8]; // radiotap: version, pad, length 8, present 0
        frame[2] = 8;
        frame.extend_from_slice(&[0x08, 0x01]); // data frame, to DS
        frame.extend_from_slice(&[0; 22]);
        frame.extend_from_slice(&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]);
        frame.extend_from_slice(&ip);
        let Decoded::UnprotectedWifiData {
            inner: Some(segment),
        } = decode(LINKTYPE_IEEE802_11_RADIOTAP, &frame)
        else {
            panic!("unprotected data");
        };
        assert_eq!(segment.payload, b"video");
        frame[9] |= 0x40; // protected
        assert_eq!(
            decode(LINKTYPE_IEEE802_11_RADIOTAP, &frame),
            Decoded::ProtectedWifiData
        );
        // The WPA handshake's EAPOL frames are unprotected by design.
        frame[9] &= !0x40;
        let llc = 8 + 24;
        frame[llc + 6..llc + 8].copy_from_slice(&ETHERTYPE_EAPOL.to_be_bytes());
        assert_eq!(decode(LINKTYPE_IEEE802_11_RADIOTAP, &frame), Decoded::Other);
        // A frame the radio received with a bad checksum is not evidence.
        let mut bad = vec![0, 0, 9, 0, 0b10, 0, 0, 0, RADIOTAP_BAD_FCS];
        bad.extend_from_slice(&[0x08, 0x01]);
        bad.extend_from_slice(&[0; 22]);
        assert_eq!(decode(LINKTYPE_IEEE802_11_RADIOTAP, &bad), Decoded::Other);
    }
}
