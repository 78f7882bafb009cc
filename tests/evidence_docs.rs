//! The evidence documents are typed: `drone-audit schema evidence KIND` prints each kind's JSON
//! Schema, every document an analyzer makes of the fixtures, samples and corpus follows it with
//! nothing left out, and each docs/evidence/*.md carries the generated reference of its kind's
//! fields. Regenerate the docs with
//! `UPDATE_EVIDENCE_DOCS=1 cargo test --test evidence_docs`.

mod common;

use common::{drone_audit, shared};
use drone_audit::analyze::{self, schema, ArtifactKind};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn each_kinds_doc_carries_the_current_reference_of_its_fields() {
    let update = std::env::var_os("UPDATE_EVIDENCE_DOCS").is_some();
    let mut stale = Vec::new();
    for kind in ArtifactKind::ALL {
        let path = manifest_dir().join(kind.evidence_doc());
        let doc = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        let current = schema::with_current_reference(&doc, kind);
        if current == doc {
            continue;
        }
        if update {
            std::fs::write(&path, current).expect("write the doc");
        } else {
            stale.push(format!("{} ({kind})", kind.evidence_doc()));
        }
    }
    assert!(
        stale.is_empty(),
        "stale evidence reference in {}: UPDATE_EVIDENCE_DOCS=1 cargo test --test evidence_docs",
        stale.join(", ")
    );
}

#[test]
fn every_documented_field_has_a_description() {
    for kind in ArtifactKind::ALL {
        let fields = schema::evidence_fields(kind);
        assert!(!fields.is_empty(), "{kind} has no fields");
        let undocumented: Vec<&str> = fields
            .iter()
            .filter(|field| field.description.trim().is_empty())
            .map(|field| field.path.as_str())
            .collect();
        assert!(
            undocumented.is_empty(),
            "{kind}: fields without a doc comment: {undocumented:?}"
        );
    }
}

#[test]
fn schema_evidence_prints_the_kinds_schema() {
    for kind in [
        ArtifactKind::Firmware,
        ArtifactKind::Capture,
        ArtifactKind::Ulog,
    ] {
        let output = drone_audit()
            .args(["schema", "evidence", kind.id()])
            .output()
            .expect("runs");
        assert_eq!(output.status.code(), Some(0), "{kind}");
        let printed: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        assert_eq!(printed, kind.evidence_schema().to_value(), "{kind}");
    }
    drone_audit().args(["schema", "evidence"]).assert().code(2);
    drone_audit()
        .args(["schema", "evidence", "firmware-image"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown artifact kind"));
}

/// Every file under `dir`, sorted.
fn files_under(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, files);
        } else {
            files.push(path);
        }
    }
}

#[test]
fn every_document_the_analyzers_make_follows_its_kinds_schema() {
    let mut files = Vec::new();
    for dir in ["tests/fixtures", "samples"] {
        files_under(&manifest_dir().join(dir), &mut files);
    }
    if let Some(corpus) = shared("corpus") {
        files_under(&corpus, &mut files);
    }
    files.sort();
    let mut checked = std::collections::BTreeMap::<ArtifactKind, usize>::new();
    let mut failures = Vec::new();
    for path in files {
        let Ok(content) = std::fs::read(&path) else {
            continue;
        };
        let analyzer = analyze::identify(&path, &content)
            .or_else(|| analyze::kind_named(&path).map(analyze::analyzer_for));
        let Some(analyzer) = analyzer else { continue };
        let kind = analyzer.kind();
        let Ok(evidence) = analyzer.analyze(&content) else {
            continue;
        };
        let schema = schema::validation_schema(kind);
        let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(&evidence.document)
            .take(5)
            .map(|error| format!("{error} at {}", error.instance_path()))
            .collect();
        if !errors.is_empty() {
            failures.push(format!(
                "{} ({kind}): {}",
                path.display(),
                errors.join("; ")
            ));
        }
        *checked.entry(kind).or_default() += 1;
    }
    assert!(
        failures.is_empty(),
        "documents that do not follow their schema:\n{}",
        failures.join("\n")
    );
    for kind in ArtifactKind::ALL {
        assert!(
            checked.get(&kind).copied().unwrap_or(0) > 0,
            "no document of {kind} was checked"
        );
    }
}
