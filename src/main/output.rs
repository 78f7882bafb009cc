//! Where a report goes and what the user sees meanwhile: the report written in each format
//! asked for (to standard output or files; a merge's JSON as it is read), the baseline applied first, colour only on a
//! terminal, a progress bar for a scan that takes a while, and a panic as one line.

use crate::cli::ReportArgs;
use anyhow::{bail, Context};
use drone_audit::baseline::Baseline;
use drone_audit::merge::Merge;
use drone_audit::report::sarif::{SarifOptions, SarifRenderer};
use drone_audit::report::table::Paint;
use drone_audit::report::{exit_code, verdict, ArtifactRecord, FailOn, Format, Renderer};
use drone_audit::scan::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Applies the baseline, writes every report asked for, and decides the exit code.
pub fn deliver(
    mut report: drone_audit::report::Report,
    args: &ReportArgs,
    destinations: &[(Format, Option<&PathBuf>)],
) -> anyhow::Result<u8> {
    let baseline = args.baseline.as_deref().map(Baseline::read).transpose()?;
    if let Some(path) = &args.write_baseline {
        std::fs::write(path, Baseline::of(&report).to_json())
            .with_context(|| format!("cannot write baseline to {}", path.display()))?;
    }
    if let (Some(baseline), Some(path)) = (&baseline, &args.baseline) {
        for warning in baseline.apply(&mut report, path) {
            eprintln!("drone-audit: warning: {warning}");
        }
    }
    let sarif = SarifRenderer::new(SarifOptions {
        source_root: args.source_root.clone(),
        all_results: args.sarif_all_results,
        ..SarifOptions::default()
    });
    for &(format, output) in destinations {
        let renderer: Box<dyn Renderer> = match format {
            Format::Sarif => Box::new(sarif.clone()),
            _ => format.renderer(drone_audit::report::table::TableRenderer {
                paint: Paint::new(output.is_none() && (args.force_color || colour_on_stdout())),
                width: if output.is_none() {
                    drone_audit::report::table::terminal_width()
                } else {
                    drone_audit::report::table::DEFAULT_WIDTH
                },
                verbose: args.verbose,
            }),
        };
        write_to(output.map(PathBuf::as_path), |out| {
            renderer.render(&report, out)
        })?;
    }
    if let Some(note) = sarif.left_out_note() {
        eprintln!("drone-audit: {note}");
    }
    for artifact in report.errors() {
        tell_error(artifact, args);
    }
    tell_nothing_assessed(&report.nothing_assessed(), args);
    let code = exit_code(&report, args.fail_on.into(), args.allow_empty);
    // The process ends next: freeing a report of thousands of devices piece by piece would
    // only delay the exit (0.1 s for 10,000 devices), so leave it to the OS.
    std::mem::forget(report);
    Ok(code)
}

/// Writes a merge's JSON reports as it reads the parts, never holding the merged report, and
/// decides the exit code as [`deliver`] does; `None` when a destination needs the whole
/// report (another format, a baseline to apply or write), for [`deliver`] to write.
pub fn deliver_merge(
    merge: &Merge,
    args: &ReportArgs,
    destinations: &[(Format, Option<&PathBuf>)],
) -> anyhow::Result<Option<u8>> {
    let streams = destinations
        .iter()
        .all(|(format, _)| *format == Format::Json)
        && args.baseline.is_none()
        && args.write_baseline.is_none();
    if !streams {
        return Ok(None);
    }
    for (position, &(_, output)) in destinations.iter().enumerate() {
        write_to(output.map(PathBuf::as_path), |out| {
            merge
                .write_json(out, &mut |artifact| {
                    if position == 0 && artifact.status.is_incomplete() {
                        tell_error(artifact, args);
                    }
                })
                .map_err(io::Error::other)
        })?;
    }
    let nothing_assessed = merge.nothing_assessed();
    tell_nothing_assessed(&nothing_assessed, args);
    let head = merge.head();
    let fail_on: FailOn = args.fail_on.into();
    Ok(Some(verdict(
        fail_on.fails(&head.summary),
        head.summary.incomplete || head.partial.is_some(),
        !args.allow_empty && !nothing_assessed.is_empty(),
    )))
}

/// Says on standard error why an artifact was not fully assessed (unless --quiet).
fn tell_error(artifact: &ArtifactRecord, args: &ReportArgs) {
    if !args.quiet {
        eprintln!(
            "drone-audit: {}: {}",
            artifact.path,
            artifact
                .reason
                .as_deref()
                .unwrap_or("could not be assessed")
        );
    }
}

/// Says on standard error why a scan assessed too little to be a verdict (unless --quiet).
fn tell_nothing_assessed(reasons: &[String], args: &ReportArgs) {
    for reason in reasons.iter().filter(|_| !args.quiet) {
        let consequence = if args.allow_empty {
            "accepted (--allow-empty)"
        } else {
            "the scan is incomplete (--allow-empty accepts it)"
        };
        eprintln!("drone-audit: {reason}: {consequence}");
    }
}

/// Pairs each --format with the --output in the same position; a single format without an
/// output goes to standard output, and no format at all means the table.
pub fn report_destinations<'a>(
    formats: &[Format],
    outputs: &'a [PathBuf],
) -> anyhow::Result<Vec<(Format, Option<&'a PathBuf>)>> {
    match (formats.len(), outputs.len()) {
        (0, 0) => Ok(vec![(Format::Table, None)]),
        (0, 1) => Ok(vec![(Format::Table, outputs.first())]),
        (1, 0) => Ok(vec![(formats[0], None)]),
        (f, o) if f == o => Ok(formats.iter().copied().zip(outputs.iter().map(Some)).collect()),
        (f, o) => bail!("{f} --format and {o} --output: with several formats, give one --output per --format, in the same order"),
    }
}

/// Colour only on a terminal, and never when `NO_COLOR` is set to anything but "".
pub fn colour_on_stdout() -> bool {
    io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}

/// Runs `render` on a buffered writer to the file, or to standard output when there is none.
pub fn write_to(
    path: Option<&Path>,
    render: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<()> {
    match path {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot write report to {}", path.display()))?;
            let mut writer = io::BufWriter::with_capacity(1 << 16, file);
            render(&mut writer)
                .and_then(|()| writer.flush())
                .with_context(|| format!("cannot write report to {}", path.display()))
        }
        None => {
            let mut stdout = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
            render(&mut stdout)?;
            stdout.flush()?;
            Ok(())
        }
    }
}

/// How long a scan runs before it gets a progress bar: quick scans stay quiet.
const PROGRESS_DELAY: Duration = Duration::from_millis(400);

/// A progress bar on standard error, drawn only on a terminal, never with --quiet, and only
/// once the scan has run for longer than a moment.
pub struct ScanProgress {
    bar: ProgressBar,
    wanted: bool,
    shown: AtomicBool,
}

impl ScanProgress {
    pub fn new(quiet: bool) -> ScanProgress {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {elapsed_precise} [{wide_bar}] {human_pos}/{human_len} files, {eta} left",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        ScanProgress {
            bar,
            wanted: !quiet && io::stderr().is_terminal(),
            shown: AtomicBool::new(false),
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for ScanProgress {
    fn found(&self, files: u64) {
        self.bar.inc_length(files);
    }

    fn advance(&self) {
        self.bar.inc(1);
        if self.wanted
            && !self.shown.load(Ordering::Relaxed)
            && self.bar.elapsed() >= PROGRESS_DELAY
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }
}

/// A panic prints one line on standard error instead of the default two and a backtrace hint:
/// an analyzer's panic is contained and its artifact reported as an error with the reason, so
/// a hostile file costs one line of the log, not a page. With RUST_BACKTRACE set, the default
/// hook stays, for a developer.
pub fn one_line_panics() {
    if std::env::var_os("RUST_BACKTRACE").is_some() {
        return;
    }
    std::panic::set_hook(Box::new(|info| eprintln!("{}", panic_line(info))));
}

/// A panic as one line: where it happened and the first line of its message.
fn panic_line(info: &std::panic::PanicHookInfo<'_>) -> String {
    let message = info
        .payload()
        .downcast_ref::<&str>()
        .map(|text| (*text).to_owned())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_default();
    let place = info
        .location()
        .map(|location| format!(" at {}:{}", location.file(), location.line()))
        .unwrap_or_default();
    let message = message.lines().next().unwrap_or_default();
    format!("drone-audit: internal error{place}: {message}")
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex, PoisonError};

    #[test]
    fn a_panic_is_one_line_with_its_place() {
        let seen = Arc::new(Mutex::new(String::new()));
        let line = Arc::clone(&seen);
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            *line.lock().unwrap_or_else(PoisonError::into_inner) = super::panic_line(info);
        }));
        let caught = std::panic::catch_unwind(|| panic!("index out of bounds\nsecond line"));
        std::panic::set_hook(previous);
        assert!(caught.is_err());
        let line = seen.lock().unwrap_or_else(PoisonError::into_inner).clone();
        assert!(
            line.starts_with("drone-audit: internal error at src/main/output.rs:"),
            "{line}"
        );
        assert!(line.ends_with(": index out of bounds"), "{line}");
    }
}
