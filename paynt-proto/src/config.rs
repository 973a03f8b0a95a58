//! The machine's configuration (spec §2, §4, §9, §10), serialisable for the POS to store.

use alloc::string::String;
use core::time::Duration;

use pos_core::{Currency, Fingerprint, Secret};
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::ident::{self, ReferencePolicy};

/// How the token goes into `Authorization` (spec §2, §13 #1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthScheme {
    /// `Authorization: <token>`, as Paynt shows it.
    #[default]
    Bare,
    /// `Authorization: Bearer <token>`, as the analog does.
    Bearer,
}

/// URL scheme towards the terminal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// HTTPS (default).
    #[default]
    Https,
    /// Plain HTTP, only with `allow_plain_http` (lab, loopback simulator).
    Http,
}

/// Everything a [`crate::PayntMachine`] needs; each "analogy" value of the spec is here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Terminal host (IP address or name).
    pub host: String,
    /// Terminal port, default 8080.
    pub port: u16,
    /// URL scheme, default `https`.
    pub scheme: Scheme,
    /// Explicit opt-in for `scheme = http`.
    pub allow_plain_http: bool,
    /// Base path, default `/payntpos/1.0.0`.
    pub base_path: String,
    /// Terminal serial number, sent as `tid`.
    pub serial: String,
    /// The stored pairing token, if paired.
    pub token: Option<Secret<String>>,
    /// The pinned SPKI/certificate fingerprint, if known.
    pub pinned_fingerprint: Option<Fingerprint>,
    /// Bare token or `Bearer`.
    pub auth_scheme: AuthScheme,
    /// The terminal's configured currency.
    pub currency: Currency,
    /// `disablePrinting` on every POST, default false.
    pub disable_printing: bool,
    /// Rule for caller references.
    pub reference_policy: ReferencePolicy,
    /// Allow tip and cash back on SALE (excluded from `amountTrans`).
    pub amount_extras: bool,
    /// Send DELETE to cancel, default true.
    pub cancel_supported: bool,
    /// Accept a pairing reply whose `serialNumber` differs from `serial`.
    pub accept_serial_mismatch: bool,
    /// Path of the pairing endpoint after the base path.
    pub pair_path: String,
    /// Query parameter carrying the pairing code.
    pub pairing_code_param: String,
    /// Largest body read, default 1 MiB.
    pub max_body_bytes: usize,
    /// Columns of the plain-text receipts in outcomes, default 40.
    pub receipt_width: usize,
    /// The machine's timers.
    pub timers: TimerConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host: "192.0.2.10".into(),
            port: 8080,
            scheme: Scheme::Https,
            allow_plain_http: false,
            base_path: "/payntpos/1.0.0".into(),
            serial: "7300418825".into(),
            token: None,
            pinned_fingerprint: None,
            auth_scheme: AuthScheme::Bare,
            currency: Currency::EUR,
            disable_printing: false,
            reference_policy: ReferencePolicy::Strict,
            amount_extras: false,
            cancel_supported: true,
            accept_serial_mismatch: false,
            pair_path: "/pair".into(),
            pairing_code_param: "pairingCode".into(),
            max_body_bytes: crate::codec::MAX_BODY_BYTES,
            receipt_width: 40,
            timers: TimerConfig::default(),
        }
    }
}

impl Config {
    /// Checks the configuration.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first unusable value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if ident::check_serial(&self.serial).is_err() {
            return Err(ConfigError::BadSerial {
                serial: self.serial.clone(),
            });
        }
        if let Some(token) = &self.token {
            if ident::check_token(token.expose()).is_err() {
                return Err(ConfigError::BadToken);
            }
        }
        let host_ok = !self.host.is_empty()
            && self
                .host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
        if !host_ok {
            return Err(ConfigError::BadHost {
                host: self.host.clone(),
            });
        }
        for path in [&self.base_path, &self.pair_path] {
            if !path.starts_with('/') || path.ends_with('/') || path.contains(['?', '#', ' ']) {
                return Err(ConfigError::BadBasePath { path: path.clone() });
            }
        }
        if self.scheme == Scheme::Http && !self.allow_plain_http {
            return Err(ConfigError::PlainHttpNotAllowed);
        }
        self.timers.validate()
    }

    pub(crate) fn origin(&self) -> String {
        let scheme = match self.scheme {
            Scheme::Https => "https",
            Scheme::Http => "http",
        };
        alloc::format!("{scheme}://{}:{}{}", self.host, self.port, self.base_path)
    }
}

/// Timer durations (spec §10), all configurable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimerConfig {
    /// `/pair` reply wait, 10 s.
    pub pair_response: Duration,
    /// POST reply wait, 15 s.
    pub start_response: Duration,
    /// GET/DELETE reply wait, 10 s.
    pub request_timeout: Duration,
    /// First poll after the UTI, 500 ms.
    pub first_poll: Duration,
    /// Poll interval, 1 s.
    pub poll_interval: Duration,
    /// Backoff ceiling, 5 s.
    pub max_backoff: Duration,
    /// 404 counts as in progress this long after the POST reply, 10 s.
    pub not_found_grace: Duration,
    /// Automatic polling stops this long after the POST reply, 180 s.
    pub overall_deadline: Duration,
    /// A DELETE accepted without an end this long raises a stall notice, 30 s.
    pub cancel_grace: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        Self {
            pair_response: Duration::from_secs(10),
            start_response: Duration::from_secs(15),
            request_timeout: Duration::from_secs(10),
            first_poll: Duration::from_millis(500),
            poll_interval: Duration::from_secs(1),
            max_backoff: Duration::from_secs(5),
            not_found_grace: Duration::from_secs(10),
            overall_deadline: Duration::from_secs(180),
            cancel_grace: Duration::from_secs(30),
        }
    }
}

impl TimerConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let all = [
            ("pair_response", self.pair_response),
            ("start_response", self.start_response),
            ("request_timeout", self.request_timeout),
            ("first_poll", self.first_poll),
            ("poll_interval", self.poll_interval),
            ("max_backoff", self.max_backoff),
            ("overall_deadline", self.overall_deadline),
            ("cancel_grace", self.cancel_grace),
        ];
        match all.iter().find(|(_, d)| d.is_zero()) {
            Some((name, _)) => Err(ConfigError::ZeroTimer { name }),
            None => Ok(()),
        }
    }
}
