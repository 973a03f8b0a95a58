//! CodePay end to end: the real machine against its simulator served over WebSocket on
//! loopback, the server answering `101 Web Socket Protocol Handshake` as the terminal does.
//! Both clocks run at [`common::SPEED`]: the lost-result recovery (180 s) takes 9 s.
#![allow(missing_docs, clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::codepay::{connected, driver, sale, server};
use pos_core::{OutcomeClass, Scenario, Truth};

/// Real seconds each transaction may take.
const LIMIT: u64 = 30;

fn scenario(s: Scenario) {
    let sim = server();
    let mut d = driver(&sim);
    connected(&mut d);
    let outcome = common::run(&mut d, sale(common::minor_of(s)), LIMIT);
    common::check("codepay", s, &outcome, &sim);
}

#[test]
fn every_shared_scenario_ends_as_the_table_says() {
    common::each(&Scenario::SHARED, scenario);
}

#[test]
fn a_connection_killed_by_the_terminal_mid_transaction_is_recovered() {
    let sim = server();
    let mut d = driver(&sim);
    connected(&mut d);
    // The terminal approves, and the TCP connection dies instead of carrying the result.
    sim.kill_on("ecrhub.pay.order");
    let outcome = common::run(&mut d, sale(1000), LIMIT);
    assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
    assert_eq!(sim.truth(outcome.references()), Some(Truth::Approved));
    assert_eq!(sim.pending_kills(), 0, "the connection was killed");
}
