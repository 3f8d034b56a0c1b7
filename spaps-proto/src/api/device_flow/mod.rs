//! Device-code login (RFC 8628) for CLIs and devices without a browser
//! (`/api/cli/device`).
//!
//! [`DeviceFlowApi::login`] does it all: it starts the flow, hands the code to your
//! callback to show the user, polls until the user approves, and stores the tokens.
//! The waits are decided by [`login::DevicePoll`]: the server's interval
//! (5 s when absent), 5 s more for every `slow_down`, never past `expires_in`. Like the
//! reference's `poll_interval` and `timeout`, a login can set a floor under the
//! interval and an overall time limit: `client.device_flow().login(None, show)
//! .timeout(Duration::from_secs(300)).min_interval(Duration::from_secs(5))`, then
//! `.send()` (or `.await` on the async client).

pub mod login;

use std::fmt;
use std::future::IntoFuture;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::api::device_flow::login::{DeviceLogin, DeviceLoginOptions, DevicePoll};
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::model::device_flow::{DeviceAuthorization, DeviceTokens};
use crate::request::{Bound, Execute, Unbound};
use crate::secret::Secret;
use crate::spec::{Auth, RequestSpec};
use crate::tokens::TokenUpdate;

/// The device-code login operations of a client: `client.device_flow()`.
#[derive(Debug)]
pub struct DeviceFlowApi<'a, X> {
    client: &'a X,
}

impl<'a, X: Execute> DeviceFlowApi<'a, X> {
    /// The device-flow operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }

    /// Starts a login: the server issues a device code and a user code.
    /// Optional: `.scope(..)`.
    pub fn start(&self) -> StartDeviceFlow<Bound<'a, X>> {
        StartDeviceFlow::new().on(self.client)
    }

    /// Polls until the user approves `authorization` (or denies it, or it expires);
    /// stores and returns the tokens.
    pub fn poll(&self, authorization: &DeviceAuthorization) -> X::Outcome<'a, DeviceTokens> {
        let poll = DevicePoll::from_authorization(authorization);
        self.client.run(move |_state, now| poll.started_at(now))
    }

    /// Polls with a device code obtained elsewhere, every `interval`, for at most
    /// `valid_for`.
    pub fn poll_device_code(
        &self,
        device_code: impl Into<Secret>,
        interval: Duration,
        valid_for: Duration,
    ) -> X::Outcome<'a, DeviceTokens> {
        let poll = DevicePoll::new(device_code.into(), interval, valid_for);
        self.client.run(move |_state, now| poll.started_at(now))
    }

    /// The whole login: start (with `scope`, if any), call `show` once with the codes
    /// to display, poll, store the tokens. Optional: `.timeout(..)` (the whole login)
    /// and `.min_interval(..)` (a floor under the server's interval); then `.send()`, or
    /// `.await` it on an async client.
    pub fn login(
        &self,
        scope: Option<String>,
        show: impl FnMut(&DeviceAuthorization) + Send + 'static,
    ) -> DeviceLoginRequest<'a, X> {
        DeviceLoginRequest {
            client: self.client,
            scope,
            show: Box::new(show),
            options: DeviceLoginOptions::default(),
        }
    }
}

/// A device-code login ready to run: see [`DeviceFlowApi::login`].
#[must_use = "a login does nothing until it is sent"]
pub struct DeviceLoginRequest<'a, X> {
    client: &'a X,
    scope: Option<String>,
    show: Box<dyn FnMut(&DeviceAuthorization) + Send>,
    options: DeviceLoginOptions,
}

impl<'a, X: Execute> DeviceLoginRequest<'a, X> {
    /// Ends the login with
    /// [`DeviceFlowError::TimedOut`](login::DeviceFlowError::TimedOut) when the
    /// user has not approved within `limit` of the start (the reference's `timeout`).
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.options = self.options.timeout(limit);
        self
    }

    /// Never polls more often than every `floor` (at least
    /// [`MIN_INTERVAL`](login::MIN_INTERVAL)), whatever interval the server
    /// gives (the reference's `poll_interval`).
    pub fn min_interval(mut self, floor: Duration) -> Self {
        self.options = self.options.min_interval(floor);
        self
    }

    /// Replaces all the options.
    pub fn options(mut self, options: DeviceLoginOptions) -> Self {
        self.options = options;
        self
    }

    /// Runs the login.
    pub fn send(self) -> X::Outcome<'a, DeviceTokens> {
        let Self {
            client,
            scope,
            show,
            options,
        } = self;
        client.run(move |config, now| {
            DeviceLogin::with_options(
                config,
                now,
                StartDeviceFlow {
                    bound: Unbound,
                    scope,
                },
                show,
                options,
            )
        })
    }
}

impl<'a, X> IntoFuture for DeviceLoginRequest<'a, X>
where
    X: Execute,
    X::Outcome<'a, DeviceTokens>: std::future::Future,
{
    type Output = <X::Outcome<'a, DeviceTokens> as std::future::Future>::Output;
    type IntoFuture = X::Outcome<'a, DeviceTokens>;

    fn into_future(self) -> Self::IntoFuture {
        self.send()
    }
}

impl<X> fmt::Debug for DeviceLoginRequest<'_, X> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceLoginRequest")
            .field("scope", &self.scope)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// `POST /api/cli/device/authorize`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct StartDeviceFlow<B = Unbound> {
    /// The scopes asked for, space-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl StartDeviceFlow {
    /// The request (every argument is optional).
    pub fn new() -> Self {
        Self {
            bound: Unbound,
            scope: None,
        }
    }
}

crate::arguments::arguments!(StartDeviceFlow() { scope: String });

impl Endpoint for StartDeviceFlow {
    type Output = DeviceAuthorization;
    type Wire = DeviceAuthorization;
    const NAME: &'static str = "device_flow.start";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/cli/device/authorize").json(self))
    }
}

/// `POST /api/cli/device/token`: one poll. [`DevicePoll`] repeats it as RFC 8628 says.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct RequestDeviceToken<B = Unbound> {
    /// The device code from [`DeviceAuthorization`].
    pub device_code: Secret,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(RequestDeviceToken(device_code) {});

impl RequestDeviceToken {
    /// One poll with `device_code`.
    pub fn new(device_code: impl Into<Secret>) -> Self {
        Self {
            bound: Unbound,
            device_code: device_code.into(),
        }
    }
}

impl Endpoint for RequestDeviceToken {
    type Output = DeviceTokens;
    type Wire = DeviceTokens;
    const NAME: &'static str = "device_flow.request_token";

    fn request(&self) -> Result<RequestSpec, Error> {
        if self.device_code.is_empty() {
            return Err(Error::invalid("device_code", "must not be empty"));
        }
        Ok(RequestSpec::post("/api/cli/device/token")
            .json(self)
            .auth(Auth::ApiKey))
    }

    fn token_update(&self, output: &DeviceTokens) -> TokenUpdate {
        TokenUpdate::Store(output.issued())
    }
}

crate::registry!(StartDeviceFlow, RequestDeviceToken);
