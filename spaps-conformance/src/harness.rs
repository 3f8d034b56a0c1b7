//! [`Harness`]: one client of one kind (sans-IO, tokio or blocking) answering from a
//! script of recorded responses, on virtual time.
//!
//! The sans-IO harness drives the core's state machine directly; the two others run the
//! real clients against a loopback [`MockServer`] that replays the script.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use spaps_proto::api::device_flow::StartDeviceFlow;
use spaps_proto::api::Visitor;
use spaps_proto::device::{DeviceLogin, DevicePoll};
use spaps_proto::model::device_flow::DeviceAuthorization;
use spaps_proto::SendError;
use spaps_proto::{
    CallOptions, ClientState, Clock, Config, Endpoint, Error, Execute, Machine, MemoryTokenStore,
    Now, RetryPolicy, Secret, Timestamp, Tokens, TransportError, TransportErrorKind,
};

use crate::cassette::{RecordedResponse, Setup};
use crate::matching::ObservedRequest;
use spaps_testkit::server::{MockServer, Reply};
use spaps_testkit::simulator::{Responder, Simulator, Stuck};
use spaps_testkit::tls::TestPki;
use spaps_testkit::virtual_time::{VirtualClock, VirtualRuntime};

/// Which client a harness runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdapterKind {
    /// The core driven in-process, no sockets.
    SansIo,
    /// `spaps_tokio::Client` over a loopback socket.
    Tokio,
    /// `spaps_blocking::Client` over a loopback socket.
    Blocking,
}

impl AdapterKind {
    /// All three.
    pub const ALL: [AdapterKind; 3] = [
        AdapterKind::SansIo,
        AdapterKind::Tokio,
        AdapterKind::Blocking,
    ];

    /// `sans-io`, `tokio` or `blocking`.
    pub fn name(self) -> &'static str {
        match self {
            AdapterKind::SansIo => "sans-io",
            AdapterKind::Tokio => "tokio",
            AdapterKind::Blocking => "blocking",
        }
    }

    /// Parses a name as printed by [`Self::name`].
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for AdapterKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The responses still to give and the requests received, shared with the server.
#[derive(Debug, Default)]
pub struct Script {
    inner: Mutex<ScriptState>,
}

#[derive(Debug, Default)]
struct ScriptState {
    responses: VecDeque<RecordedResponse>,
    observed: Vec<ObservedRequest>,
}

impl Script {
    /// Loads the responses of a step and forgets earlier requests.
    pub fn load(&self, responses: impl IntoIterator<Item = RecordedResponse>) {
        let mut s = self.lock();
        s.responses = responses.into_iter().collect();
        s.observed.clear();
    }

    /// Records `request` and gives the next response, if any is left.
    pub fn answer(&self, request: ObservedRequest) -> Option<RecordedResponse> {
        let mut s = self.lock();
        s.observed.push(request);
        s.responses.pop_front()
    }

    /// The requests received since the last [`Self::load`].
    pub fn observed(&self) -> Vec<ObservedRequest> {
        self.lock().observed.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ScriptState> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One client under test.
pub struct Harness {
    kind: AdapterKind,
    clock: Arc<VirtualClock>,
    script: Arc<Script>,
    // Dropped before the server, so the server finds no open keep-alive connection.
    backend: Backend,
    server: Option<MockServer>,
    /// The CA the server's certificate chains to, when it serves TLS.
    ca_pem: Option<String>,
    poll_interval: Option<f64>,
}

enum Backend {
    Unconfigured,
    SansIo(Box<Simulator>),
    Tokio(spaps_tokio::Client),
    Blocking(spaps_blocking::Client),
}

impl fmt::Debug for Harness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Harness")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Harness {
    /// A harness of `kind`; adapters get a loopback server now.
    ///
    /// # Errors
    /// When the loopback server cannot start.
    pub fn new(kind: AdapterKind) -> std::io::Result<Self> {
        Self::start(kind, None)
    }

    /// A harness of `kind` whose loopback server speaks TLS with a certificate from
    /// `pki`, which the client is told to trust. The sans-IO harness has no server.
    ///
    /// # Errors
    /// When the loopback server cannot start.
    pub fn new_tls(kind: AdapterKind, pki: &TestPki) -> std::io::Result<Self> {
        Self::start(kind, Some(pki))
    }

    fn start(kind: AdapterKind, pki: Option<&TestPki>) -> std::io::Result<Self> {
        let script = Arc::new(Script::default());
        let server = match kind {
            AdapterKind::SansIo => None,
            _ => {
                let s = Arc::clone(&script);
                let handler = move |req: &ObservedRequest| match s.answer(req.clone()) {
                    Some(resp) => Reply::Response {
                        status: resp.status,
                        headers: resp
                            .headers
                            .iter()
                            .filter(|(n, _)| {
                                !n.eq_ignore_ascii_case("content-length")
                                    && !n.eq_ignore_ascii_case("transfer-encoding")
                                    && !n.eq_ignore_ascii_case("connection")
                            })
                            .cloned()
                            .collect(),
                        body: resp.body_bytes(),
                    },
                    None => Reply::json(
                        599,
                        &serde_json::json!({"error": {"code": "NO_RECORDED_RESPONSE", "message": "the cassette has no response for this request"}}),
                    ),
                };
                Some(match pki {
                    None => MockServer::start(handler)?,
                    Some(pki) => MockServer::start_tls(pki.server_tls(), handler)?,
                })
            }
        };
        Ok(Self {
            kind,
            clock: VirtualClock::new(),
            script,
            server,
            ca_pem: pki.map(|p| p.ca_pem().to_owned()),
            backend: Backend::Unconfigured,
            poll_interval: None,
        })
    }

    /// The kind.
    pub fn kind(&self) -> AdapterKind {
        self.kind
    }

    /// The virtual clock.
    pub fn clock(&self) -> &Arc<VirtualClock> {
        &self.clock
    }

    /// The script the server (or the sans-IO driver) answers from.
    pub fn script(&self) -> &Arc<Script> {
        &self.script
    }

    /// Builds a fresh client from a cassette setup.
    ///
    /// # Errors
    /// A message when the setup cannot be turned into a client.
    pub fn configure(&mut self, setup: &Setup) -> Result<(), String> {
        let base = match &self.server {
            None => setup.base_url.clone(),
            Some(server) => {
                let path = url::Url::parse(&setup.base_url)
                    .map(|u| u.path().trim_end_matches('/').to_owned())
                    .unwrap_or_default();
                format!("{}{}", server.url(), path)
            }
        };
        let mut config = Config::new(&base).map_err(|e| format!("base_url: {e}"))?;
        if let Some(key) = &setup.api_key {
            config = config.with_api_key(key.as_str());
        }
        config =
            config
                .with_timeout(Duration::from_secs(10))
                .with_retry(match &setup.retry_config {
                    None => RetryPolicy::disabled(),
                    Some(rc) => RetryPolicy::default()
                        .max_attempts(rc.max_attempts)
                        .base_delay(
                            Duration::try_from_secs_f64(rc.backoff_factor).unwrap_or_default(),
                        )
                        .jitter(rc.jitter)
                        .statuses(rc.status_codes.iter().copied())
                        .methods(rc.methods.iter().filter_map(|m| m.parse().ok())),
                });
        let tokens = self.setup_tokens(setup)?;
        self.poll_interval = setup.poll_interval;
        self.backend = match self.kind {
            AdapterKind::SansIo => {
                let mut state = ClientState::new(config, 1);
                state.load_tokens(tokens);
                // The simulator's wall clock starts where the harness clock is; its
                // sleeps move the harness clock too (`ScriptResponder::slept`).
                Backend::SansIo(Box::new(Simulator::starting_at(
                    state,
                    self.clock.now().wall,
                )))
            }
            AdapterKind::Blocking => Backend::Blocking(self.client(config, tokens)?),
            AdapterKind::Tokio => Backend::Tokio(self.client(config, tokens)?),
        };
        Ok(())
    }

    /// A client of runtime `R` on the harness clock, trusting the server's CA.
    fn client<R: VirtualRuntime>(
        &self,
        config: Config,
        tokens: Option<Tokens>,
    ) -> Result<spaps_driver::Client<R>, String> {
        let store = match tokens {
            Some(t) => MemoryTokenStore::with_tokens(t),
            None => MemoryTokenStore::new(),
        };
        let mut builder = spaps_driver::Client::<R>::builder().config(config);
        if let Some(ca) = &self.ca_pem {
            builder = builder.add_root_certificates_pem(ca);
        }
        builder
            .token_store(store)
            .clock(self.clock.clone())
            .sleeper(R::virtual_sleeper(self.clock.clone()))
            .jitter_seed(1)
            .build()
            .map_err(|e| e.to_string())
    }

    fn setup_tokens(&self, setup: &Setup) -> Result<Option<Tokens>, String> {
        if let Some(st) = &setup.stored_tokens {
            let mut t = Tokens::new(st.access_token.as_str());
            t.refresh_token = st.refresh_token.as_deref().map(Secret::from);
            t.token_type = st.token_type.clone().or(t.token_type);
            t.expires_at = match (&st.expires_at, st.expires_in_s) {
                (Some(at), _) => {
                    Some(Timestamp::parse(at).ok_or_else(|| format!("bad expires_at {at}"))?)
                }
                (None, Some(secs)) => Some(
                    self.clock
                        .now()
                        .wall
                        .saturating_add(Duration::try_from_secs_f64(secs).unwrap_or_default()),
                ),
                (None, None) => None,
            };
            return Ok(Some(t));
        }
        Ok(setup.access_token.as_deref().map(Tokens::new))
    }

    /// The tokens the client holds now.
    pub fn tokens(&self) -> Option<Tokens> {
        match &self.backend {
            Backend::Unconfigured => None,
            Backend::SansIo(sim) => sim.state().tokens().cloned(),
            Backend::Tokio(client) => client.tokens(),
            Backend::Blocking(client) => client.tokens(),
        }
    }

    /// Runs the endpoint named `name` with cassette `args`; `None` when no endpoint has
    /// that name. `Err` means the harness could not run it (arguments that do not fit).
    pub fn call(
        &mut self,
        name: &str,
        args: &Map<String, Value>,
    ) -> Option<Result<Result<Value, Error>, String>> {
        let mut args = args.clone();
        let mut options = CallOptions::default();
        for key in ["access_token_override", "access_token"] {
            if let Some(v) = args.remove(key) {
                if let Some(s) = v.as_str() {
                    options.access_token = Some(Secret::from(s));
                }
            }
        }
        if let Some(result) = self.device_flow(name, &args) {
            return Some(result);
        }
        spaps_proto::api::visit(
            name,
            RunVisitor {
                harness: self,
                args,
                options,
            },
        )
    }

    /// Runs one endpoint value on this harness's client.
    pub fn execute<E: Endpoint>(
        &mut self,
        endpoint: E,
        options: CallOptions,
    ) -> Result<E::Output, Error> {
        self.run(move |config: &Config, _now: Now| {
            spaps_proto::Call::new(config, endpoint, options)
        })
    }

    /// Runs a machine on this harness's client.
    pub fn run<M, F>(&mut self, start: F) -> Result<M::Output, Error>
    where
        M: Machine,
        F: FnOnce(&Config, Now) -> M + Send + 'static,
    {
        match &mut self.backend {
            Backend::Unconfigured => Err(Error::Misuse(spaps_proto::Misuse::Other(
                "harness not configured",
            ))),
            Backend::SansIo(sim) => {
                let machine = start(sim.state().config(), sim.now());
                let mut responder = ScriptResponder {
                    script: &self.script,
                    clock: &self.clock,
                };
                sim.run(machine, &mut responder)
                    .unwrap_or_else(|stuck| Err(stuck_error(&stuck)))
            }
            Backend::Tokio(client) => runtime()?.block_on(client.run(start)),
            Backend::Blocking(client) => client.run(start),
        }
    }

    /// Runs the device-flow calls, which are machines rather than single endpoints.
    fn device_flow(
        &mut self,
        name: &str,
        args: &Map<String, Value>,
    ) -> Option<Result<Result<Value, Error>, String>> {
        let result = match name {
            "device_flow.poll" => {
                let Some(code) = args.get("device_code").and_then(Value::as_str) else {
                    return Some(Err("device_flow.poll needs a device_code".to_owned()));
                };
                let interval = Duration::try_from_secs_f64(self.poll_interval.unwrap_or(5.0))
                    .unwrap_or_default();
                // FORMAT.md: a device code is valid for 15 minutes.
                let poll =
                    DevicePoll::new(Secret::from(code), interval, Duration::from_secs(15 * 60));
                self.run(move |_state, now| poll.started_at(now))
            }
            "device_flow.login" => {
                let scope = args.get("scope").and_then(Value::as_str).map(str::to_owned);
                let mut start = StartDeviceFlow::new();
                start.scope = scope;
                self.run(move |config, _now| {
                    DeviceLogin::new(config, start, Box::new(|_: &DeviceAuthorization| {}))
                })
            }
            _ => return None,
        };
        Some(Ok(
            result.map(|out| serde_json::to_value(out).unwrap_or(Value::Null))
        ))
    }

    /// The requests received since the script was last loaded.
    pub fn observed(&self) -> Vec<ObservedRequest> {
        self.script.observed()
    }
}

/// The runtime every tokio harness runs on (building one per cassette is slow).
///
/// # Errors
/// When no runtime can be built.
pub fn runtime() -> Result<&'static tokio::runtime::Runtime, Error> {
    static RT: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .ok()
    })
    .as_ref()
    .ok_or(Error::Misuse(spaps_proto::Misuse::Other(
        "no tokio runtime could be built",
    )))
}

struct RunVisitor<'a> {
    harness: &'a mut Harness,
    args: Map<String, Value>,
    options: CallOptions,
}

impl Visitor for RunVisitor<'_> {
    type Out = Result<Result<Value, Error>, String>;

    fn visit<E>(self) -> Self::Out
    where
        E: Endpoint + DeserializeOwned,
        E::Output: Serialize,
    {
        let endpoint: E = serde_json::from_value(Value::Object(self.args))
            .map_err(|e| format!("the arguments do not fit {}: {e}", E::NAME))?;
        Ok(self
            .harness
            .execute(endpoint, self.options)
            .map(|out| serde_json::to_value(out).unwrap_or(Value::Null)))
    }
}

/// Answers the sans-IO client's requests from the script, and keeps the harness clock
/// in step with the simulator's sleeps.
struct ScriptResponder<'a> {
    script: &'a Script,
    clock: &'a VirtualClock,
}

impl Responder for ScriptResponder<'_> {
    fn respond(
        &mut self,
        request: http::Request<Bytes>,
        _now: Now,
    ) -> Result<http::Response<Bytes>, SendError> {
        match self.script.answer(ObservedRequest::from_http(&request)) {
            Some(recorded) => Ok(recorded.to_http()),
            None => Err(SendError::Transport(TransportError::new(
                TransportErrorKind::Connect,
                "the cassette has no response for this request",
            ))),
        }
    }

    fn slept(&mut self, from: Duration, to: Duration) {
        self.clock.sleep(to - from);
    }
}

/// A stuck sans-IO call, as the misuse the clients would report.
fn stuck_error(stuck: &Stuck) -> Error {
    let what = match stuck {
        Stuck::AwaitedRefresh(_) => "a lone call waited for another call",
        Stuck::TooManySteps { .. } => "the call did not finish within 1000 steps",
        _ => "the call asked for what a lone call never needs",
    };
    Error::Misuse(spaps_proto::Misuse::Other(what))
}
