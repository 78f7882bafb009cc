//! The typed evidence of autopilot parameters: the document `ardupilot-params` and
//! `qgc-params` files become ([`ParametersEvidence`]), and the part of it that flight logs
//! (DataFlash, ULog, telemetry) share ([`ParameterEvidence`]). docs/evidence/parameters.md
//! describes it.
//!
//! Rules query the evidence as JSON. A file has about 900 parameters, and making their JSON
//! nodes is most of the cost of reading one, so [`ParameterEvidence::insert_into`] builds
//! them by hand rather than through `serde_json::to_value`, with the same result (a test
//! compares the two).

use super::scope::ParameterScope;
use crate::net::AddressScope;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Number, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The evidence document of a parameter file (`ardupilot-params`, `qgc-params`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ParametersEvidence {
    /// `ardupilot` for ArduPilot's own formats; for QGroundControl files, from the header's
    /// `Stack:` (`px4`, `ardupilot`), else guessed from `SYSID_THISMAV` (ArduPilot) or
    /// `MAV_SYS_ID` (PX4), else `unknown`.
    pub autopilot: &'static str,
    /// `mission-planner`, `mavproxy`, `mixed` (both line forms in one file) or
    /// `qgroundcontrol`.
    pub format: &'static str,
    /// QGroundControl only: the file's `#` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header: Option<QgcHeader>,
    /// QGroundControl only: the vehicle ids of the rows (a warning when there are several).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vehicle_ids: Option<BTreeSet<u8>>,
    /// QGroundControl only: PX4's enabled MAVLink instances (`MAV_n_CONFIG` not 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mavlink_instances: Option<Vec<MavlinkInstance>>,
    /// The parameters and what is derived from them.
    #[serde(flatten)]
    pub parameters: ParameterEvidence,
    /// Set by the scan when a device holds several parameter files of one autopilot: this
    /// file's place in the order they apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configuration: Option<Configuration>,
}

/// A QGroundControl file's header, as its `# Key: value` comment lines give it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct QgcHeader {
    /// `Stack:`, e.g. `PX4 Pro` or `ArduPilot`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
    /// `Vehicle:`, e.g. `Multi-Rotor`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vehicle: Option<String>,
    /// `Version:` of the autopilot's firmware.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `Git Revision:` of the autopilot's firmware.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git_revision: Option<String>,
}

/// Parameters as every format that holds them (parameter files, flight logs) states them.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ParameterEvidence {
    /// How many parameters there are (one per name).
    pub parameter_count: usize,
    /// Addresses that several parameters describe together: ArduPilot 4.5+ network ports and
    /// PX4's uXRCE-DDS agent.
    pub endpoints: Vec<ParameterEndpoint>,
    /// The parameters by name.
    pub parameters: ParameterMap,
    /// Each family of numbered parameters (`SERIALn_PROTOCOL`), with how many parameters of
    /// it there are: a rule about a family asks whether it is there without testing every
    /// parameter.
    pub families: BTreeMap<String, u64>,
}

/// Parameters by name: in JSON an object from each name to its node; in memory the nodes in
/// the order of their names, one a name, which costs less to make than a map.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParameterMap(Vec<ParameterNode>);

impl ParameterMap {
    /// The map of `nodes` in any order: they are sorted here, and of nodes with one name the
    /// last stays (as loading a file into an autopilot keeps the last value).
    pub fn new(mut nodes: Vec<ParameterNode>) -> ParameterMap {
        if !nodes.windows(2).all(|pair| pair[0].name < pair[1].name) {
            nodes.sort_by(|a, b| a.name.cmp(&b.name));
            let mut unique: Vec<ParameterNode> = Vec::with_capacity(nodes.len());
            for node in nodes {
                match unique.last_mut() {
                    Some(last) if last.name == node.name => *last = node,
                    _ => unique.push(node),
                }
            }
            nodes = unique;
        }
        ParameterMap(nodes)
    }

    /// The map of nodes already sorted by name, one a name (those of a
    /// [`super::ParameterSet`]): not checked again, as a file's 900 names cost a comparison
    /// each.
    pub(super) fn from_sorted(nodes: Vec<ParameterNode>) -> ParameterMap {
        debug_assert!(nodes.windows(2).all(|pair| pair[0].name < pair[1].name));
        ParameterMap(nodes)
    }

    /// The parameter named `name`.
    pub fn get(&self, name: &str) -> Option<&ParameterNode> {
        self.0
            .binary_search_by(|node| node.name.as_str().cmp(name))
            .ok()
            .map(|index| &self.0[index])
    }

    /// The parameters, in the order of their names.
    pub fn iter(&self) -> impl Iterator<Item = &ParameterNode> {
        self.0.iter()
    }

    /// How many parameters there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for ParameterMap {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|node| (&node.name, node)))
    }
}

impl JsonSchema for ParameterMap {
    fn inline_schema() -> bool {
        <BTreeMap<String, ParameterNode>>::inline_schema()
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        <BTreeMap<String, ParameterNode>>::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <BTreeMap<String, ParameterNode>>::json_schema(generator)
    }
}

/// One parameter.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ParameterNode {
    /// The parameter's name (MAVLink `param_id`: 1 to 16 capitals, digits and underscores).
    pub name: String,
    /// The value: an integer when the file writes one (`0`, `-1`), else a float (`0.39`).
    pub value: Number,
    /// The 1-based line it is set on (the last one, for a name set twice), in a text file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The byte offset of the record that sets it, in a binary log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// QGroundControl only: the `MAV_PARAM_TYPE` name of the value (`int32`, `real32`, …).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub r#type: Option<&'static str>,
    /// QGroundControl only: the MAVLink component that holds the parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component_id: Option<u8>,
    /// Numbered parameters only: the name with each run of digits written `n`
    /// (`SERIAL2_PROTOCOL` → `SERIALn_PROTOCOL`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Bitmask parameters only (names ending in `_OPTIONS`, `_OPTS`, `_BITMASK`, `_BACKEND`,
    /// `_BACKEND_TYPE`, `_PROFILE`): the numbers of the set bits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bits: Option<Vec<u32>>,
    /// Set by the scan when a later parameter file of the device sets the parameter again:
    /// the `path:line` of the value that stands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded_by: Option<String>,
}

/// A remote endpoint that several parameters describe together.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ParameterEndpoint {
    /// `NET_Pn` for an ArduPilot network port, `UXRCE_DDS_AG_IP` for PX4's DDS agent.
    pub name: String,
    /// `udp` or `tcp`.
    #[serde(rename = "type")]
    pub r#type: &'static str,
    /// `client` (the autopilot connects out) or `server`.
    pub mode: &'static str,
    /// ArduPilot ports only: `NET_Pn_PROTOCOL` (as `SERIALn_PROTOCOL`), null when not set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Option<i64>>,
    /// The port: `NET_Pn_PORT` (null when not set), or `UXRCE_DDS_PRT` (8888 when not set).
    pub port: Option<i64>,
    /// The remote IPv4 address, when its parameters give a whole one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Where the address leads (`public`, `private`, `loopback`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<AddressScope>,
    /// The line of the parameter that makes the endpoint (`NET_Pn_TYPE`, `UXRCE_DDS_AG_IP`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The byte offset of that parameter, in a binary log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Added by the policy: whether its `network.allowed` list allows the address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<EndpointPolicy>,
}

/// What the policy says of an endpoint.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EndpointPolicy {
    /// Whether the policy's `network.allowed` list allows the address.
    pub allowed: bool,
}

/// One of PX4's MAVLink instances (`MAV_n_CONFIG`, `_MODE`, `_BROADCAST`, `_FORWARD`).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MavlinkInstance {
    /// The instance number n (0 to 3).
    pub instance: u8,
    /// `MAV_n_CONFIG`: the port (101 TELEM1 …, 1000 Ethernet, 301 Wi-Fi).
    pub port: i64,
    /// Whether the port is a network (Ethernet 1000, Wi-Fi 301) rather than a serial one.
    pub network: bool,
    /// `MAV_n_MODE`, null when not set.
    pub mode: Option<i64>,
    /// `MAV_n_BROADCAST` (else `MAV_BROADCAST`), null when neither is set.
    pub broadcast: Option<i64>,
    /// `MAV_n_FORWARD`, null when not set.
    pub forward: Option<i64>,
    /// The line of `MAV_n_CONFIG`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The byte offset of `MAV_n_CONFIG`, in a binary log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// A parameter file's place in its device's configuration.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Configuration {
    /// Its 1-based place in the order the device's files apply.
    pub position: usize,
    /// How many parameter files of the autopilot the device has.
    pub files: usize,
}

impl ParametersEvidence {
    /// The evidence document rules query: what `serde_json::to_value` makes of it, built
    /// faster, with the parameters of `scope` in its `parameters` map
    /// ([`ParameterEvidence::insert_into`]).
    pub fn into_document(self, scope: &ParameterScope) -> Value {
        let ParametersEvidence {
            autopilot,
            format,
            header,
            vehicle_ids,
            mavlink_instances,
            parameters,
            configuration,
        } = self;
        let mut document = Value::Object(Map::new());
        document["autopilot"] = Value::from(autopilot);
        document["format"] = Value::from(format);
        if let Some(header) = header {
            document["header"] = to_value(&header);
        }
        if let Some(vehicle_ids) = vehicle_ids {
            document["vehicle_ids"] = to_value(&vehicle_ids);
        }
        if let Some(instances) = mavlink_instances {
            document["mavlink_instances"] = to_value(&instances);
        }
        if let Some(configuration) = configuration {
            document["configuration"] = to_value(&configuration);
        }
        parameters.insert_into(&mut document, scope);
        document
    }
}

impl ParameterEvidence {
    /// Writes the parameters into an evidence document (`parameter_count`, `endpoints`,
    /// `parameters`, `families`), with only the parameters of `scope` in the `parameters` map
    /// (the rest is of every parameter). The parameters' nodes are built one by one and moved
    /// in, not through `serde_json::to_value`, which goes through a serializer for every field.
    pub fn insert_into(self, document: &mut Value, scope: &ParameterScope) {
        document["parameter_count"] = Value::from(self.parameter_count);
        document["endpoints"] = to_value(&self.endpoints);
        let parameters: Map<String, Value> = self
            .parameters
            .0
            .into_iter()
            .filter(|node| scope.holds(&node.name, node.family.as_deref()))
            .map(|node| (node.name.clone(), node.into_value()))
            .collect();
        document["parameters"] = Value::Object(parameters);
        document["families"] = Value::Object(
            self.families
                .into_iter()
                .map(|(family, count)| (family, Value::from(count)))
                .collect(),
        );
    }
}

impl ParameterNode {
    /// The node as JSON. Keys go in in their order, so that each is put at the end of the
    /// map's node, moving none of those already there.
    fn into_value(self) -> Value {
        let mut node = Map::new();
        if let Some(bits) = self.bits {
            node.insert("bits".to_owned(), Value::from(bits));
        }
        if let Some(component_id) = self.component_id {
            node.insert("component_id".to_owned(), Value::from(component_id));
        }
        if let Some(family) = self.family {
            node.insert("family".to_owned(), Value::String(family));
        }
        if let Some(line) = self.line {
            node.insert("line".to_owned(), Value::from(line));
        }
        node.insert("name".to_owned(), Value::String(self.name));
        if let Some(offset) = self.offset {
            node.insert("offset".to_owned(), Value::from(offset));
        }
        if let Some(superseded_by) = self.superseded_by {
            node.insert("superseded_by".to_owned(), Value::String(superseded_by));
        }
        if let Some(r#type) = self.r#type {
            node.insert("type".to_owned(), Value::from(r#type));
        }
        node.insert("value".to_owned(), Value::Number(self.value));
        Value::Object(node)
    }
}

/// A small part of the evidence as JSON. Its types serialize to JSON whatever their content
/// (string keys, finite numbers), so this cannot fail; `Null` stands in if it ever did.
fn to_value(part: &impl Serialize) -> Value {
    serde_json::to_value(part).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::parameters::{Parameter, ParameterSet, Place};

    fn parameter(name: &str, value: i64, place: Place) -> Parameter {
        Parameter {
            name: name.to_owned(),
            value: value.into(),
            place,
            r#type: Some("int32"),
            component_id: Some(1),
        }
    }

    /// Evidence with every field filled in: endpoints of both kinds, MAVLink instances, a
    /// header, families, bits, lines and offsets.
    fn full_evidence() -> ParametersEvidence {
        let stated = [
            ("NET_ENABLE", 1),
            ("NET_P1_TYPE", 1),
            ("NET_P1_IP0", 52),
            ("NET_P1_IP1", 28),
            ("NET_P1_IP2", 114),
            ("NET_P1_IP3", 9),
            ("NET_P2_TYPE", 4),
            ("UXRCE_DDS_CFG", 1000),
            ("UXRCE_DDS_AG_IP", -1062731518),
            ("MAV_0_CONFIG", 1000),
            ("MAV_0_BROADCAST", 1),
            ("MAV1_OPTIONS", 5),
            ("SERIAL2_PROTOCOL", 2),
            ("SYSID_ENFORCE", 0),
        ];
        let set = ParameterSet::new(
            stated
                .iter()
                .enumerate()
                .map(|(index, (name, value))| {
                    let place = if index % 2 == 0 {
                        Place::Line(index as u32 + 1)
                    } else {
                        Place::Offset(index as u64 * 100)
                    };
                    parameter(name, *value, place)
                })
                .collect(),
        );
        ParametersEvidence {
            autopilot: "px4",
            format: "qgroundcontrol",
            header: Some(QgcHeader {
                stack: Some("PX4 Pro".to_owned()),
                vehicle: None,
                version: Some("1.14.3".to_owned()),
                git_revision: None,
            }),
            vehicle_ids: Some([1, 2].into()),
            mavlink_instances: Some(set.px4_mavlink_instances()),
            parameters: set.into_evidence(),
            configuration: Some(Configuration {
                position: 1,
                files: 2,
            }),
        }
    }

    #[test]
    fn the_document_built_by_hand_is_what_serde_makes_of_the_types() {
        let mut evidence = full_evidence();
        let mut superseded = evidence.parameters.parameters.clone();
        if let Some(node) = superseded.0.first_mut() {
            node.superseded_by = Some("a/1.params:3".to_owned());
        }
        evidence.parameters.parameters = superseded;
        let serialized = serde_json::to_value(&evidence).expect("evidence serializes");
        let document = evidence.clone().into_document(&ParameterScope::All);
        assert_eq!(document, serialized);
        // Every part is there: the comparison covers each kind of node.
        assert_eq!(document["endpoints"].as_array().map(Vec::len), Some(3));
        assert_eq!(document["endpoints"][0]["protocol"], Value::Null);
        assert!(document["endpoints"][2].get("protocol").is_none());
        assert_eq!(document["mavlink_instances"][0]["mode"], Value::Null);
        assert_eq!(
            document["parameters"]["MAV1_OPTIONS"]["bits"],
            serde_json::json!([0, 2])
        );
        assert_eq!(document["families"]["SERIALn_PROTOCOL"], 1);
        assert!(document["parameters"]["NET_P1_TYPE"]
            .get("offset")
            .is_some());
        let ardupilot = ParametersEvidence {
            autopilot: "ardupilot",
            format: "mavproxy",
            header: None,
            vehicle_ids: None,
            mavlink_instances: None,
            configuration: None,
            ..evidence
        };
        assert_eq!(
            serde_json::to_value(&ardupilot).expect("evidence serializes"),
            ardupilot.into_document(&ParameterScope::All)
        );
    }

    #[test]
    fn a_parameter_map_is_sorted_with_the_last_of_a_name() {
        let node = |name: &str, line: u32| parameter(name, 0, Place::Line(line)).into_node(None);
        let map = ParameterMap::new(vec![node("B", 1), node("A", 2), node("B", 3)]);
        let names: Vec<(&str, Option<u32>)> = map
            .iter()
            .map(|node| (node.name.as_str(), node.line))
            .collect();
        assert_eq!(names, [("A", Some(2)), ("B", Some(3))]);
        assert_eq!(map.get("B").and_then(|node| node.line), Some(3));
        assert!(map.get("C").is_none());
    }
}
