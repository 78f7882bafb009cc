//! HTML report: one self-contained page (inline CSS and SVG, no scripts, no external assets)
//! for people who read an audit rather than pipe it: the fleet score, grade and coverage, a
//! device × control heat map, the findings by severity with where they are and how to fix
//! them, what could not be assessed and why, the artifacts read with their SHA-256, and the
//! rules digest and tool version that make the audit reproducible.
//!
//! The page is written with maud, which escapes every interpolated value, so no text from an
//! artifact or rule can turn into markup. The heat map labels every cell in words as well as
//! colour, so it reads in greyscale and on paper; a print stylesheet lays the page out for A4.

use crate::control::{Control, Severity};
use crate::report::html_board::{self, detailed_devices, inline_code, is_large, plain_reason};
use crate::report::legend;
use crate::report::{
    ArtifactRecord, ArtifactStatus, DeviceReport, Finding, Renderer, Report, Tool,
};
use crate::score::{ControlResult, ControlStatus, RuleStatus};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use std::collections::{BTreeMap, BTreeSet};
use std::io;

pub struct HtmlRenderer;

impl Renderer for HtmlRenderer {
    fn render(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
        out.write_all(page(report).into_string().as_bytes())
    }
}

const STYLE: &str = r#"
:root { --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --paper: #ffffff;
  --pass: #c7e9c0; --pass-ink: #0b3d0b; --fail: #f6b3b0; --fail-ink: #5c0a06;
  --na: #e6e8eb; --na-ink: #3d444d;
  --critical: #8b0000; --high: #c2410c; --medium: #a16207; --low: #1d4ed8; --info: #4b5563; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 24px; color: var(--ink); background: var(--paper);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 16px; margin: 20px 0 6px; }
p.meta, .muted { color: var(--muted); }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 140px; }
.card .label { display: block; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 28px; font-weight: 700; }
.card.grade .value { font-size: 40px; line-height: 1; }
.grade-A, .grade-B { color: var(--pass-ink); }
.grade-C, .grade-D { color: var(--medium); }
.grade-F { color: var(--critical); }
.banner { border: 2px solid var(--critical); border-radius: 8px; padding: 10px 14px; margin: 12px 0; font-weight: 600; }
.sev { display: inline-block; padding: 1px 7px; border-radius: 10px; color: #fff; font-size: 12px; font-weight: 600; white-space: nowrap; }
.sev-critical { background: var(--critical); } .sev-high { background: var(--high); }
.sev-medium { background: var(--medium); } .sev-low { background: var(--low); } .sev-info { background: var(--info); }
.waiver { display: inline-block; border: 1px dashed var(--muted); border-radius: 4px; padding: 0 6px; font-size: 12px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { border: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
td.num { text-align: right; white-space: nowrap; }
td.hash { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 11px; word-break: break-all; }
tr.waived td { background: #f6f8fa; color: var(--muted); }
.fix { margin-top: 4px; }
.fix b { color: var(--pass-ink); }
.heat-map svg { max-width: 100%; height: auto; }
.legend span { margin-right: 16px; }
.swatch { display: inline-block; width: 14px; height: 14px; vertical-align: -2px; border: 1px solid var(--muted); margin-right: 4px; }
.page-break { height: 0; }
ol.risks li { margin: 6px 0; }
.provisional { display: inline-block; border: 1px dashed var(--medium); color: var(--medium); border-radius: 4px; padding: 0 5px; font-size: 11px; font-weight: 600; text-transform: uppercase; }
.card .sub { display: block; color: var(--muted); font-size: 12px; }
#verdict h2 { margin-top: 16px; }
footer { margin-top: 40px; padding-top: 8px; border-top: 1px solid var(--line); color: var(--muted); font-size: 12px; }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { max-width: none; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  tr, .card, .heat-map { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  a { color: inherit; text-decoration: none; }
  .page-break { break-before: page; page-break-before: always; }
  header p.muted { display: none; }
  h1 { font-size: 20px; }
  .cards { margin: 6px 0; gap: 8px; }
  .card { padding: 4px 10px; }
  .card .value { font-size: 22px; }
  .card.grade .value { font-size: 28px; }
  #verdict h2 { margin: 8px 0 4px; font-size: 15px; }
  #verdict .legend { margin: 2px 0; font-size: 8pt; }
  ol.risks li { margin: 2px 0; font-size: 8.5pt; line-height: 1.3; }
  ol.risks { padding-left: 18px; margin: 4px 0; }
  #verdict .side { display: grid; grid-template-columns: 3fr 2fr; gap: 14px; align-items: start; }
  #verdict svg { max-width: 100%; height: auto; }
  .heat-map svg { max-height: 70mm; }
  ol.risks .fix { display: none; }
  header p.meta:not(.policy) { display: none; }
  p.policy { margin: 2px 0; }
}
"#;

/// The `head` of every page drone-audit writes: its title, the generator, the shared style
/// and any page-specific style after it.
pub(crate) fn head(tool: &Tool, title: &str, extra_style: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="generator" content={ (tool.name) " " (tool.version) };
            title { (title) }
            style { (PreEscaped(STYLE)) (PreEscaped(extra_style)) }
        }
    }
}

fn page(report: &Report) -> Markup {
    let grade = report.summary.grade.label();
    let devices = detailed_devices(report);
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(&report.tool, &format!("Drone fleet audit: grade {grade}"), crate::report::frameworks::style(report)))
            body {
                (header(report))
                main {
                    // The first printed page: the verdict.
                    div #verdict {
                        (heat_map_section(report, &devices))
                        div.side {
                            (html_board::top_risks(report))
                            (html_board::findings_chart(report))
                        }
                    }
                    div.page-break {}
                    (html_board::fleet_aggregates(report))
                    (devices_section(report, &devices))
                    (findings_section(report, &devices))
                    (super::supply_chain_note::html(report))
                    (coverage_section(report, &devices))
                    (crate::report::frameworks::html_section(report))
                    (rules_section(report))
                    (artifacts_section(report, &devices))
                }
                (footer(report))
            }
        }
    }
}

/// The ids of the devices the page details, to pick their findings and artifacts.
fn detailed_ids<'a>(devices: &[&'a DeviceReport]) -> BTreeSet<&'a str> {
    devices
        .iter()
        .map(|device| device.info.id.as_str())
        .collect()
}

pub(crate) fn score_text(score: Option<f64>) -> String {
    score.map_or_else(|| "n/a".to_owned(), |score| format!("{score:.1}"))
}

pub(crate) fn grade_class(grade: &str) -> String {
    match grade {
        "A" | "B" | "C" | "D" | "F" => format!("grade-{grade}"),
        _ => "grade-na".to_owned(),
    }
}

fn header(report: &Report) -> Markup {
    let summary = &report.summary;
    let grade = summary.grade.label();
    let total_findings: usize = summary.findings.values().sum();
    html! {
        header {
            h1 { "Drone fleet security audit" }
            p.meta {
                "Checked against the DHS data-security mitigations for commercial drones by "
                (report.tool.name) " " (report.tool.version) "."
            }
            div.cards {
                div class={ "card grade " (grade_class(grade)) } {
                    span.label { "Fleet grade" }
                    span.value { (grade) }
                    span.sub {
                        "coverage " (summary.coverage) "%"
                        @if report.policy.is_provisional(summary.grade, summary.coverage) {
                            " " span.provisional title=(legend::provisional_legend(&report.policy)) { "provisional" }
                        }
                    }
                }
                div.card {
                    span.label { "Fleet score" }
                    span.value { (score_text(summary.score)) }
                    " / 100"
                }
                div.card {
                    span.label { "Coverage" }
                    span.value { (summary.coverage) "%" }
                }
                div.card {
                    span.label { "Devices" }
                    span.value { (summary.devices) }
                }
                div.card {
                    span.label { "Open findings" }
                    span.value { (total_findings) }
                    div {
                        @for severity in Severity::ALL {
                            @let count = summary.findings.get(&severity).copied().unwrap_or(0);
                            @if count > 0 {
                                span class={ "sev sev-" (severity.id()) } { (count) " " (severity.id()) }
                                " "
                            }
                        }
                    }
                }
                @if summary.waived > 0 {
                    div.card {
                        span.label { "Waived" }
                        span.value { (summary.waived) }
                    }
                }
            }
            @if report.policy.changes.is_empty() {
                p.meta.policy { "Policy " (report.policy.summary()) }
            } @else {
                p.banner.policy { "Policy " (report.policy.summary()) }
            }
            @if let Some(note) = report.scope_note() {
                p.banner { (note) }
            }
            @if summary.incomplete {
                p.banner {
                    "Incomplete scan: some artifacts could not be read. Their rules count as not "
                    "assessed, never as passed; see Coverage."
                }
            }
            @if let Some(baseline) = &report.baseline {
                p.banner {
                    "Compared with the baseline " code { (baseline.source) } ": "
                    (baseline.known_findings) " known findings are left out of the findings below "
                    "(the scores still count them)."
                }
            }
            p.muted {
                "The grade is the worst device's; the score is the mean device score (severity-"
                "weighted pass rate of the rules assessed); coverage is the share of rules that "
                "had evidence to judge."
            }
        }
    }
}

/// Rows of the lists of unreadable and skipped files and of warnings, before the page points
/// to the JSON report.
const LIST_ROWS: usize = 200;

/// Geometry of the heat map, in SVG user units.
const LABEL_WIDTH: u32 = 230;
const CELL_WIDTH: u32 = 128;
const CELL_HEIGHT: u32 = 34;
const HEADER_HEIGHT: u32 = 44;
const GRADE_WIDTH: u32 = 70;
/// Device ids longer than this are shortened in the map (the full id is in its tooltip and
/// in the devices table).
const LABEL_CHARS: usize = 28;

/// Heat map colours (SVG presentation attributes take no CSS variables). Light fills with dark
/// text: the label, not the colour, carries the status.
const PASS_FILL: &str = "#c7e9c0";
const PASS_INK: &str = "#0b3d0b";
const FAIL_FILL: &str = "#f6b3b0";
const FAIL_INK: &str = "#5c0a06";
const NOT_ASSESSED_FILL: &str = "#e6e8eb";
const NOT_ASSESSED_INK: &str = "#3d444d";

struct CellStyle {
    fill: &'static str,
    ink: &'static str,
    label: String,
    pattern: bool,
}

fn cell_style(result: Option<&ControlResult>) -> CellStyle {
    let Some(result) = result else {
        return CellStyle {
            fill: NOT_ASSESSED_FILL,
            ink: NOT_ASSESSED_INK,
            label: legend::control_cell(None),
            pattern: true,
        };
    };
    let label = legend::control_cell(Some(result));
    match result.status {
        ControlStatus::Pass => CellStyle {
            fill: PASS_FILL,
            ink: PASS_INK,
            label,
            pattern: false,
        },
        ControlStatus::Fail => CellStyle {
            fill: FAIL_FILL,
            ink: FAIL_INK,
            label,
            pattern: false,
        },
        ControlStatus::NotAssessed => CellStyle {
            fill: NOT_ASSESSED_FILL,
            ink: NOT_ASSESSED_INK,
            label,
            pattern: true,
        },
    }
}

fn short_label(id: &str) -> String {
    if id.chars().count() <= LABEL_CHARS {
        return id.to_owned();
    }
    let mut label: String = id.chars().take(LABEL_CHARS - 1).collect();
    label.push('…');
    label
}

fn heat_map_section(report: &Report, devices: &[&DeviceReport]) -> Markup {
    let columns = Control::ALL.len() as u32;
    let width = LABEL_WIDTH + columns * CELL_WIDTH + GRADE_WIDTH;
    let height = HEADER_HEIGHT + devices.len() as u32 * CELL_HEIGHT + 2;
    let provisional = devices
        .iter()
        .any(|device| report.policy.is_provisional(device.grade, device.coverage));
    let grade_x = LABEL_WIDTH + columns * CELL_WIDTH;
    html! {
        section #heat-map .heat-map {
            h2 {
                "Devices × controls"
                @if is_large(report) { " (the " (devices.len()) " worst of " (report.devices.len()) ")" }
            }
            @if report.devices.is_empty() {
                p { "No devices were found." }
            } @else {
                svg xmlns="http://www.w3.org/2000/svg" width=(width) height=(height)
                    viewBox={ "0 0 " (width) " " (height) } role="img"
                    aria-label="Heat map of each device's status per control"
                    font-family="system-ui, 'DejaVu Sans', sans-serif" font-size="13" {
                    title { "Status of each control on each device" }
                    defs {
                        pattern #not-assessed-hatch patternUnits="userSpaceOnUse" width="8" height="8"
                            patternTransform="rotate(45)" {
                            rect width="8" height="8" fill=(NOT_ASSESSED_FILL) {}
                            line x1="0" y1="0" x2="0" y2="8" stroke="#c4c9cf" stroke-width="3" {}
                        }
                    }
                    text x="8" y=(HEADER_HEIGHT - 14) font-weight="700" { "device" }
                    @for (column, control) in Control::ALL.iter().enumerate() {
                        @let x = LABEL_WIDTH + column as u32 * CELL_WIDTH + CELL_WIDTH / 2;
                        text x=(x) y=(HEADER_HEIGHT - 14) text-anchor="middle" font-weight="700" {
                            title { (control.mitigation()) }
                            (control.id())
                        }
                    }
                    text x=(grade_x + GRADE_WIDTH / 2) y=(HEADER_HEIGHT - 14) text-anchor="middle"
                        font-weight="700" { "grade" }
                    @for (row, device) in devices.iter().enumerate() {
                        (heat_map_row(report, device, HEADER_HEIGHT + row as u32 * CELL_HEIGHT, grade_x))
                    }
                }
                p.legend.muted {
                    span { span.swatch style={ "background:" (PASS_FILL) } {} "pass: every assessed rule passed" }
                    span { span.swatch style={ "background:" (FAIL_FILL) } {} "FAIL: a rule failed" }
                    span { span.swatch style={ "background:" (NOT_ASSESSED_FILL) } {} "n/a: not assessed" }
                    span { "Cells: " (legend::CONTROL_CELLS) "." }
                    @if provisional {
                        span { "Grade " (legend::provisional_legend(&report.policy)) "." }
                    }
                }
            }
        }
    }
}

fn heat_map_row(report: &Report, device: &DeviceReport, y: u32, grade_x: u32) -> Markup {
    let id = &device.info.id;
    let text_y = y + CELL_HEIGHT / 2 + 5;
    html! {
        g {
            text x="8" y=(text_y) {
                title { (id) }
                (short_label(id))
            }
            @for (column, control) in Control::ALL.iter().enumerate() {
                @let style = cell_style(device.control(*control));
                @let x = LABEL_WIDTH + column as u32 * CELL_WIDTH;
                g {
                    title { (id) " · " (control.id()) ": " (style.label) }
                    rect x=(x + 2) y=(y + 2) width=(CELL_WIDTH - 4) height=(CELL_HEIGHT - 4) rx="4"
                        fill=(if style.pattern { "url(#not-assessed-hatch)" } else { style.fill })
                        stroke="#8c959f" stroke-width="1" {}
                    text x=(x + CELL_WIDTH / 2) y=(text_y) text-anchor="middle" fill=(style.ink)
                        font-weight="600" { (style.label) }
                }
            }
            text x=(grade_x + GRADE_WIDTH / 2) y=(text_y) text-anchor="middle" font-weight="700"
                font-size="16" { (legend::grade_cell(&report.policy, device.grade, device.coverage)) }
        }
    }
}

fn devices_section(report: &Report, devices: &[&DeviceReport]) -> Markup {
    html! {
        section #devices {
            h2 {
                "Devices (" (report.devices.len()) ")"
                @if is_large(report) { ": the " (devices.len()) " worst; the others are in the JSON report" }
            }
            @if !report.devices.is_empty() {
                table {
                    thead { tr {
                        th { "Device" } th { "Vendor / model" } th { "Serial" } th { "Unit" }
                        th { "Grade" } th { "Score" } th { "Coverage" }
                    } }
                    tbody {
                        @for device in devices {
                            tr {
                                td { code { (device.info.id) } }
                                td {
                                    (device.info.vendor.as_deref().unwrap_or(""))
                                    " " (device.info.model.as_deref().unwrap_or(""))
                                }
                                td { (device.info.serial.as_deref().unwrap_or("")) }
                                td { (device.info.unit.as_deref().unwrap_or("")) }
                                td class=(grade_class(device.grade.label())) {
                                    b { (device.grade.label()) }
                                    @if report.policy.is_provisional(device.grade, device.coverage) {
                                        " " span.provisional { "provisional" }
                                    }
                                }
                                td.num { (score_text(device.score)) }
                                td.num { (device.coverage) "%" }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn findings_section(report: &Report, devices: &[&DeviceReport]) -> Markup {
    let ids = detailed_ids(devices);
    let shown: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|finding| !is_large(report) || ids.contains(finding.device.as_str()))
        .collect();
    html! {
        section #findings {
            h2 { "Findings (" (report.findings.len()) ")" }
            @if report.findings.is_empty() {
                p { "No findings." }
            }
            @if shown.len() < report.findings.len() {
                p.muted {
                    "The findings of the " (devices.len()) " devices detailed here ("
                    (shown.len()) "); all " (report.findings.len()) " are in the JSON and SARIF reports."
                }
            }
            @for severity in Severity::ALL {
                @let findings: Vec<&Finding> = shown.iter().copied()
                    .filter(|finding| finding.severity == severity).collect();
                @if !findings.is_empty() {
                    h3 #{ "severity-" (severity.id()) } {
                        span class={ "sev sev-" (severity.id()) } { (severity.id()) }
                        " " (findings.len())
                    }
                    table {
                        thead { tr {
                            th style="width:22%" { "Rule" } th style="width:12%" { "Device" }
                            th style="width:22%" { "Where" } th { "Finding and fix" }
                        } }
                        tbody {
                            @for finding in findings { (finding_row(finding)) }
                        }
                    }
                }
            }
        }
    }
}

fn finding_row(finding: &Finding) -> Markup {
    html! {
        tr class=[finding.waived.as_ref().map(|_| "waived")] {
            td { b { (finding.rule) } " " (finding.title) br; span.muted { (finding.control.id()) } }
            td { code { (finding.device) } }
            td {
                code { (finding.place()) }
                br;
                span.muted.mono title="where the rule matched in the evidence document" {
                    (finding.location.evidence_path)
                }
            }
            td {
                (inline_code(&finding.message))
                div.fix { b { "Fix: " } (inline_code(&finding.remediation)) }
                @if let Some(waiver) = &finding.waived {
                    div { span.waiver { "WAIVED until " (waiver.expires) } " " (waiver.reason) }
                }
            }
        }
    }
}

fn coverage_section(report: &Report, devices: &[&DeviceReport]) -> Markup {
    let errors: Vec<&ArtifactRecord> = report.errors().take(LIST_ROWS).collect();
    let skipped: Vec<&ArtifactRecord> = report
        .artifacts
        .iter()
        .filter(|artifact| artifact.status == ArtifactStatus::Skipped)
        .take(LIST_ROWS)
        .collect();
    html! {
        section #coverage {
            h2 { "Coverage: what could not be assessed" }
            p.muted {
                "A rule with no evidence to judge is not assessed: it lowers coverage and never counts as passed."
            }
            h3 { "Unreadable artifacts (" (report.errors().count()) ")" }
            @if errors.is_empty() {
                p { "Every artifact found was read." }
            } @else {
                table {
                    thead { tr { th { "Artifact" } th { "Device" } th { "Why" } } }
                    tbody {
                        @for artifact in &errors {
                            tr {
                                td { code { (artifact.path) } }
                                td { (artifact.device.as_deref().unwrap_or("")) }
                                td { (artifact.reason.as_deref().unwrap_or("unknown error")) }
                            }
                        }
                    }
                }
            }
            h3 { "Rules not assessed, by device" }
            (not_assessed_table(report, devices))
            (warnings_list(report))
            h3 {
                "Files skipped ("
                (report.artifacts.iter().filter(|artifact| artifact.status == ArtifactStatus::Skipped).count())
                ")"
            }
            @if !skipped.is_empty() {
                table {
                    thead { tr { th { "File" } th { "Device" } th { "Why" } } }
                    tbody {
                        @for artifact in &skipped {
                            tr {
                                td { code { (artifact.path) } }
                                td { (artifact.device.as_deref().unwrap_or("")) }
                                td { (artifact.reason.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Warnings about the scan, the devices and the artifacts, with what each is about.
fn warnings_list(report: &Report) -> Markup {
    let mut warnings: Vec<(&str, &str)> = report
        .warnings
        .iter()
        .map(|warning| ("scan", warning.as_str()))
        .collect();
    for device in &report.devices {
        for warning in &device.warnings {
            warnings.push((device.info.id.as_str(), warning.as_str()));
        }
    }
    for artifact in &report.artifacts {
        for warning in &artifact.warnings {
            warnings.push((artifact.path.as_str(), warning.as_str()));
        }
    }
    html! {
        @if !warnings.is_empty() {
            h3 { "Warnings (" (warnings.len()) ")" }
            @if warnings.len() > LIST_ROWS {
                p.muted { "The first " (LIST_ROWS) "; all are in the JSON report." }
            }
            ul {
                @for (subject, warning) in warnings.iter().take(LIST_ROWS) {
                    li { code { (subject) } ": " (warning) }
                }
            }
        }
    }
}

fn not_assessed_table(report: &Report, devices: &[&DeviceReport]) -> Markup {
    let kinds: std::collections::HashMap<&str, &[crate::analyze::ArtifactKind]> = report
        .rules
        .catalogue
        .iter()
        .map(|rule| (rule.id.as_str(), rule.kinds.as_slice()))
        .collect();
    let mut rows: Vec<(&str, String, Vec<&str>)> = Vec::new();
    for device in devices {
        let mut by_reason: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for rule in device.controls.iter().flat_map(|control| &control.rules) {
            if rule.status == RuleStatus::NotAssessed {
                by_reason
                    .entry(rule.reason.as_deref().unwrap_or("no evidence"))
                    .or_default()
                    .push(&rule.rule);
            }
        }
        rows.extend(by_reason.into_iter().map(|(reason, mut rules)| {
            rules.sort_unstable();
            let rule_kinds = rules
                .first()
                .and_then(|rule| kinds.get(rule).copied())
                .unwrap_or_default();
            (
                device.info.id.as_str(),
                plain_reason(reason, rule_kinds),
                rules,
            )
        }));
    }
    html! {
        @if rows.is_empty() {
            p { "Every rule in force was assessed on every device." }
        } @else {
            table {
                thead { tr { th { "Device" } th { "Why" } th { "Rules" } } }
                tbody {
                    @for (device, reason, rules) in &rows {
                        tr {
                            td { code { (device) } }
                            td { (reason) }
                            td.mono { (rules.join(", ")) }
                        }
                    }
                }
            }
        }
    }
}

fn rules_section(report: &Report) -> Markup {
    let fired: BTreeSet<&str> = report
        .findings
        .iter()
        .map(|finding| finding.rule.as_str())
        .collect();
    html! {
        section #rules {
            h2 { "Why these rules matter" }
            @if fired.is_empty() {
                p { "No rule found anything." }
            }
            @for rule in report.rules.catalogue.iter().filter(|rule| fired.contains(rule.id.as_str())) {
                div.rule {
                    h3 {
                        span class={ "sev sev-" (rule.severity.id()) } { (rule.severity.id()) }
                        " " (rule.id) " " (rule.title)
                    }
                    p.muted { (rule.control.id()) " · " (rule.control.mitigation()) " · " code { (rule.name) } }
                    p { (inline_code(&rule.rationale)) }
                    p.fix { b { "Remediation: " } (inline_code(&rule.remediation)) }
                    @if !rule.references.is_empty() {
                        p.muted { "References: " (rule.references.join(", ")) }
                    }
                }
            }
        }
    }
}

fn artifacts_section(report: &Report, devices: &[&DeviceReport]) -> Markup {
    let ids = detailed_ids(devices);
    let shown: Vec<&ArtifactRecord> = report
        .artifacts
        .iter()
        .filter(|artifact| {
            !is_large(report)
                || artifact
                    .device
                    .as_deref()
                    .is_some_and(|id| ids.contains(id))
        })
        .collect();
    html! {
        section #artifacts {
            h2 { "Artifacts (" (report.artifacts.len()) ")" }
            @if shown.len() < report.artifacts.len() {
                p.muted {
                    "Those of the " (devices.len()) " devices detailed here; every artifact, with its "
                    "SHA-256, is in the JSON report."
                }
            }
            table {
                thead { tr {
                    th { "Path" } th { "Device" } th { "Kind" } th { "Status" } th { "Bytes" }
                    th { "SHA-256" }
                } }
                tbody {
                    @for artifact in &shown {
                        tr {
                            td { code { (artifact.path) } }
                            td { (artifact.device.as_deref().unwrap_or("")) }
                            td { (artifact.kind.map_or("", |kind| kind.id())) }
                            td { (status_text(artifact.status)) }
                            td.num { (artifact.size.map_or_else(String::new, |size| size.to_string())) }
                            td.hash { (artifact.sha256.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    }
}

fn status_text(status: ArtifactStatus) -> &'static str {
    match status {
        ArtifactStatus::Assessed => "assessed",
        ArtifactStatus::Partial => "partly assessed",
        ArtifactStatus::Skipped => "skipped",
        ArtifactStatus::Error => "error",
    }
}

fn footer(report: &Report) -> Markup {
    html! {
        footer {
            p {
                (report.tool.name) " " (report.tool.version) " · report schema "
                (report.schema_version) " · " (report.rules.count) " rules, sha256 "
                code { (report.rules.digest) }
            }
            p {
                "Policy: " (report.policy.source.as_deref().unwrap_or("built-in defaults"))
                ", sha256 " code { (report.policy.digest) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_device_ids_are_shortened_in_the_map() {
        assert_eq!(short_label("m2e-hq"), "m2e-hq");
        let long = "x".repeat(40);
        let label = short_label(&long);
        assert_eq!(label.chars().count(), LABEL_CHARS);
        assert!(label.ends_with('…'));
    }

    #[test]
    fn cells_say_their_status_in_words() {
        assert_eq!(cell_style(None).label, "n/a");
    }
}
