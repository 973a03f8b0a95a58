#![cfg(feature = "fuzzing")]
//! Replays every committed fuzz corpus file through its body.
#![allow(clippy::unwrap_used)]

use std::path::Path;

fn replay(body: &str, f: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(format!("interpay_{body}"));
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        f(&std::fs::read(&path).unwrap());
        n += 1;
    }
    assert!(n > 0, "no seeds in {}", dir.display());
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
