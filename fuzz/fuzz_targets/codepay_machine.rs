#![no_main]
//! Fuzzes `codepay_proto::fuzzing::machine`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| codepay_proto::fuzzing::machine(data));
