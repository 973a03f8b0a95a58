#![no_main]
//! Fuzzes `paynt_proto::fuzzing::decode_replies`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paynt_proto::fuzzing::decode_replies(data));
