//! The machine's fixed timings (spec §10); configurable ones live in [`crate::Config`].
//!
//! The machine arms no timer table of its own: every operation keeps the due time of each
//! request it wants and of each deadline, and `poll_timeout` is their minimum, never at or
//! before `now` (a due request waits for its throttle slot, which is in the future).

use core::time::Duration;

/// The signature window Connect gives the operator (§8.2).
pub const SIGNATURE_WINDOW: Duration = Duration::from_secs(80);
/// The margin kept locally before the signature window ends, besides one poll interval.
pub const SIGNATURE_MARGIN: Duration = Duration::from_secs(2);
/// How long to wait before polling again after a 404 while live (§8.1).
pub const UNREACHABLE_RETRY: Duration = Duration::from_secs(10);
/// Re-check interval for a BUSY terminal and for E4 during recovery (§8.4).
pub const RECOVERY_BUSY_RECHECK: Duration = Duration::from_secs(5);
/// Re-check interval for a 404 terminal during recovery (§8.4).
pub const RECOVERY_UNREACHABLE_RECHECK: Duration = Duration::from_secs(10);
/// The delay before a signature or cancel request is resent (§8.2, §8.3).
pub const CONTROL_RESEND: Duration = Duration::from_secs(1);
/// How many more polls after `TRANSACTION_FINISHED` without a result (§8.1).
pub const FINISH_GRACE_POLLS: u8 = 3;
/// The longest `Retry-After` honoured (§9).
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(30);
/// How long a terminal list may keep failing before it is given up.
pub const LIST_DEADLINE: Duration = Duration::from_secs(30);

/// Returns the GET backoff for the `step`-th consecutive failure: 1, 2, 4, 8, then 10 s.
#[must_use]
pub const fn backoff(step: u8) -> Duration {
    Duration::from_secs(match step {
        0 => 1,
        1 => 2,
        2 => 4,
        3 => 8,
        _ => 10,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_then_caps() {
        let secs: [u64; 6] = core::array::from_fn(|i| backoff(u8::try_from(i).unwrap()).as_secs());
        assert_eq!(secs, [1, 2, 4, 8, 10, 10]);
    }
}
