//! PX4 ULog flight logs (`.ulg`): the header, flag bits, info and multi-info messages
//! (sys_name, ver_hw, ver_sw, ver_sw_release, sys_uuid…), parameters and their defaults, the
//! topics the logger subscribed to and how many data messages each carried, dropouts,
//! logged strings, and appended data. Parameters take the shape of a parameter file's (with
//! byte offsets), so the PX4 parameter rules read logs too. Documented in
//! docs/evidence/ulog.md; the layout is PX4's "ULog File Format" specification.
//!
//! Every length is bounded by the message's 16-bit size and the file's end. A message cut
//! off by the end of the file makes the result partial; a corrupt stretch (passed over to
//! the next sync marker), a data message of an id no subscription registered or of a size
//! its format does not have are passed over, counted, and make the result partial too.

use crate::analyze::log_evidence::ParameterNodes;
use crate::analyze::parameters::{self, Parameter, ParameterSet, Place};
use crate::analyze::{AnalyzeError, AnalyzeOptions, Analyzer, ArtifactKind, Evidence};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{json, Map, Number, Value};
use std::collections::{BTreeMap, HashMap};

pub struct UlogAnalyzer;

/// The first seven bytes of every ULog file; the eighth is its version.
pub const MAGIC: [u8; 7] = [b'U', b'L', b'o', b'g', 0x01, 0x12, 0x35];
/// An encrypted ULog (`.ulge`, PX4 log encryption): a 22-byte header (this magic, version,
/// key algorithm, wrapped-key and nonce sizes), the wrapped key, the nonce, then the log
/// encrypted with XChaCha20 (PX4 Tools/log_encryption/decrypt_logs.py reads it so).
pub const ENCRYPTED_MAGIC: &[u8; 7] = b"ULogEnc";
const ENCRYPTED_HEADER: usize = 22;
const SYNC: [u8; 8] = [0x2f, 0x73, 0x13, 0x20, 0x25, 0x0c, 0xbb, 0x12];
const HEADER: usize = 16;
/// Logged strings and multi-info values kept.
pub const MAX_STRINGS: usize = 200;
/// Topics whose data are positions.
const POSITION_TOPICS: [&str; 3] = [
    "vehicle_gps_position",
    "sensor_gps",
    "vehicle_global_position",
];
/// Topics that show a cellular modem in use.
const CELLULAR_TOPICS: [&str; 1] = ["cellular_status"];

/// A value of an info or parameter message, by its declared type.
fn value(kind: &str, bytes: &[u8]) -> Value {
    let integer = |count: usize, signed: bool| -> Option<Value> {
        let bytes = bytes.get(..count)?;
        let mut buffer = [0u8; 8];
        buffer[..count].copy_from_slice(bytes);
        let unsigned = u64::from_le_bytes(buffer);
        Some(if signed {
            let shift = 64 - 8 * count as u32;
            json!(((unsigned << shift) as i64) >> shift)
        } else {
            json!(unsigned)
        })
    };
    let parsed = match kind {
        "int8_t" => integer(1, true),
        "uint8_t" | "bool" => integer(1, false),
        "int16_t" => integer(2, true),
        "uint16_t" => integer(2, false),
        "int32_t" => integer(4, true),
        "uint32_t" => integer(4, false),
        "int64_t" => integer(8, true),
        "uint64_t" => integer(8, false),
        "float" => bytes
            .get(..4)
            .and_then(|raw| Number::from_f64(f64::from(f32::from_le_bytes(raw.try_into().ok()?))))
            .map(Value::Number),
        "double" => bytes
            .get(..8)
            .and_then(|raw| Number::from_f64(f64::from_le_bytes(raw.try_into().ok()?)))
            .map(Value::Number),
        _ if kind.starts_with("char[") => {
            Some(json!(String::from_utf8_lossy(bytes).trim_end_matches('\0')))
        }
        _ => None,
    };
    parsed.unwrap_or(Value::Null)
}

/// `ver_sw_release` as `major.minor.patch`, with the build type PX4 packs in the low byte
/// (0xAABBCCTT: TT below 64 a development build, below 128 alpha, below 192 beta, below 255
/// a release candidate, 255 a release).
fn release(packed: u64) -> String {
    let version = format!(
        "{}.{}.{}",
        (packed >> 24) & 0xff,
        (packed >> 16) & 0xff,
        (packed >> 8) & 0xff
    );
    match packed & 0xff {
        0..=63 => format!("{version}-dev"),
        64..=127 => format!("{version}-alpha"),
        128..=191 => format!("{version}-beta"),
        192..=254 => format!("{version}-rc"),
        _ => version,
    }
}

/// The message types of the ULog specification.
const MESSAGE_TYPES: &[u8] = b"BFIMPQARDLCSO";

/// `type name` of an info or parameter key.
fn split_key(key: &[u8]) -> Option<(String, String)> {
    let key = std::str::from_utf8(key).ok()?;
    let (kind, name) = key.rsplit_once(' ')?;
    Some((kind.to_owned(), name.to_owned()))
}

#[derive(Default)]
struct Topic {
    name: String,
    /// A subscription (`A` message) registered the id.
    registered: bool,
    /// The sizes a data message's body (id included) may have, from the topic's format
    /// (with and without its trailing padding), when the formats it nests are all known.
    sizes: Option<(usize, usize)>,
    data_messages: u64,
    first_offset: Option<u64>,
    /// For a position topic: where its latitude is in a data message, and its type.
    latitude: Option<(usize, LatitudeType)>,
    /// Data messages with a latitude other than 0, and the first one's offset.
    positions: u64,
    first_position: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LatitudeType {
    Int32,
    Float,
    Double,
}

/// The size of a primitive ULog field type, arrays included (`uint8_t[3]`); None for a
/// nested message type.
fn field_size(kind: &str) -> Option<usize> {
    let (base, count) = match kind.split_once('[') {
        Some((base, rest)) => (base, rest.trim_end_matches(']').parse::<usize>().ok()?),
        None => (kind, 1),
    };
    let size: usize = match base {
        "int8_t" | "uint8_t" | "bool" | "char" => 1,
        "int16_t" | "uint16_t" => 2,
        "int32_t" | "uint32_t" | "float" => 4,
        "int64_t" | "uint64_t" | "double" => 8,
        _ => return None,
    };
    size.checked_mul(count)
}

/// Why a log whose damage was passed over is partial: the bytes passed over, and why.
fn passed_over_reason(corrupt: usize, passed: &PassedOver) -> Option<String> {
    let total = corrupt + passed.unregistered_bytes + passed.missized_bytes;
    if total == 0 {
        return None;
    }
    let mut parts = Vec::new();
    if corrupt > 0 {
        parts.push(format!("{corrupt} corrupt bytes to the next sync marker"));
    }
    if passed.unregistered_messages > 0 {
        parts.push(format!(
            "{} bytes in {} data messages of message ids no subscription registered",
            passed.unregistered_bytes, passed.unregistered_messages
        ));
    }
    if passed.missized_messages > 0 {
        parts.push(format!(
            "{} bytes in {} data messages whose size is not their format's",
            passed.missized_bytes, passed.missized_messages
        ));
    }
    Some(format!(
        "{total} bytes were passed over ({}): what they held was not assessed",
        parts.join(", ")
    ))
}

/// Formats nest at most this deep (PX4's deepest nesting is 3): a deeper or circular one
/// has no size.
const MAX_FORMAT_DEPTH: usize = 8;

/// Fields a log may make [`FormatSizes`] visit beyond one per byte of the log. A format
/// of 15,000 fields each of a type of 15,000 fields, eight deep, asks for 15,000^8 without
/// the memory of sizes already known; with it, a log that redefines a format before each
/// subscription still asks for the whole tree again each time.
const FORMAT_WORK: usize = 1_000_000;

/// The sizes of data messages by format name (`type field;…`), nested formats included,
/// each format sized once until a format message may change it; the fields visited are
/// bounded by the log's size ([`FORMAT_WORK`]).
struct FormatSizes {
    known: HashMap<String, Option<(usize, usize)>>,
    work_left: usize,
    /// Set when the work bound stopped sizing: data messages were not checked against their
    /// format from there on.
    exhausted: bool,
}

impl FormatSizes {
    fn new(log_size: usize) -> Self {
        FormatSizes {
            known: HashMap::new(),
            work_left: FORMAT_WORK.saturating_add(log_size),
            exhausted: false,
        }
    }

    /// A format message arrived: a size computed before may have changed.
    fn forget(&mut self) {
        self.known.clear();
    }

    /// The sizes a data message of the format `name` may have: the whole format, and the
    /// format without its trailing padding fields (`_padding0`…), which PX4 leaves out of data
    /// messages. None when a type is unknown, the nesting too deep or circular, the sum
    /// overflows, or the work bound is spent.
    fn of(&mut self, name: &str, formats: &HashMap<String, String>) -> Option<(usize, usize)> {
        self.sized(name, formats, 0)
    }

    fn sized(
        &mut self,
        name: &str,
        formats: &HashMap<String, String>,
        depth: usize,
    ) -> Option<(usize, usize)> {
        if depth > MAX_FORMAT_DEPTH {
            return None;
        }
        if let Some(known) = self.known.get(name) {
            return *known;
        }
        let sizes = self.count(formats.get(name)?, formats, depth);
        // A size cut short by the work bound is not the format's: not remembered.
        if !self.exhausted {
            self.known.insert(name.to_owned(), sizes);
        }
        sizes
    }

    fn count(
        &mut self,
        fields: &str,
        formats: &HashMap<String, String>,
        depth: usize,
    ) -> Option<(usize, usize)> {
        let (mut size, mut unpadded) = (0usize, 0usize);
        for field in fields.split(';').filter(|field| !field.trim().is_empty()) {
            if self.work_left == 0 {
                self.exhausted = true;
                return None;
            }
            self.work_left -= 1;
            let (kind, field_name) = field.trim().rsplit_once(' ')?;
            let field = match field_size(kind) {
                Some(field) => field,
                None => {
                    let (base, count) = match kind.split_once('[') {
                        Some((base, rest)) => (base, rest.trim_end_matches(']').parse().ok()?),
                        None => (kind, 1usize),
                    };
                    self.sized(base, formats, depth + 1)?.0.checked_mul(count)?
                }
            };
            size = size.checked_add(field)?;
            if !field_name.starts_with("_padding") {
                unpadded = size;
            }
        }
        Some((size, unpadded))
    }
}

/// Data messages passed over because they cannot be read as their topic: an id that no
/// subscription registered, or a size that is not the topic format's.
#[derive(Default)]
struct PassedOver {
    unregistered_messages: u64,
    unregistered_bytes: usize,
    missized_messages: u64,
    missized_bytes: usize,
}

/// Where the latitude (`lat` or `latitude_deg`) is in a topic's data, from its format
/// (`name:type field;type field;…`): the sum of the sizes of the fields before it.
fn latitude_field(format: &str) -> Option<(usize, LatitudeType)> {
    let (_, fields) = format.split_once(':')?;
    let mut offset = 0usize;
    for field in fields.split(';').filter(|field| !field.is_empty()) {
        let (kind, name) = field.trim().rsplit_once(' ')?;
        if name == "lat" || name == "latitude_deg" {
            let latitude = match kind {
                "int32_t" => LatitudeType::Int32,
                "float" => LatitudeType::Float,
                "double" => LatitudeType::Double,
                _ => return None,
            };
            return Some((offset, latitude));
        }
        offset = offset.checked_add(field_size(kind)?)?;
    }
    None
}

/// Whether the data message holds a latitude other than 0 at `at`.
fn has_position(data: &[u8], at: usize, latitude: LatitudeType) -> bool {
    let value = match latitude {
        LatitudeType::Int32 => data
            .get(at..at + 4)
            .map(|bytes| f64::from(i32::from_le_bytes(bytes.try_into().unwrap_or_default()))),
        LatitudeType::Float => data
            .get(at..at + 4)
            .map(|bytes| f64::from(f32::from_le_bytes(bytes.try_into().unwrap_or_default()))),
        LatitudeType::Double => data
            .get(at..at + 8)
            .map(|bytes| f64::from_le_bytes(bytes.try_into().unwrap_or_default())),
    };
    value.is_some_and(|value| value.is_finite() && value != 0.0)
}

impl Analyzer for UlogAnalyzer {
    fn kind(&self) -> ArtifactKind {
        ArtifactKind::Ulog
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["ulg", "ulge"]
    }

    fn identify(&self, content: &[u8]) -> bool {
        content.starts_with(&MAGIC) || content.starts_with(ENCRYPTED_MAGIC)
    }

    fn analyze_with_options(
        &self,
        content: &[u8],
        options: AnalyzeOptions<'_>,
    ) -> Result<Evidence, AnalyzeError> {
        if content.starts_with(ENCRYPTED_MAGIC) {
            return encrypted(content);
        }
        if content.len() < HEADER || !content.starts_with(&MAGIC) {
            return Err(AnalyzeError::new("not a ULog file: no ULog header"));
        }
        let format_version = content[7];
        let start = u64::from_le_bytes(content[8..16].try_into().unwrap_or_default());
        let mut info: Map<String, Value> = Map::new();
        let mut multi_info: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        let mut parameters: BTreeMap<String, Parameter> = BTreeMap::new();
        let mut defaults = 0u64;
        let mut formats = 0u64;
        // By message id (a u16): a table, not a map, since every data message looks one up.
        let mut topics: Vec<Topic> = Vec::new();
        // Where each position topic's latitude is, from its format.
        let mut latitudes: HashMap<String, (usize, LatitudeType)> = HashMap::new();
        // Every format's field list, by name, for the sizes of data messages.
        let mut format_fields: HashMap<String, String> = HashMap::new();
        let mut format_sizes = FormatSizes::new(content.len());
        let mut passed_over = PassedOver::default();
        let mut strings: Vec<LoggedString> = Vec::new();
        let mut counts = [0u64; 256];
        let (mut dropouts, mut dropout_ms) = (0u64, 0u64);
        let mut flags: Option<UlogFlags> = None;
        let (mut skipped, mut incomplete) = (0usize, None);
        let mut offset = HEADER;
        while offset < content.len() {
            let Some(header) = content.get(offset..offset + 3) else {
                incomplete = Some(format!(
                    "the log ends in the middle of a message header at byte {offset}"
                ));
                break;
            };
            let size = usize::from(u16::from_le_bytes([header[0], header[1]]));
            let kind = header[2];
            // A type the specification does not have is corruption: resynchronise first,
            // before trusting the size.
            let known = MESSAGE_TYPES.contains(&kind);
            let body = content.get(offset + 3..offset + 3 + size);
            if known && body.is_none() {
                incomplete = Some(format!(
                    "the log ends in the middle of a message at byte {offset}: the rest was not read"
                ));
                break;
            }
            let body = body.unwrap_or_default();
            if !known {
                // Corrupt: pass over to the next sync marker.
                let next = content[offset + 1..]
                    .windows(SYNC.len())
                    .position(|window| window == SYNC)
                    .map_or(content.len(), |position| {
                        offset + 1 + position.saturating_sub(3)
                    });
                skipped += next.max(offset + 1) - offset;
                offset = next.max(offset + 1);
                continue;
            }
            counts[usize::from(kind)] += 1;
            match kind {
                b'B' if body.len() >= 40 => {
                    let appended = body[8] & 1 != 0;
                    let offsets: Vec<u64> = (0..3)
                        .map(|index| {
                            u64::from_le_bytes(
                                body[16 + index * 8..24 + index * 8]
                                    .try_into()
                                    .unwrap_or_default(),
                            )
                        })
                        .filter(|offset| *offset != 0)
                        .collect();
                    flags = Some(UlogFlags {
                        compat: body[..8].to_vec(),
                        incompat: body[8..16].to_vec(),
                        data_appended: appended,
                        appended_offsets: offsets,
                    });
                }
                b'F' => {
                    formats += 1;
                    let text = String::from_utf8_lossy(body);
                    if let Some((name, fields)) = text.split_once(':') {
                        format_fields.insert(name.to_owned(), fields.to_owned());
                        format_sizes.forget();
                        if POSITION_TOPICS.contains(&name) {
                            if let Some(latitude) = latitude_field(&text) {
                                latitudes.insert(name.to_owned(), latitude);
                            }
                        }
                    }
                }
                b'I' | b'P' | b'M' | b'Q' => {
                    let (skip, is_continued) = match kind {
                        b'M' => (1, body.first().copied().unwrap_or(0) != 0),
                        b'Q' => (1, false),
                        _ => (0, false),
                    };
                    let Some(&key_length) = body.get(skip) else {
                        offset += 3 + size;
                        continue;
                    };
                    let key_end = skip + 1 + usize::from(key_length);
                    let (Some(key), Some(raw)) = (body.get(skip + 1..key_end), body.get(key_end..))
                    else {
                        offset += 3 + size;
                        continue;
                    };
                    let Some((kind_name, name)) = split_key(key) else {
                        offset += 3 + size;
                        continue;
                    };
                    let decoded = value(&kind_name, raw);
                    match kind {
                        b'I' => {
                            info.insert(name, decoded);
                        }
                        b'M' => {
                            let values = multi_info.entry(name).or_default();
                            if values.len() < MAX_STRINGS {
                                if is_continued {
                                    if let (Some(Value::String(last)), Value::String(more)) =
                                        (values.last_mut(), &decoded)
                                    {
                                        last.push_str(more);
                                    } else {
                                        values.push(decoded);
                                    }
                                } else {
                                    values.push(decoded);
                                }
                            }
                        }
                        b'Q' => defaults += 1,
                        _ => {
                            let number = match &decoded {
                                Value::Number(number) if number.is_f64() => number
                                    .as_f64()
                                    .and_then(parameters::number_from_float)
                                    .unwrap_or_else(|| number.clone()),
                                Value::Number(number) => number.clone(),
                                _ => {
                                    offset += 3 + size;
                                    continue;
                                }
                            };
                            parameters.insert(
                                name.clone(),
                                Parameter {
                                    name,
                                    value: number,
                                    place: Place::Offset(offset as u64),
                                    r#type: None,
                                    component_id: None,
                                },
                            );
                        }
                    }
                }
                b'A' if body.len() >= 3 => {
                    let id = usize::from(u16::from_le_bytes([body[1], body[2]]));
                    if topics.len() <= id {
                        topics.resize_with(id + 1, Topic::default);
                    }
                    let name = String::from_utf8_lossy(&body[3..]).into_owned();
                    topics[id].latitude = latitudes.get(&name).copied();
                    topics[id].registered = true;
                    topics[id].sizes = format_sizes
                        .of(&name, &format_fields)
                        .and_then(|(size, unpadded)| Some((size.checked_add(2)?, unpadded + 2)));
                    topics[id].name = name;
                }
                b'D' if body.len() >= 2 => {
                    let id = usize::from(u16::from_le_bytes([body[0], body[1]]));
                    if topics.len() <= id {
                        topics.resize_with(id + 1, Topic::default);
                    }
                    let topic = &mut topics[id];
                    if !topic.registered {
                        passed_over.unregistered_messages += 1;
                        passed_over.unregistered_bytes += 3 + size;
                        offset += 3 + size;
                        continue;
                    }
                    if topic
                        .sizes
                        .is_some_and(|(whole, unpadded)| !(unpadded..=whole).contains(&size))
                    {
                        passed_over.missized_messages += 1;
                        passed_over.missized_bytes += 3 + size;
                        offset += 3 + size;
                        continue;
                    }
                    topic.data_messages += 1;
                    topic.first_offset.get_or_insert(offset as u64);
                    if let Some((at, latitude)) = topic.latitude {
                        if has_position(&body[2..], at, latitude) {
                            topic.positions += 1;
                            topic.first_position.get_or_insert(offset as u64);
                        }
                    }
                }
                b'L' | b'C' => {
                    let text_at = if kind == b'L' { 9 } else { 11 };
                    if strings.len() < MAX_STRINGS && body.len() >= text_at {
                        strings.push(LoggedString {
                            level: body[0].saturating_sub(b'0'),
                            text: String::from_utf8_lossy(&body[text_at..]).into_owned(),
                            offset: offset as u64,
                        });
                    }
                }
                b'O' if body.len() >= 2 => {
                    dropouts += 1;
                    dropout_ms += u64::from(u16::from_le_bytes([body[0], body[1]]));
                }
                _ => {}
            }
            offset += 3 + size;
        }
        let messages: u64 = counts.iter().sum();
        if messages == 0 || skipped > content.len() / 2 {
            return Err(AnalyzeError::new(format!(
                "{skipped} of {} bytes are not ULog messages",
                content.len()
            )));
        }
        let warnings = Vec::new();
        let incomplete = match (incomplete, passed_over_reason(skipped, &passed_over)) {
            (Some(cut), Some(passed)) => Some(format!("{passed}; {cut}")),
            (cut, passed) => cut.or(passed),
        };
        let unchecked = format_sizes.exhausted.then(|| {
            "the formats nest too many fields to be sized within the work bound: data messages were not checked against their formats".to_owned()
        });
        let incomplete = match (incomplete, unchecked) {
            (Some(other), Some(unchecked)) => Some(format!("{other}; {unchecked}")),
            (other, unchecked) => other.or(unchecked),
        };
        let set = ParameterSet::new(parameters.into_values().collect());
        let mut subscribed: Vec<&Topic> = topics
            .iter()
            .filter(|topic| !topic.name.is_empty())
            .collect();
        subscribed.sort_by(|a, b| a.name.cmp(&b.name));
        let carrying = |names: &[&str]| -> (u64, Option<u64>) {
            subscribed
                .iter()
                .filter(|topic| names.contains(&topic.name.as_str()))
                .fold((0, None), |(count, first), topic| {
                    (
                        count + topic.data_messages,
                        match (first, topic.first_offset) {
                            (Some(a), Some(b)) => Some(a.min(b)),
                            (a, b) => a.or(b),
                        },
                    )
                })
        };
        // Positions: data messages of a position topic with a latitude other than 0 (where
        // the topic's format says where the latitude is; otherwise every data message).
        let (position_messages, position_offset) = subscribed
            .iter()
            .filter(|topic| POSITION_TOPICS.contains(&topic.name.as_str()))
            .fold((0, None::<u64>), |(count, first), topic| {
                let (positions, first_position) = if topic.latitude.is_some() {
                    (topic.positions, topic.first_position)
                } else {
                    (topic.data_messages, topic.first_offset)
                };
                (
                    count + positions,
                    match (first, first_position) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    },
                )
            });
        let (cellular_messages, cellular_offset) = carrying(&CELLULAR_TOPICS);
        let text = |key: &str| info.get(key).and_then(Value::as_str).map(str::to_owned);
        let version = info
            .get("ver_sw_release")
            .and_then(Value::as_u64)
            .map(release);
        let git_hash = text("ver_sw").map(|hash| hash.chars().take(8).collect::<String>());
        let description = format!(
            "{} {} ({}) on {}",
            text("sys_name").unwrap_or_else(|| "PX4".to_owned()),
            version.as_deref().unwrap_or("of unknown version"),
            git_hash.as_deref().unwrap_or("no git hash"),
            text("ver_hw").as_deref().unwrap_or("an unnamed board"),
        );
        let firmware = UlogFirmware {
            text: description,
            git_hash,
            sys_name: text("sys_name"),
            ver_hw: text("ver_hw"),
            ver_sw: text("ver_sw"),
            ver_sw_branch: text("ver_sw_branch"),
            version,
            sys_uuid: text("sys_uuid"),
        };
        let topics = subscribed
            .iter()
            .map(|topic| TopicRecord {
                name: topic.name.clone(),
                data_messages: topic.data_messages,
            })
            .collect();
        let evidence = UlogEvidence::Plain(Box::new(PlainUlog {
            autopilot: "px4",
            format: "ulog",
            version: format_version,
            start_time: start,
            flags,
            info,
            multi_info,
            firmware,
            message_counts: counts
                .iter()
                .enumerate()
                .filter(|(_, count)| **count > 0)
                .map(|(kind, count)| (char::from(kind as u8).to_string(), *count))
                .collect(),
            formats,
            topics,
            positions: UlogPositions {
                present: position_messages > 0,
                position_records: position_messages,
                offset: position_offset,
            },
            cellular: Cellular {
                cellular_records: cellular_messages,
                offset: cellular_offset,
            },
            dropouts: Dropouts {
                count: dropouts,
                total_ms: dropout_ms,
            },
            logged_strings: strings,
            default_parameters: defaults,
            mavlink_instances: set.px4_mavlink_instances(),
            parameters: ParameterNodes::of(set, options.parameters),
        }));
        let document = evidence.to_document()?;
        Ok(Evidence {
            kind: ArtifactKind::Ulog,
            document,
            lines: Default::default(),
            warnings,
            incomplete,
        })
    }
}

/// An encrypted ULog: what its header says; the log itself cannot be read without the key.
fn encrypted(content: &[u8]) -> Result<Evidence, AnalyzeError> {
    let Some(header) = content.get(..ENCRYPTED_HEADER) else {
        return Err(AnalyzeError::new(
            "an encrypted ULog shorter than its 22-byte header",
        ));
    };
    let key_size = usize::from(u16::from_le_bytes([header[18], header[19]]));
    let nonce_size = usize::from(u16::from_le_bytes([header[20], header[21]]));
    let data = ENCRYPTED_HEADER + key_size + nonce_size;
    let algorithm = match header[16] {
        4 => "RSA2048-OAEP wrapping XChaCha20",
        _ => "unknown",
    };
    let incomplete = (data > content.len()).then(|| {
        format!(
            "the file ends inside the wrapped key or nonce ({key_size} + {nonce_size} bytes after the header)"
        )
    });
    let document = UlogEvidence::Encrypted(EncryptedUlog {
        autopilot: "px4",
        format: "ulog-encrypted",
        encrypted: true,
        header_version: header[7],
        key_algorithm: algorithm,
        wrapped_key_bytes: key_size,
        nonce_bytes: nonce_size,
        encrypted_bytes: content.len().saturating_sub(data),
    })
    .to_document()?;
    Ok(Evidence {
        kind: ArtifactKind::Ulog,
        document,
        lines: Default::default(),
        warnings: Vec::new(),
        incomplete,
    })
}

/// The evidence of a PX4 ULog: what the log holds, or only its header when it is encrypted.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum UlogEvidence {
    /// A log that could be read.
    Plain(Box<PlainUlog>),
    /// An encrypted log (`.ulge`): its header only.
    Encrypted(EncryptedUlog),
}

impl UlogEvidence {
    fn to_document(&self) -> Result<Value, AnalyzeError> {
        serde_json::to_value(self)
            .map_err(|error| AnalyzeError::new(format!("cannot build the evidence: {error}")))
    }
}

/// What a readable ULog holds.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PlainUlog {
    /// Always `px4`.
    autopilot: &'static str,
    /// Always `ulog`.
    format: &'static str,
    /// The header's format version.
    version: u8,
    /// The header's timestamp: microseconds since the logger started.
    start_time: u64,
    /// The flag bits message, when the log has one.
    flags: Option<UlogFlags>,
    /// Each info message (`I`) by key, its value by its declared type (integers, floats,
    /// `char[]` as text).
    info: Map<String, Value>,
    /// Each multi info message (`M`) by key: its values in order.
    multi_info: BTreeMap<String, Vec<Value>>,
    /// The firmware flown, from the info messages.
    firmware: UlogFirmware,
    /// Messages read, by message type letter (`D` data, `P` parameter, `L` logged string…).
    message_counts: BTreeMap<String, u64>,
    /// Format definitions (`F`) read.
    formats: u64,
    /// The topics subscribed, with how many data messages each logged.
    topics: Vec<TopicRecord>,
    /// Whether the log holds positions.
    positions: UlogPositions,
    /// Whether a cellular modem was in use (`cellular_status` data).
    cellular: Cellular,
    /// Dropouts (`O` messages): data the logger lost.
    dropouts: Dropouts,
    /// The logged strings (`L` and tagged `C`), the first 200.
    logged_strings: Vec<LoggedString>,
    /// Parameter defaults (`Q` messages) read.
    default_parameters: u64,
    /// PX4's MAVLink instances (`MAV_n_CONFIG`, `_MODE`, `_BROADCAST`, `_FORWARD`), from the
    /// parameters (docs/evidence/parameters.md).
    mavlink_instances: Vec<parameters::evidence::MavlinkInstance>,
    /// The parameters (`P`), the last value of each.
    #[serde(flatten)]
    parameters: ParameterNodes,
}

/// The flag bits message (`B`): compatibility flags and appended data.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct UlogFlags {
    /// The eight compatible-flag bytes.
    compat: Vec<u8>,
    /// The eight incompatible-flag bytes.
    incompat: Vec<u8>,
    /// Data was appended after the log (incompatible flag 0, bit 0).
    data_appended: bool,
    /// Where appended data starts (offsets other than 0).
    appended_offsets: Vec<u64>,
}

/// The firmware a ULog was flown on, from its info messages.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct UlogFirmware {
    /// In words: `PX4 1.11.2 (8583f1da) on CUBEPILOT_CUBEORANGE`.
    text: String,
    /// The first 8 characters of `ver_sw`.
    git_hash: Option<String>,
    /// `sys_name`, e.g. `PX4`.
    sys_name: Option<String>,
    /// `ver_hw`, the board.
    ver_hw: Option<String>,
    /// `ver_sw`, the firmware's git hash.
    ver_sw: Option<String>,
    /// `ver_sw_branch`.
    ver_sw_branch: Option<String>,
    /// `ver_sw_release` as `major.minor.patch`, with the build type when not a release.
    version: Option<String>,
    /// `sys_uuid`, the board's unique id.
    sys_uuid: Option<String>,
}

/// A topic the logger subscribed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TopicRecord {
    /// The topic's name, e.g. `vehicle_gps_position`.
    name: String,
    /// Data messages logged for it.
    data_messages: u64,
}

/// Whether a ULog holds positions (data of the GPS and global position topics).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct UlogPositions {
    /// Some message holds a position.
    present: bool,
    /// Messages that hold a position.
    position_records: u64,
    /// The first one's byte offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<u64>,
}

/// Whether a ULog shows a cellular modem in use.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Cellular {
    /// Data messages of `cellular_status`.
    cellular_records: u64,
    /// The first one's byte offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<u64>,
}

/// Data the logger lost.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Dropouts {
    /// Dropout messages.
    count: u64,
    /// Their durations added up, in milliseconds.
    total_ms: u64,
}

/// A string the logger logged.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LoggedString {
    /// Its log level, 0 (emergency) to 7 (debug).
    level: u8,
    /// The text.
    text: String,
    /// Its message's byte offset.
    offset: u64,
}

/// What an encrypted ULog's header says; the log itself cannot be read without the key.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EncryptedUlog {
    /// Always `px4`.
    autopilot: &'static str,
    /// Always `ulog-encrypted`.
    format: &'static str,
    /// Always true.
    encrypted: bool,
    /// The header's version byte.
    header_version: u8,
    /// How the data key is wrapped: `RSA2048-OAEP wrapping XChaCha20`, or `unknown`.
    key_algorithm: &'static str,
    /// Bytes of the wrapped key.
    wrapped_key_bytes: usize,
    /// Bytes of the nonce.
    nonce_bytes: usize,
    /// Bytes of encrypted log after them.
    encrypted_bytes: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut bytes = (body.len() as u16).to_le_bytes().to_vec();
        bytes.push(kind);
        bytes.extend_from_slice(body);
        bytes
    }

    fn keyed(kind: u8, key: &str, value: &[u8]) -> Vec<u8> {
        let mut body = vec![key.len() as u8];
        body.extend_from_slice(key.as_bytes());
        body.extend_from_slice(value);
        message(kind, &body)
    }

    fn log() -> Vec<u8> {
        let mut log = MAGIC.to_vec();
        log.push(1);
        log.extend_from_slice(&123_456u64.to_le_bytes());
        log.extend(message(b'B', &[0; 40]));
        log.extend(keyed(b'I', "char[3] sys_name", b"PX4"));
        log.extend(keyed(
            b'I',
            "uint32_t ver_sw_release",
            &0x010e_03ffu32.to_le_bytes(),
        ));
        log.extend(keyed(b'P', "int32_t MAV_0_CONFIG", &101i32.to_le_bytes()));
        log.extend(keyed(b'P', "float GF_MAX_HOR_DIST", &0.0f32.to_le_bytes()));
        let mut subscribe = vec![0, 7, 0];
        subscribe.extend_from_slice(b"sensor_gps");
        log.extend(message(b'A', &subscribe));
        log.extend(message(b'D', &[7, 0, 1, 2, 3]));
        let mut logged = vec![b'6'];
        logged.extend_from_slice(&5u64.to_le_bytes());
        logged.extend_from_slice(b"Takeoff detected");
        log.extend(message(b'L', &logged));
        log
    }

    #[test]
    fn info_parameters_topics_and_strings_are_read() {
        let content = log();
        assert!(UlogAnalyzer.identify(&content));
        let evidence = UlogAnalyzer.analyze(&content).expect("analyzes");
        let document = &evidence.document;
        assert_eq!(document["info"]["sys_name"], "PX4");
        assert_eq!(document["firmware"]["version"], "1.14.3");
        assert_eq!(document["parameters"]["MAV_0_CONFIG"]["value"], 101);
        assert_eq!(document["parameters"]["GF_MAX_HOR_DIST"]["value"], 0);
        assert!(document["parameters"]["MAV_0_CONFIG"]["offset"].is_u64());
        assert_eq!(document["positions"]["present"], true);
        assert_eq!(document["logged_strings"][0]["text"], "Takeoff detected");
        assert_eq!(evidence.incomplete, None);
    }

    #[test]
    fn positions_are_data_messages_with_a_latitude() {
        assert_eq!(
            latitude_field(
                "sensor_gps:uint64_t timestamp;uint8_t[3] _padding0;double latitude_deg;"
            ),
            Some((11, LatitudeType::Double))
        );
        assert_eq!(
            latitude_field("vehicle_gps_position:uint64_t timestamp;int32_t lat;"),
            Some((8, LatitudeType::Int32))
        );
        assert_eq!(
            latitude_field("x:nested_t inner;int32_t lat;"),
            None,
            "a nested type hides the offset"
        );
        // Two fixes without a position (latitude 0) and one with: one position.
        let mut content = MAGIC.to_vec();
        content.push(1);
        content.extend_from_slice(&0u64.to_le_bytes());
        content.extend(message(
            b'F',
            b"sensor_gps:uint64_t timestamp;int32_t latitude_deg;",
        ));
        let mut subscribe = vec![0, 3, 0];
        subscribe.extend_from_slice(b"sensor_gps");
        content.extend(message(b'A', &subscribe));
        for latitude in [0i32, 0, -353_632_610] {
            let mut data = vec![3, 0];
            data.extend_from_slice(&1u64.to_le_bytes());
            data.extend_from_slice(&latitude.to_le_bytes());
            content.extend(message(b'D', &data));
        }
        let evidence = UlogAnalyzer.analyze(&content).expect("analyzes");
        assert_eq!(evidence.document["positions"]["position_records"], 1);
    }

    /// Nine formats of `fields` fields each, every field of the next format's type.
    fn nested_formats(fields: usize) -> Vec<u8> {
        let mut content = MAGIC.to_vec();
        content.push(1);
        content.extend_from_slice(&0u64.to_le_bytes());
        for level in 0..9 {
            let body = if level == 8 {
                "t8:uint8_t x;".to_owned()
            } else {
                format!("t{level}:{}", format!("t{} x;", level + 1).repeat(fields))
            };
            content.extend(message(b'F', body.as_bytes()));
        }
        content
    }

    #[test]
    fn nested_formats_are_sized_once_not_once_per_use() {
        // Sized by recursion alone, t0 took 200^8 steps: the scan never ended.
        let mut content = nested_formats(200);
        let mut subscribe = vec![0, 1, 0];
        subscribe.extend_from_slice(b"t0");
        content.extend(message(b'A', &subscribe));
        content.extend(message(b'D', &[1, 0, 0]));
        let started = std::time::Instant::now();
        let evidence = UlogAnalyzer.analyze(&content).expect("analyzes");
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        // 200^8 bytes overflow nothing on 64 bits: the size is known, and the one-byte data
        // message is not it.
        assert!(evidence
            .incomplete
            .is_some_and(|reason| reason.contains("whose size is not their format's")));

        // A format message before each subscription makes the whole tree be sized again each
        // time: the work bound stops it, and the log says its data went unchecked.
        let mut content = nested_formats(2000);
        for index in 0..2000u16 {
            content.extend(message(b'F', b"t9:uint8_t x;"));
            let mut subscribe = vec![0];
            subscribe.extend_from_slice(&index.to_le_bytes());
            subscribe.extend_from_slice(b"t0");
            content.extend(message(b'A', &subscribe));
        }
        let started = std::time::Instant::now();
        let evidence = UlogAnalyzer.analyze(&content).expect("analyzes");
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        assert!(evidence
            .incomplete
            .is_some_and(|reason| reason.contains("within the work bound")));
    }

    #[test]
    fn encrypted_logs_are_recognised_as_such() {
        let mut log = ENCRYPTED_MAGIC.to_vec();
        log.push(1);
        log.extend_from_slice(&[0; 8]);
        log.push(4);
        log.push(0);
        log.extend_from_slice(&256u16.to_le_bytes());
        log.extend_from_slice(&24u16.to_le_bytes());
        log.extend(std::iter::repeat_n(0x77, 256 + 24 + 1000));
        assert!(UlogAnalyzer.identify(&log));
        let evidence = UlogAnalyzer.analyze(&log).expect("analyzes");
        assert_eq!(evidence.document["encrypted"], true);
        assert_eq!(evidence.document["encrypted_bytes"], 1000);
        assert!(
            evidence.document.get("positions").is_none(),
            "nothing to read in the clear"
        );
        let cut = UlogAnalyzer.analyze(&log[..100]).expect("analyzes");
        assert!(cut.incomplete.is_some());
    }

    #[test]
    fn data_of_unregistered_ids_or_wrong_sizes_is_passed_over_and_partial() {
        let mut content = log();
        assert_eq!(
            UlogAnalyzer.analyze(&content).expect("whole").incomplete,
            None
        );
        // A format with trailing padding (left out of data messages), and its subscription.
        content.extend(message(
            b'F',
            b"vehicle_gps_position:uint64_t timestamp;int32_t lat;uint8_t[3] _padding0;",
        ));
        let mut subscribe = vec![0, 9, 0];
        subscribe.extend_from_slice(b"vehicle_gps_position");
        content.extend(message(b'A', &subscribe));
        let mut data = vec![9, 0];
        data.extend_from_slice(&[1; 12]);
        content.extend(message(b'D', &data));
        assert_eq!(
            UlogAnalyzer.analyze(&content).expect("read").incomplete,
            None,
            "padding left out is the format's size"
        );
        // Id 3 was never subscribed; id 9 with a size its format does not have.
        content.extend(message(b'D', &[3, 0, 1, 2, 3, 4]));
        content.extend(message(b'D', &[9, 0, 1, 2]));
        let evidence = UlogAnalyzer.analyze(&content).expect("read");
        let reason = evidence.incomplete.expect("partial");
        assert!(reason.starts_with("16 bytes were passed over"), "{reason}");
        assert!(reason.contains("9 bytes in 1 data messages of message ids no subscription"));
        assert!(reason.contains("7 bytes in 1 data messages whose size"));
    }

    #[test]
    fn a_cut_log_is_partial_and_noise_is_an_error() {
        let content = log();
        let evidence = UlogAnalyzer
            .analyze(&content[..content.len() - 5])
            .expect("what is there");
        assert!(evidence.incomplete.is_some());
        let mut noise = content[..HEADER].to_vec();
        noise.extend(std::iter::repeat_n(0x00, 5000));
        noise.extend(std::iter::repeat_n(0xff, 5000));
        assert!(
            UlogAnalyzer.analyze(&noise).is_err()
                || UlogAnalyzer
                    .analyze(&noise)
                    .is_ok_and(|e| e.incomplete.is_some())
        );
        assert!(!UlogAnalyzer.identify(b"ULog"));
    }
}
