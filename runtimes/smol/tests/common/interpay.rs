//! InterPay: a cloud gateway served over plain HTTP on loopback that delivers its results
//! as callbacks, with a real HTTP client, to the smol [`CallbackListener`].

use interpay_proto::sim::{DeviceState, InterpaySim, SimConfig};
use interpay_proto::{Config, Endpoints, InterpayMachine};
use pos_blocking::server::SimServer;
use pos_core::{Currency, Operation};
use pos_smol::{CallbackListener, Driver, Spawner, os_ids};

pub const TERMID: &str = "QK7R2M4P";
pub const PASS: &str = "example-pass";

/// A gateway with the default account and `devices` extra lanes `LANE-0`, `LANE-1`, ….
pub fn server(devices: usize) -> SimServer<InterpaySim> {
    let mut config = SimConfig {
        allow_http_urls: true,
        ..SimConfig::default()
    };
    if let Some(account) = config.accounts.get_mut(TERMID) {
        for n in 0..devices {
            account
                .devices
                .insert(format!("LANE-{n}"), DeviceState::Online);
        }
    }
    let sim = InterpaySim::new(config, os_ids().unwrap(), super::clock().wall());
    SimServer::start(sim, super::serving(false)).unwrap()
}

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
    let config = Config {
        endpoints: Endpoints {
            primary: format!("{}/api", server.base_url()),
            secondary: None,
        },
        termid: TERMID.into(),
        pass: PASS.into(),
        deviceid: device.into(),
        callback_base: listener.url_for(&prefix),
        allow_insecure_callbacks: true,
        ..Config::default()
    };
    let machine = InterpayMachine::new(config, os_ids().unwrap(), clock.wall()).unwrap();
    Driver::new(machine, clock)
        .with_spawner(spawner)
        .with_callbacks(listener.route(&prefix))
}

pub fn sale(minor: i64) -> Operation {
    super::sale(minor, Currency::CAD)
}
