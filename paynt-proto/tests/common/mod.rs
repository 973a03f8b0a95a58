//! Shared helpers for the pair-harness tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use paynt_proto::sim::{PayntSim, SimConfig};
use paynt_proto::{Config, PayntMachine};
use pos_core::testing::{Pair, PairConfig};
use pos_core::{Currency, IdGen, Money, Operation, Outcome, OutcomeClass, Secret, WallClock};

/// The token both sides share in tests that start paired.
pub const TOKEN: &str = "5820337719046612";
/// 2025-06-14 09:00:00 UTC.
pub const WALL: WallClock = WallClock::new(1_749_891_600_000);

pub fn config() -> Config {
    Config {
        token: Some(Secret::new(TOKEN.into())),
        ..Config::default()
    }
}

pub fn machine_with(config: Config, seed: u64) -> PayntMachine {
    PayntMachine::new(config, IdGen::from_seed(seed), WALL).unwrap()
}

pub fn sim_config() -> SimConfig {
    SimConfig {
        token: Some(TOKEN.into()),
        ..SimConfig::default()
    }
}

pub fn pair_with(config: Config, sim: SimConfig) -> Pair<PayntMachine, PayntSim> {
    let factory_config = config.clone();
    Pair::new(
        machine_with(config, 7),
        PayntSim::new(sim, IdGen::from_seed(99), WALL),
        PairConfig::default(),
    )
    .with_factory(move |seed| machine_with(factory_config.clone(), seed))
    .redact(TOKEN)
}

pub fn pair() -> Pair<PayntMachine, PayntSim> {
    pair_with(config(), sim_config())
}

pub fn eur(minor: i64) -> Money {
    Money::from_minor(minor, Currency::EUR).unwrap()
}

pub fn sale(minor: i64) -> Operation {
    Operation::Sale {
        amount: eur(minor),
        tip: None,
        cashback: None,
        reference: None,
    }
}

pub fn class(outcome: &Outcome) -> OutcomeClass {
    outcome.class()
}

pub fn uti_of(outcome: &Outcome) -> String {
    outcome.references().primary.clone().expect("a UTI")
}
