//! ArduPilot DataFlash logs (`.bin`, and their text form `.log`): what a vehicle actually
//! flew with. The log is
//! self-describing: each record starts `A3 95 TYPE`, and FMT records (type 128) give every
//! other type's name, length and field layout. From them the evidence keeps the parameters
//! as they were when the log was written (PARM: the same shape as a parameter file's, so the
//! ArduPilot parameter rules read both), the firmware that flew (MSG and VER), the text
//! messages, and whether GPS positions are stored (GPS, POS). Records are located by byte
//! offset. Documented in docs/evidence/dataflash-log.md.
//!
//! Damage: bytes that are not a record are passed over to the next `A3 95`, counted, and make
//! the result partial, as a record cut off by the end of the file does; more than half the
//! file unreadable is an error. At most [`MAX_MESSAGES`] text messages are kept.

use crate::analyze::log_evidence::{
    Board, ParameterNodes, RecordPlace, StatedFirmware, StatusText,
};
use crate::analyze::parameters::{self, Parameter, ParameterScope, ParameterSet, Place};
use crate::analyze::text::fixed_field;
use crate::analyze::{AnalyzeError, AnalyzeOptions, Analyzer, ArtifactKind, Evidence};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
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

impl RecordFormat {
    fn parse(record: &[u8]) -> Option<(u8, RecordFormat)> {
        let kind = record[3];
        let length = usize::from(record[4]);
        let name = fixed_field(&record[5..9]);
        let format = fixed_field(&record[9..25]);
        let columns = fixed_field(&record[25..89]);
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
        matches!(character, b'n' | b'N' | b'Z').then(|| fixed_field(bytes))
    }
}

/// The firmware a MSG text announces: `ArduPlane V3.8.2-dev (8178ab40)`.
pub(crate) fn firmware_of(message: &str, place: RecordPlace) -> Option<StatedFirmware> {
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
    Some(StatedFirmware {
        vehicle: vehicle.to_owned(),
        version: version.to_owned(),
        git_hash: git_hash.map(str::to_owned),
        text: message.to_owned(),
        place,
        reported_version: None,
    })
}

/// The board an ArduPilot MSG text names with its unique id, as the firmware announces it at
/// boot: `PX4v4 00360029 30365103 31323731`, `CubeOrange 003A0024 3038510B 34313430` (the
/// board's name, then its MCU's 96-bit UID in three 32-bit words). The UID tells one vehicle's
/// logs from another's.
pub(crate) fn board_of(message: &str) -> Option<Board> {
    let words: Vec<&str> = message.split_ascii_whitespace().collect();
    let [name @ .., first, second, third] = words.as_slice() else {
        return None;
    };
    let is_word =
        |word: &&str| word.len() == 8 && word.bytes().all(|byte| byte.is_ascii_hexdigit());
    if name.is_empty() || ![first, second, third].into_iter().all(is_word) {
        return None;
    }
    Some(Board {
        name: name.join(" "),
        uid: format!("{first} {second} {third}").to_ascii_uppercase(),
    })
}

/// What the records of a log say, whichever form it is in.
#[derive(Default)]
struct LogFacts {
    records: u64,
    counts: BTreeMap<String, u64>,
    parameters: BTreeMap<String, Parameter>,
    messages: Vec<StatusText>,
    firmware: Option<StatedFirmware>,
    /// The first board named with its unique id ([`board_of`]).
    board: Option<Board>,
    /// Records that can hold a position (a `Lat` field): GPS, GPS2, POS, AHR2…
    gps_records: u64,
    position_records: u64,
    first_position: Option<Place>,
}

impl LogFacts {
    fn record(&mut self, name: &str) {
        self.records += 1;
        // Only a record type's first record allocates its name.
        if let Some(count) = self.counts.get_mut(name) {
            *count += 1;
        } else {
            self.counts.insert(name.to_owned(), 1);
        }
    }

    fn parameter(&mut self, name: String, value: f64, place: Place) {
        let Some(value) = parameters::number_from_float(value) else {
            return;
        };
        self.parameters.insert(
            name.clone(),
            Parameter {
                name,
                value,
                place,
                r#type: None,
                component_id: None,
            },
        );
    }

    /// A MSG text; the first that names a vehicle and version is the firmware.
    fn message(&mut self, text: String, place: Place) {
        if self.firmware.is_none() {
            self.firmware = firmware_of(&text, place.into());
        }
        if self.board.is_none() {
            self.board = board_of(&text);
        }
        if self.messages.len() < MAX_MESSAGES {
            self.messages.push(StatusText {
                text,
                place: place.into(),
            });
        }
    }

    /// A VER record's firmware string: it says what flew better than a MSG.
    fn version(&mut self, text: &str, place: Place) {
        if let Some(found) = firmware_of(text, place.into()) {
            self.firmware = Some(found);
        }
    }

    fn gps(&mut self, latitude: Option<f64>, place: Place) {
        self.gps_records += 1;
        if latitude.is_some_and(|latitude| latitude != 0.0) {
            self.position_records += 1;
            self.first_position.get_or_insert(place);
        }
    }

    fn document(self, format: &'static str, scope: &ParameterScope) -> Result<Value, AnalyzeError> {
        let set = ParameterSet::new(self.parameters.into_values().collect());
        let evidence = DataflashEvidence {
            autopilot: "ardupilot",
            format,
            records: self.records,
            record_counts: self.counts,
            firmware: self.firmware,
            board: self.board,
            messages: self.messages,
            positions: Positions {
                present: self.position_records > 0,
                gps_records: self.gps_records,
                position_records: self.position_records,
                first: self
                    .first_position
                    .map(RecordPlace::from)
                    .unwrap_or_default(),
            },
            parameters: ParameterNodes::of(set, scope),
        };
        serde_json::to_value(evidence)
            .map_err(|error| AnalyzeError::new(format!("cannot build the evidence: {error}")))
    }
}

/// The evidence of an ArduPilot DataFlash log, binary (`.bin`) or text (`.log`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DataflashEvidence {
    /// Always `ardupilot`: DataFlash logs are ArduPilot's.
    autopilot: &'static str,
    /// `dataflash` (binary) or `dataflash-text`.
    format: &'static str,
    /// Records read.
    records: u64,
    /// Records read, by record type name (`GPS`, `MSG`, `PARM`…).
    record_counts: BTreeMap<String, u64>,
    /// The firmware flown: the VER record's, else the first MSG text that names a vehicle
    /// and version.
    firmware: Option<StatedFirmware>,
    /// The first board a MSG text names with its unique id.
    board: Option<Board>,
    /// The MSG texts, in order (the first 200).
    messages: Vec<StatusText>,
    /// Whether the log holds positions.
    positions: Positions,
    /// The parameters the log's PARM records set (the last value of each).
    #[serde(flatten)]
    parameters: ParameterNodes,
}

/// Whether a log holds positions: records with a latitude field, and those with one set.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Positions {
    /// Some record holds a position (a latitude other than 0).
    present: bool,
    /// Records of a type that can hold a position (a `Lat` field): GPS, GPS2, POS, AHR2…
    gps_records: u64,
    /// Those that hold one.
    position_records: u64,
    /// Where the first position is.
    #[serde(flatten)]
    first: RecordPlace,
}

/// The binary form: records located by byte offset.
fn analyze_binary(content: &[u8], scope: &ParameterScope) -> Result<Evidence, AnalyzeError> {
    let mut formats: Vec<Option<RecordFormat>> = vec![None; 256];
    let mut facts = LogFacts::default();
    let (mut skipped, mut incomplete, mut offset) = (0usize, None, 0usize);
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
        let place = Place::Offset(offset as u64);
        if kind == FMT_TYPE {
            facts.record("FMT");
            if let Some((described, format)) = RecordFormat::parse(record) {
                formats[usize::from(described)] = Some(format);
            }
        } else if let Some(format) = &formats[usize::from(kind)] {
            facts.record(&format.name);
            match format.name.as_str() {
                "PARM" => {
                    if let (Some(name), Some(value)) = (
                        format.string(record, "Name"),
                        format.number(record, "Value"),
                    ) {
                        facts.parameter(name, value, place);
                    }
                }
                "MSG" => {
                    if let Some(message) = format.string(record, "Message") {
                        facts.message(message, place);
                    }
                }
                "VER" => {
                    if let Some(text) = format.string(record, "FWS") {
                        facts.version(&text, place);
                    }
                }
                _ => {}
            }
            // Any record with a latitude (GPS, GPS2, POS, AHR2…) stores a position.
            if matches!(format.field(record, "Lat"), Some((b'L', _))) {
                facts.gps(format.number(record, "Lat"), place);
            }
        }
        offset += length;
    }
    if facts.records == 0 || skipped > content.len() / 2 {
        return Err(AnalyzeError::new(format!(
            "{skipped} of {} bytes are not DataFlash records",
            content.len()
        )));
    }
    // What damage passed over may have held the records a rule reads (a PARM, a GPS fix):
    // the log is partial, with how much was passed over.
    let passed_over = (skipped > 0).then(|| {
        format!(
            "{skipped} bytes between records were not DataFlash records and were passed over: \
             what they held was not assessed"
        )
    });
    let incomplete = match (passed_over, incomplete) {
        (Some(passed), Some(cut)) => Some(format!("{passed}; {cut}")),
        (passed, cut) => passed.or(cut),
    };
    Ok(Evidence {
        kind: ArtifactKind::DataflashLog,
        document: facts.document("dataflash", scope)?,
        lines: Default::default(),
        warnings: Vec::new(),
        incomplete,
    })
}

/// The text form (`.log`, as Mission Planner and mavlogdump write it): `NAME, field, …`
/// lines, FMT lines first (`FMT, type, length, name, format, Col1,Col2,…`); records located
/// by line.
fn analyze_text(content: &[u8], scope: &ParameterScope) -> Result<Evidence, AnalyzeError> {
    let text = crate::analyze::text::decode(content)?;
    let mut columns: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut facts = LogFacts::default();
    let mut warnings = Vec::new();
    let mut unreadable = 0usize;
    for line in crate::analyze::text::lines(text) {
        let line = line?;
        let trimmed = line.text.trim();
        if trimmed.is_empty() {
            continue;
        }
        let Some((name, rest)) = trimmed.split_once(',') else {
            unreadable += 1;
            continue;
        };
        let name = name.trim();
        let place = Place::Line(line.number);
        if name == "FMT" {
            // type, length, name, format, then the columns (commas without spaces).
            let fields: Vec<&str> = rest.splitn(5, ',').map(str::trim).collect();
            if let [_, _, described, _, described_columns] = fields.as_slice() {
                columns.insert(
                    (*described).to_owned(),
                    described_columns
                        .split(',')
                        .map(|c| c.trim().to_owned())
                        .collect(),
                );
            }
            facts.record("FMT");
            continue;
        }
        let Some(names) = columns.get(name) else {
            unreadable += 1;
            continue;
        };
        // The last column takes the rest of the line (a MSG text may hold commas).
        let values: Vec<&str> = rest
            .splitn(names.len().max(1), ',')
            .map(str::trim)
            .collect();
        let field = |wanted: &str| {
            names
                .iter()
                .position(|column| column == wanted)
                .and_then(|index| values.get(index).copied())
        };
        facts.record(name);
        match name {
            "PARM" => {
                if let (Some(parameter), Some(value)) = (
                    field("Name"),
                    field("Value").and_then(|value| value.parse().ok()),
                ) {
                    facts.parameter(parameter.to_owned(), value, place);
                }
            }
            "MSG" => {
                if let Some(message) = field("Message") {
                    facts.message(message.to_owned(), place);
                }
            }
            "VER" => {
                if let Some(firmware) = field("FWS") {
                    facts.version(firmware, place);
                }
            }
            _ => {}
        }
        if names.iter().any(|column| column == "Lat") {
            facts.gps(field("Lat").and_then(|value| value.parse().ok()), place);
        }
    }
    if facts.records == 0 {
        return Err(AnalyzeError::new("no DataFlash text record could be read"));
    }
    if unreadable > 0 {
        warnings.push(format!(
            "{unreadable} lines were not records of a type a FMT line described, and were skipped"
        ));
    }
    Ok(Evidence {
        kind: ArtifactKind::DataflashLog,
        document: facts.document("dataflash-text", scope)?,
        lines: Default::default(),
        warnings,
        incomplete: None,
    })
}

/// Whether `content` opens like a DataFlash text log: `FMT, 128, 89, FMT, …`.
fn is_text_log(content: &[u8]) -> bool {
    let head = &content[..content.len().min(256)];
    let head = String::from_utf8_lossy(head);
    let mut fields = head
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(str::trim);
    fields.next() == Some("FMT")
        && fields.next() == Some("128")
        && fields.next() == Some("89")
        && fields.next() == Some("FMT")
}

impl Analyzer for DataflashAnalyzer {
    fn kind(&self) -> ArtifactKind {
        ArtifactKind::DataflashLog
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["bin", "log"]
    }

    fn identify(&self, content: &[u8]) -> bool {
        // Binary logs open with the FMT record describing FMT itself; text logs with its line.
        let binary = content.len() >= FMT_LENGTH
            && content[..3] == [0xa3, 0x95, FMT_TYPE]
            && content[3] == FMT_TYPE
            && usize::from(content[4]) == FMT_LENGTH;
        binary || is_text_log(content)
    }

    fn analyze_with_options(
        &self,
        content: &[u8],
        options: AnalyzeOptions<'_>,
    ) -> Result<Evidence, AnalyzeError> {
        if content.starts_with(&[0xa3, 0x95]) {
            analyze_binary(content, options.parameters)
        } else if is_text_log(content) {
            analyze_text(content, options.parameters)
        } else {
            Err(AnalyzeError::new(
                "not an ArduPilot DataFlash log: it does not open with the FMT record of FMT",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_board_is_named_with_its_unique_id() {
        assert_eq!(
            board_of("PX4v4 00360029 30365103 31323731"),
            Some(Board {
                name: "PX4v4".into(),
                uid: "00360029 30365103 31323731".into()
            })
        );
        assert_eq!(
            board_of("CubeOrange 003a0024 3038510b 34313430")
                .expect("a board")
                .uid,
            "003A0024 3038510B 34313430"
        );
        // Other boot messages carry hex words too, but are not a board and its id.
        for text in [
            "PX4: 0384802e NuttX: 1bcae90b",
            "u-blox 1 HW: 00040007 SW: 7.03 (45970)",
            "00360029 30365103 31323731",
            "ArduPlane V3.8.2-dev (8178ab40)",
        ] {
            assert_eq!(board_of(text), None, "{text}");
        }
    }

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
    fn bytes_passed_over_between_records_make_the_log_partial() {
        let whole = log();
        let mut damaged = whole[..whole.len() - 75].to_vec();
        // Seven bytes of damage before the last record (the MSG naming the firmware).
        damaged.extend_from_slice(&[0x42; 7]);
        damaged.extend_from_slice(&whole[whole.len() - 75..]);
        let evidence = DataflashAnalyzer.analyze(&damaged).expect("read");
        let reason = evidence.incomplete.expect("partial");
        assert!(reason.starts_with("7 bytes between records"), "{reason}");
        assert_eq!(
            evidence.document["firmware"]["version"], "4.5.7",
            "read past the damage"
        );
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
    fn the_text_form_gives_the_same_facts_by_line() {
        let text = "FMT, 128, 89, FMT, BBnNZ, Type,Length,Name,Format,Columns\n\
                    FMT, 64, 31, PARM, QNf, TimeUS,Name,Value\n\
                    FMT, 65, 75, MSG, QZ, TimeUS,Message\n\
                    PARM, 1, SYSID_ENFORCE, 0\n\
                    MSG, 2, ArduCopter V4.5.7 (2a3dc4b7)\n\
                    MSG, 3, Arming, checks: passed\n";
        assert!(DataflashAnalyzer.identify(text.as_bytes()));
        let evidence = DataflashAnalyzer
            .analyze(text.as_bytes())
            .expect("analyzes");
        let document = &evidence.document;
        assert_eq!(document["format"], "dataflash-text");
        assert_eq!(document["parameters"]["SYSID_ENFORCE"]["value"], 0);
        assert_eq!(document["parameters"]["SYSID_ENFORCE"]["line"], 4);
        assert_eq!(document["firmware"]["version"], "4.5.7");
        assert_eq!(document["messages"][1]["text"], "Arming, checks: passed");
        assert!(!DataflashAnalyzer.identify(b"FMT is a word"));
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
