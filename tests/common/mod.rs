//! Helpers shared by the integration tests. Each test file uses some of them.
#![allow(dead_code)]

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};

/// The drone-audit binary, run from the crate root, without colour.
pub fn drone_audit() -> Command {
    let mut command = Command::cargo_bin("drone-audit").expect("binary built");
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    command
}

/// A file of the shared real-artifact corpus (`../shared/corpus`), or None, saying so, when
/// the corpus is not beside the project.
pub fn corpus(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "skipped: {} is absent (the shared corpus is not beside the project)",
            path.display()
        );
        None
    }
}

/// Copies a folder tree (tests build fleets from the samples).
pub fn copy_folder(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).expect("copy");
        }
    }
}
