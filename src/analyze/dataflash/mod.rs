//! ArduPilot DataFlash binary logs (`.bin`): what a vehicle actually flew with. The log is
//! self-describing: each record starts `A3 95 TYPE`, and FMT records (type 128) give every
//! other type's name, length and field layout. From them the evidence keeps the parameters
//! as they were when the log was written (PARM: the same shape as a parameter file's, so the
//! ArduPilot parameter rules read both), the firmware that flew (MSG and VER), the text
//! messages, and whether GPS positions are stored (GPS, POS). Records are located by byte
//! offset. Documented in docs/evidence/dataflash-log.md.
//!
//! Damage: bytes that are not a record are skipped to the next `A3 95` and counted; a record
//! cut off by the end of the file, or more than half the file unreadable, makes the result
//! partial. At most [`MAX_MESSAGES`] text messages are kept.

use crate::analyze::parameters::{Parameter, ParameterSet};
use crate::analyze::{AnalyzeError, Analyzer, ArtifactKind, Evidence};
use serde_json::{json, Number, Value};
use std::collections::BTreeMap;

pub struct DataflashAnalyzer;

const HEADER: [u8; 2] = [0xa3, 0x95];
const FMT_TYPE: u8 = 128;
/// An FMT record: header, type, length, name[4], format[16], columns[64].
const FMT_LENGTH: usize = 89;
/// Text messages kept in the evidence.
pub const MAX_MESSAGES: usize = 200;

/// One record type, from its FMT record.
#[derive(Debug, Clone)]
struct RecordFormat {
    name: String,
    length: usize,
    /// Each field's name, format character and offset in the record (after the header).
    fields: Vec<(String, u8, usize)>,
}

/// The size of a DataFlash field by its format character, or None for an unknown one.
fn field_size(format: u8) -> Option<usize> {
    Some(match format {
        b'b' | b'B' | b'M' => 1,
        b'h' | b'H' | b'c' | b'C' => 2,
        b'i' | b'I' | b'f' | b'n' | b'e' | b'E' | b'L' => 4,
        b'd' | b'q' | b'Q' => 8,
        b'N' => 16,
        b'Z' | b'a' => 64,
        _ => return None,
    })
}

fn text(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).trim().to_owned()
}

impl RecordFormat {
    fn parse(record: &[u8]) -> Option<(u8, RecordFormat)> {
        let kind = record[3];
        let length = usize::from(record[4]);
        let name = text(&record[5..9]);
        let format = text(&record[9..25]);
        let columns = text(&record[25..89]);
        let names: Vec<&str> = columns.split(',').collect();
        if names.len() != format.len() || name.is_empty() {
            return None;
        }
        let mut fields = Vec::with_capacity(names.len());
        let mut offset = 3;
        for (character, field) in format.bytes().zip(names) {
            fields.push((field.to_owned(), character, offset));
            offset += field_size(character)?;
        }
        (offset == length).then_some((
            kind,
            RecordFormat {
                name,
                length,
                fields,
            },
        ))
    }

    fn field<'a>(&self, record: &'a [u8], name: &str) -> Option<(u8, &'a [u8])> {
        let (_, character, offset) = self.fields.iter().find(|(field, _, _)| field == name)?;
        let size = field_size(*character)?;
        Some((*character, record.get(*offset..offset + size)?))
    }

    fn number(&self, record: &[u8], name: &str) -> Option<f64> {
        let (character, bytes) = self.field(record, name)?;
        let array = |count: usize| -> [u8; 8] {
            let mut buffer = [0u8; 8];
            buffer[..count].copy_from_slice(&bytes[..count]);
            buffer
        };
        Some(match character {
            b'b' => f64::from(bytes[0] as i8),
            b'B' | b'M' => f64::from(bytes[0]),
            b'h' | b'c' => f64::from(i16::from_le_bytes([bytes[0], bytes[1]])),
            b'H' | b'C' => f64::from(u16::from_le_bytes([bytes[0], bytes[1]])),
            b'i' | b'e' | b'L' => f64::from(i32::from_le_bytes(bytes.try_into().ok()?)),
            b'I' | b'E' => f64::from(u32::from_le_bytes(bytes.try_into().ok()?)),
            b'f' => f64::from(f32::from_le_bytes(bytes.try_into().ok()?)),
            b'd' => f64::from_le_bytes(array(8)),
            b'q' => i64::from_le_bytes(array(8)) as f64,
            b'Q' => u64::from_le_bytes(array(8)) as f64,
            _ => return None,
        })
    }

    fn string(&self, record: &[u8], name: &str) -> Option<String> {
        let (character, bytes) = self.field(record, name)?;
        matches!(character, b'n' | b'N' | b'Z').then(|| text(bytes))
    }
}

/// A parameter value as JSON: an integer when the float holds one exactly.
fn parameter_value(value: f64) -> Option<Number> {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        Some(Number::from(value as i64))
    } else {
        Number::from_f64(value)
    }
}

/// The firmware a MSG text announces: `ArduPlane V3.8.2-dev (8178ab40)`.
fn firmware_of(message: &str) -> Option<Value> {
    let vehicles = [
        "ArduPlane",
        "ArduCopter",
        "ArduRover",
        "ArduSub",
        "Blimp",
        "AntennaTracker",
        "ArduHeli",
        "APM:Plane",
        "APM:Copter",
        "APM:Rover",
    ];
    let (vehicle, rest) = message.split_once(' ')?;
    if !vehicles.contains(&vehicle) {
        return None;
    }
    let version = rest.strip_prefix('V')?.split(' ').next()?;
    let git_hash = rest
        .split_once('(')
        .and_then(|(_, hash)| hash.split(')').next())
        .filter(|hash| hash.bytes().all(|byte| byte.is_ascii_hexdigit()));
    Some(json!({
        "vehicle": vehicle,
        "version": version,
        "git_hash": git_hash,
        "text": message,
    }))
}

impl Analyzer for DataflashAnalyzer {
    fn kind(&self) -> ArtifactKind {
        ArtifactKind::DataflashLog
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["bin"]
    }

    fn identify(&self, content: &[u8]) -> bool {
        // Logs open with the FMT record describing FMT itself.
        content.len() >= FMT_LENGTH
            && content[..3] == [0xa3, 0x95, FMT_TYPE]
            && content[3] == FMT_TYPE
            && usize::from(content[4]) == FMT_LENGTH
    }

    fn analyze(&self, content: &[u8]) -> Result<Evidence, AnalyzeError> {
        if !self.identify(content) {
            return Err(AnalyzeError::new(
                "not an ArduPilot DataFlash log: it does not open with the FMT record of FMT",
            ));
        }
        let mut formats: Vec<Option<RecordFormat>> = vec![None; 256];
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        let mut parameters: BTreeMap<String, Parameter> = BTreeMap::new();
        let mut messages: Vec<Value> = Vec::new();
        let mut firmware: Option<Value> = None;
        let mut gps = (0u64, 0u64, None::<u64>); // records, with a position, first offset
        let mut skipped = 0usize;
        let mut records = 0u64;
        let mut incomplete = None;
        let mut offset = 0usize;
        while offset + 3 <= content.len() {
            if content[offset..offset + 2] != HEADER {
                let next = content[offset + 1..]
                    .windows(2)
                    .position(|window| window == HEADER)
                    .map_or(content.len(), |position| offset + 1 + position);
                skipped += next - offset;
                offset = next;
                continue;
            }
            let kind = content[offset + 2];
            let length = if kind == FMT_TYPE {
                FMT_LENGTH
            } else if let Some(format) = &formats[usize::from(kind)] {
                format.length
            } else {
                // A type no FMT described: not a record boundary after all.
                skipped += 1;
                offset += 1;
                continue;
            };
            let Some(record) = content.get(offset..offset + length) else {
                incomplete = Some(format!(
                    "the log ends in the middle of a record at byte {offset}: the rest was not read"
                ));
                break;
            };
            records += 1;
            if kind == FMT_TYPE {
                if let Some((described, format)) = RecordFormat::parse(record) {
                    formats[usize::from(described)] = Some(format);
                }
            } else if let Some(format) = &formats[usize::from(kind)] {
                *counts.entry(format.name.clone()).or_default() += 1;
                match format.name.as_str() {
                    "PARM" => {
                        if let (Some(name), Some(value)) = (
                            format.string(record, "Name"),
                            format.number(record, "Value"),
                        ) {
                            if let Some(value) = parameter_value(value) {
                                parameters.insert(
                                    name.clone(),
                                    Parameter {
                                        name,
                                        value,
                                        line: 0,
                                        offset: Some(offset as u64),
                                        r#type: None,
                                        component_id: None,
                                    },
                                );
                            }
                        }
                    }
                    "MSG" => {
                        if let Some(message) = format.string(record, "Message") {
                            if firmware.is_none() {
                                firmware = firmware_of(&message).map(|mut found| {
                                    found["offset"] = json!(offset);
                                    found
                                });
                            }
                            if messages.len() < MAX_MESSAGES {
                                messages.push(json!({"text": message, "offset": offset}));
                            }
                        }
                    }
                    "VER" => {
                        if let Some(text) = format.string(record, "FWS") {
                            if let Some(found) = firmware_of(&text) {
                                let mut found = found;
                                found["offset"] = json!(offset);
                                firmware = Some(found);
                            }
                        }
                    }
                    "GPS" => {
                        gps.0 += 1;
                        let positioned = format
                            .number(record, "Lat")
                            .is_some_and(|latitude| latitude != 0.0);
                        if positioned {
                            gps.1 += 1;
                            gps.2.get_or_insert(offset as u64);
                        }
                    }
                    _ => {}
                }
            }
            offset += length;
        }
        if records == 0 || skipped > content.len() / 2 {
            return Err(AnalyzeError::new(format!(
                "{skipped} of {} bytes are not DataFlash records",
                content.len()
            )));
        }
        let mut warnings = Vec::new();
        if skipped > 0 {
            warnings.push(format!(
                "{skipped} bytes between records were not DataFlash records and were skipped"
            ));
        }
        let mut set = ParameterSet::default();
        for parameter in parameters.into_values() {
            set.insert(parameter);
        }
        let mut positions = json!({
            "present": gps.1 > 0,
            "gps_records": gps.0,
            "position_records": gps.1,
        });
        if let Some(first) = gps.2 {
            positions["offset"] = json!(first);
        }
        let document = json!({
            "autopilot": "ardupilot",
            "format": "dataflash",
            "records": records,
            "record_counts": counts,
            "firmware": firmware,
            "messages": messages,
            "positions": positions,
            "parameter_count": set.len(),
            "parameters": set.to_json(),
            "endpoints": set.endpoints(),
        });
        Ok(Evidence {
            kind: ArtifactKind::DataflashLog,
            document,
            lines: Default::default(),
            warnings,
            incomplete,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A FMT record describing `kind`.
    fn fmt(kind: u8, name: &str, format: &str, columns: &str) -> Vec<u8> {
        let length: usize = 3 + format
            .bytes()
            .map(|c| field_size(c).expect("known"))
            .sum::<usize>();
        let mut record = vec![0xa3, 0x95, FMT_TYPE, kind, length as u8];
        let mut pad = |text: &str, size: usize| {
            let mut bytes = text.as_bytes().to_vec();
            bytes.resize(size, 0);
            record.extend_from_slice(&bytes);
        };
        pad(name, 4);
        pad(format, 16);
        pad(columns, 64);
        record
    }

    fn log() -> Vec<u8> {
        let mut log = fmt(FMT_TYPE, "FMT", "BBnNZ", "Type,Length,Name,Format,Columns");
        log.extend(fmt(64, "PARM", "QNf", "TimeUS,Name,Value"));
        log.extend(fmt(65, "MSG", "QZ", "TimeUS,Message"));
        let parm = |name: &str, value: f32| {
            let mut record = vec![0xa3, 0x95, 64];
            record.extend_from_slice(&1u64.to_le_bytes());
            let mut bytes = name.as_bytes().to_vec();
            bytes.resize(16, 0);
            record.extend_from_slice(&bytes);
            record.extend_from_slice(&value.to_le_bytes());
            record
        };
        log.extend(parm("SYSID_ENFORCE", 0.0));
        log.extend(parm("SERIAL1_PROTOCOL", 2.0));
        let mut message = vec![0xa3, 0x95, 65];
        message.extend_from_slice(&2u64.to_le_bytes());
        let mut text = b"ArduCopter V4.5.7 (2a3dc4b7)".to_vec();
        text.resize(64, 0);
        message.extend_from_slice(&text);
        log.extend(message);
        log
    }

    #[test]
    fn parameters_firmware_and_messages_are_read() {
        let content = log();
        assert!(DataflashAnalyzer.identify(&content));
        let evidence = DataflashAnalyzer.analyze(&content).expect("analyzes");
        let document = &evidence.document;
        assert_eq!(document["parameters"]["SYSID_ENFORCE"]["value"], 0);
        assert!(document["parameters"]["SYSID_ENFORCE"]["offset"].is_u64());
        assert!(document["parameters"]["SYSID_ENFORCE"]
            .get("line")
            .is_none());
        assert_eq!(document["firmware"]["vehicle"], "ArduCopter");
        assert_eq!(document["firmware"]["version"], "4.5.7");
        assert_eq!(document["firmware"]["git_hash"], "2a3dc4b7");
        assert_eq!(document["positions"]["present"], false);
        assert_eq!(evidence.incomplete, None);
    }

    #[test]
    fn a_cut_log_is_partial_and_noise_is_an_error() {
        let content = log();
        let evidence = DataflashAnalyzer
            .analyze(&content[..content.len() - 10])
            .expect("analyzes what is there");
        assert!(evidence
            .incomplete
            .is_some_and(|reason| reason.contains("middle of a record")));
        let mut noisy = content[..FMT_LENGTH].to_vec();
        noisy.extend(std::iter::repeat_n(0x5a, 10_000));
        assert!(DataflashAnalyzer.analyze(&noisy).is_err());
        assert!(!DataflashAnalyzer.identify(b"\xa3\x95\x80"));
    }
}
