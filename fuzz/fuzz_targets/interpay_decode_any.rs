#![no_main]
//! Fuzzes `interpay_proto::fuzzing::decode_any`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| interpay_proto::fuzzing::decode_any(data));
