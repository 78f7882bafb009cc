//! MAVLink framing, shared by the analyzers that find MAVLink (packet captures, telemetry
//! logs): v1 frames (`0xFE`, 6-byte header, no signature) and v2 frames (`0xFD`, 10-byte
//! header, a 13-byte signature when incompatibility flag 1 is set), each frame's checksum
//! checked with its message's CRC_EXTRA ([`messages`]), and a per-system tally of versions and
//! signing.

mod messages;

use schemars::JsonSchema;
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
    pub checksum: Checksum,
}

/// Whether a frame's checksum holds with its message's CRC_EXTRA: what tells a MAVLink frame
/// from bytes that happen to look like one (one in 65,536 noise frames passes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    Holds,
    Fails,
    /// The message is not one of the dialects this tool knows: its checksum cannot be checked.
    UnknownMessage,
}

/// MAVLink's SETUP_SIGNING message: it carries the signing key.
pub const SETUP_SIGNING: u32 = 256;
pub const HEARTBEAT: u32 = 0;
pub const PARAM_VALUE: u32 = 22;
pub const AUTOPILOT_VERSION: u32 = 148;
pub const STATUSTEXT: u32 = 253;

/// The CRC_EXTRA of message `id` and its payload's length with extensions (MAVLink 2 drops
/// trailing zeros, so a payload may be shorter), when it is a message of the dialects known.
fn message(id: u32) -> Option<(u8, usize)> {
    let index = messages::MESSAGES
        .binary_search_by_key(&id, |(message, ..)| *message)
        .ok()?;
    let (_, extra, _, full) = messages::MESSAGES[index];
    Some((extra, usize::from(full)))
}

/// MAVLink's checksum: CRC-16/MCRF4XX (X.25), sixteen bytes a step (slice-by-16 tables): a
/// telemetry log checks every frame, and the bit-by-bit form was a twentieth of scanning a
/// mixed fleet.
static X25: crc::Crc<u16, crc::Table<16>> =
    crc::Crc::<u16, crc::Table<16>>::new(&crc::CRC_16_MCRF4XX);

/// The checksum of a frame's bytes after its start marker, then its message's CRC_EXTRA.
fn frame_checksum(bytes: &[u8], extra: u8) -> u16 {
    let mut digest = X25.digest();
    digest.update(bytes);
    digest.update(&[extra]);
    digest.finalize()
}

/// The payload of the whole frame at the start of `bytes` when its checksum holds with its
/// message's CRC_EXTRA, padded with zeros to the message's length with extensions (MAVLink 2
/// drops trailing zeros); None otherwise, so that noise that looks like a frame never says
/// what flew.
pub fn checked_payload(bytes: &[u8]) -> Option<(Frame, Vec<u8>)> {
    let (frame, _) = frame_at(bytes)?;
    if frame.checksum != Checksum::Holds {
        return None;
    }
    let (_, length) = message(frame.message_id)?;
    let header = if frame.version == 1 { 6 } else { 10 };
    let mut payload = bytes
        .get(header..header + usize::from(*bytes.get(1)?))?
        .to_vec();
    if payload.len() < length {
        payload.resize(length, 0);
    }
    Some((frame, payload))
}

/// Whether the checksum after the `header`-byte header and the payload of the frame at the
/// start of `bytes` holds with the CRC_EXTRA of `message_id`.
fn checksum(bytes: &[u8], header: usize, message_id: u32) -> Checksum {
    let Some((extra, full)) = message(message_id) else {
        return Checksum::UnknownMessage;
    };
    let length = usize::from(bytes[1]);
    let end = header + length;
    let crc = frame_checksum(&bytes[1..end], extra);
    // A payload longer than the message's is not that message, whatever its checksum.
    if length <= full && bytes[end..end + 2] == crc.to_le_bytes() {
        Checksum::Holds
    } else {
        Checksum::Fails
    }
}

/// The frame at the start of `bytes` and its length, if a whole one is there (v2 frames
/// with an unknown incompatibility flag are not MAVLink this tool can read).
pub fn frame_at(bytes: &[u8]) -> Option<(Frame, usize)> {
    match *bytes.first()? {
        0xfe => {
            let header = bytes.get(..6)?;
            let length = 6 + usize::from(header[1]) + 2;
            if length > bytes.len() {
                return None;
            }
            let message_id = u32::from(header[5]);
            let frame = Frame {
                version: 1,
                system_id: header[3],
                component_id: header[4],
                message_id,
                signed: false,
                checksum: checksum(bytes, 6, message_id),
            };
            Some((frame, length))
        }
        0xfd => {
            let header = bytes.get(..10)?;
            let incompat = header[2];
            if incompat & !0x01 != 0 {
                return None;
            }
            let signed = incompat & 0x01 != 0;
            let length = 10 + usize::from(header[1]) + 2 + if signed { 13 } else { 0 };
            if length > bytes.len() {
                return None;
            }
            let message_id =
                u32::from(header[7]) | u32::from(header[8]) << 8 | u32::from(header[9]) << 16;
            let frame = Frame {
                version: 2,
                system_id: header[5],
                component_id: header[6],
                message_id,
                signed,
                checksum: checksum(bytes, 10, message_id),
            };
            Some((frame, length))
        }
        _ => None,
    }
}

/// The MAVLink frames of a datagram or segment, when the payload is MAVLink: whole frames
/// back to back from its first byte, none whose checksum fails and at least one whose checksum
/// holds (frames of messages of other dialects ride along with those).
pub fn frames(payload: &[u8]) -> Option<Vec<Frame>> {
    let mut found = Vec::new();
    let mut rest = payload;
    while !rest.is_empty() {
        let (frame, length) = frame_at(rest)?;
        if frame.checksum == Checksum::Fails {
            return None;
        }
        found.push(frame);
        rest = &rest[length..];
    }
    found
        .iter()
        .any(|frame| frame.checksum == Checksum::Holds)
        .then_some(found)
}

/// Frames of one system, by version and signing.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct SystemTally {
    /// The MAVLink system id.
    pub system_id: u8,
    /// Where its first frame is: a packet number or a byte offset (`location_key`).
    #[serde(skip)]
    pub first: u64,
    /// Its frames.
    pub frames: u64,
    /// Its MAVLink 1 frames (which cannot be signed).
    pub v1_frames: u64,
    /// Its MAVLink 2 frames without a signature.
    pub v2_unsigned_frames: u64,
    /// Its MAVLink 2 frames with a signature.
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
    /// Counts `frame`, found at `location` (a packet number or an offset); a frame whose
    /// checksum holds counts as verified too.
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
        if frame.checksum == Checksum::Holds {
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

    /// The systems as evidence, each with its first frame's place made by `place` (a packet
    /// number in a capture, a byte offset in a log).
    pub fn records<P>(&self, place: impl Fn(u64) -> P) -> Vec<SystemAt<P>> {
        self.systems
            .values()
            .map(|system| SystemAt {
                tally: system.clone(),
                place: place(system.first),
            })
            .collect()
    }
}

/// One system's frames, with where its first frame is.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct SystemAt<P> {
    /// Its frames by version and signing.
    #[serde(flatten)]
    pub tally: SystemTally,
    /// Where its first frame is.
    #[serde(flatten)]
    pub place: P,
}

/// A place in a packet capture.
#[derive(Debug, Clone, Copy, Default, Serialize, JsonSchema)]
pub struct PacketNumber {
    /// The first frame's packet number.
    pub packet: u64,
}

/// A place in a log file.
#[derive(Debug, Clone, Copy, Default, Serialize, JsonSchema)]
pub struct ByteOffset {
    /// The first frame's byte offset in the file.
    pub offset: u64,
}

/// Writes the checksum of the whole frame at the start of `frame` (header, payload, two bytes
/// for the checksum, a signature when flagged) as its message's CRC_EXTRA gives it: what the
/// project's generators and tests send. A message of no known dialect is sealed with 0.
pub fn seal(frame: &mut [u8]) {
    let Some((parsed, _)) = frame_at(frame) else {
        return;
    };
    let header = if parsed.version == 1 { 6 } else { 10 };
    let end = header + usize::from(frame[1]);
    let extra = message(parsed.message_id).map_or(0, |(extra, _)| extra);
    let crc = frame_checksum(&frame[1..end], extra);
    frame[end..end + 2].copy_from_slice(&crc.to_le_bytes());
}

/// A whole frame of `version` carrying `payload` as message `id` from `system`/`component`,
/// sealed ([`seal`]), with a zero signature when `signed`.
#[cfg(test)]
pub(crate) fn encode_frame(
    version: u8,
    id: u32,
    (system, component): (u8, u8),
    payload: &[u8],
    signed: bool,
) -> Vec<u8> {
    let length = payload.len() as u8;
    let mut bytes = if version == 1 {
        vec![0xfe, length, 0, system, component, id as u8]
    } else {
        let id = id.to_le_bytes();
        let flags = u8::from(signed);
        vec![
            0xfd, length, flags, 0, 0, system, component, id[0], id[1], id[2],
        ]
    };
    bytes.extend_from_slice(payload);
    bytes.extend_from_slice(&[0, 0]);
    if signed {
        bytes.extend_from_slice(&[0; 13]);
    }
    seal(&mut bytes);
    bytes
}

#[cfg(test)]
mod tests {
    use super::encode_frame as frame;
    use super::*;

    #[test]
    fn mavlink_frames_must_tile_the_payload() {
        // v2 HEARTBEAT (id 0), 9-byte payload, unsigned, from 1/1.
        let heartbeat = frame(2, HEARTBEAT, (1, 1), &[0, 0, 0, 0, 2, 3, 0x51, 4, 3], false);
        let frames = frames(&heartbeat).expect("MAVLink");
        assert_eq!(frames.len(), 1);
        assert_eq!(
            (frames[0].version, frames[0].system_id, frames[0].signed),
            (2, 1, false)
        );
        let mut two = heartbeat.clone();
        two.extend_from_slice(&heartbeat);
        assert_eq!(super::frames(&two).map(|frames| frames.len()), Some(2));
        assert_eq!(
            super::frames(&heartbeat[..heartbeat.len() - 1]),
            None,
            "cut short"
        );
        let mut trailing = heartbeat.clone();
        trailing.push(0x42);
        assert_eq!(super::frames(&trailing), None, "not whole frames");
        assert_eq!(
            super::frames(b"\xfd\x09\x80"),
            None,
            "unknown incompat flag"
        );
        assert_eq!(super::frames(b"GET / HTTP/1.1\r\n"), None);
    }

    #[test]
    fn noise_shaped_like_frames_is_not_mavlink() {
        // Right framing, wrong checksum: bytes that look like a HEARTBEAT are not one.
        let mut noise = frame(2, HEARTBEAT, (1, 1), &[0; 9], false);
        let at = noise.len() - 1;
        noise[at] ^= 0x5a;
        assert_eq!(frames(&noise), None);
        // A message of another dialect rides along with one that checks, but is never
        // MAVLink on its own.
        let private = frame(2, 0x00ab_cdef, (1, 1), &[7; 4], false);
        assert_eq!(
            frame_at(&private).expect("framed").0.checksum,
            Checksum::UnknownMessage
        );
        assert_eq!(frames(&private), None);
        let mut both = frame(2, HEARTBEAT, (1, 1), &[0; 9], false);
        both.extend_from_slice(&private);
        assert_eq!(frames(&both).map(|frames| frames.len()), Some(2));
        // A payload longer than its message's (with extensions) is not that message.
        let long = frame(2, HEARTBEAT, (1, 1), &[0; 12], false);
        assert_eq!(frame_at(&long).expect("framed").0.checksum, Checksum::Fails);
    }

    #[test]
    fn checksums_hold_only_with_the_message_crc_extra() {
        // A v1 HEARTBEAT from 1/1 (custom mode 0, quadrotor, ArduPilot, armed flags 0x51).
        let heartbeat = frame(1, HEARTBEAT, (1, 1), &[0, 0, 0, 0, 2, 3, 0x51, 4, 3], false);
        let (found, payload) = checked_payload(&heartbeat).expect("checks");
        assert_eq!((found.message_id, payload[5]), (HEARTBEAT, 3));
        // The checksum of the X.25 check string, as the standard gives it.
        assert_eq!(X25.checksum(b"123456789"), 0x6f91);
        let mut noise = heartbeat.clone();
        noise[10] ^= 1;
        assert_eq!(checked_payload(&noise), None, "one bit off");
        // The same bytes as another message: its CRC_EXTRA differs, so the checksum fails.
        let mut other = heartbeat.clone();
        other[5] = 1;
        assert_eq!(checked_payload(&other), None);
        // Every message of the table, as the generator wrote it: HEARTBEAT's and STATUSTEXT's
        // CRC_EXTRA and lengths are those MAVLink's common.xml gives.
        assert_eq!(message(HEARTBEAT), Some((50, 9)));
        assert_eq!(message(STATUSTEXT), Some((83, 54)));
        assert!(messages::MESSAGES
            .windows(2)
            .all(|pair| pair[0].0 < pair[1].0));
    }

    #[test]
    fn signed_v2_and_v1_frames() {
        let signed = frame(2, SETUP_SIGNING, (255, 1), &[0; 42], true);
        let frames = frames(&signed).expect("MAVLink");
        assert!(frames[0].signed);
        assert_eq!(frames[0].message_id, SETUP_SIGNING);
        let v1 = frame(1, HEARTBEAT, (1, 1), &[0; 9], false);
        assert_eq!(super::frames(&v1).expect("v1")[0].version, 1);
    }
}
