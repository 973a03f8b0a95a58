#![no_main]
//! Fuzzes `interpay_proto::fuzzing::decode_tag_value_body`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| interpay_proto::fuzzing::decode_tag_value_body(data));
