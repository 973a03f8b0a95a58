#![no_main]
//! Fuzzes `connect_proto::fuzzing::machine`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| connect_proto::fuzzing::machine(data));
