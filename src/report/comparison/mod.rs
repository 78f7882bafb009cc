//! Procurement comparison: several candidates (one folder each, a drone model or a vendor's
//! submission) scanned with the same rules and policy, then set side by side per control.
//!
//! A candidate's control is judged on all its devices' rule results together: it fails when
//! any rule of the control failed on any device, passes when at least one rule was assessed
//! and none failed, and is not assessed when no rule of the control could be assessed at all
//! (the reasons are kept: a board must see what a vendor did not submit).
//!
//! Candidates are ranked by grade, then score, then coverage, but a grade is only compared
//! with grades that rest on as much evidence: a provisional grade (coverage below the
//! policy's `[scoring] provisional_below`) ranks after every grade that is not, and a
//! candidate with nothing assessed comes last. More evidence can only add findings, so a
//! provisional "A" says "A at best": ranking it above a well-covered "C" would reward the
//! vendor who submitted least. Every format says so where it happens ([`Comparison::demoted`]).

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
    /// True when the grade rests on too little evidence: coverage below the policy's
    /// `provisional_below`. A provisional grade ranks after every grade that is not.
    pub provisional: bool,
    /// The candidate's place in the ranking, 1 for the first ([`Comparison::ranking`]).
    pub rank: usize,
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
        let mut comparison = Comparison {
            schema_version: SCHEMA_VERSION,
            tool: Tool::default(),
            rules_digest,
            policy,
            candidates: candidates
                .into_iter()
                .map(|(name, path, report)| Candidate::new(name, path, &report))
                .collect(),
        };
        let ranks: Vec<usize> = {
            let ranking = comparison.ranking();
            comparison
                .candidates
                .iter()
                .map(|candidate| {
                    1 + ranking
                        .iter()
                        .position(|ranked| std::ptr::eq(*ranked, candidate))
                        .unwrap_or(0)
                })
                .collect()
        };
        for (candidate, rank) in comparison.candidates.iter_mut().zip(ranks) {
            candidate.rank = rank;
        }
        comparison
    }

    /// The candidates in order of preference: those graded on enough evidence, then those
    /// whose grade is provisional, then those with nothing assessed; in each group by grade,
    /// then score, then coverage, then name.
    pub fn ranking(&self) -> Vec<&Candidate> {
        let mut ranked: Vec<&Candidate> = self.candidates.iter().collect();
        ranked.sort_by(|a, b| {
            a.evidence_tier()
                .cmp(&b.evidence_tier())
                .then_with(|| a.grade.cmp(&b.grade))
                .then_with(|| b.score.unwrap_or(-1.0).total_cmp(&a.score.unwrap_or(-1.0)))
                .then_with(|| b.coverage.total_cmp(&a.coverage))
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.path.cmp(&b.path))
        });
        ranked
    }

    /// Each provisional candidate ranked below a candidate with a worse grade, with the
    /// better-graded ones it would have passed by grade alone: what every format states
    /// beside the ranking.
    pub fn demoted(&self) -> Vec<Demotion<'_>> {
        let ranking = self.ranking();
        ranking
            .iter()
            .enumerate()
            .filter(|(_, candidate)| candidate.provisional)
            .filter_map(|(place, candidate)| {
                let below: Vec<&Candidate> = ranking[..place]
                    .iter()
                    .copied()
                    .filter(|above| !above.provisional && above.grade > candidate.grade)
                    .collect();
                (!below.is_empty()).then_some(Demotion { candidate, below })
            })
            .collect()
    }
}

/// A provisional candidate ranked below candidates with worse grades that rest on enough
/// evidence.
#[derive(Debug)]
pub struct Demotion<'a> {
    pub candidate: &'a Candidate,
    /// The candidates ranked above it with a worse grade, in ranking order.
    pub below: Vec<&'a Candidate>,
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
            provisional: report
                .policy
                .is_provisional(report.summary.grade, report.summary.coverage),
            // Set once every candidate is known.
            rank: 0,
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

    /// 0 when graded on enough evidence, 1 when the grade is provisional, 2 when nothing
    /// could be graded: the first key of the ranking.
    fn evidence_tier(&self) -> u8 {
        if self.grade == Grade::NotAssessed {
            2
        } else if self.provisional {
            1
        } else {
            0
        }
    }

    pub fn control(&self, control: Control) -> Option<&CandidateControl> {
        self.controls
            .iter()
            .find(|result| result.control == control)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(name: &str, grade: Grade, score: f64, coverage: f64) -> Candidate {
        Candidate {
            name: name.to_owned(),
            path: name.to_owned(),
            score: (grade != Grade::NotAssessed).then_some(score),
            grade,
            provisional: crate::score::is_provisional(grade, coverage, 50.0),
            rank: 0,
            coverage,
            devices: 1,
            artifacts_assessed: 1,
            findings: BTreeMap::new(),
            incomplete: false,
            controls: Vec::new(),
            supply_chain: Vec::new(),
        }
    }

    fn comparison(candidates: Vec<Candidate>) -> Comparison {
        Comparison {
            schema_version: SCHEMA_VERSION,
            tool: Tool::default(),
            rules_digest: String::new(),
            policy: PolicyUsed::default(),
            candidates,
        }
    }

    #[test]
    fn grades_on_enough_evidence_come_first_then_provisional_then_none() {
        let comparison = comparison(vec![
            candidate("nothing", Grade::NotAssessed, 0.0, 0.0),
            candidate("provisional-a", Grade::A, 100.0, 28.0),
            candidate("provisional-c", Grade::C, 70.0, 40.0),
            candidate("covered-f", Grade::F, 40.0, 80.0),
            candidate("covered-b", Grade::B, 85.0, 60.0),
        ]);
        let order: Vec<&str> = comparison
            .ranking()
            .iter()
            .map(|candidate| candidate.name.as_str())
            .collect();
        assert_eq!(
            order,
            [
                "covered-b",
                "covered-f",
                "provisional-a",
                "provisional-c",
                "nothing"
            ]
        );
        let demoted = comparison.demoted();
        let said: Vec<(&str, Vec<&str>)> = demoted
            .iter()
            .map(|demotion| {
                (
                    demotion.candidate.name.as_str(),
                    demotion.below.iter().map(|c| c.name.as_str()).collect(),
                )
            })
            .collect();
        // provisional-a is better than both covered grades; provisional-c only than the F.
        assert_eq!(
            said,
            [
                ("provisional-a", vec!["covered-b", "covered-f"]),
                ("provisional-c", vec!["covered-f"]),
            ]
        );
    }

    #[test]
    fn without_provisional_grades_the_ranking_is_by_grade_and_nothing_is_said() {
        let comparison = comparison(vec![
            candidate("f", Grade::F, 40.0, 80.0),
            candidate("a", Grade::A, 95.0, 60.0),
        ]);
        let order: Vec<&str> = comparison
            .ranking()
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(order, ["a", "f"]);
        assert!(comparison.demoted().is_empty());
    }
}
