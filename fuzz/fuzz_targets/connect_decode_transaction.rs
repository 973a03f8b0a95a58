#![no_main]
//! Fuzzes `connect_proto::fuzzing::decode_transaction`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| connect_proto::fuzzing::decode_transaction(data));
