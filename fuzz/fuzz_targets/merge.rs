#![no_main]
//! The JSON parts `merge` joins, cut at each `\n--\n`, then the merged report rendered.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    drone_audit_fuzz::merge_parts(data);
});
