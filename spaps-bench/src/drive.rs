//! Driving the core for the benchmarks: one call on the testkit's simulator, answered
//! at once.

use std::hint::black_box;

use bytes::Bytes;
use spaps_proto::envelope::Shape;
use spaps_proto::spec::{Auth, RequestSpec};
use spaps_proto::{CallOptions, ClientState, Endpoint, Error, Now, Timestamp};
use spaps_testkit::simulator::Simulator;

/// `state` on the testkit's simulator, at a fixed wall time (2025-01-15T12:00:00Z).
pub fn simulator(state: ClientState) -> Simulator {
    let wall = Timestamp::from_unix_seconds(1_736_942_400).unwrap_or(Timestamp::UNIX_EPOCH);
    Simulator::starting_at(state, wall)
}

/// One call of `endpoint` on `sim`, from start to result, answered with `response`.
///
/// # Panics
/// When the call waits for another call or never ends: a lone call with a fresh token
/// does neither.
pub fn drive<E: Endpoint>(
    sim: &mut Simulator,
    endpoint: E,
    response: &impl Fn() -> http::Response<Bytes>,
) -> Result<E::Output, Error> {
    sim.call(
        endpoint,
        CallOptions::default(),
        &mut |request: http::Request<Bytes>, _: Now| {
            black_box(&request);
            Ok(response())
        },
    )
    .expect("a lone call with a fresh token neither sleeps nor waits")
}

/// The smallest bearer endpoint: `GET /api/ping`, whose parse reads nothing, so a call
/// costs only the core's own work.
#[derive(Debug, Clone, Copy)]
pub struct Ping;

impl Endpoint for Ping {
    type Output = ();
    type Wire = ();
    const NAME: &'static str = "bench.ping";
    const SHAPE: Shape = Shape::Custom;

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/ping").auth(Auth::Bearer))
    }

    fn parse(&self, _response: &http::Response<Bytes>) -> Result<(), Error> {
        Ok(())
    }
}
