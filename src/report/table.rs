//! Terminal report: a fleet summary line, a row per device with a column per control, the
//! findings by severity with where they are and how to fix them, and what could not be
//! assessed (comfy-table). Colour is the caller's choice (`Paint`): the command line gives it
//! only to a terminal, and never when `NO_COLOR` is set; every coloured cell also says its
//! status in words.

use crate::control::{Control, Severity};
use crate::report::{status_label, ArtifactStatus, Renderer, Report};
use crate::score::ControlStatus;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table};
use std::io;

/// How many skipped files the table lists before summarising the rest.
const SKIPPED_SHOWN: usize = 20;

#[derive(Debug, Clone, Copy, Default)]
pub struct TableRenderer {
    pub paint: Paint,
}

impl Renderer for TableRenderer {
    fn render(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
        write_header(report, self.paint, out)?;
        write_devices(report, self.paint, out)?;
        write_findings(report, self.paint, out)?;
        write_unassessed(report, out)
    }
}

/// Whether terminal output is coloured: grades, control statuses and severities.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Paint {
    pub enabled: bool,
}

impl Paint {
    pub fn new(enabled: bool) -> Paint {
        Paint { enabled }
    }

    /// A table cell in this colour, bold if asked, when colour is on.
    fn cell(self, text: impl Into<String>, colour: Color, bold: bool) -> Cell {
        let cell = Cell::new(text.into());
        match (self.enabled, bold) {
            (false, _) => cell,
            (true, false) => cell.fg(colour),
            (true, true) => cell.fg(colour).add_attribute(Attribute::Bold),
        }
    }

    pub fn grade(self, grade: &str) -> Cell {
        let colour = match grade {
            "A" | "B" => Color::Green,
            "C" | "D" => Color::Yellow,
            "F" => Color::Red,
            _ => Color::DarkGrey,
        };
        self.cell(grade, colour, true)
    }

    pub fn status(self, status: ControlStatus, text: &str) -> Cell {
        match status {
            ControlStatus::Pass => self.cell(text, Color::Green, false),
            ControlStatus::Fail => self.cell(text, Color::Red, true),
            ControlStatus::NotAssessed => self.cell(text, Color::DarkGrey, false),
        }
    }

    pub fn severity(self, severity: Severity, text: &str) -> Cell {
        match severity {
            Severity::Critical => self.cell(text, Color::Red, true),
            Severity::High => self.cell(text, Color::Red, false),
            Severity::Medium => self.cell(text, Color::Yellow, false),
            Severity::Low => self.cell(text, Color::Blue, false),
            Severity::Info => self.cell(text, Color::DarkGrey, false),
        }
    }

    /// A cell for something that no longer counts, such as a waived finding.
    pub fn muted(self, text: &str) -> Cell {
        self.cell(text, Color::DarkGrey, false)
    }

    /// Text outside a table, in bold, when colour is on.
    fn bold(self, text: &str) -> String {
        if self.enabled {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// A table with the report's look; styled only when colour is on.
    pub fn table(self, header: Vec<&str>) -> Table {
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(160)
            .set_header(header);
        if self.enabled {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        table
    }
}

fn write_header(report: &Report, paint: Paint, out: &mut dyn io::Write) -> io::Result<()> {
    let summary = &report.summary;
    let count = |status: ArtifactStatus| {
        report
            .artifacts
            .iter()
            .filter(|artifact| artifact.status == status)
            .count()
    };
    writeln!(
        out,
        "{} {}: {} devices, {} artifacts assessed, {} skipped, {} errors; {} rules (sha256 {}), policy {}",
        report.tool.name,
        report.tool.version,
        summary.devices,
        count(ArtifactStatus::Assessed),
        count(ArtifactStatus::Skipped),
        count(ArtifactStatus::Error),
        report.rules.count,
        &report.rules.digest[..12.min(report.rules.digest.len())],
        report.policy.source.as_deref().unwrap_or("built-in defaults"),
    )?;
    // What the policy changes of the rules, on every report: a policy in the scanned tree
    // could otherwise pass its own gate unnoticed.
    let policy = format!("Policy {}", report.policy.summary());
    if report.policy.changes.is_empty() {
        writeln!(out, "{policy}")?;
    } else {
        writeln!(out, "{}", paint.bold(&policy))?;
    }
    if let Some(baseline) = &report.baseline {
        writeln!(out, "{}", baseline.summary())?;
    }
    let findings: Vec<String> = Severity::ALL
        .iter()
        .map(|severity| {
            format!(
                "{} {severity}",
                summary.findings.get(severity).copied().unwrap_or(0)
            )
        })
        .collect();
    writeln!(
        out,
        "Fleet: score {}, grade {}, coverage {}%; findings: {}{}",
        summary
            .score
            .map_or_else(|| "n/a".to_owned(), |score| format!("{score:.1}")),
        paint.bold(summary.grade.label()),
        summary.coverage,
        findings.join(", "),
        if summary.incomplete {
            "; INCOMPLETE: some artifacts could not be assessed"
        } else {
            ""
        },
    )?;
    match report.scope_note() {
        Some(note) => writeln!(out, "{}\n", paint.bold(&note)),
        None => writeln!(out),
    }
}

fn write_devices(report: &Report, paint: Paint, out: &mut dyn io::Write) -> io::Result<()> {
    let mut header = vec!["device", "model", "grade", "score", "coverage"];
    header.extend(Control::ALL.iter().map(|control| control.id()));
    let mut table = paint.table(header);
    for device in &report.devices {
        let mut row = vec![
            Cell::new(&device.info.id),
            Cell::new(device.info.model.as_deref().unwrap_or_default()),
            paint.grade(device.grade.label()),
            Cell::new(
                device
                    .score
                    .map_or_else(|| "n/a".to_owned(), |score| format!("{score:.1}")),
            ),
            Cell::new(format!("{}%", device.coverage)),
        ];
        for control in Control::ALL {
            let cell = device.control(control).map_or_else(
                || Cell::new(""),
                |result| {
                    let (assessed, failed) = result.assessed_and_failed();
                    let text = match result.status {
                        ControlStatus::Fail => {
                            format!("{} {failed}/{assessed}", status_label(result.status))
                        }
                        ControlStatus::Pass => {
                            format!("{} {assessed}/{assessed}", status_label(result.status))
                        }
                        ControlStatus::NotAssessed => status_label(result.status).to_owned(),
                    };
                    paint.status(result.status, &text)
                },
            );
            row.push(cell);
        }
        table.add_row(row);
    }
    writeln!(
        out,
        "Devices (per control: failed/assessed rules)\n{table}\n"
    )
}

fn write_findings(report: &Report, paint: Paint, out: &mut dyn io::Write) -> io::Result<()> {
    if report.findings.is_empty() {
        return writeln!(out, "No findings.\n");
    }
    let mut table = paint.table(vec![
        "severity",
        "rule",
        "device",
        "where",
        "finding and fix",
    ]);
    for finding in &report.findings {
        let place = finding.place();
        let (severity, fix) = match &finding.waived {
            Some(waived) => (
                format!("{} (waived)", finding.severity),
                format!("waived until {}: {}", waived.expires, waived.reason),
            ),
            None => (
                finding.severity.to_string(),
                format!("fix: {}", finding.remediation),
            ),
        };
        table.add_row(vec![
            if finding.waived.is_some() {
                paint.muted(&severity)
            } else {
                paint.severity(finding.severity, &severity)
            },
            Cell::new(&finding.rule),
            Cell::new(&finding.device),
            Cell::new(place),
            Cell::new(format!("{}\n{fix}", finding.message)),
        ]);
    }
    writeln!(out, "Findings ({})\n{table}\n", report.findings.len())
}

fn write_unassessed(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    let errors: Vec<_> = report.errors().collect();
    if !errors.is_empty() {
        writeln!(out, "Could not be assessed ({}):", errors.len())?;
        for artifact in errors {
            writeln!(
                out,
                "  {}: {}",
                artifact.path,
                artifact.reason.as_deref().unwrap_or("unknown error")
            )?;
        }
        writeln!(out)?;
    }
    let skipped: Vec<_> = report
        .artifacts
        .iter()
        .filter(|artifact| artifact.status == ArtifactStatus::Skipped)
        .collect();
    if !skipped.is_empty() {
        writeln!(out, "Skipped ({}):", skipped.len())?;
        for artifact in skipped.iter().take(SKIPPED_SHOWN) {
            writeln!(
                out,
                "  {}: {}",
                artifact.path,
                artifact.reason.as_deref().unwrap_or("")
            )?;
        }
        if skipped.len() > SKIPPED_SHOWN {
            writeln!(
                out,
                "  … and {} more (see --format json)",
                skipped.len() - SKIPPED_SHOWN
            )?;
        }
        writeln!(out)?;
    }
    let warnings: Vec<String> = report
        .warnings
        .iter()
        .cloned()
        .chain(report.devices.iter().flat_map(|device| {
            device
                .warnings
                .iter()
                .map(move |warning| format!("{}: {warning}", device.info.id))
        }))
        .chain(report.artifacts.iter().flat_map(|artifact| {
            artifact
                .warnings
                .iter()
                .map(move |warning| format!("{}: {warning}", artifact.path))
        }))
        .collect();
    if !warnings.is_empty() {
        writeln!(out, "Warnings ({}):", warnings.len())?;
        for warning in warnings {
            writeln!(out, "  {warning}")?;
        }
    }
    Ok(())
}
