#![no_main]
//! Fuzzes `paynt_proto::fuzzing::decode_start_request`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paynt_proto::fuzzing::decode_start_request(data));
