#![cfg(feature = "fuzzing")]
//! Replays every committed fuzz seed of `fuzz/corpus/paynt_*` through its body.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // helpers outside #[test] fns

fn replay(folder: &str, body: fn(&[u8])) {
    pos_core::testing::replay_corpus(env!("CARGO_MANIFEST_DIR"), folder, body);
}

#[test]
fn decode_result_seeds() {
    replay("paynt_decode_result", paynt_proto::fuzzing::decode_result);
}

#[test]
fn decode_start_request_seeds() {
    replay(
        "paynt_decode_start_request",
        paynt_proto::fuzzing::decode_start_request,
    );
}

#[test]
fn decode_replies_seeds() {
    replay("paynt_decode_replies", paynt_proto::fuzzing::decode_replies);
}

#[test]
fn machine_seeds() {
    replay("paynt_machine", paynt_proto::fuzzing::machine);
}
