//! DJI flight records (`DJIFlightRecord_*.txt`, written by DJI GO, DJI Fly and DJI Pilot):
//! the prefix (details offset, format version) and the details block, which every version
//! keeps in the clear: location text, start time, home point, flight time and distance, the
//! aircraft's name and serial numbers, the app. The frame records are not decoded; those of
//! version 13 and later are encrypted with keys DJI hands out online, and are reported as
//! encrypted (this tool makes no network calls). Documented in
//! docs/evidence/dji-flight-record.md.
//!
//! Layout (little-endian), as lvauvillier's dji-log-parser reads it (`layout/prefix.rs`,
//! `layout/info.rs`): the prefix is `u64 details offset`, `u16 details length`, `u8 version`
//! (100 bytes from version 6 on, 12 before). The details ("info") block is at the details
//! offset before version 12 (it ends the file), and right after the 100-byte prefix from 12 on.
//! Versions up to 5 place the serials and the aircraft name at fixed offsets; later ones lay
//! the fields out one after another, with 16-byte serials and a 32-byte name.

use crate::analyze::text::fixed_field;
use crate::analyze::{AnalyzeError, Analyzer, ArtifactKind, Evidence};
use serde_json::{json, Value};

pub struct DjiRecordAnalyzer;

/// Versions from this one on encrypt their frame records.
pub const FIRST_ENCRYPTED_VERSION: u8 = 13;
/// From this version on the details follow the 100-byte prefix.
const DETAILS_AFTER_PREFIX: u8 = 12;
/// The prefix from version 6 on.
const PREFIX: usize = 100;
/// The details block: 352 bytes up to version 5, 380 after.
const OLD_DETAILS: usize = 352;
const NEW_DETAILS: usize = 380;

fn prefix(content: &[u8]) -> Option<(usize, usize, u8)> {
    let offset = u64::from_le_bytes(content.get(0..8)?.try_into().ok()?);
    let length = u16::from_le_bytes(content.get(8..10)?.try_into().ok()?);
    let version = *content.get(10)?;
    Some((usize::try_from(offset).ok()?, usize::from(length), version))
}

/// Where the details block is, if the prefix and the file agree on one.
fn details_at(content: &[u8]) -> Option<(usize, u8)> {
    let (offset, length, version) = prefix(content)?;
    if !(1..=20).contains(&version) {
        return None;
    }
    if version < DETAILS_AFTER_PREFIX {
        // The details block ends the file.
        let size = if version <= 5 {
            OLD_DETAILS
        } else {
            NEW_DETAILS
        };
        (offset >= 12 && length >= size && offset.checked_add(length) == Some(content.len()))
            .then_some((offset, version))
    } else {
        // The details follow the prefix; the records start at the details offset (13+) or
        // after the 436-byte details (12). The app platform byte must be one DJI uses.
        let records = if version == DETAILS_AFTER_PREFIX {
            PREFIX + 436
        } else {
            offset
        };
        let platform = *content.get(PREFIX + 376)?;
        (records >= PREFIX + NEW_DETAILS
            && records <= content.len()
            && matches!(platform, 1 | 2 | 10 | 11))
        .then_some((PREFIX, version))
    }
}

/// A record of a version before 12 cut short: a prefix whose details block (at a plausible
/// offset, of a plausible length) runs past the end of the file. Returns the block's offset
/// and length.
fn cut_details(content: &[u8]) -> Option<(usize, usize)> {
    let (offset, length, version) = prefix(content)?;
    let size = if version <= 5 {
        OLD_DETAILS
    } else {
        NEW_DETAILS
    };
    ((1..DETAILS_AFTER_PREFIX).contains(&version)
        && (size..=4096).contains(&length)
        && (12..=1 << 30).contains(&offset)
        && offset + length > content.len())
    .then_some((offset, length))
    // Container formats' magic numbers can pass for a prefix (a gzip with mtime 0).
    .filter(|_| !crate::analyze::firmware::FirmwareAnalyzer.identify(content))
}

fn f64_at(bytes: &[u8], at: usize) -> f64 {
    f64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or_default())
}

fn f32_at(bytes: &[u8], at: usize) -> f64 {
    f64::from(f32::from_le_bytes(
        bytes[at..at + 4].try_into().unwrap_or_default(),
    ))
}

/// A float rounded to `places` decimals, for readable evidence.
fn rounded(value: f64, places: i32) -> Value {
    let scale = 10f64.powi(places);
    json!((value * scale).round() / scale)
}

/// The details block, laid out as `version` lays it out.
fn details(block: &[u8], version: u8) -> Value {
    // Fixed offsets up to version 5; one field after another from 6 on.
    let (product, name, aircraft, camera, remote, battery, platform) = if version <= 5 {
        (277, 278..302, 267..277, 318..328, 328..338, 338..348, 348)
    } else {
        (271, 280..312, 312..328, 328..344, 344..360, 360..376, 376)
    };
    let start_ms = i64::from_le_bytes(block[91..99].try_into().unwrap_or_default());
    let platform_name = match block[platform] {
        1 => "ios",
        2 => "android",
        10 => "windows",
        11 => "mac",
        _ => "unknown",
    };
    json!({
        "location": {
            "sub_street": fixed_field(&block[0..20]),
            "street": fixed_field(&block[20..40]),
            "city": fixed_field(&block[40..60]),
            "area": fixed_field(&block[60..80]),
        },
        "start_time_ms": start_ms,
        "home": {"latitude": rounded(f64_at(block, 107), 7), "longitude": rounded(f64_at(block, 99), 7)},
        "total_distance_m": rounded(f32_at(block, 115), 1),
        "flight_time_s": rounded(f64::from(i32::from_le_bytes(block[119..123].try_into().unwrap_or_default())) / 1000.0, 3),
        "max_height_m": rounded(f32_at(block, 123), 1),
        "product_type": block[product],
        "aircraft_name": fixed_field(&block[name]),
        "aircraft_serial": fixed_field(&block[aircraft]),
        "camera_serial": fixed_field(&block[camera]),
        "remote_serial": fixed_field(&block[remote]),
        "battery_serial": fixed_field(&block[battery]),
        "app_platform": platform_name,
        "app_version": format!("{}.{}.{}", block[platform + 1], block[platform + 2], block[platform + 3]),
    })
}

impl Analyzer for DjiRecordAnalyzer {
    fn kind(&self) -> ArtifactKind {
        ArtifactKind::DjiFlightRecord
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["txt"]
    }

    fn identify(&self, content: &[u8]) -> bool {
        details_at(content).is_some() || cut_details(content).is_some()
    }

    fn analyze(&self, content: &[u8]) -> Result<Evidence, AnalyzeError> {
        if let (None, Some((offset, length))) = (details_at(content), cut_details(content)) {
            return Err(AnalyzeError::new(format!(
                "the record is cut short: its details block ({length} bytes at byte {offset}) runs past the end of the file ({} bytes)",
                content.len()
            )));
        }
        let Some((at, version)) = details_at(content) else {
            return Err(AnalyzeError::new(
                "not a DJI flight record: its prefix names no details block inside the file",
            ));
        };
        let size = if version <= 5 {
            OLD_DETAILS
        } else {
            NEW_DETAILS
        };
        let Some(block) = content.get(at..at + size) else {
            return Err(AnalyzeError::new(format!(
                "the details block ({size} bytes at byte {at}) runs past the end of the file"
            )));
        };
        let mut details_value = details(block, version);
        details_value["offset"] = json!(at);
        let home_present = details_value["home"]["latitude"]
            .as_f64()
            .zip(details_value["home"]["longitude"].as_f64())
            .is_some_and(|(latitude, longitude)| latitude != 0.0 || longitude != 0.0);
        let mut positions = json!({
            "present": home_present,
            "position_records": u64::from(home_present),
        });
        if home_present {
            positions["offset"] = json!(at);
        }
        let document = json!({
            "format": "dji-flight-record",
            "version": version,
            "encrypted": version >= FIRST_ENCRYPTED_VERSION,
            "details_offset": at,
            "details": details_value,
            "positions": positions,
        });
        Ok(Evidence {
            kind: ArtifactKind::DjiFlightRecord,
            document,
            lines: Default::default(),
            warnings: Vec::new(),
            incomplete: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(version: u8) -> Vec<u8> {
        let records = vec![0x5a; 100];
        if version >= 12 {
            // Prefix (100 bytes), details (380, padded to 436), then the records.
            let mut details = vec![0u8; 436];
            details[40..46].copy_from_slice(b"Leeds\0");
            details[107..115].copy_from_slice(&53.7358f64.to_le_bytes());
            details[99..107].copy_from_slice(&(-1.7665f64).to_le_bytes());
            details[119..123].copy_from_slice(&92_941i32.to_le_bytes());
            details[280..283].copy_from_slice(b"moo");
            details[312..326].copy_from_slice(b"1581F4XDB22C00");
            details[376] = 2;
            details[377..380].copy_from_slice(&[1, 9, 2]);
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
        assert_eq!(evidence.document["positions"]["present"], true);
        assert_eq!(evidence.document["encrypted"], false);
    }

    #[test]
    fn new_versions_keep_details_after_the_prefix_and_encrypt_their_records() {
        let file = record(13);
        assert!(DjiRecordAnalyzer.identify(&file));
        let evidence = DjiRecordAnalyzer.analyze(&file).expect("analyzes");
        let document = &evidence.document;
        assert_eq!(document["encrypted"], true);
        assert_eq!(document["details_offset"], 100);
        assert_eq!(document["details"]["aircraft_serial"], "1581F4XDB22C00");
        assert_eq!(document["details"]["aircraft_name"], "moo");
        assert_eq!(document["details"]["app_version"], "1.9.2");
        assert_eq!(document["positions"]["present"], true);
        assert!(!DjiRecordAnalyzer.identify(b"just some notes about a flight"));
        assert!(!DjiRecordAnalyzer.identify(&[0xff; 64]));
        let mut no_platform = file.clone();
        no_platform[476] = 7;
        assert!(
            !DjiRecordAnalyzer.identify(&no_platform),
            "an unknown app platform"
        );
    }
}
