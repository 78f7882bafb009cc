#![no_main]
//! The `fleet.toml` inventory, read and walked as a scan does.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    drone_audit_fuzz::inventory(data);
});
