//! Init and getInfo, driven by hand (they are vendor commands outside `pos_core::Operation`,
//! so the pair harness does not track them).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use codepay_proto::sim::{CodepaySim, SimConfig};
use common::*;
use pos_core::{
    Event, IdGen, Input, Machine, OutcomeClass, SimInput, SimTransmit, Simulator, Timestamp,
    TransmitKind, WallClock,
};

/// Moves messages both ways until both sides are quiet; returns the machine's events.
fn exchange(
    m: &mut codepay_proto::CodepayMachine,
    sim: &mut CodepaySim,
    now: Timestamp,
) -> Vec<Event> {
    let mut events = Vec::new();
    loop {
        let mut moved = false;
        while let Some(e) = m.poll_event() {
            events.push(e);
        }
        while let Some(t) = m.poll_transmit() {
            moved = true;
            match t.kind {
                TransmitKind::Connect { .. } => {
                    sim.handle_input(now, SimInput::Connected);
                    m.handle_input(now, Input::Connected);
                }
                TransmitKind::Text(s) => sim.handle_input(now, SimInput::Text(s)),
                _ => {}
            }
        }
        while let Some(t) = sim.poll_transmit() {
            moved = true;
            if let SimTransmit::Text(s) = t {
                m.handle_input(now, Input::Text(s));
            }
        }
        if !moved {
            return events;
        }
    }
}

#[test]
fn init_and_get_info_report_what_the_terminal_says() {
    let mut m = machine(31, config());
    let mut sim = CodepaySim::new(
        SimConfig::default(),
        IdGen::from_seed(2),
        WallClock::new(WALL),
    );
    let now = Timestamp::from_millis(1);
    exchange(&mut m, &mut sim, now);
    assert!(m.is_connected());

    let mut options = serde_json::Map::new();
    options.insert("confirm_on_terminal".into(), serde_json::Value::Bool(true));
    let txn = m.init(now, &options).unwrap();
    let events = exchange(&mut m, &mut sim, now);
    let report = events.iter().find_map(|e| match e {
        Event::Report { report, .. } if report.kind == "init" => Some(report.clone()),
        _ => None,
    });
    assert!(report.unwrap().raw.unwrap().contains("BANKCARD"));
    assert!(events.iter().any(|e| matches!(e, Event::Finished { txn: t, outcome } if *t == txn && outcome.class() == OutcomeClass::Approved)));

    let txn = m.get_info(now).unwrap();
    let events = exchange(&mut m, &mut sim, now);
    let report = events.iter().find_map(|e| match e {
        Event::Report { report, .. } if report.kind == "device_info" => Some(report.clone()),
        _ => None,
    });
    let fields = report.unwrap().fields;
    assert!(
        fields
            .iter()
            .any(|(k, v)| k == "device_name" && v == "CodePay Simulator")
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Finished { txn: t, .. } if *t == txn))
    );

    // Init made confirm_on_terminal the default: an order that omits it waits for the
    // cashier first (the POS always sends it, so check the simulator directly).
    let order = serde_json::json!({"topic": "ecrhub.pay.order", "app_id": APP_ID, "request_id": "x",
        "biz_data": {"trans_type": "1", "merchant_order_no": "C1", "order_amount": "1.00"}});
    sim.handle_input(now, SimInput::Text(order.to_string()));
    assert_eq!(
        sim.record("C1").unwrap().status,
        "9",
        "waiting for the cashier's confirmation"
    );
    sim.handle_timeout(Timestamp::from_millis(2_001));
    assert_eq!(sim.record("C1").unwrap().status, "0");
}
