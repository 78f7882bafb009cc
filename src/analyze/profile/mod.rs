//! Device profiles: identification and analysis of the vendor-neutral profile format.
//!
//! A profile is JSON or TOML whose top level has an `identity` table and at least one other
//! section of [`evidence::Profile`]. Types are checked strictly (a wrong type is an error
//! naming the field's path); unknown fields are warnings, so a newer profile still scans.

pub mod evidence;

use crate::analyze::source::{parse_json, parse_toml, serde_path_to_pointer, StructuredSource};
use crate::analyze::{AnalyzeError, Analyzer, ArtifactKind, Evidence};
use evidence::Profile;
use serde_json::Value;

/// Sections a profile may have besides `identity`.
const SECTIONS: [&str; 5] = ["firmware", "controllers", "storage", "links", "access"];

pub struct ProfileAnalyzer;

impl Analyzer for ProfileAnalyzer {
    fn kind(&self) -> ArtifactKind {
        ArtifactKind::Profile
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["json", "toml"]
    }

    fn identify(&self, content: &[u8]) -> bool {
        parse_source(content).is_ok_and(|source| looks_like_profile(&source.value))
    }

    fn analyze(&self, content: &[u8]) -> Result<Evidence, AnalyzeError> {
        let source = parse_source(content)?;
        let mut warnings = Vec::new();
        let mut profile = deserialize_profile(&source, &mut warnings)?;
        complete(&mut profile);
        let document = serde_json::to_value(&profile)
            .map_err(|error| AnalyzeError::new(format!("cannot serialise profile: {error}")))?;
        Ok(Evidence {
            kind: ArtifactKind::Profile,
            document,
            lines: source.lines,
            warnings,
        })
    }
}

/// Reads the text as JSON when it starts like JSON, else as TOML.
fn parse_source(content: &[u8]) -> Result<StructuredSource, AnalyzeError> {
    let text = std::str::from_utf8(content)
        .map_err(|error| AnalyzeError::new(format!("not UTF-8 text: {error}")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let parsed = if text.trim_start().starts_with('{') {
        parse_json(text)
    } else {
        parse_toml(text)
    };
    parsed.map_err(|error| AnalyzeError::new(error.to_string()))
}

fn looks_like_profile(value: &Value) -> bool {
    let Some(top) = value.as_object() else {
        return false;
    };
    top.get("identity").is_some_and(Value::is_object)
        && SECTIONS.iter().any(|section| top.contains_key(*section))
}

/// Deserialises strictly, naming the path of a field of the wrong type and collecting the
/// paths of unknown fields as warnings.
fn deserialize_profile(
    source: &StructuredSource,
    warnings: &mut Vec<String>,
) -> Result<Profile, AnalyzeError> {
    let mut unknown: Vec<String> = Vec::new();
    let mut note_unknown = |path: serde_ignored::Path| unknown.push(path.to_string());
    let ignoring = serde_ignored::Deserializer::new(&source.value, &mut note_unknown);
    let result: Result<Profile, _> = serde_path_to_error::deserialize(ignoring);
    for path in unknown {
        let line = source.lines.line_of(&serde_path_to_pointer(&path));
        let at = line
            .map(|line| format!(" (line {line})"))
            .unwrap_or_default();
        warnings.push(format!("unknown field `{path}`{at} ignored"));
    }
    result.map_err(|error| {
        let path = error.path().to_string();
        let line = source.lines.line_of(&serde_path_to_pointer(&path));
        let at = line
            .map(|line| format!(" (line {line})"))
            .unwrap_or_default();
        AnalyzeError {
            message: format!("field `{path}`{at}: {}", error.inner()),
            line,
        }
    })
}

/// Fills in what the profile implies but need not say.
fn complete(profile: &mut Profile) {
    for medium in &mut profile.storage {
        medium
            .removable
            .get_or_insert(medium.medium.removable_by_default());
    }
    if let Some(access) = &mut profile.access {
        let purposes = [
            ("activation", &mut access.activation),
            ("pairing", &mut access.pairing),
            ("storage", &mut access.storage),
            ("app", &mut access.app),
        ];
        for (purpose, credential) in purposes {
            if let Some(credential) = credential {
                credential.purpose = purpose.to_owned();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML_PROFILE: &str = r#"
[identity]
vendor = "DJI"
model = "Mavic 2 Enterprise"

[[storage]]
medium = "sd-card"
present = true

[access.pairing]
password = true
min_length = 6
"#;

    #[test]
    fn toml_profile_becomes_evidence_with_defaults_filled_in() {
        let evidence = ProfileAnalyzer.analyze(TOML_PROFILE.as_bytes()).unwrap();
        assert_eq!(evidence.document["identity"]["model"], "Mavic 2 Enterprise");
        assert_eq!(evidence.document["storage"][0]["removable"], true);
        assert_eq!(evidence.document["access"]["pairing"]["purpose"], "pairing");
        assert!(
            evidence.document["storage"][0].get("encrypted").is_none(),
            "unstated stays absent"
        );
        assert_eq!(evidence.lines.line_of("/storage/0/present"), Some(8));
        assert!(evidence.warnings.is_empty());
    }

    #[test]
    fn wrong_type_names_the_field_path_and_line() {
        let text = "{\n \"identity\": {\"vendor\": \"DJI\", \"model\": \"M\"},\n \"controllers\": [\n  {\"name\": \"RC\", \"kind\": \"phone\",\n   \"apps\": [{\"name\": \"DJI Pilot\", \"local_data_mode\": \"yes\"}]}\n ]\n}";
        assert!(ProfileAnalyzer.identify(text.as_bytes()));
        let error = ProfileAnalyzer.analyze(text.as_bytes()).unwrap_err();
        assert!(
            error
                .message
                .starts_with("field `controllers[0].apps[0].local_data_mode` (line 5)"),
            "{error}"
        );
        assert!(error.message.contains("expected a boolean"), "{error}");
    }

    #[test]
    fn unknown_fields_are_warnings() {
        let text = "[identity]\nvendor = \"Parrot\"\nmodel = \"Anafi\"\ncolour = \"grey\"\n[[links]]\nname = \"Wi-Fi\"\n";
        let evidence = ProfileAnalyzer.analyze(text.as_bytes()).unwrap();
        assert_eq!(
            evidence.warnings,
            vec!["unknown field `identity.colour` (line 4) ignored"]
        );
    }

    #[test]
    fn identification_needs_identity_and_a_section() {
        assert!(!ProfileAnalyzer.identify(b"[identity]\nvendor = \"x\"\n"));
        assert!(!ProfileAnalyzer.identify(b"[package]\nname = \"x\"\n[dependencies]\n"));
        assert!(!ProfileAnalyzer.identify(b"\xff\xfe binary"));
        assert!(ProfileAnalyzer.identify(b"{\"identity\": {}, \"links\": []}"));
    }
}
