//! Merging the N parts of a sharded scan (`scan --shard K/N`) into the report one machine
//! would have written, as streams: a part is never held whole, so merging 100,000 devices
//! takes the memory of a few elements per part and of what the fleet stage keeps (docs/scale.md).
//!
//! Parts are ordered lists (devices by id, artifacts by path, findings by severity then
//! device and place: [`crate::report::assemble`]), so the merged lists are a k-way merge of
//! the parts' lists, ties going to the lower shard (as a stable sort of the parts joined in
//! shard order would). A part out of that order is refused. The merge reads the parts three
//! times ([`Merge::open`] twice, then once per report written):
//!
//! 1. devices, artifacts and findings: the checks, the secrets devices share (the fleet stage,
//!    [`crate::shared_secrets`]), the findings' and artifacts' part of the summary;
//! 2. devices: each device re-scored by the fleet stage, and the devices' part of the summary,
//!    which the report states before its lists;
//! 3. everything, written out ([`Merge::write_json`]) or gathered ([`Merge::into_report`]).
//!
//! A scan-wide warning (a waiver that matched nothing) stands only if every part raised it.

mod parts;

pub use parts::PartSource;

use crate::control::{Control, Severity};
use crate::report::assemble::{self, SummaryBuilder};
use crate::report::fingerprint::Fingerprints;
use crate::report::{ArtifactRecord, DeviceReport, Finding, Report, Tool, Waived, SCHEMA_VERSION};
use crate::score::Grade;
use crate::shard::{Partial, Shard};
use crate::shared_secrets::{self, FleetStage};
use parts::{List, PartFailure, PartStream};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::io;

/// Why parts cannot be merged (exit code 2).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MergeError {
    #[error("no parts to merge")]
    Empty,
    #[error(
        "{0} is not a shard's part: write parts with `drone-audit scan --shard K/N --format json`"
    )]
    NotAPart(String),
    #[error("{0} was filtered by a baseline: merge unfiltered parts and give --baseline to merge")]
    Baselined(String),
    #[error("{part} was written by drone-audit {found} (report schema {schema}); this is {expected} (schema {expected_schema}): merge with the version that scanned")]
    OtherVersion {
        part: String,
        found: String,
        schema: u32,
        expected: String,
        expected_schema: u32,
    },
    #[error(
        "device {device} is in both {first} and {second}: the parts are not shards of one scan"
    )]
    SameDevice {
        device: String,
        first: String,
        second: String,
    },
    #[error("the parts come from different {what}: {parts}")]
    Mismatch { what: &'static str, parts: String },
    #[error("shard {index} appears twice: {first} and {second}")]
    Duplicate {
        index: u32,
        first: String,
        second: String,
    },
    #[error("shards missing from the set of {count}: {missing} (merge them too, or pass --allow-partial)")]
    Missing { count: u32, missing: String },
    #[error("cannot read {part}: {reason}")]
    Unreadable { part: String, reason: String },
    #[error("{part} is not a drone-audit JSON report: {reason}")]
    NotAReport { part: String, reason: String },
    #[error("{part}: its {list} are not in a scan's order (a part is written by `scan --shard K/N --format json`, never edited)")]
    Unordered { part: String, list: &'static str },
    #[error("{part} changed while it was being merged")]
    Changed { part: String },
    #[error("cannot write the merged report: {0}")]
    Write(String),
}

/// One element of the merged report, in the report's order.
pub enum Merged {
    Device(DeviceReport),
    Artifact(ArtifactRecord),
    Finding(Finding),
}

/// A merge whose parts are checked and whose summary is made: what is left is to write it.
pub struct Merge {
    /// The parts, in shard order, with what identified their content when they were checked.
    parts: Vec<(PartSource, Option<PartStamp>)>,
    /// The merged report without its lists.
    head: Report,
    stage: FleetStage,
    /// The open findings of other rules of each device the fleet stage re-scores.
    open: BTreeMap<String, Vec<(Control, Severity)>>,
    /// Devices on which nothing could be assessed.
    not_assessed: Vec<String>,
}

type PartStamp = (u64, Option<std::time::SystemTime>);

impl Merge {
    /// Reads the parts' heads and checks they are the parts of one scan (all of them, unless
    /// `allow_partial`), then reads them through twice to check their lists, run the fleet
    /// stage and make the summary.
    pub fn open(sources: Vec<PartSource>, allow_partial: bool) -> Result<Merge, MergeError> {
        let mut heads = read_heads(sources)?;
        let missing = check_heads(&mut heads, allow_partial)?;
        let parts: Vec<(PartSource, Option<PartStamp>)> = heads
            .iter()
            .map(|(source, _)| (source.clone(), source.stamp()))
            .collect();
        let head = merged_head(&heads, missing);
        let mut merge = Merge {
            parts,
            head,
            stage: FleetStage::default(),
            open: BTreeMap::new(),
            not_assessed: Vec::new(),
        };
        let mut summary = merge.survey()?;
        merge.score_devices(&mut summary)?;
        merge.head.summary = summary.finish();
        Ok(merge)
    }

    /// The merged report without its devices, artifacts and findings; its summary is final.
    pub fn head(&self) -> &Report {
        &self.head
    }

    /// Why the merged report assessed too little to be a verdict ([`Report::nothing_assessed`]).
    pub fn nothing_assessed(&self) -> Vec<String> {
        if self.head.summary.devices == 0 {
            return vec!["the scan found no device to assess".to_owned()];
        }
        self.not_assessed
            .iter()
            .map(|device| crate::report::no_rule_assessed(device))
            .collect()
    }

    /// Writes the merged report as JSON, byte for byte as a scan writes it; `seen` sees each
    /// artifact as it is written (for the errors the command lists).
    pub fn write_json(
        &self,
        out: &mut dyn io::Write,
        seen: &mut dyn FnMut(&ArtifactRecord),
    ) -> Result<(), MergeError> {
        let write = |error: io::Error| MergeError::Write(error.to_string());
        let mut json = crate::report::json::JsonStream::begin(&self.head, out).map_err(write)?;
        self.emit(&mut |element| {
            match &element {
                Merged::Device(device) => json.device(device),
                Merged::Artifact(artifact) => {
                    seen(artifact);
                    json.artifact(artifact)
                }
                Merged::Finding(finding) => json.finding(finding),
            }
            .map_err(write)
        })?;
        json.end().map_err(write)
    }

    /// The merged report, whole (for the formats that need all of it at once).
    pub fn into_report(self) -> Result<Report, MergeError> {
        let (mut devices, mut artifacts, mut findings) = (Vec::new(), Vec::new(), Vec::new());
        self.emit(&mut |element| {
            match element {
                Merged::Device(device) => devices.push(device),
                Merged::Artifact(artifact) => artifacts.push(artifact),
                Merged::Finding(finding) => findings.push(finding),
            }
            Ok(())
        })?;
        Ok(Report {
            devices,
            artifacts,
            findings,
            ..self.head
        })
    }

    /// Pass 1: every list. Checks the order, finds the secrets devices share, collects what
    /// the fleet stage needs and the summary of findings and artifacts.
    fn survey(&mut self) -> Result<SummaryBuilder, MergeError> {
        let mut summary = SummaryBuilder::default();
        let mut secrets = Vec::new();
        let mut known: BTreeMap<(String, String), Waived> = BTreeMap::new();
        let mut open: BTreeMap<String, Vec<(Control, Severity)>> = BTreeMap::new();
        let mut shared = Vec::new();
        self.read(List::Findings, |streams, names| {
            merge_list(
                streams,
                names,
                Kind::DEVICES,
                &mut std::iter::empty(),
                &mut |device, _| {
                    if !device.secrets.is_empty() {
                        secrets.push((device.info.id, device.secrets));
                    }
                    Ok(())
                },
            )?;
            shared = shared_secrets::shared_among(
                secrets
                    .iter()
                    .map(|(id, held)| (id.as_str(), held.as_slice())),
            );
            // The groups keep what they need of them.
            secrets = Vec::new();
            let grouped: BTreeSet<String> = shared
                .iter()
                .flat_map(|shared| shared.holders.keys().cloned())
                .collect();
            merge_list(
                streams,
                names,
                Kind::ARTIFACTS,
                &mut std::iter::empty(),
                &mut |artifact, _| {
                    summary.add_artifact(&artifact);
                    Ok(())
                },
            )?;
            merge_list(
                streams,
                names,
                Kind::FINDINGS,
                &mut std::iter::empty(),
                &mut |finding, _| {
                    if finding.rule == shared_secrets::RULE_ID {
                        // The fleet stage makes these again; a part's waived one says the
                        // policy waived the group there.
                        if let Some(waived) = finding.waived {
                            known.insert((finding.device, finding.artifact), waived);
                        }
                        return Ok(());
                    }
                    summary.add_finding(&finding);
                    if finding.waived.is_none() && grouped.contains(&finding.device) {
                        let found = (finding.control, finding.severity);
                        let device = open.entry(finding.device).or_default();
                        if !device.contains(&found) {
                            device.push(found);
                        }
                    }
                    Ok(())
                },
            )?;
            Ok(())
        })?;
        let rule = self
            .head
            .rules
            .catalogue
            .iter()
            .find(|rule| rule.id == shared_secrets::RULE_ID);
        if let Some(rule) = rule {
            let waiver = |_: &str, device: &str, artifact: &str| {
                known
                    .get(&(device.to_owned(), artifact.to_owned()))
                    .cloned()
            };
            self.stage = FleetStage::decide(shared, rule, &waiver);
        }
        assemble::sort_findings(&mut self.stage.findings);
        for finding in &self.stage.findings {
            summary.add_finding(finding);
        }
        self.open = open;
        Ok(summary)
    }

    /// Pass 2: the devices, re-scored, into the summary.
    fn score_devices(&mut self, summary: &mut SummaryBuilder) -> Result<(), MergeError> {
        let mut not_assessed = Vec::new();
        self.read(List::Devices, |streams, names| {
            self.merge_devices(streams, names, &mut |device| {
                summary.add_device(&device);
                if device.grade == Grade::NotAssessed {
                    not_assessed.push(device.info.id);
                }
                Ok(())
            })
        })?;
        self.not_assessed = not_assessed;
        Ok(())
    }

    /// The parts' devices in order, each re-scored for the fleet stage, to `visit`.
    fn merge_devices(
        &self,
        streams: &mut [PartStream],
        names: &[String],
        visit: &mut dyn FnMut(DeviceReport) -> Result<(), MergeError>,
    ) -> Result<(), MergeError> {
        merge_list(
            streams,
            names,
            Kind::DEVICES,
            &mut std::iter::empty(),
            &mut |mut device, _| {
                self.rescore(&mut device);
                visit(device)
            },
        )
    }

    fn rescore(&self, device: &mut DeviceReport) {
        if self.stage.involves(&device.info.id) {
            let others = self
                .open
                .get(&device.info.id)
                .map_or(&[][..], Vec::as_slice);
            self.stage.rescore(device, others.iter().copied());
        }
    }

    /// Pass 3: every element of the merged report, in order, to `sink`.
    fn emit(
        &self,
        sink: &mut dyn FnMut(Merged) -> Result<(), MergeError>,
    ) -> Result<(), MergeError> {
        self.read(List::Findings, |streams, names| {
            self.merge_devices(streams, names, &mut |device| sink(Merged::Device(device)))?;
            merge_list(
                streams,
                names,
                Kind::ARTIFACTS,
                &mut std::iter::empty(),
                &mut |artifact, _| sink(Merged::Artifact(artifact)),
            )?;
            let mut fingerprints = Fingerprints::new(&self.head.scan_roots);
            let mut fleet = self.stage.findings.iter().cloned();
            merge_list(
                streams,
                names,
                Kind::FINDINGS,
                &mut fleet,
                &mut |mut finding, source| {
                    // A part's own are the fleet stage's of its shard, made again over the
                    // whole fleet.
                    if source == Source::Part && finding.rule == shared_secrets::RULE_ID {
                        return Ok(());
                    }
                    fingerprints.assign(&mut finding);
                    sink(Merged::Finding(finding))
                },
            )
        })
    }

    /// Reads every part, in shard order, through `list` (the lists before it included), with
    /// `visit`; the parts' threads stop when it returns.
    fn read(
        &self,
        list: List,
        visit: impl FnOnce(&mut [PartStream], &[String]) -> Result<(), MergeError>,
    ) -> Result<(), MergeError> {
        for (source, stamp) in &self.parts {
            if source.stamp() != *stamp {
                return Err(MergeError::Changed {
                    part: source.name.clone(),
                });
            }
        }
        let names: Vec<String> = self
            .parts
            .iter()
            .map(|(source, _)| source.name.clone())
            .collect();
        std::thread::scope(|scope| {
            let mut streams: Vec<PartStream> = self
                .parts
                .iter()
                .map(|(source, _)| PartStream::start(scope, source))
                .collect();
            for stream in &mut streams {
                stream
                    .head()
                    .map_err(|failure| failed(&stream.name, failure))?;
            }
            visit(&mut streams, &names)?;
            if list == List::Findings {
                // Each part must end where its findings do.
                for stream in &mut streams {
                    if stream
                        .has_next(List::Findings)
                        .map_err(|failure| failed(&stream.name, failure))?
                    {
                        return Err(MergeError::Unordered {
                            part: stream.name.clone(),
                            list: "findings",
                        });
                    }
                }
            }
            Ok(())
        })
    }
}

fn failed(part: &str, failure: PartFailure) -> MergeError {
    match failure {
        PartFailure::Unreadable(reason) => MergeError::Unreadable {
            part: part.to_owned(),
            reason,
        },
        PartFailure::NotAReport(reason) => MergeError::NotAReport {
            part: part.to_owned(),
            reason,
        },
    }
}

/// One of a part's lists: which, how its elements are taken from a part, and their order.
struct Kind<T> {
    list: List,
    name: &'static str,
    next: fn(&mut PartStream) -> Option<T>,
    order: fn(&T, &T) -> Ordering,
    /// What no two elements may share (a device's id: an id is one device); elements that
    /// have none may compare equal.
    unique: Option<fn(&T) -> &str>,
}

impl Kind<DeviceReport> {
    const DEVICES: Kind<DeviceReport> = Kind {
        list: List::Devices,
        name: "devices",
        next: PartStream::next_device,
        order: |a, b| a.info.id.cmp(&b.info.id),
        unique: Some(|device| &device.info.id),
    };
}

impl Kind<ArtifactRecord> {
    const ARTIFACTS: Kind<ArtifactRecord> = Kind {
        list: List::Artifacts,
        name: "artifacts",
        next: PartStream::next_artifact,
        order: assemble::artifact_order,
        unique: None,
    };
}

impl Kind<Finding> {
    const FINDINGS: Kind<Finding> = Kind {
        list: List::Findings,
        name: "findings",
        next: PartStream::next_finding,
        order: assemble::finding_order,
        unique: None,
    };
}

/// An element waiting in the k-way merge: the least comes out first, ties to the lower part.
struct Waiting<T> {
    element: T,
    part: usize,
    order: fn(&T, &T) -> Ordering,
}

impl<T> Ord for Waiting<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap pops its greatest: reversed.
        (self.order)(&other.element, &self.element).then_with(|| other.part.cmp(&self.part))
    }
}

impl<T> PartialOrd for Waiting<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> PartialEq for Waiting<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<T> Eq for Waiting<T> {}

/// The k-way merge of one list of every part, and of `extra` (elements of the merge's own,
/// in order, after the parts' on ties), each element to `visit` in the report's order.
/// Checks each part's order, and that no device is in two parts.
fn merge_list<T>(
    streams: &mut [PartStream],
    names: &[String],
    kind: Kind<T>,
    extra: &mut dyn Iterator<Item = T>,
    visit: &mut dyn FnMut(T, Source) -> Result<(), MergeError>,
) -> Result<(), MergeError> {
    let extra_part = streams.len();
    let mut pull = |part: usize, streams: &mut [PartStream]| -> Result<Option<T>, MergeError> {
        if part == extra_part {
            return Ok(extra.next());
        }
        let stream = &mut streams[part];
        if !stream
            .has_next(kind.list)
            .map_err(|failure| failed(&stream.name, failure))?
        {
            return Ok(None);
        }
        Ok((kind.next)(stream))
    };
    let mut waiting = BinaryHeap::with_capacity(streams.len() + 1);
    for part in 0..=extra_part {
        if let Some(element) = pull(part, streams)? {
            waiting.push(Waiting {
                element,
                part,
                order: kind.order,
            });
        }
    }
    let mut last: Option<(String, usize)> = None;
    while let Some(Waiting { element, part, .. }) = waiting.pop() {
        if let Some(next) = pull(part, streams)? {
            let order = (kind.order)(&element, &next);
            if order == Ordering::Greater || (order == Ordering::Equal && kind.unique.is_some()) {
                return Err(MergeError::Unordered {
                    part: names.get(part).cloned().unwrap_or_default(),
                    list: kind.name,
                });
            }
            waiting.push(Waiting {
                element: next,
                part,
                order: kind.order,
            });
        }
        if let Some(unique) = kind.unique {
            let id = unique(&element).to_owned();
            if let Some((previous, first)) = &last {
                if *previous == id {
                    return Err(MergeError::SameDevice {
                        device: id,
                        first: names[*first].clone(),
                        second: names[part].clone(),
                    });
                }
            }
            last = Some((id, part));
        }
        let source = if part == extra_part {
            Source::Merge
        } else {
            Source::Part
        };
        visit(element, source)?;
    }
    Ok(())
}

/// Where an element of the merged lists comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Part,
    /// The merge's own (the fleet stage's findings).
    Merge,
}

/// Each part's head (the parts are read no further), in the order given.
fn read_heads(sources: Vec<PartSource>) -> Result<Vec<(PartSource, Report)>, MergeError> {
    if sources.is_empty() {
        return Err(MergeError::Empty);
    }
    std::thread::scope(|scope| {
        sources
            .into_iter()
            .map(|source| {
                let head = PartStream::start(scope, &source)
                    .head()
                    .map_err(|failure| failed(&source.name, failure))?;
                Ok((source, head))
            })
            .collect()
    })
}

/// Checks that the parts are parts of one scan, each shard once, and puts them in shard order
/// (a shell glob puts 10 before 2); the shards missing, which only `allow_partial` accepts.
fn check_heads(
    parts: &mut [(PartSource, Report)],
    allow_partial: bool,
) -> Result<Vec<u32>, MergeError> {
    let running = Tool::default();
    for (source, part) in parts.iter() {
        let name = source.name.clone();
        if part.shard.is_none() {
            return Err(MergeError::NotAPart(name));
        }
        if part.baseline.is_some() {
            return Err(MergeError::Baselined(name));
        }
        if part.schema_version != SCHEMA_VERSION || part.tool.version != running.version {
            return Err(MergeError::OtherVersion {
                part: name,
                found: part.tool.version.clone(),
                schema: part.schema_version,
                expected: running.version.clone(),
                expected_schema: SCHEMA_VERSION,
            });
        }
    }
    parts.sort_by_key(|(_, part)| part.shard.as_ref().map(|part| part.shard.index));
    let shards: Vec<Shard> = parts
        .iter()
        .filter_map(|(_, part)| part.shard.as_ref().map(|part| part.shard))
        .collect();
    let agree = |what: &'static str, key: &dyn Fn(&Report, &Shard) -> String| {
        let keys: Vec<String> = parts
            .iter()
            .zip(&shards)
            .map(|((_, part), shard)| key(part, shard))
            .collect();
        if keys.iter().all(|key| *key == keys[0]) {
            return Ok(());
        }
        let listed: Vec<String> = parts
            .iter()
            .zip(&keys)
            .map(|((source, _), key)| format!("{} ({key})", source.name))
            .collect();
        Err(MergeError::Mismatch {
            what,
            parts: listed.join(", "),
        })
    };
    agree(
        "inputs (paths, rules folder or file-size limit)",
        &|part, _| {
            part.shard
                .as_ref()
                .map_or_else(String::new, |part| format!("inputs sha256 {}", part.inputs))
        },
    )?;
    agree("rules", &|part, _| {
        format!("rules sha256 {}", part.rules.digest)
    })?;
    agree("policies", &|part, _| {
        format!("policy sha256 {}", part.policy.digest)
    })?;
    agree("shard counts", &|_, shard| format!("of {}", shard.count))?;

    let count = shards[0].count;
    let mut seen: BTreeMap<u32, &str> = BTreeMap::new();
    for ((source, _), shard) in parts.iter().zip(&shards) {
        if let Some(first) = seen.insert(shard.index, &source.name) {
            return Err(MergeError::Duplicate {
                index: shard.index,
                first: first.to_owned(),
                second: source.name.clone(),
            });
        }
    }
    let missing: Vec<u32> = (1..=count)
        .filter(|index| !seen.contains_key(index))
        .collect();
    if !missing.is_empty() && !allow_partial {
        let listed: Vec<String> = missing
            .iter()
            .map(|index| format!("{index}/{count}"))
            .collect();
        return Err(MergeError::Missing {
            count,
            missing: listed.join(", "),
        });
    }
    Ok(missing)
}

/// The merged report's head: the first part's, with the warnings every part raised, and
/// marked partial when shards are missing; its summary is made by the passes.
fn merged_head(parts: &[(PartSource, Report)], missing: Vec<u32>) -> Report {
    let first = &parts[0].1;
    // A scan-wide warning (a waiver that matched nothing) holds only if no part contradicts
    // it; with shards missing, nobody knows, so none is kept.
    let warnings: Vec<String> = if missing.is_empty() {
        first
            .warnings
            .iter()
            .filter(|warning| {
                parts
                    .iter()
                    .all(|(_, part)| part.warnings.contains(warning))
            })
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    Report {
        schema_version: first.schema_version,
        tool: first.tool.clone(),
        rules: first.rules.clone(),
        policy: first.policy.clone(),
        summary: SummaryBuilder::default().finish(),
        baseline: None,
        warnings,
        shard: None,
        frameworks: Vec::new(),
        partial: (!missing.is_empty()).then_some(Partial {
            missing_shards: missing,
        }),
        scan_roots: first.scan_roots.clone(),
        devices: Vec::new(),
        artifacts: Vec::new(),
        findings: Vec::new(),
    }
}
