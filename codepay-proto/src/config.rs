//! The POS machine's configuration: endpoint, identity, order options and every timer of
//! spec §10 (all [default] values configurable).

use alloc::string::String;
use core::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// Configuration of a [`crate::CodepayMachine`]. `Default` gives the spec's defaults with an
/// empty `app_id`, which must be set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// The terminal's IP address or host name.
    pub host: String,
    /// The ECR Hub port (35779, spec §2.1).
    pub port: u16,
    /// The WebSocket path (`/`, spec §2.1).
    pub ws_path: String,
    /// The payment-app id registered with CodePay: 1–64 printable ASCII (spec §3.1).
    pub app_id: String,
    /// Order-number prefix, 0–10 ASCII letters or digits, e.g. a lane id (spec §9).
    pub order_prefix: String,
    /// `pay_scenario` sent on every order: `SWIPE_CARD`, `SCANQR_PAY` or `BSCANQR_PAY`.
    pub pay_scenario: String,
    /// `pay_method_id` sent on orders (required by the QR scenarios), if any.
    pub pay_method_id: Option<String>,
    /// `confirm_on_terminal` sent on every order (false, spec §5.1).
    pub confirm_on_terminal: bool,
    /// `on_screen_signature` sent on sales, if set.
    pub on_screen_signature: Option<bool>,
    /// `expires` sent on every order, 30–3600 s (120, spec §5.1).
    pub expires_secs: u32,
    /// Extra wait after `expires` before the result deadline (60 s: deadline = 180 s).
    pub result_grace_ms: u64,
    /// Whether unreferenced refunds are offered (true, spec §5.3).
    pub allow_unreferenced_refund: bool,
    /// The init topic (`ecrhub.init`, spec §4).
    pub init_topic: String,
    /// `device_data.device_name` for getInfo (spec §5.6).
    pub device_name: String,
    /// Connect attempt timeout handed to the runtime (10 s).
    pub connect_timeout_ms: u64,
    /// First reconnect delay after link loss (1 s), doubling.
    pub reconnect_min_ms: u64,
    /// Longest reconnect delay (30 s).
    pub reconnect_max_ms: u64,
    /// WebSocket ping interval (15 s).
    pub ping_interval_ms: u64,
    /// Link loss when neither a pong nor any message arrives this long after a ping (20 s).
    pub pong_timeout_ms: u64,
    /// Wait for a re-delivered result after a reconnect (5 s).
    pub reconnect_grace_ms: u64,
    /// Deadline of a close (60 s).
    pub close_deadline_ms: u64,
    /// Wait for the order response after a successful close (5 s).
    pub close_grace_ms: u64,
    /// Deadline of a query (60 s).
    pub query_deadline_ms: u64,
    /// Deadline of tip adjustment, init and getInfo (60 s).
    pub admin_deadline_ms: u64,
    /// Deadline of a batch close (180 s).
    pub batch_close_deadline_ms: u64,
    /// First recovery backoff (5 s), doubling.
    pub recovery_backoff_ms: u64,
    /// Longest recovery backoff (30 s).
    pub recovery_backoff_max_ms: u64,
    /// Recovery gives up with `Unknown` after this long (10 min).
    pub recovery_cap_ms: u64,
    /// How long completed requests are remembered for late results (30 min).
    pub late_window_ms: u64,
    /// How many completed requests are remembered (64).
    pub late_max: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 35779,
            ws_path: "/".into(),
            app_id: String::new(),
            order_prefix: String::new(),
            pay_scenario: "SWIPE_CARD".into(),
            pay_method_id: None,
            confirm_on_terminal: false,
            on_screen_signature: None,
            expires_secs: 120,
            result_grace_ms: 60_000,
            allow_unreferenced_refund: true,
            init_topic: crate::message::TOPIC_INIT.into(),
            device_name: "pos".into(),
            connect_timeout_ms: 10_000,
            reconnect_min_ms: 1_000,
            reconnect_max_ms: 30_000,
            ping_interval_ms: 15_000,
            pong_timeout_ms: 20_000,
            reconnect_grace_ms: 5_000,
            close_deadline_ms: 60_000,
            close_grace_ms: 5_000,
            query_deadline_ms: 60_000,
            admin_deadline_ms: 60_000,
            batch_close_deadline_ms: 180_000,
            recovery_backoff_ms: 5_000,
            recovery_backoff_max_ms: 30_000,
            recovery_cap_ms: 600_000,
            late_window_ms: 1_800_000,
            late_max: 64,
        }
    }
}

impl Config {
    /// Builds the defaults for a terminal at `host` with `app_id`.
    #[must_use]
    pub fn new(host: &str, app_id: &str) -> Self {
        Self {
            host: host.into(),
            app_id: app_id.into(),
            ..Self::default()
        }
    }

    /// Returns the WebSocket URL, `ws://host:port/path`.
    #[must_use]
    pub fn url(&self) -> String {
        alloc::format!("ws://{}:{}{}", self.host, self.port, self.ws_path)
    }

    /// Checks every rule.
    ///
    /// # Errors
    /// The first [`ConfigError`] found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let app_ok = (1..=64).contains(&self.app_id.len())
            && self.app_id.bytes().all(|b| b.is_ascii_graphic());
        if !app_ok {
            return Err(ConfigError::AppId {
                len: self.app_id.len(),
            });
        }
        if self.order_prefix.len() > 10
            || !self.order_prefix.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(ConfigError::OrderPrefix {
                prefix: self.order_prefix.clone(),
            });
        }
        if !(30..=3600).contains(&self.expires_secs) {
            return Err(ConfigError::Expires {
                value: self.expires_secs,
            });
        }
        if self.host.is_empty()
            || self
                .host
                .bytes()
                .any(|b| b.is_ascii_whitespace() || b == b'/')
        {
            return Err(ConfigError::Endpoint {
                reason: "host must be a non-empty name or address".into(),
            });
        }
        if !self.ws_path.starts_with('/') {
            return Err(ConfigError::Endpoint {
                reason: "ws_path must start with '/'".into(),
            });
        }
        if !matches!(
            self.pay_scenario.as_str(),
            "SWIPE_CARD" | "SCANQR_PAY" | "BSCANQR_PAY"
        ) {
            return Err(ConfigError::PayScenario {
                value: self.pay_scenario.clone(),
            });
        }
        for (name, v) in [
            ("connect_timeout_ms", self.connect_timeout_ms),
            ("reconnect_min_ms", self.reconnect_min_ms),
            ("ping_interval_ms", self.ping_interval_ms),
            ("pong_timeout_ms", self.pong_timeout_ms),
            ("close_deadline_ms", self.close_deadline_ms),
            ("query_deadline_ms", self.query_deadline_ms),
            ("admin_deadline_ms", self.admin_deadline_ms),
            ("batch_close_deadline_ms", self.batch_close_deadline_ms),
            ("recovery_backoff_ms", self.recovery_backoff_ms),
            ("recovery_cap_ms", self.recovery_cap_ms),
        ] {
            if v == 0 {
                return Err(ConfigError::Timer {
                    name,
                    reason: "must be greater than zero",
                });
            }
        }
        if self.reconnect_max_ms < self.reconnect_min_ms {
            return Err(ConfigError::Timer {
                name: "reconnect_max_ms",
                reason: "must not be below reconnect_min_ms",
            });
        }
        if self.recovery_backoff_max_ms < self.recovery_backoff_ms {
            return Err(ConfigError::Timer {
                name: "recovery_backoff_max_ms",
                reason: "must not be below recovery_backoff_ms",
            });
        }
        Ok(())
    }

    /// Returns the result deadline measured from sending an order: `expires` + grace.
    #[must_use]
    pub fn result_deadline(&self) -> Duration {
        Duration::from_secs(u64::from(self.expires_secs))
            + Duration::from_millis(self.result_grace_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_spec_and_need_an_app_id() {
        let c = Config::default();
        assert_eq!(c.validate(), Err(ConfigError::AppId { len: 0 }));
        let c = Config::new("192.0.2.10", "wz0123456789abcdef");
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(c.url(), "ws://192.0.2.10:35779/");
        assert_eq!(c.result_deadline(), Duration::from_secs(180));
        let bad = Config {
            expires_secs: 10,
            ..c.clone()
        };
        assert_eq!(bad.validate(), Err(ConfigError::Expires { value: 10 }));
        let bad = Config {
            order_prefix: "lane-1".into(),
            ..c.clone()
        };
        assert!(matches!(
            bad.validate(),
            Err(ConfigError::OrderPrefix { .. })
        ));
        let bad = Config {
            pay_scenario: "CASH_PAY".into(),
            ..c
        };
        assert!(matches!(
            bad.validate(),
            Err(ConfigError::PayScenario { .. })
        ));
    }
}
