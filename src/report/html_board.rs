//! The parts of the HTML report a board reads first, and what keeps the page readable for a
//! fleet of thousands: the five most serious risks in plain words, a chart of findings by
//! control and severity (inline SVG), the fleet's aggregates (grade distribution, findings by
//! rule and by model), the devices the page details (the worst [`DETAILED_DEVICES`] of a large
//! fleet; the rest are in the JSON report), reasons for "not assessed" in words instead of
//! JSONPath, and rule text whose backticks become `<code>`.
//!
//! Each part is a function returning [`Markup`]; `html::page` lists them in order, so a new
//! section is one more line there.

use crate::analyze::ArtifactKind;
use crate::control::{Control, Severity};
use crate::report::table::worst_first;
use crate::report::{DeviceReport, Finding, Report};
use crate::score::Grade;
use maud::{html, Markup};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A fleet larger than this gets aggregates, and per-device detail only for its worst
/// devices: 10,000 devices' detail made a page no browser or board reads (98 MB for 5,000).
pub const DETAILED_DEVICES: usize = 50;
/// Risks on the first page.
const TOP_RISKS: usize = 5;
/// Rows of the findings-by-rule table.
const RULE_ROWS: usize = 40;

/// The devices the page details: all of a small fleet, in the report's order; the worst
/// [`DETAILED_DEVICES`] of a large one, worst first.
pub fn detailed_devices(report: &Report) -> Vec<&DeviceReport> {
    let mut devices: Vec<&DeviceReport> = report.devices.iter().collect();
    if devices.len() > DETAILED_DEVICES {
        devices.sort_by(|a, b| worst_first(a, b));
        devices.truncate(DETAILED_DEVICES);
    }
    devices
}

/// Whether the page aggregates instead of detailing every device.
pub fn is_large(report: &Report) -> bool {
    report.devices.len() > DETAILED_DEVICES
}

/// Text with `code spans` in backticks, as rule files write remediation, rendered with
/// `<code>`; an unpaired backtick stays a backtick. Everything is escaped by maud.
pub fn inline_code(text: &str) -> Markup {
    let parts: Vec<&str> = text.split('`').collect();
    // An even number of parts means an odd number of backticks: the last one is unpaired.
    let paired = if parts.len() % 2 == 0 {
        parts.len() - 1
    } else {
        parts.len()
    };
    html! {
        @for (index, part) in parts.iter().enumerate() {
            @if index >= paired {
                "`" (part)
            } @else if index % 2 == 1 {
                code { (part) }
            } @else {
                (part)
            }
        }
    }
}

/// Why rules could not be assessed, in words a reader without JSONPath follows, from the
/// reason a report carries and the artifact kinds of the rules.
pub fn plain_reason(reason: &str, kinds: &[ArtifactKind]) -> String {
    let kind = kinds.first().map_or("evidence", |kind| kind.id());
    if let Some(query) = reason.strip_prefix("no evidence: nothing matches ") {
        return match subject_of_query(query) {
            Some(subject) => format!("the {kind} does not say anything about {subject}"),
            None => format!("the {kind} does not state what these rules read"),
        };
    }
    if reason == "no evidence" {
        return format!("nothing in the device's {kind} could show it either way");
    }
    if let Some(paths) = reason.strip_prefix("could not analyze all of ") {
        return format!(
            "{paths} could not be read whole, and a pass cannot rest on part of the evidence"
        );
    }
    if let Some(kinds) = reason
        .strip_prefix("no ")
        .and_then(|rest| rest.strip_suffix(" artifact"))
    {
        return format!("no {kinds} was collected from this device");
    }
    reason.to_owned()
}

/// The last member a JSONPath query names, in words: `$.apps[?@.local_data_mode]` → "local
/// data mode".
fn subject_of_query(query: &str) -> Option<String> {
    let names: Vec<&str> = query
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|name| {
            name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && !matches!(
                    *name,
                    "true" | "false" | "null" | "length" | "match" | "search"
                )
        })
        .collect();
    names.last().map(|name| name.replace('_', " "))
}

/// A rule's findings across the fleet, for the risks and the by-rule table.
struct RuleTally<'a> {
    first: &'a Finding,
    findings: usize,
    devices: BTreeSet<&'a str>,
}

fn tally_by_rule(report: &Report) -> Vec<RuleTally<'_>> {
    let mut by_rule: BTreeMap<&str, RuleTally<'_>> = BTreeMap::new();
    for finding in report.findings.iter().filter(|f| f.waived.is_none()) {
        let tally = by_rule.entry(&finding.rule).or_insert_with(|| RuleTally {
            first: finding,
            findings: 0,
            devices: BTreeSet::new(),
        });
        tally.findings += 1;
        tally.devices.insert(&finding.device);
    }
    let mut tallies: Vec<RuleTally<'_>> = by_rule.into_values().collect();
    tallies.sort_by(|a, b| {
        b.first
            .severity
            .cmp(&a.first.severity)
            .then_with(|| b.devices.len().cmp(&a.devices.len()))
            .then_with(|| b.findings.cmp(&a.findings))
            .then_with(|| a.first.rule.cmp(&b.first.rule))
    });
    tallies
}

/// The five most serious risks, in plain words: the most severe rules that fired, those on
/// the most devices first, each with what it means and the fix.
pub fn top_risks(report: &Report) -> Markup {
    let tallies = tally_by_rule(report);
    html! {
        section #risks {
            h2 { "The most serious risks" }
            @if tallies.is_empty() {
                p { "No open findings." }
            } @else {
                ol.risks {
                    @for tally in tallies.iter().take(TOP_RISKS) {
                        li {
                            span class={ "sev sev-" (tally.first.severity.id()) } { (tally.first.severity.id()) }
                            " " b { (tally.first.title) } ": "
                            (devices_phrase(&tally.devices, report.devices.len()))
                            ", for example " (inline_code(&tally.first.message)) ". "
                            span.fix { b { "Fix: " } (inline_code(&tally.first.remediation)) }
                        }
                    }
                }
            }
        }
    }
}

/// "on m2e-field", "on 2 of 5 devices (anafi-thermal, px4-quad)", "on 812 of 10,000 devices".
fn devices_phrase(devices: &BTreeSet<&str>, fleet: usize) -> String {
    let names: Vec<&str> = devices.iter().copied().take(3).collect();
    match devices.len() {
        1 => format!("on {}", names.join("")),
        n if n <= 3 => format!("on {n} of {fleet} devices ({})", names.join(", ")),
        n => format!("on {n} of {fleet} devices ({}, …)", names.join(", ")),
    }
}

/// Chart geometry, in SVG user units.
const CHART_LABEL: u32 = 150;
const CHART_BAR: u32 = 420;
const CHART_ROW: u32 = 26;

fn severity_fill(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "#8b0000",
        Severity::High => "#c2410c",
        Severity::Medium => "#a16207",
        Severity::Low => "#1d4ed8",
        Severity::Info => "#4b5563",
    }
}

/// One severity's part of a control's bar: severity, count, x, length.
type Segment = (Severity, usize, u32, u32);

/// Open findings by control and severity: a stacked bar per control, the counts written on
/// and after the bars so the chart reads in greyscale.
pub fn findings_chart(report: &Report) -> Markup {
    let mut counts: BTreeMap<(Control, Severity), usize> = BTreeMap::new();
    for finding in report.findings.iter().filter(|f| f.waived.is_none()) {
        *counts
            .entry((finding.control, finding.severity))
            .or_default() += 1;
    }
    let total = |control: Control| -> usize {
        Severity::ALL
            .iter()
            .map(|severity| counts.get(&(control, *severity)).copied().unwrap_or(0))
            .sum()
    };
    let most = Control::ALL
        .iter()
        .map(|c| total(*c))
        .max()
        .unwrap_or(0)
        .max(1);
    // Each control's segments, laid end to end: (severity, count, x, length), then the end.
    let bars: Vec<(Control, Vec<Segment>, u32)> = Control::ALL
        .iter()
        .map(|control| {
            let mut x = CHART_LABEL;
            let mut segments = Vec::new();
            for severity in Severity::ALL {
                let count = counts.get(&(*control, severity)).copied().unwrap_or(0);
                if count == 0 {
                    continue;
                }
                // Whole units: the segment's share of the widest bar.
                let length = u32::try_from(count * CHART_BAR as usize / most)
                    .unwrap_or(CHART_BAR)
                    .max(2);
                segments.push((severity, count, x, length));
                x += length;
            }
            (*control, segments, x)
        })
        .collect();
    let rows = u32::try_from(Control::ALL.len()).unwrap_or(0);
    let width = CHART_LABEL + CHART_BAR + 60;
    let height = rows * CHART_ROW + 30;
    html! {
        section #chart {
            h2 { "Findings by control and severity" }
            svg xmlns="http://www.w3.org/2000/svg" role="img" width=(width) height=(height)
                viewBox={ "0 0 " (width) " " (height) } font-size="12"
                font-family="system-ui, 'DejaVu Sans', sans-serif" {
                title { "Open findings per control, by severity" }
                @for (row, (control, segments, end)) in bars.iter().enumerate() {
                    @let y = u32::try_from(row).unwrap_or(0) * CHART_ROW;
                    text x=(CHART_LABEL - 6) y=(y + 17) text-anchor="end" { (control.id()) }
                    @for (severity, count, x, length) in segments {
                        rect x=(x) y=(y + 4) width=(length) height=(CHART_ROW - 8) fill=(severity_fill(*severity)) {
                            title { (control.id()) ": " (count) " " (severity.id()) }
                        }
                        @if *length >= 18 {
                            text x=(x + length / 2) y=(y + 17) text-anchor="middle" fill="#fff" { (count) }
                        }
                    }
                    text x=(end + 6) y=(y + 17) { (total(*control)) }
                }
                @for (index, severity) in Severity::ALL.iter().enumerate() {
                    @let x = CHART_LABEL + u32::try_from(index).unwrap_or(0) * 84;
                    rect x=(x) y=(rows * CHART_ROW + 12) width="12" height="12" fill=(severity_fill(*severity)) {}
                    text x=(x + 16) y=(rows * CHART_ROW + 22) { (severity.id()) }
                }
            }
        }
    }
}

/// For a large fleet: the grade distribution, findings by rule and by model, and where the
/// rest of the detail is.
pub fn fleet_aggregates(report: &Report) -> Markup {
    if !is_large(report) {
        return html! {};
    }
    let mut grades: BTreeMap<Grade, (usize, usize)> = BTreeMap::new();
    for device in &report.devices {
        let entry = grades.entry(device.grade).or_default();
        entry.0 += 1;
        if report.policy.is_provisional(device.grade, device.coverage) {
            entry.1 += 1;
        }
    }
    let model_of: HashMap<&str, &str> = report
        .devices
        .iter()
        .map(|device| {
            (
                device.info.id.as_str(),
                device.info.model.as_deref().unwrap_or("(model not stated)"),
            )
        })
        .collect();
    let mut by_model: BTreeMap<&str, (BTreeSet<&str>, usize)> = BTreeMap::new();
    for device in &report.devices {
        by_model
            .entry(model_of.get(device.info.id.as_str()).copied().unwrap_or(""))
            .or_default()
            .0
            .insert(&device.info.id);
    }
    for finding in report.findings.iter().filter(|f| f.waived.is_none()) {
        let model = model_of.get(finding.device.as_str()).copied().unwrap_or("");
        by_model.entry(model).or_default().1 += 1;
    }
    let tallies = tally_by_rule(report);
    html! {
        section #fleet {
            h2 { "The fleet at a glance" }
            p.muted {
                "A fleet of " (report.devices.len()) " devices: this page details the "
                (DETAILED_DEVICES) " worst; every device and finding is in the JSON report ("
                code { "--format json" } ")."
            }
            h3 { "Grade distribution" }
            table {
                thead { tr { th { "Grade" } th { "Devices" } th { "of them provisional" } } }
                tbody {
                    @for (grade, (devices, provisional)) in &grades {
                        tr { td { b { (grade.label()) } } td.num { (devices) } td.num { (provisional) } }
                    }
                }
            }
            h3 { "Findings by rule" }
            table {
                thead { tr { th { "Rule" } th { "Severity" } th { "Control" } th { "Devices" } th { "Findings" } } }
                tbody {
                    @for tally in tallies.iter().take(RULE_ROWS) {
                        tr {
                            td { b { (tally.first.rule) } " " (tally.first.title) }
                            td { span class={ "sev sev-" (tally.first.severity.id()) } { (tally.first.severity.id()) } }
                            td { (tally.first.control.id()) }
                            td.num { (tally.devices.len()) }
                            td.num { (tally.findings) }
                        }
                    }
                }
            }
            @if tallies.len() > RULE_ROWS {
                p.muted { "… and " (tallies.len() - RULE_ROWS) " more rules with findings, in the JSON report." }
            }
            h3 { "Findings by model" }
            table {
                thead { tr { th { "Model" } th { "Devices" } th { "Open findings" } } }
                tbody {
                    @for (model, (devices, findings)) in &by_model {
                        tr { td { (model) } td.num { (devices.len()) } td.num { (findings) } }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backticks_become_code_and_an_unpaired_one_stays() {
        assert_eq!(
            inline_code("run `passwd NAME` <now>").into_string(),
            "run <code>passwd NAME</code> &lt;now&gt;"
        );
        assert_eq!(inline_code("a ` b").into_string(), "a ` b");
        assert_eq!(inline_code("`x`").into_string(), "<code>x</code>");
    }

    #[test]
    fn reasons_read_in_words() {
        let profile = [ArtifactKind::Profile];
        assert_eq!(
            plain_reason(
                "no evidence: nothing matches $.controllers[*].apps[?@.local_data_mode]",
                &profile
            ),
            "the profile does not say anything about local data mode"
        );
        assert_eq!(
            plain_reason("no sshd-config artifact", &[]),
            "no sshd-config was collected from this device"
        );
        assert!(!plain_reason("could not analyze all of a.pcap", &[]).contains("analyze all"));
    }
}
