//! ArduPilot parameter files: Mission Planner's `NAME,VALUE` (`.param`) and MAVProxy's
//! `NAME VALUE` (`.parm`, `.param`), with `#` comments.
//!
//! A file is identified when its first meaningful lines are nearly all `NAME<sep>VALUE` with
//! a MAVLink parameter name and a number. Lines that are not are warnings naming the line;
//! a file with no parameter at all is an error. The evidence shape is shared with
//! QGroundControl files ([`crate::analyze::parameters`]).

use crate::analyze::parameters::{
    is_parameter_name, parse_value, Parameter, ParameterSet, ParametersEvidence, Place,
};
use crate::analyze::text;
use crate::analyze::{AnalyzeError, AnalyzeOptions, Analyzer, ArtifactKind, Evidence};

pub struct ArdupilotParamsAnalyzer;

/// How many of the first meaningful lines identification reads.
const SNIFF_LINES: usize = 20;

/// The two ways ArduPilot tools write a parameter line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineFormat {
    /// Mission Planner: `NAME,VALUE`.
    Comma,
    /// MAVProxy: `NAME VALUE`, spaces or tabs, maybe a `# comment` after.
    Whitespace,
}

/// Splits a parameter line (comment already removed) into name, value and format.
fn split_line(line: &str) -> Option<(&str, &str, LineFormat)> {
    if let Some((name, value)) = text::split_once_ascii(line, b',') {
        return Some((name.trim(), value.trim(), LineFormat::Comma));
    }
    let mut fields = line.split_whitespace();
    let name = fields.next()?;
    let value = fields.next()?;
    fields
        .next()
        .is_none()
        .then_some((name, value, LineFormat::Whitespace))
}

fn is_parameter_line(line: &str) -> bool {
    split_line(line)
        .is_some_and(|(name, value, _)| is_parameter_name(name) && parse_value(value).is_some())
}

impl Analyzer for ArdupilotParamsAnalyzer {
    fn kind(&self) -> ArtifactKind {
        ArtifactKind::ArdupilotParams
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["param", "parm"]
    }

    fn identify(&self, content: &[u8]) -> bool {
        let lines = text::sniff(content, &['#'], SNIFF_LINES);
        let matching = lines
            .iter()
            .filter(|line| is_parameter_line(text::strip_comment(line, '#')))
            .count();
        // A few parameters at least, and nearly every line one: tolerate a stray line.
        matching >= 3.min(lines.len()).max(1) && matching * 10 >= lines.len() * 9
    }

    fn analyze_with_options(
        &self,
        content: &[u8],
        options: AnalyzeOptions<'_>,
    ) -> Result<Evidence, AnalyzeError> {
        let text = text::decode(content)?;
        let mut stated = Vec::new();
        let mut warnings = Vec::new();
        let (mut comma_lines, mut whitespace_lines) = (0usize, 0usize);
        for line in text::lines(text) {
            let line = line?;
            let body = text::strip_comment(line.text, '#');
            if body.is_empty() {
                continue;
            }
            let Some((name, value_text, format)) = split_line(body) else {
                warnings.push(format!(
                    "line {}: not a `NAME,VALUE` or `NAME VALUE` parameter line, skipped",
                    line.number
                ));
                continue;
            };
            if !is_parameter_name(name) {
                warnings.push(format!(
                    "line {}: `{name}` is not a parameter name, skipped",
                    line.number
                ));
                continue;
            }
            let Some(value) = parse_value(value_text) else {
                warnings.push(format!(
                    "line {}: {name} has value `{value_text}`, not a finite number; skipped",
                    line.number
                ));
                continue;
            };
            match format {
                LineFormat::Comma => comma_lines += 1,
                LineFormat::Whitespace => whitespace_lines += 1,
            }
            stated.push(Parameter {
                name: name.to_owned(),
                value,
                place: Place::Line(line.number),
                r#type: None,
                component_id: None,
            });
        }
        let mut parameters = ParameterSet::new(stated);
        if parameters.is_empty() {
            return Err(AnalyzeError::new("no parameter line found"));
        }
        let format = match (comma_lines, whitespace_lines) {
            (_, 0) => "mission-planner",
            (0, _) => "mavproxy",
            _ => "mixed",
        };
        let mut duplicate_warnings = std::mem::take(&mut parameters.warnings);
        warnings.append(&mut duplicate_warnings);
        let evidence = ParametersEvidence {
            autopilot: "ardupilot",
            format,
            header: None,
            vehicle_ids: None,
            mavlink_instances: None,
            parameters: parameters.into_evidence(),
            configuration: None,
        };
        Ok(Evidence {
            incomplete: None,
            kind: ArtifactKind::ArdupilotParams,
            document: evidence.into_document(options.parameters),
            lines: Default::default(),
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ardupilot_formats_are_read() {
        let mission_planner = b"#NOTE: 03/02/2025 Frame : Plane\nSYSID_ENFORCE,0\nSYSID_MYGCS,255\nSERIAL1_PROTOCOL,2\nRLL2SRV_P,0.390000\n";
        let mavproxy =
            b"SYSID_ENFORCE    0\nSYSID_MYGCS      255   # the GCS\nSERIAL1_PROTOCOL 2\n";
        for (content, format) in [
            (&mission_planner[..], "mission-planner"),
            (&mavproxy[..], "mavproxy"),
        ] {
            assert!(ArdupilotParamsAnalyzer.identify(content));
            let evidence = ArdupilotParamsAnalyzer.analyze(content).unwrap();
            assert_eq!(evidence.document["format"], format);
            assert_eq!(evidence.document["parameters"]["SYSID_ENFORCE"]["value"], 0);
            assert_eq!(evidence.document["parameters"]["SYSID_MYGCS"]["value"], 255);
        }
        let evidence = ArdupilotParamsAnalyzer.analyze(mission_planner).unwrap();
        assert_eq!(evidence.document["parameters"]["SYSID_ENFORCE"]["line"], 2);
        assert_eq!(evidence.document["parameters"]["RLL2SRV_P"]["value"], 0.39);
    }

    #[test]
    fn other_text_is_not_taken_for_parameters() {
        assert!(!ArdupilotParamsAnalyzer.identify(b"ssid=Drone_Wifi\nchannel=6\nhw_mode=g\n"));
        assert!(!ArdupilotParamsAnalyzer.identify(b"Port 22\nPermitRootLogin yes\nUsePAM yes\n"));
        assert!(!ArdupilotParamsAnalyzer
            .identify(b"1\t1\tMAV_SYS_ID\t1\t6\n1\t1\tMAV_TYPE\t2\t6\n1\t1\tX\t3\t6\n"));
        assert!(!ArdupilotParamsAnalyzer.identify(b"\x00\x01\x02 binary"));
        assert!(!ArdupilotParamsAnalyzer.identify(b""));
    }

    #[test]
    fn bad_lines_are_warnings_and_an_empty_file_an_error() {
        let evidence = ArdupilotParamsAnalyzer
            .analyze(b"SYSID_ENFORCE 0\nthis is not a parameter\nLOG_DISARMED yes\n")
            .unwrap();
        assert_eq!(evidence.warnings.len(), 2);
        assert!(evidence.warnings[0].starts_with("line 2:"));
        assert!(evidence.warnings[1].contains("LOG_DISARMED has value `yes`"));
        assert!(ArdupilotParamsAnalyzer
            .analyze(b"# only a comment\n")
            .is_err());
        assert!(ArdupilotParamsAnalyzer
            .analyze(b"SYSID_ENFORCE 0\n\0")
            .is_err());
    }

    #[test]
    fn damn_vulnerable_drone_parameters() {
        let Some(content) = crate::test_prerequisites::corpus_bytes("dvd/drone.parm") else {
            return;
        };
        assert!(ArdupilotParamsAnalyzer.identify(&content));
        let evidence = ArdupilotParamsAnalyzer.analyze(&content).unwrap();
        let parameters = &evidence.document["parameters"];
        assert_eq!(evidence.document["format"], "mavproxy");
        assert_eq!(parameters["SYSID_ENFORCE"]["value"], 0);
        assert_eq!(parameters["SYSID_MYGCS"]["value"], 255);
        assert_eq!(parameters["FENCE_ENABLE"]["value"], 0);
        assert_eq!(parameters["SERIAL0_PROTOCOL"]["value"], 2);
        assert_eq!(parameters["SERIAL3_PROTOCOL"]["value"], 5);
        assert_eq!(parameters["LOG_BITMASK"]["value"], 176126);
        assert!(evidence.document["parameter_count"].as_u64().unwrap() > 1300);
        assert!(evidence.warnings.is_empty(), "{:?}", evidence.warnings);
    }
}
