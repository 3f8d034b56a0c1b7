//! [`Machine`]: what a driver runs. A [`Call`](crate::Call) is one; so are the
//! device-flow machines, which chain several calls with waits between them.

use std::time::Instant;

use bytes::Bytes;
use http::Method;

use crate::driver::{Now, Output, SendError};
use crate::error::Error;
use crate::retry::RetryNotice;
use crate::state::ClientState;
use crate::tokens::StoreSnapshot;

/// A state machine a driver can run to completion: poll it, do what the [`Output`]
/// says, feed back responses and failures. Both clients run every `Machine` with the
/// same loop.
pub trait Machine: Send + 'static {
    /// The result.
    type Output: Send + 'static;

    /// What to do next.
    fn poll(&mut self, now: Now, state: &mut ClientState) -> Output<Self::Output>;

    /// A poll that needs only to read the shared state: `Some(output)` when this step
    /// reads it and nothing else (the common case: send with the current token), and
    /// then it is exactly what [`poll`](Machine::poll) would have given; `None` (the
    /// default) means nothing was done: poll with the state to write. A driver may run
    /// it under a shared lock, so concurrent calls do not wait for one another.
    fn poll_shared(&mut self, now: Now, state: &ClientState) -> Option<Output<Self::Output>> {
        let _ = (now, state);
        None
    }

    /// Feeds a response with read access to the shared state only: `None` when that
    /// was enough (the common case: a success that changes no token), fed exactly as
    /// [`handle_response`](Machine::handle_response) would have fed it; `Some` hands
    /// the response back untouched, to feed with the state to write (the default).
    fn handle_response_shared(
        &mut self,
        now: Now,
        state: &ClientState,
        response: http::Response<Bytes>,
    ) -> Option<http::Response<Bytes>> {
        let _ = (now, state);
        Some(response)
    }

    /// The result, when the machine is done and its next [`poll`](Machine::poll) would
    /// only hand it over: a driver that shares state may take it here, without the
    /// state lock, and treat it as [`Output::Done`]. `None` means: poll as usual (the
    /// default).
    fn take_result(&mut self) -> Option<Result<Self::Output, Error>> {
        None
    }

    /// Reads the response to the request last returned by [`Output::Send`] before the
    /// same response is fed to [`Machine::handle_response`], without the client state: a machine may decode a success body here, so
    /// that [`Machine::handle_response`] (which a shared driver calls under its state
    /// lock) only decides. Drivers that share state call it outside the lock; calling
    /// it is optional, and the result is the same either way. Default: nothing.
    fn prepare_response(&mut self, response: &http::Response<Bytes>) {
        let _ = response;
    }

    /// Feeds the response to the request last returned by [`Output::Send`].
    fn handle_response(
        &mut self,
        now: Now,
        state: &mut ClientState,
        response: http::Response<Bytes>,
    );

    /// Feeds a failure to send that request or to read its response.
    fn handle_error(&mut self, now: Now, state: &mut ClientState, error: SendError);

    /// Feeds what the token store held when re-read under its refresh lock, after
    /// [`Output::ReloadStore`].
    fn handle_reload(
        &mut self,
        now: Now,
        state: &mut ClientState,
        reloaded: Result<StoreSnapshot, Error>,
    );

    /// The machine goes away before it is done (its future was dropped, its thread
    /// unwound): a token refresh it owns is handed back, so other calls go on. Drivers
    /// call it from a `Drop` guard; it is safe to call at any time, also after `Done`.
    fn abandon(&mut self, state: &mut ClientState);

    /// When the current step must be over: a driver bounds the request it sends by it
    /// (with the per-attempt timeout), so no call outlives its overall deadline.
    fn deadline(&self) -> Option<Instant>;

    /// Runs user callbacks the last poll queued (e.g. showing a device code). Drivers
    /// call it after every poll, once the state lock is released, so no user code runs
    /// under the lock.
    fn run_callbacks(&mut self) {}

    /// The operation's name, for logs.
    fn name(&self) -> &'static str;

    /// The method and path template of the request in progress, for logs.
    fn describe(&self) -> Option<(&Method, &'static str)>;

    /// Attempts of the current request so far.
    fn attempt(&self) -> u32;

    /// True while the outstanding request is a token refresh.
    fn refreshing(&self) -> bool;

    /// The retry the last `handle_response` or `handle_error` decided on, once (`None`
    /// when it decided none). Drivers take it after feeding an exchange and report it
    /// to interceptors before they sleep; the core runs no user code itself.
    fn take_retry(&mut self) -> Option<RetryNotice> {
        None
    }
}
