//! The one place that knows the four vendor crates: their default configurations, their
//! currencies, how to build each machine, and how to hand it to a generic [`Job`].

use std::net::SocketAddr;

use pos_blocking::{CallbackListener, Clock, Driver, JsonLinesSink, os_ids};
use pos_core::{Currency, Machine};
use toml::{Table, Value};

use crate::args::Vendor;
use crate::config::Settings;
use crate::exit::CliError;

/// Something to do with a driver, whatever the vendor: the CLI's one generic entry point.
pub(crate) trait Job {
    /// What the job produces.
    type Output;

    /// Runs with a driver; `ready` tells whether the machine can take a command now (CodePay
    /// must be connected first).
    fn run<M: Machine>(self, driver: Driver<M>, ready: fn(&M) -> bool) -> Self::Output;
}

/// Returns the vendor crate's default configuration as a TOML table, so that overrides keep
/// each field's type.
pub(crate) fn defaults(vendor: Vendor) -> Table {
    let value = match vendor {
        Vendor::Codepay => Value::try_from(codepay_proto::Config::default()),
        Vendor::Paynt => Value::try_from(paynt_proto::Config::default()),
        Vendor::Interpay => Value::try_from(interpay_proto::Config::default()),
        Vendor::Connect => Value::try_from(connect_proto::Config::default()),
    };
    match value {
        Ok(Value::Table(table)) => table,
        _ => Table::new(),
    }
}

/// Returns the currency amounts are in: `--currency`, else the vendor table's `currency`,
/// else the vendor's usual one.
///
/// # Errors
/// A usage error for an unknown currency code.
pub(crate) fn currency(settings: &Settings, flag: Option<&str>) -> Result<Currency, CliError> {
    let fallback = match settings.vendor {
        Vendor::Codepay => "USD",
        Vendor::Paynt => "EUR",
        Vendor::Interpay => "CAD",
        Vendor::Connect => "GBP",
    };
    let code = flag
        .or_else(|| settings.string("currency"))
        .unwrap_or(fallback);
    Currency::from_code(code).map_err(|e| CliError::usage(format!("currency {code:?}: {e}")))
}

/// Builds the vendor's machine from the settings, wraps it in a driver journalling to the
/// settings' journal, and runs `job` with it.
///
/// # Errors
/// A usage error for a configuration the vendor crate refuses (missing credentials, bad
/// host), an unopenable journal or an unbindable callback address.
pub(crate) fn run_job<J: Job>(settings: &Settings, job: J) -> Result<J::Output, CliError> {
    let clock = Clock::start();
    let ids = os_ids().map_err(|e| CliError::failure(e.to_string()))?;
    let sink = JsonLinesSink::open(&settings.journal)
        .map_err(|e| CliError::usage(format!("journal: {e}")))?;
    let refused =
        |e: &dyn std::fmt::Display| CliError::usage(format!("[{}] {e}", settings.vendor.name()));
    match settings.vendor {
        Vendor::Codepay => {
            let config: codepay_proto::Config = settings.vendor_config()?;
            let machine = codepay_proto::CodepayMachine::new(config, ids, clock.wall())
                .map_err(|e| refused(&e))?;
            let driver = Driver::new(machine, clock).with_sink(sink);
            Ok(job.run(driver, codepay_proto::CodepayMachine::is_connected))
        }
        Vendor::Paynt => {
            let config: paynt_proto::Config = settings.vendor_config()?;
            let machine = paynt_proto::PayntMachine::new(config, ids, clock.wall())
                .map_err(|e| refused(&e))?;
            Ok(job.run(Driver::new(machine, clock).with_sink(sink), always))
        }
        Vendor::Interpay => {
            let config: interpay_proto::Config = settings.vendor_config()?;
            let prefix = url_path(&config.callback_base);
            let machine = interpay_proto::InterpayMachine::new(config, ids, clock.wall())
                .map_err(|e| refused(&e))?;
            let listen = settings.string("callback_listen").unwrap_or("0.0.0.0:8081");
            let addr: SocketAddr = listen.parse().map_err(|_| {
                CliError::usage(format!(
                    "interpay.callback_listen {listen:?} is not ADDR:PORT"
                ))
            })?;
            let listener = CallbackListener::bind(addr, None)
                .map_err(|e| CliError::usage(format!("callback listener on {addr}: {e}")))?;
            let driver = Driver::new(machine, clock)
                .with_sink(sink)
                .with_callbacks(listener.route(&prefix));
            let output = job.run(driver, always);
            listener.shutdown();
            Ok(output)
        }
        Vendor::Connect => {
            let config: connect_proto::Config = settings.vendor_config()?;
            let machine = connect_proto::ConnectMachine::new(config, ids, clock.wall())
                .map_err(|e| refused(&e))?;
            Ok(job.run(Driver::new(machine, clock).with_sink(sink), always))
        }
    }
}

/// A machine that takes commands at any time.
pub(crate) const fn always<M>(_: &M) -> bool {
    true
}

/// Returns the path of a URL (`/` when it has none), e.g. the callback route's prefix.
pub(crate) fn url_path(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    match rest.find('/') {
        Some(i) => rest.get(i..).unwrap_or("/").to_owned(),
        None => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_tables_for_every_vendor() {
        for vendor in Vendor::ALL {
            assert!(!defaults(vendor).is_empty(), "{vendor:?}");
        }
        assert_eq!(
            defaults(Vendor::Paynt).get("port"),
            Some(&Value::Integer(8080))
        );
    }

    #[test]
    fn url_paths() {
        assert_eq!(url_path("https://pos.example.net/ipcb/"), "/ipcb/");
        assert_eq!(url_path("http://127.0.0.1:8081"), "/");
    }
}
