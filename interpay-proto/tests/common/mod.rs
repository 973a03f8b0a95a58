//! Shared helpers for the integration tests.
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use interpay_proto::sim::{InterpaySim, SimConfig, example_pos_config};
use interpay_proto::{Config, InterpayMachine};
use pos_core::testing::{Pair, PairConfig};
use pos_core::{Currency, IdGen, Money, Operation, WallClock};

pub const WALL: WallClock = WallClock::new(1_778_336_000_000);

pub fn config() -> Config {
    Config {
        customer_email: "sam.lee@example.net".into(),
        ..example_pos_config()
    }
}

pub fn machine(config: &Config, seed: u64) -> InterpayMachine {
    InterpayMachine::new(config.clone(), IdGen::from_seed(seed), WALL).unwrap()
}

pub type IpPair = Pair<InterpayMachine, InterpaySim>;

pub fn pair_with(config: Config, sim: SimConfig) -> IpPair {
    let m = machine(&config, 7);
    let sim = InterpaySim::new(sim, IdGen::from_seed(99), WALL);
    Pair::new(m, sim, PairConfig::default())
        .with_factory(move |seed| machine(&config, seed))
        .redact("example-pass")
}

pub fn pair() -> IpPair {
    pair_with(config(), SimConfig::default())
}

pub fn cad(minor: i64) -> Money {
    Money::from_minor(minor, Currency::CAD).unwrap()
}

pub fn sale(minor: i64) -> Operation {
    Operation::Sale {
        amount: cad(minor),
        tip: None,
        cashback: None,
        reference: None,
    }
}

pub fn refund(minor: i64) -> Operation {
    Operation::Refund {
        amount: cad(minor),
        original: None,
        reference: None,
    }
}

/// The transcript with every callback token shown by its first four characters only.
pub fn transcript(pair: &IpPair) -> String {
    let mut text = pair.transcript();
    for record in pair.records().values() {
        if let Some(token) = record
            .persisted
            .as_ref()
            .and_then(|p| p.secrets.get("token"))
        {
            let t = token.expose();
            text = text.replace(t.as_str(), &format!("{}…", &t[..4]));
        }
    }
    text
}
