//! Paynt: the shared terminal fixture (HTTPS) and a smol driver pinned to it.

use paynt_proto::PayntMachine;
use paynt_proto::sim::PayntSim;
use pos_blocking::server::SimServer;
use pos_core::Fingerprint;
use pos_smol::{Driver, Spawner, os_ids};

#[allow(
    unused_imports,
    reason = "each test binary uses its own share of the fixtures"
)]
pub use super::fixtures::paynt::*;

/// A driver pinned to `pin` (the server's own for a working terminal).
pub fn driver(
    server: &SimServer<PayntSim>,
    pin: Fingerprint,
    spawner: Spawner,
) -> Driver<PayntMachine> {
    let clock = super::clock();
    let machine = PayntMachine::new(config(server, pin), os_ids().unwrap(), clock.wall()).unwrap();
    Driver::new(machine, clock).with_spawner(spawner)
}
