//! One demo run: a vendor's simulator server on loopback, its machine in a driver pointed at
//! it, one sale of the scenario's amount, and the row that records what happened.

use std::time::Duration;

use pos_blocking::server::{SimServer, SimServerConfig};
use pos_blocking::{CallbackListener, Clock, Driver, DriverError, os_ids};
use pos_core::{
    Answer, CommandError, Currency, Event, Machine, Operation, OutcomeClass, Scenario, Secret,
};

use super::table::{Row, expected};
use crate::args::Vendor;
use crate::output::{self, Printer};
use crate::vendors::always;

/// The app id the demo's CodePay machine registers with.
const CODEPAY_APP_ID: &str = "wz0123456789abcdef";
/// The token the demo's Paynt terminal was paired with.
const PAYNT_TOKEN: &str = "5820337719046612";
/// How much machine time one transaction may take before the demo gives up on it.
const LIMIT: Duration = Duration::from_secs(30 * 60);
/// How long (real time) the machine may take to become ready (CodePay: to connect).
const READY_LIMIT: Duration = Duration::from_secs(15);

/// Runs one (vendor, scenario) pair and returns its row; never panics on a failed setup.
pub(crate) fn run(vendor: Vendor, scenario: Scenario, speed: u32, printer: &Printer) -> Row {
    let ctx = Ctx {
        vendor,
        scenario,
        printer,
    };
    let result = match vendor {
        Vendor::Codepay => codepay(&ctx, speed),
        Vendor::Paynt => paynt(&ctx, speed),
        Vendor::Interpay => interpay(&ctx, speed),
        Vendor::Connect => connect(&ctx, speed),
    };
    result.unwrap_or_else(|why| Row::failed(vendor, scenario, &why))
}

/// What a run needs to report.
struct Ctx<'a> {
    vendor: Vendor,
    scenario: Scenario,
    printer: &'a Printer,
}

impl Ctx<'_> {
    fn line(&self, text: &str) {
        self.printer.line(&format!(
            "[{}/{}] {text}",
            self.vendor.name(),
            self.scenario
        ));
    }

    fn sale(&self, currency: Currency) -> Result<Operation, String> {
        let amount = self
            .scenario
            .amount(12, currency)
            .map_err(|e| e.to_string())?;
        Ok(Operation::Sale {
            amount,
            tip: None,
            cashback: None,
            reference: None,
        })
    }
}

fn server_config(speed: u32, tls: bool) -> SimServerConfig {
    SimServerConfig {
        tls,
        time_scale: speed,
        ..SimServerConfig::default()
    }
}

fn codepay(ctx: &Ctx<'_>, speed: u32) -> Result<Row, String> {
    use codepay_proto::sim::{CodepaySim, SimConfig};
    let clock = Clock::start_scaled(speed);
    let sim = CodepaySim::new(SimConfig::default(), ids()?, clock.wall());
    let server = SimServer::start(sim, server_config(speed, false)).map_err(|e| e.to_string())?;
    let mut config = codepay_proto::Config::new("127.0.0.1", CODEPAY_APP_ID);
    config.port = server.local_addr().port();
    let machine = codepay_proto::CodepayMachine::new(config, ids()?, clock.wall())
        .map_err(|e| e.to_string())?;
    let op = ctx.sale(Currency::USD)?;
    drive(
        ctx,
        Driver::new(machine, clock),
        codepay_proto::CodepayMachine::is_connected,
        op,
    )
}

fn paynt(ctx: &Ctx<'_>, speed: u32) -> Result<Row, String> {
    let clock = Clock::start_scaled(speed);
    let sim_config = paynt_proto::SimConfig {
        token: Some(PAYNT_TOKEN.into()),
        // The slow customer presents the card after 60 s: keep the terminal waiting longer.
        card_timeout: Duration::from_secs(600),
        ..paynt_proto::SimConfig::default()
    };
    let sim = paynt_proto::PayntSim::new(sim_config, ids()?, clock.wall());
    let server = SimServer::start(sim, server_config(speed, true)).map_err(|e| e.to_string())?;
    let config = paynt_proto::Config {
        host: server.local_addr().ip().to_string(),
        port: server.local_addr().port(),
        token: Some(Secret::new(PAYNT_TOKEN.into())),
        pinned_fingerprint: server.fingerprint(),
        ..paynt_proto::Config::default()
    };
    let machine =
        paynt_proto::PayntMachine::new(config, ids()?, clock.wall()).map_err(|e| e.to_string())?;
    let op = ctx.sale(Currency::EUR)?;
    drive(ctx, Driver::new(machine, clock), always, op)
}

fn interpay(ctx: &Ctx<'_>, speed: u32) -> Result<Row, String> {
    use interpay_proto::sim::{InterpaySim, SimConfig};
    let clock = Clock::start_scaled(speed);
    let listener =
        CallbackListener::bind(([127, 0, 0, 1], 0).into(), None).map_err(|e| e.to_string())?;
    let sim_config = SimConfig {
        allow_http_urls: true,
        ..SimConfig::default()
    };
    let sim = InterpaySim::new(sim_config, ids()?, clock.wall());
    let server = SimServer::start(sim, server_config(speed, true)).map_err(|e| e.to_string())?;
    let config = interpay_proto::Config {
        endpoints: interpay_proto::Endpoints {
            primary: format!("{}/", server.base_url()),
            secondary: None,
        },
        termid: "QK7R2M4P".into(),
        pass: Secret::new("example-pass".into()),
        deviceid: "FRONTDESK-2".into(),
        callback_base: listener.url_for("demo/"),
        allow_insecure_callbacks: true,
        tls: server.trust(),
        ..interpay_proto::Config::default()
    };
    let machine = interpay_proto::InterpayMachine::new(config, ids()?, clock.wall())
        .map_err(|e| e.to_string())?;
    let driver = Driver::new(machine, clock).with_callbacks(listener.route("demo/"));
    let op = ctx.sale(Currency::CAD)?;
    drive(ctx, driver, always, op)
}

fn connect(ctx: &Ctx<'_>, speed: u32) -> Result<Row, String> {
    use connect_proto::sim::{ConnectSim, SimConfig};
    let clock = Clock::start_scaled(speed);
    let sim = ConnectSim::new(SimConfig::default(), ids()?, clock.wall());
    let server = SimServer::start(sim, server_config(speed, false)).map_err(|e| e.to_string())?;
    let config = connect_proto::Config {
        host: connect_proto::Host::Custom {
            scheme: "http".into(),
            authority: server.local_addr().to_string(),
            allow_http: true,
        },
        ..connect_proto::Config::default()
    };
    let machine = connect_proto::ConnectMachine::new(config, ids()?, clock.wall())
        .map_err(|e| e.to_string())?;
    let op = ctx.sale(Currency::GBP)?;
    drive(ctx, Driver::new(machine, clock), always, op)
}

fn ids() -> Result<pos_core::IdGen, String> {
    os_ids().map_err(|e| e.to_string())
}

/// Waits until the machine is ready, runs the sale to its outcome, showing every event, and
/// compares the outcome with the scenario table.
fn drive<M: Machine>(
    ctx: &Ctx<'_>,
    mut driver: Driver<M>,
    ready: fn(&M) -> bool,
    op: Operation,
) -> Result<Row, String> {
    let amount = op
        .amount()
        .map(|m| format!("{} {}", m.to_major_string(), m.currency()))
        .unwrap_or_default();
    let mut on_event = |event: &Event| {
        if let Some(text) = output::describe(event) {
            ctx.line(&text);
        }
        match event {
            Event::Question { .. } => {
                ctx.line("signature check -> accepted");
                Some(Answer::Signature { accepted: true })
            }
            _ => None,
        }
    };
    let waited = Clock::start();
    while !ready(driver.machine()) {
        if waited.now().as_millis() > u64::try_from(READY_LIMIT.as_millis()).unwrap_or(u64::MAX) {
            return Err("the machine never became ready (not connected)".into());
        }
        if let Some(event) = driver
            .next_event_within(Duration::from_millis(200))
            .map_err(|e| e.to_string())?
        {
            let _ = on_event(&event);
        }
    }
    let started = driver.clock().now();
    let want = ctx.scenario.expected();
    let (outcome, reference, ok) = match driver.start(op) {
        Ok(txn) => match driver.finish_within(txn, LIMIT, &mut on_event) {
            Ok(outcome) => {
                let class = outcome.class();
                let reference = outcome.references().primary.clone();
                (class.to_string(), reference, want == Some(class))
            }
            Err(DriverError::Deadline { .. }) => ("error: no outcome in time".into(), None, false),
            Err(e) => (format!("error: {e}"), None, false),
        },
        Err(DriverError::Command(CommandError::Busy)) => (
            "refused: busy".into(),
            None,
            want == Some(OutcomeClass::Rejected),
        ),
        Err(e) => (format!("refused: {e}"), None, false),
    };
    let machine_ms = driver
        .clock()
        .now()
        .saturating_duration_since(started)
        .as_millis();
    Ok(Row {
        vendor: ctx.vendor.name(),
        scenario: ctx.scenario.to_string(),
        amount,
        expected: expected(ctx.scenario),
        outcome,
        reference,
        machine_ms: u64::try_from(machine_ms).unwrap_or(u64::MAX),
        ok,
    })
}
