//! Shared helpers of the end-to-end tests: each vendor's simulator served by pos-blocking's
//! `SimServer` on loopback, and a tokio driver for its real machine, both on one scaled clock.
#![allow(dead_code, clippy::unwrap_used, clippy::panic, unreachable_pub)]

use std::net::SocketAddr;
use std::time::Duration;

use pos_blocking::server::{SimServer, SimServerConfig};
use pos_core::*;
use pos_tokio::{CallbackListener, Clock, Driver, os_ids};

/// Machine time runs this many times faster than real time, in the machines and the servers.
pub const SCALE: u32 = 20;
/// The longest a transaction may take, machine time.
pub const LIMIT: Duration = Duration::from_secs(900);

pub const PAYNT_TOKEN: &str = "5820337719046612";
pub const CODEPAY_APP_ID: &str = "wz0123456789abcdef";
pub const INTERPAY_TERMID: &str = "QK7R2M4P";
pub const INTERPAY_PASS: &str = "example-pass";

pub fn server_config(tls: bool, scale: u32) -> SimServerConfig {
    SimServerConfig {
        tls,
        time_scale: scale,
        ..SimServerConfig::default()
    }
}

pub fn sale(minor: i64, currency: Currency) -> Operation {
    Operation::Sale {
        amount: Money::from_minor(minor, currency).unwrap(),
        tip: None,
        cashback: None,
        reference: None,
    }
}

/// Answers every signature question with "accepted".
pub fn accept_signatures(event: &Event) -> Option<Answer> {
    match event {
        Event::Question { .. } => Some(Answer::Signature { accepted: true }),
        _ => None,
    }
}

/// A free loopback address, for servers whose simulator must know its own URL up front.
pub fn free_addr() -> SocketAddr {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap()
}

// ---- Paynt: HTTPS with a self-signed certificate, pinned.

pub type PayntServer = SimServer<paynt_proto::sim::PayntSim>;

pub fn paynt_server(scale: u32) -> PayntServer {
    let clock = Clock::start_scaled(scale);
    let sim = paynt_proto::sim::PayntSim::new(
        paynt_proto::sim::SimConfig {
            token: Some(PAYNT_TOKEN.into()),
            card_timeout: Duration::from_secs(600),
            ..paynt_proto::sim::SimConfig::default()
        },
        os_ids().unwrap(),
        clock.wall(),
    );
    SimServer::start(sim, server_config(true, scale)).unwrap()
}

pub fn paynt_driver(
    server: &PayntServer,
    pin: Fingerprint,
    clock: Clock,
) -> Driver<paynt_proto::PayntMachine> {
    let config = paynt_proto::Config {
        host: server.local_addr().ip().to_string(),
        port: server.local_addr().port(),
        token: Some(Secret::new(PAYNT_TOKEN.into())),
        pinned_fingerprint: Some(pin),
        ..paynt_proto::Config::default()
    };
    let machine = paynt_proto::PayntMachine::new(config, os_ids().unwrap(), clock.wall()).unwrap();
    Driver::new(machine, clock)
}

// ---- CodePay: WebSocket with the terminal's 101 reason phrase; one POS per server.

pub type CodepayServer = SimServer<codepay_proto::sim::CodepaySim>;

pub fn codepay_server(scale: u32) -> CodepayServer {
    let clock = Clock::start_scaled(scale);
    let sim = codepay_proto::sim::CodepaySim::new(
        codepay_proto::sim::SimConfig::default(),
        os_ids().unwrap(),
        clock.wall(),
    );
    SimServer::start(sim, server_config(false, scale)).unwrap()
}

pub fn codepay_driver(
    server: &CodepayServer,
    clock: Clock,
) -> Driver<codepay_proto::CodepayMachine> {
    let mut config = codepay_proto::Config::new("127.0.0.1", CODEPAY_APP_ID);
    config.port = server.local_addr().port();
    let machine =
        codepay_proto::CodepayMachine::new(config, os_ids().unwrap(), clock.wall()).unwrap();
    Driver::new(machine, clock)
}

/// Runs the driver until its machine reports the WebSocket connected.
pub async fn codepay_connected(driver: &mut Driver<codepay_proto::CodepayMachine>) {
    for _ in 0..2000 {
        if driver.with_machine(|m| m.is_connected()) {
            return;
        }
        let _ = driver
            .next_event_within(Duration::from_millis(100))
            .await
            .unwrap();
    }
    panic!("never connected");
}

// ---- Connect: plain HTTP with Basic auth; many terminals on one server.

pub type ConnectServer = SimServer<connect_proto::sim::ConnectSim>;

pub fn connect_tid(n: usize) -> String {
    format!("{:08}", 40_917_263 + n)
}

pub fn connect_server(terminals: usize, scale: u32) -> ConnectServer {
    let clock = Clock::start_scaled(scale);
    let addr = free_addr();
    let mut config = connect_proto::sim::SimConfig {
        base_url: format!("http://{addr}"),
        rate_limit: connect_proto::sim::RateLimit::Off,
        ..connect_proto::sim::SimConfig::default()
    };
    let template = config.terminals.first().unwrap().clone();
    config.terminals = (0..terminals)
        .map(|n| connect_proto::sim::SimTerminal {
            tid: connect_tid(n),
            ..template.clone()
        })
        .collect();
    let sim = connect_proto::sim::ConnectSim::new(config, os_ids().unwrap(), clock.wall());
    let server_config = SimServerConfig {
        bind: addr,
        ..server_config(false, scale)
    };
    SimServer::start(sim, server_config).unwrap()
}

pub fn connect_driver(
    server: &ConnectServer,
    terminal: usize,
    clock: Clock,
) -> Driver<connect_proto::ConnectMachine> {
    let config = connect_proto::Config {
        host: connect_proto::Host::Custom {
            scheme: "http".into(),
            authority: server.local_addr().to_string(),
            allow_http: true,
        },
        tid: connect_tid(terminal),
        ..connect_proto::Config::default()
    };
    let machine =
        connect_proto::ConnectMachine::new(config, os_ids().unwrap(), clock.wall()).unwrap();
    Driver::new(machine, clock)
}

// ---- InterPay: plain HTTP gateway; callbacks to one shared listener; many devices.

pub type InterpayServer = SimServer<interpay_proto::sim::InterpaySim>;

pub fn interpay_device(n: usize) -> String {
    format!("LANE-{n}")
}

pub fn interpay_server(devices: usize, scale: u32) -> InterpayServer {
    let clock = Clock::start_scaled(scale);
    let mut config = interpay_proto::sim::SimConfig {
        allow_http_urls: true,
        ..interpay_proto::sim::SimConfig::default()
    };
    let account = config.accounts.get_mut(INTERPAY_TERMID).unwrap();
    account.devices = (0..devices)
        .map(|n| (interpay_device(n), interpay_proto::sim::DeviceState::Online))
        .collect();
    let sim = interpay_proto::sim::InterpaySim::new(config, os_ids().unwrap(), clock.wall());
    SimServer::start(sim, server_config(false, scale)).unwrap()
}

pub fn interpay_driver(
    server: &InterpayServer,
    listener: &CallbackListener,
    device: usize,
    clock: Clock,
) -> Driver<interpay_proto::InterpayMachine> {
    let config = interpay_proto::Config {
        endpoints: interpay_proto::Endpoints {
            primary: format!("{}/", server.base_url()),
            secondary: None,
        },
        termid: INTERPAY_TERMID.into(),
        pass: Secret::new(INTERPAY_PASS.into()),
        deviceid: interpay_device(device),
        callback_base: listener.url_for("interpay/"),
        allow_insecure_callbacks: true,
        ..interpay_proto::Config::default()
    };
    let machine =
        interpay_proto::InterpayMachine::new(config, os_ids().unwrap(), clock.wall()).unwrap();
    Driver::new(machine, clock).with_callback_listener(listener)
}

pub async fn listener() -> CallbackListener {
    CallbackListener::bind("127.0.0.1:0".parse().unwrap(), None)
        .await
        .unwrap()
}
