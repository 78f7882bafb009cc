//! DJI flight records (`DJIFlightRecord_*.txt`, written by DJI GO and DJI Pilot): the prefix
//! (details offset and length, format version) and, for the versions that keep it in the
//! clear, the details block: aircraft name and serial numbers, app, flight time and distance,
//! the home point. Records of version 13 and later are encrypted with keys DJI hands out
//! online; they are reported as encrypted and not read (this tool makes no network calls).
//! Documented in docs/evidence/dji-flight-record.md.
//!
//! Layout (little-endian), as dji-log-parser and mikeemoo's DJI log parser read it: the prefix
//! is `u64 details offset`, `u16 details length`, `u8 version`, and the details block runs to
//! the end of the file. The details field offsets below are those of the versions before 6
//! (the "old prefix" of 12 bytes); later layouts are not read yet and say so.

use crate::analyze::text::fixed_field;
use crate::analyze::{AnalyzeError, Analyzer, ArtifactKind, Evidence};
use serde_json::{json, Value};

pub struct DjiRecordAnalyzer;

/// The prefix: details offset (u64), details length (u16), version (u8).
const PREFIX: usize = 11;
/// Versions from this one on encrypt their records.
pub const FIRST_ENCRYPTED_VERSION: u8 = 13;
/// Versions before this one use the layout read here.
const FIRST_NEW_LAYOUT: u8 = 6;
/// The details block of the old layout is at least this long.
const OLD_DETAILS: usize = 352;

fn prefix(content: &[u8]) -> Option<(usize, usize, u8)> {
    let offset = u64::from_le_bytes(content.get(0..8)?.try_into().ok()?);
    let length = u16::from_le_bytes(content.get(8..10)?.try_into().ok()?);
    let version = *content.get(10)?;
    Some((usize::try_from(offset).ok()?, usize::from(length), version))
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

/// The details block of the old layout.
fn old_details(details: &[u8]) -> Value {
    let start_ms = i64::from_le_bytes(details[91..99].try_into().unwrap_or_default());
    let longitude = f64_at(details, 99);
    let latitude = f64_at(details, 107);
    let platform = match details[348] {
        1 => "ios",
        2 => "android",
        _ => "unknown",
    };
    json!({
        "location": {
            "sub_street": fixed_field(&details[0..20]),
            "street": fixed_field(&details[20..40]),
            "city": fixed_field(&details[40..60]),
            "area": fixed_field(&details[60..80]),
        },
        "start_time_ms": start_ms,
        "home": {"latitude": rounded(latitude, 7), "longitude": rounded(longitude, 7)},
        "total_distance_m": rounded(f32_at(details, 115), 1),
        "flight_time_s": rounded(f64::from(i32::from_le_bytes(details[119..123].try_into().unwrap_or_default())) / 1000.0, 3),
        "max_height_m": rounded(f32_at(details, 123), 1),
        "aircraft_serial": fixed_field(&details[267..277]),
        "product_type": details[277],
        "aircraft_name": fixed_field(&details[278..310]),
        "camera_serial": fixed_field(&details[318..328]),
        "remote_serial": fixed_field(&details[328..338]),
        "battery_serial": fixed_field(&details[338..348]),
        "app_platform": platform,
        "app_version": format!("{}.{}.{}", details[349], details[350], details[351]),
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
        // The details block ends the file: offset + length is the file's size.
        prefix(content).is_some_and(|(offset, length, version)| {
            (1..=20).contains(&version)
                && offset >= 12
                && length > 0
                && offset.checked_add(length) == Some(content.len())
        })
    }

    fn analyze(&self, content: &[u8]) -> Result<Evidence, AnalyzeError> {
        let Some((offset, length, version)) = prefix(content) else {
            return Err(AnalyzeError::new(
                "shorter than a DJI flight record's prefix",
            ));
        };
        let Some(details) = content.get(offset..offset.saturating_add(length)) else {
            return Err(AnalyzeError::new(format!(
                "the details block ({length} bytes at byte {offset}) is past the end of the file ({} bytes)",
                content.len()
            )));
        };
        let encrypted = version >= FIRST_ENCRYPTED_VERSION;
        let mut warnings = Vec::new();
        let details_value = if version < FIRST_NEW_LAYOUT && details.len() >= OLD_DETAILS {
            let mut value = old_details(details);
            value["offset"] = json!(offset);
            value
        } else {
            warnings.push(format!(
                "version {version}: the details layout of this version is not read yet; only the prefix is"
            ));
            Value::Null
        };
        let home_present = details_value["home"]["latitude"]
            .as_f64()
            .zip(details_value["home"]["longitude"].as_f64())
            .is_some_and(|(latitude, longitude)| latitude != 0.0 || longitude != 0.0);
        // Unread details say nothing about positions: the rules about them are then not
        // assessed rather than passed.
        let positions = (!details_value.is_null()).then(|| {
            let mut positions = json!({
                "present": home_present,
                "position_records": u64::from(home_present),
            });
            if home_present {
                positions["offset"] = json!(offset);
            }
            positions
        });
        let document = json!({
            "format": "dji-flight-record",
            "version": version,
            "encrypted": encrypted,
            "records_bytes": offset.saturating_sub(PREFIX + 1),
            "details_offset": offset,
            "details": details_value,
            "positions": positions,
        });
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

    fn record(version: u8) -> Vec<u8> {
        let records = vec![0x5a; 100];
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
    fn new_versions_are_encrypted_and_noise_is_not_a_record() {
        let file = record(13);
        let evidence = DjiRecordAnalyzer.analyze(&file).expect("analyzes");
        assert_eq!(evidence.document["encrypted"], true);
        assert!(evidence.document["details"].is_null());
        assert!(!DjiRecordAnalyzer.identify(b"just some notes about a flight"));
        assert!(!DjiRecordAnalyzer.identify(&[0xff; 64]));
    }
}
