//! Properties: codec round trips, the notification diff against a simple model, and random
//! operation sequences with random faults keeping the harness's invariants.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use connect_proto::codec;
use connect_proto::message::{
    Cvm, PaymentMethod, ResultType, Transaction, TransactionRequest, TransactionResult,
    TransactionType, WireCurrency,
};
use connect_proto::notify::NotificationDiff;
use core::time::Duration;
use pos_core::testing::RandomFaults;
use pos_core::{Operation, ReportKind};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn word() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[A-Za-z0-9/:-]{1,10}")
}

fn result() -> impl Strategy<Value = Option<TransactionResult>> {
    proptest::option::of(prop_oneof![
        Just(TransactionResult::Successful),
        Just(TransactionResult::Declined),
        Just(TransactionResult::Void),
        Just(TransactionResult::TimedOut),
        "[A-Z]{3,8}".prop_map(|s| TransactionResult::parse(&s)),
    ])
}

prop_compose! {
    fn transaction()(
        request_id in word(), location in word(),
        notifications in proptest::collection::vec("[A-Z_]{1,12}", 0..6),
        transaction_result in result(),
        amounts in proptest::array::uniform4(proptest::option::of(-5i64..100_000_000)),
        auth_code in word(), pan in word(), user_message in word(),
        cvm in proptest::option::of(Just(Cvm::Pin)),
        method in proptest::option::of(Just(PaymentMethod::Contactless)),
        reversal in any::<bool>(),
    ) -> Transaction {
        Transaction {
            request_id, location, notifications, transaction_result,
            transaction_type: Some(if reversal { ResultType::SaleReversal } else { ResultType::Sale }),
            amount_base: amounts[0], amount_cashback: amounts[1],
            amount_gratuity: amounts[2], amount_total: amounts[3],
            currency: Some(WireCurrency::Gbp),
            auth_code, primary_account_number: pan, user_message,
            cvm, payment_method: method,
            ..Transaction::default()
        }
    }
}

proptest! {
    #[test]
    fn transactions_round_trip(t in transaction()) {
        let bytes = codec::encode_transaction(&t);
        prop_assert_eq!(codec::decode_transaction(&bytes).unwrap(), t);
    }

    #[test]
    fn transaction_requests_round_trip(amount in 1i64..99_999_999, cb in proptest::option::of(0i64..10_000), cnp in proptest::option::of(Just(true))) {
        let r = TransactionRequest {
            transaction_type: TransactionType::Sale, amount: Some(amount),
            currency: Some(WireCurrency::Eur), amount_cashback: cb,
            cardholder_not_present: cnp, auth_code: None, amount_pre_authorised_total: None,
        };
        let bytes = codec::encode(&r);
        prop_assert!(!String::from_utf8(bytes.clone()).unwrap().contains("null"));
        let back: TransactionRequest = serde_json::from_slice(&bytes).unwrap();
        prop_assert_eq!(back, r);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        for kind in connect_proto::DECODE_KINDS {
            let _ = connect_proto::decode(kind, &bytes);
        }
    }

    /// The model: after any sequence of lists, each value was emitted as many times as its
    /// highest count in any single list, and each step emits exactly the increase.
    #[test]
    fn notification_diff_matches_the_high_water_model(
        lists in proptest::collection::vec(proptest::collection::vec(prop_oneof![Just("A"), Just("B"), Just(" c "), Just("C")], 0..8), 0..8)
    ) {
        let mut diff = NotificationDiff::new();
        let mut high: BTreeMap<String, u32> = BTreeMap::new();
        for list in &lists {
            let list: Vec<String> = list.iter().map(|s| (*s).to_string()).collect();
            let mut counts: BTreeMap<String, u32> = BTreeMap::new();
            for v in &list {
                *counts.entry(v.trim().to_uppercase()).or_default() += 1;
            }
            let mut expected: BTreeMap<String, u32> = BTreeMap::new();
            for (v, c) in &counts {
                let h = high.entry(v.clone()).or_default();
                if c > h {
                    expected.insert(v.clone(), c - *h);
                    *h = *c;
                }
            }
            let mut got: BTreeMap<String, u32> = BTreeMap::new();
            for n in diff.update(&list) {
                *got.entry(n.value).or_default() += 1;
            }
            prop_assert_eq!(got, expected);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn random_operation_sequences_keep_the_invariants(
        seed in any::<u64>(),
        steps in proptest::collection::vec((0u8..6, 1i64..5000, 0u64..20_000), 1..6),
        faults in any::<bool>(),
    ) {
        let mut p = pair();
        if faults {
            p.set_random_faults(RandomFaults {
                seed, drop: 40, duplicate: 40, delay: 80, reorder: 30, disconnect: 40,
                max_delay: Duration::from_millis(2_000),
            });
        }
        let mut txns = Vec::new();
        for (op, amount, wait) in steps {
            let operation = match op {
                0 | 1 => sale(amount),
                2 => Operation::Refund { amount: gbp(amount), original: None, reference: None },
                3 => Operation::Report { kind: ReportKind::XBalance },
                4 => Operation::ListTerminals,
                _ => Operation::ReprintLast,
            };
            if let Ok(t) = p.start(operation) {
                txns.push(t);
            }
            p.run_for(Duration::from_millis(wait));
            if wait % 3 == 0 {
                if let Some(t) = txns.last() {
                    let _ = p.cancel(*t);
                }
            }
            if wait % 7 == 0 {
                p.crash_and_resume();
            }
        }
        for t in &txns {
            p.run_until_finished(*t);
            prop_assert!(p.money_requests(*t) <= 1);
        }
        p.assert_all_finished();
    }
}
