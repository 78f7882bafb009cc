//! Terminal report: a fleet summary line, a row per device with a column per control, the
//! findings by severity with where they are and how to fix them, and what could not be
//! assessed. Plain text (comfy-table), no colour.

use crate::control::{Control, Severity};
use crate::report::{status_label, ArtifactStatus, Renderer, Report};
use crate::score::{ControlStatus, RuleStatus};
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use std::io;

/// How many skipped files the table lists before summarising the rest.
const SKIPPED_SHOWN: usize = 20;

pub struct TableRenderer;

impl Renderer for TableRenderer {
    fn render(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
        write_header(report, out)?;
        write_devices(report, out)?;
        write_findings(report, out)?;
        write_unassessed(report, out)
    }
}

fn new_table(header: Vec<&str>) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(160)
        .set_header(header);
    table
}

fn write_header(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
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
        "Fleet: score {}, grade {}, coverage {}%; findings: {}{}\n",
        summary
            .score
            .map_or_else(|| "n/a".to_owned(), |score| format!("{score:.1}")),
        summary.grade.label(),
        summary.coverage,
        findings.join(", "),
        if summary.incomplete {
            "; INCOMPLETE: some artifacts could not be assessed"
        } else {
            ""
        },
    )
}

fn write_devices(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    let mut header = vec!["device", "model", "grade", "score", "coverage"];
    header.extend(Control::ALL.iter().map(|control| control.id()));
    let mut table = new_table(header);
    for device in &report.devices {
        let mut row = vec![
            device.info.id.clone(),
            device.info.model.clone().unwrap_or_default(),
            device.grade.label().to_owned(),
            device
                .score
                .map_or_else(|| "n/a".to_owned(), |score| format!("{score:.1}")),
            format!("{}%", device.coverage),
        ];
        for control in Control::ALL {
            let cell = device.control(control).map_or_else(String::new, |result| {
                let assessed = result
                    .rules
                    .iter()
                    .filter(|rule| rule.status != RuleStatus::NotAssessed)
                    .count();
                let failed = result
                    .rules
                    .iter()
                    .filter(|rule| rule.status == RuleStatus::Failed)
                    .count();
                match result.status {
                    ControlStatus::Fail => {
                        format!("{} {failed}/{assessed}", status_label(result.status))
                    }
                    ControlStatus::Pass => {
                        format!("{} {assessed}/{assessed}", status_label(result.status))
                    }
                    ControlStatus::NotAssessed => status_label(result.status).to_owned(),
                }
            });
            row.push(cell);
        }
        table.add_row(row);
    }
    writeln!(
        out,
        "Devices (per control: failed/assessed rules)\n{table}\n"
    )
}

fn write_findings(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    if report.findings.is_empty() {
        return writeln!(out, "No findings.\n");
    }
    let mut table = new_table(vec![
        "severity",
        "rule",
        "device",
        "where",
        "finding and fix",
    ]);
    for finding in &report.findings {
        let mut place = finding.artifact.clone();
        if let Some(line) = finding.location.line {
            place.push_str(&format!(":{line}"));
        }
        if let Some(packet) = finding.location.packet {
            place.push_str(&format!(" packet {packet}"));
        }
        if let Some(offset) = finding.location.offset {
            place.push_str(&format!(" @{offset:#x}"));
        }
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
            severity,
            finding.rule.clone(),
            finding.device.clone(),
            place,
            format!("{}\n{fix}", finding.message),
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
