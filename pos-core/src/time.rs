//! Monotonic machine time and the wall clock derived from it.

use core::fmt;
use core::ops::{Add, AddAssign, Sub};
use core::time::Duration;

use serde::{Deserialize, Serialize};

/// A point in monotonic time: milliseconds since an origin the runtime picks.
///
/// Machines never read a clock; every command and input carries `now`. Tests use a virtual
/// clock, so minutes of protocol time pass in microseconds.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The origin: the moment the runtime started counting.
    pub const ZERO: Self = Self(0);

    /// Builds a timestamp from milliseconds since the origin.
    #[must_use]
    pub const fn from_millis(ms: u64) -> Self {
        Self(ms)
    }

    /// Returns the milliseconds since the origin.
    #[must_use]
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Returns the time elapsed since `earlier`, or zero if `earlier` is later.
    #[must_use]
    pub const fn saturating_duration_since(self, earlier: Self) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }

    /// Returns `self + d`, saturating at the far future instead of overflowing.
    #[must_use]
    pub fn saturating_add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(duration_millis(d)))
    }

    /// Returns `self - d`, saturating at the origin.
    #[must_use]
    pub fn saturating_sub(self, d: Duration) -> Self {
        Self(self.0.saturating_sub(duration_millis(d)))
    }
}

/// Whole milliseconds of `d`, rounded down and capped at `u64::MAX`.
fn duration_millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Add<Duration> for Timestamp {
    type Output = Self;

    fn add(self, rhs: Duration) -> Self {
        self.saturating_add(rhs)
    }
}

impl AddAssign<Duration> for Timestamp {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

impl Sub<Duration> for Timestamp {
    type Output = Self;

    fn sub(self, rhs: Duration) -> Self {
        self.saturating_sub(rhs)
    }
}

impl Sub for Timestamp {
    type Output = Duration;

    /// Saturates at zero when `rhs` is later.
    fn sub(self, rhs: Self) -> Duration {
        self.saturating_duration_since(rhs)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}

/// The wall clock of a machine: the Unix time at the monotonic origin, given at construction.
///
/// Wire formats that need a date (order numbers, receipts, transaction times) derive it from
/// here, so a machine stays deterministic: the same origin and `now` give the same wall time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WallClock {
    unix_ms_at_origin: u64,
}

impl WallClock {
    /// Builds a wall clock whose monotonic origin (`Timestamp::ZERO`) is `unix_ms_at_origin`.
    #[must_use]
    pub const fn new(unix_ms_at_origin: u64) -> Self {
        Self { unix_ms_at_origin }
    }

    /// Returns the Unix time in milliseconds at `now`.
    #[must_use]
    pub const fn unix_millis(&self, now: Timestamp) -> u64 {
        self.unix_ms_at_origin.saturating_add(now.as_millis())
    }

    /// Returns the Unix time in whole seconds at `now`.
    #[must_use]
    pub const fn unix_seconds(&self, now: Timestamp) -> u64 {
        self.unix_millis(now) / 1000
    }

    /// Returns the civil UTC date and time at `now`, shifted by `offset_minutes`.
    #[must_use]
    pub fn civil(&self, now: Timestamp, offset_minutes: i32) -> CivilTime {
        let ms = i128::from(self.unix_millis(now)) + i128::from(offset_minutes) * 60_000;
        CivilTime::from_unix_millis(ms)
    }
}

/// A calendar date and time of day, for wire formats that print them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CivilTime {
    /// Year, e.g. 2026.
    pub year: i32,
    /// Month, 1 to 12.
    pub month: u8,
    /// Day of the month, 1 to 31.
    pub day: u8,
    /// Hour, 0 to 23.
    pub hour: u8,
    /// Minute, 0 to 59.
    pub minute: u8,
    /// Second, 0 to 59.
    pub second: u8,
    /// Millisecond, 0 to 999.
    pub millisecond: u16,
}

impl CivilTime {
    /// Converts Unix milliseconds (negative before 1970) to a proleptic Gregorian UTC time.
    #[must_use]
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // ranges are bounded below
    pub fn from_unix_millis(ms: i128) -> Self {
        let days = ms.div_euclid(86_400_000);
        let ms_of_day = ms.rem_euclid(86_400_000);
        // Civil-from-days, after Howard Hinnant's public-domain date algorithms.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i128::from(month <= 2)) as i32;
        Self {
            year,
            month,
            day,
            hour: (ms_of_day / 3_600_000) as u8,
            minute: (ms_of_day / 60_000 % 60) as u8,
            second: (ms_of_day / 1000 % 60) as u8,
            millisecond: (ms_of_day % 1000) as u16,
        }
    }
}

impl fmt::Display for CivilTime {
    /// Formats as ISO 8601 without a zone: `2026-11-21T09:30:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_instead_of_panicking() {
        let t = Timestamp::from_millis(1500);
        assert_eq!((t + Duration::from_millis(500)).as_millis(), 2000);
        assert_eq!((t - Duration::from_secs(10)).as_millis(), 0);
        assert_eq!(Timestamp::ZERO - t, Duration::ZERO);
        assert_eq!(t - Timestamp::ZERO, Duration::from_millis(1500));
        assert_eq!(
            Timestamp::from_millis(u64::MAX) + Duration::from_secs(1),
            Timestamp::from_millis(u64::MAX)
        );
        assert_eq!(t.to_string(), "1.500s");
    }

    #[test]
    fn wall_clock_derives_from_origin() {
        let wall = WallClock::new(1_763_717_400_000); // 2025-11-21T09:30:00Z
        let now = Timestamp::from_millis(61_000);
        assert_eq!(wall.unix_millis(now), 1_763_717_461_000);
        assert_eq!(wall.civil(now, 0).to_string(), "2025-11-21T09:31:01");
        assert_eq!(wall.civil(now, -300).to_string(), "2025-11-21T04:31:01");
        assert_eq!(
            CivilTime::from_unix_millis(0).to_string(),
            "1970-01-01T00:00:00"
        );
        assert_eq!(
            CivilTime::from_unix_millis(951_782_400_000).to_string(),
            "2000-02-29T00:00:00"
        );
    }
}
