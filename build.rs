//! Embeds every rule file under `rules/` in the binary: writes `builtin_rules.rs` into
//! OUT_DIR, a sorted list of (path relative to `rules/`, contents) pairs. `rules/catalogue/`
//! holds data the analyzers embed themselves (passphrases, vendor endpoints, the supply-chain
//! catalogue): not rules. The compliance frameworks are in `frameworks/`, beside `rules/`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name == "catalogue") {
                continue;
            }
            collect(&path, files);
        } else if path
            .extension()
            .is_some_and(|extension| extension == "toml")
        {
            files.push(path);
        }
    }
}

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let rules = manifest.join("rules");
    println!("cargo:rerun-if-changed=rules");
    let mut files = Vec::new();
    collect(&rules, &mut files);
    files.sort();
    let mut source = String::from("&[\n");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let relative = file
            .strip_prefix(&rules)
            .expect("under rules/")
            .to_string_lossy()
            .replace('\\', "/");
        writeln!(
            source,
            "    ({relative:?}, include_str!({:?})),",
            file.display().to_string()
        )
        .expect("write to String");
    }
    source.push_str("]\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("builtin_rules.rs"), source).expect("write builtin_rules.rs");
}
