//! [`SystemClock`]: the real clocks, for drivers.

use std::time::{Instant, SystemTime};

use spaps_proto::{Clock, Now, Timestamp};

/// The real clocks: [`Instant::now`] and [`SystemTime::now`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Now {
        Now::new(
            Instant::now(),
            Timestamp::from_system_time(SystemTime::now()),
        )
    }

    fn instant(&self) -> Instant {
        Instant::now()
    }
}
