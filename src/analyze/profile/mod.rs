//! Device profiles: identification and analysis of the vendor-neutral profile format.
//!
//! A profile is JSON or TOML whose top level has an `identity` table and at least one other
//! section of [`evidence::Profile`]. Types are checked strictly (a wrong type is an error
//! naming the field's path). An unknown field makes the profile `partial`, with its line and
//! the known field it most resembles: a misspelt key (`local_data_mod = false`) would
//! otherwise drop the fact its rule reads, and the rule would quietly not fire.

pub mod evidence;

use crate::analyze::source::{parse_json, parse_toml, serde_path_to_pointer, StructuredSource};
use crate::analyze::{AnalyzeError, Analyzer, ArtifactKind, Evidence};
use evidence::Profile;
use serde::de::IgnoredAny;

pub struct ProfileAnalyzer;

impl Analyzer for ProfileAnalyzer {
    fn kind(&self) -> ArtifactKind {
        ArtifactKind::Profile
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["json", "toml"]
    }

    fn identify(&self, content: &[u8]) -> bool {
        let Ok(text) = std::str::from_utf8(content) else {
            return false;
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.trim_start().starts_with('{') {
            serde_json::from_str::<TopLevel>(text).is_ok_and(|top| top.is_profile())
        } else {
            toml_top_level_keys(text).is_profile()
        }
    }

    fn analyze_with_options(
        &self,
        content: &[u8],
        _: crate::analyze::AnalyzeOptions<'_>,
    ) -> Result<Evidence, AnalyzeError> {
        let source = parse_source(content)?;
        let mut unknown = Vec::new();
        let mut profile = deserialize_profile(&source, &mut unknown)?;
        check_facts(&profile, &source)?;
        let cut = cut_components(&mut profile);
        complete(&mut profile);
        let document = serde_json::to_value(&profile)
            .map_err(|error| AnalyzeError::new(format!("cannot serialise profile: {error}")))?;
        let incomplete = [unknown_fields_reason(&unknown), cut]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>();
        Ok(Evidence {
            incomplete: (!incomplete.is_empty()).then(|| incomplete.join("; ")),
            kind: ArtifactKind::Profile,
            document,
            lines: source.lines,
            warnings: Vec::new(),
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

/// The top-level keys of a document, read without building it: enough to identify a profile.
#[derive(serde::Deserialize)]
struct TopLevel {
    identity: Option<IgnoredAny>,
    firmware: Option<IgnoredAny>,
    controllers: Option<IgnoredAny>,
    storage: Option<IgnoredAny>,
    links: Option<IgnoredAny>,
    access: Option<IgnoredAny>,
    components: Option<IgnoredAny>,
    vendor_support: Option<IgnoredAny>,
    blue_uas: Option<IgnoredAny>,
}

/// The top-level keys of a TOML text, from its table headers and root-level assignments: a
/// sniff, not a parse (analysis parses strictly and reports a broken profile as an error).
fn toml_top_level_keys(text: &str) -> TopLevel {
    let mut top = TopLevel {
        identity: None,
        firmware: None,
        controllers: None,
        storage: None,
        links: None,
        access: None,
        components: None,
        vendor_support: None,
        blue_uas: None,
    };
    let mut at_root = true;
    for line in text.lines().map(str::trim_start) {
        let key = if let Some(header) = line.strip_prefix('[') {
            at_root = false;
            header.trim_start_matches('[').split([']', '.']).next()
        } else if at_root {
            line.split(['=', '.']).next().filter(|_| line.contains('='))
        } else {
            None
        };
        let slot = match key.map(|key| key.trim().trim_matches('"')) {
            Some("identity") => &mut top.identity,
            Some("firmware") => &mut top.firmware,
            Some("controllers") => &mut top.controllers,
            Some("storage") => &mut top.storage,
            Some("links") => &mut top.links,
            Some("access") => &mut top.access,
            Some("components") => &mut top.components,
            Some("vendor_support") => &mut top.vendor_support,
            Some("blue_uas") => &mut top.blue_uas,
            _ => continue,
        };
        *slot = Some(IgnoredAny);
    }
    top
}

impl TopLevel {
    fn is_profile(&self) -> bool {
        let sections = [
            &self.firmware,
            &self.controllers,
            &self.storage,
            &self.links,
            &self.access,
            &self.components,
            &self.vendor_support,
            &self.blue_uas,
        ];
        self.identity.is_some() && sections.iter().any(|section| section.is_some())
    }
}

/// Unknown fields named in the reason of a partial profile; the rest are counted.
const UNKNOWN_FIELDS_NAMED: usize = 5;

/// Why a profile with unknown fields is only partly assessed: each field, its line, and the
/// known field it most resembles.
fn unknown_fields_reason(unknown: &[String]) -> Option<String> {
    if unknown.is_empty() {
        return None;
    }
    let mut named: Vec<String> = unknown.iter().take(UNKNOWN_FIELDS_NAMED).cloned().collect();
    if unknown.len() > UNKNOWN_FIELDS_NAMED {
        named.push(format!("and {} more", unknown.len() - UNKNOWN_FIELDS_NAMED));
    }
    Some(format!(
        "{}: a misspelt key leaves its rule without the fact it reads, so the profile is assessed only in part",
        named.join("; ")
    ))
}

/// Deserialises strictly, naming the path of a field of the wrong type and collecting each
/// unknown field, with its line and the known field it most resembles, in `unknown`.
fn deserialize_profile(
    source: &StructuredSource,
    unknown_fields: &mut Vec<String>,
) -> Result<Profile, AnalyzeError> {
    let mut unknown: Vec<String> = Vec::new();
    let mut note_unknown = |path: serde_ignored::Path| unknown.push(path.to_string());
    let ignoring = serde_ignored::Deserializer::new(&source.value, &mut note_unknown);
    let result: Result<Profile, _> = serde_path_to_error::deserialize(ignoring);
    for path in unknown {
        let line = source.lines.line_of(&serde_path_to_pointer(&path));
        let key = path.rsplit('.').next().unwrap_or(&path);
        let notes: Vec<String> = [
            line.map(|line| format!("line {line}")),
            similar_field(key).map(|known| format!("did you mean `{known}`?")),
        ]
        .into_iter()
        .flatten()
        .collect();
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join("; "))
        };
        unknown_fields.push(format!("unknown field `{path}`{notes}"));
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
            not_this_kind: false,
        }
    })
}

/// The known profile field most like `key` (a typo's distance: at most 1 edit for short
/// names, 2 from 6 characters, 3 from 12), from every field name of the profile's schema.
fn similar_field(key: &str) -> Option<String> {
    let length = key.chars().count();
    let allowed = match length {
        0..=5 => 1,
        6..=11 => 2,
        _ => 3,
    };
    profile_field_names()
        .iter()
        .map(|known| (strsim::damerau_levenshtein(key, known), known))
        .filter(|(distance, known)| *distance <= allowed && known.as_str() != key)
        .min()
        .map(|(_, known)| known.clone())
}

/// Every property name in the profile's JSON Schema, sorted (made once).
fn profile_field_names() -> &'static [String] {
    static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let schema = schemars::schema_for!(Profile);
        let mut names = Vec::new();
        collect_property_names(schema.as_value(), &mut names);
        names.sort();
        names.dedup();
        names
    })
}

fn collect_property_names(node: &serde_json::Value, names: &mut Vec<String>) {
    match node {
        serde_json::Value::Object(object) => {
            if let Some(serde_json::Value::Object(properties)) = object.get("properties") {
                names.extend(properties.keys().cloned());
            }
            for value in object.values() {
                collect_property_names(value, names);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                collect_property_names(item, names);
            }
        }
        _ => {}
    }
}

/// The most parts a bill of materials may list (a drone system has tens): each is judged under
/// every law and may be a finding under each, so a longer list is cut here, and the profile
/// is partial: rules find what they can in the first parts and none passes (docs/limits.md).
pub const MAX_COMPONENTS: usize = 1_000;

/// Keeps the first [`MAX_COMPONENTS`] parts; says why the profile is partial when it cut any.
fn cut_components(profile: &mut Profile) -> Option<String> {
    let listed = profile.components.len();
    (listed > MAX_COMPONENTS).then(|| {
        profile.components.truncate(MAX_COMPONENTS);
        format!(
            "the bill of materials lists {listed} components, more than the {MAX_COMPONENTS} judged (the cap): the rest were not assessed"
        )
    })
}

/// Checks the facts serde cannot: countries are ISO 3166-1 alpha-2 codes or `unknown`, dates
/// are `YYYY-MM-DD`. A wrong one is an error naming the field and line, like a wrong type.
fn check_facts(profile: &Profile, source: &StructuredSource) -> Result<(), AnalyzeError> {
    let mut faults: Vec<(String, String)> = Vec::new();
    for (index, component) in profile.components.iter().enumerate() {
        let countries = [
            (
                "manufacturer_country",
                Some(&component.manufacturer_country),
            ),
            ("made_in", Some(&component.made_in)),
            ("data_stored_in", component.data_stored_in.as_ref()),
        ];
        for (field, value) in countries {
            if let Some(value) = value.filter(|value| !is_country_or_unknown(value)) {
                faults.push((
                    format!("components[{index}].{field}"),
                    format!("`{value}` is not an ISO 3166-1 alpha-2 country code (e.g. `CN`, `FR`, `US`) or `unknown`"),
                ));
            }
        }
        if component.manufacturer.trim().is_empty() {
            faults.push((
                format!("components[{index}].manufacturer"),
                "empty: write `unknown` when the manufacturer is not known".to_owned(),
            ));
        }
    }
    let dates = [
        (
            "vendor_support.security_updates_until",
            profile
                .vendor_support
                .as_ref()
                .and_then(|support| support.security_updates_until.as_ref()),
        ),
        (
            "vendor_support.checked",
            profile
                .vendor_support
                .as_ref()
                .and_then(|support| support.checked.as_ref()),
        ),
        (
            "blue_uas.claimed_on",
            profile.blue_uas.as_ref().map(|claim| &claim.claimed_on),
        ),
    ];
    for (field, value) in dates {
        if let Some(value) = value.filter(|value| crate::waiver::Date::parse(value).is_none()) {
            faults.push((
                field.to_owned(),
                format!("`{value}` is not a date (YYYY-MM-DD)"),
            ));
        }
    }
    match faults.into_iter().next() {
        None => Ok(()),
        Some((path, problem)) => {
            let line = source.lines.line_of(&serde_path_to_pointer(&path));
            let at = line
                .map(|line| format!(" (line {line})"))
                .unwrap_or_default();
            Err(AnalyzeError {
                message: format!("field `{path}`{at}: {problem}"),
                line,
                not_this_kind: false,
            })
        }
    }
}

/// An ISO 3166-1 alpha-2 code (two capitals: the form, not the register) or `unknown`.
fn is_country_or_unknown(value: &str) -> bool {
    value == evidence::UNKNOWN
        || (value.len() == 2 && value.bytes().all(|byte| byte.is_ascii_uppercase()))
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
    use std::path::Path;

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
    fn the_evidence_follows_its_schema() {
        // Every profile of the samples: JSON and TOML, bills of materials, DJI and PX4 fleets.
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let mut checked = 0;
        for device in std::fs::read_dir(&samples).expect("samples/") {
            let device = device.expect("a sample").path();
            for name in ["profile.json", "profile.toml", "bill-of-materials.toml"] {
                let Ok(content) = std::fs::read(device.join(name)) else {
                    continue;
                };
                let evidence = ProfileAnalyzer.analyze(&content).expect("a sample profile");
                crate::analyze::schema::assert_follows_schema(
                    crate::analyze::ArtifactKind::Profile,
                    &evidence.document,
                );
                checked += 1;
            }
        }
        assert!(checked >= 10, "{checked} sample profiles");
    }

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
    fn unknown_fields_make_the_profile_partial() {
        let text = "[identity]\nvendor = \"Parrot\"\nmodel = \"Anafi\"\ncolour = \"grey\"\n[[links]]\nname = \"Wi-Fi\"\n";
        let evidence = ProfileAnalyzer.analyze(text.as_bytes()).unwrap();
        let reason = evidence.incomplete.unwrap();
        assert!(
            reason.starts_with("unknown field `identity.colour` (line 4): a misspelt key"),
            "{reason}"
        );
    }

    #[test]
    fn a_misspelt_key_is_named_with_the_key_it_resembles() {
        let text = "[identity]\nvendor = \"DJI\"\nmodel = \"Mavic 3E\"\n[[controllers]]\nname = \"RC Pro\"\nkind = \"remote-controller\"\n[[controllers.apps]]\nname = \"DJI Pilot 2\"\nlocal_data_mod = false\n";
        let evidence = ProfileAnalyzer.analyze(text.as_bytes()).unwrap();
        let reason = evidence.incomplete.unwrap();
        assert!(
            reason.starts_with(
                "unknown field `controllers.0.apps.0.local_data_mod` (line 9; did you mean `local_data_mode`?): a misspelt key"
            ),
            "{reason}"
        );
        assert_eq!(similar_field("encrypton").as_deref(), Some("encryption"));
        assert_eq!(similar_field("colour"), None);
    }

    #[test]
    fn a_bill_of_materials_states_unknown_and_never_leaves_a_fact_out() {
        let good = "[identity]\nvendor = \"x\"\nmodel = \"y\"\n[[components]]\nrole = \"camera\"\nname = \"c\"\nmanufacturer = \"unknown\"\nmanufacturer_country = \"unknown\"\nmade_in = \"FR\"\n";
        assert!(ProfileAnalyzer.identify(good.as_bytes()));
        let evidence = ProfileAnalyzer.analyze(good.as_bytes()).unwrap();
        assert_eq!(evidence.document["components"][0]["made_in"], "FR");
        assert!(evidence.incomplete.is_none());
        let spelt_out = good.replace("made_in = \"FR\"", "made_in = \"France\"");
        let error = ProfileAnalyzer.analyze(spelt_out.as_bytes()).unwrap_err();
        assert_eq!(
            error.message,
            "field `components[0].made_in` (line 9): `France` is not an ISO 3166-1 alpha-2 country code (e.g. `CN`, `FR`, `US`) or `unknown`"
        );
        let left_out = good.replace("made_in = \"FR\"\n", "");
        let error = ProfileAnalyzer.analyze(left_out.as_bytes()).unwrap_err();
        assert!(error.message.contains("missing field `made_in`"), "{error}");
        let bad_date = "[identity]\nvendor = \"x\"\nmodel = \"y\"\n[blue_uas]\ncleared = true\nclaimed_on = \"May 2026\"\n";
        assert!(ProfileAnalyzer.identify(bad_date.as_bytes()));
        let error = ProfileAnalyzer.analyze(bad_date.as_bytes()).unwrap_err();
        assert!(
            error
                .message
                .starts_with("field `blue_uas.claimed_on` (line 6)"),
            "{error}"
        );
    }

    #[test]
    fn a_bill_of_materials_longer_than_the_cap_is_cut_and_partial() {
        let mut text = String::from("[identity]\nvendor = \"x\"\nmodel = \"y\"\n");
        for index in 0..=MAX_COMPONENTS {
            text.push_str(&format!("[[components]]\nrole = \"other\"\nname = \"p{index}\"\nmanufacturer = \"unknown\"\nmanufacturer_country = \"unknown\"\nmade_in = \"unknown\"\n"));
        }
        let evidence = ProfileAnalyzer.analyze(text.as_bytes()).unwrap();
        assert_eq!(
            evidence.document["components"].as_array().map(Vec::len),
            Some(MAX_COMPONENTS)
        );
        let reason = evidence.incomplete.unwrap();
        assert!(
            reason.starts_with("the bill of materials lists 1001 components"),
            "{reason}"
        );
    }

    #[test]
    fn toml_identification_reads_headers_and_root_keys() {
        assert!(ProfileAnalyzer
            .identify(b"identity = { vendor = \"x\", model = \"y\" }\n[[links]]\nname = \"l\"\n"));
        assert!(ProfileAnalyzer
            .identify(b"[identity]\nvendor = \"x\"\n[access.pairing]\npassword = true\n"));
        // Keys inside a table are not top-level keys.
        assert!(!ProfileAnalyzer.identify(b"[device]\nidentity = 1\nlinks = 2\n"));
    }

    #[test]
    fn identification_needs_identity_and_a_section() {
        assert!(!ProfileAnalyzer.identify(b"[identity]\nvendor = \"x\"\n"));
        assert!(!ProfileAnalyzer.identify(b"[package]\nname = \"x\"\n[dependencies]\n"));
        assert!(!ProfileAnalyzer.identify(b"\xff\xfe binary"));
        assert!(ProfileAnalyzer.identify(b"{\"identity\": {}, \"links\": []}"));
    }
}
