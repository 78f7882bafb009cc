#![no_main]
//! The firmware walker from squashfs inputs (its seeds are squashfs images; any format can follow).
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    drone_audit_fuzz::firmware(data);
});
