//! CodePay: a terminal served over WebSocket, answering `101 Web Socket Protocol Handshake`.

use std::time::Duration;

use codepay_proto::sim::{CodepaySim, SimConfig};
use codepay_proto::{CodepayMachine, Config};
use pos_blocking::server::SimServer;
use pos_core::{Currency, Operation};
use pos_smol::{Driver, Spawner, os_ids};

pub const APP_ID: &str = "wz0123456789abcdef";

pub fn server() -> SimServer<CodepaySim> {
    let sim = CodepaySim::new(
        SimConfig::default(),
        os_ids().unwrap(),
        super::clock().wall(),
    );
    SimServer::start(sim, super::serving(false)).unwrap()
}

pub fn driver(server: &SimServer<CodepaySim>, spawner: Spawner) -> Driver<CodepayMachine> {
    let clock = super::clock();
    let mut config = Config::new("127.0.0.1", APP_ID);
    config.port = server.local_addr().port();
    let machine = CodepayMachine::new(config, os_ids().unwrap(), clock.wall()).unwrap();
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

pub fn sale(minor: i64) -> Operation {
    super::sale(minor, Currency::USD)
}
