//! Scale benchmark: N InterPay sessions (a POS machine and a gateway simulator each) running
//! sales back to back on one thread over 10 minutes of virtual time; outcomes arrive as
//! callbacks. Prints CPU time per transaction and peak memory per in-flight transaction.
//!
//! `cargo run --release -p interpay-proto --example interpay_scale` (see `BENCHMARKS.md`).
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

use fleet::Plan;
use interpay_proto::InterpayMachine;
use interpay_proto::sim::{InterpaySim, SimConfig, example_pos_config};
use pos_core::{Currency, WallClock};

const WALL: WallClock = WallClock::new(1_778_336_000_000);

fn main() {
    fleet::cli("interpay", |terminals, window| Plan {
        terminals,
        window,
        machine: Box::new(|ids| InterpayMachine::new(example_pos_config(), ids, WALL).unwrap()),
        sim: Box::new(|ids| InterpaySim::new(SimConfig::default(), ids, WALL)),
        currency: Currency::CAD,
    });
}
