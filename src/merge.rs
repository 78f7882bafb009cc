//! Merging the N parts of a sharded scan (`scan --shard K/N`) into the report one machine
//! would have written. Merging concatenates the parts' devices, artifacts and findings, sorts
//! them as a scan does, and recomputes the summary with the scan's own code
//! ([`crate::report::assemble`]); a scan-wide warning (a waiver that matched nothing) stands
//! only if every part raised it.

use crate::report::{assemble, Report, Tool, SCHEMA_VERSION};
use crate::shard::{Partial, Shard};
use std::collections::BTreeMap;

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
}

/// Merges the parts (each with the name it was read from) into one report.
pub fn merge(mut parts: Vec<(String, Report)>, allow_partial: bool) -> Result<Report, MergeError> {
    let running = Tool::default();
    for (name, part) in &parts {
        if part.shard.is_none() {
            return Err(MergeError::NotAPart(name.clone()));
        }
        if part.baseline.is_some() {
            return Err(MergeError::Baselined(name.clone()));
        }
        if part.schema_version != SCHEMA_VERSION || part.tool.version != running.version {
            return Err(MergeError::OtherVersion {
                part: name.clone(),
                found: part.tool.version.clone(),
                schema: part.schema_version,
                expected: running.version.clone(),
                expected_schema: SCHEMA_VERSION,
            });
        }
    }
    // In shard order, whatever order the parts were given in (a shell glob puts 10 before 2).
    parts.sort_by_key(|(_, part)| part.shard.as_ref().map(|part| part.shard.index));
    let shards: Vec<Shard> = parts
        .iter()
        .filter_map(|(_, part)| part.shard.as_ref().map(|part| part.shard))
        .collect();
    if parts.is_empty() {
        return Err(MergeError::Empty);
    }
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
            .map(|((name, _), key)| format!("{name} ({key})"))
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
    for ((name, _), shard) in parts.iter().zip(&shards) {
        if let Some(first) = seen.insert(shard.index, name) {
            return Err(MergeError::Duplicate {
                index: shard.index,
                first: first.to_owned(),
                second: name.clone(),
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

    let first = &parts[0].1;
    let schema_version = first.schema_version;
    let tool = first.tool.clone();
    let rules = first.rules.clone();
    let policy = first.policy.clone();
    let scan_roots = first.scan_roots.clone();
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
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, part) in &parts {
        for device in &part.devices {
            if let Some(first) = owner.insert(&device.info.id, name) {
                return Err(MergeError::SameDevice {
                    device: device.info.id.clone(),
                    first: first.to_owned(),
                    second: name.clone(),
                });
            }
        }
    }
    let mut devices = Vec::new();
    let mut artifacts = Vec::new();
    let mut findings = Vec::new();
    for (_, part) in parts {
        devices.extend(part.devices);
        artifacts.extend(part.artifacts);
        findings.extend(part.findings);
    }
    devices.sort_by(|a, b| a.info.id.cmp(&b.info.id));
    assemble::sort_artifacts(&mut artifacts);
    assemble::sort_findings(&mut findings);
    let summary = assemble::summarize(&devices, &findings, &artifacts);
    Ok(Report {
        schema_version,
        tool,
        rules,
        policy,
        summary,
        baseline: None,
        warnings,
        shard: None,
        frameworks: Vec::new(),
        partial: (!missing.is_empty()).then_some(Partial {
            missing_shards: missing,
        }),
        scan_roots,
        devices,
        artifacts,
        findings,
    })
}
