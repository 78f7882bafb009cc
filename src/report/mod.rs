//! The report: one serialisable value that every renderer turns into text, and the exit code
//! decided from it.
//!
//! # JSON wire format (`schema_version` 1)
//!
//! - `schema_version`: 1; bumped when a field changes meaning or is removed.
//! - `tool`: `{name, version}` of drone-audit.
//! - `rules`: `{digest, count, catalogue}`: SHA-256 over the rule files read, the number in
//!   force, and each rule in force (`id`, `name`, `title`, `control`, `severity` after policy
//!   overrides, `kinds`, `rationale`, `remediation`, `references`).
//! - `policy`: `{source, digest, changes, provisional_below}`: the policy file (absent: built-in defaults), its
//!   SHA-256, and what it changes of the built-in rules: `changes.disabled` (rule ids),
//!   `changes.rerated` (`{rule, from, to}` severities), `changes.waived` (`{rule, waiver,
//!   expires}`, one per waiver) and `changes.relaxed` (requirements set below the defaults,
//!   as text), and the coverage below which a grade is provisional. Every other format states the same on its first line or summary
//!   ([`PolicyUsed::summary`]).
//! - `summary`: fleet roll-up: `score` (mean device score), `grade` (worst device grade),
//!   `coverage` (mean), `devices`, `findings` (not waived) by severity, `waived`, `controls`
//!   (devices passing, failing and not assessed per control), `incomplete` (an artifact
//!   could not be read).
//! - `baseline`: `{source, known_findings}` when `--baseline` left known findings out of
//!   `findings` (scores and summary still count them).
//! - `warnings`: about the scan as a whole, e.g. a waiver that matched no finding.
//! - `shard`: `{index, count, inputs}` on the part a `--shard K/N` scan writes (absent
//!   otherwise); `inputs` is the SHA-256 of the paths, rules folder and file-size limit.
//! - `partial`: `{missing_shards}` when `merge --allow-partial` merged an incomplete set.
//! - `frameworks[]`: with `scan --framework ID`: each framework's `id`, `title`, `version`,
//!   `url`, `summary` (requirements per fleet status) and `requirements[]` (`id`, `title`,
//!   fleet `status`: `pass` / `fail` / `not-assessed` / `manual`, `reason`, `rules`,
//!   `device_counts`, and `devices[]` with each device's `status` and `reason`).
//! - `scan_roots`: the paths scanned, as given; artifact paths relative to them make
//!   fingerprints and SARIF locations.
//! - `devices[]`: `id`, inventory facts, `score`, `grade`, `coverage`, `controls[]` with
//!   `status`, `score`, `coverage`, `rules[]` (each assessed rule's `rule`, `severity`,
//!   `status` and `findings`) and `not_assessed[]` (the other rules in force, grouped by the
//!   `reason` they could not be assessed: `{reason, rules: {ID: severity}}`).
//! - `artifacts[]`: `path`, `device`, `kind`, `size`, `sha256`, `status`
//!   (`assessed` / `partial` (assessed on the part that could be read) / `skipped` /
//!   `error`), `reason`, `warnings`.
//! - `findings[]`: `rule`, `title`, `control`, `severity`, `device`, `artifact`, `location`
//!   (`line`, `packet`, `offset`, `message`, `evidence_path`), `message`, `remediation`,
//!   `subject` (what the finding is about: `effective.permitrootlogin`,
//!   `accounts[name=pi]`), `fingerprint` (SHA-256 of rule, device, artifact path relative to
//!   the scan root and subject: stable when lines move, packets are reordered or the scan
//!   root is renamed; [`fingerprint`]), `waived` (`{reason, expires}`, when a policy waiver
//!   covers it).
//!
//! Every list is sorted; the same inputs give byte-identical JSON whatever the thread count.

pub mod assemble;
pub mod comparison;
pub mod fingerprint;
pub mod frameworks;
pub mod html;
pub mod html_board;
pub mod json;
pub mod junit;
pub mod legend;
pub mod markdown;
pub mod sarif;
pub mod sarif_taxonomies;
pub mod schema;
pub mod supply_chain_note;
pub mod table;

use crate::analyze::ArtifactKind;
use crate::control::{Control, Severity};
use crate::discover::DeviceInfo;
use crate::policy::{Policy, PolicyChanges};
use crate::rules::engine::Location;
use crate::score::{ControlResult, ControlStatus, Grade};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub rules: RulesUsed,
    pub policy: PolicyUsed,
    pub summary: FleetSummary,
    /// Set when `--baseline` left known findings out of `findings`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineUsed>,
    /// Things about the scan as a whole that need attention (unused waivers…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Set on the part a `--shard K/N` scan writes, for `drone-audit merge`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::shard::Part>,
    /// Set when `merge --allow-partial` merged an incomplete set of parts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial: Option<crate::shard::Partial>,
    /// Each framework `--framework` asked for: its requirements' status for the fleet and per
    /// device (absent without `--framework`; docs/frameworks.md).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frameworks: Vec<crate::frameworks::FrameworkResult>,
    /// The paths scanned, as reports show them: artifact paths are made relative to them for
    /// fingerprints and SARIF locations ([`fingerprint::scan_relative`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scan_roots: Vec<String>,
    pub devices: Vec<DeviceReport>,
    pub artifacts: Vec<ArtifactRecord>,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RulesUsed {
    pub digest: String,
    pub count: usize,
    /// Every rule in force (after the policy's overrides), for renderers and readers that
    /// need more than a finding carries: descriptions, rationale, references.
    pub catalogue: Vec<RuleInfo>,
}

/// What a report says of one rule in force.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RuleInfo {
    pub id: String,
    pub name: String,
    pub title: String,
    pub control: Control,
    /// The severity in force (the policy may override the rule's own).
    pub severity: Severity,
    pub kinds: Vec<ArtifactKind>,
    pub rationale: String,
    pub remediation: String,
    pub references: Vec<String>,
}

impl From<&crate::rules::Rule> for RuleInfo {
    fn from(rule: &crate::rules::Rule) -> RuleInfo {
        RuleInfo {
            id: rule.id.clone(),
            name: rule.name.clone(),
            title: rule.title.clone(),
            control: rule.control,
            severity: rule.severity,
            kinds: rule.kinds.clone(),
            rationale: rule.rationale.clone(),
            remediation: rule.remediation.clone(),
            references: rule.references.clone(),
        }
    }
}

/// The baseline a report was compared with.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BaselineUsed {
    pub source: String,
    /// Findings left out of `findings` because the baseline knows them (the summary and the
    /// scores still count them: they describe the fleet, not the change).
    pub known_findings: usize,
}

impl BaselineUsed {
    /// One line for a report's summary: that a baseline was applied and what it hides.
    pub fn summary(&self) -> String {
        format!(
            "Baseline {} applied: {} known findings hidden (the scores still count them)",
            self.source, self.known_findings
        )
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicyUsed {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub digest: String,
    /// What the policy disables, re-rates, waives and relaxes (reports written before this
    /// field read as changing nothing).
    #[serde(default)]
    pub changes: PolicyChanges,
    /// Coverage (percent) below which a grade is provisional (`[scoring] provisional_below`;
    /// reports written before this field read as the default).
    #[serde(default = "default_provisional_below")]
    pub provisional_below: f64,
}

impl Default for PolicyUsed {
    fn default() -> PolicyUsed {
        PolicyUsed::from(&Policy::default())
    }
}

fn default_provisional_below() -> f64 {
    crate::policy::DEFAULT_PROVISIONAL_BELOW
}

impl From<&Policy> for PolicyUsed {
    fn from(policy: &Policy) -> PolicyUsed {
        PolicyUsed {
            source: policy.source.clone(),
            digest: policy.digest.clone(),
            changes: policy.changes.clone(),
            provisional_below: policy.provisional_below,
        }
    }
}

impl PolicyUsed {
    /// Whether a grade over this coverage is provisional under the policy.
    pub fn is_provisional(&self, grade: Grade, coverage: f64) -> bool {
        crate::score::is_provisional(grade, coverage, self.provisional_below)
    }

    /// The policy's line of every report, after the word "Policy": `fleet/drone-audit.toml
    /// (sha256 0123456789ab): disables 1 rule (CONN-001), re-rates 0, waives 0 rules`.
    pub fn summary(&self) -> String {
        format!(
            "{} (sha256 {}): {}",
            self.source.as_deref().unwrap_or("built-in defaults"),
            &self.digest[..12.min(self.digest.len())],
            self.changes.summary()
        )
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FleetSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    pub grade: Grade,
    pub coverage: f64,
    pub devices: usize,
    /// Findings not waived, per severity, every severity present.
    pub findings: BTreeMap<Severity, usize>,
    /// Findings that a policy waiver covers.
    pub waived: usize,
    pub controls: Vec<ControlSummary>,
    /// True when some artifact could not be read or analyzed.
    pub incomplete: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ControlSummary {
    pub control: Control,
    pub passed: usize,
    pub failed: usize,
    pub not_assessed: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(from = "DeviceReportWire")]
pub struct DeviceReport {
    #[serde(flatten)]
    pub info: DeviceInfo,
    /// Inconsistencies between the device's artifacts and the inventory.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    pub grade: Grade,
    pub coverage: f64,
    pub controls: Vec<ControlResult>,
    /// Digests of the device's secrets (never the secrets), for the fleet's uniqueness check
    /// (`crate::shared_secrets`), which `merge` runs again over every part's devices.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<crate::analyze::fleet_secret::DeviceSecret>,
}

/// A device report as JSON has it: the inventory facts inline. (`DeviceInfo` refuses unknown
/// fields, as an inventory must, so it cannot be flattened when reading a report back.)
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct DeviceReportWire {
    id: String,
    vendor: Option<String>,
    model: Option<String>,
    serial: Option<String>,
    unit: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
    score: Option<f64>,
    grade: Grade,
    coverage: f64,
    controls: Vec<ControlResult>,
    #[serde(default)]
    secrets: Vec<crate::analyze::fleet_secret::DeviceSecret>,
}

impl From<DeviceReportWire> for DeviceReport {
    fn from(wire: DeviceReportWire) -> DeviceReport {
        DeviceReport {
            info: DeviceInfo {
                id: wire.id,
                paths: Vec::new(),
                vendor: wire.vendor,
                model: wire.model,
                serial: wire.serial,
                unit: wire.unit,
            },
            warnings: wire.warnings,
            score: wire.score,
            grade: wire.grade,
            coverage: wire.coverage,
            controls: wire.controls,
            secrets: wire.secrets,
        }
    }
}

impl DeviceReport {
    pub fn control(&self, control: Control) -> Option<&ControlResult> {
        self.controls
            .iter()
            .find(|result| result.control == control)
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactStatus {
    Assessed,
    /// Assessed on the part that could be read (a capture cut short): its findings stand,
    /// but no rule passes on it, and the scan is incomplete.
    Partial,
    Skipped,
    Error,
}

impl ArtifactStatus {
    /// Whether the artifact could not be assessed whole: the scan is then incomplete.
    pub fn is_incomplete(self) -> bool {
        matches!(self, ArtifactStatus::Partial | ArtifactStatus::Error)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ArtifactRecord {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<ArtifactKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    pub status: ArtifactStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    pub rule: String,
    pub title: String,
    pub control: Control,
    pub severity: Severity,
    pub device: String,
    pub artifact: String,
    pub location: Location,
    pub message: String,
    pub remediation: String,
    /// What the finding is about (a parameter, key, account, endpoint or flow), named from
    /// the evidence independently of lines and packets ([`crate::rules::subject`]).
    #[serde(default)]
    pub subject: String,
    pub fingerprint: String,
    /// Set when a policy waiver covers the finding; waived findings stay in every report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waived: Option<Waived>,
}

/// The waiver that covers a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Waived {
    /// Why the organisation accepts the finding (required in the policy).
    pub reason: String,
    /// The last day the waiver holds, `YYYY-MM-DD`.
    pub expires: String,
}

impl Finding {
    /// `file:line` (`image > container > member:line` inside an image), then any packet,
    /// byte offset or log message the finding points at.
    pub fn place(&self) -> String {
        let location = &self.location;
        let mut place = self.artifact.clone();
        if let Some(container) = &location.container {
            place.push_str(&format!(" > {container}"));
        }
        if let Some(line) = location.line {
            place.push_str(&format!(":{line}"));
        }
        if let Some(packet) = location.packet {
            place.push_str(&format!(" packet {packet}"));
        }
        if let Some(offset) = location.offset {
            place.push_str(&format!(" offset {offset:#x}"));
        }
        if let Some(message) = location.message {
            place.push_str(&format!(" log message {message}"));
        }
        place
    }
}

impl Report {
    /// What a reader must know when the report covers less than the fleet: a shard's part,
    /// or a merge with shards missing.
    pub fn scope_note(&self) -> Option<String> {
        if let Some(partial) = &self.partial {
            let missing: Vec<String> = partial.missing_shards.iter().map(u32::to_string).collect();
            return Some(format!(
                "Partial report: shard(s) {} were not merged, so their devices are missing from every figure",
                missing.join(", ")
            ));
        }
        self.shard.as_ref().map(|part| {
            format!(
                "Part {} of a sharded scan: only the devices of this shard; `drone-audit merge` makes the fleet's report",
                part.shard
            )
        })
    }

    /// Artifacts that could not be read or analyzed, whole or in part.
    pub fn errors(&self) -> impl Iterator<Item = &ArtifactRecord> {
        self.artifacts
            .iter()
            .filter(|artifact| artifact.status.is_incomplete())
    }

    /// Why the scan assessed too little to be a verdict although every artifact it read was
    /// assessed: it found no device, or devices on which no rule could be assessed (a folder
    /// of unknown files, a typo in a path). Empty when every device had something assessed.
    pub fn nothing_assessed(&self) -> Vec<String> {
        if self.shard.is_some() {
            // A part is no verdict, and a shard may own no device at all.
            return Vec::new();
        }
        if self.devices.is_empty() {
            return vec!["the scan found no device to assess".to_owned()];
        }
        self.devices
            .iter()
            .filter(|device| device.grade == Grade::NotAssessed)
            .map(|device| no_rule_assessed(&device.info.id))
            .collect()
    }

    pub fn device(&self, id: &str) -> Option<&DeviceReport> {
        self.devices.iter().find(|device| device.info.id == id)
    }
}

/// What [`Report::nothing_assessed`] says of a device on which no rule could be assessed.
pub fn no_rule_assessed(device: &str) -> String {
    format!("device {device}: no rule could be assessed (no artifact of a known kind was read)")
}

/// The threshold of `--fail-on`: findings at or above it fail the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Severity(Severity),
    /// Never fail on findings.
    None,
}

/// Process exit codes (README, `--help`).
pub mod exit {
    /// Nothing at or above `--fail-on`, and every artifact was assessed.
    pub const OK: u8 = 0;
    /// Findings at or above `--fail-on`.
    pub const FINDINGS: u8 = 1;
    /// Usage, policy or rule error: nothing was scanned.
    pub const USAGE: u8 = 2;
    /// The scan was incomplete (an artifact could not be read or parsed) and nothing else failed.
    pub const INCOMPLETE: u8 = 3;
}

/// Decides the exit code from a report: findings first, then completeness. A scan that
/// assessed nothing on some device (or found none) is incomplete unless `allow_empty`.
pub fn exit_code(report: &Report, fail_on: FailOn, allow_empty: bool) -> u8 {
    let failing = match fail_on {
        FailOn::Severity(threshold) => report
            .findings
            .iter()
            .any(|finding| finding.severity >= threshold && finding.waived.is_none()),
        FailOn::None => false,
    };
    verdict(
        failing,
        report.summary.incomplete || report.partial.is_some(),
        !allow_empty && !report.nothing_assessed().is_empty(),
    )
}

/// The exit code of a report in which findings fail the run (`failing`), or which is
/// `incomplete` (an artifact not fully assessed, shards missing, or too little assessed).
pub fn verdict(failing: bool, incomplete: bool, too_little: bool) -> u8 {
    if failing {
        exit::FINDINGS
    } else if incomplete || too_little {
        exit::INCOMPLETE
    } else {
        exit::OK
    }
}

impl FailOn {
    /// Whether a summary's findings not waived (counted by severity) fail the run.
    pub fn fails(self, summary: &FleetSummary) -> bool {
        match self {
            FailOn::Severity(threshold) => summary
                .findings
                .iter()
                .any(|(severity, count)| *severity >= threshold && *count > 0),
            FailOn::None => false,
        }
    }
}

/// A report format.
pub trait Renderer {
    fn render(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()>;
}

/// The formats a scan's report is written in (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Terminal table (the default).
    Table,
    /// The versioned, deterministic JSON report.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// JUnit XML: compliance as test results in CI dashboards.
    Junit,
    /// Markdown for a pull-request comment or $GITHUB_STEP_SUMMARY.
    Markdown,
    /// One self-contained HTML page.
    Html,
}

impl Format {
    /// The renderer of the format; `table` is how the terminal table is laid out.
    pub fn renderer(self, table: table::TableRenderer) -> Box<dyn Renderer> {
        match self {
            Format::Table => Box::new(table),
            Format::Json => Box::new(json::JsonRenderer),
            Format::Sarif => Box::new(sarif::SarifRenderer::default()),
            Format::Junit => Box::new(junit::JunitRenderer),
            Format::Markdown => Box::new(markdown::MarkdownRenderer),
            Format::Html => Box::new(html::HtmlRenderer),
        }
    }
}

/// Short label for a control's status, as tables show it.
pub fn status_label(status: ControlStatus) -> &'static str {
    legend::status_word(status)
}
