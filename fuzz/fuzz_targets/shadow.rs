#![no_main]
//! The shadow analyzer, then the policy and its rules, on arbitrary bytes, with a smaller
//! default-password budget than a scan's (`SHADOW_PASSWORD_BUDGET`), so that it runs at fuzzing
//! speed.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    drone_audit_fuzz::shadow_file(data);
});
