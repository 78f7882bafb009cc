//! Broadcast Remote ID (ASTM F3411, the Open Drone ID messages) in 802.11 management frames: a
//! beacon's vendor-specific element with the ASTM OUI FA:0B:BC and type 0x0D, or a NAN service
//! discovery frame (public action, Wi-Fi Alliance OUI 50:6F:9A type 0x13) of the
//! `org.opendroneid.remoteid` service. Either carries a message counter and a message pack of
//! 25-byte messages: Basic ID (the UA's serial or registration), Location/Vector, System (the
//! operator's position), Operator ID, Self ID, Authentication.
//!
//! Layouts as opendroneid-core-c encodes them (libopendroneid/opendroneid.h, wifi.c). Everything
//! is bounded: an element is read within its length, a pack within its count (at most 9
//! messages), a broadcaster's identifiers are kept up to [`MAX_IDS`], and at most
//! [`MAX_BROADCASTERS`] transmitters are listed (the rest counted). Memory does not grow with
//! the capture.

use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// The ASTM International OUI of the beacon's vendor-specific element, and its type.
const ASTM_OUI: [u8; 3] = [0xfa, 0x0b, 0xbc];
const ASTM_OUI_TYPE: u8 = 0x0d;
/// The Wi-Fi Alliance OUI and the NAN type of a service discovery frame.
const WFA_OUI: [u8; 3] = [0x50, 0x6f, 0x9a];
const NAN_OUI_TYPE: u8 = 0x13;
/// The first 6 bytes of SHA-256("org.opendroneid.remoteid"): the NAN service id.
const ODID_SERVICE_ID: [u8; 6] = [0x88, 0x69, 0x19, 0x9d, 0x92, 0x09];
/// Every Open Drone ID message is 25 bytes.
const MESSAGE_SIZE: usize = 25;
/// A message pack holds at most 9 messages.
const MAX_PACK_MESSAGES: usize = 9;
/// Transmitters listed; more are counted in `broadcasters_not_listed`.
pub const MAX_BROADCASTERS: usize = 256;
/// Identifiers (Basic ID messages that differ) kept per transmitter.
pub const MAX_IDS: usize = 4;

/// How a broadcast reached the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    /// A beacon's vendor-specific element (ASTM OUI FA:0B:BC, type 0x0D).
    WifiBeacon,
    /// A NAN service discovery frame of the Open Drone ID service.
    WifiNan,
}

/// A position in degrees (WGS84), as the message gives it (1e-7 degree units).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, JsonSchema)]
pub struct Position {
    /// Degrees north (negative south).
    pub latitude: f64,
    /// Degrees east (negative west).
    pub longitude: f64,
}

/// One UA identifier of a Basic ID message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct UaId {
    /// `serial-number` (ANSI/CTA-2063-A), `caa-registration`, `utm-assigned`,
    /// `specific-session`, or `type-N`.
    pub id_type: String,
    /// The UA type code (0 none, 2 helicopter or multirotor…).
    pub ua_type: u8,
    /// The identifier, printable ASCII (other bytes as `?`), trailing padding removed.
    pub id: String,
}

/// What one transmitter broadcast.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Broadcaster {
    /// The transmitter's MAC address (802.11 address 2).
    pub transmitter: String,
    /// How its first Remote ID frame was sent.
    pub transport: Transport,
    /// The first frame's packet number.
    pub packet: u64,
    /// Frames of this transmitter that carried Remote ID.
    pub frames: u64,
    /// The distinct identifiers of its Basic ID messages (at most [`MAX_IDS`]).
    pub ua_ids: Vec<UaId>,
    /// The first identifier of type serial number: the aircraft's serial, in the clear.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    /// The first Operator ID message's identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator_id: Option<String>,
    /// The first operator position a System message gave (0,0 means unknown and is skipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator_location: Option<Position>,
    /// Where that position comes from: `takeoff`, `live-gnss`, `fixed` or `type-N`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator_location_type: Option<String>,
    /// The first aircraft position a Location message gave.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ua_location: Option<Position>,
}

/// The Remote ID seen in a capture's 802.11 management frames.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct RemoteIdRecord {
    /// 802.11 management frames read: a capture with none (not in monitor mode) cannot show a
    /// broadcast, and the record is then absent.
    pub management_frames: u64,
    /// Frames that carried an Open Drone ID message pack.
    pub frames: u64,
    /// Frames with the Remote ID markers whose messages could not be read (cut short, a
    /// message size other than 25, a count over 9).
    pub malformed_frames: u64,
    /// One per transmitter, in order of first frame, at most [`MAX_BROADCASTERS`].
    pub broadcasters: Vec<Broadcaster>,
    /// Transmitters past the first [`MAX_BROADCASTERS`], counted up to 16 times that (more
    /// are not told apart: the count is then a floor).
    pub broadcasters_not_listed: u64,
}

/// Gathers Remote ID frame by frame.
#[derive(Debug, Default)]
pub struct RemoteIdBuilder {
    record: RemoteIdRecord,
    /// Index in `record.broadcasters` by transmitter.
    by_transmitter: BTreeMap<[u8; 6], usize>,
    not_listed: std::collections::BTreeSet<[u8; 6]>,
}

/// The 802.11 management subtypes that can carry Remote ID.
const SUBTYPE_BEACON: u8 = 8;
const SUBTYPE_ACTION: u8 = 13;

impl RemoteIdBuilder {
    /// One 802.11 management frame: its subtype, transmitter and body (after the header).
    pub fn add(&mut self, packet: u64, subtype: u8, transmitter: [u8; 6], body: &[u8]) {
        self.record.management_frames += 1;
        let found = match subtype {
            SUBTYPE_BEACON => beacon_pack(body).map(|pack| (Transport::WifiBeacon, pack)),
            SUBTYPE_ACTION => nan_pack(body).map(|pack| (Transport::WifiNan, pack)),
            _ => None,
        };
        let Some((transport, pack)) = found else {
            return;
        };
        let Some(messages) = pack_messages(pack) else {
            self.record.malformed_frames += 1;
            return;
        };
        self.record.frames += 1;
        let Some(broadcaster) = self.broadcaster(packet, transport, transmitter) else {
            return;
        };
        broadcaster.frames += 1;
        for message in messages.chunks_exact(MESSAGE_SIZE) {
            read_message(broadcaster, message);
        }
    }

    fn broadcaster(
        &mut self,
        packet: u64,
        transport: Transport,
        transmitter: [u8; 6],
    ) -> Option<&mut Broadcaster> {
        if let Some(&index) = self.by_transmitter.get(&transmitter) {
            return self.record.broadcasters.get_mut(index);
        }
        if self.record.broadcasters.len() >= MAX_BROADCASTERS {
            // Counted once per transmitter, within a bound of its own.
            if self.not_listed.len() < MAX_BROADCASTERS * 16 && self.not_listed.insert(transmitter)
            {
                self.record.broadcasters_not_listed += 1;
            }
            return None;
        }
        self.by_transmitter
            .insert(transmitter, self.record.broadcasters.len());
        self.record.broadcasters.push(Broadcaster {
            transmitter: mac(transmitter),
            transport,
            packet,
            frames: 0,
            ua_ids: Vec::new(),
            serial: None,
            operator_id: None,
            operator_location: None,
            operator_location_type: None,
            ua_location: None,
        });
        self.record.broadcasters.last_mut()
    }

    /// The record, or none when the capture had no management frame (nothing could show one).
    pub fn finish(self) -> Option<RemoteIdRecord> {
        (self.record.management_frames > 0).then_some(self.record)
    }
}

fn mac(address: [u8; 6]) -> String {
    address
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The message pack of a beacon body (timestamp 8, interval 2, capability 2, then elements):
/// the vendor-specific element (221) with the ASTM OUI and type 0x0D, past its message counter.
fn beacon_pack(body: &[u8]) -> Option<&[u8]> {
    let mut elements = body.get(12..)?;
    while let [id, length, rest @ ..] = elements {
        let length = usize::from(*length);
        let value = rest.get(..length)?;
        if *id == 221 && value.len() > 5 && value[..3] == ASTM_OUI && value[3] == ASTM_OUI_TYPE {
            // value[4] is the message counter.
            return value.get(5..);
        }
        elements = &rest[length..];
    }
    None
}

/// The message pack of a NAN service discovery frame (public action 4, vendor-specific 9, the
/// Wi-Fi Alliance OUI, type 0x13): the Service Descriptor attribute (3) of the Open Drone ID
/// service, its service info past the message counter.
fn nan_pack(body: &[u8]) -> Option<&[u8]> {
    let header = body.get(..6)?;
    if header[0] != 4 || header[1] != 9 || header[2..5] != WFA_OUI || header[5] != NAN_OUI_TYPE {
        return None;
    }
    let mut attributes = &body[6..];
    while attributes.len() >= 3 {
        let id = attributes[0];
        let length = usize::from(u16::from_le_bytes([attributes[1], attributes[2]]));
        let value = attributes.get(3..3 + length)?;
        attributes = &attributes[3 + length..];
        // service id 6, instance 1, requestor 1, control 1, service info length 1, info.
        if id != 3 || value.get(..6) != Some(&ODID_SERVICE_ID[..]) {
            continue;
        }
        let control = *value.get(8)?;
        // Only "service info present" (bit 4) is expected: the optional fields other bits
        // announce would sit before the info.
        if control & 0x10 == 0 || control & 0x4c != 0 {
            return None;
        }
        let info_length = usize::from(*value.get(9)?);
        let info = value.get(10..10 + info_length)?;
        return info.get(1..);
    }
    None
}

/// The 25-byte messages of a pack (header 0xF_, message size 25, count at most 9), or none
/// when it is malformed. A lone message (not a pack) is accepted as a pack of one.
fn pack_messages(pack: &[u8]) -> Option<&[u8]> {
    let header = *pack.first()?;
    if header >> 4 != 0xf {
        return pack.get(..MESSAGE_SIZE);
    }
    let size = usize::from(*pack.get(1)?);
    let count = usize::from(*pack.get(2)?);
    if size != MESSAGE_SIZE || count == 0 || count > MAX_PACK_MESSAGES {
        return None;
    }
    pack.get(3..3 + count * MESSAGE_SIZE)
}

/// Printable ASCII of an identifier field, padding (NUL, spaces) removed at the end.
fn text(field: &[u8]) -> String {
    let end = field
        .iter()
        .rposition(|byte| *byte != 0 && *byte != b' ')
        .map_or(0, |last| last + 1);
    field[..end]
        .iter()
        .map(|byte| {
            if byte.is_ascii_graphic() || *byte == b' ' {
                char::from(*byte)
            } else {
                '?'
            }
        })
        .collect()
}

fn i32_le(message: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_le_bytes(
        message.get(at..at + 4)?.try_into().ok()?,
    ))
}

/// A latitude and longitude in 1e-7 degrees at `at`, when valid and not the "unknown" 0,0.
fn position(message: &[u8], at: usize) -> Option<Position> {
    let latitude = f64::from(i32_le(message, at)?) * 1e-7;
    let longitude = f64::from(i32_le(message, at + 4)?) * 1e-7;
    let known = (latitude, longitude) != (0.0, 0.0);
    let valid = latitude.abs() <= 90.0 && longitude.abs() <= 180.0;
    (known && valid).then_some(Position {
        latitude,
        longitude,
    })
}

fn id_type_name(id_type: u8) -> String {
    match id_type {
        1 => "serial-number".to_owned(),
        2 => "caa-registration".to_owned(),
        3 => "utm-assigned".to_owned(),
        4 => "specific-session".to_owned(),
        other => format!("type-{other}"),
    }
}

/// One 25-byte message, into what the broadcaster is known to have sent.
fn read_message(broadcaster: &mut Broadcaster, message: &[u8]) {
    match message[0] >> 4 {
        // Basic ID: [IDType:4][UAType:4], UAS ID 20 bytes.
        0 => {
            let id_type = message[1] >> 4;
            let id = text(&message[2..22]);
            if id_type == 0 || id.is_empty() {
                return;
            }
            let ua_id = UaId {
                id_type: id_type_name(id_type),
                ua_type: message[1] & 0x0f,
                id,
            };
            if id_type == 1 && broadcaster.serial.is_none() {
                broadcaster.serial = Some(ua_id.id.clone());
            }
            if broadcaster.ua_ids.len() < MAX_IDS && !broadcaster.ua_ids.contains(&ua_id) {
                broadcaster.ua_ids.push(ua_id);
            }
        }
        // Location/Vector: latitude and longitude at bytes 5 and 9.
        1 if broadcaster.ua_location.is_none() => {
            broadcaster.ua_location = position(message, 5);
        }
        // System: [Reserved:3][ClassificationType:3][OperatorLocationType:2], then the
        // operator's latitude and longitude at bytes 2 and 6.
        4 if broadcaster.operator_location.is_none() => {
            broadcaster.operator_location = position(message, 2);
            if broadcaster.operator_location.is_some() {
                broadcaster.operator_location_type = Some(match message[1] & 0b11 {
                    0 => "takeoff".to_owned(),
                    1 => "live-gnss".to_owned(),
                    2 => "fixed".to_owned(),
                    other => format!("type-{other}"),
                });
            }
        }
        // Operator ID: type, then 20 bytes.
        5 => {
            let id = text(&message[2..22]);
            if broadcaster.operator_id.is_none() && !id.is_empty() {
                broadcaster.operator_id = Some(id);
            }
        }
        _ => {}
    }
}

/// Frames and messages as a transmitter would send them, for tests and the fixture generator
/// (tests/remote_id.rs writes the rule fixtures with these).
pub mod encode {
    use super::*;

    /// A Basic ID message: serial number (ID type 1) of a multirotor (UA type 2).
    pub fn basic_id(id_type: u8, id: &str) -> [u8; MESSAGE_SIZE] {
        let mut message = [0u8; MESSAGE_SIZE];
        message[0] = 0x02; // type 0, protocol version 2
        message[1] = (id_type << 4) | 2;
        let bytes = id.as_bytes();
        let length = bytes.len().min(20);
        message[2..2 + length].copy_from_slice(&bytes[..length]);
        message
    }

    /// A Location/Vector message at a position in degrees.
    pub fn location(latitude: f64, longitude: f64) -> [u8; MESSAGE_SIZE] {
        let mut message = [0u8; MESSAGE_SIZE];
        message[0] = 0x12;
        message[1] = 0x20; // airborne
        message[5..9].copy_from_slice(&((latitude * 1e7).round() as i32).to_le_bytes());
        message[9..13].copy_from_slice(&((longitude * 1e7).round() as i32).to_le_bytes());
        message
    }

    /// A System message with the operator at a position (live GNSS).
    pub fn system(latitude: f64, longitude: f64) -> [u8; MESSAGE_SIZE] {
        let mut message = [0u8; MESSAGE_SIZE];
        message[0] = 0x42;
        message[1] = 0x01;
        message[2..6].copy_from_slice(&((latitude * 1e7).round() as i32).to_le_bytes());
        message[6..10].copy_from_slice(&((longitude * 1e7).round() as i32).to_le_bytes());
        message
    }

    /// An Operator ID message.
    pub fn operator_id(id: &str) -> [u8; MESSAGE_SIZE] {
        let mut message = [0u8; MESSAGE_SIZE];
        message[0] = 0x52;
        let bytes = id.as_bytes();
        let length = bytes.len().min(20);
        message[2..2 + length].copy_from_slice(&bytes[..length]);
        message
    }

    /// A message pack of `messages`.
    pub fn pack(messages: &[[u8; MESSAGE_SIZE]]) -> Vec<u8> {
        let mut pack = vec![0xf2, MESSAGE_SIZE as u8, messages.len() as u8];
        for message in messages {
            pack.extend_from_slice(message);
        }
        pack
    }

    fn management_header(subtype: u8, destination: [u8; 6], transmitter: [u8; 6]) -> Vec<u8> {
        let mut frame = vec![subtype << 4, 0, 0, 0];
        frame.extend_from_slice(&destination);
        frame.extend_from_slice(&transmitter);
        frame.extend_from_slice(&transmitter);
        frame.extend_from_slice(&[0, 0]);
        frame
    }

    /// An 802.11 beacon (no radiotap) with an SSID and the ASTM vendor element holding `pack`.
    pub fn beacon(transmitter: [u8; 6], ssid: &str, pack: &[u8]) -> Vec<u8> {
        let mut frame = management_header(SUBTYPE_BEACON, [0xff; 6], transmitter);
        frame.extend_from_slice(&[0; 8]); // timestamp
        frame.extend_from_slice(&[0x64, 0, 0x20, 0x04]); // interval, capability
        frame.push(0);
        frame.push(ssid.len() as u8);
        frame.extend_from_slice(ssid.as_bytes());
        frame.extend_from_slice(&[1, 1, 0x8c]); // supported rates: 6 Mbit/s
        frame.push(221);
        frame.push((5 + pack.len()) as u8);
        frame.extend_from_slice(&ASTM_OUI);
        frame.push(ASTM_OUI_TYPE);
        frame.push(1); // message counter
        frame.extend_from_slice(pack);
        frame
    }

    /// A NAN service discovery frame of the Open Drone ID service holding `pack`.
    pub fn nan_action(transmitter: [u8; 6], pack: &[u8]) -> Vec<u8> {
        let mut frame = management_header(
            SUBTYPE_ACTION,
            [0x51, 0x6f, 0x9a, 0x01, 0x00, 0x00],
            transmitter,
        );
        frame.extend_from_slice(&[4, 9]);
        frame.extend_from_slice(&WFA_OUI);
        frame.push(NAN_OUI_TYPE);
        let info_length = 1 + pack.len();
        frame.push(3);
        frame.extend_from_slice(&((10 + info_length) as u16).to_le_bytes());
        frame.extend_from_slice(&ODID_SERVICE_ID);
        frame.extend_from_slice(&[1, 0, 0x10, info_length as u8, 1]);
        frame.extend_from_slice(pack);
        frame
    }

    /// A classic pcap file (DLT 105, 802.11 without radiotap) of `frames`.
    pub fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
        let mut file = Vec::new();
        file.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        file.extend_from_slice(&2u16.to_le_bytes());
        file.extend_from_slice(&4u16.to_le_bytes());
        file.extend_from_slice(&[0; 8]);
        file.extend_from_slice(&65535u32.to_le_bytes());
        file.extend_from_slice(&105u32.to_le_bytes());
        for (index, frame) in frames.iter().enumerate() {
            file.extend_from_slice(&(1_700_000_000u32 + index as u32).to_le_bytes());
            file.extend_from_slice(&0u32.to_le_bytes());
            file.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            file.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            file.extend_from_slice(frame);
        }
        file
    }
}

#[cfg(test)]
mod tests {
    use super::encode::*;
    use super::*;

    const DRONE: [u8; 6] = [0x60, 0x60, 0x1f, 0x00, 0x00, 0x01];

    fn frame_body(frame: &[u8]) -> &[u8] {
        &frame[24..]
    }

    #[test]
    fn a_beacon_pack_gives_serial_and_operator_position() {
        let pack = pack(&[
            basic_id(1, "1596F35A3B0000000000"),
            location(47.3977, 8.5456),
            system(47.3970, 8.5450),
            operator_id("FIN87astrdge12k8"),
        ]);
        let frame = beacon(DRONE, "RID-1596F", &pack);
        let mut builder = RemoteIdBuilder::default();
        builder.add(3, SUBTYPE_BEACON, DRONE, frame_body(&frame));
        builder.add(4, SUBTYPE_BEACON, DRONE, frame_body(&frame));
        let record = builder.finish().unwrap();
        assert_eq!((record.frames, record.malformed_frames), (2, 0));
        let broadcaster = &record.broadcasters[0];
        assert_eq!(broadcaster.transmitter, "60:60:1f:00:00:01");
        assert_eq!((broadcaster.packet, broadcaster.frames), (3, 2));
        assert_eq!(broadcaster.serial.as_deref(), Some("1596F35A3B0000000000"));
        assert_eq!(broadcaster.operator_id.as_deref(), Some("FIN87astrdge12k8"));
        let operator = broadcaster.operator_location.unwrap();
        assert!((operator.latitude - 47.397).abs() < 1e-6, "{operator:?}");
        assert!((operator.longitude - 8.545).abs() < 1e-6, "{operator:?}");
        assert_eq!(
            broadcaster.operator_location_type.as_deref(),
            Some("live-gnss")
        );
        assert!(broadcaster.ua_location.is_some());
    }

    #[test]
    fn a_nan_frame_is_read_and_other_action_frames_are_not() {
        let frame = nan_action(DRONE, &pack(&[basic_id(4, "session-42")]));
        let mut builder = RemoteIdBuilder::default();
        builder.add(1, SUBTYPE_ACTION, DRONE, frame_body(&frame));
        let mut other = frame.clone();
        other[24] = 3; // not a public action
        builder.add(2, SUBTYPE_ACTION, DRONE, frame_body(&other));
        let record = builder.finish().unwrap();
        assert_eq!(record.management_frames, 2);
        assert_eq!(record.frames, 1);
        let broadcaster = &record.broadcasters[0];
        assert_eq!(broadcaster.transport, Transport::WifiNan);
        assert_eq!(broadcaster.serial, None);
        assert_eq!(broadcaster.ua_ids[0].id_type, "specific-session");
    }

    #[test]
    fn hostile_packs_are_malformed_not_read_past_their_end() {
        let good = pack(&[basic_id(1, "ABC")]);
        let mut builder = RemoteIdBuilder::default();
        for cut in 0..good.len() {
            let frame = beacon(DRONE, "x", &good[..cut]);
            builder.add(1, SUBTYPE_BEACON, DRONE, frame_body(&frame));
        }
        let mut lying = good.clone();
        lying[2] = 200; // more messages than a pack holds
        builder.add(
            2,
            SUBTYPE_BEACON,
            DRONE,
            frame_body(&beacon(DRONE, "x", &lying)),
        );
        // An element whose length runs past the frame.
        let mut frame = beacon(DRONE, "x", &good);
        let at = frame.len() - good.len() - 7;
        frame[at] = 255;
        builder.add(3, SUBTYPE_BEACON, DRONE, frame_body(&frame));
        let record = builder.finish().unwrap();
        assert_eq!(record.frames, 0, "{record:?}");
        assert!(record.malformed_frames > 0);
        assert!(record.broadcasters.is_empty());
    }

    #[test]
    fn identifiers_are_printable_and_transmitters_bounded() {
        let mut builder = RemoteIdBuilder::default();
        let pack = pack(&[basic_id(1, "AB\u{1b}[31mC")]);
        for index in 0..(MAX_BROADCASTERS as u32 + 10) {
            let mut transmitter = DRONE;
            transmitter[2..].copy_from_slice(&index.to_be_bytes());
            let frame = beacon(transmitter, "x", &pack);
            builder.add(1, SUBTYPE_BEACON, transmitter, frame_body(&frame));
        }
        let record = builder.finish().unwrap();
        assert_eq!(record.broadcasters.len(), MAX_BROADCASTERS);
        assert_eq!(record.broadcasters_not_listed, 10);
        assert_eq!(record.broadcasters[0].serial.as_deref(), Some("AB?[31mC"));
    }

    #[test]
    fn no_management_frame_no_record() {
        assert!(RemoteIdBuilder::default().finish().is_none());
    }
}
