//! The command line's definition: the subcommands, their arguments and what each means, as
//! clap parses them and as the completion scripts and man pages describe them.

use clap::{Parser, Subcommand, ValueEnum};
use drone_audit::analyze::{ArtifactKind, UnpackLimits};
use drone_audit::control::Severity;
use drone_audit::report::comparison::ComparisonFormat;
use drone_audit::report::{FailOn, Format};
use drone_audit::scan::Limits;
use drone_audit::shard::Shard;
use std::path::PathBuf;

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
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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
    /// Print the JSON Schema of an input format (`profile`), of a JSON output (`report`,
    /// `comparison`) or of an artifact kind's evidence document (`evidence KIND`, what rules
    /// query).
    Schema {
        kind: SchemaKind,
        /// With `evidence`: the artifact kind (`firmware`, `capture`, `ulog`…).
        #[arg(required_if_eq("kind", "evidence"), value_name = "ARTIFACT_KIND")]
        artifact_kind: Option<ArtifactKind>,
    },
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
pub struct ScanArgs {
    /// Folders (each subfolder a device) and files to scan.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub report: ReportArgs,
    /// Policy file (default: drone-audit.toml in the scanned folder, else built-in defaults).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// For a CI gate: the policy comes only from FILE (e.g. taken from the protected branch),
    /// which must not lie in a scanned folder; policy files in the scanned tree are not used
    /// and the report's warnings name them (docs/ci.md).
    #[arg(long, value_name = "FILE", conflicts_with = "policy")]
    pub trusted_policy: Option<PathBuf>,
    /// Folder of extra rule files (*.toml), added to the built-in rules.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Also report on a compliance framework (repeat it, or `all`): each requirement's status
    /// per device and for the fleet; scores do not change (`drone-audit frameworks list`).
    #[arg(long = "framework", value_name = "ID", conflicts_with = "shard")]
    pub framework: Vec<String>,
    /// Folder of extra framework files (*.toml), added to the built-in frameworks.
    #[arg(long, value_name = "DIR", requires = "framework")]
    pub frameworks: Option<PathBuf>,
    /// Scan only shard K of N of the devices (a stable hash of the device id) and mark the
    /// report as that part, for `merge`. `auto/N` takes K from JOB_COMPLETION_INDEX + 1
    /// (Kubernetes Indexed Jobs) or SLURM_ARRAY_TASK_ID + 1 (Slurm `--array=0-(N-1)`). A part is not a verdict: the exit code is 0 unless the
    /// scan could not run (2); `merge` decides.
    #[arg(long, value_name = "K/N", conflicts_with_all = ["baseline", "write_baseline"])]
    pub shard: Option<Shard>,
    /// Worker threads (default: one per core).
    #[arg(long, short, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub jobs: Option<u16>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// What one artifact may make the scanner do (docs/limits.md).
#[derive(clap::Args)]
pub struct LimitArgs {
    /// Largest file read, in bytes; larger ones are reported as not assessed (captures are
    /// streamed and have their own limit).
    #[arg(long, default_value_t = Limits::default().max_file_size)]
    pub max_file_size: u64,
    /// Largest packet capture read, in bytes; larger ones are reported as not assessed.
    #[arg(long, default_value_t = Limits::default().max_capture_size)]
    pub max_capture_size: u64,
    /// Most bytes unpacking one firmware artifact may produce in all.
    #[arg(long, default_value_t = UnpackLimits::default().max_unpacked)]
    pub max_unpacked_size: u64,
    /// Most times its own size a firmware artifact may unpack to (at least 16 MiB is always
    /// allowed); beyond, it is a decompression bomb.
    #[arg(long, default_value_t = UnpackLimits::default().max_ratio)]
    pub max_unpack_ratio: u64,
    /// Deepest nesting of containers opened in a firmware artifact (at most 64).
    #[arg(long, default_value_t = UnpackLimits::default().max_depth as u16,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub max_archive_depth: u16,
    /// Most members (files, modules) examined in one firmware artifact.
    #[arg(long, default_value_t = UnpackLimits::default().max_members)]
    pub max_archive_members: u64,
}

impl LimitArgs {
    pub fn limits(&self) -> Limits {
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
pub struct ReportArgs {
    /// Report format; repeat it with --output to write several reports in one run:
    /// `--format json --output a.json --format sarif --output b.sarif`.
    #[arg(long, value_enum)]
    pub format: Vec<Format>,
    /// Where the report of the --format in the same position goes (default: standard output,
    /// for a single format).
    #[arg(long, short)]
    pub output: Vec<PathBuf>,
    /// Exit with 1 when a finding (not waived) is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOnArg::High)]
    pub fail_on: FailOnArg,
    /// Report only findings whose fingerprint is not in this baseline (or JSON report).
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Write the fingerprints of the findings to FILE, as a baseline.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Make SARIF locations relative to DIR (the repository's root, for GitHub code scanning)
    /// rather than to the scan root.
    #[arg(long, value_name = "DIR")]
    pub source_root: Option<PathBuf>,
    /// Write every finding to the SARIF report; by default it keeps within GitHub code
    /// scanning's limits (25,000 results, 10 MB gzipped), most severe first.
    #[arg(long)]
    pub sarif_all_results: bool,
    /// No progress bar and no per-artifact errors on standard error (reports are unchanged).
    #[arg(long, short)]
    pub quiet: bool,
    /// The table lists every device and finding, each with its whole message and fix (by
    /// default: one line per finding, the first of each severity on large fleets).
    #[arg(long, short)]
    pub verbose: bool,
    /// Colour the table on standard output even when it is not a terminal, for CI logs that
    /// render ANSI colours (GitHub Actions, GitLab); overrides NO_COLOR.
    #[arg(long)]
    pub force_color: bool,
    /// Exit with 0 even when the scan found no device, or a device on which no rule could be
    /// assessed (by default such a scan is incomplete: exit code 3).
    #[arg(long)]
    pub allow_empty: bool,
}

#[derive(clap::Args)]
pub struct MergeArgs {
    /// The parts: JSON reports of `scan --shard K/N`, one per shard.
    #[arg(required = true)]
    pub parts: Vec<PathBuf>,
    #[command(flatten)]
    pub report: ReportArgs,
    /// Merge even when shards are missing; the report is then marked partial (exit code 3
    /// unless findings fail it).
    #[arg(long)]
    pub allow_partial: bool,
}

#[derive(clap::Args)]
pub struct CompareArgs {
    /// One folder per candidate: a device's folder is one device (as inside a fleet folder
    /// given to `scan`); a folder with `fleet.toml`, or only subfolders at its top, is a fleet.
    #[arg(required = true)]
    pub candidates: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = ComparisonFormat::Table)]
    pub format: ComparisonFormat,
    /// Where the comparison goes (default: standard output).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// The policy every candidate is judged by (default: built-in defaults; policy files
    /// inside candidate folders are ignored, so no candidate brings its own).
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Folder of extra rule files (*.toml), added to the built-in rules.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, short, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub jobs: Option<u16>,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// No progress bar on standard error.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Subcommand)]
pub enum RulesCommand {
    /// List every rule.
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Explain one rule: what it checks, why it matters, how to fix, references, an example.
    Explain { id: String },
}

#[derive(Subcommand)]
pub enum FrameworksCommand {
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
pub enum ListFormat {
    Table,
    Json,
    /// The rule reference (docs/rules.md is this output).
    Markdown,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SchemaKind {
    Profile,
    /// The JSON report (`scan --format json`, `merge`).
    Report,
    /// The JSON comparison (`compare --format json`).
    Comparison,
    /// The evidence document of an artifact kind (`schema evidence firmware`).
    Evidence,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FailOnArg {
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
