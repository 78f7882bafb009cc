//! One device through the pipeline: its files read and analyzed in parallel
//! ([`analyze_file`]), the evidence only the device's artifacts together give
//! ([`annotate_device`]), then every rule evaluated and the device scored
//! ([`evaluate_device`]). The scan runs it for each device of a fleet; the rule-fixture tests
//! run it for one fixture.

use crate::analyze::parameters::ParameterScope;
use crate::discover::DeviceInfo;
use crate::policy::Policy;
use crate::report::assemble::{split_by_severity, FindingsBySeverity};
use crate::report::{ArtifactRecord, DeviceReport};
use crate::rules::{reads, RuleSet};
use crate::scan::annotate::{annotate_device, DeviceArtifact};
use crate::scan::artifact::{analyze_file, ScannedArtifact};
use crate::scan::evaluate::{evaluate_device, SharedByDevices};
use crate::scan::{Limits, Progress};
use rayon::prelude::*;
use std::path::PathBuf;

/// What scanning any device of one scan needs: the rules in force, the policy and the limits.
pub struct DeviceScanner<'a> {
    rules: &'a RuleSet,
    /// What each rule's result shares across devices, in the order of the rules.
    shared_by_devices: Vec<SharedByDevices>,
    policy: &'a Policy,
    limits: Limits,
    /// The parameters the rules can read: the only ones parameter evidence is made with.
    parameters: ParameterScope,
}

/// One device's part of the report.
pub struct ScannedDevice {
    pub report: DeviceReport,
    /// Its findings in the report's order, split by severity.
    pub findings: FindingsBySeverity,
    pub records: Vec<ArtifactRecord>,
}

impl<'a> DeviceScanner<'a> {
    pub fn new(rules: &'a RuleSet, policy: &'a Policy, limits: Limits) -> Self {
        DeviceScanner {
            rules,
            shared_by_devices: rules.rules.iter().map(SharedByDevices::of).collect(),
            policy,
            limits,
            parameters: reads::parameter_scope(&rules.rules),
        }
    }

    /// Reads, analyzes and evaluates one device's files. Its evidence is dropped as soon as it
    /// is scored: memory grows with the results, not with the evidence of a whole fleet.
    pub fn scan(
        &self,
        info: &DeviceInfo,
        files: &[PathBuf],
        progress: &dyn Progress,
    ) -> ScannedDevice {
        let id = info.id.as_str();
        let analyzed: Vec<ScannedArtifact> = files
            .par_iter()
            .map(|path| {
                let analyzed =
                    analyze_file(path, Some(id), self.policy, self.limits, &self.parameters);
                progress.advance();
                analyzed
            })
            .collect();
        self.evaluate(info, analyzed)
    }

    /// Evaluates a device whose artifacts are analyzed: the device-wide evidence, then every
    /// rule, the score and the findings.
    pub fn evaluate(&self, info: &DeviceInfo, mut analyzed: Vec<ScannedArtifact>) -> ScannedDevice {
        let mut view: Vec<DeviceArtifact<'_>> = analyzed
            .iter_mut()
            .map(|artifact| DeviceArtifact {
                path: &artifact.record.path,
                kind: artifact.record.kind,
                evidence: artifact.evidence.as_mut(),
            })
            .collect();
        annotate_device(&mut view, self.policy);
        let (report, findings) = evaluate_device(
            info,
            &analyzed,
            self.rules,
            &self.shared_by_devices,
            &self.policy.waivers,
        );
        let records = analyzed
            .into_iter()
            .map(|artifact| artifact.record)
            .collect();
        ScannedDevice {
            report,
            findings: split_by_severity(findings),
            records,
        }
    }
}
