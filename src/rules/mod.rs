//! Rules as data: TOML files under `rules/`, embedded at build time, plus a user's own folder.
//!
//! A [`Rule`] belongs to one [`Control`], targets artifact kinds, and selects the violating
//! nodes of an evidence document with an RFC 9535 JSONPath (`select`); each selected node is
//! one finding. `requires`, when given, is a JSONPath that must select something for the
//! document to count as evidence for the rule at all, so that "not stated" is "not assessed"
//! and never a pass. Loading is strict and collects every error at once, each naming the file,
//! the rule and the line. See docs/rules.md and README ("Writing a rule").

pub mod engine;
pub mod reads;
pub mod reference;
pub mod subject;
pub mod template;

use crate::analyze::ArtifactKind;
use crate::control::{Control, Severity};
use crate::source::{parse_toml, serde_path_to_pointer};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json_path::JsonPath;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use template::Template;

/// The rule files compiled into the binary (every `*.toml` under `rules/`, by `build.rs`), by
/// path relative to `rules/`.
pub const BUILTIN_RULE_FILES: &[(&str, &str)] =
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// A compiled JSONPath query, kept with its text for display.
#[derive(Debug, Clone)]
pub struct Query {
    pub text: String,
    pub path: JsonPath,
}

impl Serialize for Query {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// One rule, validated.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    /// Stable id, e.g. `CONN-001`; never reused.
    pub id: String,
    /// What it finds, as a kebab-case slug, e.g. `local-data-mode-off`.
    pub name: String,
    pub title: String,
    pub control: Control,
    pub severity: Severity,
    pub kinds: Vec<ArtifactKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires: Option<Query>,
    pub select: Query,
    #[serde(skip)]
    pub message: Template,
    /// The message template as written.
    #[serde(rename = "message")]
    pub message_text: String,
    /// Why it matters.
    pub rationale: String,
    /// How to fix it.
    pub remediation: String,
    /// DHS-2019:N, CISA-FBI-2024:…, NISTIR-8259A:…, GreenUAS:… citations.
    pub references: Vec<String>,
    /// A snippet of an artifact that the rule fires on.
    pub example: String,
    /// The file the rule came from (`builtin:NAME` for embedded rules).
    pub source: String,
}

/// The rules in force for a scan, and a digest of the sources they came from.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    /// SHA-256 over every rule file read, in load order.
    pub digest: String,
}

impl RuleSet {
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|rule| rule.id == id)
    }
}

/// One problem in a rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub file: String,
    pub rule: Option<String>,
    pub line: Option<u32>,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(rule) = &self.rule {
            write!(f, ": rule {rule}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found while loading rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RuleErrors(pub Vec<RuleError>);

impl fmt::Display for RuleErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.len();
        write!(
            f,
            "{count} error{} in rules:",
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
struct RawRuleFile {
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    name: String,
    title: String,
    control: String,
    severity: String,
    kinds: Vec<String>,
    requires: Option<String>,
    select: String,
    message: String,
    rationale: String,
    remediation: String,
    references: Vec<String>,
    example: String,
}

static RULE_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Z][A-Z0-9]{1,5}-[0-9]{3}$").expect("valid regex"));
static RULE_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9]+(-[a-z0-9]+)*$").expect("valid regex"));
static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(DHS-2019|CISA-FBI-2024|NISTIR-8259A|NIST-SP|ETSI-EN-303-645|GreenUAS|CWE|CAPEC|MITRE):[A-Za-z0-9._-]+$",
    )
    .expect("valid regex")
});

/// Loads the built-in rules and, when given, every `*.toml` file of `user_dir`.
pub fn load(user_dir: Option<&Path>) -> Result<RuleSet, RuleErrors> {
    let mut sources: Vec<(String, String)> = BUILTIN_RULE_FILES
        .iter()
        .map(|(name, text)| (format!("builtin:{name}"), (*text).to_owned()))
        .collect();
    let mut errors = Vec::new();
    if let Some(dir) = user_dir {
        match user_rule_files(dir) {
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
    let mut hasher = Sha256::new();
    let mut rules: Vec<Rule> = Vec::new();
    for (file, text) in &sources {
        hasher.update(file.as_bytes());
        hasher.update([0]);
        hasher.update(text.as_bytes());
        hasher.update([0]);
        rules.extend(parse_rule_file(file, text, &mut errors));
    }
    let mut first_seen: BTreeMap<&str, &str> = BTreeMap::new();
    for rule in &rules {
        if let Some(other) = first_seen.insert(&rule.id, &rule.source) {
            errors.push(RuleError {
                file: rule.source.clone(),
                rule: Some(rule.id.clone()),
                line: None,
                message: format!("id already used by a rule in {other}; ids are never reused"),
            });
        }
    }
    if !errors.is_empty() {
        return Err(RuleErrors(errors));
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(RuleSet {
        rules,
        digest: hex(&hasher.finalize()),
    })
}

fn user_rule_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|error| format!("cannot read rules folder: {error}"))?;
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
        return Err("rules folder has no .toml file".to_owned());
    }
    Ok(files)
}

fn file_error(file: &str, message: String) -> RuleError {
    RuleError {
        file: file.to_owned(),
        rule: None,
        line: None,
        message,
    }
}

/// Parses one rule file, pushing every problem onto `errors` and returning the valid rules.
pub fn parse_rule_file(file: &str, text: &str, errors: &mut Vec<RuleError>) -> Vec<Rule> {
    let source = match parse_toml(text) {
        Ok(source) => source,
        Err(error) => {
            errors.push(file_error(file, error.to_string()));
            return Vec::new();
        }
    };
    let raw: RawRuleFile = match serde_path_to_error::deserialize(&source.value) {
        Ok(raw) => raw,
        Err(error) => {
            let path = error.path().to_string();
            let pointer = serde_path_to_pointer(&path);
            let rule = path
                .strip_prefix("rule[")
                .and_then(|rest| rest.split(']').next())
                .and_then(|index| source.value["rule"][index.parse::<usize>().ok()?]["id"].as_str())
                .map(str::to_owned);
            errors.push(RuleError {
                file: file.to_owned(),
                rule,
                line: source.lines.line_of(&pointer),
                message: format!("`{path}`: {}", error.inner()),
            });
            return Vec::new();
        }
    };
    let mut rules = Vec::new();
    for (index, raw_rule) in raw.rule.into_iter().enumerate() {
        let line = source.lines.line_of(&format!("/rule/{index}"));
        let id = raw_rule.id.clone();
        match validate(raw_rule, file) {
            Ok(rule) => rules.push(rule),
            Err(faults) => errors.extend(faults.into_iter().map(|message| RuleError {
                file: file.to_owned(),
                rule: Some(id.clone()),
                line,
                message,
            })),
        }
    }
    if rules.is_empty() && errors.is_empty() {
        errors.push(file_error(file, "no [[rule]] in file".to_owned()));
    }
    rules
}

fn validate(raw: RawRule, file: &str) -> Result<Rule, Vec<String>> {
    let mut faults = Vec::new();
    if !RULE_ID.is_match(&raw.id) {
        faults.push(format!(
            "id `{}` must look like `CONN-001` or `PX4-001` (a capital, 1-5 capitals or digits, a dash, 3 digits)",
            raw.id
        ));
    }
    if !RULE_NAME.is_match(&raw.name) {
        faults.push(format!(
            "name `{}` must be a kebab-case slug such as `local-data-mode-off`",
            raw.name
        ));
    }
    let control = raw
        .control
        .parse::<Control>()
        .map_err(|fault| faults.push(fault))
        .ok();
    let severity = raw
        .severity
        .parse::<Severity>()
        .map_err(|fault| faults.push(fault))
        .ok();
    let mut kinds = Vec::new();
    for kind in &raw.kinds {
        match kind.parse::<ArtifactKind>() {
            Ok(kind) => kinds.push(kind),
            Err(fault) => faults.push(fault),
        }
    }
    if raw.kinds.is_empty() {
        faults.push("kinds must name at least one artifact kind".to_owned());
    }
    let select = compile_query("select", &raw.select)
        .map_err(|fault| faults.push(fault))
        .ok();
    let requires = match raw
        .requires
        .as_deref()
        .map(|text| compile_query("requires", text))
    {
        Some(Ok(query)) => Some(query),
        Some(Err(fault)) => {
            faults.push(fault);
            None
        }
        None => None,
    };
    let message = Template::parse(&raw.message)
        .map_err(|fault| faults.push(fault))
        .ok();
    for (field, text) in [
        ("title", &raw.title),
        ("message", &raw.message),
        ("rationale", &raw.rationale),
        ("remediation", &raw.remediation),
        ("example", &raw.example),
    ] {
        if text.trim().is_empty() {
            faults.push(format!("{field} must not be empty"));
        }
    }
    if raw.references.is_empty() {
        faults.push(
            "references must cite at least one framework item (e.g. `DHS-2019:1`)".to_owned(),
        );
    }
    for reference in &raw.references {
        if !REFERENCE.is_match(reference) {
            faults.push(format!("reference `{reference}` must look like `DHS-2019:1`, `CISA-FBI-2024:…`, `NISTIR-8259A:…`, `GreenUAS:…` or `CWE:…`"));
        }
    }
    match (control, severity, select, message) {
        (Some(control), Some(severity), Some(select), Some(message)) if faults.is_empty() => {
            Ok(Rule {
                id: raw.id,
                name: raw.name,
                title: raw.title,
                control,
                severity,
                kinds,
                requires,
                select,
                message,
                message_text: raw.message,
                rationale: raw.rationale.trim().to_owned(),
                remediation: raw.remediation.trim().to_owned(),
                references: raw.references,
                example: raw.example.trim().to_owned(),
                source: file.to_owned(),
            })
        }
        _ => Err(faults),
    }
}

fn compile_query(field: &str, text: &str) -> Result<Query, String> {
    JsonPath::parse(text)
        .map(|path| Query {
            text: text.to_owned(),
            path,
        })
        .map_err(|error| format!("{field} `{text}` is not RFC 9535 JSONPath: {error}"))
}

pub use crate::digest::hex;

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD_RULE: &str = r#"
[[rule]]
id = "TEST-001"
name = "test-rule"
title = "A test"
control = "encryption"
severity = "high"
kinds = ["profile"]
select = "$.links[?@.encryption == 'none']"
message = "{name} is not encrypted"
rationale = "Because."
remediation = "Encrypt it."
references = ["DHS-2019:5"]
example = "[[links]]\nencryption = \"none\""
"#;

    #[test]
    fn builtin_rules_load_with_unique_ids() {
        let rules = load(None).unwrap();
        assert!(rules.rules.len() >= 15, "{} rules", rules.rules.len());
        let mut ids: Vec<&str> = rules.rules.iter().map(|rule| rule.id.as_str()).collect();
        ids.dedup();
        assert_eq!(ids.len(), rules.rules.len());
        assert_eq!(rules.digest.len(), 64);
    }

    #[test]
    fn builtin_rules_cover_every_control() {
        let rules = load(None).unwrap();
        for control in Control::ALL {
            assert!(
                rules.rules.iter().any(|rule| rule.control == control),
                "no rule for {control}"
            );
        }
    }

    /// Every `id` in `rules/`, data folders included, is a built-in rule's: an `id` there means
    /// a rule, with fixtures that fire and pass (tests/rule_fixtures.rs), so data files name
    /// their entries otherwise (the supply-chain catalogue's `short_name`).
    #[test]
    fn every_id_under_rules_is_a_rule() {
        fn walk(dir: &Path, ids: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, ids);
                } else if path
                    .extension()
                    .is_some_and(|extension| extension == "toml")
                {
                    let text = std::fs::read_to_string(&path).unwrap();
                    ids.extend(text.lines().filter_map(|line| {
                        let value = line.trim_start().strip_prefix("id")?.trim_start();
                        Some(value.strip_prefix('=')?.trim().trim_matches('"').to_owned())
                    }));
                }
            }
        }
        let mut ids = Vec::new();
        walk(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"),
            &mut ids,
        );
        ids.sort();
        let mut rules: Vec<String> = load(None)
            .unwrap()
            .rules
            .into_iter()
            .map(|rule| rule.id)
            .collect();
        rules.sort();
        assert_eq!(ids, rules);
    }

    #[test]
    fn every_rule_file_in_rules_folder_is_embedded() {
        fn walk(dir: &Path, found: &mut Vec<String>, root: &Path) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    // rules/catalogue/ holds the analyzers' data, not rules (build.rs).
                    if path.file_name().is_some_and(|name| name == "catalogue") {
                        continue;
                    }
                    walk(&path, found, root);
                } else if path
                    .extension()
                    .is_some_and(|extension| extension == "toml")
                {
                    found.push(
                        path.strip_prefix(root)
                            .unwrap()
                            .to_string_lossy()
                            .replace('\\', "/"),
                    );
                }
            }
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let mut found = Vec::new();
        walk(&root, &mut found, &root);
        for name in found {
            assert!(
                BUILTIN_RULE_FILES
                    .iter()
                    .any(|(embedded, _)| *embedded == name),
                "{name} is not embedded"
            );
        }
    }

    #[test]
    fn a_good_rule_parses() {
        let mut errors = Vec::new();
        let rules = parse_rule_file("t.toml", GOOD_RULE, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rules[0].control, Control::Encryption);
    }

    #[test]
    fn faults_name_file_rule_line_and_problem() {
        let broken = GOOD_RULE
            .replace("\"encryption\"\nseverity", "\"secrecy\"\nseverity")
            .replace(
                "$.links[?@.encryption == 'none']",
                "$.links[?@.encryption = 'none']",
            )
            .replace("[\"DHS-2019:5\"]", "[\"see the web\"]");
        let mut errors = Vec::new();
        parse_rule_file("mine.toml", &broken, &mut errors);
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 3, "{text:#?}");
        assert!(
            text[0].starts_with("mine.toml:2: rule TEST-001: unknown control `secrecy`"),
            "{}",
            text[0]
        );
        assert!(text
            .iter()
            .any(|line| line.contains("not RFC 9535 JSONPath")));
        assert!(text
            .iter()
            .any(|line| line.contains("reference `see the web`")));
    }

    #[test]
    fn missing_and_unknown_fields_are_errors() {
        let mut errors = Vec::new();
        parse_rule_file(
            "m.toml",
            &GOOD_RULE.replace("rationale = \"Because.\"\n", ""),
            &mut errors,
        );
        assert!(
            errors[0].message.contains("missing field `rationale`"),
            "{errors:?}"
        );
        errors.clear();
        parse_rule_file(
            "u.toml",
            &GOOD_RULE.replace("title =", "colour = \"red\"\ntitle ="),
            &mut errors,
        );
        assert!(
            errors[0].message.contains("unknown field `colour`"),
            "{errors:?}"
        );
        assert_eq!(errors[0].rule.as_deref(), Some("TEST-001"));
        assert_eq!(errors[0].line, Some(5));
    }

    #[test]
    fn toml_syntax_errors_carry_the_line() {
        let mut errors = Vec::new();
        parse_rule_file("s.toml", "[[rule]]\nid = \n", &mut errors);
        assert!(errors[0].message.contains("line 2"), "{errors:?}");
    }
}
