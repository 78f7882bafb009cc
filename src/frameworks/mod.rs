//! Compliance frameworks as data: views over rule results, never controls.
//!
//! A [`Framework`] is one standard at one version (`frameworks/<id>.toml`: DHS 2019,
//! CISA/FBI 2024, ETSI EN 303 645, NIST IR 8259A, Green UAS, PX4 hardening), with its source
//! and its [`Requirement`]s. A requirement names the rules that evidence it, directly
//! (`rules = ["AUTH-002"]`) or by control (`controls = ["encryption"]`: every rule of the
//! control, including rules added later), or is `manual = true` with what an auditor must
//! collect by hand. [`evaluate`] turns a scan's rule results into each requirement's status
//! per device and for the fleet; scores never change (docs/frameworks.md).
//!
//! Loading is strict like the rules' ([`crate::rules::load`]): an unknown rule or control, a
//! duplicate requirement, and a built-in rule that no framework maps are errors, all collected
//! at once, each with its file and line.

pub mod evaluate;
pub mod reference;

use crate::control::Control;
use crate::rules::RuleSet;
use crate::source::{parse_toml, serde_path_to_pointer};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

pub use evaluate::{evaluate, FrameworkResult, RequirementResult, RequirementStatus};

/// The framework files compiled into the binary, by file name (a test checks that every file
/// of `frameworks/` is here).
pub const BUILTIN_FRAMEWORK_FILES: &[(&str, &str)] = &[
    (
        "dhs-2019.toml",
        include_str!("../../frameworks/dhs-2019.toml"),
    ),
    (
        "cisa-fbi-2024.toml",
        include_str!("../../frameworks/cisa-fbi-2024.toml"),
    ),
    (
        "etsi-en-303-645.toml",
        include_str!("../../frameworks/etsi-en-303-645.toml"),
    ),
    (
        "nistir-8259a.toml",
        include_str!("../../frameworks/nistir-8259a.toml"),
    ),
    (
        "green-uas.toml",
        include_str!("../../frameworks/green-uas.toml"),
    ),
    (
        "px4-hardening.toml",
        include_str!("../../frameworks/px4-hardening.toml"),
    ),
];

/// Where a framework's text comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkSource {
    /// Who published it (`ETSI`, `CISA and FBI`).
    pub publisher: String,
    /// Where to read it.
    pub url: String,
    /// When the version mapped was published (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`).
    pub date: String,
    /// The version mapped (`V3.1.3`, `2019 industry alert`).
    pub version: String,
    /// What could be checked against the primary source when the file was written.
    pub verified: String,
    /// What could not, and is therefore our reading.
    pub unverified: String,
}

/// One standard at one version, validated.
#[derive(Debug, Clone, Serialize)]
pub struct Framework {
    /// Kebab-case id, the file's name: `etsi-en-303-645`.
    pub id: String,
    pub title: String,
    pub source: FrameworkSource,
    pub requirements: Vec<Requirement>,
    /// The file it came from (`builtin:NAME` for embedded frameworks).
    pub file: String,
}

/// What evidences a requirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Evidence {
    /// These rules (the union of the rules named and every rule of the controls named), in
    /// id order; a requirement passes only when every one of them was assessed and passed.
    Rules {
        /// The rules named one by one in the file.
        named: Vec<String>,
        /// The controls named in the file, whose every rule evidences the requirement.
        controls: Vec<Control>,
        /// Named rules and the rules of the controls, sorted and without duplicates.
        rules: Vec<String>,
    },
    /// No artifact can show it: an auditor collects this by hand. Never passes.
    Manual { collect: String },
}

/// One requirement of a framework, validated.
#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
    /// The standard's own number where it has one (`5.1-1`), else a short slug.
    pub id: String,
    pub title: String,
    /// What it asks, in our words.
    pub summary: String,
    pub evidence: Evidence,
    /// Why the mapping is what it is (what the rules show, what they leave out).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Requirement {
    /// The rules that evidence it; empty for a manual requirement.
    pub fn rules(&self) -> &[String] {
        match &self.evidence {
            Evidence::Rules { rules, .. } => rules,
            Evidence::Manual { .. } => &[],
        }
    }

    pub fn is_manual(&self) -> bool {
        matches!(self.evidence, Evidence::Manual { .. })
    }
}

/// The frameworks loaded for a run, in id order.
#[derive(Debug, Clone, Default)]
pub struct FrameworkSet {
    pub frameworks: Vec<Framework>,
}

impl FrameworkSet {
    pub fn get(&self, id: &str) -> Option<&Framework> {
        self.frameworks
            .iter()
            .find(|framework| framework.id.eq_ignore_ascii_case(id))
    }

    /// The frameworks `--framework` asks for: ids, or `all`. An unknown id is an error that
    /// lists the known ones.
    pub fn select(&self, ids: &[String]) -> Result<Vec<&Framework>, String> {
        if ids.iter().any(|id| id == "all") {
            return Ok(self.frameworks.iter().collect());
        }
        let mut chosen: Vec<&Framework> = Vec::new();
        for id in ids {
            let Some(framework) = self.get(id) else {
                let known: Vec<&str> = self.frameworks.iter().map(|f| f.id.as_str()).collect();
                return Err(format!(
                    "no framework `{id}` (known: {}, or `all`)",
                    known.join(", ")
                ));
            };
            if !chosen.iter().any(|seen| seen.id == framework.id) {
                chosen.push(framework);
            }
        }
        Ok(chosen)
    }
}

/// One problem in a framework file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameworkError {
    pub file: String,
    pub line: Option<u32>,
    pub message: String,
}

impl fmt::Display for FrameworkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found while loading frameworks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FrameworkErrors(pub Vec<FrameworkError>);

impl fmt::Display for FrameworkErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.len();
        write!(
            f,
            "{count} error{} in frameworks:",
            if count == 1 { "" } else { "s" }
        )?;
        for error in &self.0 {
            write!(f, "\n  {error}")?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFrameworkFile {
    framework: RawFramework,
    #[serde(default)]
    requirement: Vec<RawRequirement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFramework {
    id: String,
    title: String,
    publisher: String,
    url: String,
    date: String,
    version: String,
    verified: String,
    unverified: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequirement {
    id: String,
    title: String,
    summary: String,
    #[serde(default)]
    rules: Vec<String>,
    #[serde(default)]
    controls: Vec<String>,
    #[serde(default)]
    manual: bool,
    collect: Option<String>,
    note: Option<String>,
}

static FRAMEWORK_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9]+(-[a-z0-9]+)*$").expect("valid regex"));
static REQUIREMENT_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$").expect("valid regex"));
static DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$").expect("valid regex"));

/// Loads the built-in frameworks and, when given, every `*.toml` of `user_dir`, checked
/// against `rules` (the rules in force for the run, built-in and the user's). Besides each
/// file's own faults, a built-in rule that no framework maps is an error: a new rule must say
/// which requirements it evidences.
pub fn load(user_dir: Option<&Path>, rules: &RuleSet) -> Result<FrameworkSet, FrameworkErrors> {
    let mut sources: Vec<(String, String)> = BUILTIN_FRAMEWORK_FILES
        .iter()
        .map(|(name, text)| (format!("builtin:{name}"), (*text).to_owned()))
        .collect();
    let mut errors = Vec::new();
    if let Some(dir) = user_dir {
        match user_framework_files(dir) {
            Ok(files) => {
                for file in files {
                    match std::fs::read_to_string(&file) {
                        Ok(text) => sources.push((file.display().to_string(), text)),
                        Err(error) => errors.push(file_error(
                            &file.display().to_string(),
                            format!("cannot read: {error}"),
                        )),
                    }
                }
            }
            Err(error) => errors.push(file_error(&dir.display().to_string(), error)),
        }
    }
    let mut frameworks: Vec<Framework> = Vec::new();
    for (file, text) in &sources {
        if let Some(framework) = parse_framework_file(file, text, rules, &mut errors) {
            if let Some(other) = frameworks.iter().find(|seen| seen.id == framework.id) {
                errors.push(file_error(
                    file,
                    format!(
                        "framework id `{}` is already used by {}",
                        framework.id, other.file
                    ),
                ));
            } else {
                frameworks.push(framework);
            }
        }
    }
    if errors.is_empty() {
        errors.extend(unmapped_builtin_rules(&frameworks, rules));
    }
    if !errors.is_empty() {
        return Err(FrameworkErrors(errors));
    }
    frameworks.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(FrameworkSet { frameworks })
}

/// A built-in rule no requirement of any framework maps: one error per rule, at its file.
fn unmapped_builtin_rules(frameworks: &[Framework], rules: &RuleSet) -> Vec<FrameworkError> {
    let mapped: BTreeSet<&str> = frameworks
        .iter()
        .flat_map(|framework| &framework.requirements)
        .flat_map(|requirement| requirement.rules())
        .map(String::as_str)
        .collect();
    rules
        .rules
        .iter()
        .filter(|rule| rule.source.starts_with("builtin:") && !mapped.contains(rule.id.as_str()))
        .map(|rule| FrameworkError {
            file: rule.source.clone(),
            line: builtin_rule_line(&rule.source, &rule.id),
            message: format!(
                "rule {} is mapped to no framework: name it (or its control) in a requirement of frameworks/",
                rule.id
            ),
        })
        .collect()
}

/// The line of a built-in rule's `id = "ID"` in its embedded file, so the error points at it.
fn builtin_rule_line(source: &str, id: &str) -> Option<u32> {
    let name = source.strip_prefix("builtin:")?;
    let (_, text) = crate::rules::BUILTIN_RULE_FILES
        .iter()
        .find(|(file, _)| *file == name)?;
    let needle = format!("id = \"{id}\"");
    let line = text.lines().position(|line| line.trim() == needle)?;
    u32::try_from(line + 1).ok()
}

fn user_framework_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|error| format!("cannot read frameworks folder: {error}"))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "toml")
                && path.is_file()
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err("frameworks folder has no .toml file".to_owned());
    }
    Ok(files)
}

fn file_error(file: &str, message: String) -> FrameworkError {
    FrameworkError {
        file: file.to_owned(),
        line: None,
        message,
    }
}

/// Parses one framework file, pushing every problem onto `errors`; the framework when it has
/// none.
pub fn parse_framework_file(
    file: &str,
    text: &str,
    rules: &RuleSet,
    errors: &mut Vec<FrameworkError>,
) -> Option<Framework> {
    let before = errors.len();
    let source = match parse_toml(text) {
        Ok(source) => source,
        Err(error) => {
            errors.push(file_error(file, error.to_string()));
            return None;
        }
    };
    let raw: RawFrameworkFile = match serde_path_to_error::deserialize(&source.value) {
        Ok(raw) => raw,
        Err(error) => {
            let path = error.path().to_string();
            errors.push(FrameworkError {
                file: file.to_owned(),
                line: source.lines.line_of(&serde_path_to_pointer(&path)),
                message: format!("`{path}`: {}", error.inner()),
            });
            return None;
        }
    };
    let at = |pointer: &str| source.lines.line_of(pointer);
    let mut fault = |line: Option<u32>, message: String| {
        errors.push(FrameworkError {
            file: file.to_owned(),
            line,
            message,
        })
    };
    let head = raw.framework;
    if !FRAMEWORK_ID.is_match(&head.id) {
        fault(
            at("/framework/id"),
            format!(
                "framework id `{}` must be kebab-case, e.g. `etsi-en-303-645`",
                head.id
            ),
        );
    }
    let stem = file
        .rsplit(['/', '\\', ':'])
        .next()
        .and_then(|name| name.strip_suffix(".toml"));
    if stem.is_some_and(|stem| stem != head.id) {
        fault(
            at("/framework/id"),
            format!(
                "framework id `{}` must be the file's name (`{}.toml`)",
                head.id, head.id
            ),
        );
    }
    if !DATE.is_match(&head.date) {
        fault(
            at("/framework/date"),
            format!("date `{}` must be YYYY, YYYY-MM or YYYY-MM-DD", head.date),
        );
    }
    if !head.url.starts_with("https://") {
        fault(
            at("/framework/url"),
            format!("url `{}` must be an https:// address", head.url),
        );
    }
    for (field, value) in [
        ("title", &head.title),
        ("publisher", &head.publisher),
        ("version", &head.version),
        ("verified", &head.verified),
        ("unverified", &head.unverified),
    ] {
        if value.trim().is_empty() {
            fault(
                at(&format!("/framework/{field}")),
                format!("{field} must not be empty"),
            );
        }
    }
    if raw.requirement.is_empty() {
        fault(None, "no [[requirement]] in file".to_owned());
    }
    let mut requirements = Vec::new();
    let mut seen: BTreeMap<String, Option<u32>> = BTreeMap::new();
    for (index, raw_requirement) in raw.requirement.into_iter().enumerate() {
        let line = at(&format!("/requirement/{index}"));
        if let Some(first) = seen.insert(raw_requirement.id.clone(), line) {
            let first = first
                .map(|line| format!(" (first at line {line})"))
                .unwrap_or_default();
            fault(
                line,
                format!("duplicate requirement `{}`{first}", raw_requirement.id),
            );
            continue;
        }
        match validate_requirement(raw_requirement, rules) {
            Ok(requirement) => requirements.push(requirement),
            Err(faults) => {
                for message in faults {
                    fault(line, message);
                }
            }
        }
    }
    if errors.len() > before {
        return None;
    }
    Some(Framework {
        id: head.id,
        title: head.title.trim().to_owned(),
        source: FrameworkSource {
            publisher: head.publisher,
            url: head.url,
            date: head.date,
            version: head.version,
            verified: head.verified.trim().to_owned(),
            unverified: head.unverified.trim().to_owned(),
        },
        requirements,
        file: file.to_owned(),
    })
}

fn validate_requirement(raw: RawRequirement, rules: &RuleSet) -> Result<Requirement, Vec<String>> {
    let mut faults = Vec::new();
    let id = raw.id.clone();
    if !REQUIREMENT_ID.is_match(&raw.id) {
        faults.push(format!(
            "requirement id `{}` must be 1-40 letters, digits, dots, dashes or underscores",
            raw.id
        ));
    }
    for (field, value) in [("title", &raw.title), ("summary", &raw.summary)] {
        if value.trim().is_empty() {
            faults.push(format!("requirement {id}: {field} must not be empty"));
        }
    }
    let mut controls = Vec::new();
    for name in &raw.controls {
        match name.parse::<Control>() {
            Ok(control) if !controls.contains(&control) => controls.push(control),
            Ok(_) => faults.push(format!("requirement {id}: control `{name}` named twice")),
            Err(fault) => faults.push(format!("requirement {id}: {fault}")),
        }
    }
    let mut named = Vec::new();
    for rule in &raw.rules {
        if rules.get(rule).is_none() {
            faults.push(format!(
                "requirement {id}: unknown rule `{rule}` (see `drone-audit rules list`)"
            ));
        } else if named.contains(rule) {
            faults.push(format!("requirement {id}: rule `{rule}` named twice"));
        } else {
            named.push(rule.clone());
        }
    }
    let mapped = !raw.rules.is_empty() || !raw.controls.is_empty();
    let evidence = match (raw.manual, mapped, raw.collect) {
        (true, false, Some(collect)) if !collect.trim().is_empty() => Evidence::Manual {
            collect: collect.trim().to_owned(),
        },
        (true, false, _) => {
            faults.push(format!(
                "requirement {id}: a manual requirement says what an auditor must collect (`collect = \"…\"`)"
            ));
            Evidence::Manual {
                collect: String::new(),
            }
        }
        (true, true, _) => {
            faults.push(format!(
                "requirement {id}: `manual = true` and rules or controls: it is one or the other"
            ));
            Evidence::Manual {
                collect: String::new(),
            }
        }
        (false, false, _) => {
            faults.push(format!(
                "requirement {id}: name the rules or controls that evidence it, or set `manual = true` and `collect`"
            ));
            Evidence::Manual {
                collect: String::new(),
            }
        }
        (false, true, Some(_)) => {
            faults.push(format!(
                "requirement {id}: `collect` is for manual requirements; put remarks in `note`"
            ));
            Evidence::Manual {
                collect: String::new(),
            }
        }
        (false, true, None) => {
            let mut all: BTreeSet<String> = named.iter().cloned().collect();
            for rule in &rules.rules {
                if controls.contains(&rule.control) {
                    all.insert(rule.id.clone());
                }
            }
            Evidence::Rules {
                named,
                controls,
                rules: all.into_iter().collect(),
            }
        }
    };
    if !faults.is_empty() {
        return Err(faults);
    }
    Ok(Requirement {
        id: raw.id,
        title: raw.title.trim().to_owned(),
        summary: raw.summary.trim().to_owned(),
        evidence,
        note: raw
            .note
            .map(|note| note.trim().to_owned())
            .filter(|note| !note.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[framework]
id = "mine"
title = "My framework"
publisher = "Us"
url = "https://example.org/mine"
date = "2024-01"
version = "1"
verified = "All of it."
unverified = "Nothing."

[[requirement]]
id = "1"
title = "Passwords"
summary = "No default passwords."
rules = ["AUTH-002"]

[[requirement]]
id = "2"
title = "Encryption"
summary = "Encrypt everything."
controls = ["encryption"]

[[requirement]]
id = "3"
title = "Policy"
summary = "Have a policy."
manual = true
collect = "The written policy."
"#;

    fn rules() -> RuleSet {
        crate::rules::load(None).expect("built-in rules load")
    }

    #[test]
    fn builtin_frameworks_load() {
        let set = load(None, &rules()).unwrap_or_else(|errors| panic!("{errors}"));
        let ids: Vec<&str> = set.frameworks.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "cisa-fbi-2024",
                "dhs-2019",
                "etsi-en-303-645",
                "green-uas",
                "nistir-8259a",
                "px4-hardening"
            ]
        );
    }

    #[test]
    fn a_good_file_parses_with_rules_by_name_and_by_control() {
        let rules = rules();
        let mut errors = Vec::new();
        let framework = parse_framework_file("dir/mine.toml", GOOD, &rules, &mut errors)
            .unwrap_or_else(|| panic!("{errors:?}"));
        assert_eq!(framework.requirements[0].rules(), ["AUTH-002"]);
        let encryption: Vec<&str> = rules
            .rules
            .iter()
            .filter(|rule| rule.control == Control::Encryption)
            .map(|rule| rule.id.as_str())
            .collect();
        assert_eq!(framework.requirements[1].rules(), encryption.as_slice());
        assert!(framework.requirements[2].is_manual());
    }

    #[test]
    fn unknown_rule_duplicate_requirement_and_bad_manual_are_errors_with_lines() {
        let broken = GOOD
            .replace("[\"AUTH-002\"]", "[\"AUTH-999\"]")
            .replace("id = \"2\"", "id = \"1\"")
            .replace("collect = \"The written policy.\"\n", "");
        let mut errors = Vec::new();
        assert!(parse_framework_file("mine.toml", &broken, &rules(), &mut errors).is_none());
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 3, "{text:#?}");
        assert_eq!(
            text[0],
            "mine.toml:12: requirement 1: unknown rule `AUTH-999` (see `drone-audit rules list`)"
        );
        assert_eq!(
            text[1],
            "mine.toml:18: duplicate requirement `1` (first at line 12)"
        );
        assert!(
            text[2].starts_with("mine.toml:24: requirement 3: a manual requirement"),
            "{}",
            text[2]
        );
    }

    #[test]
    fn unknown_fields_controls_and_a_wrong_file_name_are_errors() {
        let mut errors = Vec::new();
        parse_framework_file(
            "other.toml",
            &GOOD.replace("[\"encryption\"]", "[\"secrecy\"]"),
            &rules(),
            &mut errors,
        );
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(text[0].contains("must be the file's name"), "{text:?}");
        assert!(text[1].contains("unknown control `secrecy`"), "{text:?}");
        errors.clear();
        parse_framework_file(
            "mine.toml",
            &GOOD.replace("rules = [\"AUTH-002\"]", "rulez = [\"AUTH-002\"]"),
            &rules(),
            &mut errors,
        );
        assert!(
            errors[0].message.contains("unknown field `rulez`"),
            "{errors:?}"
        );
        assert_eq!(errors[0].line, Some(16));
    }

    #[test]
    fn a_builtin_rule_mapped_nowhere_is_an_error_naming_it() {
        let rules = rules();
        let mut errors = Vec::new();
        let framework = parse_framework_file("mine.toml", GOOD, &rules, &mut errors).unwrap();
        let unmapped = unmapped_builtin_rules(&[framework], &rules);
        let conn = unmapped
            .iter()
            .find(|error| {
                error
                    .message
                    .starts_with("rule CONN-001 is mapped to no framework")
            })
            .expect("CONN-001 is reported");
        assert_eq!(conn.file, "builtin:profile/connectivity.toml");
        let line = conn.line.expect("the rule's line") as usize;
        let text = crate::rules::BUILTIN_RULE_FILES
            .iter()
            .find(|(file, _)| *file == "profile/connectivity.toml")
            .unwrap()
            .1;
        assert_eq!(text.lines().nth(line - 1), Some("id = \"CONN-001\""));
        assert!(!unmapped
            .iter()
            .any(|error| error.message.starts_with("rule AUTH-002 ")));
    }

    #[test]
    fn every_file_of_the_frameworks_folder_is_embedded() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("frameworks");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                BUILTIN_FRAMEWORK_FILES
                    .iter()
                    .any(|(file, _)| *file == name),
                "{name} is not in BUILTIN_FRAMEWORK_FILES"
            );
        }
    }

    #[test]
    fn select_takes_ids_and_all() {
        let set = load(None, &rules()).unwrap();
        assert_eq!(
            set.select(&["all".to_owned()]).unwrap().len(),
            set.frameworks.len()
        );
        let chosen = set
            .select(&["etsi-en-303-645".to_owned(), "etsi-en-303-645".to_owned()])
            .unwrap();
        assert_eq!(chosen.len(), 1);
        assert!(set
            .select(&["iso-27001".to_owned()])
            .unwrap_err()
            .contains("known: cisa-fbi-2024"));
    }
}
