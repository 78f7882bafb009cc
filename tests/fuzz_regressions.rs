//! Every input a fuzz target (or a review) found a crash, a hang or exhaustion with, kept under
//! `tests/fuzz_regressions/TARGET/` (TARGET as in fuzz/fuzz_targets/), replayed through the
//! same entry point (`drone_audit::fuzzing::run`): each must now run to the end, quickly.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

#[test]
fn every_kept_fuzz_input_runs_through_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut replayed = 0;
    for target in fs::read_dir(&root).expect("tests/fuzz_regressions") {
        let target = target.expect("entry").path();
        if !target.is_dir() {
            continue;
        }
        let name = target
            .file_name()
            .and_then(|name| name.to_str())
            .expect("UTF-8 name");
        for input in fs::read_dir(&target).expect("target folder") {
            let input = input.expect("entry").path();
            let data = fs::read(&input).expect("input");
            let started = Instant::now();
            assert!(
                drone_audit::fuzzing::run(name, &data),
                "tests/fuzz_regressions/{name} is not a fuzz target"
            );
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{} took {:?}",
                input.display(),
                started.elapsed()
            );
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no regression input replayed");
}
