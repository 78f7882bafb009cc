#![no_main]
//! The MAVLink signing key file analyzer (PX4's `mavlink-signing-key.bin`), then the policy and
//! its rules, on arbitrary bytes.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    drone_audit_fuzz::analyze(drone_audit::analyze::ArtifactKind::MavlinkSigningKey, data);
});
