//! Properties: codecs round-trip; random operation sequences with random faults keep the
//! money invariants (the pair harness checks them after every step).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // helpers outside #[test] fns

use paynt_proto::codec;
use paynt_proto::message::{PairResponse, StartRequest, TransType, TransactionResult};
use proptest::prelude::*;

fn trans_type() -> impl Strategy<Value = TransType> {
    prop_oneof![
        Just(TransType::Sale),
        Just(TransType::Refund),
        Just(TransType::Reversal),
        Just(TransType::Preauth),
        Just(TransType::Completion),
    ]
}

fn amount() -> impl Strategy<Value = Option<u32>> {
    proptest::option::of(0u32..=2_147_483_647)
}

proptest! {
    #[test]
    fn start_requests_round_trip(
        trans_type in trans_type(),
        amount_trans in amount(),
        uti in proptest::option::of("[A-Za-z0-9-]{1,64}"),
        reference in proptest::option::of("[A-Za-z0-9]{1,36}"),
        amount_gratuity in amount(),
        amount_cashback in amount(),
    ) {
        let r = StartRequest { trans_type, amount_trans, uti, reference, amount_gratuity, amount_cashback };
        prop_assert_eq!(codec::decode_start_request(&codec::encode_start_request(&r)).unwrap(), r);
    }

    #[test]
    fn pair_responses_round_trip(serial in proptest::option::of("[A-Z0-9]{1,32}"), token in "[1-9][0-9]{0,18}", as_number: bool) {
        let r = PairResponse { serial_number: serial, auth_token: token };
        prop_assert_eq!(codec::decode_pair_response(&codec::encode_pair_response(&r, as_number)).unwrap(), r);
    }

    #[test]
    fn results_round_trip(
        trans_approved: Option<bool>,
        trans_cancelled: Option<bool>,
        voided: Option<bool>,
        trans_amount in proptest::option::of(0u32..=2_147_483_647),
        auth_code in proptest::option::of("[0-9]{6}"),
        uti in proptest::option::of("[a-f0-9-]{1,40}"),
        lines in proptest::collection::vec(proptest::collection::vec(("[ -~]{0,12}", 1u8..=9, 0u8..3, any::<bool>()), 0..3), 0..4),
    ) {
        use paynt_proto::message::{Align, ReceiptGroup};
        let receipt = lines.into_iter().map(|l| l.into_iter().map(|(text, size, a, bold)| ReceiptGroup {
            text, size, align: [Align::Left, Align::Centre, Align::Right][usize::from(a)], bold,
        }).collect()).collect::<Vec<_>>();
        let r = TransactionResult {
            trans_approved, trans_cancelled, voided, trans_amount, auth_code, uti,
            transaction_type: Some(TransType::Sale),
            merchant_receipt: Some(receipt),
            ..TransactionResult::default()
        };
        let again = codec::decode_result(&codec::encode_result(&r), codec::MAX_BODY_BYTES).unwrap();
        prop_assert_eq!(again, r);
    }

    #[test]
    fn any_bytes_decode_without_panic(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = codec::decode_result(&data, codec::MAX_BODY_BYTES);
        let _ = codec::decode_start_request(&data);
        let _ = codec::decode_pair_response(&data);
        let _ = paynt_proto::decode("status", &data);
    }
}

#[cfg(feature = "fuzzing")]
mod machine {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
        #[test]
        fn random_operations_with_random_faults_keep_the_invariants(
            data in proptest::collection::vec(any::<u8>(), 0..96)
        ) {
            paynt_proto::fuzzing::machine(&data);
        }
    }
}
