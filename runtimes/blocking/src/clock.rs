//! The runtime's clock and seed: the one place of the workspace that reads the time and the
//! operating system's randomness.
//!
//! Executor-neutral: `pos-smol` and `pos-tokio` use it as it is.

use core::time::Duration;

use pos_core::{IdGen, Timestamp, WallClock};

/// A monotonic clock that keeps counting while the system is suspended, with its wall-clock
/// origin.
///
/// On Linux it reads `CLOCK_BOOTTIME`, so a terminal timeout that spans a laptop suspend fires
/// on waking instead of hours late; elsewhere it falls back to [`std::time::Instant`].
///
/// A clock may run faster than real time ([`Clock::start_scaled`]) so that demos and
/// end-to-end tests live through minutes of protocol deadlines in seconds: machine time is
/// `speed` × real time, [`Clock::until`] converts a machine deadline into a real wait, and
/// [`Clock::real`] converts a transport timeout.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    origin: Source,
    wall: WallClock,
    speed: u32,
}

impl Clock {
    /// Starts a real-time clock whose origin (`Timestamp::ZERO`) is now.
    #[must_use]
    pub fn start() -> Self {
        Self::start_scaled(1)
    }

    /// Starts a clock that runs `speed` times faster than real time (0 counts as 1).
    #[must_use]
    pub fn start_scaled(speed: u32) -> Self {
        let origin = Source::now();
        let wall = WallClock::new(unix_millis_now());
        Self {
            origin,
            wall,
            speed: speed.max(1),
        }
    }

    /// Returns the time elapsed since the origin, as machine time.
    #[must_use]
    pub fn now(&self) -> Timestamp {
        let elapsed = Source::now().since(self.origin).saturating_mul(self.speed);
        Timestamp::from_millis(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
    }

    /// Returns the wall clock whose origin matches this clock's, for a machine's constructor.
    #[must_use]
    pub const fn wall(&self) -> WallClock {
        self.wall
    }

    /// Returns how many times faster than real time the clock runs.
    #[must_use]
    pub const fn speed(&self) -> u32 {
        self.speed
    }

    /// Returns the real time to wait from now until machine time `at`, zero when it has
    /// passed.
    #[must_use]
    pub fn until(&self, at: Timestamp) -> Duration {
        self.real(at.saturating_duration_since(self.now()))
    }

    /// Converts a span of machine time (e.g. a transport timeout) into real time.
    #[must_use]
    pub fn real(&self, machine_time: Duration) -> Duration {
        machine_time / self.speed
    }

    /// Converts a machine's transport timeout into the real deadline for a socket. On a
    /// scaled clock it never drops under [`MIN_TRANSPORT_TIMEOUT`] (nor above the machine's
    /// own timeout): scheduler and handshake queueing on a loaded host must not pass for a
    /// lost reply, which would leave a sale unresolved.
    #[must_use]
    pub fn transport_timeout(&self, machine_time: Duration) -> Duration {
        self.real(machine_time)
            .max(MIN_TRANSPORT_TIMEOUT.min(machine_time))
    }
}

/// The shortest real transport timeout on a scaled clock (unless the machine asked for less):
/// one executor thread may be handshaking for hundreds of terminals at once.
pub const MIN_TRANSPORT_TIMEOUT: Duration = Duration::from_secs(2);

/// Returns an id generator seeded with 32 bytes from the operating system.
///
/// # Errors
/// [`SeedError`] when the operating system has no randomness to give.
pub fn os_ids() -> Result<IdGen, SeedError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| SeedError(e.to_string()))?;
    Ok(IdGen::from_seed_bytes(seed))
}

/// The operating system gave no randomness.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no randomness from the operating system: {0}")]
pub struct SeedError(pub String);

/// A raw monotonic reading.
#[derive(Clone, Copy, Debug)]
enum Source {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    Boottime(Duration),
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    Instant(std::time::Instant),
}

impl Source {
    // The runtime owns the clock: this is the one reading of it, for every machine it drives.
    #[allow(clippy::disallowed_methods)]
    fn now() -> Self {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            let ts = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
            let secs = u64::try_from(ts.tv_sec).unwrap_or(0);
            let nanos = u32::try_from(ts.tv_nsec).unwrap_or(0);
            Self::Boottime(Duration::new(secs, nanos))
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            Self::Instant(std::time::Instant::now())
        }
    }

    fn since(self, earlier: Self) -> Duration {
        match (self, earlier) {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            (Self::Boottime(a), Self::Boottime(b)) => a.saturating_sub(b),
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            (Self::Instant(a), Self::Instant(b)) => a.saturating_duration_since(b),
        }
    }
}

// The wall clock is read once per clock, to give machines their `WallClock` origin.
#[allow(clippy::disallowed_methods)]
fn unix_millis_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_moves_forward_from_the_origin() {
        let clock = Clock::start();
        let a = clock.now();
        std::thread::sleep(Duration::from_millis(20));
        let b = clock.now();
        assert!(b.as_millis() >= a.as_millis() + 15, "{a} {b}");
        assert!(clock.wall().unix_millis(b) > 1_600_000_000_000);
        assert_eq!(clock.until(Timestamp::ZERO), Duration::ZERO);
    }

    #[test]
    fn a_scaled_clock_runs_faster_and_converts_waits() {
        let clock = Clock::start_scaled(50);
        std::thread::sleep(Duration::from_millis(20));
        assert!(clock.now().as_millis() >= 1000, "{}", clock.now());
        assert_eq!(
            clock.real(Duration::from_secs(10)),
            Duration::from_millis(200)
        );
        let deadline = clock.now() + Duration::from_secs(5);
        assert!(clock.until(deadline) <= Duration::from_millis(100));
        assert_eq!(clock.speed(), 50);
    }

    #[test]
    fn transport_timeouts_have_one_floor_never_above_the_machines_own() {
        let fast = Clock::start_scaled(20);
        assert_eq!(
            fast.transport_timeout(Duration::from_secs(10)),
            MIN_TRANSPORT_TIMEOUT
        );
        assert_eq!(
            fast.transport_timeout(Duration::from_secs(100)),
            Duration::from_secs(5)
        );
        assert_eq!(
            fast.transport_timeout(Duration::from_millis(300)),
            Duration::from_millis(300)
        );
        let real = Clock::start();
        assert_eq!(
            real.transport_timeout(Duration::from_secs(10)),
            Duration::from_secs(10)
        );
        assert_eq!(
            real.transport_timeout(Duration::from_secs(1)),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn os_seeds_differ() {
        let mut a = os_ids().unwrap();
        let mut b = os_ids().unwrap();
        assert_ne!(a.hex(32), b.hex(32));
    }
}
