#![no_main]
//! The firmware walker from elf inputs (its seeds are elf images; any format can follow).
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    drone_audit_fuzz::firmware(data);
});
