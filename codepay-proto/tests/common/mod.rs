//! Shared helpers of the integration tests.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use codepay_proto::sim::{CodepaySim, SimConfig};
use codepay_proto::{CodepayMachine, Config};
use pos_core::testing::{Pair, PairConfig};
use pos_core::{Currency, IdGen, Money, Operation, Outcome, TxnId, WallClock};

pub const APP_ID: &str = "wz0123456789abcdef";
pub const WALL: u64 = 1_767_264_120_000;

pub type CodepayPair = Pair<CodepayMachine, CodepaySim>;

pub fn config() -> Config {
    Config::new("192.0.2.10", APP_ID)
}

pub fn machine(seed: u64, config: Config) -> CodepayMachine {
    CodepayMachine::new(config, IdGen::from_seed(seed), WallClock::new(WALL)).unwrap()
}

pub fn sim_with(config: SimConfig) -> CodepaySim {
    CodepaySim::new(config, IdGen::from_seed(99), WallClock::new(WALL))
}

/// A connected pair with default configurations and a crash factory.
pub fn pair() -> CodepayPair {
    pair_with(config(), SimConfig::default())
}

pub fn pair_with(config: Config, sim: SimConfig) -> CodepayPair {
    let factory_config = config.clone();
    let mut pair = Pair::new(machine(1, config), sim_with(sim), PairConfig::default())
        .with_factory(move |seed| machine(seed, factory_config.clone()));
    assert!(pair.run_until(|p| p.pos().is_connected()));
    pair
}

pub fn usd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::USD).unwrap()
}

pub fn sale(minor: i64) -> Operation {
    Operation::Sale {
        amount: usd(minor),
        tip: None,
        cashback: None,
        reference: None,
    }
}

/// Runs a sale to its end and returns the outcome and its primary reference.
pub fn approved_sale(pair: &mut CodepayPair, minor: i64) -> (TxnId, String) {
    let txn = pair.start(sale(minor)).unwrap();
    let outcome = pair.run_until_finished(txn);
    assert!(matches!(outcome, Outcome::Approved(_)), "{outcome:?}");
    let primary = outcome.references().primary.clone().unwrap();
    (txn, primary)
}

/// The number of order frames the POS sent in the transcript.
pub fn order_frames(pair: &CodepayPair) -> usize {
    pair.transcript()
        .lines()
        .filter(|l| l.contains("pos→sim") && l.contains(r#""topic":"ecrhub.pay.order""#))
        .count()
}

/// Drains a machine's events and returns the texts it sends.
pub fn drain_texts(m: &mut CodepayMachine) -> Vec<String> {
    use pos_core::{Machine, TransmitKind};
    while m.poll_event().is_some() {}
    let mut out = Vec::new();
    while let Some(t) = m.poll_transmit() {
        if let TransmitKind::Text(s) = t.kind {
            out.push(s);
        }
    }
    out
}
