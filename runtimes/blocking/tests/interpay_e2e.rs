//! InterPay end to end: the real machine against its gateway simulator over HTTP on
//! loopback; results come back as callbacks the server delivers with a real HTTP client to
//! the driver's [`pos_blocking::CallbackListener`]. At [`common::SPEED`] the callback
//! deadline (300 s) before recovery takes 15 s.
#![allow(missing_docs, clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::interpay::{driver, listener, sale, server};
use pos_core::{OutcomeClass, Scenario};

/// Real seconds each transaction may take.
const LIMIT: u64 = 40;

fn scenario(s: Scenario) {
    let sim = server(0);
    let listener = listener();
    let mut d = driver(&sim, &listener, "till-1", "FRONTDESK-2");
    let outcome = common::run(&mut d, sale(common::minor_of(s)), LIMIT);
    common::check("interpay", s, &outcome, &sim);
}

#[test]
fn every_shared_scenario_ends_as_the_table_says() {
    common::each(&Scenario::SHARED, scenario);
}

#[test]
fn a_start_reply_killed_by_the_gateway_is_settled_by_the_callback() {
    let sim = server(0);
    let listener = listener();
    let mut d = driver(&sim, &listener, "till-1", "FRONTDESK-2");
    // The gateway starts the session, and the TCP connection dies instead of carrying the
    // reply: the machine must not start again, and the callback settles it.
    sim.kill_on("\"SECUREID\"");
    let outcome = common::run(&mut d, sale(1000), LIMIT);
    assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
    common::agrees_with_truth("interpay", &outcome, &sim);
    assert_eq!(sim.pending_kills(), 0, "the connection was killed");
}

#[test]
fn tills_share_one_listener_by_path() {
    let sim = server(2);
    let listener = listener();
    let real_time = pos_blocking::Clock::start();
    let threads: Vec<_> = [(0, 1000), (1, 1251)]
        .into_iter()
        .map(|(n, minor)| {
            let mut d = driver(&sim, &listener, &format!("till-{n}"), &format!("LANE-{n}"));
            std::thread::spawn(move || (minor, common::run(&mut d, sale(minor), LIMIT)))
        })
        .collect();
    for t in threads {
        let (minor, outcome) = t.join().unwrap();
        let expected = Scenario::from_minor_units(minor).expected().unwrap();
        assert_eq!(outcome.class(), expected, "{minor}: {outcome:?}");
        common::agrees_with_truth("interpay", &outcome, &sim);
    }
    // Recovery would only start after the 300 s callback deadline (15 s here): the results
    // came by callback.
    let took = real_time.now().as_millis();
    assert!(took < 10_000, "took {took} ms");
}
