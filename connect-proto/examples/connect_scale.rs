//! Scale benchmark: N Connect terminals (a POS machine and a cloud simulator each) running
//! sales back to back on one thread over 10 minutes of virtual time, the POS polling every
//! second. Prints CPU time per transaction and peak memory per in-flight transaction.
//!
//! `cargo run --release -p connect-proto --example connect_scale` (see `BENCHMARKS.md`).
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark binary: it reports on stdout and stops on a broken run"
)]

#[path = "../../pos-core/benches/support/fleet.rs"]
mod fleet;

use connect_proto::sim::{ConnectSim, RateLimit, SimConfig};
use connect_proto::{Config, ConnectMachine};
use fleet::Plan;
use pos_core::{Currency, WallClock};

const WALL: WallClock = WallClock::new(1_767_225_600_000);

fn main() {
    fleet::cli("connect", |terminals, window| Plan {
        terminals,
        window,
        machine: Box::new(|ids| ConnectMachine::new(Config::default(), ids, WALL).unwrap()),
        sim: Box::new(|ids| {
            let config = SimConfig {
                // The POS machine keeps Connect's 100 ms gap itself; the check costs nothing.
                rate_limit: RateLimit::Reject,
                ..SimConfig::default()
            };
            ConnectSim::new(config, ids, WALL)
        }),
        currency: Currency::GBP,
    });
}
