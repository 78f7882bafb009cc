//! SARIF 2.1.0 report, as GitHub code scanning ingests it: one run whose driver lists every
//! rule in force (with its rationale, remediation and GitHub's `security-severity`), one
//! result per finding (located in its artifact, fingerprinted, suppressed when waived), and
//! the artifacts that could not be read as tool execution notifications.
//!
//! Field order is fixed by the private serde types below and every list follows the report's
//! order, so the same report always gives the same bytes.
//!
//! Locations are relative to the scan root the artifact was found under (or to
//! `--source-root`), never `file:` URIs of the machine that scanned. By default the run stays
//! within what GitHub code scanning accepts (at most [`MAX_RESULTS`] results, and
//! [`MAX_GZIPPED_BYTES`] gzipped): the most severe findings first, and the number left out in
//! the run's `properties.resultsLeftOut`; [`SarifOptions::all_results`] writes every finding.

use crate::control::Severity;
use crate::policy::PolicyChanges;
use crate::report::fingerprint::scan_relative;
use crate::report::{ArtifactRecord, Finding, Renderer, Report, RuleInfo};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const SARIF_VERSION: &str = "2.1.0";
/// The base that relative artifact paths resolve against: the scanned repository's root.
const SOURCE_ROOT: &str = "%SRCROOT%";
/// The key of our fingerprint in `partialFingerprints`; bump the version if its recipe changes
/// (v2: rule, device, path relative to the scan root and subject; v1 hashed the message).
const FINGERPRINT_KEY: &str = "droneAudit/v2";
/// Most results GitHub code scanning accepts in one run (it rejects the upload beyond).
pub const MAX_RESULTS: usize = 25_000;
/// Largest gzipped SARIF file we write by default: GitHub rejects uploads over 10 MB gzipped,
/// and the margin covers gzip levels other than ours.
pub const MAX_GZIPPED_BYTES: usize = 9_500_000;

/// How the SARIF report is written.
#[derive(Debug, Clone)]
pub struct SarifOptions {
    /// Locations are made relative to this folder (a repository's root, for GitHub code
    /// scanning) rather than to the scan root, for the artifacts under it.
    pub source_root: Option<PathBuf>,
    /// Every finding, beyond the limits on results and size.
    pub all_results: bool,
    /// Most results in the run ([`MAX_RESULTS`], GitHub's).
    pub max_results: usize,
    /// Largest gzipped size of the file ([`MAX_GZIPPED_BYTES`], under GitHub's).
    pub max_gzipped_bytes: usize,
}

impl Default for SarifOptions {
    fn default() -> Self {
        SarifOptions {
            source_root: None,
            all_results: false,
            max_results: MAX_RESULTS,
            max_gzipped_bytes: MAX_GZIPPED_BYTES,
        }
    }
}

/// The SARIF renderer; after rendering, [`SarifRenderer::left_out`] says how many findings
/// the limits left out.
#[derive(Debug, Clone, Default)]
pub struct SarifRenderer {
    pub options: SarifOptions,
    left_out: Arc<AtomicUsize>,
}

impl SarifRenderer {
    pub fn new(options: SarifOptions) -> SarifRenderer {
        SarifRenderer {
            options,
            left_out: Arc::default(),
        }
    }

    /// How many findings the last report rendered left out to stay within GitHub's limits.
    pub fn left_out(&self) -> usize {
        self.left_out.load(Ordering::Relaxed)
    }

    /// What to tell the user when findings were left out, once the report is written.
    pub fn left_out_note(&self) -> Option<String> {
        let left_out = self.left_out();
        (left_out > 0).then(|| {
            format!(
                "the SARIF report leaves out {left_out} findings, the least severe, to stay within GitHub code scanning's limits ({MAX_RESULTS} results, 10 MB gzipped); --sarif-all-results writes them all, and the JSON report has every one"
            )
        })
    }
}

/// The log as the file's bytes, with the frameworks' taxonomies when the report has any.
fn serialized(log: &SarifLog, report: &Report) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if report.frameworks.is_empty() {
        serde_json::to_writer_pretty(&mut bytes, log)?;
        bytes.push(b'\n');
    } else {
        super::sarif_taxonomies::render(log, report, &mut bytes)?;
    }
    Ok(bytes)
}

impl Renderer for SarifRenderer {
    fn render(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
        let mut log = sarif_log(report, &self.options);
        if self.options.all_results {
            return out.write_all(&serialized(&log, report)?);
        }
        let total = log.runs[0].results.len();
        let limit = self.options.max_gzipped_bytes;
        let mut kept = total.min(self.options.max_results);
        loop {
            log.runs[0].results.truncate(kept);
            log.runs[0].properties.results_left_out = total - kept;
            let bytes = serialized(&log, report)?;
            // Only a text over the limit can be over it gzipped: most reports skip gzip.
            let size = if bytes.len() <= limit {
                bytes.len()
            } else {
                gzipped_size(&bytes)?
            };
            if size <= limit || kept == 0 {
                self.left_out.store(total - kept, Ordering::Relaxed);
                return out.write_all(&bytes);
            }
            // Results are most of the size: keep a share of them that should fit, with a
            // margin, and measure again.
            let share = limit as f64 / size as f64 * 0.9;
            kept = ((kept as f64 * share) as usize).min(kept - 1);
        }
    }
}

/// The size of `bytes` gzipped at the default level, as an upload would be.
fn gzipped_size(bytes: &[u8]) -> io::Result<usize> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
}

/// SARIF `level` for a severity: critical and high are errors, medium a warning, the rest notes.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` score for a severity, inside GitHub's band for it (critical
/// ≥ 9.0, high 7.0–8.9, medium 4.0–6.9, low 0.1–3.9). GitHub wants it as a string.
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

#[derive(Serialize)]
struct SarifLog<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    invocations: Vec<Invocation>,
    artifacts: Vec<Artifact>,
    results: Vec<SarifResult<'a>>,
    properties: RunProperties<'a>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'a str,
    version: &'a str,
    semantic_version: &'a str,
    rules: Vec<ReportingDescriptor<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor<'a> {
    id: &'a str,
    name: &'a str,
    short_description: Message,
    full_description: Message,
    help: MultiformatMessage,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
struct MultiformatMessage {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    tags: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
    /// The policy's line: what it disables, re-rates and waives.
    tool_configuration_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Message,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Artifact {
    location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    length: Option<u64>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    hashes: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Message,
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, &'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression<'a>>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
}

#[derive(Serialize)]
struct Suppression<'a> {
    kind: &'static str,
    justification: &'a str,
    properties: SuppressionProperties<'a>,
}

#[derive(Serialize)]
struct SuppressionProperties<'a> {
    expires: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties<'a> {
    device: &'a str,
    control: &'static str,
    severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    packet: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    log_message: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    container: Option<&'a str>,
    evidence_path: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties<'a> {
    rules_digest: &'a str,
    policy_digest: &'a str,
    /// The policy's line, as every format states it.
    policy: String,
    policy_changes: &'a PolicyChanges,
    fleet_grade: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    fleet_score: Option<f64>,
    fleet_coverage: f64,
    /// Findings left out to stay within GitHub code scanning's limits (the least severe).
    results_left_out: usize,
}

/// Where artifacts are, as SARIF says it: relative to the source root or the scan root.
struct Locator<'a> {
    roots: &'a [String],
    source_root: Option<PathBuf>,
}

impl<'a> Locator<'a> {
    fn new(report: &'a Report, options: &SarifOptions) -> Locator<'a> {
        Locator {
            roots: &report.scan_roots,
            source_root: options
                .source_root
                .as_deref()
                .and_then(|root| std::path::absolute(root).ok())
                .map(|root| normalized(&root)),
        }
    }

    fn locate(&self, path: &str) -> ArtifactLocation {
        artifact_location(&self.relative(path))
    }

    /// The path relative to the source root when it lies under it, else to its scan root.
    fn relative(&self, path: &str) -> String {
        if let Some(source_root) = &self.source_root {
            let absolute = std::path::absolute(path).map(|absolute| normalized(&absolute));
            if let Ok(relative) = absolute.as_deref().map_or(Err(()), |absolute| {
                absolute.strip_prefix(source_root).map_err(|_| ())
            }) {
                return relative.to_string_lossy().replace('\\', "/");
            }
        }
        scan_relative(path, self.roots)
    }
}

/// `a/b/../c` as `a/c`, without asking the file system (the scanned tree may be gone).
fn normalized(path: &Path) -> PathBuf {
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                clean.pop();
            }
            other => clean.push(other),
        }
    }
    clean
}

fn sarif_log<'a>(report: &'a Report, options: &SarifOptions) -> SarifLog<'a> {
    let locator = Locator::new(report, options);
    let rule_index: BTreeMap<&str, usize> = report
        .rules
        .catalogue
        .iter()
        .enumerate()
        .map(|(index, rule)| (rule.id.as_str(), index))
        .collect();
    let notifications: Vec<Notification> = report
        .errors()
        .map(|artifact| notification(artifact, &locator))
        .collect();
    let run = Run {
        tool: Tool {
            driver: Driver {
                name: &report.tool.name,
                version: &report.tool.version,
                semantic_version: &report.tool.version,
                rules: report
                    .rules
                    .catalogue
                    .iter()
                    .map(reporting_descriptor)
                    .collect(),
            },
        },
        invocations: vec![Invocation {
            execution_successful: notifications.is_empty() && report.partial.is_none(),
            tool_execution_notifications: notifications,
            tool_configuration_notifications: vec![Notification {
                level: if report.policy.changes.is_empty() {
                    "note"
                } else {
                    "warning"
                },
                message: Message {
                    text: format!("Policy {}", report.policy.summary()),
                },
                locations: Vec::new(),
            }],
        }],
        artifacts: report
            .artifacts
            .iter()
            .map(|record| artifact(record, &locator))
            .collect(),
        // In the report's order, most severe first: the results GitHub's limits keep are
        // those that matter most.
        results: report
            .findings
            .iter()
            .map(|finding| {
                result(
                    finding,
                    rule_index.get(finding.rule.as_str()).copied(),
                    &locator,
                )
            })
            .collect(),
        properties: RunProperties {
            rules_digest: &report.rules.digest,
            policy_digest: &report.policy.digest,
            policy: format!("Policy {}", report.policy.summary()),
            policy_changes: &report.policy.changes,
            fleet_grade: report.summary.grade.label(),
            fleet_score: report.summary.score,
            fleet_coverage: report.summary.coverage,
            results_left_out: 0,
        },
    };
    SarifLog {
        schema: SCHEMA_URI,
        version: SARIF_VERSION,
        runs: vec![run],
    }
}

fn reporting_descriptor(rule: &RuleInfo) -> ReportingDescriptor<'_> {
    let mut tags = vec!["security".to_owned(), rule.control.id().to_owned()];
    // GitHub shows CWE tags in this form and links them to MITRE.
    tags.extend(
        rule.references
            .iter()
            .filter_map(|reference| reference.strip_prefix("CWE:"))
            .map(|number| format!("external/cwe/cwe-{number}")),
    );
    ReportingDescriptor {
        id: &rule.id,
        name: &rule.name,
        short_description: Message {
            text: rule.title.clone(),
        },
        full_description: Message {
            text: rule.rationale.clone(),
        },
        help: MultiformatMessage {
            text: help_text(rule),
            markdown: help_markdown(rule),
        },
        default_configuration: Configuration {
            level: level(rule.severity),
        },
        properties: RuleProperties {
            security_severity: security_severity(rule.severity),
            tags,
        },
    }
}

/// The plain-text help: rule texts mark commands and settings with backticks, which plain
/// text shows as they are, so they go.
fn help_text(rule: &RuleInfo) -> String {
    let mut text = format!(
        "{}\n\nRemediation: {}",
        plain_text(&rule.rationale),
        plain_text(&rule.remediation)
    );
    if !rule.references.is_empty() {
        text.push_str(&format!("\n\nReferences: {}", rule.references.join(", ")));
    }
    text
}

fn help_markdown(rule: &RuleInfo) -> String {
    let mut text = format!(
        "{}\n\n**Remediation:** {}",
        markdown_text(&rule.rationale),
        markdown_text(&rule.remediation)
    );
    if !rule.references.is_empty() {
        let references: Vec<String> = rule
            .references
            .iter()
            .map(|reference| markdown_text(reference))
            .collect();
        text.push_str(&format!("\n\n**References:** {}", references.join(", ")));
    }
    text.push_str(&format!(
        "\n\nControl: {}, \"{}\". Severity: {}.",
        rule.control.id(),
        rule.control.mitigation(),
        rule.severity
    ));
    text
}

/// A rule text without its code marks: `` `PermitRootLogin no` `` reads `PermitRootLogin no`.
fn plain_text(text: &str) -> String {
    if code_spans(text).is_some() {
        text.replace('`', "")
    } else {
        text.to_owned()
    }
}

/// The text split at its backticks when they pair up (even parts prose, odd parts code);
/// `None` when a backtick is left open.
fn code_spans(text: &str) -> Option<Vec<&str>> {
    let parts: Vec<&str> = text.split('`').collect();
    (parts.len() % 2 == 1).then_some(parts)
}

/// Rule texts are prose with `code` marked by backticks: code spans stay code (GitHub shows
/// them as such), and everything else is escaped so that GitHub reads no HTML, emphasis or
/// links into it.
fn markdown_text(text: &str) -> String {
    let Some(parts) = code_spans(text) else {
        return escaped_markdown(text);
    };
    let mut markdown = String::with_capacity(text.len() + 16);
    for (index, part) in parts.iter().enumerate() {
        if index % 2 == 0 {
            markdown.push_str(&escaped_markdown(part));
        } else {
            markdown.push_str(&code_span(part));
        }
    }
    markdown
}

/// A code span whose content is shown as written (CommonMark 6.1: no escapes inside; HTML is
/// not read there either). Empty code is left out.
fn code_span(code: &str) -> String {
    if code.trim().is_empty() {
        return String::new();
    }
    format!("`{code}`")
}

/// Prose with every character that Markdown or HTML would read escaped.
fn escaped_markdown(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' => {
                escaped.push('\\');
                escaped.push(ch);
            }
            _ => escaped.push(ch),
        }
    }
    escaped
}

fn result<'a>(
    finding: &'a Finding,
    rule_index: Option<usize>,
    locator: &Locator<'_>,
) -> SarifResult<'a> {
    let location = &finding.location;
    let mut text = finding.message.clone();
    let facts = place_facts(finding);
    if !facts.is_empty() {
        text.push_str(&format!(" ({})", facts.join(", ")));
    }
    let suppressions = finding
        .waived
        .iter()
        .map(|waived| Suppression {
            kind: "external",
            justification: &waived.reason,
            properties: SuppressionProperties {
                expires: &waived.expires,
            },
        })
        .collect();
    SarifResult {
        rule_id: &finding.rule,
        rule_index,
        level: level(finding.severity),
        message: Message { text },
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: locator.locate(&finding.artifact),
                // GitHub needs a line to anchor an alert; the first one stands for "the file".
                region: Some(Region {
                    start_line: location.line.unwrap_or(1).max(1),
                }),
            },
        }],
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, finding.fingerprint.as_str())]),
        suppressions,
        properties: ResultProperties {
            device: &finding.device,
            control: finding.control.id(),
            severity: finding.severity.id(),
            packet: location.packet,
            offset: location.offset,
            log_message: location.message,
            container: location.container.as_deref(),
            evidence_path: &location.evidence_path,
        },
    }
}

/// Where in the artifact a finding is, beyond the line: SARIF consumers show only lines, so
/// packet numbers, byte offsets and log message indexes go into the message text.
fn place_facts(finding: &Finding) -> Vec<String> {
    let location = &finding.location;
    let mut facts = Vec::new();
    if let Some(container) = &location.container {
        facts.push(format!("in {container}"));
    }
    if let Some(packet) = location.packet {
        facts.push(format!("packet {packet}"));
    }
    if let Some(offset) = location.offset {
        facts.push(format!("byte offset {offset:#x}"));
    }
    if let Some(message) = location.message {
        facts.push(format!("log message {message}"));
    }
    facts
}

fn notification(artifact: &ArtifactRecord, locator: &Locator<'_>) -> Notification {
    Notification {
        level: "error",
        message: Message {
            text: format!(
                "{} could not be assessed: {}",
                artifact.path,
                artifact.reason.as_deref().unwrap_or("unknown error")
            ),
        },
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: locator.locate(&artifact.path),
                region: None,
            },
        }],
    }
}

fn artifact(record: &ArtifactRecord, locator: &Locator<'_>) -> Artifact {
    let hashes = record
        .sha256
        .iter()
        .map(|sha256| ("sha-256", sha256.clone()))
        .collect();
    Artifact {
        location: locator.locate(&record.path),
        length: record.size,
        hashes,
    }
}

/// A path relative to the source or scan root as a SARIF artifact location, resolved against
/// `%SRCROOT%`. A path under no root that is absolute (a report from an older version, with
/// no scan roots) keeps only its file name: a report never carries the scanning machine's
/// folders as `file:` URIs.
fn artifact_location(path: &str) -> ArtifactLocation {
    let path = path.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    let path = if path.starts_with('/') || is_windows_absolute(path) {
        path.rsplit('/').next().unwrap_or_default()
    } else {
        path
    };
    ArtifactLocation {
        uri: encode_uri_path(path),
        uri_base_id: Some(SOURCE_ROOT),
    }
}

fn is_windows_absolute(path: &str) -> bool {
    let bytes = path.as_bytes();
    bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' && bytes[2] == b'/'
}

/// Percent-encodes everything but unreserved characters and `/` (RFC 3986), byte by byte.
/// A drive letter's colon is kept, so `C:/x` reads as a path, not a scheme.
fn encode_uri_path(path: &str) -> String {
    let mut uri = String::with_capacity(path.len());
    for (index, byte) in path.bytes().enumerate() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/')
            || (byte == b':' && index == 1 && is_windows_absolute(path));
        if keep {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_security_severities_follow_githubs_bands() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(level(Severity::Info), "note");
        let band = |severity: Severity| -> f64 {
            security_severity(severity)
                .parse()
                .expect("security-severity is a number")
        };
        assert!(band(Severity::Critical) >= 9.0);
        assert!((7.0..9.0).contains(&band(Severity::High)));
        assert!((4.0..7.0).contains(&band(Severity::Medium)));
        assert!((0.1..4.0).contains(&band(Severity::Low)));
        assert_eq!(band(Severity::Info), 0.0);
    }

    #[test]
    fn relative_paths_resolve_against_the_source_root() {
        let location = artifact_location("samples/m2e hq/profile.toml");
        assert_eq!(location.uri, "samples/m2e%20hq/profile.toml");
        assert_eq!(location.uri_base_id, Some(SOURCE_ROOT));
        let location = artifact_location("./fleet\\a:b/é.json");
        assert_eq!(location.uri, "fleet/a%3Ab/%C3%A9.json");
    }

    #[test]
    fn absolute_paths_never_become_file_uris() {
        let location = artifact_location("/srv/fleet/profile.toml");
        assert_eq!(location.uri, "profile.toml");
        assert_eq!(location.uri_base_id, Some(SOURCE_ROOT));
        let location = artifact_location("C:\\fleet\\profile.toml");
        assert_eq!(location.uri, "profile.toml");
    }

    #[test]
    fn locations_are_relative_to_the_scan_root_or_the_source_root() {
        let roots = vec!["/srv/ci/repo/fleet".to_owned()];
        let locator = Locator {
            roots: &roots,
            source_root: None,
        };
        assert_eq!(
            locator.relative("/srv/ci/repo/fleet/px4/sshd_config"),
            "px4/sshd_config"
        );
        let locator = Locator {
            roots: &roots,
            source_root: Some(PathBuf::from("/srv/ci/repo")),
        };
        assert_eq!(
            locator.relative("/srv/ci/repo/fleet/px4/sshd_config"),
            "fleet/px4/sshd_config"
        );
        assert_eq!(
            locator.relative("/elsewhere/fleet/px4/sshd_config"),
            "/elsewhere/fleet/px4/sshd_config",
            "outside both, the path is left to artifact_location"
        );
    }

    #[test]
    fn rule_help_markdown_is_escaped_but_code_stays_code() {
        assert_eq!(
            markdown_text("<b>MAV_OPTIONS</b> & `x_y <z>`"),
            "&lt;b&gt;MAV\\_OPTIONS&lt;/b&gt; &amp; `x_y <z>`"
        );
        assert_eq!(markdown_text("an open ` mark"), "an open \\` mark");
        assert_eq!(
            plain_text("Set `PermitRootLogin no`."),
            "Set PermitRootLogin no."
        );
        assert_eq!(plain_text("an open ` mark"), "an open ` mark");
    }
}
