#![cfg(feature = "fuzzing")]
//! Replays every committed fuzz seed through its body, so CI runs the corpora.
#![allow(clippy::unwrap_used)]

fn replay(folder: &str, body: fn(&[u8])) {
    pos_core::testing::replay_corpus(env!("CARGO_MANIFEST_DIR"), folder, body);
}

#[test]
fn decode_transaction_corpus() {
    replay(
        "connect_decode_transaction",
        connect_proto::fuzzing::decode_transaction,
    );
}

#[test]
fn decode_report_corpus() {
    replay(
        "connect_decode_report",
        connect_proto::fuzzing::decode_report,
    );
}

#[test]
fn decode_other_corpus() {
    replay("connect_decode_other", connect_proto::fuzzing::decode_other);
}

#[test]
fn machine_corpus() {
    replay("connect_machine", connect_proto::fuzzing::machine);
}
