//! The library's modules form layers that point one way (DESIGN.md, Layout): a module may use
//! its own layer and the ones below, never one above. Cargo does not police modules inside one
//! crate, so this test does: it reads every source file under `src/` and fails on a `crate::`
//! path that climbs, and on a top-level module that has no layer yet.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Lowest first. Leaves (no import of the crate's other modules) at the bottom; the commands
/// that run the whole pipeline at the top.
const LAYERS: &[&[&str]] = &[
    // Shared leaves: controls and severities, digests, text sources, networks, file bytes, the
    // shard partition, waivers' dates, the checked byte reader.
    &[
        "control",
        "digest",
        "source",
        "net",
        "file_bytes",
        "shard",
        "waiver",
        // Artifact paths relative to the scan root (fingerprints, SARIF, waivers' globs).
        "scan_path",
        "bytes",
        "escape",
        // The completion scripts and man pages, from the binary's command-line definition.
        "manual",
        // What tests need beside the project (the corpus, oracle tools): compiled for tests.
        "test_prerequisites",
    ],
    &["discover"],
    &["analyze"],
    &["rules"],
    // The policy is validated against the rules and re-rates or disables them, so it stands
    // above them; the order in which a scan calls them is the scan's business.
    // The supply chain's policy step (laws applied, catalogue in force) is part of the policy.
    &["policy", "supply_chain"],
    &["score"],
    // Frameworks read rule results as views over them (never scores), and reports show them.
    &["frameworks"],
    &["report"],
    // The fleet stage: over devices' reports, called by the scan and by merge alike.
    &["shared_secrets"],
    &["scan", "merge", "baseline", "fuzzing"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn source_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            source_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

/// The top-level module a file belongs to: `src/scan/fleet.rs` is in `scan`.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("under src");
    let first = relative
        .components()
        .next()
        .expect("a component")
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

/// The top-level modules a source text names through `crate::`, with the line of each:
/// `crate::report::Report`, and each item of `use crate::{report, scan::Limits}`.
fn crate_paths(text: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let inside = group.split('}').next().unwrap_or_default();
                for item in inside.split(',') {
                    let name: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        found.push((name, index + 1));
                    }
                }
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                found.push((name, index + 1));
            }
        }
    }
    found
}

#[test]
fn no_module_imports_one_of_a_higher_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    let mut modules = BTreeMap::new();
    for file in &files {
        let module = module_of(&src, file);
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(layer) = layer_of(&module) else {
            problems.push(format!(
                "{}: module `{module}` has no layer in tests/layers.rs",
                file.display()
            ));
            continue;
        };
        modules.insert(module.clone(), layer);
        let text = fs::read_to_string(file).expect("source is UTF-8");
        for (used, line) in crate_paths(&text) {
            if used == module {
                continue;
            }
            match layer_of(&used) {
                Some(used_layer) if used_layer > layer => problems.push(format!(
                    "{}:{line}: `{module}` (layer {layer}) uses `{used}` (layer {used_layer}), a higher layer",
                    file.display()
                )),
                Some(_) => {}
                None => problems.push(format!(
                    "{}:{line}: `{module}` uses `crate::{used}`, which has no layer",
                    file.display()
                )),
            }
        }
    }
    assert!(
        modules.len() > 10,
        "the source tree was not read: {modules:?}"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_path_reader_sees_grouped_and_inline_paths() {
    let paths = crate_paths(
        "use crate::{report::Report, scan};\nfn f() { crate::rules::load(None); } // crate::x\n",
    );
    let names: Vec<&str> = paths.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["report", "scan", "rules"]);
    assert_eq!(paths[2].1, 2);
}
