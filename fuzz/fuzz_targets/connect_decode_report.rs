#![no_main]
//! Fuzzes `connect_proto::fuzzing::decode_report`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| connect_proto::fuzzing::decode_report(data));
