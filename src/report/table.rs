//! Terminal report, laid out to the terminal's width: a fleet summary, a row per device with
//! a column per control, the findings as a compact list (severity, rule, device, place, one
//! line of message), and what could not be assessed. `--verbose` gives each finding's whole
//! message and fix (comfy-table); the other formats always have them. Large fleets get the
//! worst devices and the first findings of each severity, with a line saying how many more
//! there are and where to see them, so the table of 10,000 devices stays a screenful and is
//! written as fast as the JSON report. Colour is the caller's choice (`Paint`): the command
//! line gives it only to a terminal, and never when `NO_COLOR` is set; every coloured cell
//! also says its status in words.

use crate::control::{Control, Severity};
use crate::report::legend;
use crate::report::{ArtifactStatus, DeviceReport, Finding, Renderer, Report};
use crate::score::{ControlStatus, Grade};
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, Color, ColumnConstraint, ContentArrangement, Table, Width};
use std::io;

/// How many skipped files the table lists before summarising the rest.
const SKIPPED_SHOWN: usize = 20;
/// Findings of one severity listed before summarising the rest (all with `--verbose`).
pub const FINDINGS_SHOWN_PER_SEVERITY: usize = 20;
/// Devices listed, the worst first, before summarising the rest (all with `--verbose`).
pub const DEVICES_SHOWN: usize = 25;
/// Unreadable artifacts and warnings listed before summarising the rest.
const PROBLEMS_SHOWN: usize = 20;
/// The width used when neither `COLUMNS` nor a terminal says (output to a file or a pipe).
pub const DEFAULT_WIDTH: usize = 100;
/// Device ids up to this long keep their width in the devices table.
const DEVICE_ID_WIDTH: usize = 24;
/// From this width the control columns take their ids as headings (short names below).
const WIDE: usize = 220;
/// From this width the devices table has a model column.
const MODEL_COLUMN: usize = 130;

#[derive(Debug, Clone, Copy)]
pub struct TableRenderer {
    pub paint: Paint,
    /// Columns to lay the table out in ([`terminal_width`]).
    pub width: usize,
    /// Every device and finding, with each finding's whole message and fix.
    pub verbose: bool,
}

impl Default for TableRenderer {
    fn default() -> TableRenderer {
        TableRenderer {
            paint: Paint::default(),
            width: DEFAULT_WIDTH,
            verbose: false,
        }
    }
}

impl Renderer for TableRenderer {
    fn render(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
        write_header(report, self, out)?;
        write_devices(report, self, out)?;
        if self.verbose {
            write_findings_in_full(report, self, out)?;
        } else {
            write_findings(report, self, out)?;
        }
        write_unassessed(report, self, out)?;
        match super::supply_chain_note::text(report) {
            Some(note) => {
                writeln!(out)?;
                write_wrapped(out, &format!("Supply chain: {note}"), self.width, |line| {
                    line.to_owned()
                })
            }
            None => Ok(()),
        }
    }
}

/// The width to lay a table out in: `COLUMNS` when set to a number, else the width of the
/// terminal standard output is, else [`DEFAULT_WIDTH`]; never narrower than 40.
pub fn terminal_width() -> usize {
    let from_env = std::env::var("COLUMNS")
        .ok()
        .and_then(|columns| columns.trim().parse::<usize>().ok())
        .filter(|columns| *columns > 0);
    let from_terminal = || {
        terminal_size::terminal_size_of(std::io::stdout())
            .map(|(terminal_size::Width(width), _)| usize::from(width))
    };
    from_env
        .or_else(from_terminal)
        .unwrap_or(DEFAULT_WIDTH)
        .max(40)
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
        self.table_of_width(header, 160)
    }

    /// A table with the report's look, laid out in `width` columns.
    pub fn table_of_width(self, header: Vec<&str>, width: usize) -> Table {
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(u16::try_from(width).unwrap_or(u16::MAX))
            .set_header(header);
        if self.enabled {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        table
    }
}

fn write_header(
    report: &Report,
    options: &TableRenderer,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let (paint, width) = (options.paint, options.width);
    let summary = &report.summary;
    let count = |status: ArtifactStatus| {
        report
            .artifacts
            .iter()
            .filter(|artifact| artifact.status == status)
            .count()
    };
    let scanned = format!(
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
    );
    write_wrapped(out, &scanned, width, |line| line.to_owned())?;
    // What the policy changes of the rules, on every report: a policy in the scanned tree
    // could otherwise pass its own gate unnoticed.
    let policy = format!("Policy {}", report.policy.summary());
    // One line whatever the width: CI logs are searched for it, and a gate's reviewer must
    // not miss the part of it a wrap would push down.
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
    let fleet = format!(
        "Fleet: score {}, grade {}; findings: {}{}",
        summary
            .score
            .map_or_else(|| "n/a".to_owned(), |score| format!("{score:.1}")),
        legend::grade_sentence(&report.policy, summary.grade, summary.coverage),
        findings.join(", "),
        if summary.incomplete {
            "; INCOMPLETE: some artifacts could not be assessed"
        } else {
            ""
        },
    );
    write_wrapped(out, &fleet, width, |line| paint.bold(line))?;
    if let Some(note) = report.scope_note() {
        write_wrapped(out, &note, width, |line| paint.bold(line))?;
    }
    writeln!(out)
}

/// Writes `text` in lines of at most `width` characters, broken between words (a word longer
/// than the width gets a line of its own), each line through `style`; the lines after the
/// first are indented two spaces more than the first.
fn write_wrapped(
    out: &mut dyn io::Write,
    text: &str,
    width: usize,
    style: impl Fn(&str) -> String,
) -> io::Result<()> {
    let indent = " ".repeat(text.len() - text.trim_start_matches(' ').len() + 2);
    let mut line = String::new();
    let mut length = 0;
    let mut fresh = true;
    for word in text.trim_start_matches(' ').split(' ') {
        if line.is_empty() {
            line.push_str(&indent[2..]);
            length = indent.len() - 2;
        }
        let word_length = word.chars().count();
        if !fresh && length + 1 + word_length > width {
            writeln!(out, "{}", style(&line))?;
            line.clone_from(&indent);
            length = indent.len();
            fresh = true;
        }
        if !fresh {
            line.push(' ');
            length += 1;
        }
        line.push_str(word);
        length += word_length;
        fresh = false;
    }
    writeln!(out, "{}", style(&line))
}

fn write_devices(
    report: &Report,
    options: &TableRenderer,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let paint = options.paint;
    let wide = options.width >= WIDE;
    let with_model = options.width >= MODEL_COLUMN;
    let mut header = vec!["device"];
    if with_model {
        header.push("model");
    }
    header.extend(["grade", "score", "coverage"]);
    header.extend(Control::ALL.iter().map(|control| {
        if wide {
            control.id()
        } else {
            short_heading(*control)
        }
    }));
    let mut table = paint.table_of_width(header, options.width);
    let shown = devices_shown(report, options.verbose);
    // Device ids are what a reader looks for: they keep their width (up to a point), and the
    // control cells wrap instead.
    let id_width = shown
        .iter()
        .map(|device| device.info.id.chars().count())
        .max()
        .unwrap_or(0)
        .min(DEVICE_ID_WIDTH);
    if let Some(column) = table.column_mut(0) {
        column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(
            u16::try_from(id_width).unwrap_or(u16::MAX),
        )));
    }
    for device in &shown {
        let grade = legend::grade_cell(&report.policy, device.grade, device.coverage);
        let mut row = vec![Cell::new(&device.info.id)];
        if with_model {
            row.push(Cell::new(device.info.model.as_deref().unwrap_or_default()));
        }
        row.extend([
            paint.grade(&grade),
            Cell::new(
                device
                    .score
                    .map_or_else(|| "n/a".to_owned(), |score| format!("{score:.1}")),
            ),
            Cell::new(format!("{}%", device.coverage)),
        ]);
        for control in Control::ALL {
            let result = device.control(control);
            let status = result.map_or(ControlStatus::NotAssessed, |result| result.status);
            row.push(paint.status(status, &legend::control_cell(result)));
        }
        table.add_row(row);
    }
    let title = if shown.len() < report.devices.len() {
        format!(
            "Devices: the {} worst of {}",
            shown.len(),
            report.devices.len()
        )
    } else {
        "Devices".to_owned()
    };
    write_wrapped(
        out,
        &format!("{title} ({})", legend::CONTROL_CELLS),
        options.width,
        |line| line.to_owned(),
    )?;
    writeln!(out, "{table}")?;
    let provisional = shown
        .iter()
        .any(|device| report.policy.is_provisional(device.grade, device.coverage));
    if provisional {
        write_wrapped(
            out,
            &legend::provisional_legend(&report.policy),
            options.width,
            |line| line.to_owned(),
        )?;
    }
    if shown.len() < report.devices.len() {
        let line = format!(
            "… and {} more devices: --verbose lists them all, as do --format json and html",
            report.devices.len() - shown.len()
        );
        write_wrapped(out, &line, options.width, |line| line.to_owned())?;
    }
    writeln!(out)
}

/// A control's heading where the table has no room for its id.
fn short_heading(control: Control) -> &'static str {
    match control {
        Control::Connectivity => "connect",
        Control::Updates => "updates",
        Control::RemovableMedia => "media",
        Control::DataRetention => "retention",
        Control::Encryption => "encrypt",
        Control::Authentication => "auth",
        Control::SupplyChain => "supply",
    }
}

/// The devices the table lists: all of them when they fit (or with `--verbose`), in the
/// report's order; otherwise the worst [`DEVICES_SHOWN`]: worst grade, then lowest score.
fn devices_shown(report: &Report, verbose: bool) -> Vec<&DeviceReport> {
    let mut devices: Vec<&DeviceReport> = report.devices.iter().collect();
    if verbose || devices.len() <= DEVICES_SHOWN {
        return devices;
    }
    devices.sort_by(|a, b| worst_first(a, b));
    devices.truncate(DEVICES_SHOWN);
    devices
}

/// Worst grade first (n/a, nothing assessed, before F), then lowest score, then id.
pub fn worst_first(a: &DeviceReport, b: &DeviceReport) -> std::cmp::Ordering {
    let rank = |grade: Grade| match grade {
        Grade::NotAssessed => 0,
        Grade::F => 1,
        Grade::D => 2,
        Grade::C => 3,
        Grade::B => 4,
        Grade::A => 5,
    };
    rank(a.grade)
        .cmp(&rank(b.grade))
        .then_with(|| a.score.unwrap_or(-1.0).total_cmp(&b.score.unwrap_or(-1.0)))
        .then_with(|| a.info.id.cmp(&b.info.id))
}

/// The compact list: a line per finding, cut to the width; the first
/// [`FINDINGS_SHOWN_PER_SEVERITY`] of each severity, then how many more.
fn write_findings(
    report: &Report,
    options: &TableRenderer,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    if report.findings.is_empty() {
        return writeln!(out, "No findings.\n");
    }
    let title = format!(
        "Findings ({}): severity, rule, device, where, what (--verbose adds each fix)",
        report.findings.len()
    );
    write_wrapped(out, &title, options.width, |line| line.to_owned())?;
    let columns = FindingColumns {
        rule: report
            .findings
            .iter()
            .map(|finding| finding.rule.chars().count())
            .max()
            .unwrap_or(0),
        device: report
            .findings
            .iter()
            .map(|finding| finding.device.chars().count())
            .max()
            .unwrap_or(0)
            .min(DEVICE_ID_WIDTH),
    };
    for severity in Severity::ALL {
        let mut of_severity = report
            .findings
            .iter()
            .filter(|finding| finding.severity == severity);
        let mut shown = 0;
        for finding in of_severity.by_ref().take(FINDINGS_SHOWN_PER_SEVERITY) {
            shown += 1;
            write_finding_line(finding, columns, options, out)?;
        }
        let more = of_severity.count();
        if more > 0 {
            let line = format!(
                "  … and {more} more {severity} findings (of {}): --verbose lists them all, as do --format json, html and sarif",
                shown + more
            );
            write_wrapped(out, &line, options.width, |line| line.to_owned())?;
        }
    }
    writeln!(out)
}

/// The widths the compact list aligns its rule and device columns to.
#[derive(Clone, Copy)]
struct FindingColumns {
    rule: usize,
    device: usize,
}

fn write_finding_line(
    finding: &Finding,
    columns: FindingColumns,
    options: &TableRenderer,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let severity = finding.severity.to_string();
    let message = finding.message.lines().next().unwrap_or_default();
    let waived = if finding.waived.is_some() {
        "(waived) "
    } else {
        ""
    };
    let (rule_width, device_width) = (columns.rule, columns.device);
    let lead = format!(
        "{severity:<8}  {:<rule_width$}  {:<device_width$}  ",
        finding.rule, finding.device
    );
    // The place gets at most half of what is left, cut at its start: its end (the file's
    // name, the line, the packet) is what tells one place from another.
    let left = options.width.saturating_sub(lead.chars().count());
    let place = cut_start(&finding.place(), (left / 2).max(16));
    let line = format!("{lead}{place}  {waived}{message}");
    let line = cut(&line, options.width);
    if options.paint.enabled {
        // The severity word is the first of the line: colour only it.
        let (word, rest) = line.split_at(line.find(' ').unwrap_or(line.len()));
        let colour = match finding.severity {
            Severity::Critical => "\x1b[1;31m",
            Severity::High => "\x1b[31m",
            Severity::Medium => "\x1b[33m",
            Severity::Low => "\x1b[34m",
            Severity::Info => "\x1b[90m",
        };
        writeln!(out, "{colour}{word}\x1b[0m{rest}")
    } else {
        writeln!(out, "{line}")
    }
}

/// `text` cut to its last `width` characters, with an ellipsis where it was cut.
fn cut_start(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        return text.to_owned();
    }
    let mut cut = String::from("…");
    cut.extend(text.chars().skip(count - width.saturating_sub(1)));
    cut
}

/// `text` cut to `width` characters, with an ellipsis where it was cut.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `--verbose`: every finding, with its whole message and fix, in a table.
fn write_findings_in_full(
    report: &Report,
    options: &TableRenderer,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    if report.findings.is_empty() {
        return writeln!(out, "No findings.\n");
    }
    let paint = options.paint;
    let mut table = paint.table_of_width(
        vec!["severity", "rule", "device", "where", "finding and fix"],
        options.width,
    );
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

fn write_unassessed(
    report: &Report,
    options: &TableRenderer,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let width = options.width;
    let plain = |line: &str| line.to_owned();
    let problems_shown = if options.verbose {
        usize::MAX
    } else {
        PROBLEMS_SHOWN
    };
    let errors: Vec<_> = report.errors().collect();
    if !errors.is_empty() {
        writeln!(out, "Could not be assessed ({}):", errors.len())?;
        for artifact in errors.iter().take(problems_shown) {
            let line = format!(
                "  {}: {}",
                artifact.path,
                artifact.reason.as_deref().unwrap_or("unknown error")
            );
            write_wrapped(out, &line, width, plain)?;
        }
        more_line(errors.len(), problems_shown, width, out)?;
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
            let line = format!(
                "  {}: {}",
                artifact.path,
                artifact.reason.as_deref().unwrap_or("")
            );
            write_wrapped(out, &line, width, plain)?;
        }
        if skipped.len() > SKIPPED_SHOWN {
            let line = format!(
                "  … and {} more (see --format json)",
                skipped.len() - SKIPPED_SHOWN
            );
            write_wrapped(out, &line, width, plain)?;
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
        for warning in warnings.iter().take(problems_shown) {
            write_wrapped(out, &format!("  {warning}"), width, plain)?;
        }
        more_line(warnings.len(), problems_shown, width, out)?;
    }
    Ok(())
}

/// "… and N more" after a list cut at `shown` entries of `total`.
fn more_line(total: usize, shown: usize, width: usize, out: &mut dyn io::Write) -> io::Result<()> {
    if total > shown {
        let line = format!(
            "  … and {} more: --verbose lists them all, as does --format json",
            total - shown
        );
        write_wrapped(out, &line, width, |line| line.to_owned())?;
    }
    Ok(())
}
