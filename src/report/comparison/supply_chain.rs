//! The procurement view's supply-chain row: per candidate, each law of the catalogue as
//! `clear`, `covered` (with the components and the catalogue entry's source, from the law's
//! rule's findings), `unknown` (with why) or `not applied` (the policy does not apply it).
//!
//! A law is clear for a candidate only when its rule passed on every device; covered when it
//! failed on any; otherwise unknown. The row is built from each candidate's report, and every
//! rendering of it carries [`crate::supply_chain::DISCLAIMER`].

use crate::control::Control;
use crate::report::comparison::Comparison;
use crate::report::{markdown, Report};
use crate::score::RuleStatus;
use crate::supply_chain::catalogue::Catalogue;
use crate::supply_chain::DISCLAIMER;
use maud::{html, Markup};
use serde::Serialize;
use std::collections::BTreeSet;
use std::io;

/// The rule that reports parts of unknown origin, listed under a law that is unknown.
const UNKNOWN_ORIGIN_RULE: &str = "SC-004";

/// Why a law's rule was not assessed, as a procurement board reads it.
fn reason_in_words(reason: &crate::score::NotAssessed) -> String {
    use crate::score::NotAssessed;
    match reason {
        NotAssessed::RequiresUnmatched(_) => "the bill of materials leaves a part undecided (where it was made, or where its maker is domiciled, is unknown) or lists no part".to_owned(),
        NotAssessed::NoArtifact(_) => "a device has no profile, so no bill of materials".to_owned(),
        other => other.to_string(),
    }
}

/// One law, for one candidate.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LawVerdict {
    /// The law's id in the catalogue, e.g. `ndaa-848`.
    pub law: String,
    pub title: String,
    /// The rule that reports a covered component.
    pub rule: String,
    /// `clear`, `covered`, `unknown` or `not applied`.
    pub status: String,
    /// Covered: each finding's message (the component and the catalogue entry's source);
    /// unknown: the parts of unknown origin (SC-004's findings).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<String>,
    /// Unknown: why the law could not be decided (distinct reasons).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub because: Vec<String>,
    /// The law's source in the catalogue.
    pub source: String,
}

/// The row for one candidate's report, one verdict per law of the built-in catalogue.
pub fn verdicts(report: &Report) -> Vec<LawVerdict> {
    Catalogue::builtin()
        .laws
        .iter()
        .map(|law| {
            let in_force = report
                .rules
                .catalogue
                .iter()
                .any(|rule| rule.id == law.rule);
            let results: Vec<&crate::score::RuleResult> = report
                .devices
                .iter()
                .filter_map(|device| device.control(Control::SupplyChain))
                .flat_map(|control| &control.rules)
                .filter(|result| *result.rule == *law.rule)
                .collect();
            let covered = results
                .iter()
                .any(|result| matches!(result.status, RuleStatus::Failed | RuleStatus::Waived));
            let all_passed = !results.is_empty()
                && results.len() == report.devices.len()
                && results
                    .iter()
                    .all(|result| result.status == RuleStatus::Passed);
            let status = match (in_force, covered, all_passed) {
                (false, _, _) => "not applied",
                (true, true, _) => "covered",
                (true, false, true) => "clear",
                (true, false, false) => "unknown",
            };
            // Covered: the law's findings; unknown: the parts whose origin nobody stated.
            let shown = match status {
                "covered" => law.rule.as_str(),
                "unknown" => UNKNOWN_ORIGIN_RULE,
                _ => "",
            };
            let components: BTreeSet<String> = report
                .findings
                .iter()
                .filter(|finding| finding.rule == shown)
                .map(|finding| format!("{}: {}", finding.device, finding.message))
                .collect();
            let because: BTreeSet<String> = if status == "unknown" {
                let mut reasons: BTreeSet<String> = results
                    .iter()
                    .filter_map(|result| result.reason.as_ref().map(reason_in_words))
                    .collect();
                if results.len() < report.devices.len() {
                    reasons.insert("a device has no result for the rule".to_owned());
                }
                reasons
            } else {
                BTreeSet::new()
            };
            LawVerdict {
                law: law.id.clone(),
                title: law.title.clone(),
                rule: law.rule.clone(),
                status: status.to_owned(),
                components: components.into_iter().collect(),
                because: because.into_iter().collect(),
                source: law.source.clone(),
            }
        })
        .collect()
}

/// A verdict in a few words, for a table cell.
pub fn cell_text(verdict: &LawVerdict) -> String {
    match verdict.status.as_str() {
        "covered" => format!(
            "COVERED ({} finding{}; {})",
            verdict.components.len(),
            if verdict.components.len() == 1 {
                ""
            } else {
                "s"
            },
            verdict.rule
        ),
        other => other.to_owned(),
    }
}

/// The laws in catalogue order, with the row label each is shown under.
fn laws(candidates: &[&[LawVerdict]]) -> Vec<(String, String)> {
    candidates
        .first()
        .map(|verdicts| {
            verdicts
                .iter()
                .map(|verdict| {
                    (
                        verdict.law.clone(),
                        format!("supply chain: {}", verdict.law),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Terminal-table rows: one per law, a cell per candidate.
pub fn table_rows(candidates: &[&[LawVerdict]]) -> Vec<(String, Vec<String>)> {
    laws(candidates)
        .into_iter()
        .map(|(law, label)| {
            let cells = candidates
                .iter()
                .map(|verdicts| {
                    verdicts
                        .iter()
                        .find(|verdict| verdict.law == law)
                        .map_or_else(|| "n/a".to_owned(), cell_text)
                })
                .collect();
            (label, cells)
        })
        .collect()
}

/// The detail under the terminal table and the Markdown table: each covered component with
/// its source, each unknown with why, and the disclaimer.
pub fn write_details(
    names: &[&str],
    candidates: &[&[LawVerdict]],
    markdown_text: bool,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let quote = |text: &str| {
        if markdown_text {
            markdown::text(text)
        } else {
            text.to_owned()
        }
    };
    writeln!(out, "\nSupply chain, by law:")?;
    for (name, verdicts) in names.iter().zip(candidates) {
        for verdict in verdicts.iter() {
            writeln!(
                out,
                "- {} · {}: {} (source: {})",
                quote(name),
                quote(&verdict.law),
                quote(&verdict.status),
                quote(&verdict.source)
            )?;
            for detail in verdict.because.iter().chain(&verdict.components) {
                writeln!(out, "  - {}", quote(detail))?;
            }
        }
    }
    writeln!(out, "\n{}", quote(DISCLAIMER))
}

/// Markdown rows: one per law, a cell per candidate.
pub fn markdown_rows(candidates: &[&[LawVerdict]]) -> Vec<String> {
    table_rows(candidates)
        .into_iter()
        .map(|(label, cells)| {
            let cells: Vec<String> = cells
                .iter()
                .map(|cell| {
                    let mark = if cell.starts_with("COVERED") {
                        "❌"
                    } else if cell == "clear" {
                        "✅"
                    } else {
                        "⚪"
                    };
                    format!("{mark} {}", markdown::text(cell))
                })
                .collect();
            format!("| {} | {} |", markdown::text(&label), cells.join(" | "))
        })
        .collect()
}

/// What a cell's folded detail holds, in a few words: the parts it lists, or why the law is
/// undecided.
fn detail_summary(verdict: &LawVerdict) -> String {
    let parts = |count: usize| {
        if count == 1 {
            "1 part".to_owned()
        } else {
            format!("{count} parts")
        }
    };
    match (verdict.status.as_str(), verdict.components.len()) {
        ("covered", count) => format!("{} covered", parts(count)),
        (_, 0) => "why".to_owned(),
        (_, count) => format!("{} of unknown origin", parts(count)),
    }
}

/// The HTML section, first on the compare page: a row per law, a cell per candidate with its
/// verdict, the components covered (or of unknown origin) and why folded beneath it so that the
/// rows stay short and the scores follow on the first screen, and the disclaimer.
pub fn html_section(names: &[&str], candidates: &[&[LawVerdict]]) -> Markup {
    html! {
        section #supply-chain {
            h2 { "Supply chain" }
            p.meta { (DISCLAIMER) }
            table {
                thead {
                    tr {
                        th { "Law or list" }
                        @for name in names { th { (name) } }
                    }
                }
                tbody {
                    @for (law, _) in laws(candidates) {
                        tr {
                            @let first = candidates.first().and_then(|verdicts| verdicts.iter().find(|verdict| verdict.law == law));
                            th {
                                (law) br;
                                @if let Some(first) = first {
                                    span.muted { (first.title) } br;
                                    a href=(first.source) { "source" }
                                }
                            }
                            @for verdicts in candidates {
                                @let verdict = verdicts.iter().find(|verdict| verdict.law == law);
                                @let class = match verdict.map(|verdict| verdict.status.as_str()) {
                                    Some("covered") => "status fail",
                                    Some("clear") => "status pass",
                                    _ => "status na",
                                };
                                td class=(class) {
                                    @if let Some(verdict) = verdict {
                                        b { (verdict.status) }
                                        @if !verdict.components.is_empty() || !verdict.because.is_empty() {
                                            details {
                                                summary { (detail_summary(verdict)) }
                                                @if !verdict.components.is_empty() {
                                                    ul { @for component in &verdict.components { li { (component) } } }
                                                }
                                                @if !verdict.because.is_empty() {
                                                    span.muted { (verdict.because.join("; ")) }
                                                }
                                            }
                                        }
                                    } @else {
                                        b { "n/a" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The candidates' names and rows, in the order given.
fn columns(comparison: &Comparison) -> (Vec<&str>, Vec<&[LawVerdict]>) {
    comparison
        .candidates
        .iter()
        .map(|candidate| (candidate.name.as_str(), candidate.supply_chain.as_slice()))
        .unzip()
}

/// Adds the supply-chain rows to the comparison's terminal table.
pub fn add_table_rows(table: &mut comfy_table::Table, comparison: &Comparison) {
    let (_, candidates) = columns(comparison);
    for (label, cells) in table_rows(&candidates) {
        let mut row = vec![comfy_table::Cell::new(label)];
        row.extend(cells.into_iter().map(comfy_table::Cell::new));
        table.add_row(row);
    }
}

/// Writes the Markdown rows of the supply chain (inside the comparison's table).
pub fn write_markdown_rows(comparison: &Comparison, out: &mut dyn io::Write) -> io::Result<()> {
    let (_, candidates) = columns(comparison);
    for row in markdown_rows(&candidates) {
        writeln!(out, "{row}")?;
    }
    Ok(())
}

/// Writes the supply chain's detail, with the disclaimer, after a table.
pub fn write_comparison_details(
    comparison: &Comparison,
    markdown_text: bool,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let (names, candidates) = columns(comparison);
    write_details(&names, &candidates, markdown_text, out)
}

/// The HTML section of the comparison page.
pub fn comparison_section(comparison: &Comparison) -> Markup {
    let (names, candidates) = columns(comparison);
    html_section(&names, &candidates)
}
