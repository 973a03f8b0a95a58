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
use interpay_proto::sim::{InterpaySim, SimConfig};
use interpay_proto::{Config, Endpoints, InterpayMachine};
use pos_core::{Currency, IdGen, Operation, Scenario, WallClock};

const WALL: WallClock = WallClock::new(1_778_336_000_000);

/// The sales each session cycles through: mostly slow customers (a minute waiting for the
/// callback), with quick approvals, a decline and a signature check between them.
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

fn config() -> Config {
    Config {
        endpoints: Endpoints {
            primary: "https://gw-a.interpay.test/api".into(),
            secondary: Some("https://gw-b.interpay.test/api".into()),
        },
        termid: "QK7R2M4P".into(),
        pass: "example-pass".into(),
        deviceid: "FRONTDESK-2".into(),
        callback_base: "https://pos.example.net/ipcb/".into(),
        ..Config::default()
    }
}

fn main() {
    fleet::cli("interpay", |terminals, window| Plan {
        terminals,
        window,
        machine: Box::new(|i| {
            InterpayMachine::new(config(), IdGen::from_seed(i as u64 + 1), WALL).unwrap()
        }),
        sim: Box::new(|i, n| {
            InterpaySim::new(
                SimConfig::default(),
                IdGen::from_seed(((i as u64) << 24) | n),
                WALL,
            )
        }),
        sale: Box::new(|i, n| {
            let scenario = MIX[(i + usize::try_from(n).unwrap_or(0)) % MIX.len()];
            Operation::Sale {
                amount: scenario.amount(12, Currency::CAD).unwrap(),
                tip: None,
                cashback: None,
                reference: None,
            }
        }),
    });
}
