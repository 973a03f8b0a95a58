//! The machine's configuration and its validation (spec §2, §9, §10).

use alloc::format;
use alloc::string::String;

use base64::Engine as _;
use pos_core::Secret;
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// The v2 media type sent as `Accept` (§2).
pub const ACCEPT_V2: &str = "application/connect.v2+json";

/// Where the Connect host lives (§2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Host {
    /// `https://{account}.connect.paymentsense.cloud`.
    Live {
        /// The site's account.
        account: String,
    },
    /// `https://{account}.test.connect.paymentsense.cloud`.
    Test {
        /// The site's account.
        account: String,
    },
    /// Any host, for the simulator; plain `http` only with `allow_http`.
    Custom {
        /// `https` or `http`.
        scheme: String,
        /// `host[:port]`.
        authority: String,
        /// The explicit opt-in for plain `http`.
        #[serde(default)]
        allow_http: bool,
    },
}

/// Everything a [`crate::ConnectMachine`] needs; durations in milliseconds.
///
/// `Default` points at the simulator's defaults ([`crate::sim::SimConfig::default`]), so that a
/// demo runs out of the box; a real till sets `host`, `api_key`, the partner ids and `tid`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// The site's Connect host.
    pub host: Host,
    /// The site API key, the Basic-auth password.
    pub api_key: Secret<String>,
    /// The Basic-auth username; the till id by default (no `:`).
    pub username: String,
    /// The EPoS vendor's Software-House-Id (fixed per product).
    pub software_house_id: String,
    /// The installer's Installer-Id.
    pub installer_id: String,
    /// The terminal this till drives.
    pub tid: String,
    /// The `Accept` media type; only the v2 type is allowed.
    pub accept: String,
    /// The poll interval, 500–2000 ms (default 1000).
    pub poll_interval_ms: u64,
    /// The least gap between two requests to the host, at least 100 ms (default 100).
    pub min_request_gap_ms: u64,
    /// The response deadline, also the runtime's timeout, 5–60 s (default 15 s).
    pub response_timeout_ms: u64,
    /// The transaction deadline, at least 210 s (default 240 s).
    pub transaction_deadline_ms: u64,
    /// The deadline with `cardholder_not_present`, at least 210 s (default 420 s).
    pub cnp_deadline_ms: u64,
    /// How long recovery may take, 30–600 s (default 120 s).
    pub recovery_window_ms: u64,
    /// The report deadline, 60–900 s (default 300 s).
    pub report_deadline_ms: u64,
    /// Allows cashback (needs PDQ software x053 or later; default off).
    pub cashback_enabled: bool,
    /// Sends card-not-present (keyed) sales, refunds, pre-auths and completions.
    pub cardholder_not_present: bool,
    /// Tells a busy 422 from an invalid one with one terminal lookup (default on).
    pub classify_422: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host: Host::Custom {
                scheme: "https".into(),
                authority: "sim.test.connect.paymentsense.cloud".into(),
                allow_http: false,
            },
            api_key: Secret::new("sim-api-key".into()),
            username: "till-01".into(),
            software_house_id: "SIMSWH01".into(),
            installer_id: "SIMINST01".into(),
            tid: "40917263".into(),
            accept: ACCEPT_V2.into(),
            poll_interval_ms: 1_000,
            min_request_gap_ms: 100,
            response_timeout_ms: 15_000,
            transaction_deadline_ms: 240_000,
            cnp_deadline_ms: 420_000,
            recovery_window_ms: 120_000,
            report_deadline_ms: 300_000,
            cashback_enabled: false,
            cardholder_not_present: false,
            classify_422: true,
        }
    }
}

/// A validated configuration with the derived header values.
#[derive(Clone, Debug)]
pub(crate) struct Checked {
    pub(crate) cfg: Config,
    pub(crate) base: String,
    pub(crate) authorization: Secret<String>,
}

impl Config {
    /// Returns `scheme://authority` of the host.
    ///
    /// # Errors
    /// [`ConfigError`] when the host is invalid.
    pub fn base_url(&self) -> Result<String, ConfigError> {
        match &self.host {
            Host::Live { account } => {
                check_account(account)?;
                Ok(format!("https://{account}.connect.paymentsense.cloud"))
            }
            Host::Test { account } => {
                check_account(account)?;
                Ok(format!("https://{account}.test.connect.paymentsense.cloud"))
            }
            Host::Custom {
                scheme,
                authority,
                allow_http,
            } => {
                let ok_scheme = scheme == "https" || (scheme == "http" && *allow_http);
                if !ok_scheme {
                    return Err(ConfigError::BadHost {
                        reason: format!("scheme {scheme:?} (http needs allow_http)"),
                    });
                }
                let bad = authority.is_empty()
                    || authority
                        .chars()
                        .any(|c| c.is_control() || c.is_whitespace() || "/?#@".contains(c));
                if bad {
                    return Err(ConfigError::BadHost {
                        reason: format!("authority {authority:?}"),
                    });
                }
                Ok(format!("{scheme}://{authority}"))
            }
        }
    }

    /// Validates every field and derives the header values.
    pub(crate) fn check(self) -> Result<Checked, ConfigError> {
        let base = self.base_url()?;
        let key = self.api_key.expose();
        if key.is_empty() || key.chars().any(char::is_control) {
            return Err(ConfigError::BadApiKey);
        }
        if self.username.contains(':') || self.username.chars().any(char::is_control) {
            return Err(ConfigError::BadUsername);
        }
        check_partner("Software-House-Id", &self.software_house_id)?;
        check_partner("Installer-Id", &self.installer_id)?;
        if !valid_tid(&self.tid) {
            return Err(ConfigError::BadTid {
                tid: self.tid.clone(),
            });
        }
        if self.accept != ACCEPT_V2 {
            return Err(ConfigError::BadAccept);
        }
        range("poll_interval_ms", self.poll_interval_ms, 500, 2_000)?;
        range("min_request_gap_ms", self.min_request_gap_ms, 100, 10_000)?;
        range(
            "response_timeout_ms",
            self.response_timeout_ms,
            5_000,
            60_000,
        )?;
        range(
            "transaction_deadline_ms",
            self.transaction_deadline_ms,
            210_000,
            3_600_000,
        )?;
        range("cnp_deadline_ms", self.cnp_deadline_ms, 210_000, 3_600_000)?;
        range(
            "recovery_window_ms",
            self.recovery_window_ms,
            30_000,
            600_000,
        )?;
        range(
            "report_deadline_ms",
            self.report_deadline_ms,
            60_000,
            900_000,
        )?;
        let plain = format!("{}:{}", self.username, key);
        let encoded = base64::engine::general_purpose::STANDARD.encode(plain.as_bytes());
        Ok(Checked {
            cfg: self,
            base,
            authorization: Secret::new(format!("Basic {encoded}")),
        })
    }
}

/// Returns true for a terminal id of 1–32 characters without `/?#` or control characters.
#[must_use]
pub fn valid_tid(tid: &str) -> bool {
    let n = tid.chars().count();
    (1..=32).contains(&n) && !tid.chars().any(|c| c.is_control() || "/?#".contains(c))
}

fn check_account(account: &str) -> Result<(), ConfigError> {
    let ok = (1..=63).contains(&account.len())
        && account
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !account.starts_with('-')
        && !account.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(ConfigError::BadAccount {
            account: account.into(),
        })
    }
}

fn check_partner(which: &'static str, id: &str) -> Result<(), ConfigError> {
    let ok = (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(ConfigError::BadPartnerId { which })
    }
}

const fn range(name: &'static str, ms: u64, min: u64, max: u64) -> Result<(), ConfigError> {
    if ms >= min && ms <= max {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange { name, ms, min, max })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_build_basic_auth() {
        let c = Config {
            username: "till-03".into(),
            api_key: Secret::new("API-KEY".into()),
            ..Config::default()
        }
        .check()
        .unwrap();
        assert_eq!(c.authorization.expose(), "Basic dGlsbC0wMzpBUEktS0VZ");
    }

    #[test]
    fn bad_values_are_typed_errors() {
        let bad = |c: Config| c.check().unwrap_err();
        assert!(matches!(
            bad(Config {
                poll_interval_ms: 400,
                ..Config::default()
            }),
            ConfigError::OutOfRange {
                name: "poll_interval_ms",
                ..
            }
        ));
        assert!(matches!(
            bad(Config {
                min_request_gap_ms: 50,
                ..Config::default()
            }),
            ConfigError::OutOfRange { .. }
        ));
        assert!(matches!(
            bad(Config {
                host: Host::Live {
                    account: "-site".into()
                },
                ..Config::default()
            }),
            ConfigError::BadAccount { .. }
        ));
        assert!(matches!(
            bad(Config {
                host: Host::Custom {
                    scheme: "http".into(),
                    authority: "localhost:1".into(),
                    allow_http: false
                },
                ..Config::default()
            }),
            ConfigError::BadHost { .. }
        ));
        assert_eq!(
            bad(Config {
                username: "a:b".into(),
                ..Config::default()
            }),
            ConfigError::BadUsername
        );
        assert!(matches!(
            bad(Config {
                installer_id: String::new(),
                ..Config::default()
            }),
            ConfigError::BadPartnerId {
                which: "Installer-Id"
            }
        ));
        assert!(matches!(
            bad(Config {
                tid: "a/b".into(),
                ..Config::default()
            }),
            ConfigError::BadTid { .. }
        ));
        assert_eq!(
            bad(Config {
                accept: "application/json".into(),
                ..Config::default()
            }),
            ConfigError::BadAccept
        );
        assert_eq!(
            Config {
                host: Host::Test {
                    account: "harbourcafe".into()
                },
                ..Config::default()
            }
            .base_url()
            .unwrap(),
            "https://harbourcafe.test.connect.paymentsense.cloud"
        );
    }
}
