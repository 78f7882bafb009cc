//! The `drone-audit` command: parses arguments, calls the library, picks the renderer, and
//! turns the report into an exit code. Errors are printed with their whole chain.
#![forbid(unsafe_code)]

// The binary's own modules, in src/main/ beside this file (the library's are its siblings).
#[path = "main/cli.rs"]
mod cli;
#[path = "main/output.rs"]
mod output;

use cli::{
    Cli, Command, CompareArgs, FrameworksCommand, ListFormat, MergeArgs, RulesCommand, ScanArgs,
    SchemaKind,
};
use output::{
    colour_on_stdout, deliver, deliver_merge, report_destinations, write_to, ScanProgress,
};

use anyhow::{bail, Context};
use clap::Parser;
use drone_audit::analyze::parameters::ParameterScope;
use drone_audit::analyze::profile::evidence::Profile;
use drone_audit::discover::POLICY_FILE_NAME;
use drone_audit::frameworks::{self, FrameworkSet};
use drone_audit::merge::{Merge, PartSource};
use drone_audit::report::comparison::Comparison;
use drone_audit::report::exit;
use drone_audit::report::table::Paint;
use drone_audit::rules::{self, reference};
use drone_audit::scan::{self, Limits, ScanOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Evidence documents are trees of many small nodes (a parameter file's is about 6,000
/// allocations), built and dropped by both threads at once: mimalloc's per-thread heaps do
/// this in about half the time of the system allocator (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    output::one_line_panics();
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
        Command::Schema {
            kind,
            artifact_kind,
        } => {
            let schema = match (kind, artifact_kind) {
                (SchemaKind::Evidence, Some(artifact_kind)) => artifact_kind.evidence_schema(),
                (SchemaKind::Evidence, None) => bail!("`schema evidence` needs an artifact kind"),
                (_, Some(_)) => bail!("only `schema evidence` takes an artifact kind"),
                (SchemaKind::Profile, None) => schemars::schema_for!(Profile),
                (SchemaKind::Report, None) => drone_audit::report::schema::report_schema(),
                (SchemaKind::Comparison, None) => drone_audit::report::schema::comparison_schema(),
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
    let parts = args
        .parts
        .iter()
        .map(|path| PartSource::file(drone_audit::discover::display(path), path.clone()))
        .collect();
    // The checks, and the fleet stage again over every part's devices (groups across shards).
    let merge = Merge::open(parts, args.allow_partial)?;
    if merge.head().partial.is_some() && args.report.write_baseline.is_some() {
        bail!("a partial merge cannot be a baseline: it lacks the findings of the missing shards");
    }
    if let Some(code) = deliver_merge(&merge, &args.report, &destinations)? {
        return Ok(code);
    }
    deliver(merge.into_report()?, &args.report, &destinations)
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
    // Every parameter, where a scan makes only those its rules read.
    let artifact = scan::analyze_file(&file, None, &policy, limits, &ParameterScope::All);
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
    // The digest the read stage took on the way (as a scan's report records it), so that what
    // was inspected can be named in a chain of custody.
    let mut output = serde_json::json!({
        "path": record.path,
        "sha256": record.sha256,
        "size": record.size,
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
