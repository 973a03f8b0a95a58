#![no_main]
//! Fuzzes `codepay_proto::fuzzing::decode_message`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| codepay_proto::fuzzing::decode_message(data));
