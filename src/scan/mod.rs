//! The scan pipeline, end to end: discover → identify and analyze (in parallel) → apply
//! policy → evaluate rules per device → score → one [`Report`]. The walk hands each device
//! over as soon as it is past the device's files, so devices are scanned while it goes on.
//!
//! Failing closed: an artifact that cannot be read or analyzed is reported as an error, the
//! report is marked incomplete, and a rule whose kind had such an artifact on a device is
//! "not assessed" there rather than passed (unless it found something anyway).

mod annotate;
mod artifact;
mod device;
mod evaluate;
mod fleet;

pub use annotate::{annotate_device, DeviceArtifact};
pub use artifact::{analyze_as, analyze_content, analyze_file, ScannedArtifact};
pub use device::{DeviceScanner, ScannedDevice};

use crate::analyze;
use crate::digest::hex;
use crate::discover::{self, display, DiscoverError};
use crate::policy::{Policy, PolicyErrors, PolicySources};
use crate::report::{self, Report};
use crate::rules::{self, RuleErrors, RuleSet};
use crate::shard::{Part, Shard};
use fleet::FleetScan;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// What to scan and how.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    pub paths: Vec<PathBuf>,
    /// A policy file; otherwise `drone-audit.toml` in the scanned folder, else defaults.
    pub policy: Option<PathBuf>,
    /// A folder of the user's own rule files, added to the built-in ones.
    pub rules_dir: Option<PathBuf>,
    /// Worker threads, in a pool of the scan's own; without, the scan runs on the rayon pool
    /// it is called from (the global one, one thread per core unless the caller sized it).
    pub jobs: Option<usize>,
    pub limits: Limits,
    /// Ignore `drone-audit.toml` files in the scanned folders (a comparison judges every
    /// candidate by the one policy given, not by the policy each candidate brought).
    pub ignore_found_policies: bool,
    /// The policy comes only from `policy` (`--trusted-policy`, a CI gate's): never from the
    /// scanned folders, whose policy files the report's warnings name; and `policy` must not
    /// lie inside a scanned folder.
    pub trusted_policy: bool,
    /// Scan only the devices of this shard, and mark the report as its part.
    pub shard: Option<Shard>,
    /// Each folder given is a candidate of `compare`: one device, as inside a fleet folder,
    /// unless it is a fleet itself ([`discover::Roots::as_candidates`]).
    pub candidates: bool,
}

/// Told how the scan advances, from worker threads (a progress bar, say).
pub trait Progress: Sync {
    /// The walk found this many more files to read (it goes on while they are read).
    fn found(&self, files: u64);
    /// One more file was read and analyzed.
    fn advance(&self);
}

/// Progress that nobody watches.
pub struct NoProgress;

impl Progress for NoProgress {
    fn found(&self, _files: u64) {}
    fn advance(&self) {}
}

/// Resource limits on what one artifact may make the scanner do.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Files larger than this are not read and are reported as errors.
    pub max_file_size: u64,
    /// Captures (streamed, so exempt from `max_file_size`) larger than this are not read and
    /// are reported as errors.
    pub max_capture_size: u64,
    /// How far artifacts that hold others (firmware images) are unpacked.
    pub unpack: analyze::UnpackLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_size: 256 * 1024 * 1024,
            max_capture_size: analyze::capture::DEFAULT_MAX_CAPTURE_SIZE,
            unpack: analyze::UnpackLimits::default(),
        }
    }
}

/// Why a scan could not run at all (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Rules(#[from] RuleErrors),
    #[error(transparent)]
    Policy(#[from] PolicyErrors),
    #[error(transparent)]
    Discover(#[from] DiscoverError),
    #[error("several policy files found ({0}); choose one with --policy")]
    SeveralPolicies(String),
    #[error("cannot start {jobs} worker threads: {message}")]
    Threads { jobs: usize, message: String },
}

/// Loads the rules, then the policy that applies to the scanned paths, validated against them.
pub fn load_rules_and_policy(
    options: &ScanOptions,
    discovered_policies: &[discover::FoundPolicy],
) -> Result<(RuleSet, Policy), ScanError> {
    let all_rules = rules::load(options.rules_dir.as_deref())?;
    let sources = PolicySources {
        named: options.policy.as_deref(),
        trusted: options.trusted_policy,
        use_found: !options.ignore_found_policies,
        found: discovered_policies,
        scanned: &options.paths,
    };
    if let Some(several) = sources.ambiguous() {
        return Err(ScanError::SeveralPolicies(several));
    }
    let mut policy = Policy::for_scan(&sources, &all_rules)?;
    crate::supply_chain::use_rules_dir_catalogue(&mut policy, options.rules_dir.as_deref())?;
    let rules_in_force = policy.apply_to_rules(&all_rules);
    Ok((rules_in_force, policy))
}

/// Scans the paths and returns the report.
pub fn scan(options: &ScanOptions) -> Result<Report, ScanError> {
    scan_with_progress(options, &NoProgress)
}

/// Scans the paths and returns the report, telling `progress` as files are read.
pub fn scan_with_progress(
    options: &ScanOptions,
    progress: &dyn Progress,
) -> Result<Report, ScanError> {
    let mut roots = discover::roots(&options.paths)?;
    if options.candidates {
        roots = roots.as_candidates();
    }
    let (rules, policy) = load_rules_and_policy(options, &roots.policy_files)?;
    let scan = FleetScan {
        devices: DeviceScanner::new(&rules, &policy, options.limits),
        rules: &rules,
        policy: &policy,
        shard: options.shard,
        progress,
    };
    let mut report = match options.jobs {
        Some(jobs) => rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build()
            .map_err(|error| ScanError::Threads {
                jobs,
                message: error.to_string(),
            })?
            .install(|| scan.build_report(&roots)),
        None => scan.build_report(&roots),
    };
    // Sorted: the report must not depend on the order the paths were given in.
    report.scan_roots = options.paths.iter().map(|path| display(path)).collect();
    report.scan_roots.sort();
    report.scan_roots.dedup();
    report::fingerprint::assign(&mut report.findings, &report.scan_roots);
    report.shard = options.shard.map(|shard| Part {
        shard,
        inputs: inputs_digest(options),
    });
    Ok(report)
}

/// SHA-256 of what every shard's worker must be given alike for the parts to be one scan.
fn inputs_digest(options: &ScanOptions) -> String {
    let mut hasher = Sha256::new();
    for path in &options.paths {
        hasher.update(display(path).as_bytes());
        hasher.update(b"\n");
    }
    if let Some(rules_dir) = &options.rules_dir {
        hasher.update(b"rules ");
        hasher.update(display(rules_dir).as_bytes());
        hasher.update(b"\n");
    }
    hasher.update(format!("max-file-size {}\n", options.limits.max_file_size).as_bytes());
    hasher.update(format!("max-capture-size {}\n", options.limits.max_capture_size).as_bytes());
    hasher.update(format!("unpack {:?}\n", options.limits.unpack).as_bytes());
    hex(&hasher.finalize())
}
