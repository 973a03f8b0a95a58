//! Bad input — malformed JSON, wrong JSON types, missing fields, oversize frames, unknown
//! topics, a second order while busy — gives a typed error or an event, never a panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers outside #[test] fns

mod common;

use codepay_proto::serial::{Role, SerialConfig, SerialLink, parse_frame};
use codepay_proto::sim::{CodepaySim, SimConfig, SimEvent};
use codepay_proto::{CodecError, DecodeError, SerialError, decode};
use common::*;
use pos_core::{
    CommandError, Event, IdGen, Input, Machine, Notice, Operation, SimInput, SimTransmit,
    Simulator, Timestamp, WallClock,
};

fn t(ms: u64) -> Timestamp {
    Timestamp::from_millis(ms)
}

/// A connected machine with a sale in flight; returns it and the order's request.
fn machine_in_flight() -> (codepay_proto::CodepayMachine, serde_json::Value) {
    let mut m = machine(11, config());
    let _ = m.poll_transmit();
    m.handle_input(t(1), Input::Connected);
    m.start(t(2), sale(2000)).unwrap();
    let order = serde_json::from_str(&drain_texts(&mut m)[0]).unwrap();
    (m, order)
}

fn notices(m: &mut codepay_proto::CodepayMachine) -> Vec<Notice> {
    let mut out = Vec::new();
    while let Some(e) = m.poll_event() {
        match e {
            Event::Notice(n) => out.push(n),
            Event::Finished { outcome, .. } => panic!("finished on bad input: {outcome:?}"),
            _ => {}
        }
    }
    out
}

#[test]
fn malformed_json_is_a_protocol_error_and_the_order_goes_on() {
    let (mut m, _) = machine_in_flight();
    for bad in ["{", "[1,2]", "\"text\"", "null", "", "{\"topic\":}"] {
        m.handle_input(t(10), Input::Text(bad.into()));
        let n = notices(&mut m);
        assert!(
            matches!(n.as_slice(), [Notice::ProtocolError { .. }]),
            "{bad:?}: {n:?}"
        );
    }
    m.handle_input(t(10), Input::Binary(vec![0xff, 0x00, 0xfe]));
    assert!(matches!(
        notices(&mut m).as_slice(),
        [Notice::ProtocolError { .. }]
    ));
    assert!(m.is_connected());
}

#[test]
fn wrong_json_types_never_finish_as_declined() {
    let (mut m, order) = machine_in_flight();
    let rid = order["request_id"].clone();
    // response_code an object, biz_data an array: the result is unknown, so recovery starts.
    let msg = serde_json::json!({"topic": "ecrhub.pay.order", "request_id": rid,
        "response_code": {"x": 1}, "biz_data": [1, 2]});
    m.handle_input(t(10), Input::Text(msg.to_string()));
    let mut recovering = false;
    while let Some(e) = m.poll_event() {
        match e {
            Event::Progress { progress, .. } => {
                recovering |= progress.stage == pos_core::Stage::Recovering;
            }
            Event::Finished { outcome, .. } => panic!("{outcome:?}"),
            _ => {}
        }
    }
    assert!(recovering);
    let sent = drain_texts(&mut m);
    assert!(sent.iter().any(|s| s.contains("ecrhub.pay.close")));
    assert!(
        !sent.iter().any(|s| s.contains("ecrhub.pay.order")),
        "never re-sent"
    );
}

#[test]
fn missing_fields_are_unknown_not_approved() {
    let (mut m, order) = machine_in_flight();
    // Success without trans_status does not prove payment (§7.2).
    let msg = serde_json::json!({"topic": "ecrhub.pay.order", "request_id": order["request_id"],
        "response_code": "000"});
    m.handle_input(t(10), Input::Text(msg.to_string()));
    let events: Vec<Event> = std::iter::from_fn(|| m.poll_event()).collect();
    assert!(!events.iter().any(|e| matches!(e, Event::Finished { .. })));
    assert!(
        drain_texts(&mut m)
            .iter()
            .any(|s| s.contains("ecrhub.pay.close"))
    );
}

#[test]
fn a_response_naming_another_order_is_not_taken() {
    let (mut m, order) = machine_in_flight();
    let msg = serde_json::json!({"topic": "ecrhub.pay.order", "request_id": order["request_id"],
        "response_code": "000", "biz_data": {"merchant_order_no": "OTHER1", "trans_status": "2"}});
    m.handle_input(t(10), Input::Text(msg.to_string()));
    let events: Vec<Event> = std::iter::from_fn(|| m.poll_event()).collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Notice(Notice::ProtocolError { .. })))
    );
    assert!(!events.iter().any(|e| matches!(e, Event::Finished { .. })));
}

#[test]
fn unknown_topics_and_strangers_are_unsolicited() {
    let (mut m, _) = machine_in_flight();
    let msg = serde_json::json!({"topic": "ecrhub.pay.mystery", "request_id": "zzz", "response_code": "000"});
    m.handle_input(t(10), Input::Text(msg.to_string()));
    assert!(matches!(
        notices(&mut m).as_slice(),
        [Notice::Unsolicited { .. }]
    ));
    // Another order's result is never taken as the current one.
    let msg = serde_json::json!({"topic": "ecrhub.pay.order", "response_code": "000",
        "biz_data": {"merchant_order_no": "SOMEONEELSE", "trans_status": "2"}});
    m.handle_input(t(11), Input::Text(msg.to_string()));
    assert!(matches!(
        notices(&mut m).as_slice(),
        [Notice::Unsolicited { .. }]
    ));
    // JSON heartbeats are dropped silently.
    m.handle_input(t(12), Input::Text(r#"{"topic":"ecrhub.heartbeat"}"#.into()));
    assert!(notices(&mut m).is_empty());
}

#[test]
fn a_second_order_while_busy_is_refused_and_changes_nothing() {
    let (mut m, _) = machine_in_flight();
    assert_eq!(m.start(t(20), sale(100)), Err(CommandError::Busy));
    assert_eq!(
        m.start(t(20), Operation::BatchClose),
        Err(CommandError::Busy)
    );
    assert!(m.poll_event().is_none());
    assert!(m.poll_transmit().is_none());
}

#[test]
fn commands_are_validated_locally() {
    let mut m = machine(12, config());
    let _connect = m.poll_transmit();
    assert_eq!(m.start(t(0), sale(100)), Err(CommandError::NotConnected));
    m.handle_input(t(1), Input::Connected);
    while m.poll_event().is_some() {}
    assert!(matches!(
        m.start(t(2), sale(0)),
        Err(CommandError::AmountNotAccepted { .. })
    ));
    let bad_ref = Operation::Sale {
        amount: usd(100),
        tip: None,
        cashback: None,
        reference: Some("no-dashes".into()),
    };
    assert!(matches!(
        m.start(t(2), bad_ref),
        Err(CommandError::InvalidReference { .. })
    ));
    let long = Operation::Sale {
        amount: usd(100_000_000_000_000),
        tip: None,
        cashback: None,
        reference: None,
    };
    assert!(matches!(
        m.start(t(2), long),
        Err(CommandError::AmountNotAccepted { .. })
    ));
    let mixed = Operation::Sale {
        amount: usd(100),
        tip: Some(pos_core::Money::from_minor(10, pos_core::Currency::EUR).unwrap()),
        cashback: None,
        reference: None,
    };
    assert!(matches!(
        m.start(t(2), mixed),
        Err(CommandError::InvalidAmount(_))
    ));
    let void = Operation::Void {
        original: "x y".into(),
        reference: None,
    };
    assert!(matches!(
        m.start(t(2), void),
        Err(CommandError::InvalidReference { .. })
    ));
    assert!(m.poll_event().is_none());
    assert!(m.poll_transmit().is_none());
    assert!(matches!(
        m.cancel(t(3), pos_core::TxnId(1)),
        Err(CommandError::UnknownTransaction { .. })
    ));
}

#[test]
fn invalid_configuration_is_a_typed_error() {
    let bad = codepay_proto::Config {
        app_id: "has space".into(),
        ..config()
    };
    assert!(matches!(
        codepay_proto::CodepayMachine::new(bad, IdGen::from_seed(1), WallClock::new(0)),
        Err(codepay_proto::ConfigError::AppId { .. })
    ));
}

#[test]
fn oversize_and_corrupt_serial_frames() {
    let mut pos = SerialLink::new(Role::Pos, SerialConfig::default());
    assert_eq!(pos.send(t(0), b"{}".to_vec()), Err(SerialError::LinkDown));
    assert_eq!(pos.send(t(0), Vec::new()), Err(SerialError::Empty));
    assert!(matches!(
        pos.send(t(0), vec![b'x'; 2000]),
        Err(SerialError::TooLarge { .. })
    ));
    let header = [0x55, 0xAA, 0x00, 0x00, 0x01, 0xFF, 0xFF];
    assert!(matches!(
        parse_frame(&header, 4096),
        Err(CodecError::TooLong { len: 65535, .. })
    ));
    let mut term = SerialLink::new(Role::Terminal, SerialConfig::terminal());
    term.handle_bytes(t(0), &header);
    term.handle_bytes(t(0), &[0x13; 5000]);
    assert!(term.poll_payload().is_none());
    assert!(matches!(
        decode("serial_frame", &header),
        Err(DecodeError::Frame(CodecError::TooLong { .. }))
    ));
}

#[test]
fn a_huge_websocket_message_is_dropped() {
    let (mut m, _) = machine_in_flight();
    let huge = format!("{{\"topic\":\"x\",\"pad\":\"{}\"", "a".repeat(1 << 20));
    m.handle_input(t(10), Input::Text(huge));
    assert!(matches!(
        notices(&mut m).as_slice(),
        [Notice::ProtocolError { .. }]
    ));
}

#[test]
fn decode_gives_typed_errors() {
    assert!(matches!(
        decode("order_response", b"\xff"),
        Err(DecodeError::NotUtf8 { .. })
    ));
    assert!(matches!(
        decode("order_response", b"{"),
        Err(DecodeError::NotJson { .. })
    ));
    assert!(matches!(
        decode("order_response", b"[]"),
        Err(DecodeError::NotAnObject { .. })
    ));
    assert!(matches!(
        decode("request", br#"{"biz_data":{}}"#),
        Err(DecodeError::MissingField { field: "topic" })
    ));
    assert!(matches!(
        decode("request", br#"{"topic":"t","response_code":"0"}"#),
        Err(DecodeError::Unexpected { .. })
    ));
    assert!(matches!(
        decode("frame", b"{}"),
        Err(DecodeError::UnknownKind { .. })
    ));
}

// ----- the simulator's validation table (§13.3) -------------------------------------------

fn sim_reply(
    sim: &mut CodepaySim,
    now: Timestamp,
    msg: &serde_json::Value,
) -> Option<serde_json::Value> {
    sim.handle_input(now, SimInput::Text(msg.to_string()));
    std::iter::from_fn(|| sim.poll_transmit()).find_map(|t| match t {
        SimTransmit::Text(s) => serde_json::from_str(&s).ok(),
        _ => None,
    })
}

#[allow(clippy::needless_pass_by_value)] // reads better at the call sites
fn order(biz: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"topic": "ecrhub.pay.order", "app_id": APP_ID, "request_id": "r1", "biz_data": biz})
}

#[test]
fn simulator_validation_table() {
    let config = SimConfig {
        app_id: Some(APP_ID.into()),
        allow_unreferenced_refund: false,
        ..SimConfig::default()
    };
    let mut sim = CodepaySim::new(config, IdGen::from_seed(1), WallClock::new(WALL));
    sim.handle_input(t(0), SimInput::Connected);
    let cases: Vec<(serde_json::Value, &str)> = vec![
        (serde_json::json!({"app_id": APP_ID}), "202"),
        (
            serde_json::json!({"topic": "ecrhub.nope", "app_id": APP_ID}),
            "202",
        ),
        (
            serde_json::json!({"topic": "ecrhub.pay.order", "app_id": "other"}),
            "202",
        ),
        (order(serde_json::json!({"merchant_order_no": "A1"})), "202"),
        (
            order(serde_json::json!({"trans_type": "5", "merchant_order_no": "A1"})),
            "114",
        ),
        (
            order(
                serde_json::json!({"trans_type": "1", "merchant_order_no": "A-1", "order_amount": "1"}),
            ),
            "202",
        ),
        (
            order(
                serde_json::json!({"trans_type": "1", "merchant_order_no": "A1", "order_amount": "1", "pay_scenario": "CASH"}),
            ),
            "117",
        ),
        (
            order(
                serde_json::json!({"trans_type": "1", "merchant_order_no": "A1", "order_amount": "1", "pay_scenario": "SCANQR_PAY"}),
            ),
            "202",
        ),
        (
            order(serde_json::json!({"trans_type": "1", "merchant_order_no": "A1"})),
            "202",
        ),
        (
            order(
                serde_json::json!({"trans_type": "11", "merchant_order_no": "A1", "order_amount": "1"}),
            ),
            "202",
        ),
        (
            order(
                serde_json::json!({"trans_type": "1", "merchant_order_no": "A1", "order_amount": "1.005"}),
            ),
            "121",
        ),
        (
            order(
                serde_json::json!({"trans_type": "1", "merchant_order_no": "A1", "order_amount": "1234567890123"}),
            ),
            "121",
        ),
        (
            order(
                serde_json::json!({"trans_type": "1", "merchant_order_no": "A1", "order_amount": "0"}),
            ),
            "120",
        ),
        (
            order(
                serde_json::json!({"trans_type": "1", "merchant_order_no": "A1", "order_amount": "1000000.00"}),
            ),
            "120",
        ),
        (
            order(
                serde_json::json!({"trans_type": "1", "merchant_order_no": "A1", "order_amount": "1", "price_currency": "EUR"}),
            ),
            "202",
        ),
        (
            order(serde_json::json!({"trans_type": "2", "merchant_order_no": "A1"})),
            "202",
        ),
        (
            order(
                serde_json::json!({"trans_type": "3", "merchant_order_no": "A1", "order_amount": "1"}),
            ),
            "202",
        ),
        (
            order(
                serde_json::json!({"trans_type": "2", "merchant_order_no": "A1", "orig_merchant_order_no": "NOPE"}),
            ),
            "104",
        ),
        (
            serde_json::json!({"topic": "ecrhub.pay.query", "app_id": APP_ID, "request_id": "q", "biz_data": {"merchant_order_no": "NOPE"}}),
            "104",
        ),
        (
            serde_json::json!({"topic": "ecrhub.pay.close", "app_id": APP_ID, "request_id": "c", "biz_data": {}}),
            "104",
        ),
        (
            serde_json::json!({"topic": "ecrhub.pay.tip.adjustment", "app_id": APP_ID, "biz_data": {"merchant_order_no": "NOPE", "tip_adjustment_amount": "1"}}),
            "104",
        ),
    ];
    for (msg, code) in cases {
        let reply = sim_reply(&mut sim, t(1), &msg).unwrap_or_else(|| panic!("no reply to {msg}"));
        assert_eq!(reply["response_code"], code, "{msg}");
    }
    assert!(sim.records().is_empty(), "failed requests create no record");
    // Busy (101) and duplicate (113).
    let ok = order(
        serde_json::json!({"trans_type": "1", "merchant_order_no": "A1", "order_amount": "1"}),
    );
    assert!(
        sim_reply(&mut sim, t(2), &ok).is_none(),
        "accepted: answered after the card flow"
    );
    let second = order(
        serde_json::json!({"trans_type": "1", "merchant_order_no": "B1", "order_amount": "1"}),
    );
    assert_eq!(
        sim_reply(&mut sim, t(3), &second).unwrap()["response_code"],
        "101"
    );
    sim.handle_timeout(t(4_000));
    let reply = std::iter::from_fn(|| sim.poll_transmit()).count();
    assert_eq!(reply, 1);
    assert_eq!(
        sim_reply(&mut sim, t(4_001), &ok).unwrap()["response_code"],
        "113"
    );
    // Not JSON: no response, an event.
    sim.handle_input(t(5_000), SimInput::Text("garbage".into()));
    assert!(sim.poll_transmit().is_none());
    assert!(matches!(
        sim.poll_event(),
        Some(SimEvent::OrderAccepted { .. })
    ));
    assert!(matches!(
        sim.poll_event(),
        Some(SimEvent::ProtocolError { .. })
    ));
}

#[test]
fn operator_cancel_ends_the_running_order_with_110() {
    let mut sim = CodepaySim::new(
        SimConfig::default(),
        IdGen::from_seed(1),
        WallClock::new(WALL),
    );
    sim.handle_input(t(0), SimInput::Connected);
    assert!(!sim.operator_cancel(t(0)));
    let ok = order(
        serde_json::json!({"trans_type": "1", "merchant_order_no": "A1", "order_amount": "1"}),
    );
    assert!(sim_reply(&mut sim, t(1), &ok).is_none());
    assert!(sim.operator_cancel(t(500)));
    let reply: serde_json::Value = match sim.poll_transmit() {
        Some(SimTransmit::Text(s)) => serde_json::from_str(&s).unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(reply["response_code"], "110");
    assert_eq!(sim.record("A1").unwrap().status, "1");
}

#[test]
fn a_different_amount_in_the_result_is_flagged() {
    let (mut m, order) = machine_in_flight();
    let msg = serde_json::json!({"topic": "ecrhub.pay.order", "request_id": order["request_id"],
        "response_code": "000", "biz_data": {"merchant_order_no": order["biz_data"]["merchant_order_no"],
        "trans_status": "2", "order_amount": "19.99", "price_currency": "EUR"}});
    m.handle_input(t(10), Input::Text(msg.to_string()));
    let events: Vec<Event> = std::iter::from_fn(|| m.poll_event()).collect();
    let flags: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::Notice(Notice::ProtocolError { detail }) => Some(detail.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        flags.iter().any(|d| d.starts_with("amount_mismatch")),
        "{flags:?}"
    );
    assert!(
        flags.iter().any(|d| d.starts_with("currency_mismatch")),
        "{flags:?}"
    );
    assert!(events.iter().any(|e| matches!(e, Event::Finished { .. })));
}
