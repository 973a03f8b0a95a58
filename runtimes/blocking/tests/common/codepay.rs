//! CodePay: the shared terminal fixture and a blocking driver connected to it.

use codepay_proto::CodepayMachine;
use codepay_proto::sim::CodepaySim;
use pos_blocking::server::SimServer;
use pos_blocking::{Driver, os_ids};

#[allow(
    unused_imports,
    reason = "each test binary uses its own share of the fixtures"
)]
pub use super::fixtures::codepay::*;

pub fn driver(server: &SimServer<CodepaySim>) -> Driver<CodepayMachine> {
    let clock = super::clock();
    let machine = CodepayMachine::new(config(server), os_ids().unwrap(), clock.wall()).unwrap();
    Driver::new(machine, clock)
}

/// Waits until the machine's own connection is up (it connects on construction).
pub fn connected(d: &mut Driver<CodepayMachine>) {
    let up = d.wait_until(super::real(5), |m| m.is_connected()).unwrap();
    assert!(up, "never connected");
}
