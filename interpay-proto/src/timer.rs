//! The machine's timer kinds and their configurable durations (spec §11).

use core::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// The machine's timers (spec §11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerKind {
    /// An outbound exchange gets no reply: a transport failure of that exchange.
    HttpResponse,
    /// No callback after `0000` (or in `Indeterminate`): recovery starts (§7).
    CallbackDeadline,
    /// The wait after a cancel before the second GetResult (§7, §8).
    CancelGrace,
    /// No Ack reply for an approval without `ACK=Y`: capture `Unconfirmed` (§6.3).
    AckDeadline,
    /// A finished session is forgotten; later callbacks get 404 (§11).
    Retention,
}

/// Timer durations in seconds, each within the range spec §11 allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Timeouts {
    /// `HttpResponse`, 1–60 s (default 30).
    pub http_response_secs: u64,
    /// `CallbackDeadline`, 60–1800 s (default 300).
    pub callback_deadline_secs: u64,
    /// `CancelGrace`, 5–120 s (default 20).
    pub cancel_grace_secs: u64,
    /// `AckDeadline`, 10–170 s (default 150).
    pub ack_deadline_secs: u64,
    /// `Retention`, at least 3600 s (default 24 h).
    pub retention_secs: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            http_response_secs: 30,
            callback_deadline_secs: 300,
            cancel_grace_secs: 20,
            ack_deadline_secs: 150,
            retention_secs: 24 * 3600,
        }
    }
}

impl Timeouts {
    /// Returns the duration of a timer.
    #[must_use]
    pub const fn get(&self, kind: TimerKind) -> Duration {
        Duration::from_secs(match kind {
            TimerKind::HttpResponse => self.http_response_secs,
            TimerKind::CallbackDeadline => self.callback_deadline_secs,
            TimerKind::CancelGrace => self.cancel_grace_secs,
            TimerKind::AckDeadline => self.ack_deadline_secs,
            TimerKind::Retention => self.retention_secs,
        })
    }

    /// Checks every value against its allowed range.
    ///
    /// # Errors
    /// `ConfigError::Invalid` naming the first value out of range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let checks: [(&'static str, u64, u64, u64); 5] = [
            (
                "timeouts.http_response_secs",
                self.http_response_secs,
                1,
                60,
            ),
            (
                "timeouts.callback_deadline_secs",
                self.callback_deadline_secs,
                60,
                1800,
            ),
            ("timeouts.cancel_grace_secs", self.cancel_grace_secs, 5, 120),
            (
                "timeouts.ack_deadline_secs",
                self.ack_deadline_secs,
                10,
                170,
            ),
            (
                "timeouts.retention_secs",
                self.retention_secs,
                3600,
                u64::MAX,
            ),
        ];
        for (field, value, min, max) in checks {
            if !(min..=max).contains(&value) {
                return Err(ConfigError::invalid(
                    field,
                    alloc::format!("{value} is outside {min}..={max}"),
                ));
            }
        }
        Ok(())
    }
}
