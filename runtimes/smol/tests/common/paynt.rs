//! Paynt: a PAX terminal served over HTTPS with a certificate generated at start.

use std::time::Duration;

use paynt_proto::sim::{PayntSim, SimConfig};
use paynt_proto::{Config, PayntMachine};
use pos_blocking::server::SimServer;
use pos_core::{Currency, Fingerprint, Operation, Secret};
use pos_smol::{Driver, Spawner, os_ids};

pub const TOKEN: &str = "5820337719046612";

pub fn server() -> SimServer<PayntSim> {
    let sim = PayntSim::new(
        SimConfig {
            token: Some(TOKEN.into()),
            card_timeout: Duration::from_secs(600),
            ..SimConfig::default()
        },
        os_ids().unwrap(),
        super::clock().wall(),
    );
    SimServer::start(sim, super::serving(true)).unwrap()
}

/// A driver pinned to `pin` (the server's own for a working terminal).
pub fn driver(
    server: &SimServer<PayntSim>,
    pin: Fingerprint,
    spawner: Spawner,
) -> Driver<PayntMachine> {
    let clock = super::clock();
    let config = Config {
        host: server.local_addr().ip().to_string(),
        port: server.local_addr().port(),
        token: Some(Secret::new(TOKEN.into())),
        pinned_fingerprint: Some(pin),
        ..Config::default()
    };
    let machine = PayntMachine::new(config, os_ids().unwrap(), clock.wall()).unwrap();
    Driver::new(machine, clock).with_spawner(spawner)
}

pub fn sale(minor: i64) -> Operation {
    super::sale(minor, Currency::EUR)
}

/// How many sales the terminal received.
pub fn money_requests(server: &SimServer<PayntSim>) -> usize {
    server.with_sim(|s, _| s.transactions().len())
}
