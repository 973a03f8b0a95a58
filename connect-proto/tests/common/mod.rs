//! Shared helpers for the integration tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use connect_proto::sim::{ConnectSim, SimConfig};
use connect_proto::{Config, ConnectMachine};
use pos_core::testing::{Pair, PairConfig};
use pos_core::{Currency, IdGen, Money, Operation, Scenario, WallClock};

pub const WALL: WallClock = WallClock::new(1_767_225_600_000);

pub fn machine(config: Config, seed: u64) -> ConnectMachine {
    ConnectMachine::new(config, IdGen::from_seed(seed), WALL).unwrap()
}

pub fn pair_with(config: Config, sim: SimConfig) -> Pair<ConnectMachine, ConnectSim> {
    let c2 = config.clone();
    Pair::new(
        machine(config, 1),
        ConnectSim::new(sim, IdGen::from_seed(2), WALL),
        PairConfig::default(),
    )
    .with_factory(move |seed| machine(c2.clone(), seed))
    .redact("sim-api-key")
}

pub fn pair() -> Pair<ConnectMachine, ConnectSim> {
    pair_with(Config::default(), SimConfig::default())
}

pub fn gbp(minor: i64) -> Money {
    Money::from_minor(minor, Currency::GBP).unwrap()
}

pub fn sale(minor: i64) -> Operation {
    Operation::Sale {
        amount: gbp(minor),
        tip: None,
        cashback: None,
        reference: None,
    }
}

pub fn scenario_sale(s: Scenario) -> Operation {
    Operation::Sale {
        amount: s.amount(12, Currency::GBP).unwrap(),
        tip: None,
        cashback: None,
        reference: None,
    }
}
