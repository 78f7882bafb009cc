//! A test that needs an oracle tool or a corpus file fails under CI when it is missing, and
//! skips, saying so, only on a developer's machine (src/test_prerequisites.rs). Each case runs
//! one of the probe tests below in a child process of this test binary, with PATH emptied so
//! that no oracle is found, and CI or DRONE_AUDIT_REQUIRE_ORACLES set or not.

mod common;

use std::process::Command;

/// Run only as a child of the tests below: a test that needs tshark.
#[test]
#[ignore = "a probe: the tests of this file run it in a child process"]
fn probe_needs_an_oracle() {
    if !common::oracle("tshark", "apt-get install tshark") {
        return;
    }
    panic!("the probe found tshark with PATH empty");
}

/// Run only as a child of the tests below: a test that needs a corpus file nobody has.
#[test]
#[ignore = "a probe: the tests of this file run it in a child process"]
fn probe_needs_a_corpus_file() {
    if common::corpus("no-such-source/no-such-capture.pcapng").is_none() {
        return;
    }
    panic!("the probe found a corpus file that does not exist");
}

/// Runs the probe test `name` with no PATH and the variables `environment`; whether it passed,
/// and what it printed.
fn run_probe(name: &str, environment: &[(&str, &str)]) -> (bool, String) {
    let mut command = Command::new(std::env::current_exe().expect("the test binary"));
    command
        .args([
            name,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("PATH", "")
        .env_remove("CI")
        .env_remove(common::REQUIRE_VARIABLE);
    for (variable, value) in environment {
        command.env(variable, value);
    }
    let output = command.output().expect("the test binary runs");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        printed.contains("1 passed") || printed.contains("1 failed"),
        "the probe ran: {printed}"
    );
    (output.status.success(), printed)
}

#[test]
fn under_ci_a_missing_oracle_fails_the_test() {
    let (passed, printed) = run_probe("probe_needs_an_oracle", &[("CI", "true")]);
    assert!(!passed, "{printed}");
    assert!(
        printed.contains("tshark is not installed (apt-get install tshark)"),
        "{printed}"
    );
    assert!(!printed.contains("skipped:"), "{printed}");
}

#[test]
fn the_project_variable_also_makes_a_missing_oracle_fail() {
    let (passed, printed) = run_probe(
        "probe_needs_an_oracle",
        &[("CI", "false"), (common::REQUIRE_VARIABLE, "1")],
    );
    assert!(!passed, "{printed}");
    assert!(printed.contains("tshark is not installed"), "{printed}");
}

#[test]
fn under_ci_a_missing_corpus_file_fails_the_test() {
    let (passed, printed) = run_probe("probe_needs_a_corpus_file", &[("CI", "1")]);
    assert!(!passed, "{printed}");
    assert!(
        printed.contains("no-such-capture.pcapng is absent"),
        "{printed}"
    );
}

#[test]
fn a_local_run_skips_saying_what_is_missing() {
    for probe in ["probe_needs_an_oracle", "probe_needs_a_corpus_file"] {
        let (passed, printed) = run_probe(probe, &[("CI", "false")]);
        assert!(passed, "{printed}");
        assert!(printed.contains("skipped: "), "{printed}");
    }
    let (passed, printed) = run_probe("probe_needs_an_oracle", &[]);
    assert!(passed, "{printed}");
    assert!(
        printed.contains("skipped: tshark is not installed"),
        "{printed}"
    );
}
