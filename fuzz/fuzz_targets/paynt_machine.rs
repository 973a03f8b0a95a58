#![no_main]
//! Fuzzes `paynt_proto::fuzzing::machine`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| paynt_proto::fuzzing::machine(data));
