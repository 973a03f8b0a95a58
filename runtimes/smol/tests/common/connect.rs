//! Connect: a cloud relay served over plain HTTP on loopback, Basic auth on every request.

use connect_proto::sim::{ConnectSim, RateLimit, SimConfig, SimTerminal};
use connect_proto::{Config, ConnectMachine, Host};
use pos_blocking::server::SimServer;
use pos_core::{Currency, Operation};
use pos_smol::{Driver, Spawner, os_ids};

/// The default terminal (`SimConfig::default()`'s only one).
pub const TID: &str = "40917263";

/// The cloud with the default terminal and `extra` more (`tid(0)`, `tid(1)`, …). The rate
/// limit counts every request to the cloud, so a cloud shared by many tills turns it off.
pub fn server(extra: usize) -> SimServer<ConnectSim> {
    let mut config = SimConfig {
        base_url: "http://127.0.0.1".into(),
        ..SimConfig::default()
    };
    if extra > 0 {
        config.rate_limit = RateLimit::Off;
    }
    for n in 0..extra {
        config.terminals.push(SimTerminal {
            tid: tid(n),
            currency: "GBP".into(),
            online: true,
            ingenico: true,
            cashback_supported: true,
        });
    }
    let sim = ConnectSim::new(config, os_ids().unwrap(), super::clock().wall());
    SimServer::start(sim, super::serving(false)).unwrap()
}

pub fn tid(n: usize) -> String {
    format!("5500{n:04}")
}

pub fn config(server: &SimServer<ConnectSim>, tid: &str) -> Config {
    Config {
        host: Host::Custom {
            scheme: "http".into(),
            authority: server.local_addr().to_string(),
            allow_http: true,
        },
        tid: tid.into(),
        ..Config::default()
    }
}

pub fn driver(
    server: &SimServer<ConnectSim>,
    tid: &str,
    spawner: Spawner,
) -> Driver<ConnectMachine> {
    let clock = super::clock();
    let machine =
        ConnectMachine::new(config(server, tid), os_ids().unwrap(), clock.wall()).unwrap();
    Driver::new(machine, clock).with_spawner(spawner)
}

pub fn sale(minor: i64) -> Operation {
    super::sale(minor, Currency::GBP)
}

/// How many transactions the cloud created.
pub fn money_requests(server: &SimServer<ConnectSim>) -> usize {
    server.with_sim(|s, _| s.transaction_ids().len())
}
