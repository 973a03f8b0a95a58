#![no_main]
//! Fuzzes `interpay_proto::fuzzing::decode_receipt`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| interpay_proto::fuzzing::decode_receipt(data));
