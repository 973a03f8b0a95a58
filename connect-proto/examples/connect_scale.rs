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
use pos_core::{Currency, IdGen, Operation, Scenario, WallClock};

const WALL: WallClock = WallClock::new(1_767_225_600_000);

/// The sales each terminal cycles through: mostly slow customers (a minute of polling), with
/// quick approvals, a decline and a signature check between them.
const MIX: [Scenario; 8] = [
    Scenario::SlowCustomer,
    Scenario::Approve,
    Scenario::SlowCustomer,
    Scenario::Decline,
    Scenario::SlowCustomer,
    Scenario::SignatureCheck,
    Scenario::SlowCustomer,
    Scenario::Approve,
];

fn main() {
    fleet::cli("connect", |terminals, window| Plan {
        terminals,
        window,
        machine: Box::new(|i| {
            ConnectMachine::new(Config::default(), IdGen::from_seed(i as u64 + 1), WALL).unwrap()
        }),
        sim: Box::new(|i, n| {
            let config = SimConfig {
                // The POS machine keeps Connect's 100 ms gap itself; the check costs nothing.
                rate_limit: RateLimit::Reject,
                ..SimConfig::default()
            };
            ConnectSim::new(config, IdGen::from_seed(((i as u64) << 24) | n), WALL)
        }),
        sale: Box::new(|i, n| {
            let scenario = MIX[(i + usize::try_from(n).unwrap_or(0)) % MIX.len()];
            Operation::Sale {
                amount: scenario.amount(12, Currency::GBP).unwrap(),
                tip: None,
                cashback: None,
                reference: None,
            }
        }),
    });
}
