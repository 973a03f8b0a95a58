#![cfg(feature = "fuzzing")]
//! Replays every committed fuzz corpus file through its body.
#![allow(clippy::unwrap_used)]

fn replay(body: &str, f: fn(&[u8])) {
    let folder = format!("interpay_{body}");
    pos_core::testing::replay_corpus(env!("CARGO_MANIFEST_DIR"), &folder, f);
}

#[test]
fn corpus_replays() {
    use interpay_proto::fuzzing::*;
    replay("decode_json_body", decode_json_body);
    replay("decode_tag_value_body", decode_tag_value_body);
    replay("decode_receipt", decode_receipt);
    replay("decode_any", decode_any);
    replay("machine", machine);
}
