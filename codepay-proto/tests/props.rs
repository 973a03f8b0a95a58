//! Properties: codec round-trips, and random operation sequences against the simulator with
//! random faults keep the invariants (the pair harness checks them after every step).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers outside #[test] fns

mod common;

use core::time::Duration;

use codepay_proto::codec::{amount_text, encode_request, parse_amount};
use codepay_proto::message::Envelope;
use codepay_proto::serial::{Frame, FrameType, parse_frame};
use common::*;
use pos_core::testing::RandomFaults;
use pos_core::{CommandError, Currency, Money, Operation, Outcome};
use proptest::prelude::*;
use serde_json::{Map, Value};

proptest! {
    #[test]
    fn frames_round_trip(kind in 0u8..3, ack: u8, id in 1u8..=255, data in proptest::collection::vec(any::<u8>(), 0..1014)) {
        let frame = match kind {
            1 => Frame::handshake(),
            2 => Frame::confirm(),
            _ if data.is_empty() => Frame::ack(ack),
            _ => Frame::data(id, ack, data),
        };
        let bytes = frame.encode();
        prop_assert_eq!(parse_frame(&bytes, 4096), Ok(Some((frame, bytes.len()))));
    }

    #[test]
    fn frame_parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut wire = vec![0x55, 0xAA];
        wire.extend(bytes);
        let _ = parse_frame(&wire, 4096);
    }

    #[test]
    fn amounts_round_trip(minor in 1i64..999_999_999_999, exp in prop_oneof![Just(Currency::USD), Just(Currency::JPY), Just(Currency::KWD)]) {
        let m = Money::from_minor(minor, exp).unwrap();
        if let Some(text) = amount_text(&m) {
            prop_assert!(text.len() <= 12);
            prop_assert_eq!(parse_amount(&text, exp), Some(m));
        }
    }

    #[test]
    fn requests_round_trip_through_the_lenient_parser(
        topic in "[a-z.]{1,30}", rid in "[0-9a-f]{32}", ts: u64,
        fields in proptest::collection::btree_map("[a-z_]{1,12}", "[ -~]{0,20}", 0..6),
    ) {
        let biz: Map<String, Value> = fields.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        let text = encode_request(&topic, APP_ID, &rid, ts, &biz, None);
        let env = Envelope::parse(text.as_bytes()).unwrap();
        prop_assert_eq!(env.topic.as_deref(), Some(topic.as_str()));
        prop_assert_eq!(env.request_id.as_deref(), Some(rid.as_str()));
        for (k, v) in &fields {
            prop_assert_eq!(env.biz_text(k), Some(v.trim().to_owned()).filter(|s| !s.is_empty()));
        }
    }

    #[test]
    fn envelope_parsing_never_panics(text in "\\PC{0,200}") {
        let _ = Envelope::parse(text.as_bytes());
        let _ = codepay_proto::decode("response", text.as_bytes());
    }
}

#[derive(Clone, Debug)]
enum Step {
    Sale(i64),
    Refund,
    Void,
    TipAdjust,
    Lookup,
    BatchClose,
    CancelAfter(u64),
    Idle(u64),
}

fn step() -> impl Strategy<Value = Step> {
    let cents = prop_oneof![
        Just(0i64),
        Just(51),
        Just(52),
        Just(54),
        Just(55),
        Just(56),
        Just(57),
        Just(60),
        Just(61),
        Just(62),
        0i64..100
    ];
    prop_oneof![
        4 => (1i64..50, cents).prop_map(|(w, c)| Step::Sale(w * 100 + c)),
        1 => Just(Step::Refund),
        1 => Just(Step::Void),
        1 => Just(Step::TipAdjust),
        1 => Just(Step::Lookup),
        1 => Just(Step::BatchClose),
        1 => (0u64..4_000).prop_map(Step::CancelAfter),
        1 => (0u64..40_000).prop_map(Step::Idle),
    ]
}

fn start(pair: &mut CodepayPair, op: &Operation) -> Option<pos_core::TxnId> {
    for _ in 0..120 {
        match pair.start(op.clone()) {
            Ok(txn) => return Some(txn),
            Err(
                CommandError::NotConnected | CommandError::Busy | CommandError::RecoveryPending,
            ) => {
                pair.run_for(Duration::from_secs(1));
            }
            Err(_) => return None,
        }
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_operations_with_random_faults_keep_the_invariants(
        seed: u64,
        steps in proptest::collection::vec(step(), 1..8),
        drop in 0u16..40, duplicate in 0u16..40, delay in 0u16..60, reorder in 0u16..30, disconnect in 0u16..20,
    ) {
        let mut pair = pair();
        pair.set_random_faults(RandomFaults {
            seed, drop, duplicate, delay, reorder, disconnect,
            max_delay: Duration::from_secs(5),
        });
        let mut last: Option<String> = None;
        for s in steps {
            let op = match (&s, &last) {
                (Step::Sale(minor), _) => sale(*minor),
                (Step::CancelAfter(_), _) => sale(2000),
                (Step::Refund, Some(o)) => Operation::Refund { amount: usd(100), original: Some(o.clone()), reference: None },
                (Step::Refund, None) => Operation::Refund { amount: usd(100), original: None, reference: None },
                (Step::Void, Some(o)) => Operation::Void { original: o.clone(), reference: None },
                (Step::TipAdjust, Some(o)) => Operation::TipAdjust { original: o.clone(), tip: usd(150) },
                (Step::Lookup, Some(o)) => Operation::Lookup { original: o.clone() },
                (Step::BatchClose, _) => Operation::BatchClose,
                (Step::Idle(ms), _) => { pair.run_for(Duration::from_millis(*ms)); continue; }
                _ => continue,
            };
            let Some(txn) = start(&mut pair, &op) else { continue };
            if let Step::CancelAfter(ms) = s {
                pair.run_for(Duration::from_millis(ms));
                let _ = pair.cancel(txn);
            }
            let outcome = pair.run_until_finished(txn);
            prop_assert!(pair.money_requests(txn) <= 1);
            if let (Outcome::Approved(a), Operation::Sale { .. }) = (&outcome, &op) {
                last = a.references.primary.clone();
            }
        }
        pair.run_for(Duration::from_secs(5));
    }
}

#[test]
fn frame_type_names() {
    assert_eq!(Frame::heartbeat().kind, FrameType::Normal);
    assert_eq!(Frame::heartbeat().kind_name(), "heartbeat");
    assert_eq!(Frame::ack(3).kind_name(), "ack");
    assert_eq!(Frame::data(1, 0, b"{}".to_vec()).kind_name(), "data");
}
