#![no_main]
//! The passwd analyzer, then the policy and its rules, on arbitrary bytes.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    drone_audit_fuzz::analyze(drone_audit::analyze::ArtifactKind::Passwd, data);
});
