#![no_main]
//! The key-material analyzer (PEM and PuTTY key files), then the policy and its rules, on
//! arbitrary bytes.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    drone_audit_fuzz::analyze(drone_audit::analyze::ArtifactKind::KeyMaterial, data);
});
