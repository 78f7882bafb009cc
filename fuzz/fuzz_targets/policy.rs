#![no_main]
//! Policy files.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    drone_audit_fuzz::policy(data);
});
