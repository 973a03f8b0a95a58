#![cfg(feature = "fuzzing")]
//! Replays every committed fuzz seed through its body, so CI runs the corpora.
#![allow(clippy::unwrap_used)]

use std::path::Path;

fn replay(folder: &str, body: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(folder);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            body(&std::fs::read(&path).unwrap());
            n += 1;
        }
    }
    assert!(n > 0, "no seeds in {}", dir.display());
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
