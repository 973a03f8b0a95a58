#![cfg(feature = "fuzzing")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers outside #[test] fns
//! Replays every committed fuzz seed of `fuzz/corpus/codepay_*` through its body, and checks
//! that the hand-made seeds are committed.

use std::path::PathBuf;

fn corpus(folder: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(folder)
}

fn replay(folder: &str, body: fn(&[u8])) {
    pos_core::testing::replay_corpus(env!("CARGO_MANIFEST_DIR"), folder, body);
}

#[test]
fn decode_message_seeds() {
    replay(
        "codepay_decode_message",
        codepay_proto::fuzzing::decode_message,
    );
}

#[test]
fn decode_frame_seeds() {
    replay("codepay_decode_frame", codepay_proto::fuzzing::decode_frame);
}

#[test]
fn machine_seeds() {
    replay("codepay_machine", codepay_proto::fuzzing::machine);
}

#[test]
fn hand_made_seeds_are_committed() {
    for (folder, name, bytes) in codepay_proto::fuzzing::seeds() {
        let path = corpus(folder).join(name);
        if std::env::var_os("CODEPAY_WRITE_SEEDS").is_some() {
            std::fs::create_dir_all(corpus(folder)).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        }
        assert_eq!(std::fs::read(&path).ok(), Some(bytes), "{}", path.display());
    }
}

#[test]
fn pseudo_random_inputs_never_break_the_bodies() {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for round in 0..300 {
        let len = 16 + round % 200;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x.to_le_bytes()[0]
            })
            .collect();
        codepay_proto::fuzzing::decode_message(&bytes);
        codepay_proto::fuzzing::decode_frame(&bytes);
        codepay_proto::fuzzing::machine(&bytes);
    }
}
