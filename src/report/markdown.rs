//! Markdown report, for a pull-request comment or `$GITHUB_STEP_SUMMARY`: the fleet grade,
//! score and coverage in a heading, a device × control table, the findings by severity
//! (critical and high in the open, the rest folded in `<details>`), waived findings, and what
//! could not be assessed.
//!
//! GitHub refuses comments over 65,536 characters, so the text is written through a
//! [`Comment`] that stops adding entries once its budget is spent and ends with a note saying
//! how many findings were left out and that the JSON report has them all. Text from the report
//! is escaped so that it stays text: no tables broken by `|`, no code spans opened by a
//! backtick, no HTML.

use crate::control::{Control, Severity};
use crate::report::legend;
use crate::report::{ArtifactStatus, DeviceReport, Finding, Renderer, Report};
use crate::score::{ControlResult, ControlStatus, RuleStatus};
use std::collections::BTreeMap;
use std::io;

/// GitHub's limit on a comment's body, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;
/// Room kept back for closing tags and the truncation note.
const RESERVED: usize = 1_024;
/// Devices shown in the table; a fleet larger than that is summarised, so findings keep room.
const DEVICE_ROWS: usize = 100;

pub struct MarkdownRenderer;

impl Renderer for MarkdownRenderer {
    fn render(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
        let mut comment = Comment::new(GITHUB_COMMENT_LIMIT - RESERVED);
        write_heading(report, &mut comment);
        write_devices(report, &mut comment);
        write_unreadable(report, &mut comment);
        write_findings(report, &mut comment);
        write_waived(report, &mut comment);
        write_not_assessed(report, &mut comment);
        write_warnings(report, &mut comment);
        if let Some(note) = super::supply_chain_note::markdown(report) {
            comment.push_always(&note);
        }
        for section in crate::report::frameworks::markdown_sections(report) {
            comment.push_entry(&section);
        }
        write_footer(report, &mut comment);
        out.write_all(comment.finish().as_bytes())
    }
}

/// Markdown text that stops growing at a budget. Entries that no longer fit are counted, not
/// written; closing tags and notes go in regardless, out of the reserved room.
struct Comment {
    text: String,
    /// Length of `text` in UTF-16 code units, which is never less than its length in
    /// characters, however GitHub counts them.
    length: usize,
    budget: usize,
    findings_left_out: usize,
    findings_total: usize,
    other_left_out: usize,
    /// Set by the first chunk that did not fit: nothing is added after it.
    full: bool,
}

impl Comment {
    fn new(budget: usize) -> Comment {
        Comment {
            text: String::new(),
            length: 0,
            budget,
            findings_left_out: 0,
            findings_total: 0,
            other_left_out: 0,
            full: false,
        }
    }

    /// Adds `chunk` if it fits in the budget (and nothing was left out before it, so the text
    /// stays in order); returns whether it was added.
    fn push(&mut self, chunk: &str) -> bool {
        let length = chunk.encode_utf16().count();
        if self.full || self.length + length > self.budget {
            self.full = true;
            return false;
        }
        self.length += length;
        self.text.push_str(chunk);
        true
    }

    /// Adds `chunk` whatever the budget: for the few short closing pieces the reserve is for.
    fn push_always(&mut self, chunk: &str) {
        self.length += chunk.encode_utf16().count();
        self.text.push_str(chunk);
    }

    fn push_finding(&mut self, chunk: &str) {
        self.findings_total += 1;
        if !self.push(chunk) {
            self.findings_left_out += 1;
        }
    }

    fn push_entry(&mut self, chunk: &str) {
        if !self.push(chunk) {
            self.other_left_out += 1;
        }
    }

    fn finish(mut self) -> String {
        if self.full {
            let mut note = String::from(
                "\n> ✂️ **Truncated** to stay under GitHub's 65,536-character limit: ",
            );
            if self.findings_left_out > 0 {
                note.push_str(&format!(
                    "{} of {} findings were left out",
                    self.findings_left_out, self.findings_total
                ));
                if self.other_left_out > 0 {
                    note.push_str(&format!(", and {} other entries", self.other_left_out));
                }
            } else {
                note.push_str("the last sections were left out");
            }
            note.push_str(". The full report is in the JSON output (`--format json`).\n");
            self.push_always(&note);
        }
        self.text
    }
}

fn write_heading(report: &Report, comment: &mut Comment) {
    let summary = &report.summary;
    comment.push_always(&format!(
        "## {} drone-audit: fleet grade {}, score {}\n\n",
        grade_mark(summary.grade.label()),
        legend::grade_sentence(&report.policy, summary.grade, summary.coverage),
        summary
            .score
            .map_or_else(|| "n/a".to_owned(), |score| format!("{score:.1}")),
    ));
    let artifacts = |status: ArtifactStatus| {
        report
            .artifacts
            .iter()
            .filter(|artifact| artifact.status == status)
            .count()
    };
    let findings: Vec<String> = Severity::ALL
        .iter()
        .map(|severity| {
            let count = summary.findings.get(severity).copied().unwrap_or(0);
            if count > 0 && *severity >= Severity::High {
                format!("**{count} {severity}**")
            } else {
                format!("{count} {severity}")
            }
        })
        .collect();
    comment.push_always(&format!(
        "{} devices · {} artifacts assessed, {} skipped, {} unreadable · open findings: {} · {} waived\n\n",
        summary.devices,
        artifacts(ArtifactStatus::Assessed),
        artifacts(ArtifactStatus::Skipped),
        artifacts(ArtifactStatus::Error),
        findings.join(", "),
        summary.waived
    ));
    let marker = if report.policy.changes.is_empty() {
        ""
    } else {
        "⚠️ "
    };
    comment.push_always(&format!(
        "{marker}Policy {}\n\n",
        text(&report.policy.summary())
    ));
    if let Some(baseline) = &report.baseline {
        comment.push_always(&format!(
            "Compared with the baseline {}: {} known findings are left out below (the scores still count them).\n\n",
            code(&baseline.source),
            baseline.known_findings
        ));
    }
    if let Some(note) = report.scope_note() {
        comment.push_always(&format!("> ⚠️ **{}**\n\n", text(&note)));
    }
    if summary.incomplete {
        comment.push_always(
            "> ⚠️ **Incomplete scan:** some artifacts could not be read. Their rules count as \
             not assessed, never as passed (see below).\n\n",
        );
    }
}

fn grade_mark(grade: &str) -> &'static str {
    match grade {
        "A" | "B" => "🟢",
        "C" | "D" => "🟠",
        "F" => "🔴",
        _ => "⚪",
    }
}

fn write_devices(report: &Report, comment: &mut Comment) {
    if report.devices.is_empty() {
        comment.push_always("No devices were found.\n\n");
        return;
    }
    let mut header = String::from("| Device | Grade | Score | Coverage |");
    let mut rule = String::from("|---|:-:|--:|--:|");
    for control in Control::ALL {
        header.push_str(&format!(" {} |", control.id()));
        rule.push_str(":-:|");
    }
    comment.push_entry("### Devices × controls\n\n");
    comment.push_entry(&format!("{header}\n{rule}\n"));
    for device in report.devices.iter().take(DEVICE_ROWS) {
        comment.push_entry(&device_row(report, device));
    }
    let hidden = report.devices.len().saturating_sub(DEVICE_ROWS);
    let mut note = String::new();
    if hidden > 0 {
        note.push_str(&format!(
            "\n… and {hidden} more devices, listed in the JSON report.\n"
        ));
    }
    note.push_str(&format!("\nDevices × controls: {}.", legend::CONTROL_CELLS));
    if report
        .devices
        .iter()
        .any(|device| report.policy.is_provisional(device.grade, device.coverage))
    {
        note.push_str(&format!(
            " Grade {}.",
            text(&legend::provisional_legend(&report.policy))
        ));
    }
    note.push_str("\n\n");
    comment.push_entry(&note);
}

fn device_row(report: &Report, device: &DeviceReport) -> String {
    let mut row = format!(
        "| {} | {} | {} | {}% |",
        text(&device.info.id),
        text(&legend::grade_cell(
            &report.policy,
            device.grade,
            device.coverage
        )),
        device
            .score
            .map_or_else(|| "n/a".to_owned(), |score| format!("{score:.1}")),
        device.coverage
    );
    for control in Control::ALL {
        let cell = device.control(control).map_or_else(
            || format!("➖ {}", legend::control_cell(None)),
            control_cell,
        );
        row.push_str(&format!(" {cell} |"));
    }
    row.push('\n');
    row
}

/// The cell every format writes ([`legend::control_cell`]), after a mark for the eye.
fn control_cell(result: &ControlResult) -> String {
    let mark = match result.status {
        ControlStatus::Pass => "✅",
        ControlStatus::Fail => "❌",
        ControlStatus::NotAssessed => "➖",
    };
    format!("{mark} {}", legend::control_cell(Some(result)))
}

fn write_unreadable(report: &Report, comment: &mut Comment) {
    let errors: Vec<_> = report.errors().collect();
    if errors.is_empty() {
        return;
    }
    comment.push_entry(&format!("### ⚠️ Could not be read ({})\n\n", errors.len()));
    for artifact in errors {
        comment.push_entry(&format!(
            "- {}: {}\n",
            code(&artifact.path),
            text(artifact.reason.as_deref().unwrap_or("unknown error"))
        ));
    }
    comment.push_entry("\n");
}

/// Findings listed per severity: a comment on a pull request is read, not searched; the
/// others are counted and left to the complete formats.
const FINDINGS_PER_SEVERITY: usize = 25;

fn write_findings(report: &Report, comment: &mut Comment) {
    let open: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|finding| finding.waived.is_none())
        .collect();
    if open.is_empty() {
        comment.push_entry("### Findings\n\nNo open findings.\n\n");
        return;
    }
    comment.push_entry(&format!("### Findings ({})\n\n", open.len()));
    for severity in Severity::ALL {
        let findings: Vec<&Finding> = open
            .iter()
            .copied()
            .filter(|finding| finding.severity == severity)
            .collect();
        if findings.is_empty() {
            continue;
        }
        let title = format!(
            "{} {} ({})",
            severity_mark(severity),
            capitalized(severity.id()),
            findings.len()
        );
        let folded = severity < Severity::High;
        let opened = if folded {
            comment.push(&format!("<details><summary>{title}</summary>\n\n"))
        } else {
            comment.push(&format!("#### {title}\n\n"))
        };
        for finding in findings.iter().take(FINDINGS_PER_SEVERITY) {
            comment.push_finding(&finding_item(finding));
        }
        if findings.len() > FINDINGS_PER_SEVERITY {
            comment.push_always(&format!(
                "\n… and {} more {} findings: the JSON, HTML and SARIF reports list them all.\n",
                findings.len() - FINDINGS_PER_SEVERITY,
                severity.id()
            ));
        }
        if folded && opened {
            comment.push_always("\n</details>\n\n");
        } else {
            comment.push_entry("\n");
        }
    }
}

fn severity_mark(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "🔴",
        Severity::High => "🟠",
        Severity::Medium => "🟡",
        Severity::Low => "🔵",
        Severity::Info => "⚪",
    }
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn finding_item(finding: &Finding) -> String {
    format!(
        "- **{}** {} — {} · {}  \n  {}  \n  **Fix:** {}\n",
        text(&finding.rule),
        text(&finding.title),
        text(&finding.device),
        code(&finding.place()),
        text(&finding.message),
        text(&finding.remediation)
    )
}

fn write_waived(report: &Report, comment: &mut Comment) {
    let waived: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|finding| finding.waived.is_some())
        .collect();
    if waived.is_empty() {
        return;
    }
    if !comment.push(&format!(
        "<details><summary>Waived findings ({})</summary>\n\n",
        waived.len()
    )) {
        comment.findings_total += waived.len();
        comment.findings_left_out += waived.len();
        return;
    }
    for finding in waived {
        let Some(waiver) = &finding.waived else {
            continue;
        };
        comment.push_finding(&format!(
            "- **{}** {} — {} · {}  \n  {}  \n  Waived until {}: {}\n",
            text(&finding.rule),
            text(finding.severity.id()),
            text(&finding.device),
            code(&finding.place()),
            text(&finding.message),
            text(&waiver.expires),
            text(&waiver.reason)
        ));
    }
    comment.push_always("\n</details>\n\n");
}

/// Rules that could not be assessed, per device and grouped by reason, then skipped files.
fn write_not_assessed(report: &Report, comment: &mut Comment) {
    let mut lines = Vec::new();
    let mut rule_count = 0;
    for device in &report.devices {
        let mut by_reason: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for rule in device.controls.iter().flat_map(|control| &control.rules) {
            if rule.status == RuleStatus::NotAssessed {
                rule_count += 1;
                by_reason
                    .entry(rule.reason.as_deref().unwrap_or("no evidence"))
                    .or_default()
                    .push(&rule.rule);
            }
        }
        for (reason, mut rules) in by_reason {
            rules.sort_unstable();
            let rules: Vec<String> = rules.iter().map(|rule| text(rule)).collect();
            lines.push(format!(
                "- {}: {} — {}\n",
                text(&device.info.id),
                text(reason),
                rules.join(", ")
            ));
        }
    }
    let skipped: Vec<String> = report
        .artifacts
        .iter()
        .filter(|artifact| artifact.status == ArtifactStatus::Skipped)
        .map(|artifact| {
            format!(
                "- {}: {}\n",
                code(&artifact.path),
                text(artifact.reason.as_deref().unwrap_or("skipped"))
            )
        })
        .collect();
    if lines.is_empty() && skipped.is_empty() {
        return;
    }
    if !comment.push(&format!(
        "<details><summary>Not assessed: {rule_count} rule results, {} files skipped</summary>\n\n",
        skipped.len()
    )) {
        comment.other_left_out += lines.len() + skipped.len();
        return;
    }
    if !lines.is_empty() {
        comment.push_entry(
            "Rules with no evidence to judge (they lower coverage, never count as passed):\n\n",
        );
        for line in &lines {
            comment.push_entry(line);
        }
        comment.push_entry("\n");
    }
    if !skipped.is_empty() {
        comment.push_entry("Files skipped:\n\n");
        for line in &skipped {
            comment.push_entry(line);
        }
    }
    comment.push_always("\n</details>\n\n");
}

/// Warnings about the scan, the devices and the artifacts (an inventory mismatch, an unused
/// waiver, a parameter the analyzer did not understand).
fn write_warnings(report: &Report, comment: &mut Comment) {
    let warnings = all_warnings(report);
    if warnings.is_empty() {
        return;
    }
    if !comment.push(&format!(
        "<details><summary>Warnings ({})</summary>\n\n",
        warnings.len()
    )) {
        comment.other_left_out += warnings.len();
        return;
    }
    for (subject, warning) in &warnings {
        let line = match subject {
            Some(subject) => format!("- {}: {}\n", code(subject), text(warning)),
            None => format!("- {}\n", text(warning)),
        };
        comment.push_entry(&line);
    }
    comment.push_always("\n</details>\n\n");
}

/// Every warning in the report, with the device or artifact it is about.
fn all_warnings(report: &Report) -> Vec<(Option<&str>, &str)> {
    let mut warnings: Vec<(Option<&str>, &str)> = report
        .warnings
        .iter()
        .map(|warning| (None, warning.as_str()))
        .collect();
    for device in &report.devices {
        for warning in &device.warnings {
            warnings.push((Some(device.info.id.as_str()), warning.as_str()));
        }
    }
    for artifact in &report.artifacts {
        for warning in &artifact.warnings {
            warnings.push((Some(artifact.path.as_str()), warning.as_str()));
        }
    }
    warnings
}

fn write_footer(report: &Report, comment: &mut Comment) {
    let digest = &report.rules.digest[..12.min(report.rules.digest.len())];
    comment.push_always(&format!(
        "<sub>{} {} · {} rules (sha256 {}) · policy {} · the full report: <code>--format json</code></sub>\n",
        html_text(&report.tool.name),
        html_text(&report.tool.version),
        report.rules.count,
        html_text(digest),
        html_text(report.policy.source.as_deref().unwrap_or("built-in defaults"))
    ));
}

pub use crate::escape::{code, text};

/// Text inside raw HTML (`<summary>`, `<sub>`), where Markdown is not read.
fn html_text(raw: &str) -> String {
    raw.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_break_a_table_or_open_html() {
        assert_eq!(
            text("a|b `c` <script>&\n*x*"),
            "a\\|b \\`c\\` &lt;script&gt;&amp; \\*x\\*"
        );
        assert_eq!(text("Ünïcode ✈"), "Ünïcode ✈");
    }

    #[test]
    fn code_spans_outlast_backticks_inside() {
        assert_eq!(code("a.toml"), "`a.toml`");
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(code("x``y\nz"), "``` x``y z ```");
    }

    #[test]
    fn the_budget_counts_what_is_left_out() {
        let mut comment = Comment::new(10);
        comment.push_finding("12345");
        comment.push_finding("123456");
        comment.push_finding("1");
        assert_eq!(comment.findings_left_out, 2);
        let text = comment.finish();
        assert!(text.starts_with("12345\n"));
        assert!(text.contains("2 of 3 findings were left out"));
    }
}
