#![no_main]
//! Fuzzes `codepay_proto::fuzzing::decode_frame`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| codepay_proto::fuzzing::decode_frame(data));
