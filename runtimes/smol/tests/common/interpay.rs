//! InterPay: the shared gateway fixture and a smol driver whose callbacks arrive at the smol
//! [`CallbackListener`].

use interpay_proto::InterpayMachine;
use interpay_proto::sim::InterpaySim;
use pos_blocking::server::SimServer;
use pos_smol::{CallbackListener, Driver, Spawner, os_ids};

#[allow(
    unused_imports,
    reason = "each test binary uses its own share of the fixtures"
)]
pub use super::fixtures::interpay::*;

pub async fn listener(spawner: &Spawner) -> CallbackListener {
    CallbackListener::bind_on(spawner, "127.0.0.1:0".parse().unwrap(), None)
        .await
        .unwrap()
}

/// A driver for `device` whose callbacks arrive under `/<till>/` on the listener.
pub fn driver(
    server: &SimServer<InterpaySim>,
    listener: &CallbackListener,
    till: &str,
    device: &str,
    spawner: Spawner,
) -> Driver<InterpayMachine> {
    let clock = super::clock();
    let prefix = format!("{till}/");
    let config = config(server, listener.url_for(&prefix), device);
    let machine = InterpayMachine::new(config, os_ids().unwrap(), clock.wall()).unwrap();
    Driver::new(machine, clock)
        .with_spawner(spawner)
        .with_callbacks(listener.route(&prefix))
}
