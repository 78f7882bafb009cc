#![no_main]
//! The packet decoders: the bytes become the packets of a pcap (link type chosen by the first
//! byte), so the fuzzer works on frames rather than on the file format.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    drone_audit_fuzz::packets(data);
});
