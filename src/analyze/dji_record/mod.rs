//! DJI flight records (`DJIFlightRecord_*.txt`, written by DJI GO, DJI Fly and DJI Pilot):
//! the prefix (details offset, format version), the details block (location text, start time,
//! home point, flight time and distance, the aircraft's name and serial numbers, the app) and
//! where the frame records lie. Documented in docs/evidence/dji-flight-record.md.
//!
//! Layout (little-endian), as lvauvillier's dji-log-parser reads it (`layout/prefix.rs`,
//! `layout/info.rs`, `layout/auxiliary.rs`, `decoder.rs`): the prefix is `u64 details offset`,
//! `u16 details length`, `u8 version` (100 bytes from version 6 on, 12 before).
//!
//! - Before version 12 the details block is at the details offset and ends the file.
//! - Version 12 puts it in the clear right after the 100-byte prefix.
//! - From version 13 (every DJI app since 2022) an *auxiliary info* block follows the prefix
//!   (`u8 0`, `u16 length`, then a seed byte and the XOR-obfuscated rest: `u8`, `u16 info
//!   length`, the details, `u16 signature length`, the signature), then an *auxiliary
//!   version* block (`u8 1`, `u16 length`, `u16 version`, `u8 department`: the app family),
//!   then the frame records at the details offset. The obfuscation key is derived from the seed
//!   byte alone ([`xor_key`]), so the details are read offline; the frame records are AES-256
//!   encrypted with keys DJI's keychain service hands out online. This tool makes no network
//!   call: those records are reported as encrypted, never decoded.
//!
//! Up to version 5 the serials and the aircraft name sit at fixed offsets of the details;
//! later versions lay the fields out one after another, with 16-byte serials and a 32-byte name.

use crate::analyze::text::fixed_field;
use crate::analyze::{AnalyzeError, Analyzer, ArtifactKind, Evidence};
use schemars::JsonSchema;
use serde::Serialize;

pub struct DjiRecordAnalyzer;

/// Versions from this one on keep their details in an obfuscated auxiliary block and encrypt
/// their frame records.
pub const FIRST_ENCRYPTED_VERSION: u8 = 13;
/// From this version on the details follow the 100-byte prefix.
const DETAILS_AFTER_PREFIX: u8 = 12;
/// The highest format version read. DJI's apps write 14 (2023 to 2025); a few later versions
/// are accepted on the assumption that they keep the layout of 13 and 14, which the auxiliary
/// block's own lengths then check.
const LAST_KNOWN_VERSION: u8 = 20;
/// The prefix from version 6 on.
const PREFIX: usize = 100;
/// The details block: 352 bytes up to version 5, 380 after.
const OLD_DETAILS: usize = 352;
const NEW_DETAILS: usize = 380;
/// The kinds of auxiliary block (its first byte).
const AUXILIARY_INFO: u8 = 0;
const AUXILIARY_VERSION: u8 = 1;

/// Reads little-endian values at offsets of a byte slice; every read is checked, none panics.
#[derive(Clone, Copy)]
struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn at(self, at: usize, length: usize) -> Option<&'a [u8]> {
        self.0.get(at..at.checked_add(length)?)
    }

    fn array<const N: usize>(self, at: usize) -> Option<[u8; N]> {
        self.at(at, N)?.try_into().ok()
    }

    fn u8(self, at: usize) -> Option<u8> {
        self.0.get(at).copied()
    }

    fn u16(self, at: usize) -> Option<u16> {
        self.array(at).map(u16::from_le_bytes)
    }

    fn u64(self, at: usize) -> Option<u64> {
        self.array(at).map(u64::from_le_bytes)
    }

    fn i32(self, at: usize) -> Option<i32> {
        self.array(at).map(i32::from_le_bytes)
    }

    fn i64(self, at: usize) -> Option<i64> {
        self.array(at).map(i64::from_le_bytes)
    }

    fn f32(self, at: usize) -> Option<f64> {
        self.array(at).map(f32::from_le_bytes).map(f64::from)
    }

    fn f64(self, at: usize) -> Option<f64> {
        self.array(at).map(f64::from_le_bytes)
    }
}

/// The prefix: details offset, details length, format version.
fn prefix(content: &[u8]) -> Option<(u64, usize, u8)> {
    let bytes = Bytes(content);
    Some((bytes.u64(0)?, usize::from(bytes.u16(8)?), bytes.u8(10)?))
}

/// Where the details block is, for versions before 13, if the prefix and the file agree on one.
fn clear_details_at(content: &[u8]) -> Option<(usize, u8)> {
    let (offset, length, version) = prefix(content)?;
    let offset = usize::try_from(offset).ok()?;
    if !(1..FIRST_ENCRYPTED_VERSION).contains(&version) {
        return None;
    }
    if version < DETAILS_AFTER_PREFIX {
        // The details block ends the file.
        let size = details_size(version);
        (offset >= 12 && length >= size && offset.checked_add(length) == Some(content.len()))
            .then_some((offset, version))
    } else {
        // The details follow the prefix and the records the 436-byte details. The app platform
        // byte must be one DJI uses.
        let platform = Bytes(content).u8(PREFIX + 376)?;
        (PREFIX + 436 <= content.len() && matches!(platform, 1 | 2 | 10 | 11))
            .then_some((PREFIX, version))
    }
}

fn details_size(version: u8) -> usize {
    if version <= 5 {
        OLD_DETAILS
    } else {
        NEW_DETAILS
    }
}

/// A record of a version before 12 cut short: a prefix whose details block (at a plausible
/// offset, of a plausible length) runs past the end of the file. Returns the block's offset
/// and length.
fn cut_details(content: &[u8]) -> Option<(u64, usize)> {
    let (offset, length, version) = prefix(content)?;
    ((1..DETAILS_AFTER_PREFIX).contains(&version)
        && (details_size(version)..=4096).contains(&length)
        && (12..=1 << 30).contains(&offset)
        && offset + length as u64 > content.len() as u64)
        .then_some((offset, length))
        // Container formats' magic numbers can pass for a prefix (a gzip with mtime 0).
        .filter(|_| !crate::analyze::firmware::FirmwareAnalyzer.identify(content))
}

/// CRC-64 with the Jones polynomial, reflected, as Redis and the `crc64` crate compute it
/// (no final XOR; the caller gives the initial value). dji-log-parser derives the XOR key of
/// the auxiliary block with it.
fn crc64_jones(initial: u64, data: &[u8]) -> u64 {
    const REFLECTED_POLYNOMIAL: u64 = 0x95ac_9329_ac4b_c9b5;
    const TABLE: [u64; 256] = {
        let mut table = [0u64; 256];
        let mut index = 0;
        while index < 256 {
            let mut value = index as u64;
            let mut bit = 0;
            while bit < 8 {
                value = if value & 1 == 1 {
                    (value >> 1) ^ REFLECTED_POLYNOMIAL
                } else {
                    value >> 1
                };
                bit += 1;
            }
            table[index] = value;
            index += 1;
        }
        table
    };
    data.iter().fold(initial, |crc, &byte| {
        TABLE[usize::from((crc as u8) ^ byte)] ^ (crc >> 8)
    })
}

/// The 8-byte XOR key of an obfuscated block whose first byte is `seed`, for a block of
/// `record_type` (0 for the auxiliary info block): dji-log-parser's `XorDecoder`.
fn xor_key(seed: u8, record_type: u8) -> [u8; 8] {
    const MAGIC: u64 = 0x1234_5678_9abc_def0;
    let product = MAGIC.wrapping_mul(u64::from(seed));
    crc64_jones(
        u64::from(seed.wrapping_add(record_type)),
        &product.to_le_bytes(),
    )
    .to_le_bytes()
}

/// `obfuscated` with the key of `seed` undone; the operation is its own inverse, so it masks
/// too (the project's sample generator writes records with it).
pub fn unmask(obfuscated: &[u8], seed: u8, record_type: u8) -> Vec<u8> {
    let key = xor_key(seed, record_type);
    obfuscated
        .iter()
        .zip(key.iter().cycle())
        .map(|(byte, key)| byte ^ key)
        .collect()
}

/// What the auxiliary blocks of a version 13+ record hold.
#[derive(Debug)]
struct Auxiliary {
    /// The details, unmasked.
    details: Vec<u8>,
    /// Where the (masked) details start in the file.
    details_offset: usize,
    /// The auxiliary info block's stated length.
    info_block_length: usize,
    signature_length: usize,
    /// The auxiliary version block: the log version and the app family, when present.
    log_version: Option<u16>,
    department: Option<u8>,
    /// Where the frame records start.
    records_offset: usize,
    /// The details length the prefix states (DJI's apps write the auxiliary block's).
    stated_details_length: usize,
}

/// Reads the auxiliary blocks of a version 13+ record; the error says what does not fit.
fn auxiliary(content: &[u8]) -> Result<Auxiliary, String> {
    let bytes = Bytes(content);
    let Some((stated_records, stated_details_length, _)) = prefix(content) else {
        return Err("the file is shorter than the 11 bytes of the prefix".to_owned());
    };
    match bytes.u8(PREFIX) {
        Some(AUXILIARY_INFO) => {}
        Some(other) => {
            return Err(format!(
                "byte {PREFIX} is {other}, not the auxiliary info block (0) that follows the prefix from version 13"
            ))
        }
        None => return Err(format!("the file ends before the auxiliary info block at byte {PREFIX}")),
    }
    let length = usize::from(bytes.u16(PREFIX + 1).unwrap_or_default());
    let body_at = PREFIX + 3;
    let Some(body) = bytes.at(body_at, length) else {
        return Err(format!(
            "the auxiliary info block ({length} bytes at byte {body_at}) runs past the end of the file ({} bytes)",
            content.len()
        ));
    };
    let Some((&seed, masked)) = body.split_first() else {
        return Err("the auxiliary info block is empty".to_owned());
    };
    let unmasked = unmask(masked, seed, 0);
    let plain = Bytes(&unmasked);
    let info_length = usize::from(plain.u16(1).unwrap_or_default());
    let (Some(details), Some(signature_length)) = (
        plain.at(3, info_length),
        plain.u16(3 + info_length).map(usize::from),
    ) else {
        return Err(format!(
            "the auxiliary info block ({length} bytes) is too short for the {info_length}-byte details it states"
        ));
    };
    if 5 + info_length + signature_length > masked.len() {
        return Err(format!(
            "the auxiliary info block ({length} bytes) is too short for its {info_length}-byte details and {signature_length}-byte signature"
        ));
    }
    let version_at = body_at + length;
    let (log_version, department, version_end) = match bytes.u8(version_at) {
        Some(AUXILIARY_VERSION) => {
            let version_length = usize::from(bytes.u16(version_at + 1).unwrap_or_default());
            let block = bytes.at(version_at + 3, version_length).map(Bytes);
            (
                block.and_then(|block| block.u16(0)),
                block.and_then(|block| block.u8(2)),
                version_at + 3 + version_length,
            )
        }
        _ => (None, None, version_at),
    };
    // dji-log-parser recovers a zero details offset as the end of the auxiliary blocks.
    let records_offset = match usize::try_from(stated_records) {
        Ok(0) => version_end,
        Ok(offset) => offset,
        Err(_) => usize::MAX,
    };
    if records_offset < version_at || records_offset > content.len() {
        return Err(format!(
            "the prefix places the frame records at byte {stated_records}, outside the file ({} bytes) or inside the auxiliary blocks (which end at byte {version_end})",
            content.len()
        ));
    }
    Ok(Auxiliary {
        details: details.to_vec(),
        details_offset: body_at + 4,
        info_block_length: length,
        signature_length,
        log_version,
        department,
        records_offset,
        stated_details_length,
    })
}

/// The app family the auxiliary version block names (dji-log-parser's `Department`).
fn department_name(department: u8) -> Option<&'static str> {
    Some(match department {
        1 => "sdk",
        2 => "dji-go",
        3 => "dji-fly",
        4 => "agricultural-machinery",
        5 => "dji-terra",
        6 => "dji-glasses",
        7 => "dji-pilot",
        8 => "gs-pro",
        _ => return None,
    })
}

/// A float rounded to `places` decimals, for readable evidence; none (null) when it is not a
/// number (a NaN or infinity in a damaged block).
fn rounded(value: f64, places: i32) -> Option<f64> {
    let scale = 10f64.powi(places);
    Some((value * scale).round() / scale).filter(|value| value.is_finite())
}

/// The details block, laid out as `version` lays it out. The caller checks that the block
/// holds [`details_size`] bytes; a field that does not fit reads as zero or empty.
fn details(block: &[u8], version: u8, at: usize, obfuscated: bool) -> Details {
    let bytes = Bytes(block);
    // Fixed offsets up to version 5; one field after another from 6 on.
    let (product, name, aircraft, camera, remote, battery, platform) = if version <= 5 {
        (277, (278, 24), 267, 318, 328, 338, 348)
    } else {
        (271, (280, 32), 312, 328, 344, 360, 376)
    };
    let serial_length = if version <= 5 { 10 } else { 16 };
    let text = |at: usize, length: usize| bytes.at(at, length).map(fixed_field).unwrap_or_default();
    let byte = |at: usize| bytes.u8(at).unwrap_or_default();
    let platform_name = match byte(platform) {
        1 => AppPlatform::Ios,
        2 => AppPlatform::Android,
        10 => AppPlatform::Windows,
        11 => AppPlatform::Mac,
        _ => AppPlatform::Unknown,
    };
    Details {
        location: Location {
            sub_street: text(0, 20),
            street: text(20, 20),
            city: text(40, 20),
            area: text(60, 20),
        },
        start_time_ms: bytes.i64(91).unwrap_or_default(),
        home: Home {
            latitude: rounded(bytes.f64(107).unwrap_or_default(), 7),
            longitude: rounded(bytes.f64(99).unwrap_or_default(), 7),
        },
        total_distance_m: rounded(bytes.f32(115).unwrap_or_default(), 1),
        flight_time_s: rounded(f64::from(bytes.i32(119).unwrap_or_default()) / 1000.0, 3),
        max_height_m: rounded(bytes.f32(123).unwrap_or_default(), 1),
        product_type: byte(product),
        aircraft_name: text(name.0, name.1),
        aircraft_serial: text(aircraft, serial_length),
        camera_serial: text(camera, serial_length),
        remote_serial: text(remote, serial_length),
        battery_serial: text(battery, serial_length),
        app_platform: platform_name,
        app_version: format!(
            "{}.{}.{}",
            byte(platform + 1),
            byte(platform + 2),
            byte(platform + 3)
        ),
        offset: at,
        obfuscated,
    }
}

/// The details and frame records of a record before version 13, whose details are in the
/// clear.
fn clear_record(content: &[u8], at: usize, version: u8) -> Result<DjiRecordEvidence, AnalyzeError> {
    let size = details_size(version);
    let Some(block) = Bytes(content).at(at, size) else {
        return Err(AnalyzeError::new(format!(
            "the details block ({size} bytes at byte {at}) runs past the end of the file"
        )));
    };
    let details = details(block, version, at, false);
    // The records lie between the prefix and the details (before 12) or after the 436 bytes
    // of the details (12). From version 7 they are XOR-obfuscated, record by record.
    let (records, records_end) = match version {
        0..=5 => (12, at),
        6..=11 => (PREFIX, at),
        _ => (PREFIX + 436, content.len()),
    };
    let frames = Frames {
        offset: records,
        bytes: records_end.saturating_sub(records),
        encrypted: false,
        decoded: false,
        reason: "the frame records (positions, battery, camera, firmware) are not decoded",
    };
    Ok(document(version, at, details, frames, None))
}

/// The details and frame records of a record of version 13 or later.
fn auxiliary_record(
    content: &[u8],
    version: u8,
    warnings: &mut Vec<String>,
) -> Result<DjiRecordEvidence, AnalyzeError> {
    let auxiliary = auxiliary(content).map_err(|reason| {
        AnalyzeError::new(format!(
            "a version {version} DJI flight record whose auxiliary block cannot be read: {reason}"
        ))
    })?;
    if auxiliary.details.len() < NEW_DETAILS {
        return Err(AnalyzeError::new(format!(
            "the details in the auxiliary block are {} bytes, fewer than the {NEW_DETAILS} a version {version} record holds",
            auxiliary.details.len()
        )));
    }
    if auxiliary.details.len() != auxiliary.stated_details_length {
        warnings.push(format!(
            "the prefix states {} bytes of details, the auxiliary block {}: the auxiliary block is read",
            auxiliary.stated_details_length,
            auxiliary.details.len()
        ));
    }
    let at = auxiliary.details_offset;
    let details = details(&auxiliary.details, version, at, true);
    let frames = Frames {
        offset: auxiliary.records_offset,
        bytes: content.len() - auxiliary.records_offset,
        encrypted: true,
        decoded: false,
        reason: "AES-256 encrypted with keys that only DJI's online keychain service hands out; drone-audit makes no network call",
    };
    let auxiliary_node = AuxiliaryBlock {
        offset: PREFIX,
        length: auxiliary.info_block_length,
        details_length: auxiliary.details.len(),
        signature_length: auxiliary.signature_length,
        log_version: auxiliary.log_version,
        department: auxiliary.department,
        app: auxiliary.department.and_then(department_name),
    };
    Ok(document(version, at, details, frames, Some(auxiliary_node)))
}

/// The evidence of a record.
fn document(
    version: u8,
    details_at: usize,
    details: Details,
    frames: Frames,
    auxiliary: Option<AuxiliaryBlock>,
) -> DjiRecordEvidence {
    let home_present = details
        .home
        .latitude
        .zip(details.home.longitude)
        .is_some_and(|(latitude, longitude)| latitude != 0.0 || longitude != 0.0);
    DjiRecordEvidence {
        format: "dji-flight-record",
        version,
        encrypted: version >= FIRST_ENCRYPTED_VERSION,
        details_offset: details_at,
        details,
        frames,
        positions: RecordPositions {
            present: home_present,
            position_records: u64::from(home_present),
            offset: home_present.then_some(details_at),
        },
        auxiliary,
    }
}

/// The evidence of a DJI flight record (`DJIFlightRecord_*.txt`): its details block (where,
/// when, which aircraft, which app) and what is known of its frame records.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DjiRecordEvidence {
    /// Always `dji-flight-record`.
    format: &'static str,
    /// The record's format version (its prefix's byte 10).
    version: u8,
    /// Version 13 or later: the frame records are AES-256 encrypted.
    encrypted: bool,
    /// Where the details block is.
    details_offset: usize,
    /// The details block.
    details: Details,
    /// The frame records (positions, battery, camera, firmware), not decoded.
    frames: Frames,
    /// Whether the record holds a position (a home point other than 0,0).
    positions: RecordPositions,
    /// The auxiliary block of a version 13 or later record.
    #[serde(skip_serializing_if = "Option::is_none")]
    auxiliary: Option<AuxiliaryBlock>,
}

/// A record's details block: the flight's place, time and size, the aircraft and the app.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Details {
    /// The place the app named (reverse geocoded).
    location: Location,
    /// When the flight started, milliseconds since 1970.
    start_time_ms: i64,
    /// The home point.
    home: Home,
    /// Distance flown, metres (one decimal).
    total_distance_m: Option<f64>,
    /// Time flown, seconds (three decimals).
    flight_time_s: Option<f64>,
    /// The greatest height, metres (one decimal).
    max_height_m: Option<f64>,
    /// DJI's product type code.
    product_type: u8,
    /// The aircraft's name as its owner set it.
    aircraft_name: String,
    /// The aircraft's serial number.
    aircraft_serial: String,
    /// The camera's serial number.
    camera_serial: String,
    /// The remote controller's serial number.
    remote_serial: String,
    /// The battery's serial number.
    battery_serial: String,
    /// The platform the app ran on.
    app_platform: AppPlatform,
    /// The app's version, `major.minor.patch`.
    app_version: String,
    /// The block's byte offset.
    offset: usize,
    /// The block was XOR-masked in the file (version 13 on).
    obfuscated: bool,
}

/// The platform of the app that wrote a record (its details' platform byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AppPlatform {
    /// iOS (byte 1).
    Ios,
    /// Android (byte 2).
    Android,
    /// Windows (byte 10).
    Windows,
    /// macOS (byte 11).
    Mac,
    /// Any other byte.
    Unknown,
}

/// The place a flight record names.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Location {
    /// The sub-street.
    sub_street: String,
    /// The street.
    street: String,
    /// The city.
    city: String,
    /// The area.
    area: String,
}

/// The home point, degrees (seven decimals); null when not a number.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Home {
    /// Degrees north.
    latitude: Option<f64>,
    /// Degrees east.
    longitude: Option<f64>,
}

/// What is known of a record's frame records.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Frames {
    /// Where they start.
    offset: usize,
    /// How many bytes they take.
    bytes: usize,
    /// They are encrypted (version 13 on).
    encrypted: bool,
    /// Whether they were decoded (never yet).
    decoded: bool,
    /// Why they were not decoded.
    reason: &'static str,
}

/// Whether a flight record holds a position.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RecordPositions {
    /// The home point is set.
    present: bool,
    /// 1 when it is, else 0.
    position_records: u64,
    /// The details block's offset, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<usize>,
}

/// The auxiliary block of a version 13 or later record.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AuxiliaryBlock {
    /// Where it starts.
    offset: usize,
    /// Its info block's length.
    length: usize,
    /// The length of the details it holds.
    details_length: usize,
    /// The length of its signature.
    signature_length: usize,
    /// The log version its version block states.
    #[serde(skip_serializing_if = "Option::is_none")]
    log_version: Option<u16>,
    /// The department (app family) code its version block states.
    #[serde(skip_serializing_if = "Option::is_none")]
    department: Option<u8>,
    /// The app family the department names (`dji-pilot`, `dji-fly`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    app: Option<&'static str>,
}

impl Analyzer for DjiRecordAnalyzer {
    fn kind(&self) -> ArtifactKind {
        ArtifactKind::DjiFlightRecord
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["txt"]
    }

    fn identify(&self, content: &[u8]) -> bool {
        match prefix(content) {
            Some((_, _, version))
                if (FIRST_ENCRYPTED_VERSION..=LAST_KNOWN_VERSION).contains(&version) =>
            {
                // The masked details length must be the one the prefix states in the clear:
                // other binaries do not pass for a record by chance.
                auxiliary(content).is_ok_and(|auxiliary| {
                    auxiliary.details.len() == auxiliary.stated_details_length
                })
            }
            _ => clear_details_at(content).is_some() || cut_details(content).is_some(),
        }
    }

    fn analyze_with_options(
        &self,
        content: &[u8],
        _: crate::analyze::AnalyzeOptions<'_>,
    ) -> Result<Evidence, AnalyzeError> {
        let Some((_, _, version)) = prefix(content) else {
            return Err(AnalyzeError::new(format!(
                "the record is cut short: {} bytes, fewer than the 11 of its prefix",
                content.len()
            )));
        };
        let mut warnings = Vec::new();
        let evidence = if version >= FIRST_ENCRYPTED_VERSION {
            if version > LAST_KNOWN_VERSION {
                return Err(AnalyzeError::new(format!(
                    "format version {version} is newer than the versions read (up to {LAST_KNOWN_VERSION})"
                )));
            }
            auxiliary_record(content, version, &mut warnings)?
        } else {
            match (clear_details_at(content), cut_details(content)) {
                (Some((at, version)), _) => clear_record(content, at, version)?,
                (None, Some((offset, length))) => {
                    return Err(AnalyzeError::new(format!(
                        "the record is cut short: its details block ({length} bytes at byte {offset}) runs past the end of the file ({} bytes)",
                        content.len()
                    )))
                }
                (None, None) => {
                    return Err(AnalyzeError::new(format!(
                        "not a readable DJI flight record of version {version}: its prefix names no details block inside the file"
                    )))
                }
            }
        };
        let document = serde_json::to_value(evidence)
            .map_err(|error| AnalyzeError::new(format!("cannot build the evidence: {error}")))?;
        Ok(Evidence {
            kind: ArtifactKind::DjiFlightRecord,
            document,
            lines: Default::default(),
            warnings,
            incomplete: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A details block (436 bytes) of a later version: Leeds, a home point, 92.941 s.
    fn new_details() -> Vec<u8> {
        let mut details = vec![0u8; 436];
        details[40..46].copy_from_slice(b"Leeds\0");
        details[107..115].copy_from_slice(&53.7358f64.to_le_bytes());
        details[99..107].copy_from_slice(&(-1.7665f64).to_le_bytes());
        details[119..123].copy_from_slice(&92_941i32.to_le_bytes());
        details[280..283].copy_from_slice(b"moo");
        details[312..326].copy_from_slice(b"1581F4XDB22C00");
        details[376] = 2;
        details[377..380].copy_from_slice(&[1, 9, 2]);
        details
    }

    fn record(version: u8) -> Vec<u8> {
        let records = vec![0x5a; 100];
        if version >= 13 {
            return auxiliary_file(version, &new_details(), 0x92, &records);
        }
        if version == 12 {
            // Prefix (100 bytes), details (380, padded to 436), then the records.
            let details = new_details();
            let offset = (100 + details.len()) as u64;
            let mut file = offset.to_le_bytes().to_vec();
            file.extend_from_slice(&(details.len() as u16).to_le_bytes());
            file.push(version);
            file.resize(100, 0);
            file.extend(details);
            file.extend(records);
            return file;
        }
        let mut details = vec![0u8; 400];
        details[40..46].copy_from_slice(b"Leeds\0");
        details[107..115].copy_from_slice(&53.7358f64.to_le_bytes());
        details[99..107].copy_from_slice(&(-1.7665f64).to_le_bytes());
        details[119..123].copy_from_slice(&92_941i32.to_le_bytes());
        details[267..277].copy_from_slice(b"03Z0265508");
        details[278..281].copy_from_slice(b"moo");
        details[348] = 2;
        details[349..352].copy_from_slice(&[2, 4, 3]);
        let offset = (12 + records.len()) as u64;
        let mut file = offset.to_le_bytes().to_vec();
        file.extend_from_slice(&(details.len() as u16).to_le_bytes());
        file.push(version);
        file.push(0);
        file.extend(records);
        file.extend(details);
        file
    }

    /// A version 13+ record as DJI's apps write it: prefix, auxiliary info block (seed byte,
    /// then the masked details and a 256-byte signature), auxiliary version block (DJI Pilot),
    /// frame records.
    fn auxiliary_file(version: u8, details: &[u8], seed: u8, records: &[u8]) -> Vec<u8> {
        let mut plain = vec![0u8];
        plain.extend_from_slice(&(details.len() as u16).to_le_bytes());
        plain.extend_from_slice(details);
        plain.extend_from_slice(&256u16.to_le_bytes());
        plain.extend_from_slice(&[0xaa; 256]);
        let mut body = vec![seed];
        body.extend(unmask(&plain, seed, 0));
        let records_offset = 100 + 3 + body.len() + 3 + 4;
        let mut file = (records_offset as u64).to_le_bytes().to_vec();
        file.extend_from_slice(&(details.len() as u16).to_le_bytes());
        file.push(version);
        file.resize(100, 0);
        file.push(AUXILIARY_INFO);
        file.extend_from_slice(&(body.len() as u16).to_le_bytes());
        file.extend(body);
        file.extend_from_slice(&[AUXILIARY_VERSION, 4, 0, 4, 0, 7, 0]);
        file.extend_from_slice(records);
        file
    }

    #[test]
    fn crc64_is_the_jones_variant() {
        // The check value of CRC-64/Jones (Redis) with initial value 0.
        assert_eq!(crc64_jones(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
        // The key of the corpus record of 2023-09-22 (seed 0x92): its runs of masked zeros.
        assert_eq!(
            xor_key(0x92, 0),
            [0x5e, 0xf0, 0xce, 0xa6, 0xe7, 0x24, 0x05, 0x2a]
        );
    }

    #[test]
    fn old_records_keep_their_details_in_the_clear() {
        let file = record(4);
        assert!(DjiRecordAnalyzer.identify(&file));
        let evidence = DjiRecordAnalyzer.analyze(&file).expect("analyzes");
        let details = &evidence.document["details"];
        assert_eq!(details["aircraft_serial"], "03Z0265508");
        assert_eq!(details["aircraft_name"], "moo");
        assert_eq!(details["location"]["city"], "Leeds");
        assert_eq!(details["flight_time_s"], 92.941);
        assert_eq!(details["app_version"], "2.4.3");
        assert_eq!(details["obfuscated"], false);
        assert_eq!(evidence.document["positions"]["present"], true);
        assert_eq!(evidence.document["encrypted"], false);
        assert_eq!(evidence.document["frames"]["offset"], 12);
        assert_eq!(evidence.document["frames"]["bytes"], 100);
    }

    #[test]
    fn version_12_keeps_its_details_in_the_clear_after_the_prefix() {
        let file = record(12);
        assert!(DjiRecordAnalyzer.identify(&file));
        let evidence = DjiRecordAnalyzer.analyze(&file).expect("analyzes");
        assert_eq!(evidence.document["details_offset"], 100);
        assert_eq!(
            evidence.document["details"]["aircraft_serial"],
            "1581F4XDB22C00"
        );
        assert_eq!(evidence.document["encrypted"], false);
        let mut no_platform = file.clone();
        no_platform[476] = 7;
        assert!(
            !DjiRecordAnalyzer.identify(&no_platform),
            "an unknown app platform"
        );
    }

    #[test]
    fn new_versions_unmask_their_details_and_report_their_frames_encrypted() {
        let file = record(14);
        assert!(DjiRecordAnalyzer.identify(&file));
        let evidence = DjiRecordAnalyzer.analyze(&file).expect("analyzes");
        let document = &evidence.document;
        assert_eq!(document["version"], 14);
        assert_eq!(document["encrypted"], true);
        assert_eq!(document["details_offset"], 107);
        assert_eq!(document["details"]["aircraft_serial"], "1581F4XDB22C00");
        assert_eq!(document["details"]["aircraft_name"], "moo");
        assert_eq!(document["details"]["app_version"], "1.9.2");
        assert_eq!(document["details"]["obfuscated"], true);
        assert_eq!(document["positions"]["present"], true);
        assert_eq!(document["auxiliary"]["app"], "dji-pilot");
        assert_eq!(document["auxiliary"]["log_version"], 4);
        let frames = &document["frames"];
        assert_eq!(
            (frames["encrypted"].clone(), frames["decoded"].clone()),
            (json!(true), json!(false))
        );
        assert_eq!(frames["bytes"], 100);
        assert_eq!(frames["offset"], file.len() - 100);
        // The details in the file are masked: the serial is not there in the clear.
        assert!(!file.windows(14).any(|window| window == b"1581F4XDB22C00"));
        assert!(!DjiRecordAnalyzer.identify(b"just some notes about a flight"));
        assert!(!DjiRecordAnalyzer.identify(&[0xff; 64]));
    }

    #[test]
    fn the_prefix_must_state_the_masked_details_length() {
        let mut file = record(14);
        file[8..10].copy_from_slice(&380u16.to_le_bytes());
        assert!(
            !DjiRecordAnalyzer.identify(&file),
            "another binary by chance"
        );
        let evidence = DjiRecordAnalyzer.analyze(&file).expect("analyzes");
        assert_eq!(
            evidence.warnings,
            ["the prefix states 380 bytes of details, the auxiliary block 436: the auxiliary block is read"]
        );
    }

    #[test]
    fn a_zero_details_offset_is_recovered_from_the_auxiliary_blocks() {
        let mut file = record(13);
        let records_at = u64::from_le_bytes(file[0..8].try_into().unwrap());
        file[0..8].copy_from_slice(&[0; 8]);
        let evidence = DjiRecordAnalyzer.analyze(&file).expect("analyzes");
        assert_eq!(evidence.document["frames"]["offset"], records_at);
    }

    #[test]
    fn damaged_auxiliary_blocks_are_errors_that_say_why() {
        let file = record(14);
        let error = |file: &[u8]| {
            DjiRecordAnalyzer
                .analyze(file)
                .expect_err("damaged")
                .message
        };
        // Cut inside the auxiliary info block.
        let cut = &file[..300];
        assert!(!DjiRecordAnalyzer.identify(cut));
        assert!(
            error(cut).contains("runs past the end of the file"),
            "{}",
            error(cut)
        );
        // A masked details length larger than its block.
        let mut bloated = file.clone();
        bloated[105] ^= 0xff;
        bloated[106] ^= 0xff;
        assert!(error(&bloated).contains("too short"), "{}", error(&bloated));
        // Records placed past the end of the file.
        let mut beyond = file.clone();
        beyond[0..8].copy_from_slice(&(1u64 << 40).to_le_bytes());
        assert!(
            error(&beyond).contains("outside the file"),
            "{}",
            error(&beyond)
        );
        // Not an auxiliary info block after the prefix.
        let mut other = file.clone();
        other[100] = 9;
        assert!(!DjiRecordAnalyzer.identify(&other));
        assert!(error(&other).contains("not the auxiliary info block"));
        // Too few details for the fields.
        let short = auxiliary_file(14, &[0; 100], 3, &[1; 10]);
        assert!(
            error(&short).contains("fewer than the 380"),
            "{}",
            error(&short)
        );
        assert!(error(&file[..5]).contains("cut short"));
    }

    #[test]
    fn noise_in_a_record_never_panics() {
        let file = record(14);
        let mut state: u64 = 11;
        for round in 0..2000 {
            let mut noisy = file.clone();
            for _ in 0..(1 + round % 8) {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let at = usize::try_from(state >> 33).unwrap_or(0) % noisy.len();
                noisy[at] = (state >> 17) as u8;
            }
            let cut = usize::try_from(state >> 40).unwrap_or(0) % (noisy.len() + 1);
            for content in [&noisy[..], &noisy[..cut]] {
                let _ = DjiRecordAnalyzer.identify(content);
                let _ = DjiRecordAnalyzer.analyze(content);
            }
        }
    }
}
