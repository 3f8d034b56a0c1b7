//! [`Simulator`]: runs the core's state machines on virtual time against answers you
//! script, with no network and no real waiting.
//!
//! This is the drive loop of a sans-IO client with the IO replaced: each
//! [`Output::Send`] goes to a [`Responder`], each [`Output::Sleep`] moves virtual time
//! forward, and a call that would wait for another call (there is none) or reload a
//! store that coordinates nothing is reported as [`Stuck`]. The conformance replay,
//! the fuzz targets and the benchmarks of spaps-rs all drive the core through it.
//!
//! ```
//! use spaps_proto::api::metrics::Health;
//! use spaps_proto::{CallOptions, ClientState, Config};
//! use spaps_testkit::simulator::Simulator;
//!
//! let state = ClientState::new(Config::new("https://api.example.com").unwrap(), 7);
//! let mut sim = Simulator::new(state);
//! let mut busy_once = 0;
//! let health = sim
//!     .call(Health::new(), CallOptions::default(), &mut |_req: http::Request<bytes::Bytes>, _now| {
//!         busy_once += 1;
//!         let (status, body) = if busy_once == 1 {
//!             (503, "{}")
//!         } else {
//!             (200, r#"{"status":"healthy"}"#)
//!         };
//!         Ok(http::Response::builder().status(status).body(body.into()).unwrap())
//!     })
//!     .expect("the call finishes");
//! assert!(health.is_ok());
//! assert!(sim.elapsed() > std::time::Duration::ZERO, "the retry backoff was slept");
//! ```

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use spaps_proto::{
    CallOptions, ClientState, Endpoint, Error, Event, Machine, Now, Output, SendError, Timestamp,
};

/// The simulated server and observer of a [`Simulator`] run.
pub trait Responder {
    /// Answers `request`, sent at `now`: a response, or the failure a transport would
    /// report.
    ///
    /// # Errors
    /// The [`SendError`] to feed the machine instead of a response.
    fn respond(
        &mut self,
        request: http::Request<Bytes>,
        now: Now,
    ) -> Result<http::Response<Bytes>, SendError>;

    /// Virtual time moved from `from` to `to` (both since the simulator started) for a
    /// sleep the machine asked for.
    fn slept(&mut self, from: Duration, to: Duration) {
        let _ = (from, to);
    }

    /// The client state emitted `event` (tokens changed, a refresh settled).
    fn event(&mut self, event: Event) {
        let _ = event;
    }
}

impl<F> Responder for F
where
    F: FnMut(http::Request<Bytes>, Now) -> Result<http::Response<Bytes>, SendError>,
{
    fn respond(
        &mut self,
        request: http::Request<Bytes>,
        now: Now,
    ) -> Result<http::Response<Bytes>, SendError> {
        self(request, now)
    }
}

/// Why a simulated call could not finish: the machine asked for something a lone call
/// on a correct driver never needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Stuck {
    /// It waited for another call's token refresh; there is no other call.
    #[error("{0}: a lone call waited for another call's token refresh")]
    AwaitedRefresh(&'static str),
    /// It asked to reload a token store, but the state coordinates with none.
    #[error("{0}: asked to reload a token store that coordinates nothing")]
    ReloadedStore(&'static str),
    /// It asked to sleep until an instant already past.
    #[error("{0}: asked to sleep until an instant already past")]
    SleptIntoPast(&'static str),
    /// It did not finish within the step limit ([`Simulator::max_steps`]).
    #[error("{name}: no end within {steps} steps")]
    TooManySteps {
        /// The machine's name.
        name: &'static str,
        /// The limit.
        steps: usize,
    },
}

/// Client state plus virtual time: runs machines of the core one at a time.
#[derive(Debug)]
pub struct Simulator {
    state: ClientState,
    t0: Instant,
    wall0: Timestamp,
    elapsed: Duration,
    /// `t0` and `wall0` plus `elapsed`, kept up to date (read on every poll).
    now: Now,
    max_steps: usize,
}

impl Simulator {
    /// A simulator of `state`, its wall clock starting at the real time now.
    pub fn new(state: ClientState) -> Self {
        Self::starting_at(state, Timestamp::from_system_time(SystemTime::now()))
    }

    /// A simulator of `state`, its wall clock starting at `wall`.
    pub fn starting_at(state: ClientState, wall: Timestamp) -> Self {
        let t0 = Instant::now();
        Self {
            state,
            t0,
            wall0: wall,
            elapsed: Duration::ZERO,
            now: Now::new(t0, wall),
            max_steps: 1000,
        }
    }

    /// The most outputs one run may take before it is [`Stuck::TooManySteps`]
    /// (default 1000).
    #[must_use]
    pub fn max_steps(mut self, steps: usize) -> Self {
        self.set_max_steps(steps);
        self
    }

    /// Changes the step limit of the next runs ([`Simulator::max_steps`]).
    pub fn set_max_steps(&mut self, steps: usize) {
        self.max_steps = steps;
    }

    /// The virtual time now.
    pub fn now(&self) -> Now {
        self.now
    }

    /// The monotonic instant the simulator started at.
    pub fn start(&self) -> Instant {
        self.t0
    }

    /// Virtual time since the start.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// Moves virtual time forward by `by`.
    pub fn advance(&mut self, by: Duration) {
        self.set_elapsed(self.elapsed.saturating_add(by));
    }

    fn set_elapsed(&mut self, elapsed: Duration) {
        self.elapsed = elapsed;
        self.now = Now::new(self.t0 + elapsed, self.wall0.saturating_add(elapsed));
    }

    /// The client state.
    pub fn state(&self) -> &ClientState {
        &self.state
    }

    /// The client state, the simulator done with.
    pub fn into_state(self) -> ClientState {
        self.state
    }

    /// The client state, to change (set tokens, sign out).
    pub fn state_mut(&mut self) -> &mut ClientState {
        &mut self.state
    }

    /// Runs `endpoint` with `options` to its end.
    ///
    /// # Errors
    /// [`Stuck`] when the call asked for something a lone call never needs; the call's
    /// own result (possibly an [`Error`]) otherwise.
    pub fn call<E: Endpoint>(
        &mut self,
        endpoint: E,
        options: CallOptions,
        responder: &mut impl Responder,
    ) -> Result<Result<E::Output, Error>, Stuck> {
        let call = self.state.call(endpoint, options);
        self.run(call, responder)
    }

    /// Runs `machine` to its end: polls it, answers its requests with `responder`,
    /// sleeps on virtual time, hands every event of the state to `responder`.
    ///
    /// # Errors
    /// As [`Simulator::call`].
    pub fn run<M: Machine>(
        &mut self,
        mut machine: M,
        responder: &mut impl Responder,
    ) -> Result<Result<M::Output, Error>, Stuck> {
        for _ in 0..self.max_steps {
            match self.poll_once(&mut machine, responder) {
                Output::Send(request) => self.exchange(&mut machine, request, responder),
                Output::Sleep(until) => self.sleep_until(until, machine.name(), responder)?,
                Output::Done(result) => return Ok(result),
                Output::AwaitRefresh(_) => return Err(Stuck::AwaitedRefresh(machine.name())),
                Output::ReloadStore => return Err(Stuck::ReloadedStore(machine.name())),
            }
        }
        Err(Stuck::TooManySteps {
            name: machine.name(),
            steps: self.max_steps,
        })
    }

    /// Runs several machines on the one state, as concurrent calls of one client:
    /// each step advances the machine `schedule` picks (modulo their number; once the
    /// schedule is spent, round-robin) by one move: a poll, or the answer to the
    /// request it sent. A machine waiting for another's refresh just yields its step.
    /// Returns every machine's result, in order.
    ///
    /// # Errors
    /// [`Stuck::AwaitedRefresh`] when every unfinished machine waits for a refresh and
    /// none is in flight; [`Stuck::TooManySteps`] past [`Simulator::max_steps`] steps
    /// per machine; the others as [`Simulator::run`].
    pub fn interleave<M: Machine>(
        &mut self,
        mut machines: Vec<M>,
        schedule: impl IntoIterator<Item = usize>,
        responder: &mut impl Responder,
    ) -> Result<Vec<Result<M::Output, Error>>, Stuck> {
        let n = machines.len();
        let mut sent: Vec<Option<http::Request<Bytes>>> = (0..n).map(|_| None).collect();
        let mut waiting = vec![false; n];
        let mut results: Vec<Option<Result<M::Output, Error>>> = (0..n).map(|_| None).collect();
        let limit = self.max_steps.saturating_mul(n.max(1));
        let mut picks = schedule.into_iter().chain((0..).map(move |i| i % n.max(1)));
        let mut steps = 0;
        while results.iter().any(Option::is_none) {
            steps += 1;
            if steps > limit {
                let name = machines.first().map_or("", Machine::name);
                return Err(Stuck::TooManySteps { name, steps: limit });
            }
            let i = picks.next().unwrap_or(0) % n;
            if results[i].is_some() {
                continue;
            }
            let machine = &mut machines[i];
            if let Some(request) = sent[i].take() {
                self.exchange(machine, request, responder);
                // A refresh may have settled: every waiter polls again.
                waiting.fill(false);
                continue;
            }
            waiting[i] = false;
            match self.poll_once(machine, responder) {
                Output::Send(request) => sent[i] = Some(request),
                Output::Sleep(until) => self.sleep_until(until, machine.name(), responder)?,
                Output::Done(result) => results[i] = Some(result),
                Output::AwaitRefresh(_) => {
                    waiting[i] = true;
                    let stalled =
                        (0..n).all(|j| results[j].is_some() || (waiting[j] && sent[j].is_none()));
                    if stalled {
                        return Err(Stuck::AwaitedRefresh(machine.name()));
                    }
                }
                Output::ReloadStore => return Err(Stuck::ReloadedStore(machine.name())),
            }
        }
        Ok(results.into_iter().flatten().collect())
    }

    /// Polls `machine` once at the virtual now, hands the state's events to
    /// `responder`, then runs the callbacks the poll queued.
    fn poll_once<M: Machine>(
        &mut self,
        machine: &mut M,
        responder: &mut impl Responder,
    ) -> Output<M::Output> {
        let output = machine.poll(self.now, &mut self.state);
        self.drain(responder);
        machine.run_callbacks();
        output
    }

    /// Answers `request` with `responder` and feeds the answer to `machine`, reading a
    /// response ahead as a driver sharing its state would.
    fn exchange<M: Machine>(
        &mut self,
        machine: &mut M,
        request: http::Request<Bytes>,
        responder: &mut impl Responder,
    ) {
        let now = self.now;
        match responder.respond(request, now) {
            Ok(response) => {
                machine.prepare_response(&response);
                machine.handle_response(now, &mut self.state, response);
            }
            Err(error) => machine.handle_error(now, &mut self.state, error),
        }
        self.drain(responder);
    }

    /// Moves virtual time to `until`, which the machine `name` asked to sleep until.
    fn sleep_until(
        &mut self,
        until: Instant,
        name: &'static str,
        responder: &mut impl Responder,
    ) -> Result<(), Stuck> {
        if until <= self.now.instant {
            return Err(Stuck::SleptIntoPast(name));
        }
        let from = self.elapsed;
        self.set_elapsed(until - self.t0);
        responder.slept(from, self.elapsed);
        Ok(())
    }

    fn drain(&mut self, responder: &mut impl Responder) {
        while let Some(event) = self.state.poll_event() {
            responder.event(event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spaps_proto::api::metrics::Health;
    use spaps_proto::{Config, RetryPolicy};

    fn state(retry: RetryPolicy) -> ClientState {
        let config = Config::new("https://api.example.com")
            .unwrap()
            .with_retry(retry);
        ClientState::new(config, 1)
    }

    fn reply(status: u16, body: &'static str) -> http::Response<Bytes> {
        http::Response::builder()
            .status(status)
            .header("retry-after", "3")
            .body(Bytes::from_static(body.as_bytes()))
            .unwrap()
    }

    #[test]
    fn sleeps_move_virtual_time_and_are_reported() {
        struct Server {
            answers: Vec<http::Response<Bytes>>,
            slept: Vec<(Duration, Duration)>,
        }
        impl Responder for Server {
            fn respond(
                &mut self,
                _: http::Request<Bytes>,
                _: Now,
            ) -> Result<http::Response<Bytes>, SendError> {
                Ok(self.answers.remove(0))
            }
            fn slept(&mut self, from: Duration, to: Duration) {
                self.slept.push((from, to));
            }
        }
        let mut server = Server {
            answers: vec![reply(503, "{}"), reply(200, r#"{"status":"ok"}"#)],
            slept: Vec::new(),
        };
        let mut sim = Simulator::new(state(RetryPolicy::default()));
        let result = sim
            .call(Health::new(), CallOptions::default(), &mut server)
            .unwrap();
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(server.slept, vec![(Duration::ZERO, Duration::from_secs(3))]);
        assert_eq!(sim.elapsed(), Duration::from_secs(3));
    }

    #[test]
    fn a_transport_failure_is_fed_as_one() {
        let mut sim = Simulator::new(state(RetryPolicy::disabled()));
        let result = sim
            .call(
                Health::new(),
                CallOptions::default(),
                &mut |_: http::Request<Bytes>, _: Now| {
                    Err(SendError::Timeout(Duration::from_secs(1)))
                },
            )
            .unwrap();
        assert!(matches!(result, Err(Error::Timeout(_))), "{result:?}");
    }

    #[test]
    fn a_machine_that_never_ends_is_stuck_not_a_hang() {
        let mut sim = Simulator::new(state(RetryPolicy::default())).max_steps(3);
        let outcome = sim.call(
            Health::new(),
            CallOptions::default(),
            &mut |_: http::Request<Bytes>, _: Now| Ok(reply(503, "{}")),
        );
        assert!(
            matches!(outcome, Err(Stuck::TooManySteps { steps: 3, .. })),
            "{outcome:?}"
        );
    }
}
