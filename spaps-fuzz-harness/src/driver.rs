//! Driving a state machine on virtual time against the input's responses.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Method;
use spaps_proto::SendError;
use spaps_proto::{
    ClientState, Config, Error, Machine, Now, RetryPolicy, Timestamp, TransportError,
    TransportErrorKind,
};
use spaps_testkit::simulator::{Responder, Simulator};

use crate::input::{decode_response, WALL0};

/// What a driven machine did.
#[derive(Debug, Default)]
pub struct Trace {
    /// For each request sent: virtual time since the start, method, path.
    pub sends: Vec<(Duration, Method, String)>,
    /// For each sleep: (from, until), virtual time since the start.
    pub sleeps: Vec<(Duration, Duration)>,
    /// The responses fed, in order: virtual time, the request's path, the response.
    pub fed: Vec<(Duration, String, http::Response<Bytes>)>,
}

/// Drives machines against fuzzed responses on virtual time (the testkit's
/// [`Simulator`]), recording what happened.
pub struct Driver {
    sim: Simulator,
    /// What happened.
    pub trace: Trace,
}

impl Driver {
    /// A driver at `WALL0` for `config`.
    pub fn new(config: Config) -> Self {
        let wall0 = Timestamp::from_unix_seconds(WALL0).unwrap_or(Timestamp::UNIX_EPOCH);
        Self {
            sim: Simulator::starting_at(ClientState::new(config, 0x5eed), wall0),
            trace: Trace::default(),
        }
    }

    /// The client state the machines run on.
    pub fn state(&self) -> &ClientState {
        self.sim.state()
    }

    /// The client state, to change.
    pub fn state_mut(&mut self) -> &mut ClientState {
        self.sim.state_mut()
    }

    /// The virtual time.
    pub fn now(&self) -> Now {
        self.sim.now()
    }

    /// Virtual time since the start.
    pub fn elapsed(&self) -> Duration {
        self.sim.elapsed()
    }

    /// The instant the driver started at.
    pub fn start(&self) -> Instant {
        self.sim.start()
    }

    /// Runs `machine` to completion, answering each request with the next response
    /// of `responses` (then with a connect failure). Panics when the machine breaks
    /// its protocol: a sleep into the past, a wait for another call's refresh (there
    /// is no other call), a misuse error, or no end within `max_steps` outputs.
    pub fn run<M: Machine>(
        &mut self,
        machine: M,
        responses: &[&[u8]],
        max_steps: usize,
    ) -> Result<M::Output, Error> {
        let name = machine.name();
        let mut responder = FuzzResponder {
            responses,
            next: 0,
            t0: self.sim.start(),
            trace: &mut self.trace,
        };
        self.sim.set_max_steps(max_steps);
        match self.sim.run(machine, &mut responder) {
            Ok(Err(Error::Misuse(what))) => {
                panic!("{name}: misuse reported to a correct driver: {what}")
            }
            Ok(result) => result,
            Err(stuck) => panic!("{stuck}"),
        }
    }
}

/// Answers with the fuzzed responses in order, then with connect failures.
struct FuzzResponder<'a> {
    responses: &'a [&'a [u8]],
    next: usize,
    t0: Instant,
    trace: &'a mut Trace,
}

impl Responder for FuzzResponder<'_> {
    fn respond(
        &mut self,
        request: http::Request<Bytes>,
        now: Now,
    ) -> Result<http::Response<Bytes>, SendError> {
        let at = now.instant - self.t0;
        let path = request.uri().path().to_owned();
        self.trace
            .sends
            .push((at, request.method().clone(), path.clone()));
        let Some(chunk) = self.responses.get(self.next) else {
            return Err(SendError::Transport(TransportError::new(
                TransportErrorKind::Connect,
                "no more fuzzed responses",
            )));
        };
        self.next += 1;
        let response = decode_response(chunk, now.wall);
        self.trace.fed.push((at, path, response.clone()));
        Ok(response)
    }

    fn slept(&mut self, from: Duration, to: Duration) {
        self.trace.sleeps.push((from, to));
    }
}

/// The configuration the call targets use.
pub(crate) fn config(policy: RetryPolicy) -> Config {
    match Config::new("https://api.example.com/spaps") {
        Ok(c) => c.with_api_key("key_fuzz").with_retry(policy),
        Err(e) => panic!("the fuzz base URL is valid: {e}"),
    }
}
