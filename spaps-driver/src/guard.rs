//! [`CallGuard`]: the `Drop` guard every drive loop holds, which hands a call's
//! refresh back to the client when the call goes away before it is done.

use bytes::Bytes;
use spaps_proto::{Config, Error, Machine, Now, Output, SendError};

use crate::client::{Client, Runtime};
use crate::shared::{Effects, Sending};

/// Holds the machine of one call, and abandons it when dropped before the call is
/// done (its future was dropped, its thread unwound): a token refresh the call owned
/// is handed back and the calls waiting on it are woken, as quinn's
/// `Drop for ConnectionRef` tells the connection a handle went away.
#[derive(Debug)]
pub struct CallGuard<'a, R: Runtime, M: Machine> {
    client: &'a Client<R>,
    /// Boxed apart from the driver's own state: a call's future holds the guard across
    /// every await, and two allocations of half the size each are cheaper than one
    /// large one (glibc serves blocks up to 1,032 bytes from a per-thread cache, and
    /// larger ones from arenas whose lock the worker threads contend for; see
    /// BENCHMARKS.md, "Fourth round").
    machine: Box<M>,
    /// The clock reading of the step just taken, for the poll that follows it (the
    /// two are microseconds apart: one reading serves both).
    fresh: Option<Now>,
    /// [`Runtime::settled_count`] read before the poll that gave the current output.
    seen: u64,
    done: bool,
}

impl<'a, R: Runtime, M: Machine> CallGuard<'a, R, M> {
    /// Starts the machine `start` builds, with the client's configuration and time
    /// (outside the state lock).
    pub fn start<F: FnOnce(&Config, Now) -> M>(client: &'a Client<R>, start: F) -> Self {
        let now = client.shared().now();
        Self {
            machine: Box::new(client.shared().start_at(start, now)),
            client,
            fresh: Some(now),
            seen: 0,
            done: false,
        }
    }

    /// [`CallGuard::start`] for a call that runs later (a future, polled when its
    /// caller awaits it): the machine is built now, and its first poll reads the clock
    /// again instead of reusing the reading it was built with.
    pub fn start_ahead<F: FnOnce(&Config, Now) -> M>(client: &'a Client<R>, start: F) -> Self {
        let mut guard = Self::start(client, start);
        guard.fresh = None;
        guard
    }

    /// [`Runtime::settled_count`] as read before the poll that gave the last output:
    /// on [`Output::AwaitRefresh`], wait until the count moves past it.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// The machine.
    pub fn machine(&self) -> &M {
        &self.machine
    }

    /// The machine, to feed.
    pub fn machine_mut(&mut self) -> &mut M {
        &mut self.machine
    }

    /// Polls the machine ([`Shared::poll`](crate::Shared::poll)), at the time of the
    /// step just taken when there was one (the start, or an exchange's end), else at
    /// a new reading of the clock (after a wait).
    pub fn poll(&mut self) -> (Output<M::Output>, Effects) {
        self.seen = self.client.runtime().settled_count();
        let shared = self.client.shared();
        let now = self.fresh.take().unwrap_or_else(|| shared.now());
        shared.poll_at(&mut *self.machine, now)
    }

    /// Runs the interceptors before an exchange and starts timing it
    /// ([`Shared::before_send`](crate::Shared::before_send)); the [`Sending`] it
    /// gives carries what is left of the call's deadline.
    ///
    /// # Errors
    /// [`Error::Interceptor`] when an interceptor panicked: do not send.
    pub fn before_send(
        &self,
        request: http::Request<Bytes>,
    ) -> Result<(http::Request<Bytes>, Sending), Error> {
        self.client.shared().before_send(&*self.machine, request)
    }

    /// Ends an exchange ([`Shared::after_send`](crate::Shared::after_send)) with one
    /// clock reading, kept for the next poll.
    pub fn after_send(
        &mut self,
        sending: Sending,
        result: Result<http::Response<Bytes>, SendError>,
    ) -> (Effects, Result<(), Error>) {
        let shared = self.client.shared();
        let now = shared.now();
        let outcome = shared.after_send_at(&mut *self.machine, sending, result, now);
        self.fresh = Some(now);
        outcome
    }

    /// The machine is done: nothing to abandon.
    pub fn disarm(&mut self) {
        self.done = true;
    }
}

impl<R: Runtime, M: Machine> Drop for CallGuard<'_, R, M> {
    fn drop(&mut self) {
        if !self.done {
            // Abandoning persists nothing: waking the waiters is all there is to do.
            let effects = self.client.shared().abandon(&mut *self.machine);
            if effects.refresh_settled {
                self.client.runtime().wake_waiters();
            }
        }
    }
}
