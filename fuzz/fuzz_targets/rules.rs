#![no_main]
//! Rule files (TOML with JSONPath selectors and message templates).
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    drone_audit_fuzz::rules(data);
});
