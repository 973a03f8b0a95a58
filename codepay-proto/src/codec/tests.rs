//! Unit tests of the codec: the code tables of spec §7, amounts, encoding, decode.

use super::*;

fn env(s: &str) -> Envelope {
    Envelope::parse(s.as_bytes()).unwrap()
}

#[test]
fn every_code_has_its_order_class() {
    use DeclineKind::*;
    let table: &[(u32, OrderClass)] = &[
        (101, OrderClass::Busy),
        (102, OrderClass::Cancelled),
        (103, OrderClass::Unknown),
        (104, OrderClass::NotFound),
        (105, OrderClass::Declined(Declined)),
        (106, OrderClass::Declined(Declined)),
        (107, OrderClass::Unknown),
        (108, OrderClass::Unknown),
        (109, OrderClass::Unknown),
        (110, OrderClass::Cancelled),
        (111, OrderClass::Declined(Declined)),
        (112, OrderClass::Declined(Declined)),
        (113, OrderClass::Duplicate),
        (114, OrderClass::Declined(Rejected)),
        (115, OrderClass::Declined(Declined)),
        (116, OrderClass::Declined(NotReady)),
        (117, OrderClass::Declined(Rejected)),
        (118, OrderClass::Declined(NotReady)),
        (119, OrderClass::Declined(Declined)),
        (120, OrderClass::Declined(Rejected)),
        (121, OrderClass::Declined(Rejected)),
        (201, OrderClass::Unknown),
        (202, OrderClass::Declined(Rejected)),
        (999, OrderClass::Unknown),
        (555, OrderClass::Unknown),
    ];
    for (code, class) in table {
        assert_eq!(classify_order_code(*code), *class, "{code}");
    }
}

#[test]
fn success_needs_a_status() {
    let e = env(r#"{"response_code":"000","biz_data":{"trans_status":"2"}}"#);
    assert_eq!(
        classify_order(&e, Some(TransType::Sale)),
        OrderClass::Approved
    );
    let e = env(r#"{"response_code":"0","biz_data":{"trans_status":3}}"#);
    assert_eq!(
        classify_order(&e, Some(TransType::Sale)),
        OrderClass::Cancelled
    );
    assert_eq!(
        classify_order(&e, Some(TransType::Refund)),
        OrderClass::Approved
    );
    let e = env(r#"{"response_code":"000","biz_data":{}}"#);
    assert_eq!(
        classify_order(&e, Some(TransType::Sale)),
        OrderClass::Unknown
    );
    assert_eq!(
        classify_order(&e, Some(TransType::Void)),
        OrderClass::Approved
    );
    let e = env(r#"{"response_code":"0","biz_data":{}}"#);
    assert_eq!(
        classify_order(&e, Some(TransType::Void)),
        OrderClass::Unknown
    );
    let e = env(r#"{"response_code":"000","biz_data":{"trans_status":"9"}}"#);
    assert_eq!(
        classify_order(&e, Some(TransType::Sale)),
        OrderClass::Unknown
    );
}

#[test]
fn query_verdicts_follow_the_table() {
    let v = |s: &str| query_verdict(&env(s));
    assert_eq!(
        v(r#"{"response_code":"000","biz_data":{"trans_status":"4"}}"#),
        QueryVerdict::Approved
    );
    assert_eq!(
        v(r#"{"response_code":"000","biz_data":{"trans_status":"3","trans_type":"2"}}"#),
        QueryVerdict::Approved
    );
    assert_eq!(
        v(r#"{"response_code":"000","biz_data":{"trans_status":"3"}}"#),
        QueryVerdict::Cancelled
    );
    assert_eq!(
        v(r#"{"response_code":"000","biz_data":{"trans_status":"0"}}"#),
        QueryVerdict::Retry
    );
    assert_eq!(
        v(r#"{"response_code":"000","biz_data":{}}"#),
        QueryVerdict::Stop
    );
    assert_eq!(v(r#"{"response_code":"104"}"#), QueryVerdict::NotFound);
    assert_eq!(v(r#"{"response_code":"105"}"#), QueryVerdict::Approved);
    assert_eq!(v(r#"{"response_code":"106"}"#), QueryVerdict::Declined);
    assert_eq!(v(r#"{"response_code":"113"}"#), QueryVerdict::Stop);
    assert_eq!(v(r#"{"response_code":"107"}"#), QueryVerdict::Retry);
    assert_eq!(v(r#"{"response_code":"x"}"#), QueryVerdict::Retry);
}

#[test]
fn close_and_admin_classes() {
    assert_eq!(
        close_class(&env(r#"{"response_code":"000"}"#)),
        CloseClass::Closed
    );
    assert_eq!(
        close_class(&env(r#"{"response_code":"103"}"#)),
        CloseClass::CompletedAnyway
    );
    assert_eq!(
        close_class(&env(r#"{"response_code":"104"}"#)),
        CloseClass::NotFound
    );
    assert_eq!(
        close_class(&env(r#"{"response_code":"201"}"#)),
        CloseClass::Refused
    );
    assert_eq!(
        admin_class(&env(r#"{"response_code":"106"}"#)),
        AdminClass::Declined
    );
    assert_eq!(
        admin_class(&env(r#"{"response_code":"999"}"#)),
        AdminClass::Unknown
    );
}

#[test]
fn amounts_are_exact() {
    let usd = Currency::USD;
    assert_eq!(parse_amount("10", usd).unwrap().minor_units(), 1000);
    assert_eq!(parse_amount("10.5", usd).unwrap().minor_units(), 1050);
    assert_eq!(parse_amount("10.500", usd).unwrap().minor_units(), 1050);
    assert!(parse_amount("10.505", usd).is_none());
    assert!(parse_amount("-1", usd).is_none());
    assert!(parse_amount("1e3", usd).is_none());
    assert_eq!(
        amount_text(&Money::from_minor(1250, Currency::JPY).unwrap()).unwrap(),
        "1250"
    );
    assert_eq!(
        amount_text(&Money::from_minor(5, usd).unwrap()).unwrap(),
        "0.05"
    );
    assert!(amount_text(&Money::from_minor(1_000_000_000_000, usd).unwrap()).is_none());
    let e = env(
        r#"{"response_code":"000","biz_data":{"order_amount":10.5,"tip_amount":"1","cash_amount":"2.00","card_no":"4111111111111111"}}"#,
    );
    let d = Details::from_envelope(&e, usd);
    assert_eq!(d.total_minor(), Some(1350));
    assert_eq!(d.card.as_deref(), Some("411111******1111"));
}

#[test]
fn requests_encode_compactly() {
    let mut biz = Map::new();
    biz.insert("merchant_order_no".into(), json!("T1"));
    let s = encode_request(TOPIC_QUERY, "wz0123456789abcdef", "a1", 5, &biz, None);
    assert_eq!(
        s,
        r#"{"topic":"ecrhub.pay.query","app_id":"wz0123456789abcdef","request_id":"a1","timestamp":"5","version":"1.0","biz_data":{"merchant_order_no":"T1"}}"#
    );
}

#[test]
fn decode_reports_the_conclusion() {
    let v = decode(
        "order_response",
        br#"{"topic":"ecrhub.pay.order","response_code":"000","biz_data":{"trans_status":"2","order_amount":"23.40","tip_amount":"3.00","price_currency":"USD","merchant_order_no":"A1","card_no":"400000******0002"}}"#,
    )
    .unwrap();
    assert_eq!(v["class"]["order"], "approved");
    assert_eq!(v["total"], "26.40");
    assert_eq!(v["card"], "400000******0002");
    assert!(matches!(
        decode("nope", b"{}"),
        Err(DecodeError::UnknownKind { .. })
    ));
    assert!(matches!(
        decode("order_response", b"{}"),
        Err(DecodeError::MissingField {
            field: "response_code"
        })
    ));
}
