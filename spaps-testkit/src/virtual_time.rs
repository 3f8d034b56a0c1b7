//! [`VirtualClock`]: time that moves only when something sleeps.
//!
//! It implements the core's [`Clock`] and (with the "io" feature, through
//! `VirtualRuntime`) both clients' sleepers, so a test that meets a retry backoff or a
//! device-flow interval finishes at once and can assert exactly how long the SDK chose
//! to wait.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use spaps_proto::{Clock, Now, Timestamp};

#[cfg(feature = "io")]
mod runtime;
#[cfg(feature = "io")]
pub use runtime::VirtualRuntime;

/// A clock that starts at the real time of its creation and advances only by sleeps.
#[derive(Debug)]
pub struct VirtualClock {
    start_instant: Instant,
    start_wall: SystemTime,
    inner: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    elapsed: Duration,
    sleeps: Vec<Duration>,
}

impl VirtualClock {
    /// A clock reading the real time now; shared, since clients take an `Arc`.
    pub fn new() -> Arc<Self> {
        Self::starting_at(SystemTime::now())
    }

    /// A clock whose wall time starts at `wall`.
    pub fn starting_at(wall: SystemTime) -> Arc<Self> {
        Arc::new(Self {
            start_instant: Instant::now(),
            start_wall: wall,
            inner: Mutex::new(State::default()),
        })
    }

    /// Moves time forward by `duration` and records it as a sleep.
    pub fn sleep(&self, duration: Duration) {
        let mut s = self.lock();
        s.elapsed += duration;
        s.sleeps.push(duration);
    }

    /// Moves time forward to `until` (no-op if already past), recording the sleep.
    pub fn sleep_until(&self, until: Instant) {
        let now = self.now().instant;
        if until > now {
            self.sleep(until - now);
        }
    }

    /// Every sleep so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().sleeps.clone()
    }

    /// Forgets the recorded sleeps (time keeps its value).
    pub fn clear_sleeps(&self) {
        self.lock().sleeps.clear();
    }

    /// Virtual time elapsed since creation.
    pub fn elapsed(&self) -> Duration {
        self.lock().elapsed
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Now {
        let elapsed = self.lock().elapsed;
        Now::new(
            self.start_instant + elapsed,
            Timestamp::from_system_time(self.start_wall + elapsed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_moves_only_by_sleeps() {
        let c = VirtualClock::new();
        let a = c.now();
        c.sleep(Duration::from_secs(5));
        let b = c.now();
        assert_eq!(b.instant - a.instant, Duration::from_secs(5));
        assert_eq!(b.wall.unix_seconds() - a.wall.unix_seconds(), 5);
        c.sleep_until(a.instant + Duration::from_secs(3));
        assert_eq!(c.sleeps(), vec![Duration::from_secs(5)]);
    }
}
