//! Connect: the shared cloud fixture and a blocking driver for one of its terminals.

use connect_proto::ConnectMachine;
use connect_proto::sim::ConnectSim;
use pos_blocking::server::SimServer;
use pos_blocking::{Driver, os_ids};

#[allow(
    unused_imports,
    reason = "each test binary uses its own share of the fixtures"
)]
pub use super::fixtures::connect::*;

pub fn driver(server: &SimServer<ConnectSim>, tid: &str) -> Driver<ConnectMachine> {
    let clock = super::clock();
    let machine =
        ConnectMachine::new(config(server, tid), os_ids().unwrap(), clock.wall()).unwrap();
    Driver::new(machine, clock)
}
