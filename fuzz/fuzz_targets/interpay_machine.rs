#![no_main]
//! Fuzzes `interpay_proto::fuzzing::machine`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| interpay_proto::fuzzing::machine(data));
