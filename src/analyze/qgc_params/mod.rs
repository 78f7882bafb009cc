//! QGroundControl parameter files (`.params`): a `#` comment header (stack, vehicle type,
//! version, git revision) and one tab-separated line per parameter: vehicle id, component
//! id, name, value, MAVLink type. QGroundControl writes them for PX4 and ArduPilot alike;
//! the header's `Stack:` says which.
//!
//! The evidence shape is shared with ArduPilot's own files
//! ([`crate::analyze::parameters`]), plus `header` and `vehicle_ids`.

use crate::analyze::parameters::{
    is_parameter_name, parse_value, Parameter, ParameterSet, ParametersEvidence, Place, QgcHeader,
};
use crate::analyze::text;
use crate::analyze::{AnalyzeError, AnalyzeOptions, Analyzer, ArtifactKind, Evidence};
use std::collections::BTreeSet;

pub struct QgcParamsAnalyzer;

const SNIFF_LINES: usize = 20;

/// `MAV_PARAM_TYPE` names by value (MAVLink common.xml).
fn param_type_name(code: u8) -> Option<&'static str> {
    Some(match code {
        1 => "uint8",
        2 => "int8",
        3 => "uint16",
        4 => "int16",
        5 => "uint32",
        6 => "int32",
        7 => "uint64",
        8 => "int64",
        9 => "real32",
        10 => "real64",
        _ => return None,
    })
}

/// One table row: vehicle id, component id, name, value, type.
struct Row<'a> {
    vehicle_id: u8,
    component_id: u8,
    name: &'a str,
    value: &'a str,
    type_code: u8,
}

/// The five fields of a row, or how many fields there are when not five. A row is read for
/// every parameter: its fields are not collected into a list.
fn five_fields<'a>(fields: impl Iterator<Item = &'a str>) -> Result<[&'a str; 5], usize> {
    let mut five = [""; 5];
    let mut count = 0;
    for field in fields {
        if let Some(slot) = five.get_mut(count) {
            *slot = field;
        }
        count += 1;
    }
    if count == 5 {
        Ok(five)
    } else {
        Err(count)
    }
}

fn parse_row(line: &str) -> Result<Row<'_>, String> {
    let fields = five_fields(text::split_ascii(line, b'\t').map(str::trim))
        .or_else(|_| five_fields(line.split_whitespace()));
    let [vehicle_id, component_id, name, value, type_code] = match fields {
        Ok(fields) => fields,
        Err(count) => {
            return Err(format!(
                "{count} fields where a parameter line has 5 (vehicle id, component id, name, value, type)"
            ))
        }
    };
    let number = |field: &str, what: &str| {
        field
            .parse::<u8>()
            .map_err(|_| format!("{what} `{field}` is not a number from 0 to 255"))
    };
    Ok(Row {
        vehicle_id: number(vehicle_id, "vehicle id")?,
        component_id: number(component_id, "component id")?,
        name,
        value,
        type_code: number(type_code, "type")?,
    })
}

fn is_parameter_row(line: &str) -> bool {
    parse_row(line).is_ok_and(|row| {
        is_parameter_name(row.name)
            && parse_value(row.value).is_some()
            && param_type_name(row.type_code).is_some()
    })
}

impl Analyzer for QgcParamsAnalyzer {
    fn kind(&self) -> ArtifactKind {
        ArtifactKind::QgcParams
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["params"]
    }

    fn identify(&self, content: &[u8]) -> bool {
        let lines = text::sniff(content, &['#'], SNIFF_LINES);
        let matching = lines.iter().filter(|line| is_parameter_row(line)).count();
        matching >= 3.min(lines.len()).max(1) && matching * 10 >= lines.len() * 9
    }

    fn analyze_with_options(
        &self,
        content: &[u8],
        options: AnalyzeOptions<'_>,
    ) -> Result<Evidence, AnalyzeError> {
        let text = text::decode(content)?;
        let mut header = QgcHeader::default();
        let mut stated = Vec::new();
        let mut vehicle_ids = BTreeSet::new();
        let mut warnings = Vec::new();
        for line in text::lines(text) {
            let line = line?;
            let trimmed = line.text.trim();
            if let Some(comment) = trimmed.strip_prefix('#') {
                if let Some((key, value)) = comment.split_once(':') {
                    let key = key.trim().to_ascii_lowercase().replace([' ', '-'], "_");
                    let field = match key.as_str() {
                        "stack" => &mut header.stack,
                        "vehicle" => &mut header.vehicle,
                        "version" => &mut header.version,
                        "git_revision" => &mut header.git_revision,
                        _ => continue,
                    };
                    *field = Some(value.trim().to_owned());
                }
                continue;
            }
            if trimmed.is_empty() {
                continue;
            }
            let row = match parse_row(trimmed) {
                Ok(row) => row,
                Err(fault) => {
                    warnings.push(format!("line {}: {fault}; skipped", line.number));
                    continue;
                }
            };
            let Some(r#type) = param_type_name(row.type_code) else {
                warnings.push(format!(
                    "line {}: {} has unknown MAVLink type {}; skipped",
                    line.number, row.name, row.type_code
                ));
                continue;
            };
            if !is_parameter_name(row.name) {
                warnings.push(format!(
                    "line {}: `{}` is not a parameter name; skipped",
                    line.number, row.name
                ));
                continue;
            }
            let Some(value) = parse_value(row.value) else {
                warnings.push(format!(
                    "line {}: {} has value `{}`, not a finite number; skipped",
                    line.number, row.name, row.value
                ));
                continue;
            };
            vehicle_ids.insert(row.vehicle_id);
            stated.push(Parameter {
                name: row.name.to_owned(),
                value,
                place: Place::Line(line.number),
                r#type: Some(r#type),
                component_id: Some(row.component_id),
            });
        }
        let mut parameters = ParameterSet::new(stated);
        if parameters.is_empty() {
            return Err(AnalyzeError::new("no parameter line found"));
        }
        if vehicle_ids.len() > 1 {
            warnings.push(format!(
                "parameters of {} vehicles in one file: {vehicle_ids:?}",
                vehicle_ids.len()
            ));
        }
        let stack = header
            .stack
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let autopilot = if stack.contains("px4") {
            "px4"
        } else if stack.contains("ardupilot") || parameters.get("SYSID_THISMAV").is_some() {
            "ardupilot"
        } else if parameters.get("MAV_SYS_ID").is_some() {
            "px4"
        } else {
            "unknown"
        };
        let mut duplicate_warnings = std::mem::take(&mut parameters.warnings);
        warnings.append(&mut duplicate_warnings);
        let mavlink_instances = parameters.px4_mavlink_instances();
        let evidence = ParametersEvidence {
            autopilot,
            format: "qgroundcontrol",
            header: Some(header),
            vehicle_ids: Some(vehicle_ids),
            mavlink_instances: Some(mavlink_instances),
            parameters: parameters.into_evidence(),
            configuration: None,
        };
        Ok(Evidence {
            incomplete: None,
            kind: ArtifactKind::QgcParams,
            document: evidence.into_document(options.parameters),
            lines: Default::default(),
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PX4: &str = "# Onboard parameters for Vehicle 1\n#\n# Stack: PX4 Pro\n# Vehicle: Multi-Rotor\n# Version: 1.14.3 \n# Git Revision: 8b2a52d2d5000000\n#\n# Vehicle-Id Component-Id Name Value Type\n1\t1\tMAV_SIGN_CFG\t0\t6\n1\t1\tMAV_SYS_ID\t1\t6\n1\t1\tMPC_XY_VEL_MAX\t12.000000000000000000\t9\n";

    #[test]
    fn px4_table_becomes_parameters_with_header() {
        assert!(QgcParamsAnalyzer.identify(PX4.as_bytes()));
        let evidence = QgcParamsAnalyzer.analyze(PX4.as_bytes()).unwrap();
        assert_eq!(evidence.document["autopilot"], "px4");
        assert_eq!(evidence.document["header"]["version"], "1.14.3");
        assert_eq!(
            evidence.document["header"]["git_revision"],
            "8b2a52d2d5000000"
        );
        let signing = &evidence.document["parameters"]["MAV_SIGN_CFG"];
        assert_eq!(
            (
                signing["value"].as_i64(),
                signing["line"].as_u64(),
                signing["type"].as_str()
            ),
            (Some(0), Some(9), Some("int32"))
        );
        assert_eq!(
            evidence.document["parameters"]["MPC_XY_VEL_MAX"]["value"],
            12.0
        );
        assert!(evidence.warnings.is_empty());
    }

    #[test]
    fn other_files_are_not_taken_for_a_qgc_table() {
        assert!(!QgcParamsAnalyzer.identify(b"SYSID_ENFORCE,0\nSYSID_MYGCS,255\nLOG_DISARMED,0\n"));
        assert!(!QgcParamsAnalyzer.identify(b"root:x:0:0:root:/root:/bin/bash\n"));
        assert!(!QgcParamsAnalyzer.identify(b"1\t2\t3\t4\t5\n1\t2\t3\t4\t5\n1\t2\t3\t4\t5\n"));
    }

    #[test]
    fn malformed_rows_are_warnings_naming_the_line() {
        let text = format!("{PX4}1\t1\tBROKEN\n1\t1\tNAV_DLL_ACT\t2\t99\n");
        let evidence = QgcParamsAnalyzer.analyze(text.as_bytes()).unwrap();
        assert_eq!(evidence.warnings.len(), 2);
        assert!(evidence.warnings[0].starts_with("line 12: 3 fields"));
        assert!(evidence.warnings[1].contains("unknown MAVLink type 99"));
    }

    #[test]
    fn qgroundcontrol_mocklink_parameters() {
        let Some(content) = crate::test_prerequisites::corpus_bytes("qgc/PX4MockLink.params")
        else {
            return;
        };
        assert!(QgcParamsAnalyzer.identify(&content));
        let evidence = QgcParamsAnalyzer.analyze(&content).unwrap();
        let document = &evidence.document;
        assert_eq!(document["autopilot"], "px4");
        assert_eq!(document["header"]["version"], "1.17.0");
        assert_eq!(document["parameter_count"], 1000);
        assert_eq!(document["parameters"]["COM_ARM_AUTH_REQ"]["value"], 0);
        assert_eq!(document["parameters"]["MAV_PROTO_VER"]["value"], 2);
        assert_eq!(document["parameters"]["CBRK_IO_SAFETY"]["value"], 22027);
        assert_eq!(
            document["parameters"]["UXRCE_DDS_AG_IP"]["value"],
            2130706433
        );
        assert!(document["parameters"]
            .as_object()
            .unwrap()
            .keys()
            .all(|name| !name.contains("SIGN")));
        assert!(evidence.warnings.is_empty(), "{:?}", evidence.warnings);
    }
}
