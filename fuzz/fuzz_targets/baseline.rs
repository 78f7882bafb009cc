#![no_main]
//! Baseline files (or JSON reports given as one).
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    drone_audit_fuzz::baseline(data);
});
