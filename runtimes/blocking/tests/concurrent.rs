//! Many terminals at once: 50 concurrent transactions, each on its own driver thread,
//! across Paynt HTTPS simulators, toy WebSocket terminals and a toy callback gateway sharing
//! one callback listener.
#![allow(clippy::unwrap_used, missing_docs)]

mod toy;

use std::sync::Arc;
use std::time::Duration;

use paynt_proto::sim::{PayntSim, SimConfig};
use paynt_proto::{Config, PayntMachine};
use pos_blocking::server::{SimServer, SimServerConfig};
use pos_blocking::{CallbackListener, Clock, Driver};
use pos_core::*;
use toy::sim::ToySim;
use toy::{Link, Toy, sale};

const TOKEN: &str = "5820337719046612";
const LIMIT: Duration = Duration::from_secs(60);

fn scaled(tls: bool) -> SimServerConfig {
    SimServerConfig {
        tls,
        time_scale: 20,
        ..SimServerConfig::default()
    }
}

fn paynt(minor: i64) -> (OutcomeClass, OutcomeClass) {
    let clock = Clock::start();
    let sim = PayntSim::new(
        SimConfig {
            token: Some(TOKEN.into()),
            card_timeout: Duration::from_secs(600),
            ..SimConfig::default()
        },
        pos_blocking::os_ids().unwrap(),
        clock.wall(),
    );
    let server = SimServer::start(sim, scaled(true)).unwrap();
    let config = Config {
        host: "127.0.0.1".into(),
        port: server.local_addr().port(),
        token: Some(Secret::new(TOKEN.into())),
        pinned_fingerprint: server.fingerprint(),
        ..Config::default()
    };
    let machine = PayntMachine::new(config, pos_blocking::os_ids().unwrap(), clock.wall()).unwrap();
    let mut d = Driver::new(machine, clock);
    let op = Operation::Sale {
        amount: Money::from_minor(minor, Currency::EUR).unwrap(),
        tip: None,
        cashback: None,
        reference: None,
    };
    let txn = d.start(op).unwrap();
    let outcome = d.finish_within(txn, LIMIT, |_| None).unwrap();
    let expected = Scenario::from_minor_units(minor).expected().unwrap();
    (outcome.class(), expected)
}

fn toy_expected(minor: i64) -> OutcomeClass {
    if minor % 100 == 51 {
        OutcomeClass::Declined
    } else {
        OutcomeClass::Approved
    }
}

#[test]
fn fifty_concurrent_transactions_end_as_expected() {
    let gateway = Arc::new(SimServer::start(ToySim::new(), scaled(false)).unwrap());
    let listener = Arc::new(CallbackListener::bind("127.0.0.1:0".parse().unwrap(), None).unwrap());
    let mut threads = Vec::new();
    for n in 0..50_i64 {
        let gateway = gateway.clone();
        let listener = listener.clone();
        threads.push(std::thread::spawn(move || match n % 3 {
            0 => {
                let cents =
                    i64::from(Scenario::SHARED[usize::try_from(n / 3).unwrap() % 8].cents());
                paynt(1000 + cents)
            }
            1 => {
                let minor = [1250, 1251, 1253][usize::try_from(n % 9 / 3).unwrap()];
                let terminal = SimServer::start(ToySim::new(), scaled(false)).unwrap();
                let clock = Clock::start();
                let link = Link::Ws {
                    url: terminal.ws_url(),
                };
                let toy = Toy::new(link, pos_blocking::os_ids().unwrap(), clock.wall());
                let mut d = Driver::new(toy, clock);
                let txn = d.start(sale(minor)).unwrap();
                let outcome = d.finish_within(txn, LIMIT, |_| None).unwrap();
                (outcome.class(), toy_expected(minor))
            }
            _ => {
                let minor = [1250, 1251, 1253][usize::try_from(n % 9 / 3).unwrap()];
                let prefix = format!("till-{n}/");
                let link = Link::Http {
                    base: gateway.base_url(),
                    tls: TlsTrust::WebPki,
                    callback: Some(listener.url_for(&format!("{prefix}result"))),
                };
                let clock = Clock::start();
                let toy = Toy::new(link, pos_blocking::os_ids().unwrap(), clock.wall());
                let mut d = Driver::new(toy, clock).with_callbacks(listener.route(&prefix));
                let txn = d.start(sale(minor)).unwrap();
                let outcome = d.finish_within(txn, LIMIT, |_| None).unwrap();
                (outcome.class(), toy_expected(minor))
            }
        }));
    }
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(results.len(), 50);
    for (n, (got, expected)) in results.iter().enumerate() {
        assert_eq!(got, expected, "transaction {n}");
    }
}
