#![no_main]
//! The tlog analyzer, then the policy and its rules, on arbitrary bytes.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    drone_audit_fuzz::analyze(drone_audit::analyze::ArtifactKind::Tlog, data);
});
