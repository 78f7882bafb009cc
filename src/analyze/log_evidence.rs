//! Evidence types that several flight and telemetry logs share: where a record is, the
//! firmware and board a status text names, a status text, and the parameter part of a
//! document (DataFlash logs and telemetry logs write these alike, so the rules that read them
//! read both).

use crate::analyze::parameters::{ParameterScope, ParameterSet, Place};
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Where a record is: a `line` in a text log, an `offset` in a binary one (one of the two).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct RecordPlace {
    /// The record's 1-based line, in a text log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The record's byte offset, in a binary log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

impl RecordPlace {
    /// A byte offset in a binary log.
    pub fn at_offset(offset: u64) -> RecordPlace {
        RecordPlace {
            line: None,
            offset: Some(offset),
        }
    }
}

impl From<Place> for RecordPlace {
    fn from(place: Place) -> RecordPlace {
        match place {
            Place::Line(line) => RecordPlace {
                line: Some(line),
                offset: None,
            },
            Place::Offset(offset) => RecordPlace::at_offset(offset),
        }
    }
}

/// The firmware a log's status text (DataFlash MSG or VER, MAVLink STATUSTEXT) names:
/// `APM:Copter V3.4-dev (a3c91424)`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct StatedFirmware {
    /// The vehicle, as the text names it: `ArduCopter`, `APM:Copter`…
    pub vehicle: String,
    /// The version after its `V`: `4.5.7`, `3.4-dev`.
    pub version: String,
    /// The git hash in parentheses, when the text gives one in hex.
    pub git_hash: Option<String>,
    /// The whole text.
    pub text: String,
    /// Where the record is.
    #[serde(flatten)]
    pub place: RecordPlace,
    /// What AUTOPILOT_VERSION reported as well (telemetry logs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reported_version: Option<ReportedVersion>,
}

/// The version a MAVLink AUTOPILOT_VERSION message reports (`flight_sw_version` and
/// `flight_custom_version`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ReportedVersion {
    /// `major.minor.patch` from `flight_sw_version`.
    pub version: String,
    /// `flight_custom_version`, the git hash, when not empty.
    pub git_hash: Option<String>,
    /// The record's byte offset.
    pub offset: u64,
}

/// The board a status text names with its MCU's unique id (`CubeOrange 003A0024 3038510B
/// 34313430`): the id tells one vehicle's logs from another's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Board {
    /// The board's name.
    pub name: String,
    /// The MCU's 96-bit unique id, three 32-bit words in upper-case hex.
    pub uid: String,
}

/// A status text the log kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct StatusText {
    /// The text.
    pub text: String,
    /// Where the record is.
    #[serde(flatten)]
    pub place: RecordPlace,
}

/// The parameter part of a log's document (`parameter_count`, `endpoints`, `parameters`,
/// `families`), as [`ParameterSet::insert_into`] writes it for parameter files; empty (no key
/// written) when the log set none. A stand-in until the parameter evidence has types of its
/// own.
#[derive(Debug, Clone, Default)]
pub struct ParameterNodes(Map<String, Value>);

impl ParameterNodes {
    /// The nodes of `set`, with the parameters of `scope` in the `parameters` map.
    pub fn of(set: ParameterSet, scope: &ParameterScope) -> ParameterNodes {
        let mut document = Value::Object(Map::new());
        set.insert_into(&mut document, scope);
        match document {
            Value::Object(nodes) => ParameterNodes(nodes),
            _ => ParameterNodes::default(),
        }
    }
}

impl Serialize for ParameterNodes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl JsonSchema for ParameterNodes {
    fn schema_name() -> Cow<'static, str> {
        "ParameterNodes".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "properties": {
                "parameter_count": {
                    "type": "integer",
                    "description": "Parameters the log set, one a name (the last value of each)."
                },
                "endpoints": {
                    "type": "array",
                    "items": {"type": "object"},
                    "description": "Remote endpoints that several parameters describe together, as for a parameter file (docs/evidence/parameters.md)."
                },
                "parameters": {
                    "type": "object",
                    "additionalProperties": {"type": "object"},
                    "description": "Each parameter by name: its `name`, `value`, where it was set (`line` or `offset`), and its `family`, `component_id`, `type` when known (docs/evidence/parameters.md)."
                },
                "families": {
                    "type": "object",
                    "additionalProperties": {"type": "integer"},
                    "description": "How many parameters of each numbered family there are (`SERIALn_PROTOCOL`: 8)."
                }
            }
        })
    }
}
