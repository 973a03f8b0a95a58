//! CodePay end to end on smol: the real machine against its simulator served over WebSocket
//! on loopback, the server answering `101 Web Socket Protocol Handshake` as the terminal
//! does. Both clocks run at [`common::SPEED`]: the lost-result recovery (180 s) takes 9 s.
#![allow(
    missing_docs,
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use common::codepay::{connected, driver, sale, server};
use pos_blocking::server::CODEPAY_REASON;
use pos_core::{OutcomeClass, Scenario, Truth};

/// Real seconds each transaction may take.
const LIMIT: u64 = 30;

#[test]
fn every_shared_scenario_ends_as_the_table_says() {
    assert_eq!(CODEPAY_REASON, "Web Socket Protocol Handshake");
    common::each(&Scenario::SHARED, |spawner, s| async move {
        let sim = server();
        let mut d = driver(&sim, spawner);
        connected(&mut d).await;
        let outcome = common::run(&mut d, sale(common::minor_of(s)), LIMIT).await;
        common::check("codepay", s, &outcome, &sim);
    });
}

#[test]
fn a_connection_killed_by_the_terminal_mid_transaction_is_recovered() {
    common::on_one_thread(|spawner| async move {
        let sim = server();
        let mut d = driver(&sim, spawner);
        connected(&mut d).await;
        // The terminal approves, and the TCP connection dies instead of carrying the result.
        sim.kill_on("ecrhub.pay.order");
        let outcome = common::run(&mut d, sale(1000), LIMIT).await;
        assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
        assert_eq!(sim.truth(outcome.references()), Some(Truth::Approved));
        assert_eq!(sim.pending_kills(), 0, "the connection was killed");
    });
}

#[test]
fn two_sales_in_a_row_share_the_connection() {
    common::on_one_thread(|spawner| async move {
        let sim = server();
        let mut d = driver(&sim, spawner);
        connected(&mut d).await;
        let first = common::run(&mut d, sale(1250), LIMIT).await;
        assert_eq!(first.class(), OutcomeClass::Approved, "{first:?}");
        let second = common::run(&mut d, sale(1251), LIMIT).await;
        assert_eq!(second.class(), OutcomeClass::Declined, "{second:?}");
        assert!(d.machine().is_connected());
    });
}
