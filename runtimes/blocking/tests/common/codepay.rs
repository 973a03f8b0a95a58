//! CodePay: a terminal served over WebSocket, answering `101 Web Socket Protocol Handshake`.

use codepay_proto::sim::{CodepaySim, SimConfig};
use codepay_proto::{CodepayMachine, Config};
use pos_blocking::server::SimServer;
use pos_blocking::{Driver, os_ids};
use pos_core::{Currency, Operation};

pub const APP_ID: &str = "wz0123456789abcdef";

pub fn server() -> SimServer<CodepaySim> {
    let sim = CodepaySim::new(
        SimConfig::default(),
        os_ids().unwrap(),
        super::clock().wall(),
    );
    SimServer::start(sim, super::serving(false)).unwrap()
}

pub fn driver(server: &SimServer<CodepaySim>) -> Driver<CodepayMachine> {
    let clock = super::clock();
    let mut config = Config::new("127.0.0.1", APP_ID);
    config.port = server.local_addr().port();
    let machine = CodepayMachine::new(config, os_ids().unwrap(), clock.wall()).unwrap();
    Driver::new(machine, clock)
}

/// Waits until the machine's own connection is up (it connects on construction).
pub fn connected(d: &mut Driver<CodepayMachine>) {
    let up = d.wait_until(super::real(5), |m| m.is_connected()).unwrap();
    assert!(up, "never connected");
}

pub fn sale(minor: i64) -> Operation {
    super::sale(minor, Currency::USD)
}
