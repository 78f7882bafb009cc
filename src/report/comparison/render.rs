//! Renderings of a procurement comparison: a terminal table, Markdown for a board paper or a
//! pull request, and a self-contained HTML page (inline CSS and SVG, no scripts). JSON is the
//! `Comparison` value itself.
//!
//! Every rendering shows the same facts: grade, score, coverage, findings, devices and
//! artifacts, and whether the candidate's scan was incomplete; then per control pass, fail
//! (with the rules that failed) or not assessed (with why).

use crate::control::{Control, Severity};
use crate::report::comparison::{Candidate, CandidateControl, Comparison};
use crate::report::html::{grade_class, head, score_text};
use crate::report::legend;
use crate::report::markdown;
use crate::report::table::Paint;
use crate::score::ControlStatus;
use comfy_table::Cell;
use maud::{html, Markup, DOCTYPE};
use std::io;

/// Failed rule ids a cell lists before summarising the rest.
const RULES_SHOWN: usize = 4;

/// How the ranking is ordered, as every format states it before the ranking.
const RANKING_ORDER: &str =
    "Ranking (grade, then score, then coverage; provisional grades after the others)";

/// The ranking, best first, each name with its grade cell: `px4-quad (F) > m2e-hq (A*)`.
fn ranking_text(comparison: &Comparison, escape: &dyn Fn(&str) -> String) -> String {
    comparison
        .ranking()
        .iter()
        .map(|candidate| {
            format!(
                "{} ({})",
                escape(&candidate.name),
                escape(&legend::grade_cell(
                    &comparison.policy,
                    candidate.grade,
                    candidate.coverage
                ))
            )
        })
        .collect::<Vec<_>>()
        .join(" > ")
}

/// A sentence per provisional candidate ranked after candidates with worse grades: the
/// ranking does not contradict the grades without saying why.
fn demotion_sentences(comparison: &Comparison) -> Vec<String> {
    comparison
        .demoted()
        .iter()
        .map(|demotion| {
            let above: Vec<String> = demotion
                .below
                .iter()
                .map(|other| format!("{} ({})", other.name, other.grade.label()))
                .collect();
            format!(
                "{} ranks after {} although its grade {} is better: it is provisional, over {}% coverage (below the policy's {}%), too little evidence to rank by",
                demotion.candidate.name,
                above.join(", "),
                demotion.candidate.grade.label(),
                demotion.candidate.coverage,
                comparison.policy.provisional_below
            )
        })
        .collect()
}

fn cell_text(result: Option<&CandidateControl>) -> String {
    let Some(result) = result else {
        return "n/a".to_owned();
    };
    match result.status {
        ControlStatus::Pass => format!("pass ({})", score_text(result.score)),
        ControlStatus::NotAssessed => "not assessed".to_owned(),
        ControlStatus::Fail => {
            let mut rules: Vec<&str> = result
                .failed_rules
                .iter()
                .take(RULES_SHOWN)
                .map(String::as_str)
                .collect();
            let more = result.failed_rules.len().saturating_sub(RULES_SHOWN);
            let more_text = format!("+{more}");
            if more > 0 {
                rules.push(&more_text);
            }
            format!("FAIL ({}): {}", score_text(result.score), rules.join(" "))
        }
    }
}

fn findings_text(candidate: &Candidate) -> String {
    Severity::ALL
        .iter()
        .filter(|severity| **severity != Severity::Info)
        .map(|severity| {
            format!(
                "{} {severity}",
                candidate.findings.get(severity).copied().unwrap_or(0)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Terminal table: a row per control, a column per candidate, in the order given.
pub fn write_table(
    comparison: &Comparison,
    paint: Paint,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let mut header = vec![""];
    header.extend(comparison.candidates.iter().map(|c| c.name.as_str()));
    let mut table = paint.table(header);
    let row = |label: &str, cell: &dyn Fn(&Candidate) -> Cell| {
        let mut row = vec![Cell::new(label)];
        row.extend(comparison.candidates.iter().map(cell));
        row
    };
    table.add_row(row("grade", &|c| {
        paint.grade(&legend::grade_cell(&comparison.policy, c.grade, c.coverage))
    }));
    table.add_row(row("score", &|c| Cell::new(score_text(c.score))));
    table.add_row(row("coverage", &|c| Cell::new(format!("{}%", c.coverage))));
    table.add_row(row("findings", &|c| Cell::new(findings_text(c))));
    table.add_row(row("devices / artifacts", &|c| {
        Cell::new(format!("{} / {}", c.devices, c.artifacts_assessed))
    }));
    for control in Control::ALL {
        table.add_row(row(control.id(), &|c| {
            let result = c.control(control);
            paint.status(
                result.map_or(ControlStatus::NotAssessed, |r| r.status),
                &cell_text(result),
            )
        }));
    }
    super::supply_chain::add_table_rows(&mut table, comparison);
    table.add_row(row("incomplete", &|c| {
        Cell::new(if c.incomplete { "yes" } else { "no" })
    }));
    writeln!(
        out,
        "{} {}: {} candidates, same rules (sha256 {}) and policy ({})\n{table}\n{RANKING_ORDER}: {}",
        comparison.tool.name,
        comparison.tool.version,
        comparison.candidates.len(),
        &comparison.rules_digest[..12.min(comparison.rules_digest.len())],
        comparison.policy.source.as_deref().unwrap_or("built-in defaults"),
        ranking_text(comparison, &|text| text.to_owned()),
    )?;
    for sentence in demotion_sentences(comparison) {
        writeln!(out, "{sentence}.")?;
    }
    if comparison
        .candidates
        .iter()
        .any(|c| comparison.policy.is_provisional(c.grade, c.coverage))
    {
        writeln!(
            out,
            "Grade {}",
            legend::provisional_legend(&comparison.policy)
        )?;
    }
    for candidate in &comparison.candidates {
        let gaps: Vec<String> = candidate
            .controls
            .iter()
            .filter(|control| control.status == ControlStatus::NotAssessed)
            .map(|control| {
                format!(
                    "{} ({})",
                    control.control,
                    control.not_assessed_because.join("; ")
                )
            })
            .collect();
        if !gaps.is_empty() {
            writeln!(out, "{}: not assessed: {}", candidate.name, gaps.join(", "))?;
        }
    }
    super::supply_chain::write_comparison_details(comparison, false, out)
}

/// Markdown: a GitHub-flavoured table with the same rows as the terminal table.
pub fn write_markdown(comparison: &Comparison, out: &mut dyn io::Write) -> io::Result<()> {
    writeln!(out, "## Drone security comparison\n")?;
    let names: Vec<String> = comparison
        .candidates
        .iter()
        .map(|candidate| markdown::text(&candidate.name))
        .collect();
    writeln!(out, "| | {} |", names.join(" | "))?;
    writeln!(out, "|---|{}", "---|".repeat(names.len()))?;
    let row = |label: &str, cell: &dyn Fn(&Candidate) -> String| -> String {
        let cells: Vec<String> = comparison.candidates.iter().map(cell).collect();
        format!("| {label} | {} |", cells.join(" | "))
    };
    writeln!(
        out,
        "{}",
        row("**Grade**", &|c| format!(
            "**{}**",
            markdown::text(&legend::grade_cell(&comparison.policy, c.grade, c.coverage))
        ))
    )?;
    writeln!(out, "{}", row("Score", &|c| score_text(c.score)))?;
    writeln!(out, "{}", row("Coverage", &|c| format!("{}%", c.coverage)))?;
    writeln!(out, "{}", row("Findings", &findings_text))?;
    writeln!(
        out,
        "{}",
        row("Devices / artifacts", &|c| format!(
            "{} / {}",
            c.devices, c.artifacts_assessed
        ))
    )?;
    writeln!(
        out,
        "{}",
        row("Incomplete", &|c| if c.incomplete {
            "⚠️ yes"
        } else {
            "no"
        }
        .to_owned())
    )?;
    for control in Control::ALL {
        let label = markdown::text(control.id());
        writeln!(
            out,
            "{}",
            row(&label, &|c| {
                let result = c.control(control);
                let mark = match result.map(|r| r.status) {
                    Some(ControlStatus::Pass) => "✅",
                    Some(ControlStatus::Fail) => "❌",
                    _ => "⚪",
                };
                format!("{mark} {}", markdown::text(&cell_text(result)))
            })
        )?;
    }
    super::supply_chain::write_markdown_rows(comparison, out)?;
    writeln!(
        out,
        "\n{RANKING_ORDER}: {}\n",
        ranking_text(comparison, &markdown::text)
    )?;
    let demotions = demotion_sentences(comparison);
    for sentence in &demotions {
        writeln!(out, "- {}.", markdown::text(sentence))?;
    }
    if !demotions.is_empty() {
        writeln!(out)?;
    }
    if comparison
        .candidates
        .iter()
        .any(|c| comparison.policy.is_provisional(c.grade, c.coverage))
    {
        writeln!(
            out,
            "Grade {}\n",
            markdown::text(&legend::provisional_legend(&comparison.policy))
        )?;
    }
    for candidate in &comparison.candidates {
        for control in &candidate.controls {
            if control.status == ControlStatus::NotAssessed {
                writeln!(
                    out,
                    "- {} could not be assessed on {}: {}",
                    markdown::text(&candidate.name),
                    control.control,
                    markdown::text(&control.not_assessed_because.join("; "))
                )?;
            }
        }
    }
    super::supply_chain::write_comparison_details(comparison, true, out)?;
    writeln!(
        out,
        "\n<sub>{} {} · rules sha256 {} · policy {}</sub>",
        comparison.tool.name,
        comparison.tool.version,
        markdown::text(&comparison.rules_digest),
        markdown::text(
            comparison
                .policy
                .source
                .as_deref()
                .unwrap_or("built-in defaults")
        )
    )
}

const COMPARE_STYLE: &str = r#"
td.pass { background: var(--pass); color: var(--pass-ink); }
td.fail { background: var(--fail); color: var(--fail-ink); }
td.na { background: var(--na); color: var(--na-ink); }
td.status b { display: block; }
tbody th { text-transform: none; letter-spacing: 0; font-size: 13px; }
th .muted { text-transform: none; font-weight: normal; }
#supply-chain table { table-layout: fixed; width: 100%; }
#supply-chain td, #supply-chain th { overflow-wrap: anywhere; }
#supply-chain details summary { cursor: pointer; font-size: 13px; }
#supply-chain details ul { padding-left: 18px; margin: 4px 0; }
"#;

const BAR_WIDTH: u32 = 480;
const BAR_HEIGHT: u32 = 26;
const BAR_LABEL_WIDTH: u32 = 200;

/// HTML: one self-contained page, the same table with coloured and worded cells, and the
/// scores as an inline SVG bar chart.
pub fn write_html(comparison: &Comparison, out: &mut dyn io::Write) -> io::Result<()> {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            (head(&comparison.tool, "Drone security comparison", COMPARE_STYLE))
            body {
                header {
                    h1 { "Drone security comparison" }
                    p.meta {
                        (comparison.candidates.len()) " candidates, judged by the same "
                        "rules (sha256 " code { (comparison.rules_digest) } ") and policy ("
                        (comparison.policy.source.as_deref().unwrap_or("built-in defaults")) ")."
                    }
                }
                main {
                    (super::supply_chain::comparison_section(comparison))
                    section #scores {
                        h2 { "Scores" }
                        (score_chart(comparison))
                        p.meta { (RANKING_ORDER) ": " (ranking_text(comparison, &|text| text.to_owned())) }
                        @for sentence in demotion_sentences(comparison) {
                            p.provisional-note { (sentence) "." }
                        }
                    }
                    section #controls {
                        h2 { "Controls" }
                        (control_table(comparison))
                    }
                    section #gaps {
                        h2 { "What could not be assessed" }
                        (gaps(comparison))
                    }
                }
                footer {
                    (comparison.tool.name) " " (comparison.tool.version)
                    " · comparison schema " (comparison.schema_version)
                }
            }
        }
    };
    out.write_all(page.into_string().as_bytes())
}

fn score_chart(comparison: &Comparison) -> Markup {
    let ranking = comparison.ranking();
    let height = BAR_HEIGHT * u32::try_from(ranking.len()).unwrap_or(u32::MAX / BAR_HEIGHT) + 8;
    // Room after the longest bar for "100.0 · grade A (coverage 28%, provisional)".
    let width = BAR_LABEL_WIDTH + BAR_WIDTH + 330;
    html! {
        svg xmlns="http://www.w3.org/2000/svg" role="img" width=(width) height=(height)
            viewBox={ "0 0 " (width) " " (height) } {
            title { "Score of each candidate, best first" }
            @for (index, candidate) in ranking.iter().enumerate() {
                @let y = 4 + BAR_HEIGHT * u32::try_from(index).unwrap_or(0);
                @let score = candidate.score.unwrap_or(0.0).clamp(0.0, 100.0);
                // Truncation is the intent: a bar is whole pixels wide.
                @let bar = (score / 100.0 * f64::from(BAR_WIDTH)).round() as u32;
                @let fill = match candidate.grade.label() {
                    "A" | "B" => "#2f855a",
                    "C" | "D" => "#a16207",
                    "F" => "#8b0000",
                    _ => "#9ca3af",
                };
                text x=(BAR_LABEL_WIDTH - 8) y=(y + 17) text-anchor="end" font-size="13" { (candidate.name) }
                rect x=(BAR_LABEL_WIDTH) y=(y + 3) width=(bar.max(1)) height=(BAR_HEIGHT - 8) fill=(fill) {}
                text x=(BAR_LABEL_WIDTH + bar + 6) y=(y + 17) font-size="13" {
                    (score_text(candidate.score)) " · grade "
                    (legend::grade_sentence(&comparison.policy, candidate.grade, candidate.coverage))
                }
            }
        }
    }
}

fn control_table(comparison: &Comparison) -> Markup {
    html! {
        table {
            thead {
                tr {
                    th { "" }
                    @for candidate in &comparison.candidates {
                        th { (candidate.name) br; span.muted { (candidate.path) } }
                    }
                }
            }
            tbody {
                tr {
                    th { "Grade" }
                    @for candidate in &comparison.candidates {
                        td class=(grade_class(candidate.grade.label())) {
                            b { (candidate.grade.label()) }
                            @if comparison.policy.is_provisional(candidate.grade, candidate.coverage) {
                                " " span.provisional { "provisional" }
                            }
                        }
                    }
                }
                tr { th { "Score" } @for c in &comparison.candidates { td.num { (score_text(c.score)) } } }
                tr { th { "Coverage" } @for c in &comparison.candidates { td.num { (c.coverage) "%" } } }
                tr { th { "Findings" } @for c in &comparison.candidates { td { (findings_text(c)) } } }
                tr { th { "Devices / artifacts" } @for c in &comparison.candidates { td { (c.devices) " / " (c.artifacts_assessed) } } }
                tr { th { "Incomplete" } @for c in &comparison.candidates { td { @if c.incomplete { b { "yes: some artifacts could not be read" } } @else { "no" } } } }
                @for control in Control::ALL {
                    tr {
                        th { (control.id()) br; span.muted { (control.mitigation()) } }
                        @for candidate in &comparison.candidates {
                            @let result = candidate.control(control);
                            @let class = match result.map(|r| r.status) {
                                Some(ControlStatus::Pass) => "status pass",
                                Some(ControlStatus::Fail) => "status fail",
                                _ => "status na",
                            };
                            td class=(class) {
                                @match result {
                                    Some(result) if result.status == ControlStatus::Fail => {
                                        b { "FAIL " (score_text(result.score)) }
                                        code { (result.failed_rules.join(" ")) }
                                    }
                                    Some(result) if result.status == ControlStatus::Pass => {
                                        b { "pass " (score_text(result.score)) }
                                    }
                                    _ => { b { "not assessed" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn gaps(comparison: &Comparison) -> Markup {
    let gaps: Vec<(&Candidate, &CandidateControl)> = comparison
        .candidates
        .iter()
        .flat_map(|candidate| {
            candidate
                .controls
                .iter()
                .filter(|control| control.status == ControlStatus::NotAssessed)
                .map(move |control| (candidate, control))
        })
        .collect();
    html! {
        @if gaps.is_empty() {
            p { "Every control was assessed for every candidate." }
        } @else {
            ul {
                @for (candidate, control) in gaps {
                    li { b { (candidate.name) } ", " (control.control) ": " (control.not_assessed_because.join("; ")) }
                }
            }
        }
    }
}
