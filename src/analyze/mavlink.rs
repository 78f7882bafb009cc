//! MAVLink framing, shared by the analyzers that find MAVLink (packet captures, telemetry
//! logs): v1 frames (`0xFE`, 6-byte header, no signature) and v2 frames (`0xFD`, 10-byte
//! header, a 13-byte signature when incompatibility flag 1 is set), and a per-system tally
//! of versions and signing.

use serde::Serialize;
use std::collections::BTreeMap;

/// One MAVLink frame's header facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub version: u8,
    pub system_id: u8,
    pub component_id: u8,
    pub message_id: u32,
    pub signed: bool,
}

/// MAVLink's SETUP_SIGNING message: it carries the signing key.
pub const SETUP_SIGNING: u32 = 256;
pub const HEARTBEAT: u32 = 0;
pub const PARAM_VALUE: u32 = 22;
pub const AUTOPILOT_VERSION: u32 = 148;
pub const STATUSTEXT: u32 = 253;

/// CRC_EXTRA of the messages whose content this tool reads, with their payload's length
/// without extensions: the seed MAVLink adds to each frame's checksum so that a frame checks
/// only against its own message's layout. Computed as MAVLink's generator does (X.25 over
/// the message name and its fields in wire order) from the message definitions of mavlink
/// 0.19.1 (minimal.xml, common.xml). A small table rather than the `mavlink` crate: its
/// build generates every message of both dialects, minutes on a 2-core machine, to read
/// four messages.
const CRC_EXTRA: [(u32, u8, usize); 5] = [
    (HEARTBEAT, 50, 9),
    (PARAM_VALUE, 220, 25),
    (AUTOPILOT_VERSION, 178, 60),
    (STATUSTEXT, 83, 51),
    (SETUP_SIGNING, 71, 42),
];

/// MAVLink's checksum: CRC-16/MCRF4XX (X.25), carried on from `crc`.
fn x25(mut crc: u16, bytes: &[u8]) -> u16 {
    for &byte in bytes {
        let mut tmp = byte ^ (crc & 0xff) as u8;
        tmp ^= tmp << 4;
        crc = (crc >> 8) ^ (u16::from(tmp) << 8) ^ (u16::from(tmp) << 3) ^ (u16::from(tmp) >> 4);
    }
    crc
}

/// The payload of the whole frame at the start of `bytes` when its message is one this tool
/// reads and its checksum holds with that message's CRC_EXTRA, padded with zeros to the
/// message's length (MAVLink 2 drops trailing zeros); None otherwise, so that noise that
/// looks like a frame never says what flew.
pub fn checked_payload(bytes: &[u8]) -> Option<(Frame, Vec<u8>)> {
    let (frame, _) = frame_at(bytes)?;
    let (_, extra, length) = CRC_EXTRA
        .iter()
        .find(|(id, _, _)| *id == frame.message_id)?;
    let header = if frame.version == 1 { 6 } else { 10 };
    let end = header + usize::from(*bytes.get(1)?);
    let checksum = bytes.get(end..end + 2)?;
    let crc = x25(x25(0xffff, bytes.get(1..end)?), &[*extra]);
    if crc.to_le_bytes() != checksum {
        return None;
    }
    let mut payload = bytes.get(header..end)?.to_vec();
    if payload.len() < *length {
        payload.resize(*length, 0);
    }
    Some((frame, payload))
}

/// The frame at the start of `bytes` and its length, if a whole one is there (v2 frames
/// with an unknown incompatibility flag are not MAVLink this tool can read).
pub fn frame_at(bytes: &[u8]) -> Option<(Frame, usize)> {
    match *bytes.first()? {
        0xfe => {
            let header = bytes.get(..6)?;
            let length = 6 + usize::from(header[1]) + 2;
            let frame = Frame {
                version: 1,
                system_id: header[3],
                component_id: header[4],
                message_id: u32::from(header[5]),
                signed: false,
            };
            (length <= bytes.len()).then_some((frame, length))
        }
        0xfd => {
            let header = bytes.get(..10)?;
            let incompat = header[2];
            if incompat & !0x01 != 0 {
                return None;
            }
            let signed = incompat & 0x01 != 0;
            let length = 10 + usize::from(header[1]) + 2 + if signed { 13 } else { 0 };
            let frame = Frame {
                version: 2,
                system_id: header[5],
                component_id: header[6],
                message_id: u32::from(header[7])
                    | u32::from(header[8]) << 8
                    | u32::from(header[9]) << 16,
                signed,
            };
            (length <= bytes.len()).then_some((frame, length))
        }
        _ => None,
    }
}

/// The MAVLink frames of a datagram or segment, when the payload is MAVLink: it must be
/// whole frames back to back from its first byte, which random payloads almost never are.
pub fn frames(payload: &[u8]) -> Option<Vec<Frame>> {
    let mut found = Vec::new();
    let mut rest = payload;
    while !rest.is_empty() {
        let (frame, length) = frame_at(rest)?;
        found.push(frame);
        rest = &rest[length..];
    }
    (!found.is_empty()).then_some(found)
}

/// Frames of one system, by version and signing.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SystemTally {
    pub system_id: u8,
    /// Where its first frame is: a packet number or a byte offset (`location_key`).
    #[serde(skip)]
    pub first: u64,
    pub frames: u64,
    pub v1_frames: u64,
    pub v2_unsigned_frames: u64,
    pub v2_signed_frames: u64,
    /// Frames whose checksum held with their message's CRC_EXTRA.
    #[serde(skip)]
    pub verified_frames: u64,
}

/// Frames per system.
#[derive(Debug, Default)]
pub struct Systems {
    systems: BTreeMap<u8, SystemTally>,
}

impl Systems {
    /// Counts `frame`, found at `location` (a packet number or an offset).
    pub fn add(&mut self, frame: &Frame, location: u64) {
        let system = self
            .systems
            .entry(frame.system_id)
            .or_insert_with(|| SystemTally {
                system_id: frame.system_id,
                first: location,
                ..SystemTally::default()
            });
        system.frames += 1;
        match (frame.version, frame.signed) {
            (1, _) => system.v1_frames += 1,
            (_, false) => system.v2_unsigned_frames += 1,
            (_, true) => system.v2_signed_frames += 1,
        }
    }

    /// Notes that a frame of `system_id` already counted had a checksum that held.
    pub fn verified(&mut self, system_id: u8) {
        if let Some(system) = self.systems.get_mut(&system_id) {
            system.verified_frames += 1;
        }
    }

    /// Forgets systems with fewer than `frames` frames and none whose checksum held (a
    /// look-alike found while skipping damage is not a system; one frame that checks is);
    /// returns the ids kept.
    pub fn retain_at_least(&mut self, frames: u64) -> Vec<u8> {
        self.systems
            .retain(|_, system| system.frames >= frames || system.verified_frames > 0);
        self.systems.keys().copied().collect()
    }

    /// The systems as evidence, each with its first frame's place under `location_key`
    /// (`packet` in a capture, `offset` in a log).
    pub fn to_json(&self, location_key: &str) -> serde_json::Value {
        serde_json::Value::Array(
            self.systems
                .values()
                .map(|system| {
                    let mut node = serde_json::to_value(system).unwrap_or_default();
                    node[location_key] = serde_json::json!(system.first);
                    node
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mavlink(payload: &[u8]) -> Option<Vec<Frame>> {
        frames(payload)
    }

    #[test]
    fn mavlink_frames_must_tile_the_payload() {
        // v2 HEARTBEAT (id 0), 9-byte payload, unsigned, from 1/1.
        let mut frame = vec![0xfd, 9, 0, 0, 7, 1, 1, 0, 0, 0];
        frame.extend_from_slice(&[0; 9 + 2]);
        let frames = mavlink(&frame).expect("MAVLink");
        assert_eq!(frames.len(), 1);
        assert_eq!(
            (frames[0].version, frames[0].system_id, frames[0].signed),
            (2, 1, false)
        );
        let mut two = frame.clone();
        two.extend_from_slice(&frame);
        assert_eq!(mavlink(&two).map(|frames| frames.len()), Some(2));
        assert_eq!(mavlink(&frame[..frame.len() - 1]), None, "cut short");
        let mut trailing = frame.clone();
        trailing.push(0x42);
        assert_eq!(mavlink(&trailing), None, "not whole frames");
        assert_eq!(mavlink(b"\xfd\x09\x80"), None, "unknown incompat flag");
        assert_eq!(mavlink(b"GET / HTTP/1.1\r\n"), None);
    }

    #[test]
    fn checksums_hold_only_with_the_message_crc_extra() {
        // A v1 HEARTBEAT from 1/1 (custom mode 0, quadrotor, ArduPilot, armed flags 0x51).
        let mut frame = vec![0xfe, 9, 0, 1, 1, 0, 0, 0, 0, 0, 2, 3, 0x51, 4, 3];
        let crc = x25(x25(0xffff, &frame[1..]), &[50]);
        frame.extend_from_slice(&crc.to_le_bytes());
        let (found, payload) = checked_payload(&frame).expect("checks");
        assert_eq!((found.message_id, payload[5]), (HEARTBEAT, 3));
        // The checksum of the X.25 check string, as the standard gives it.
        assert_eq!(x25(0xffff, b"123456789"), 0x6f91);
        let mut noise = frame.clone();
        noise[10] ^= 1;
        assert_eq!(checked_payload(&noise), None, "one bit off");
        // A message this tool does not read is never vouched for.
        let mut other = frame.clone();
        other[5] = 1;
        assert_eq!(checked_payload(&other), None);
    }

    #[test]
    fn signed_v2_and_v1_frames() {
        let mut signed = vec![0xfd, 0, 1, 0, 0, 255, 190, 0, 1, 0];
        signed.extend_from_slice(&[0; 2 + 13]);
        let frames = mavlink(&signed).expect("MAVLink");
        assert!(frames[0].signed);
        assert_eq!(frames[0].message_id, SETUP_SIGNING);
        let v1 = [0xfe, 0, 3, 1, 1, 0, 0xaa, 0xbb];
        assert_eq!(mavlink(&v1).expect("v1")[0].version, 1);
    }
}
