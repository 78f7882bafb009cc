//! Framework sections of the reports (`scan --framework ID`): [`attach`] judges the chosen
//! frameworks on a report's devices and stores the results in [`Report::frameworks`]; the
//! HTML and Markdown renderers call [`html_section`] and [`markdown_sections`] (JUnit and
//! SARIF have their own: `junit/frameworks.rs`, `sarif_taxonomies.rs`). Without
//! `--framework` the list is empty and every renderer writes what it wrote before.

use crate::escape::text;
use crate::frameworks::{self, Framework, FrameworkResult, RequirementStatus};
use crate::report::Report;
use maud::{html, Markup};

/// Judges `chosen` on the report's devices (frameworks are views: nothing else changes).
pub fn attach(report: &mut Report, chosen: &[&Framework]) {
    let devices = report
        .devices
        .iter()
        .map(|device| (device.info.id.as_str(), device.controls.as_slice()));
    report.frameworks = frameworks::evaluate(chosen, devices);
}

/// The CSS class and the words of a status.
fn status_class(status: RequirementStatus) -> &'static str {
    match status {
        RequirementStatus::Pass => "fw-pass",
        RequirementStatus::Fail => "fw-fail",
        RequirementStatus::NotAssessed => "fw-na",
        RequirementStatus::Manual => "fw-manual",
    }
}

const STYLE: &str =
    ".fw-pass { background: var(--pass); color: var(--pass-ink); font-weight: 600; } \
.fw-fail { background: var(--fail); color: var(--fail-ink); font-weight: 600; } \
.fw-na { background: var(--na); color: var(--na-ink); } \
.fw-manual { background: #fff; color: var(--muted); border-style: dashed; } \
td.fw-devices { font-size: 12px; } td.fw-devices ul { margin: 4px 0; padding-left: 16px; }";

/// The CSS of the framework sections, for the page's head; empty without frameworks, so the
/// page is what it was.
pub fn style(report: &Report) -> &'static str {
    if report.frameworks.is_empty() {
        ""
    } else {
        STYLE
    }
}

/// One section per framework: the coverage line and a table of requirements with the fleet's
/// status, the devices per status (each device's status and why, folded), and why. Empty
/// without frameworks.
pub fn html_section(report: &Report) -> Markup {
    if report.frameworks.is_empty() {
        return html! {};
    }
    html! {
        @for framework in &report.frameworks {
            section id={ "framework-" (framework.id) } {
                h2 { "Framework: " (framework.title) }
                p.meta {
                    code { (framework.id) } " · " (framework.version) " · "
                    a href=(framework.url) { (framework.url) }
                }
                p { (summary_line(framework)) }
                table {
                    thead { tr {
                        th { "Requirement" } th { "Title" } th { "Fleet" }
                        th { "Devices" } th { "Why" }
                    } }
                    tbody {
                        @for requirement in &framework.requirements {
                            tr {
                                td.mono { (requirement.id) }
                                td { (requirement.title) }
                                td class=(status_class(requirement.status)) { (requirement.status.label()) }
                                td.fw-devices {
                                    details {
                                        summary { (device_counts(requirement.device_counts)) }
                                        ul {
                                            @for device in &requirement.devices {
                                                li {
                                                    code { (device.device) } ": "
                                                    (device.status.label())
                                                    @if let Some(reason) = &device.reason { " (" (reason) ")" }
                                                }
                                            }
                                        }
                                    }
                                }
                                td { (requirement.reason.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `3 pass, 9 fail, 1 not assessed, 2 manual (of 15 requirements)`.
pub fn summary_line(framework: &FrameworkResult) -> String {
    let counts = framework.summary;
    format!(
        "Fleet: {} pass, {} fail, {} not assessed, {} manual (of {} requirements). A manual requirement never passes; a requirement passes only when every rule that evidences it was assessed and passed.",
        counts.pass,
        counts.fail,
        counts.not_assessed,
        counts.manual,
        framework.requirements.len()
    )
}

fn device_counts(counts: frameworks::evaluate::StatusCounts) -> String {
    let parts: Vec<String> = RequirementStatus::ALL
        .into_iter()
        .filter(|status| counts.get(*status) > 0)
        .map(|status| format!("{} {}", counts.get(status), status.label()))
        .collect();
    parts.join(", ")
}

/// One Markdown chunk per framework (each pushed on its own, so a long report drops whole
/// frameworks, never half a table).
pub fn markdown_sections(report: &Report) -> Vec<String> {
    report
        .frameworks
        .iter()
        .map(|framework| {
            let mut section = format!(
                "\n### Framework: {} ({})\n\n{}\n\n| requirement | title | fleet | devices | why |\n|---|---|---|---|---|\n",
                text(&framework.title),
                text(&framework.version),
                text(&summary_line(framework))
            );
            for requirement in &framework.requirements {
                let mark = match requirement.status {
                    RequirementStatus::Pass => "✅ pass",
                    RequirementStatus::Fail => "❌ fail",
                    RequirementStatus::NotAssessed => "➖ not assessed",
                    RequirementStatus::Manual => "📝 manual",
                };
                section.push_str(&format!(
                    "| {} | {} | {mark} | {} | {} |\n",
                    text(&requirement.id),
                    text(&requirement.title),
                    text(&device_counts(requirement.device_counts)),
                    text(requirement.reason.as_deref().unwrap_or(""))
                ));
            }
            section
        })
        .collect()
}
