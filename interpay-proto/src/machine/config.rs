//! The machine's configuration (spec §2.1, §3, §5.1, §6.3, §11).

use alloc::string::String;

use pos_core::{Currency, Secret, TlsTrust};
use serde::{Deserialize, Serialize};

use crate::codec::WireFormat;
use crate::error::ConfigError;
use crate::message::valid_custemail;
use crate::receipt::RenderOptions;
use crate::timer::Timeouts;

/// The gateway base URLs (spec §2.1). Production: `https://svra.interpaypos.com:1443/` and
/// `https://svrb.interpaypos.com:1443/`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    /// The base StartSession is sent to first.
    pub primary: String,
    /// The equal peer for failover, if any.
    pub secondary: Option<String>,
}

impl Default for Endpoints {
    fn default() -> Self {
        Self {
            primary: "https://svra.interpaypos.com:1443/".into(),
            secondary: Some("https://svrb.interpaypos.com:1443/".into()),
        }
    }
}

/// The terminal's language (`LANG`, spec §3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    /// English (`E`).
    #[default]
    E,
    /// French (`F`).
    F,
}

/// Everything an [`crate::InterpayMachine`] needs; `Default` gives production endpoints and
/// the spec's defaults, but empty credentials, which [`Config::validate`] refuses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Gateway base URLs.
    pub endpoints: Endpoints,
    /// `TERMID`: 1–16 alphanumerics.
    pub termid: String,
    /// `PASS`: at most 16 characters; never logged.
    pub pass: Secret<String>,
    /// `DEVICEID`: the terminal, printable ASCII, 1–40 characters.
    pub deviceid: String,
    /// The POS's public callback base, e.g. `https://pos.example.net/ipcb/`; a missing
    /// trailing `/` is added.
    pub callback_base: String,
    /// Allows an `http://` callback base (tests and loopback demos only).
    pub allow_insecure_callbacks: bool,
    /// `CUSTEMAIL` sent with every session (required by the gateway).
    pub customer_email: String,
    /// The merchant account's currency code (CAD or USD); amounts must be in it.
    pub currency: String,
    /// The largest amount in minor units (default 9 999 999 = 99 999.99).
    pub max_amount_minor: i64,
    /// The request body format.
    pub wire_format: WireFormat,
    /// `LANG`.
    pub lang: Lang,
    /// Sends `NOTERMPRINT=Y`: the POS prints from the callback's receipts.
    pub no_terminal_print: bool,
    /// `DESC`, at most 60 characters.
    pub description: Option<String>,
    /// Sends follow-ups to the reply's `HOST` instead of the base that answered.
    pub use_host_field: bool,
    /// StartSession attempts, 1–2 (the second only to the secondary).
    pub max_start_attempts: u8,
    /// Sends one Ack (and `ACK=Y` on GetResult) when an approval lacks `ACK=Y`.
    pub auto_ack: bool,
    /// Spends the remaining GetResult to confirm an approval that raced a cancel.
    pub confirm_cancel_race: bool,
    /// Timer durations.
    pub timeouts: Timeouts,
    /// The largest callback body accepted (default 1 MiB); larger ones get 413.
    pub max_callback_bytes: usize,
    /// How receipts are rendered into the outcome's lines.
    pub receipt: RenderOptions,
    /// How the runtime trusts the gateway's certificate.
    pub tls: TlsTrust,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            endpoints: Endpoints::default(),
            termid: String::new(),
            pass: Secret::default(),
            deviceid: String::new(),
            callback_base: String::new(),
            allow_insecure_callbacks: false,
            customer_email: "noreply@example.com".into(),
            currency: "CAD".into(),
            max_amount_minor: 9_999_999,
            wire_format: WireFormat::Json,
            lang: Lang::E,
            no_terminal_print: false,
            description: None,
            use_host_field: false,
            max_start_attempts: 2,
            auto_ack: true,
            confirm_cancel_race: true,
            timeouts: Timeouts::default(),
            max_callback_bytes: 1 << 20,
            receipt: RenderOptions::default(),
            tls: TlsTrust::WebPki,
        }
    }
}

impl Config {
    /// Checks every field against the spec's rules and returns the account currency.
    ///
    /// # Errors
    /// `ConfigError::Invalid` naming the first bad field.
    pub fn validate(&self) -> Result<Currency, ConfigError> {
        let url_ok = |u: &str| u.starts_with("https://") || u.starts_with("http://");
        if !url_ok(&self.endpoints.primary) {
            return Err(ConfigError::invalid(
                "endpoints.primary",
                "not an http(s) URL",
            ));
        }
        if let Some(s) = &self.endpoints.secondary {
            if !url_ok(s) {
                return Err(ConfigError::invalid(
                    "endpoints.secondary",
                    "not an http(s) URL",
                ));
            }
        }
        if !(1..=16).contains(&self.termid.len())
            || !self.termid.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(ConfigError::invalid("termid", "1-16 alphanumerics"));
        }
        let pass = self.pass.expose();
        if pass.is_empty() || pass.chars().count() > 16 {
            return Err(ConfigError::invalid("pass", "1-16 characters"));
        }
        if !(1..=40).contains(&self.deviceid.len())
            || !self.deviceid.bytes().all(|b| (0x20..0x7f).contains(&b))
        {
            return Err(ConfigError::invalid(
                "deviceid",
                "1-40 printable ASCII characters",
            ));
        }
        let base = &self.callback_base;
        let secure = base.starts_with("https://");
        if !(secure || (self.allow_insecure_callbacks && base.starts_with("http://"))) {
            return Err(ConfigError::invalid(
                "callback_base",
                "must be https:// (http:// only with allow_insecure_callbacks)",
            ));
        }
        if base.contains(['?', '#']) {
            return Err(ConfigError::invalid(
                "callback_base",
                "no query or fragment",
            ));
        }
        if !valid_custemail(&self.customer_email) {
            return Err(ConfigError::invalid(
                "customer_email",
                "CUSTEMAIL alphabet, at most 60",
            ));
        }
        if let Some(d) = &self.description {
            if d.chars().count() > 60 || d.chars().any(char::is_control) {
                return Err(ConfigError::invalid(
                    "description",
                    "at most 60 printable characters",
                ));
            }
        }
        if !(1..=2).contains(&self.max_start_attempts) {
            return Err(ConfigError::invalid("max_start_attempts", "1 or 2"));
        }
        if !(1..=9_999_999).contains(&self.max_amount_minor) {
            return Err(ConfigError::invalid("max_amount_minor", "1..=9999999"));
        }
        if self.receipt.width == 0 {
            return Err(ConfigError::invalid("receipt.width", "at least 1"));
        }
        self.timeouts.validate()?;
        let currency = Currency::from_code(&self.currency)
            .map_err(|e| ConfigError::invalid("currency", alloc::format!("{e}")))?;
        if currency.exponent() != 2 {
            return Err(ConfigError::invalid("currency", "AMT has two decimals"));
        }
        Ok(currency)
    }

    /// Returns the callback base with its trailing `/`.
    #[must_use]
    pub(crate) fn callback_base_normalised(&self) -> String {
        let mut b = self.callback_base.clone();
        if !b.ends_with('/') {
            b.push('/');
        }
        b
    }
}
