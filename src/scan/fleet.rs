//! Scanning a fleet: the walk hands each device over as soon as it is past the device's files,
//! each device is read, analyzed and evaluated in its own task while the walk goes on, and the
//! devices' results are put together into one report.

use crate::analyze;
use crate::discover::{self, display, Roots, Unread};
use crate::file_bytes;
use crate::policy::Policy;
use crate::report::assemble;
use crate::report::{
    ArtifactRecord, ArtifactStatus, PolicyUsed, Report, RuleInfo, RulesUsed, Tool, Waived,
    SCHEMA_VERSION,
};
use crate::rules::RuleSet;
use crate::scan::device::{DeviceScanner, ScannedDevice};
use crate::scan::Progress;
use crate::shard::Shard;
use crate::shared_secrets;
use std::sync::{Mutex, PoisonError};

/// What one scan of a fleet needs to know, shared by every device's task.
pub(super) struct FleetScan<'a> {
    pub devices: DeviceScanner<'a>,
    pub rules: &'a RuleSet,
    pub policy: &'a Policy,
    pub shard: Option<Shard>,
    pub progress: &'a dyn Progress,
}

impl FleetScan<'_> {
    /// Walks the roots on one thread of the pool and scans each device in its own task as
    /// soon as the walk hands it over: the other threads scan while the walk goes on. Then
    /// puts the report together.
    pub fn build_report(&self, roots: &Roots) -> Report {
        let scanned: Mutex<Vec<ScannedDevice>> = Mutex::new(Vec::new());
        let mut unread = Unread::default();
        rayon::scope(|scope| {
            // The walk keeps only the shard's devices and records, and skips other shards'
            // device folders unentered.
            unread = roots.walk_shard(self.shard, &mut |device| {
                self.progress.found(device.files.len() as u64);
                let scanned = &scanned;
                scope.spawn(move |_| {
                    let result = self
                        .devices
                        .scan(&device.info, &device.files, self.progress);
                    scanned
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(result);
                });
            });
        });
        let mut scanned = scanned.into_inner().unwrap_or_else(PoisonError::into_inner);
        // Devices finish in any order; the report lists them by id.
        scanned.sort_unstable_by(|a, b| a.report.info.id.cmp(&b.report.info.id));
        self.assemble(scanned, unread)
    }

    /// The report of the devices scanned, in order, and of what was not read.
    fn assemble(&self, scanned: Vec<ScannedDevice>, unread: Unread) -> Report {
        let (rules, policy) = (self.rules, self.policy);
        let record_count = scanned
            .iter()
            .map(|device| device.records.len())
            .sum::<usize>()
            + unread.skipped.len()
            + unread.unreadable.len();
        let mut devices = Vec::with_capacity(scanned.len());
        let mut findings_by_device = Vec::with_capacity(scanned.len());
        let mut artifacts = Vec::with_capacity(record_count);
        for device in scanned {
            devices.push(device.report);
            findings_by_device.push(device.findings);
            artifacts.extend(device.records);
        }
        let mut findings = assemble::gather_findings(findings_by_device);
        // The fleet stage, after every device is evaluated (merge runs it again over parts).
        let fleet_rule = rules
            .rules
            .iter()
            .find(|rule| rule.id == shared_secrets::RULE_ID)
            .map(RuleInfo::from);
        let waiver = |rule: &str, device: &str, artifact: &str| {
            policy
                .waivers
                .iter()
                .find(|waiver| waiver.covers(rule, device, artifact))
                .map(|waiver| Waived {
                    reason: waiver.reason.clone(),
                    expires: waiver.expires.to_string(),
                })
        };
        if fleet_rule.is_some() {
            shared_secrets::apply(&mut devices, &mut findings, fleet_rule.as_ref(), &waiver);
            assemble::sort_findings(&mut findings);
        }
        // A FIFO, socket or device whose name says what it is (`sshd_config`, `shadow`) is
        // evidence that could not be read: an error, never skipped.
        artifacts.extend(unread.skipped.iter().map(|skipped| {
            let named = analyze::kind_named(&skipped.path).is_some();
            if named && skipped.reason == file_bytes::NOT_A_REGULAR_FILE {
                unread_record(skipped, ArtifactStatus::Error)
            } else {
                unread_record(skipped, ArtifactStatus::Skipped)
            }
        }));
        artifacts.extend(
            unread
                .unreadable
                .iter()
                .map(|unreadable| unread_record(unreadable, ArtifactStatus::Error)),
        );
        assemble::sort_artifacts(&mut artifacts);

        let summary = assemble::summarize(&devices, &findings, &artifacts);
        let waiver_warnings: Vec<String> = policy
            .waivers
            .iter()
            .filter(|waiver| {
                !findings
                    .iter()
                    .any(|finding| waiver.covers(&finding.rule, &finding.device, &finding.artifact))
            })
            .map(|waiver| waiver.unmatched_warning())
            .collect();
        Report {
            shard: None,
            partial: None,
            frameworks: Vec::new(),
            scan_roots: Vec::new(),
            schema_version: SCHEMA_VERSION,
            tool: Tool::default(),
            rules: RulesUsed {
                digest: rules.digest.clone(),
                count: rules.rules.len(),
                catalogue: rules.rules.iter().map(RuleInfo::from).collect(),
            },
            policy: PolicyUsed::from(policy),
            summary,
            baseline: None,
            // Policy files found and not used first, then waivers that matched nothing.
            warnings: policy.warnings().chain(waiver_warnings).collect(),
            devices,
            artifacts,
            findings,
        }
    }
}

fn unread_record(entry: &discover::SkippedFile, status: ArtifactStatus) -> ArtifactRecord {
    ArtifactRecord {
        path: display(&entry.path),
        device: entry.device.clone(),
        kind: None,
        size: None,
        sha256: None,
        status,
        reason: Some(entry.reason.clone()),
        warnings: Vec::new(),
    }
}
