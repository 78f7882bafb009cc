//! SARIF for `scan --framework ID`: each framework becomes a taxonomy of the run (its
//! requirements are the taxa, each with its fleet status), the driver lists the taxonomies it
//! supports, and each rule gains a relationship (`kinds: ["relevant"]`) to every requirement
//! it evidences, as SARIF 2.1.0 §3.49.15 and §3.52 describe. Manual requirements are taxa
//! without rules. Without frameworks, sarif.rs writes its log as before, byte for byte.
//!
//! The log is extended as a JSON value (serde_json sorts an object's keys), so with
//! frameworks the keys come in alphabetical order: the same report still gives the same bytes.

use crate::frameworks::FrameworkResult;
use crate::report::Report;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::io;

/// Writes `log` (sarif.rs's log of `report`) with the report's frameworks as taxonomies.
pub fn render(log: &impl Serialize, report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    let mut value = serde_json::to_value(log)?;
    add_taxonomies(&mut value, &report.frameworks);
    serde_json::to_writer_pretty(&mut *out, &value)?;
    out.write_all(b"\n")
}

/// Adds `frameworks` to the first run of a SARIF log.
pub fn add_taxonomies(log: &mut Value, frameworks: &[FrameworkResult]) {
    let Some(run) = log.pointer_mut("/runs/0").and_then(Value::as_object_mut) else {
        return;
    };
    // Rule id → the (framework index, requirement index) pairs it evidences.
    let mut evidences: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
    for (framework_index, framework) in frameworks.iter().enumerate() {
        for (requirement_index, requirement) in framework.requirements.iter().enumerate() {
            for rule in &requirement.rules {
                evidences
                    .entry(rule)
                    .or_default()
                    .push((framework_index, requirement_index));
            }
        }
    }
    let taxonomies: Vec<Value> = frameworks.iter().map(taxonomy).collect();
    run.insert("taxonomies".to_owned(), Value::Array(taxonomies));
    let Some(driver) = run
        .get_mut("tool")
        .and_then(|tool| tool.get_mut("driver"))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let supported: Vec<Value> = frameworks
        .iter()
        .enumerate()
        .map(|(index, framework)| json!({"name": framework.id, "index": index}))
        .collect();
    driver.insert("supportedTaxonomies".to_owned(), Value::Array(supported));
    let Some(rules) = driver.get_mut("rules").and_then(Value::as_array_mut) else {
        return;
    };
    for rule in rules.iter_mut().filter_map(Value::as_object_mut) {
        let Some(id) = rule.get("id").and_then(Value::as_str).map(str::to_owned) else {
            continue;
        };
        let Some(targets) = evidences.get(id.as_str()) else {
            continue;
        };
        let relationships: Vec<Value> = targets
            .iter()
            .map(|&(framework_index, requirement_index)| {
                let framework = &frameworks[framework_index];
                json!({
                    "target": {
                        "id": framework.requirements[requirement_index].id,
                        "index": requirement_index,
                        "toolComponent": {"name": framework.id, "index": framework_index},
                    },
                    "kinds": ["relevant"],
                })
            })
            .collect();
        rule.insert("relationships".to_owned(), Value::Array(relationships));
    }
}

fn taxonomy(framework: &FrameworkResult) -> Value {
    let taxa: Vec<Value> = framework
        .requirements
        .iter()
        .map(|requirement| {
            let mut properties = Map::new();
            properties.insert("status".to_owned(), json!(requirement.status.id()));
            if let Some(reason) = &requirement.reason {
                properties.insert("reason".to_owned(), json!(reason));
            }
            json!({
                "id": requirement.id,
                "shortDescription": {"text": requirement.title},
                "properties": properties,
            })
        })
        .collect();
    json!({
        "name": framework.id,
        "version": framework.version,
        "informationUri": framework.url,
        "shortDescription": {"text": framework.title},
        "isComprehensive": false,
        "taxa": taxa,
        "properties": {"summary": framework.summary},
    })
}
