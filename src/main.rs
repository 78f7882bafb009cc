//! The `drone-audit` command: parses arguments, calls the library, picks the renderer, and
//! turns the report into an exit code. Errors are printed with their whole chain.
#![forbid(unsafe_code)]

use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};
use drone_audit::analyze::profile::evidence::Profile;
use drone_audit::analyze::UnpackLimits;
use drone_audit::baseline::Baseline;
use drone_audit::control::Severity;
use drone_audit::discover::POLICY_FILE_NAME;
use drone_audit::frameworks::{self, FrameworkSet};
use drone_audit::report::comparison::{Comparison, ComparisonFormat};
use drone_audit::report::sarif::{SarifOptions, SarifRenderer};
use drone_audit::report::table::Paint;
use drone_audit::report::{exit, exit_code, FailOn, Format, Renderer};
use drone_audit::rules::{self, reference};
use drone_audit::scan::{self, Limits, Progress, ScanOptions};
use drone_audit::shard::Shard;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Evidence documents are trees of many small nodes (a parameter file's is about 6,000
/// allocations), built and dropped by both threads at once: mimalloc's per-thread heaps do
/// this in about half the time of the system allocator (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EXIT_CODES: &str = "\
Exit codes:
  0  nothing at or above --fail-on, and every artifact was assessed
  1  findings at or above --fail-on
  2  usage, policy or rule error (nothing was scanned)
  3  the scan was incomplete (an artifact could not be read or parsed, or the scan found no
     device or a device on which nothing could be assessed: see --allow-empty) and nothing
     else failed";

/// Audits drone (UAS) fleet artifacts against the DHS data-security mitigations for
/// commercial drones: internet connectivity, updates, removable media, data retention,
/// encryption and authentication.
#[derive(Parser)]
#[command(name = "drone-audit", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan folders and files of a fleet and report findings, scores and coverage.
    #[command(after_help = EXIT_CODES)]
    Scan(ScanArgs),
    /// Print the evidence document an analyzer makes of one file (what rules query).
    Inspect {
        file: PathBuf,
        /// Apply this policy to the evidence, as a scan would (default: the built-in defaults).
        #[arg(long)]
        policy: Option<PathBuf>,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// List or explain the rules.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
        /// Also load the rule files of this folder.
        #[arg(long, global = true)]
        rules: Option<PathBuf>,
    },
    /// List or explain the compliance frameworks that `scan --framework` reports on
    /// (docs/frameworks.md is `frameworks list --format markdown`).
    Frameworks {
        #[command(subcommand)]
        command: FrameworksCommand,
        /// Also load the rule files of this folder.
        #[arg(long, global = true)]
        rules: Option<PathBuf>,
        /// Also load the framework files (*.toml) of this folder.
        #[arg(long, global = true, value_name = "DIR")]
        frameworks: Option<PathBuf>,
    },
    /// Merge the parts of a sharded scan (`scan --shard K/N --format json`) into one report.
    #[command(after_help = EXIT_CODES)]
    Merge(MergeArgs),
    /// Compare candidate drone models or vendors (one folder each) per control, with the same
    /// rules and policy for all.
    Compare(CompareArgs),
    /// Print the JSON Schema of an input format (`profile`) or of a JSON output (`report`,
    /// `comparison`).
    Schema { kind: SchemaKind },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff), e.g. `drone-audit man > drone-audit.1`, or a subcommand's
    /// (`drone-audit man scan`); `--dir DIR` writes every page (drone-audit-scan.1 …) to DIR.
    Man {
        /// The subcommand whose page to print (`scan`, `rules explain`…).
        subcommand: Vec<String>,
        /// Write the page of the command and of every subcommand into this folder.
        #[arg(long, value_name = "DIR", conflicts_with = "subcommand")]
        dir: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Folders (each subfolder a device) and files to scan.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    report: ReportArgs,
    /// Policy file (default: drone-audit.toml in the scanned folder, else built-in defaults).
    #[arg(long)]
    policy: Option<PathBuf>,
    /// For a CI gate: the policy comes only from FILE (e.g. taken from the protected branch),
    /// which must not lie in a scanned folder; policy files in the scanned tree are not used
    /// and the report's warnings name them (docs/ci.md).
    #[arg(long, value_name = "FILE", conflicts_with = "policy")]
    trusted_policy: Option<PathBuf>,
    /// Folder of extra rule files (*.toml), added to the built-in rules.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Also report on a compliance framework (repeat it, or `all`): each requirement's status
    /// per device and for the fleet; scores do not change (`drone-audit frameworks list`).
    #[arg(long = "framework", value_name = "ID", conflicts_with = "shard")]
    framework: Vec<String>,
    /// Folder of extra framework files (*.toml), added to the built-in frameworks.
    #[arg(long, value_name = "DIR", requires = "framework")]
    frameworks: Option<PathBuf>,
    /// Scan only shard K of N of the devices (a stable hash of the device id) and mark the
    /// report as that part, for `merge`. `auto/N` takes K from JOB_COMPLETION_INDEX + 1
    /// (Kubernetes Indexed Jobs) or SLURM_ARRAY_TASK_ID + 1 (Slurm `--array=0-(N-1)`). A part is not a verdict: the exit code is 0 unless the
    /// scan could not run (2); `merge` decides.
    #[arg(long, value_name = "K/N", conflicts_with_all = ["baseline", "write_baseline"])]
    shard: Option<Shard>,
    /// Worker threads (default: one per core).
    #[arg(long, short, value_parser = clap::value_parser!(u16).range(1..=1024))]
    jobs: Option<u16>,
    #[command(flatten)]
    limits: LimitArgs,
}

/// What one artifact may make the scanner do (docs/limits.md).
#[derive(clap::Args)]
struct LimitArgs {
    /// Largest file read, in bytes; larger ones are reported as not assessed (captures are
    /// streamed and have their own limit).
    #[arg(long, default_value_t = Limits::default().max_file_size)]
    max_file_size: u64,
    /// Largest packet capture read, in bytes; larger ones are reported as not assessed.
    #[arg(long, default_value_t = Limits::default().max_capture_size)]
    max_capture_size: u64,
    /// Most bytes unpacking one firmware artifact may produce in all.
    #[arg(long, default_value_t = UnpackLimits::default().max_unpacked)]
    max_unpacked_size: u64,
    /// Most times its own size a firmware artifact may unpack to (at least 16 MiB is always
    /// allowed); beyond, it is a decompression bomb.
    #[arg(long, default_value_t = UnpackLimits::default().max_ratio)]
    max_unpack_ratio: u64,
    /// Deepest nesting of containers opened in a firmware artifact (at most 64).
    #[arg(long, default_value_t = UnpackLimits::default().max_depth as u16,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    max_archive_depth: u16,
    /// Most members (files, modules) examined in one firmware artifact.
    #[arg(long, default_value_t = UnpackLimits::default().max_members)]
    max_archive_members: u64,
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        Limits {
            max_file_size: self.max_file_size,
            max_capture_size: self.max_capture_size,
            unpack: UnpackLimits {
                max_depth: usize::from(self.max_archive_depth),
                max_members: self.max_archive_members,
                max_unpacked: self.max_unpacked_size,
                max_ratio: self.max_unpack_ratio,
                ..UnpackLimits::default()
            },
        }
    }
}

/// What becomes of a report: its formats and files, the baseline, and the exit code.
#[derive(clap::Args)]
struct ReportArgs {
    /// Report format; repeat it with --output to write several reports in one run:
    /// `--format json --output a.json --format sarif --output b.sarif`.
    #[arg(long, value_enum)]
    format: Vec<Format>,
    /// Where the report of the --format in the same position goes (default: standard output,
    /// for a single format).
    #[arg(long, short)]
    output: Vec<PathBuf>,
    /// Exit with 1 when a finding (not waived) is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOnArg::High)]
    fail_on: FailOnArg,
    /// Report only findings whose fingerprint is not in this baseline (or JSON report).
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Write the fingerprints of the findings to FILE, as a baseline.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Make SARIF locations relative to DIR (the repository's root, for GitHub code scanning)
    /// rather than to the scan root.
    #[arg(long, value_name = "DIR")]
    source_root: Option<PathBuf>,
    /// Write every finding to the SARIF report; by default it keeps within GitHub code
    /// scanning's limits (25,000 results, 10 MB gzipped), most severe first.
    #[arg(long)]
    sarif_all_results: bool,
    /// No progress bar and no per-artifact errors on standard error (reports are unchanged).
    #[arg(long, short)]
    quiet: bool,
    /// The table lists every device and finding, each with its whole message and fix (by
    /// default: one line per finding, the first of each severity on large fleets).
    #[arg(long, short)]
    verbose: bool,
    /// Colour the table on standard output even when it is not a terminal, for CI logs that
    /// render ANSI colours (GitHub Actions, GitLab); overrides NO_COLOR.
    #[arg(long)]
    force_color: bool,
    /// Exit with 0 even when the scan found no device, or a device on which no rule could be
    /// assessed (by default such a scan is incomplete: exit code 3).
    #[arg(long)]
    allow_empty: bool,
}

#[derive(clap::Args)]
struct MergeArgs {
    /// The parts: JSON reports of `scan --shard K/N`, one per shard.
    #[arg(required = true)]
    parts: Vec<PathBuf>,
    #[command(flatten)]
    report: ReportArgs,
    /// Merge even when shards are missing; the report is then marked partial (exit code 3
    /// unless findings fail it).
    #[arg(long)]
    allow_partial: bool,
}

#[derive(clap::Args)]
struct CompareArgs {
    /// One folder per candidate: a device's folder is one device (as inside a fleet folder
    /// given to `scan`); a folder with `fleet.toml`, or only subfolders at its top, is a fleet.
    #[arg(required = true)]
    candidates: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = ComparisonFormat::Table)]
    format: ComparisonFormat,
    /// Where the comparison goes (default: standard output).
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// The policy every candidate is judged by (default: built-in defaults; policy files
    /// inside candidate folders are ignored, so no candidate brings its own).
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Folder of extra rule files (*.toml), added to the built-in rules.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, short, value_parser = clap::value_parser!(u16).range(1..=1024))]
    jobs: Option<u16>,
    #[command(flatten)]
    limits: LimitArgs,
    /// No progress bar on standard error.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Subcommand)]
enum RulesCommand {
    /// List every rule.
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Explain one rule: what it checks, why it matters, how to fix, references, an example.
    Explain { id: String },
}

#[derive(Subcommand)]
enum FrameworksCommand {
    /// List every framework with its coverage (requirements evidenced by rules, manual ones).
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Explain a framework (`ID`) or one of its requirements (`ID:REQ`): its source, what
    /// evidences it, what an auditor must collect.
    Explain { id: String },
}

#[derive(Clone, Copy, ValueEnum)]
enum ListFormat {
    Table,
    Json,
    /// The rule reference (docs/rules.md is this output).
    Markdown,
}

#[derive(Clone, Copy, ValueEnum)]
enum SchemaKind {
    Profile,
    /// The JSON report (`scan --format json`, `merge`).
    Report,
    /// The JSON comparison (`compare --format json`).
    Comparison,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOnArg {
    Critical,
    High,
    Medium,
    Low,
    None,
}

impl From<FailOnArg> for FailOn {
    fn from(arg: FailOnArg) -> FailOn {
        match arg {
            FailOnArg::Critical => FailOn::Severity(Severity::Critical),
            FailOnArg::High => FailOn::Severity(Severity::High),
            FailOnArg::Medium => FailOn::Severity(Severity::Medium),
            FailOnArg::Low => FailOn::Severity(Severity::Low),
            FailOnArg::None => FailOn::None,
        }
    }
}

fn main() -> ExitCode {
    one_line_panics();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) if is_broken_pipe(&error) => ExitCode::from(exit::OK),
        Err(error) => {
            eprintln!("drone-audit: error: {error:#}");
            ExitCode::from(exit::USAGE)
        }
    }
}

/// A panic prints one line on standard error instead of the default two and a backtrace hint:
/// an analyzer's panic is contained and its artifact reported as an error with the reason, so
/// a hostile file costs one line of the log, not a page. With RUST_BACKTRACE set, the default
/// hook stays, for a developer.
fn one_line_panics() {
    if std::env::var_os("RUST_BACKTRACE").is_some() {
        return;
    }
    std::panic::set_hook(Box::new(|info| {
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
        eprintln!("drone-audit: internal error{place}: {message}");
    }));
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Scan(args) => run_scan(args),
        Command::Inspect {
            file,
            policy,
            limits,
        } => run_inspect(file, policy, limits.limits()),
        Command::Rules { command, rules } => run_rules(command, rules),
        Command::Frameworks {
            command,
            rules,
            frameworks,
        } => run_frameworks(command, rules, frameworks),
        Command::Compare(args) => run_compare(args),
        Command::Merge(args) => run_merge(args),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let script = drone_audit::manual::completion_script(shell, &mut command);
            io::stdout().lock().write_all(&script)?;
            Ok(exit::OK)
        }
        Command::Man { subcommand, dir } => run_man(&subcommand, dir.as_deref()),
        Command::Schema { kind } => {
            let schema = match kind {
                SchemaKind::Profile => schemars::schema_for!(Profile),
                SchemaKind::Report => drone_audit::report::schema::report_schema(),
                SchemaKind::Comparison => drone_audit::report::schema::comparison_schema(),
            };
            print_json(&schema)?;
            Ok(exit::OK)
        }
    }
}

/// Sizes rayon's global pool, the one pool a command's work runs on: the scan (given no
/// thread count of its own) and the rendering of the JSON report's long lists.
fn use_jobs(jobs: Option<u16>) -> anyhow::Result<()> {
    if let Some(jobs) = jobs {
        rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(jobs))
            .build_global()
            .with_context(|| format!("cannot start {jobs} threads"))?;
    }
    Ok(())
}

fn run_scan(args: ScanArgs) -> anyhow::Result<u8> {
    // Arguments are checked before the scan, so a typo costs nothing.
    let destinations = report_destinations(&args.report.format, &args.report.output)?;
    let framework_set = if args.framework.is_empty() {
        FrameworkSet::default()
    } else {
        frameworks::load(
            args.frameworks.as_deref(),
            &rules::load(args.rules.as_deref())?,
        )?
    };
    let chosen = framework_set
        .select(&args.framework)
        .map_err(anyhow::Error::msg)?;
    use_jobs(args.jobs)?;
    let options = ScanOptions {
        paths: args.paths,
        trusted_policy: args.trusted_policy.is_some(),
        policy: args.trusted_policy.or(args.policy),
        rules_dir: args.rules,
        jobs: None,
        limits: args.limits.limits(),
        ignore_found_policies: false,
        shard: args.shard,
        candidates: false,
    };
    let progress = ScanProgress::new(args.report.quiet);
    let result = scan::scan_with_progress(&options, &progress);
    progress.finish();
    let mut report = result.context("cannot scan")?;
    drone_audit::report::frameworks::attach(&mut report, &chosen);
    let code = deliver(report, &args.report, &destinations)?;
    Ok(if options.shard.is_some() {
        exit::OK
    } else {
        code
    })
}

fn run_merge(args: MergeArgs) -> anyhow::Result<u8> {
    let destinations = report_destinations(&args.report.format, &args.report.output)?;
    let mut parts = Vec::with_capacity(args.parts.len());
    for path in &args.parts {
        let name = drone_audit::discover::display(path);
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
        let part: drone_audit::report::Report = serde_json::from_slice(&bytes)
            .with_context(|| format!("{name} is not a drone-audit JSON report"))?;
        parts.push((name, part));
    }
    let mut report = drone_audit::merge::merge(parts, args.allow_partial)?;
    // The fleet stage again, over every part's devices (groups across shards).
    drone_audit::shared_secrets::apply_to_report(&mut report);
    if report.partial.is_some() && args.report.write_baseline.is_some() {
        bail!("a partial merge cannot be a baseline: it lacks the findings of the missing shards");
    }
    deliver(report, &args.report, &destinations)
}

/// Applies the baseline, writes every report asked for, and decides the exit code.
fn deliver(
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
    for artifact in report.errors().filter(|_| !args.quiet) {
        eprintln!(
            "drone-audit: {}: {}",
            artifact.path,
            artifact
                .reason
                .as_deref()
                .unwrap_or("could not be assessed")
        );
    }
    let empty = report.nothing_assessed();
    for reason in empty.iter().filter(|_| !args.quiet) {
        let consequence = if args.allow_empty {
            "accepted (--allow-empty)"
        } else {
            "the scan is incomplete (--allow-empty accepts it)"
        };
        eprintln!("drone-audit: {reason}: {consequence}");
    }
    let code = exit_code(&report, args.fail_on.into(), args.allow_empty);
    // The process ends next: freeing a report of thousands of devices piece by piece would
    // only delay the exit (0.1 s for 10,000 devices), so leave it to the OS.
    std::mem::forget(report);
    Ok(code)
}

/// Pairs each --format with the --output in the same position; a single format without an
/// output goes to standard output, and no format at all means the table.
fn report_destinations<'a>(
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
fn colour_on_stdout() -> bool {
    io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
}

/// Runs `render` on a buffered writer to the file, or to standard output when there is none.
fn write_to(
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
struct ScanProgress {
    bar: ProgressBar,
    wanted: bool,
    shown: AtomicBool,
}

impl ScanProgress {
    fn new(quiet: bool) -> ScanProgress {
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

    fn finish(&self) {
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

fn run_compare(args: CompareArgs) -> anyhow::Result<u8> {
    use_jobs(args.jobs)?;
    let progress = ScanProgress::new(args.quiet);
    let mut candidates = Vec::with_capacity(args.candidates.len());
    for (position, folder) in args.candidates.iter().enumerate() {
        // `compare fleet/*` names the fleet's policy file too: it is no candidate (and compare
        // judges every candidate by the policy given with --policy, never one found).
        if folder.is_file() && folder.file_name() == Some(std::ffi::OsStr::new(POLICY_FILE_NAME)) {
            eprintln!(
                "drone-audit: {}: a policy file, not a candidate: left out (give it with --policy to apply it)",
                folder.display()
            );
            continue;
        }
        if args.candidates[..position].contains(folder) {
            bail!("{}: the same candidate is given twice", folder.display());
        }
        if !folder.is_dir() {
            bail!(
                "{}: a candidate must be a folder (one per drone model or vendor)",
                folder.display()
            );
        }
        let options = ScanOptions {
            paths: vec![folder.clone()],
            policy: args.policy.clone(),
            rules_dir: args.rules.clone(),
            jobs: None,
            limits: args.limits.limits(),
            ignore_found_policies: true,
            trusted_policy: false,
            shard: None,
            candidates: true,
        };
        let report = scan::scan_with_progress(&options, &progress)
            .with_context(|| format!("cannot scan candidate {}", folder.display()))?;
        candidates.push((
            candidate_name(folder),
            drone_audit::discover::display(folder),
            report,
        ));
    }
    progress.finish();
    // Two candidates with the same folder name (vendor-a/m30, vendor-b/m30) keep their paths.
    let names: Vec<String> = candidates.iter().map(|(name, _, _)| name.clone()).collect();
    for (name, path, _) in &mut candidates {
        if names.iter().filter(|other| *other == name).count() > 1 {
            name.clone_from(path);
        }
    }
    let comparison = Comparison::new(candidates);
    let paint = Paint::new(args.output.is_none() && colour_on_stdout());
    write_to(args.output.as_deref(), |out| {
        args.format.render(&comparison, paint, out)
    })?;
    let incomplete = comparison
        .candidates
        .iter()
        .any(|candidate| candidate.incomplete);
    Ok(if incomplete {
        exit::INCOMPLETE
    } else {
        exit::OK
    })
}

fn candidate_name(folder: &Path) -> String {
    folder
        .canonicalize()
        .ok()
        .as_deref()
        .unwrap_or(folder)
        .file_name()
        .map_or_else(
            || drone_audit::discover::display(folder),
            |name| name.to_string_lossy().into_owned(),
        )
}

fn run_inspect(file: PathBuf, policy: Option<PathBuf>, limits: Limits) -> anyhow::Result<u8> {
    // The evidence rules query carries policy facts: the given policy's, else the defaults'.
    let options = ScanOptions {
        policy,
        ..ScanOptions::default()
    };
    let (_, policy) = scan::load_rules_and_policy(&options, &[]).map_err(anyhow::Error::new)?;
    // A path that is not there is a usage error, as for `scan`; one that cannot be read or
    // analyzed is an incomplete result.
    std::fs::symlink_metadata(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let artifact = scan::analyze_file(&file, None, &policy, limits);
    let record = artifact.record;
    let Some(evidence) = artifact.evidence else {
        let reason = record.reason.as_deref().unwrap_or("could not be assessed");
        match record.kind {
            Some(kind) => eprintln!(
                "drone-audit: {}: {kind} could not be analyzed: {reason}",
                record.path
            ),
            None => eprintln!("drone-audit: {}: {reason}", record.path),
        }
        return Ok(exit::INCOMPLETE);
    };
    let mut output = serde_json::json!({
        "path": record.path,
        "kind": evidence.kind,
        "warnings": record.warnings,
        "evidence": evidence.document,
    });
    let code = match record.reason {
        Some(reason) => {
            output["incomplete"] = serde_json::Value::String(reason);
            exit::INCOMPLETE
        }
        None => exit::OK,
    };
    print_json(&output)?;
    Ok(code)
}

fn run_man(subcommand: &[String], dir: Option<&Path>) -> anyhow::Result<u8> {
    let pages = drone_audit::manual::man_pages(<Cli as clap::CommandFactory>::command())?;
    if let Some(dir) = dir {
        for page in &pages {
            let path = dir.join(&page.file_name);
            std::fs::write(&path, &page.roff)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        return Ok(exit::OK);
    }
    let wanted = std::iter::once("drone-audit")
        .chain(subcommand.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join("-")
        + ".1";
    let Some(page) = pages.iter().find(|page| page.file_name == wanted) else {
        bail!("no subcommand `{}`", subcommand.join(" "));
    };
    io::stdout().lock().write_all(&page.roff)?;
    Ok(exit::OK)
}

fn run_rules(command: RulesCommand, rules_dir: Option<PathBuf>) -> anyhow::Result<u8> {
    let rule_set = rules::load(rules_dir.as_deref())?;
    let page = match command {
        RulesCommand::List {
            format: ListFormat::Json,
        } => {
            print_json(&rule_set.rules)?;
            return Ok(exit::OK);
        }
        RulesCommand::List {
            format: ListFormat::Markdown,
        } => reference::markdown(&rule_set),
        RulesCommand::List {
            format: ListFormat::Table,
        } => reference::table(&rule_set),
        RulesCommand::Explain { id } => match reference::find(&rule_set, &id) {
            Some(rule) => reference::explain(rule),
            None => bail!("{}", reference::unknown_rule(&rule_set, &id)),
        },
    };
    io::stdout().lock().write_all(page.as_bytes())?;
    Ok(exit::OK)
}

fn run_frameworks(
    command: FrameworksCommand,
    rules_dir: Option<PathBuf>,
    frameworks_dir: Option<PathBuf>,
) -> anyhow::Result<u8> {
    let set = frameworks::load(
        frameworks_dir.as_deref(),
        &rules::load(rules_dir.as_deref())?,
    )?;
    let page = match command {
        FrameworksCommand::List {
            format: ListFormat::Json,
        } => {
            print_json(&set.frameworks)?;
            return Ok(exit::OK);
        }
        FrameworksCommand::List {
            format: ListFormat::Markdown,
        } => frameworks::reference::markdown(&set),
        FrameworksCommand::List {
            format: ListFormat::Table,
        } => frameworks::reference::table(&set),
        FrameworksCommand::Explain { id } => {
            frameworks::reference::explain(&set, &id).map_err(anyhow::Error::msg)?
        }
    };
    io::stdout().lock().write_all(page.as_bytes())?;
    Ok(exit::OK)
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut stdout = io::stdout().lock();
    // As an io::Error, a closed pipe (`| head`) is recognised and ends the run quietly.
    serde_json::to_writer_pretty(&mut stdout, value).map_err(io::Error::from)?;
    writeln!(stdout)?;
    Ok(())
}
