//! CodePay: the shared terminal fixture and a smol driver connected to it.

use std::time::Duration;

use codepay_proto::CodepayMachine;
use codepay_proto::sim::CodepaySim;
use pos_blocking::server::SimServer;
use pos_smol::{Driver, Spawner, os_ids};

#[allow(
    unused_imports,
    reason = "each test binary uses its own share of the fixtures"
)]
pub use super::fixtures::codepay::*;

pub fn driver(server: &SimServer<CodepaySim>, spawner: Spawner) -> Driver<CodepayMachine> {
    let clock = super::clock();
    let machine = CodepayMachine::new(config(server), os_ids().unwrap(), clock.wall()).unwrap();
    Driver::new(machine, clock).with_spawner(spawner)
}

/// Waits until the machine's own connection is up (it connects on construction).
pub async fn connected(d: &mut Driver<CodepayMachine>) {
    for _ in 0..200 {
        if d.machine().is_connected() {
            return;
        }
        let _ = d
            .next_event_within(Duration::from_millis(500))
            .await
            .unwrap();
    }
    panic!("never connected");
}
