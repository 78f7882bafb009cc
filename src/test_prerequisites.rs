//! What a test needs from outside the project, and what happens when it is missing: the real
//! third-party artifacts in `../shared/corpus` (and the rest of `../shared`), and the oracle
//! tools some tests compare with (tshark, chromium, pyulog, junitparser, mksquashfs,
//! hardening-check). A test that returns early has checked nothing, so under CI (`CI` set, as
//! `.ci/run` runs, or `DRONE_AUDIT_REQUIRE_ORACLES=1`) a missing prerequisite fails the test,
//! saying what is missing and how to install it; only a developer's local run skips, and it
//! says so (`skipped: ...` on stderr).
//!
//! One file for both kinds of test: the unit tests compile it through `src/lib.rs`, the
//! integration tests through `tests/common/mod.rs` (`#[path]`), so it uses nothing of the crate.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Set to `1` to make missing prerequisites fail outside CI too.
pub const REQUIRE_VARIABLE: &str = "DRONE_AUDIT_REQUIRE_ORACLES";

/// Whether a missing prerequisite fails the test: `CI` or [`REQUIRE_VARIABLE`] is set to
/// anything but empty, `0` or `false`.
pub fn required() -> bool {
    let set = |name: &str| {
        std::env::var_os(name).is_some_and(|value| {
            !(value.is_empty() || value == "0" || value.eq_ignore_ascii_case("false"))
        })
    };
    set("CI") || set(REQUIRE_VARIABLE)
}

/// Reports that `what` is missing: fails the test under CI, otherwise says it skipped. The
/// caller returns right after.
pub fn missing(what: &str) {
    assert!(
        !required(),
        "{what}; a test that needs it fails under CI instead of skipping (CI or \
         {REQUIRE_VARIABLE} is set): .ci/run installs every oracle and runs beside ../shared"
    );
    eprintln!("skipped: {what}");
}

/// `relative` under `../shared` beside the project, or None (skipped, or failed under CI)
/// when it is absent.
pub fn shared(relative: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(relative);
    if path.exists() {
        return Some(path);
    }
    missing(&format!(
        "{} is absent (../shared is not beside the project)",
        path.display()
    ));
    None
}

/// A file or folder of the real-artifact corpus (`../shared/corpus`, see its SOURCES.md).
pub fn corpus(relative: &str) -> Option<PathBuf> {
    shared(&format!("corpus/{relative}"))
}

/// The bytes of a corpus file; a file that is there but cannot be read fails the test.
pub fn corpus_bytes(relative: &str) -> Option<Vec<u8>> {
    let path = corpus(relative)?;
    Some(std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display())))
}

/// Where `tool` is: itself when it is a path, otherwise the first executable of that name on
/// PATH.
pub fn find_tool(tool: &str) -> Option<PathBuf> {
    let executable = |path: &Path| {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
    };
    if tool.contains('/') {
        let path = PathBuf::from(tool);
        return executable(&path).then_some(path);
    }
    let search = std::env::var_os("PATH")?;
    // An empty entry would mean the current folder: not where an oracle is installed.
    std::env::split_paths(&search)
        .filter(|folder| !folder.as_os_str().is_empty())
        .map(|folder| folder.join(tool))
        .find(|candidate| executable(candidate))
}

/// Whether the oracle `tool` (a name on PATH or an absolute path) is installed; when it is not,
/// the test fails under CI or skips, naming `install`, the command that installs it.
pub fn oracle(tool: &str, install: &str) -> bool {
    if find_tool(tool).is_some() {
        return true;
    }
    missing(&format!("{tool} is not installed ({install})"));
    false
}

/// Whether python3 can import `module`; like [`oracle`] when it cannot.
pub fn python_module(module: &str, install: &str) -> bool {
    let imports = find_tool("python3").is_some_and(|python| {
        Command::new(python)
            .args([OsStr::new("-c"), OsStr::new(&format!("import {module}"))])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    });
    if imports {
        return true;
    }
    missing(&format!(
        "python3 with {module} is not installed ({install})"
    ));
    false
}
