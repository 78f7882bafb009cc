//! Autopilot parameters, as every parameter-file format becomes evidence: one shape for
//! ArduPilot's text files and QGroundControl's tables, so a rule about a parameter reads
//! both.
//!
//! The evidence document (docs/evidence/parameters.md) is
//! `{autopilot, format, header?, parameters: {NAME: {name, value, line, family?, bits?, …}},
//! parameter_count, endpoints}`; rules select parameters with filters such as
//! `$.parameters[?@.name == 'SYSID_ENFORCE' && @.value == 0]`. JSONPath has no bitwise
//! operators, so bitmask parameters carry the numbers of their set `bits`. A numbered
//! parameter carries its `family`, the name with each instance number written `n`
//! (`SERIAL2_PROTOCOL` → `SERIALn_PROTOCOL`), so a rule about every instance compares a
//! string rather than calling `match()`, which compiles its regex anew for every parameter
//! (serde_json_path 0.7): 60 times slower on a 900-parameter file. Addresses that
//! autopilots spread over several parameters become `endpoints` (ArduPilot's `NET_Pn_*`
//! ports, PX4's uXRCE-DDS agent), with the address's scope, like mavlink-router's.
//!
//! A device's parameter files are one configuration ([`apply_in_order`]): tools such as
//! ArduPilot Methodic Configurator keep a vehicle as numbered files applied one after another,
//! so a parameter is judged by the value the last file to set it gives; the values it
//! overwrote carry `superseded_by`, and rules skip them.

pub mod evidence;
pub mod scope;

pub use evidence::{
    ParameterEndpoint, ParameterEvidence, ParameterMap, ParameterNode, ParametersEvidence,
    QgcHeader,
};
pub use scope::ParameterScope;

use crate::analyze::{ArtifactKind, Evidence};
use crate::net;
use evidence::MavlinkInstance;
use serde_json::{json, Map, Number, Value};
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr};

/// One parameter as a file states it.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub name: String,
    /// The value as a JSON number: an integer when the file writes one, else a float.
    pub value: Number,
    /// Where the file states it: `line` in a text file, `offset` in a binary log.
    pub place: Place,
    /// QGroundControl only: the MAVLink type of the value (`MAV_PARAM_TYPE`).
    pub r#type: Option<&'static str>,
    /// QGroundControl only: the component that holds the parameter.
    pub component_id: Option<u8>,
}

impl Parameter {
    /// The parameter's node in the evidence: its fields, its `family` (given, as the caller
    /// counts them) and `bits` where its name has them.
    fn into_node(self, family: Option<String>) -> ParameterNode {
        let bits = set_bits(&self);
        let (line, offset) = self.place.fields();
        ParameterNode {
            name: self.name,
            value: self.value,
            line,
            offset,
            r#type: self.r#type,
            component_id: self.component_id,
            family,
            bits,
            superseded_by: None,
        }
    }
}

/// Where a record is: a 1-based line in a text file, a byte offset in a binary one. In
/// evidence it is a `line` or an `offset` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    Line(u32),
    Offset(u64),
}

impl Place {
    /// The place as the `line` and `offset` fields of a typed evidence node.
    pub fn fields(self) -> (Option<u32>, Option<u64>) {
        match self {
            Place::Line(line) => (Some(line), None),
            Place::Offset(offset) => (None, Some(offset)),
        }
    }

    /// Writes the place into an evidence node as its `line` or `offset` key.
    pub fn insert_into(self, node: &mut Value) {
        if let Some(object) = node.as_object_mut() {
            self.insert_into_map(object);
        }
    }

    fn insert_into_map(self, object: &mut Map<String, Value>) {
        let (key, value) = match self {
            Place::Line(line) => ("line", Value::from(line)),
            Place::Offset(offset) => ("offset", Value::from(offset)),
        };
        object.insert(key.to_owned(), value);
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Line(line) => write!(formatter, "line {line}"),
            Place::Offset(offset) => write!(formatter, "byte {offset}"),
        }
    }
}

/// Parameters by name; a name given twice keeps its last value (what loading the file into an
/// autopilot does) and leaves a warning.
#[derive(Debug)]
pub struct ParameterSet {
    /// Sorted by name, one parameter a name.
    parameters: Vec<Parameter>,
    pub warnings: Vec<String>,
}

impl ParameterSet {
    /// The set of the parameters a file states, in the order it states them. Sorting once
    /// costs a fraction of keeping a map up to date line by line.
    pub fn new(mut stated: Vec<Parameter>) -> ParameterSet {
        // Stable: of the parameters with one name, the last stated stays last.
        stated.sort_by(|a, b| a.name.cmp(&b.name));
        let mut parameters: Vec<Parameter> = Vec::with_capacity(stated.len());
        let mut duplicates = Vec::new();
        for parameter in stated {
            match parameters.last_mut() {
                Some(earlier) if earlier.name == parameter.name => {
                    duplicates.push((
                        parameter.place,
                        format!(
                            "{}: {} set again (first on {}); the later value {} wins",
                            parameter.place, parameter.name, earlier.place, parameter.value
                        ),
                    ));
                    *earlier = parameter;
                }
                _ => parameters.push(parameter),
            }
        }
        duplicates.sort_by_key(|(place, _)| *place);
        ParameterSet {
            parameters,
            warnings: duplicates.into_iter().map(|(_, warning)| warning).collect(),
        }
    }

    fn len(&self) -> usize {
        self.parameters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parameters.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<&Parameter> {
        self.parameters
            .binary_search_by(|parameter| parameter.name.as_str().cmp(name))
            .ok()
            .map(|index| &self.parameters[index])
    }

    /// The set as evidence: `parameter_count`, `endpoints`, `parameters` by name, and
    /// `families`, how many parameters of each numbered family there are (`SERIALn_PROTOCOL`:
    /// 8), so that a rule about a family asks whether it is there without testing every
    /// parameter.
    pub fn into_evidence(self) -> ParameterEvidence {
        let parameter_count = self.len();
        let endpoints = self.endpoints();
        let nodes: Vec<ParameterNode> = self
            .parameters
            .into_iter()
            .map(|parameter| {
                let family = family(&parameter.name);
                parameter.into_node(family)
            })
            .collect();
        let families = count_families(&nodes);
        ParameterEvidence {
            parameter_count,
            endpoints,
            parameters: ParameterMap::from_sorted(nodes),
            families,
        }
    }

    /// Writes the set into an evidence document ([`ParameterSet::into_evidence`]), with the
    /// parameters of `scope` in its `parameters` map.
    pub fn insert_into(self, document: &mut Value, scope: &ParameterScope) {
        self.into_evidence().insert_into(document, scope);
    }

    fn integer(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(|parameter| {
            parameter.value.as_i64().or_else(|| {
                parameter
                    .value
                    .as_f64()
                    .filter(|v| v.fract() == 0.0)
                    .map(|v| v as i64)
            })
        })
    }

    /// Remote endpoints that several parameters describe together.
    fn endpoints(&self) -> Vec<ParameterEndpoint> {
        let mut endpoints = self.ardupilot_network_ports();
        endpoints.extend(self.px4_dds_agent());
        endpoints
    }

    /// PX4's MAVLink instances (`MAV_n_CONFIG`, `_MODE`, `_BROADCAST`, `_FORWARD`), with
    /// whether the instance is on a network port (Ethernet 1000, Wi-Fi 301) rather than serial.
    pub fn px4_mavlink_instances(&self) -> Vec<MavlinkInstance> {
        (0..=3u8)
            .filter_map(|instance| {
                let config = self.get(&format!("MAV_{instance}_CONFIG"))?;
                let port = self.integer(&format!("MAV_{instance}_CONFIG"))?;
                if port == 0 {
                    return None;
                }
                let broadcast = self
                    .integer(&format!("MAV_{instance}_BROADCAST"))
                    .or_else(|| self.integer("MAV_BROADCAST"));
                let (line, offset) = config.place.fields();
                Some(MavlinkInstance {
                    instance,
                    port,
                    network: matches!(port, 1000 | 301),
                    mode: self.integer(&format!("MAV_{instance}_MODE")),
                    broadcast,
                    forward: self.integer(&format!("MAV_{instance}_FORWARD")),
                    line,
                    offset,
                })
            })
            .collect()
    }

    /// ArduPilot 4.5+ networking: `NET_Pn_TYPE` 1 UDP client, 2 UDP server, 3 TCP client,
    /// 4 TCP server; `NET_Pn_PROTOCOL` as `SERIALn_PROTOCOL`; address in `NET_Pn_IP0..3`.
    fn ardupilot_network_ports(&self) -> Vec<ParameterEndpoint> {
        if self.integer("NET_ENABLE") != Some(1) {
            return Vec::new();
        }
        (1..=9)
            .filter_map(|port| {
                let prefix = format!("NET_P{port}_");
                let type_parameter = self.get(&format!("{prefix}TYPE"))?;
                let (kind, mode) = match self.integer(&format!("{prefix}TYPE"))? {
                    1 => ("udp", "client"),
                    2 => ("udp", "server"),
                    3 => ("tcp", "client"),
                    4 => ("tcp", "server"),
                    _ => return None,
                };
                let octets: Option<Vec<u8>> = (0..4)
                    .map(|index| {
                        self.integer(&format!("{prefix}IP{index}"))
                            .and_then(|octet| u8::try_from(octet).ok())
                    })
                    .collect();
                let address =
                    octets.map(|octets| Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]));
                let (line, offset) = type_parameter.place.fields();
                Some(ParameterEndpoint {
                    name: format!("NET_P{port}"),
                    r#type: kind,
                    mode,
                    protocol: Some(self.integer(&format!("{prefix}PROTOCOL"))),
                    port: self.integer(&format!("{prefix}PORT")),
                    address: address.map(|address| address.to_string()),
                    scope: address.map(|address| net::scope(IpAddr::V4(address))),
                    line,
                    offset,
                    policy: None,
                })
            })
            .collect()
    }

    /// PX4's uXRCE-DDS client: the agent's IPv4 address packed big-endian into the int32
    /// `UXRCE_DDS_AG_IP`, used when `UXRCE_DDS_CFG` puts the client on Ethernet (1000).
    fn px4_dds_agent(&self) -> Option<ParameterEndpoint> {
        let agent = self.get("UXRCE_DDS_AG_IP")?;
        if self.integer("UXRCE_DDS_CFG") != Some(1000) {
            return None;
        }
        let packed = self.integer("UXRCE_DDS_AG_IP")?;
        let address = Ipv4Addr::from(u32::try_from(packed).unwrap_or((packed as i32) as u32));
        let (line, offset) = agent.place.fields();
        Some(ParameterEndpoint {
            name: "UXRCE_DDS_AG_IP".to_owned(),
            r#type: "udp",
            mode: "client",
            protocol: None,
            port: Some(self.integer("UXRCE_DDS_PRT").unwrap_or(8888)),
            address: Some(address.to_string()),
            scope: Some(net::scope(IpAddr::V4(address))),
            line,
            offset,
            policy: None,
        })
    }
}

/// How many of `nodes` are in each family. A file has hundreds of numbered parameters in a
/// few dozen families: they are counted in a hash map, whose families are then sorted once,
/// rather than each looked up in a sorted map.
fn count_families(nodes: &[ParameterNode]) -> BTreeMap<String, u64> {
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for family in nodes.iter().filter_map(|node| node.family.as_deref()) {
        *counts.entry(family).or_insert(0) += 1;
    }
    let mut counted: Vec<(&str, u64)> = counts.into_iter().collect();
    counted.sort_unstable_by(|a, b| a.0.cmp(b.0));
    counted
        .into_iter()
        .map(|(family, count)| (family.to_owned(), count))
        .collect()
}

/// Whether a parameter is a bitmask, by the naming conventions of ArduPilot and PX4.
fn is_bitmask(name: &str) -> bool {
    [
        "_OPTIONS",
        "_OPTS",
        "_BITMASK",
        "_BACKEND",
        "_BACKEND_TYPE",
        "_PROFILE",
    ]
    .iter()
    .any(|suffix| name.ends_with(suffix))
}

/// A numbered parameter's name with each run of digits written `n`; None without digits.
fn family(name: &str) -> Option<String> {
    if !name.bytes().any(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let mut family = String::with_capacity(name.len());
    let mut in_number = false;
    for ch in name.chars() {
        if ch.is_ascii_digit() {
            if !in_number {
                family.push('n');
            }
            in_number = true;
        } else {
            family.push(ch);
            in_number = false;
        }
    }
    Some(family)
}

/// The set bit numbers of a bitmask parameter's value.
fn set_bits(parameter: &Parameter) -> Option<Vec<u32>> {
    if !is_bitmask(&parameter.name) {
        return None;
    }
    let value = parameter.value.as_u64().or_else(|| {
        parameter
            .value
            .as_f64()
            .filter(|v| *v >= 0.0 && v.fract() == 0.0 && *v < 2f64.powi(53))
            .map(|v| v as u64)
    })?;
    Some((0..64).filter(|bit| value & (1u64 << bit) != 0).collect())
}

/// Whether `name` is a valid autopilot parameter name: 1 to 16 capitals, digits and
/// underscores, starting with a capital (MAVLink's `param_id` is 16 characters).
pub fn is_parameter_name(name: &str) -> bool {
    (1..=16).contains(&name.len())
        && name.starts_with(|character: char| character.is_ascii_uppercase())
        && name.chars().all(|character| {
            character.is_ascii_uppercase() || character.is_ascii_digit() || character == '_'
        })
}

/// Parses a parameter value: integers stay integers, other numbers become finite floats.
pub fn parse_value(text: &str) -> Option<Number> {
    let text = text.trim();
    if let Ok(integer) = text.parse::<i64>() {
        return Some(Number::from(integer));
    }
    text.parse::<f64>()
        .ok()
        .filter(|float| float.is_finite())
        .and_then(Number::from_f64)
}

/// A parameter value logged as a float: whole numbers become integers (a log stores
/// `SYSID_ENFORCE 1` as `1.0`), others stay finite floats.
pub fn number_from_float(value: f64) -> Option<Number> {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        Some(Number::from(value as i64))
    } else {
        Number::from_f64(value)
    }
}

/// Where a parameter file comes in a device's configuration: numbered files (`00_default.param`,
/// `02_…`) first, by their number, then the others; ties by file name, then by path.
fn application_order(path: &str) -> (u64, String, String) {
    let name = std::path::Path::new(path)
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or(path);
    let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
    // Numbers too long for u64 still sort before unnumbered files.
    let number = if digits.is_empty() {
        u64::MAX
    } else {
        digits.parse().unwrap_or(u64::MAX - 1)
    };
    (number, name.to_owned(), path.to_owned())
}

/// Where a parameter node was set, as `path:line` (or `path@offset` in a binary file).
fn setting_place(path: &str, node: &Value) -> String {
    match (node.get("line"), node.get("offset")) {
        (Some(line), _) => format!("{path}:{line}"),
        (None, Some(offset)) => format!("{path}@{offset}"),
        (None, None) => path.to_owned(),
    }
}

/// Applies a device's parameter files (ArduPilot `.param`/`.parm`, QGroundControl `.params`)
/// as one configuration, in a deterministic order: numbered file names first, by their
/// number, then the other files, each group by name ([`application_order`]). Files of
/// different autopilots (`autopilot`: ArduPilot, PX4) are separate configurations.
///
/// Each parameter whose value a later file sets again gets `superseded_by: "path:line"`, the
/// place of the value that stands, so rules about a parameter's value skip it
/// (`!@.superseded_by`) and a finding is reported once, where the final value was set. Each
/// document gets `configuration: {position, files}`, its 1-based place in that order. Derived
/// nodes (`endpoints`, `mavlink_instances`) and conditions across parameters of different
/// files are not merged. Other artifacts are left alone; so is a lone parameter file.
pub fn apply_in_order<'a>(
    artifacts: impl IntoIterator<Item = (&'a str, Option<ArtifactKind>, Option<&'a mut Evidence>)>,
) {
    let mut files: Vec<(&str, &mut Value)> = artifacts
        .into_iter()
        .filter(|(_, kind, _)| {
            matches!(
                kind,
                Some(ArtifactKind::ArdupilotParams | ArtifactKind::QgcParams)
            )
        })
        .filter_map(|(path, _, evidence)| Some((path, &mut evidence?.document)))
        .collect();
    files.sort_by_cached_key(|(path, _)| application_order(path));
    let mut by_autopilot: BTreeMap<String, Vec<(&str, &mut Value)>> = BTreeMap::new();
    for (path, document) in files {
        let autopilot = document
            .get("autopilot")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        by_autopilot
            .entry(autopilot)
            .or_default()
            .push((path, document));
    }
    for configuration in by_autopilot.into_values() {
        if configuration.len() > 1 {
            mark_superseded(configuration);
        }
    }
}

/// Marks, in files given in the order they apply, each parameter a later file sets again.
fn mark_superseded(mut configuration: Vec<(&str, &mut Value)>) {
    // The place of each parameter's final value.
    let mut final_place: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for (index, (path, document)) in configuration.iter().enumerate() {
        let Some(parameters) = document.get("parameters").and_then(Value::as_object) else {
            continue;
        };
        for (name, node) in parameters {
            final_place.insert(name.clone(), (index, setting_place(path, node)));
        }
    }
    let files = configuration.len();
    for (index, (_, document)) in configuration.iter_mut().enumerate() {
        document["configuration"] = json!({"position": index + 1, "files": files});
        let Some(parameters) = document
            .get_mut("parameters")
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        for (name, node) in parameters.iter_mut() {
            match (final_place.get(name), node.as_object_mut()) {
                (Some((final_index, place)), Some(node)) if *final_index != index => {
                    node.insert("superseded_by".to_owned(), Value::String(place.clone()));
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param_file(text: &str) -> Evidence {
        use crate::analyze::Analyzer;
        crate::analyze::ardupilot_params::ArdupilotParamsAnalyzer
            .analyze(text.as_bytes())
            .expect("a parameter file")
    }

    #[test]
    fn a_devices_parameter_files_apply_in_number_then_name_order() {
        let mut default = param_file("LOG_DISARMED,0\nSERIAL1_PROTOCOL,1\nSYSID_ENFORCE,0\n");
        let mut setup = param_file("BRD_HEAT_TARG,65\nLOG_DISARMED,1\n");
        let mut finish = param_file("BRD_HEAT_TARG,45\nLOG_DISARMED,0\n");
        let mut telemetry = param_file("SERIAL1_PROTOCOL,1\n");
        let mut unnumbered = param_file("SYSID_ENFORCE,1\n");
        let mut notes = crate::analyze::Evidence {
            kind: ArtifactKind::Profile,
            document: json!({"parameters": {"LOG_DISARMED": {"value": 1, "line": 1}}}),
            lines: Default::default(),
            warnings: Vec::new(),
            incomplete: None,
        };
        let params = Some(ArtifactKind::ArdupilotParams);
        // Given out of order: the order comes from the names (10 after 4, not after 1).
        apply_in_order([
            ("tarot/zz_backup.param", params, Some(&mut unnumbered)),
            ("tarot/10_telemetry.param", params, Some(&mut telemetry)),
            ("tarot/04_finish.param", params, Some(&mut finish)),
            (
                "tarot/profile.json",
                Some(ArtifactKind::Profile),
                Some(&mut notes),
            ),
            ("tarot/00_default.param", params, Some(&mut default)),
            ("tarot/02_setup.param", params, None),
            ("tarot/02_setup.param", params, Some(&mut setup)),
        ]);
        let superseded = |evidence: &Evidence, name: &str| {
            evidence.document["parameters"][name]
                .get("superseded_by")
                .cloned()
                .unwrap_or(Value::Null)
        };
        assert_eq!(
            superseded(&default, "LOG_DISARMED"),
            "tarot/04_finish.param:2"
        );
        assert_eq!(
            superseded(&setup, "LOG_DISARMED"),
            "tarot/04_finish.param:2"
        );
        assert_eq!(superseded(&finish, "LOG_DISARMED"), Value::Null);
        assert_eq!(
            superseded(&setup, "BRD_HEAT_TARG"),
            "tarot/04_finish.param:1"
        );
        assert_eq!(
            superseded(&default, "SERIAL1_PROTOCOL"),
            "tarot/10_telemetry.param:1",
            "a repeat of the same value is reported once, at the last file"
        );
        assert_eq!(superseded(&telemetry, "SERIAL1_PROTOCOL"), Value::Null);
        assert_eq!(
            superseded(&default, "SYSID_ENFORCE"),
            "tarot/zz_backup.param:1",
            "unnumbered files come after the numbered ones"
        );
        assert_eq!(
            default.document["configuration"],
            json!({"position": 1, "files": 5})
        );
        assert_eq!(unnumbered.document["configuration"]["position"], 5);
        assert!(notes.document["parameters"]["LOG_DISARMED"]
            .get("superseded_by")
            .is_none());
        assert!(notes.document.get("configuration").is_none());
    }

    #[test]
    fn a_lone_file_or_another_autopilots_file_is_left_alone() {
        let mut ardupilot = param_file("LOG_DISARMED,1\n");
        let mut px4 = param_file("LOG_DISARMED,0\n");
        px4.document["autopilot"] = json!("px4");
        apply_in_order([
            (
                "a/00_ardupilot.param",
                Some(ArtifactKind::ArdupilotParams),
                Some(&mut ardupilot),
            ),
            (
                "a/01_px4.params",
                Some(ArtifactKind::QgcParams),
                Some(&mut px4),
            ),
        ]);
        assert!(ardupilot.document["parameters"]["LOG_DISARMED"]
            .get("superseded_by")
            .is_none());
        assert!(ardupilot.document.get("configuration").is_none());
        assert_eq!(
            application_order("x/99999999999999999999999_a.param").0,
            u64::MAX - 1
        );
        assert_eq!(application_order("x/a.param").0, u64::MAX);
    }

    #[test]
    fn logged_floats_become_integers_when_whole() {
        assert_eq!(number_from_float(1.0), Some(Number::from(1)));
        assert_eq!(number_from_float(-3.0), Some(Number::from(-3)));
        assert_eq!(number_from_float(0.5), Number::from_f64(0.5));
        assert_eq!(number_from_float(f64::NAN), None);
    }

    #[test]
    fn names_follow_mavlink_param_ids() {
        assert!(is_parameter_name("SYSID_ENFORCE"));
        assert!(is_parameter_name("SERIAL0_PROTOCOL"));
        assert!(!is_parameter_name("sysid_enforce"));
        assert!(!is_parameter_name("_X"));
        assert!(!is_parameter_name("A_NAME_LONGER_THAN_16"));
    }

    #[test]
    fn values_keep_their_kind() {
        assert_eq!(parse_value("0"), Some(Number::from(0)));
        assert_eq!(parse_value("-1"), Some(Number::from(-1)));
        assert_eq!(parse_value("0.390000").and_then(|n| n.as_f64()), Some(0.39));
        assert_eq!(parse_value("1e-05").and_then(|n| n.as_f64()), Some(0.00001));
        assert_eq!(parse_value("nan"), None);
        assert_eq!(parse_value("yes"), None);
    }

    fn set_of(parameters: &[(&str, i64)]) -> ParameterSet {
        ParameterSet::new(
            parameters
                .iter()
                .enumerate()
                .map(|(line, (name, value))| Parameter {
                    name: (*name).to_owned(),
                    value: (*value).into(),
                    place: Place::Line(line as u32 + 1),
                    r#type: None,
                    component_id: None,
                })
                .collect(),
        )
    }

    #[test]
    fn numbered_parameters_carry_their_family() {
        assert_eq!(
            family("SERIAL2_PROTOCOL").as_deref(),
            Some("SERIALn_PROTOCOL")
        );
        assert_eq!(family("EK3_SRC1_POSXY").as_deref(), Some("EKn_SRCn_POSXY"));
        assert_eq!(family("MAV_0_CONFIG").as_deref(), Some("MAV_n_CONFIG"));
        assert_eq!(family("NET_P10_IP0").as_deref(), Some("NET_Pn_IPn"));
        assert_eq!(family("SYSID_ENFORCE"), None);
    }

    #[test]
    fn families_are_counted_once_for_every_instance() {
        let mut document = json!({});
        set_of(&[
            ("SERIAL2_PROTOCOL", 2),
            ("SERIAL1_PROTOCOL", 1),
            ("EK3_SRC1_POSXY", 3),
            ("SYSID_ENFORCE", 1),
        ])
        .insert_into(&mut document, &ParameterScope::All);
        assert_eq!(
            document["families"],
            json!({"SERIALn_PROTOCOL": 2, "EKn_SRCn_POSXY": 1})
        );
        assert_eq!(
            document["parameters"]["SERIAL2_PROTOCOL"]["family"],
            "SERIALn_PROTOCOL"
        );
        assert!(document["parameters"]["SYSID_ENFORCE"]
            .get("family")
            .is_none());
    }

    #[test]
    fn bitmask_parameters_carry_their_set_bits() {
        let set = set_of(&[
            ("MAV1_OPTIONS", 5),
            ("LOG_BACKEND_TYPE", 3),
            ("SYSID_ENFORCE", 1),
        ]);
        let mut document = json!({});
        set.insert_into(&mut document, &ParameterScope::All);
        let json = &document["parameters"];
        assert_eq!(json["MAV1_OPTIONS"]["bits"], json!([0, 2]));
        assert_eq!(json["LOG_BACKEND_TYPE"]["bits"], json!([0, 1]));
        assert!(json["SYSID_ENFORCE"].get("bits").is_none());
    }

    #[test]
    fn ardupilot_network_ports_become_endpoints() {
        let set = set_of(&[
            ("NET_ENABLE", 1),
            ("NET_P1_TYPE", 1),
            ("NET_P1_PROTOCOL", 2),
            ("NET_P1_IP0", 52),
            ("NET_P1_IP1", 28),
            ("NET_P1_IP2", 114),
            ("NET_P1_IP3", 9),
            ("NET_P1_PORT", 14550),
            ("NET_P2_TYPE", 0),
        ]);
        let endpoints = set.endpoints();
        assert_eq!(endpoints.len(), 1);
        assert_eq!(endpoints[0].address.as_deref(), Some("52.28.114.9"));
        assert_eq!(endpoints[0].scope, Some(net::AddressScope::Public));
        assert_eq!(endpoints[0].mode, "client");
        assert_eq!(endpoints[0].line, Some(2));
        assert!(set_of(&[("NET_ENABLE", 0), ("NET_P1_TYPE", 1)])
            .endpoints()
            .is_empty());
    }

    #[test]
    fn px4_dds_agent_address_is_unpacked() {
        // 192.168.1.2 packed big-endian and read as a signed int32, as PX4's docs give it.
        let set = set_of(&[("UXRCE_DDS_CFG", 1000), ("UXRCE_DDS_AG_IP", -1062731518)]);
        let endpoints = set.endpoints();
        assert_eq!(endpoints[0].address.as_deref(), Some("192.168.1.2"));
        assert_eq!(endpoints[0].scope, Some(net::AddressScope::Private));
        assert_eq!(endpoints[0].port, Some(8888));
        assert!(
            set_of(&[("UXRCE_DDS_CFG", 102), ("UXRCE_DDS_AG_IP", 2130706433)])
                .endpoints()
                .is_empty()
        );
    }

    #[test]
    fn px4_mavlink_instances_say_which_are_on_a_network() {
        let set = set_of(&[
            ("MAV_0_CONFIG", 101),
            ("MAV_0_BROADCAST", 1),
            ("MAV_1_CONFIG", 1000),
            ("MAV_1_BROADCAST", 1),
            ("MAV_2_CONFIG", 0),
        ]);
        let instances = set.px4_mavlink_instances();
        assert_eq!(instances.len(), 2);
        assert_eq!((instances[0].network, instances[1].network), (false, true));
        assert_eq!(instances[1].broadcast, Some(1));
    }

    #[test]
    fn later_duplicates_win_with_a_warning() {
        let parameter = |name: &str, value: i64, line: u32| Parameter {
            name: name.into(),
            value: value.into(),
            place: Place::Line(line),
            r#type: None,
            component_id: None,
        };
        let set = ParameterSet::new(vec![
            parameter("LOG_DISARMED", 0, 3),
            parameter("ARMING_CHECK", 1, 4),
            parameter("ARMING_CHECK", 0, 5),
            parameter("LOG_DISARMED", 1, 9),
            parameter("LOG_DISARMED", 2, 12),
        ]);
        assert_eq!(set.len(), 2);
        assert_eq!(
            set.get("LOG_DISARMED").map(|p| p.place),
            Some(Place::Line(12))
        );
        assert_eq!(
            set.get("ARMING_CHECK").map(|p| p.place),
            Some(Place::Line(5))
        );
        assert!(set.get("SYSID_ENFORCE").is_none());
        // In the order of the file, each naming the one it replaces.
        assert_eq!(set.warnings.len(), 3);
        assert!(set.warnings[0].starts_with("line 5: ARMING_CHECK set again (first on line 4)"));
        assert!(set.warnings[1].starts_with("line 9: LOG_DISARMED set again (first on line 3)"));
        assert!(set.warnings[2].starts_with("line 12: LOG_DISARMED set again (first on line 9)"));
    }
}
