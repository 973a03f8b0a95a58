//! Bad input gives typed errors or lenient readings exactly as the spec says; never a panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // helpers outside #[test] fns

mod common;

use common::*;
use paynt_proto::codec::{self, MAX_BODY_BYTES};
use paynt_proto::message::TransType;
use paynt_proto::{CodecError, Config, ConfigError, PayntMachine};
use pos_core::{CommandError, Currency, IdGen, Machine, Money, MoneyError, Operation, Timestamp};

#[test]
fn malformed_json_is_a_typed_error() {
    assert!(matches!(
        codec::decode_result(b"{\"transApproved\":", MAX_BODY_BYTES),
        Err(CodecError::NotJson { .. })
    ));
    assert_eq!(
        codec::decode_result(b"[]", MAX_BODY_BYTES),
        Err(CodecError::NotObject)
    );
    assert!(matches!(
        codec::decode_start_request(b"nope"),
        Err(CodecError::NotJson { .. })
    ));
}

#[test]
fn wrong_types_are_lenient_or_bad_fields() {
    let r = codec::decode_result(
        br#"{"transApproved":"TRUE","transAmount":"2450","authCode":731904,"messageId":"7","signature":1}"#,
        MAX_BODY_BYTES,
    )
    .unwrap();
    assert_eq!(r.trans_approved, Some(true));
    assert_eq!(r.trans_amount, Some(2450));
    assert_eq!(r.auth_code.as_deref(), Some("731904"));
    assert_eq!(r.signature, Some(true));
    let r = codec::decode_result(
        br#"{"transApproved":[true],"transAmount":24.5}"#,
        MAX_BODY_BYTES,
    )
    .unwrap();
    assert_eq!(r.trans_approved, None, "an unreadable flag never approves");
    assert_eq!(r.trans_amount, None);
    assert_eq!(r.bad_fields, ["transApproved", "transAmount"]);
    assert!(!r.is_final());
    assert!(matches!(
        codec::decode_start_request(br#"{"transType":"SALE","amountTrans":"ten"}"#),
        Err(CodecError::BadField {
            field: "amountTrans",
            ..
        })
    ));
    assert!(matches!(
        codec::decode_start_request(br#"{"transType":1}"#),
        Ok(r) if r.trans_type == TransType::Other("1".into())
    ));
}

#[test]
fn unknown_enum_values_are_kept_raw() {
    let r = codec::decode_result(
        br#"{"transApproved":false,"transactionType":"refund","transactionSource":"QR"}"#,
        MAX_BODY_BYTES,
    )
    .unwrap();
    assert_eq!(r.transaction_type, Some(TransType::Refund));
    assert_eq!(
        r.transaction_source,
        Some(paynt_proto::message::TransactionSource::Other("QR".into()))
    );
    let r = codec::decode_result(br#"{"transactionType":"TOPUP"}"#, MAX_BODY_BYTES).unwrap();
    assert_eq!(r.transaction_type, Some(TransType::Other("TOPUP".into())));
}

#[test]
fn negative_or_over_long_amounts_are_bad_fields() {
    let r = codec::decode_result(br#"{"transAmount":-5}"#, MAX_BODY_BYTES).unwrap();
    assert_eq!(r.trans_amount, None);
    let r = codec::decode_result(br#"{"transAmount":2147483648}"#, MAX_BODY_BYTES).unwrap();
    assert_eq!(r.trans_amount, None);
    assert_eq!(r.bad_fields, ["transAmount"]);
}

#[test]
fn negative_or_over_precise_amounts_from_the_pos_are_typed_errors() {
    assert!(matches!(
        Money::from_minor(-1, Currency::EUR),
        Err(MoneyError::Negative { .. })
    ));
    assert!(matches!(
        Money::parse_major("10.005", Currency::EUR),
        Err(MoneyError::TooPrecise { .. })
    ));
    let mut m = machine_with(config(), 1);
    let too_big = Money::from_minor(2_147_483_648, Currency::EUR).unwrap();
    let op = Operation::Sale {
        amount: too_big,
        tip: None,
        cashback: None,
        reference: None,
    };
    assert!(matches!(
        m.start(Timestamp::ZERO, op),
        Err(CommandError::AmountNotAccepted { .. })
    ));
    assert!(matches!(
        m.start(Timestamp::ZERO, sale(0)),
        Err(CommandError::AmountNotAccepted { .. })
    ));
    let gbp = Operation::Sale {
        amount: Money::from_minor(100, Currency::GBP).unwrap(),
        tip: None,
        cashback: None,
        reference: None,
    };
    assert!(
        matches!(m.start(Timestamp::ZERO, gbp), Err(CommandError::AmountNotAccepted { reason }) if reason.contains("CurrencyMismatch"))
    );
    let tip = Operation::Sale {
        amount: eur(100),
        tip: Some(eur(10)),
        cashback: None,
        reference: None,
    };
    assert!(matches!(
        m.start(Timestamp::ZERO, tip),
        Err(CommandError::AmountNotAccepted { .. })
    ));
    assert!(
        m.poll_event().is_none() && m.poll_transmit().is_none(),
        "refusals change nothing"
    );
}

#[test]
fn over_long_or_illegal_utis_from_the_pos_are_refused() {
    let mut m = machine_with(config(), 1);
    for bad in ["", "has space", "tab\there", &"a".repeat(129)] {
        let op = Operation::Void {
            original: bad.into(),
            reference: None,
        };
        assert!(
            matches!(
                m.start(Timestamp::ZERO, op),
                Err(CommandError::InvalidArgument { .. })
            ),
            "{bad:?}"
        );
        assert!(matches!(
            m.query(Timestamp::ZERO, bad),
            Err(CommandError::InvalidArgument { .. })
        ));
    }
    assert!(
        m.start(
            Timestamp::ZERO,
            Operation::Void {
                original: "a".repeat(128),
                reference: None
            }
        )
        .is_ok()
    );
}

#[test]
fn illegal_references_are_refused() {
    let mut m = machine_with(config(), 1);
    for bad in ["with-hyphen", "ünïcode", &"a".repeat(37)] {
        let op = Operation::Sale {
            amount: eur(100),
            tip: None,
            cashback: None,
            reference: Some(bad.into()),
        };
        assert!(
            matches!(
                m.start(Timestamp::ZERO, op),
                Err(CommandError::InvalidReference { .. })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn unsupported_operations_and_bad_config_are_typed() {
    let mut m = machine_with(config(), 1);
    let referenced = Operation::Refund {
        amount: eur(100),
        original: Some("u".into()),
        reference: None,
    };
    assert!(matches!(
        m.start(Timestamp::ZERO, referenced),
        Err(CommandError::Unsupported { .. })
    ));
    assert!(matches!(
        m.start(Timestamp::ZERO, Operation::BatchClose),
        Err(CommandError::Unsupported { .. })
    ));
    let bad = Config {
        serial: "73-00".into(),
        ..Config::default()
    };
    assert!(matches!(
        PayntMachine::new(bad, IdGen::from_seed(1), WALL),
        Err(ConfigError::BadSerial { .. })
    ));
    let http = Config {
        scheme: paynt_proto::Scheme::Http,
        ..Config::default()
    };
    assert_eq!(
        PayntMachine::new(http, IdGen::from_seed(1), WALL).err(),
        Some(ConfigError::PlainHttpNotAllowed)
    );
}

#[test]
fn oversized_bodies_are_refused() {
    let big = vec![b' '; MAX_BODY_BYTES + 1];
    assert!(matches!(
        codec::decode_result(&big, MAX_BODY_BYTES),
        Err(CodecError::TooLarge { .. })
    ));
}
