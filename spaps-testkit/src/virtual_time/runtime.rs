//! [`VirtualRuntime`]: both clients' runtimes on a [`VirtualClock`] (the "io" feature).

use std::sync::Arc;
use std::time::Duration;

use super::VirtualClock;

/// A client runtime whose sleeper can be a [`VirtualClock`]: lets a test build either
/// client on virtual time with one generic function.
///
/// ```
/// use std::sync::Arc;
/// use spaps_testkit::virtual_time::{VirtualClock, VirtualRuntime};
///
/// fn on_virtual_time<R: VirtualRuntime>(
///     clock: &Arc<VirtualClock>,
/// ) -> Result<spaps_driver::Client<R>, spaps_proto::Error> {
///     spaps_driver::Client::<R>::builder()
///         .clock(clock.clone())
///         .sleeper(R::virtual_sleeper(clock.clone()))
///         .build()
/// }
/// let clock = VirtualClock::new();
/// let _async_client = on_virtual_time::<spaps_tokio::Tokio>(&clock)?;
/// let _blocking_client = on_virtual_time::<spaps_blocking::Blocking>(&clock)?;
/// # Ok::<(), spaps_proto::Error>(())
/// ```
pub trait VirtualRuntime: spaps_driver::Runtime {
    /// `clock` as this runtime's sleeper.
    fn virtual_sleeper(clock: Arc<VirtualClock>) -> Arc<Self::Sleeper>;
}

impl VirtualRuntime for spaps_tokio::Tokio {
    fn virtual_sleeper(clock: Arc<VirtualClock>) -> Arc<dyn spaps_tokio::Sleeper> {
        clock
    }
}

impl VirtualRuntime for spaps_blocking::Blocking {
    fn virtual_sleeper(clock: Arc<VirtualClock>) -> Arc<dyn spaps_blocking::Sleeper> {
        clock
    }
}

impl spaps_blocking::Sleeper for VirtualClock {
    fn sleep(&self, duration: Duration) {
        VirtualClock::sleep(self, duration);
    }
}

impl spaps_tokio::Sleeper for VirtualClock {
    fn sleep(&self, duration: Duration) -> spaps_tokio::BoxFuture<'static, ()> {
        VirtualClock::sleep(self, duration);
        Box::pin(std::future::ready(()))
    }
}
