//! Connect end to end on smol: the real machine against its cloud simulator over HTTP on
//! loopback, with Basic auth on every request, polling at [`common::SPEED`] times real time.
#![allow(
    missing_docs,
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use common::connect::{TID, config, driver, money_requests, sale, server};
use pos_core::{OutcomeClass, Scenario, Secret};
use pos_smol::{Driver, os_ids};

/// Real seconds each transaction may take.
const LIMIT: u64 = 30;

#[test]
fn every_shared_scenario_ends_as_the_table_says() {
    common::each(&Scenario::SHARED, |spawner, s| async move {
        let sim = server(0);
        let mut d = driver(&sim, TID, spawner);
        let outcome = common::run(&mut d, sale(common::minor_of(s)), LIMIT).await;
        common::check("connect", s, &outcome, &sim);
        let sent = money_requests(&sim);
        assert!(sent <= 1, "{s}: {sent} money requests");
    });
}

#[test]
fn a_poll_killed_by_the_cloud_mid_transaction_is_recovered() {
    common::on_one_thread(|spawner| async move {
        let sim = server(0);
        let mut d = driver(&sim, TID, spawner);
        sim.kill_on("PIN_ENTRY");
        let outcome = common::run(&mut d, sale(1000), LIMIT).await;
        assert_eq!(outcome.class(), OutcomeClass::Approved, "{outcome:?}");
        common::agrees_with_truth("connect", &outcome, &sim);
        assert_eq!(sim.pending_kills(), 0, "the connection was killed");
        assert_eq!(money_requests(&sim), 1);
    });
}

#[test]
fn a_wrong_api_key_is_rejected_without_a_transaction() {
    common::on_one_thread(|spawner| async move {
        let sim = server(0);
        let clock = common::clock();
        let config = connect_proto::Config {
            api_key: Secret::new("not-the-key".into()),
            ..config(&sim, TID)
        };
        let machine =
            connect_proto::ConnectMachine::new(config, os_ids().unwrap(), clock.wall()).unwrap();
        let mut d = Driver::new(machine, clock).with_spawner(spawner);
        let outcome = common::run(&mut d, sale(1000), LIMIT).await;
        assert_eq!(outcome.class(), OutcomeClass::Rejected, "{outcome:?}");
        assert_eq!(money_requests(&sim), 0);
    });
}
