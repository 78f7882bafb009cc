//! MAVLink telemetry logs (`.tlog`), as QGroundControl, Mission Planner and MAVProxy write
//! them: each MAVLink frame the ground station received, after an 8-byte big-endian
//! timestamp (microseconds since 1970). The evidence is the MAVLink tally a capture gives
//! (frames per system by version and signing, SETUP_SIGNING seen), located by byte offset,
//! so the MAVLink rules read both. Documented in docs/evidence/tlog.md.
//!
//! Damage: bytes that are not a record are passed over to the next plausible one, counted,
//! and make the result partial, as a record cut off by the end of the file does; a file more
//! than half unreadable is an error.

use crate::analyze::log_evidence::{
    ParameterNodes, RecordPlace, ReportedVersion, StatedFirmware, StatusText,
};
use crate::analyze::mavlink::{self, ByteOffset, Checksum, Frame, SystemAt, Systems};
use crate::analyze::parameters::{self, Parameter, ParameterScope, ParameterSet, Place};
use crate::analyze::{dataflash, AnalyzeError, AnalyzeOptions, Analyzer, ArtifactKind, Evidence};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Status texts kept.
const MAX_MESSAGES: usize = 200;

/// What the checksum-verified frames of a log say about the vehicle: its autopilot (from
/// HEARTBEAT), the firmware flown (from STATUSTEXT, as DataFlash MSG records give it, else
/// AUTOPILOT_VERSION) and its parameters (PARAM_VALUE), each at its record's offset.
#[derive(Default)]
struct Vehicle {
    autopilot: Option<&'static str>,
    firmware: Option<StatedFirmware>,
    /// AUTOPILOT_VERSION's version and git hash, used when no status text named the firmware.
    reported_version: Option<ReportedVersion>,
    parameters: BTreeMap<String, Parameter>,
    messages: Vec<StatusText>,
}

impl Vehicle {
    /// Reads the frame at the start of `bytes`, found at `offset`, if its checksum holds.
    fn read(&mut self, bytes: &[u8], offset: usize) {
        let Some((frame, payload)) = mavlink::checked_payload(bytes) else {
            return;
        };
        match frame.message_id {
            mavlink::HEARTBEAT => {
                // MAV_AUTOPILOT: 3 ArduPilot, 12 PX4; ground stations send 8 (invalid).
                let autopilot = match payload[5] {
                    3 => Some("ardupilot"),
                    12 => Some("px4"),
                    _ => None,
                };
                if self.autopilot.is_none() {
                    self.autopilot = autopilot;
                }
            }
            mavlink::STATUSTEXT => {
                let text = text_of(&payload[1..51]);
                if self.firmware.is_none() {
                    self.firmware =
                        dataflash::firmware_of(&text, RecordPlace::at_offset(offset as u64));
                }
                if self.messages.len() < MAX_MESSAGES {
                    self.messages.push(StatusText {
                        text,
                        place: RecordPlace::at_offset(offset as u64),
                    });
                }
            }
            mavlink::AUTOPILOT_VERSION if self.reported_version.is_none() => {
                let version =
                    u32::from_le_bytes([payload[16], payload[17], payload[18], payload[19]]);
                let [major, minor, patch, _] = version.to_be_bytes();
                let git_hash = text_of(&payload[36..44]);
                self.reported_version = Some(ReportedVersion {
                    version: format!("{major}.{minor}.{patch}"),
                    git_hash: (!git_hash.is_empty()).then_some(git_hash),
                    offset: offset as u64,
                });
            }
            mavlink::PARAM_VALUE => {
                let value = f32::from_le_bytes([payload[0], payload[1], payload[2], payload[3]]);
                let name = text_of(&payload[8..24]);
                let Some(value) = parameters::number_from_float(f64::from(value)) else {
                    return;
                };
                if name.is_empty() {
                    return;
                }
                // The latest value sent is the vehicle's (a parameter set again is re-sent).
                self.parameters.insert(
                    name.clone(),
                    Parameter {
                        name,
                        value,
                        place: Place::Offset(offset as u64),
                        r#type: None,
                        component_id: Some(frame.component_id),
                    },
                );
            }
            _ => {}
        }
    }

    /// Adds what was found to the evidence, with the parameters of `scope` in its map.
    fn insert_into(self, evidence: &mut TlogEvidence, scope: &ParameterScope) {
        evidence.firmware = match (self.firmware, self.reported_version) {
            (Some(mut firmware), Some(reported)) => {
                firmware.reported_version = Some(reported);
                Some(FlownFirmware::Stated(firmware))
            }
            (Some(firmware), None) => Some(FlownFirmware::Stated(firmware)),
            (None, reported) => reported.map(FlownFirmware::Reported),
        };
        evidence.autopilot = self.autopilot;
        evidence.messages = self.messages;
        if !self.parameters.is_empty() {
            evidence.parameters = ParameterNodes::of(
                ParameterSet::new(self.parameters.into_values().collect()),
                scope,
            );
        }
    }
}

/// The evidence of a MAVLink telemetry log (`.tlog`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TlogEvidence {
    /// Always `tlog`.
    format: &'static str,
    /// Records read (a timestamp and a frame each).
    records: u64,
    /// The first record's time, seconds since 1970.
    first_time: Option<f64>,
    /// The last record's time, seconds since 1970.
    last_time: f64,
    /// How many MAVLink message ids the log holds.
    message_types: usize,
    /// The MAVLink frames, in a capture's shape with byte offsets for packet numbers.
    mavlink: TlogMavlink,
    /// The vehicle's autopilot from the first HEARTBEAT of one: `ardupilot` or `px4`.
    autopilot: Option<&'static str>,
    /// The firmware flown: from the first STATUSTEXT that names a vehicle and version (with
    /// AUTOPILOT_VERSION's as `reported_version`), else AUTOPILOT_VERSION's alone.
    firmware: Option<FlownFirmware>,
    /// The status texts (the first 200).
    messages: Vec<StatusText>,
    /// The last PARAM_VALUE of each name; no key when the log has none.
    #[serde(flatten)]
    parameters: ParameterNodes,
}

/// The frames of a telemetry log by system, and the SETUP_SIGNING messages seen.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TlogMavlink {
    /// Frames read (every record's).
    frames: u64,
    /// Per system id: frames by version and signing, and the first one's `offset`.
    systems: Vec<SystemAt<ByteOffset>>,
    /// SETUP_SIGNING messages (at most 1,000): each carries the signing key in the clear.
    setup_signing: Vec<SetupSigningRecord>,
}

/// A SETUP_SIGNING message in a telemetry log.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SetupSigningRecord {
    /// Its record's byte offset.
    offset: u64,
    /// The system that sent it.
    system_id: u8,
    /// The component that sent it.
    component_id: u8,
}

/// The firmware a telemetry log says was flown.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum FlownFirmware {
    /// Named by a status text.
    Stated(StatedFirmware),
    /// Reported by AUTOPILOT_VERSION only.
    Reported(ReportedVersion),
}

/// A fixed-size MAVLink char field: up to its first NUL.
fn text_of(bytes: &[u8]) -> String {
    let end = bytes
        .iter()
        .position(|byte| *byte == 0)
        .unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).trim().to_owned()
}

pub struct TlogAnalyzer;

/// Timestamps between 2000-01-01 and 2100-01-01, in microseconds.
const PLAUSIBLE: std::ops::Range<u64> = 946_684_800_000_000..4_102_444_800_000_000;

/// SETUP_SIGNING frames listed (each is a finding).
const MAX_SETUP_SIGNING: usize = 1000;

/// The record at `offset`: its timestamp, frame and length, if one is whole there.
fn record_at(content: &[u8], offset: usize) -> Option<(u64, Frame, usize)> {
    let stamp = u64::from_be_bytes(content.get(offset..offset + 8)?.try_into().ok()?);
    if !PLAUSIBLE.contains(&stamp) {
        return None;
    }
    let (frame, length) = mavlink::frame_at(content.get(offset + 8..)?)?;
    Some((stamp, frame, 8 + length))
}

/// Frames a system must have sent to count (a look-alike met while skipping damage has one),
/// unless one of them has a checksum that holds.
const MIN_FRAMES: u64 = 3;

/// Whether the file ends inside a record that starts at `offset`: a frame whose header
/// promises more than is left, or (right where the previous record ended) a cut timestamp.
fn cut_off_at(content: &[u8], offset: usize, in_sync: bool) -> bool {
    let rest = &content[offset.min(content.len())..];
    if rest.len() < 8 {
        return in_sync && !rest.is_empty();
    }
    let stamp = u64::from_be_bytes(rest[..8].try_into().unwrap_or_default());
    if !PLAUSIBLE.contains(&stamp) {
        return false;
    }
    let frame = &rest[8..];
    let declared = match (frame.first(), frame.get(1), frame.get(2)) {
        (Some(0xfe), Some(&length), _) => 6 + usize::from(length) + 2,
        (Some(0xfd), Some(&length), Some(&flags)) => {
            10 + usize::from(length) + 2 + if flags & 1 != 0 { 13 } else { 0 }
        }
        (Some(0xfd | 0xfe), _, _) => usize::MAX,
        _ => return false,
    };
    declared > frame.len()
}

impl Analyzer for TlogAnalyzer {
    fn kind(&self) -> ArtifactKind {
        ArtifactKind::Tlog
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["tlog"]
    }

    fn identify(&self, content: &[u8]) -> bool {
        // The first record, and the second when the file goes on.
        match record_at(content, 0) {
            Some((_, _, length)) if length == content.len() => true,
            Some((_, _, length)) => {
                record_at(content, length).is_some() || cut_off_at(content, length, true)
            }
            None => false,
        }
    }

    fn analyze_with_options(
        &self,
        content: &[u8],
        options: AnalyzeOptions<'_>,
    ) -> Result<Evidence, AnalyzeError> {
        let mut systems = Systems::default();
        let mut setup_signing = Vec::new();
        let mut message_ids = BTreeSet::new();
        let mut vehicle = Vehicle::default();
        let (mut records, mut skipped, mut offset) = (0u64, 0usize, 0usize);
        let (mut first_time, mut last_time) = (None, 0u64);
        let mut incomplete = None;
        // Whether the previous record ended where the next one is read (not skipping damage).
        let mut in_sync = true;
        while offset < content.len() {
            match record_at(content, offset) {
                Some((stamp, frame, length)) => {
                    in_sync = true;
                    records += 1;
                    first_time.get_or_insert(stamp);
                    last_time = stamp;
                    // A frame whose checksum fails is a damaged record or a look-alike:
                    // it says nothing about a system.
                    if frame.checksum != Checksum::Fails {
                        systems.add(&frame, offset as u64);
                        message_ids.insert(frame.message_id);
                        vehicle.read(&content[offset + 8..offset + length], offset);
                        if frame.message_id == mavlink::SETUP_SIGNING
                            && setup_signing.len() < MAX_SETUP_SIGNING
                        {
                            setup_signing.push((offset, frame.system_id, frame.component_id));
                        }
                    }
                    offset += length;
                }
                None if cut_off_at(content, offset, in_sync) => {
                    incomplete = Some(format!(
                        "the log ends in the middle of a record at byte {offset}: the rest was not read"
                    ));
                    break;
                }
                None => {
                    in_sync = false;
                    skipped += 1;
                    offset += 1;
                }
            }
        }
        if records == 0 || skipped > content.len() / 2 {
            return Err(AnalyzeError::new(format!(
                "{skipped} of {} bytes are not telemetry-log records",
                content.len()
            )));
        }
        // Damage passed over may have held frames a rule counts (an unsigned frame, a
        // SETUP_SIGNING): the log is partial, with how much was passed over.
        let passed_over = (skipped > 0).then(|| {
            format!(
                "{skipped} bytes between records were not telemetry-log records and were \
                 passed over: what they held was not assessed"
            )
        });
        let incomplete = match (passed_over, incomplete) {
            (Some(passed), Some(cut)) => Some(format!("{passed}; {cut}")),
            (passed, cut) => passed.or(cut),
        };
        let warnings = Vec::new();
        let kept = systems.retain_at_least(MIN_FRAMES);
        let setup_signing = setup_signing
            .into_iter()
            .filter(|(_, system_id, _)| kept.contains(system_id))
            .map(|(offset, system_id, component_id)| SetupSigningRecord {
                offset: offset as u64,
                system_id,
                component_id,
            })
            .collect();
        let seconds = |stamp: u64| stamp as f64 / 1e6;
        let mut evidence = TlogEvidence {
            format: "tlog",
            records,
            first_time: first_time.map(seconds),
            last_time: seconds(last_time),
            message_types: message_ids.len(),
            mavlink: TlogMavlink {
                frames: records,
                systems: systems.records(|offset| ByteOffset { offset }),
                setup_signing,
            },
            autopilot: None,
            firmware: None,
            messages: Vec::new(),
            parameters: ParameterNodes::default(),
        };
        vehicle.insert_into(&mut evidence, options.parameters);
        let document = serde_json::to_value(evidence)
            .map_err(|error| AnalyzeError::new(format!("cannot build the evidence: {error}")))?;
        Ok(Evidence {
            kind: ArtifactKind::Tlog,
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
    use serde_json::{json, Value};

    fn record(stamp: u64, frame: &[u8]) -> Vec<u8> {
        let mut record = stamp.to_be_bytes().to_vec();
        record.extend_from_slice(frame);
        record
    }

    fn heartbeat(system: u8, signed: bool) -> Vec<u8> {
        mavlink::encode_frame(
            2,
            mavlink::HEARTBEAT,
            (system, 1),
            &[0, 0, 0, 0, 2, 3, 0x51, 4, 3],
            signed,
        )
    }

    /// `frame` with its checksum broken: a look-alike.
    fn broken(mut frame: Vec<u8>) -> Vec<u8> {
        let header = if frame[0] == 0xfe { 6 } else { 10 };
        let at = header + usize::from(frame[1]);
        frame[at] ^= 0xff;
        frame
    }

    const T0: u64 = 1_793_527_200_000_000;

    #[test]
    fn records_are_tallied_per_system() {
        let mut log = record(T0, &heartbeat(1, false));
        log.extend(record(T0 + 1000, &heartbeat(1, true)));
        log.extend(record(
            T0 + 1500,
            &mavlink::encode_frame(1, mavlink::HEARTBEAT, (1, 1), &[0; 9], false),
        ));
        // Frames of system 255 whose checksums fail: look-alikes, not a system.
        for stamp in [2000, 2500, 3000] {
            log.extend(record(
                T0 + stamp,
                &broken(mavlink::encode_frame(1, 0, (255, 190), &[0; 9], false)),
            ));
        }
        assert!(TlogAnalyzer.identify(&log));
        let evidence = TlogAnalyzer.analyze(&log).expect("analyzes");
        let systems = &evidence.document["mavlink"]["systems"];
        assert_eq!(systems[0]["system_id"], 1);
        assert_eq!(systems[0]["v2_unsigned_frames"], 1);
        assert_eq!(systems[0]["v2_signed_frames"], 1);
        assert_eq!(systems[0]["offset"], 0);
        assert_eq!(systems[0]["v1_frames"], 1);
        assert_eq!(systems.as_array().map(Vec::len), Some(1));
        assert_eq!(evidence.incomplete, None);
    }

    fn setup_signing(system: u8) -> Vec<u8> {
        mavlink::encode_frame(2, mavlink::SETUP_SIGNING, (system, 190), &[0; 42], false)
    }

    #[test]
    fn setup_signing_is_listed_for_systems_kept() {
        let mut log = record(T0, &heartbeat(1, false));
        log.extend(record(T0 + 1000, &heartbeat(1, false)));
        let at = log.len();
        log.extend(record(T0 + 2000, &setup_signing(1)));
        // System 9's "key message" has a checksum that fails: a look-alike, not listed.
        log.extend(record(T0 + 3000, &broken(setup_signing(9))));
        let evidence = TlogAnalyzer.analyze(&log).expect("analyzes");
        let listed = &evidence.document["mavlink"]["setup_signing"];
        assert_eq!(
            listed,
            &json!([{"offset": at, "system_id": 1, "component_id": 190}])
        );
    }

    #[test]
    fn one_frame_that_checks_counts_and_a_look_alike_does_not() {
        let log = record(T0, &heartbeat(1, false));
        let evidence = TlogAnalyzer.analyze(&log).expect("analyzes");
        let systems = &evidence.document["mavlink"]["systems"];
        assert_eq!(systems[0]["system_id"], 1, "{systems}");
        assert_eq!(systems[0]["v2_unsigned_frames"], 1);
        assert_eq!(evidence.document["autopilot"], "ardupilot");
        let mut noise = log.clone();
        let last = noise.len() - 1;
        noise[last] ^= 0xff;
        let evidence = TlogAnalyzer.analyze(&noise).expect("analyzes");
        assert_eq!(evidence.document["mavlink"]["systems"], json!([]));
        assert_eq!(evidence.document["autopilot"], Value::Null);
    }

    #[test]
    fn damage_is_skipped_counted_or_partial() {
        let mut log = record(T0, &heartbeat(1, false));
        log.extend_from_slice(&[0x42; 5]);
        log.extend(record(T0 + 1000, &heartbeat(1, false)));
        let evidence = TlogAnalyzer.analyze(&log).expect("analyzes");
        assert_eq!(evidence.document["records"], 2);
        assert!(evidence
            .incomplete
            .as_deref()
            .is_some_and(|reason| reason.starts_with("5 bytes between records")));
        let cut = &log[..log.len() - 4];
        let evidence = TlogAnalyzer.analyze(cut).expect("analyzes what is there");
        assert!(evidence.incomplete.is_some());
        assert!(TlogAnalyzer.analyze(&[0x42; 100]).is_err());
        assert!(!TlogAnalyzer.identify(b"ULog\x01\x12\x35\x01"));
    }
}
