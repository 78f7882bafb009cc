//! Procurement comparison: several candidates (one folder each, a drone model or a vendor's
//! submission) scanned with the same rules and policy, then set side by side per control.
//!
//! A candidate's control is judged on all its devices' rule results together: it fails when
//! any rule of the control failed on any device, passes when at least one rule was assessed
//! and none failed, and is not assessed when no rule of the control could be assessed at all
//! (the reasons are kept: a board must see what a vendor did not submit).

mod render;
pub mod supply_chain;

pub use render::{write_html, write_markdown, write_table};

use crate::control::{Control, Severity};
use crate::report::{PolicyUsed, Report, Tool};
use crate::score::{self, ControlStatus, Grade, RuleStatus};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

pub const SCHEMA_VERSION: u32 = 1;

/// The formats a comparison is written in (`compare --format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ComparisonFormat {
    Table,
    Json,
    Markdown,
    Html,
}

impl ComparisonFormat {
    /// Writes the comparison in this format; `paint` colours the table.
    pub fn render(
        self,
        comparison: &Comparison,
        paint: crate::report::table::Paint,
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        match self {
            ComparisonFormat::Table => write_table(comparison, paint, out),
            ComparisonFormat::Json => {
                serde_json::to_writer_pretty(&mut *out, comparison)
                    .map_err(std::io::Error::from)?;
                writeln!(out)
            }
            ComparisonFormat::Markdown => write_markdown(comparison, out),
            ComparisonFormat::Html => write_html(comparison, out),
        }
    }
}

/// Candidates side by side.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Comparison {
    pub schema_version: u32,
    pub tool: Tool,
    /// SHA-256 over the rule files, the same for every candidate.
    pub rules_digest: String,
    pub policy: PolicyUsed,
    pub candidates: Vec<Candidate>,
}

/// One candidate's results.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Candidate {
    /// The folder's name.
    pub name: String,
    /// The folder as given.
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    pub grade: Grade,
    pub coverage: f64,
    pub devices: usize,
    pub artifacts_assessed: usize,
    /// Findings not waived, per severity.
    pub findings: BTreeMap<Severity, usize>,
    /// True when some artifact could not be read or analyzed.
    pub incomplete: bool,
    pub controls: Vec<CandidateControl>,
    /// Each law of the supply-chain catalogue: clear, covered (with components and source),
    /// unknown or not applied.
    pub supply_chain: Vec<supply_chain::LawVerdict>,
}

/// One control, for one candidate.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CandidateControl {
    pub control: Control,
    pub status: ControlStatus,
    /// Weighted pass rate of the control's assessed rules over all devices, in percent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Assessed rule results / rule results in force, in percent.
    pub coverage: f64,
    /// Rules that failed on some device, by id.
    pub failed_rules: Vec<String>,
    /// Why rules could not be assessed (distinct reasons), when the control was not assessed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_assessed_because: Vec<String>,
}

impl Comparison {
    /// Builds the comparison from each candidate's report, in the order given.
    pub fn new(candidates: Vec<(String, String, Report)>) -> Comparison {
        let (rules_digest, policy) = candidates
            .first()
            .map(|(_, _, report)| (report.rules.digest.clone(), report.policy.clone()))
            .unwrap_or_else(|| (String::new(), PolicyUsed::default()));
        Comparison {
            schema_version: SCHEMA_VERSION,
            tool: Tool::default(),
            rules_digest,
            policy,
            candidates: candidates
                .into_iter()
                .map(|(name, path, report)| Candidate::new(name, path, &report))
                .collect(),
        }
    }

    /// The candidates in order of preference: grade, then score, then coverage, then name.
    pub fn ranking(&self) -> Vec<&Candidate> {
        let mut ranked: Vec<&Candidate> = self.candidates.iter().collect();
        ranked.sort_by(|a, b| {
            a.grade
                .cmp(&b.grade)
                .then_with(|| b.score.unwrap_or(-1.0).total_cmp(&a.score.unwrap_or(-1.0)))
                .then_with(|| b.coverage.total_cmp(&a.coverage))
                .then_with(|| a.name.cmp(&b.name))
        });
        ranked
    }
}

impl Candidate {
    fn new(name: String, path: String, report: &Report) -> Candidate {
        let controls = Control::ALL
            .iter()
            .map(|&control| {
                let results: Vec<&score::RuleResult> = report
                    .devices
                    .iter()
                    .filter_map(|device| device.control(control))
                    .flat_map(|result| &result.rules)
                    .collect();
                let tally = score::tally(results.iter().copied());
                let failed_rules: BTreeSet<&str> = results
                    .iter()
                    .filter(|result| result.status == RuleStatus::Failed)
                    .map(|result| &*result.rule)
                    .collect();
                let status = score::control_status(results.iter().copied());
                let not_assessed_because: BTreeSet<&str> = if status == ControlStatus::NotAssessed {
                    results
                        .iter()
                        .filter_map(|result| result.reason.as_deref())
                        .collect()
                } else {
                    BTreeSet::new()
                };
                CandidateControl {
                    control,
                    status,
                    score: tally.score,
                    coverage: tally.coverage,
                    failed_rules: failed_rules.into_iter().map(str::to_owned).collect(),
                    not_assessed_because: not_assessed_because
                        .into_iter()
                        .map(str::to_owned)
                        .collect(),
                }
            })
            .collect();
        Candidate {
            name,
            path,
            score: report.summary.score,
            grade: report.summary.grade,
            coverage: report.summary.coverage,
            devices: report.summary.devices,
            artifacts_assessed: report
                .artifacts
                .iter()
                .filter(|artifact| artifact.status == crate::report::ArtifactStatus::Assessed)
                .count(),
            findings: report.summary.findings.clone(),
            incomplete: report.summary.incomplete,
            controls,
            supply_chain: supply_chain::verdicts(report),
        }
    }

    pub fn control(&self, control: Control) -> Option<&CandidateControl> {
        self.controls
            .iter()
            .find(|result| result.control == control)
    }
}
