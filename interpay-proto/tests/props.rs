//! Properties: codecs round-trip; random operations with random faults keep the invariants.

use interpay_proto::codec::{
    decode_form, decode_json, decode_tag_value, encode_json, encode_query, encode_tag_value,
};
use interpay_proto::message::{Fields, format_amt, parse_amt};
use proptest::prelude::*;

fn fields(value: &'static str) -> impl Strategy<Value = Fields> {
    proptest::collection::vec(("[A-Z][A-Z0-9]{0,8}", value), 0..8).prop_map(|v| {
        let mut f = Fields::new();
        let mut seen = std::collections::BTreeSet::new();
        for (n, val) in v {
            if seen.insert(n.to_ascii_uppercase()) {
                f.push(n, val);
            }
        }
        f
    })
}

proptest! {
    #[test]
    fn json_round_trips(f in fields("\\PC{0,20}")) {
        let back = decode_json(encode_json(&f).as_bytes()).unwrap();
        for (n, v) in f.iter() {
            prop_assert_eq!(back.get(n), Some(v));
        }
        prop_assert_eq!(back.len(), f.len());
    }

    #[test]
    fn tag_value_round_trips_with_ampersands(f in fields("[^\\[][ -~&]{0,20}|")) {
        let back = decode_tag_value(&encode_tag_value(&f));
        prop_assert_eq!(back, f);
    }

    #[test]
    fn query_round_trips(f in fields("\\PC{0,20}")) {
        let back = decode_form(&encode_query(&f));
        prop_assert_eq!(back, f);
    }

    #[test]
    fn amounts_round_trip(minor in 0i64..=9_999_999) {
        prop_assert_eq!(parse_amt(&format_amt(minor)), Some(minor));
    }

    #[cfg(feature = "fuzzing")]
    #[test]
    fn random_sessions_keep_the_invariants(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        interpay_proto::fuzzing::machine(&data);
    }
}
