//! The application's whitelist (`/api/v1/whitelist`).
//!
//! Every answer is read inside `data` (the strict envelope of the contract's U4): a
//! body without `data` gives no entries, and `add`/`update` fail without `data.entry`.
//! `check` needs only the API key; the other calls need a bearer token.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::endpoint::{Endpoint, Paginated};
use crate::envelope::{Envelope, Shape, Slot};
use crate::error::{DecodeError, Error};
use crate::model::whitelist::{
    WhitelistCheckResult, WhitelistEntry, WhitelistListResult, WhitelistMessage,
};
use crate::request::{Bound, Execute, Unbound};
use crate::spec::{require, Auth, RequestSpec};

type Metadata = serde_json::Map<String, serde_json::Value>;

/// The whitelist operations of a client: `client.whitelist()`.
#[derive(Debug)]
pub struct WhitelistApi<'a, X> {
    client: &'a X,
}

impl<'a, X: Execute> WhitelistApi<'a, X> {
    /// The whitelist operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }

    /// Checks whether `email` is whitelisted (API key only, no bearer token).
    pub fn check(&self, email: impl Into<String>) -> Check<Bound<'a, X>> {
        Check::new(email).on(self.client)
    }

    /// Lists whitelist entries, a page at a time.
    /// Optional: `.limit(..)` (default 10), `.offset(..)` (default 0), `.tier(..)`.
    pub fn list(&self) -> List<Bound<'a, X>> {
        List::new().on(self.client)
    }

    /// Whitelists `email`.
    /// Optional: `.tier(..)` (default `premium`), `.bypass_payment(..)` (default `true`),
    /// `.metadata(..)`.
    pub fn add(&self, email: impl Into<String>) -> Add<Bound<'a, X>> {
        Add::new(email).on(self.client)
    }

    /// Changes the whitelist entry of `email`; only the fields set are sent.
    /// Optional: `.tier(..)`, `.bypass_payment(..)`, `.metadata(..)`.
    pub fn update(&self, email: impl Into<String>) -> Update<Bound<'a, X>> {
        Update::new(email).on(self.client)
    }

    /// Removes `email` from the whitelist.
    pub fn remove(&self, email: impl Into<String>) -> Remove<Bound<'a, X>> {
        Remove::new(email).on(self.client)
    }
}

/// `GET /api/v1/whitelist/check?email=..`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct Check<B = Unbound> {
    /// The email address to check.
    pub email: String,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(Check(email) {});

impl Check {
    /// The request, with its arguments.
    pub fn new(email: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            email: email.into(),
        }
    }
}

impl Endpoint for Check {
    type Output = WhitelistCheckResult;
    type Wire = WhitelistCheckResult;
    const NAME: &'static str = "whitelist.check";
    const SHAPE: Shape = Shape::Custom;

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/v1/whitelist/check")
            .query("email", &self.email)
            .auth(Auth::ApiKey))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<WhitelistCheckResult, Error> {
        let env = Envelope::parse(Self::NAME, response.body())?;
        let data = data_object(&env);
        let message = message(Self::NAME, &env, data.as_ref())?;
        let entry = match &data {
            Some(d) => match d.key("entry")? {
                Some(e) if e.is_object() => Some(in_data(e.decode())?),
                _ => None,
            },
            None => None,
        };
        Ok(WhitelistCheckResult { message, entry })
    }
}

/// `GET /api/v1/whitelist?limit=..&offset=..[&tier=..]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct List<B = Unbound> {
    /// Page size; 10 when not set.
    #[serde(default)]
    pub limit: Option<u32>,
    /// The number of entries to skip; 0 when not set.
    #[serde(default)]
    pub offset: Option<u64>,
    /// Only entries of this tier (ignored when empty).
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl List {
    /// The request (every argument is optional).
    pub fn new() -> Self {
        Self::default()
    }
}

crate::arguments::arguments!(pages List() { limit: u32, offset: u64, tier: String });

impl List {
    const DEFAULT_LIMIT: u32 = 10;
}

impl Endpoint for List {
    type Output = WhitelistListResult;
    type Wire = WhitelistListResult;
    const NAME: &'static str = "whitelist.list";
    const SHAPE: Shape = Shape::Custom;

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/v1/whitelist")
            .query("limit", self.limit.unwrap_or(Self::DEFAULT_LIMIT))
            .query("offset", self.offset.unwrap_or(0))
            .query_non_empty("tier", self.tier.as_deref())
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<WhitelistListResult, Error> {
        let env = Envelope::parse(Self::NAME, response.body())?;
        let Some(data) = data_object(&env) else {
            return Ok(WhitelistListResult {
                entries: Vec::new(),
                total: 0,
            });
        };
        let entries: Vec<WhitelistEntry> = match data.key("entries")? {
            Some(slot) => in_data(slot.decode_opt())?.unwrap_or_default(),
            None => Vec::new(),
        };
        let total = match data.key("total")? {
            Some(slot) => in_data(slot.decode_opt())?,
            None => None,
        };
        let total = total.unwrap_or(entries.len() as u64);
        Ok(WhitelistListResult { entries, total })
    }
}

impl Paginated for List {
    type Item = WhitelistEntry;

    fn position(&self) -> crate::paging::PagePosition {
        crate::paging::PagePosition::Offset(self.offset.unwrap_or(0))
    }

    fn next_page(&self, page: &WhitelistListResult) -> Option<Self> {
        let offset = self.offset.unwrap_or(0);
        let next = crate::paging::next_offset(offset, page.entries.len(), Some(page.total))?;
        Some(Self {
            offset: Some(next),
            ..self.clone()
        })
    }

    fn into_items(page: WhitelistListResult) -> Vec<WhitelistEntry> {
        page.entries
    }
}

/// `POST /api/v1/whitelist`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct Add<B = Unbound> {
    /// The email address to whitelist.
    pub email: String,
    /// The tier to grant; `premium` when not set.
    #[serde(default)]
    pub tier: Option<String>,
    /// Whether the address may skip payment; `true` when not set.
    #[serde(default)]
    pub bypass_payment: Option<bool>,
    /// Free-form data to store with the entry (sent when set, even empty).
    #[serde(default)]
    pub metadata: Option<Metadata>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl Add {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(email: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            email: email.into(),
            tier: None,
            bypass_payment: None,
            metadata: None,
        }
    }
}

crate::arguments::arguments!(Add(email) { tier: String, bypass_payment: bool, metadata: Metadata });

#[derive(Serialize)]
struct AddBody<'a> {
    email: &'a str,
    tier: &'a str,
    bypass_payment: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a Metadata>,
}

impl Endpoint for Add {
    type Output = WhitelistEntry;
    type Wire = WhitelistEntry;
    const NAME: &'static str = "whitelist.add";
    const SHAPE: Shape = Shape::Custom;

    fn request(&self) -> Result<RequestSpec, Error> {
        let body = AddBody {
            email: &self.email,
            tier: self.tier.as_deref().unwrap_or("premium"),
            bypass_payment: self.bypass_payment.unwrap_or(true),
            metadata: self.metadata.as_ref(),
        };
        Ok(RequestSpec::post("/api/v1/whitelist")
            .json(&body)
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<WhitelistEntry, Error> {
        entry(Self::NAME, response)
    }
}

/// `PUT /api/v1/whitelist/{email}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct Update<B = Unbound> {
    /// The whitelisted email address (percent-encoded into the path).
    pub email: String,
    /// The new tier.
    #[serde(default)]
    pub tier: Option<String>,
    /// Whether the address may skip payment.
    #[serde(default)]
    pub bypass_payment: Option<bool>,
    /// New free-form data (sent when set, even empty).
    #[serde(default)]
    pub metadata: Option<Metadata>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl Update {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(email: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            email: email.into(),
            tier: None,
            bypass_payment: None,
            metadata: None,
        }
    }
}

crate::arguments::arguments!(Update(email) { tier: String, bypass_payment: bool, metadata: Metadata });

#[derive(Serialize)]
struct UpdateBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    tier: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bypass_payment: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a Metadata>,
}

impl Endpoint for Update {
    type Output = WhitelistEntry;
    type Wire = WhitelistEntry;
    const NAME: &'static str = "whitelist.update";
    const SHAPE: Shape = Shape::Custom;

    fn request(&self) -> Result<RequestSpec, Error> {
        require("email", &self.email)?;
        let body = UpdateBody {
            tier: self.tier.as_deref(),
            bypass_payment: self.bypass_payment,
            metadata: self.metadata.as_ref(),
        };
        Ok(RequestSpec::put("/api/v1/whitelist/{email}")
            .param(&self.email)
            .json(&body)
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<WhitelistEntry, Error> {
        entry(Self::NAME, response)
    }
}

/// `DELETE /api/v1/whitelist/{email}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct Remove<B = Unbound> {
    /// The email address to remove (percent-encoded into the path).
    pub email: String,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(Remove(email) {});

impl Remove {
    /// The request, with its arguments.
    pub fn new(email: impl Into<String>) -> Self {
        Self {
            bound: Unbound,
            email: email.into(),
        }
    }
}

impl Endpoint for Remove {
    type Output = WhitelistMessage;
    type Wire = WhitelistMessage;
    const NAME: &'static str = "whitelist.remove";
    const SHAPE: Shape = Shape::Custom;

    fn request(&self) -> Result<RequestSpec, Error> {
        require("email", &self.email)?;
        Ok(RequestSpec::delete("/api/v1/whitelist/{email}")
            .param(&self.email)
            .auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<WhitelistMessage, Error> {
        let env = Envelope::parse(Self::NAME, response.body())?;
        let data = data_object(&env);
        let message = message(Self::NAME, &env, data.as_ref())?;
        Ok(WhitelistMessage { message })
    }
}

crate::registry!(Check, List, Add, Update, Remove);

/// `data`, when it is an object.
fn data_object<'a>(env: &Envelope<'a>) -> Option<Slot<'a>> {
    env.field("data").filter(Slot::is_object)
}

/// Prefixes the path of a decode error from inside `data` with `data.` (and writes
/// list indices as `entries[0]`, not `entries.[0]`).
fn in_data<T>(result: Result<T, Error>) -> Result<T, Error> {
    result.map_err(|e| match e {
        Error::Decode(mut d) => {
            d.path = match d.path.as_str() {
                "." => "data".to_owned(),
                p => format!("data.{}", p.replace(".[", "[")),
            };
            Error::Decode(d)
        }
        other => other,
    })
}

/// `data.message` when a non-empty string, else the top-level `message`.
fn message(
    operation: &'static str,
    env: &Envelope<'_>,
    data: Option<&Slot<'_>>,
) -> Result<String, Error> {
    if let Some(d) = data {
        if let Some(slot) = d.key("message")? {
            if let Some(text) = in_data(slot.decode_opt::<String>())? {
                if !text.is_empty() {
                    return Ok(text);
                }
            }
        }
    }
    if let Some(slot) = env.field("message") {
        if let Some(text) = slot.decode_opt::<String>()? {
            if !text.is_empty() {
                return Ok(text);
            }
        }
    }
    Err(DecodeError::new(operation, "message", "the response has no message").into())
}

/// `data.entry`, which must be an object.
fn entry(
    operation: &'static str,
    response: &http::Response<Bytes>,
) -> Result<WhitelistEntry, Error> {
    let env = Envelope::parse(operation, response.body())?;
    let slot = match data_object(&env) {
        Some(d) => d.key("entry")?.filter(Slot::is_object),
        None => None,
    };
    match slot {
        Some(e) => in_data(e.decode()),
        None => Err(DecodeError::new(operation, "data.entry", "the response has no entry").into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn response(body: Value) -> http::Response<Bytes> {
        http::Response::new(Bytes::from(body.to_string()))
    }

    fn body_json(spec: &RequestSpec) -> Option<Value> {
        spec.body
            .as_ref()
            .map(|b| serde_json::from_slice(b).expect("body is JSON"))
    }

    fn entry_json() -> Value {
        json!({"email": "ada@example.com", "application_id": "app_1", "tier": "premium",
               "bypass_payment": true, "metadata": {"source": "beta-list"}})
    }

    #[test]
    fn check_request_and_parse() {
        let spec = Check {
            bound: Unbound,
            email: "ada+beta@example.com".into(),
        }
        .request()
        .unwrap()
        .validate()
        .unwrap();
        assert_eq!(spec.method(), http::Method::GET);
        assert_eq!(spec.path(), "/api/v1/whitelist/check");
        assert_eq!(spec.query_string(), "email=ada%2Bbeta@example.com");
        assert_eq!(spec.credentials(), Auth::ApiKey);
        assert!(spec.body.is_none());

        let ep = Check {
            bound: Unbound,
            email: "ada@example.com".into(),
        };
        let out = ep
            .parse(&response(json!({"success": true, "message": "Magic",
                "data": {"entry": entry_json(), "message": "Email is whitelisted"}})))
            .unwrap();
        assert_eq!(out.message, "Email is whitelisted");
        let e = out.entry.unwrap();
        assert_eq!(e.email, "ada@example.com");
        assert_eq!(e.bypass_payment, Some(true));

        let out = ep
            .parse(&response(
                json!({"success": true, "data": {"message": "Email is not whitelisted"}}),
            ))
            .unwrap();
        assert_eq!(out.message, "Email is not whitelisted");
        assert!(out.entry.is_none());

        // Strict envelope: a bare body's entry is not read; its message is.
        let out = ep
            .parse(&response(
                json!({"message": "Email is whitelisted", "entry": entry_json()}),
            ))
            .unwrap();
        assert_eq!(out.message, "Email is whitelisted");
        assert!(out.entry.is_none());

        assert!(matches!(
            ep.parse(&response(json!({"data": {}}))),
            Err(Error::Decode(d)) if d.path == "message"
        ));
    }

    #[test]
    fn list_request_defaults_and_options() {
        let spec = List::default().request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), http::Method::GET);
        assert_eq!(spec.path(), "/api/v1/whitelist");
        assert_eq!(spec.query_string(), "limit=10&offset=0");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert!(spec.body.is_none());

        let spec = List {
            bound: Unbound,
            limit: Some(25),
            offset: Some(50),
            tier: Some("premium".into()),
        }
        .request()
        .unwrap();
        assert_eq!(spec.query_string(), "limit=25&offset=50&tier=premium");

        let spec = List {
            tier: Some(String::new()),
            ..List::default()
        }
        .request()
        .unwrap();
        assert_eq!(spec.query_string(), "limit=10&offset=0");
    }

    #[test]
    fn list_parse_and_paging() {
        let ep = List {
            limit: Some(2),
            ..List::default()
        };
        let page = ep
            .parse(&response(json!({"success": true, "data": {
                "entries": [entry_json(), {"email": "b@example.com"}], "total": 3}})))
            .unwrap();
        assert_eq!(page.entries.len(), 2);
        assert_eq!(page.total, 3);
        assert_eq!(page.entries[1].tier, None);
        let next = ep.next_page(&page).unwrap();
        assert_eq!(next.offset, Some(2));
        assert_eq!(next.limit, Some(2));

        let last = next
            .parse(&response(
                json!({"data": {"entries": [{"email": "c@example.com"}], "total": 3}}),
            ))
            .unwrap();
        assert!(next.next_page(&last).is_none());

        // Missing total: the page length. Null entries: none.
        let page = ep
            .parse(&response(json!({"data": {"entries": [entry_json()]}})))
            .unwrap();
        assert_eq!(page.total, 1);
        let page = ep
            .parse(&response(json!({"data": {"entries": null}})))
            .unwrap();
        assert!(page.entries.is_empty());
        assert_eq!(page.total, 0);
        // No `data`: nothing (strict envelope).
        let page = ep
            .parse(&response(json!({"entries": [entry_json()], "total": 1})))
            .unwrap();
        assert!(page.entries.is_empty());
        assert_eq!(List::into_items(page).len(), 0);
    }

    #[test]
    fn add_request_and_parse() {
        let spec = Add {
            bound: Unbound,
            email: "ada@example.com".into(),
            tier: None,
            bypass_payment: None,
            metadata: None,
        }
        .request()
        .unwrap()
        .validate()
        .unwrap();
        assert_eq!(spec.method(), http::Method::POST);
        assert_eq!(spec.path(), "/api/v1/whitelist");
        assert_eq!(spec.query_string(), "");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert_eq!(
            body_json(&spec),
            Some(json!({"email": "ada@example.com", "tier": "premium", "bypass_payment": true}))
        );

        let mut metadata = Metadata::new();
        metadata.insert("source".into(), json!("sales"));
        let ep = Add {
            bound: Unbound,
            email: "grace@example.com".into(),
            tier: Some("enterprise".into()),
            bypass_payment: Some(false),
            metadata: Some(metadata),
        };
        let spec = ep.request().unwrap();
        assert_eq!(
            body_json(&spec),
            Some(json!({"email": "grace@example.com", "tier": "enterprise",
                        "bypass_payment": false, "metadata": {"source": "sales"}}))
        );

        let out = ep
            .parse(&response(
                json!({"success": true, "data": {"entry": entry_json()}}),
            ))
            .unwrap();
        assert_eq!(out.metadata.unwrap()["source"], json!("beta-list"));

        // A bare body has no `data.entry`.
        assert!(matches!(
            ep.parse(&response(json!({"entry": entry_json()}))),
            Err(Error::Decode(d)) if d.path == "data.entry"
        ));
    }

    #[test]
    fn update_request_and_parse() {
        let ep = Update {
            bound: Unbound,
            email: "a b/c@example.com".into(),
            tier: None,
            bypass_payment: None,
            metadata: None,
        };
        let spec = ep.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), http::Method::PUT);
        assert_eq!(spec.path(), "/api/v1/whitelist/a%20b%2Fc@example.com");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert_eq!(body_json(&spec), Some(json!({})));

        let ep = Update {
            bound: Unbound,
            email: "ada@example.com".into(),
            tier: Some("enterprise".into()),
            bypass_payment: Some(false),
            metadata: Some(Metadata::new()),
        };
        let spec = ep.request().unwrap();
        assert_eq!(spec.path(), "/api/v1/whitelist/ada@example.com");
        assert_eq!(
            body_json(&spec),
            Some(json!({"tier": "enterprise", "bypass_payment": false, "metadata": {}}))
        );
        let out = ep
            .parse(&response(
                json!({"data": {"entry": {"email": "ada@example.com", "tier": "enterprise"}}}),
            ))
            .unwrap();
        assert_eq!(out.tier.as_deref(), Some("enterprise"));

        let empty = Update {
            email: " ".into(),
            ..ep
        };
        assert!(matches!(
            empty.request(),
            Err(Error::InvalidArgument { name: "email", .. })
        ));
    }

    #[test]
    fn remove_request_and_parse() {
        let ep = Remove {
            bound: Unbound,
            email: "ada@example.com".into(),
        };
        let spec = ep.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), http::Method::DELETE);
        assert_eq!(spec.path(), "/api/v1/whitelist/ada@example.com");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert!(spec.body.is_none());

        let out = ep
            .parse(&response(json!({"success": true,
                "data": {"message": "Email ada@example.com removed from whitelist"}})))
            .unwrap();
        assert_eq!(out.message, "Email ada@example.com removed from whitelist");
        let out = ep.parse(&response(json!({"message": "removed"}))).unwrap();
        assert_eq!(out.message, "removed");
        assert!(Remove {
            bound: Unbound,
            email: String::new()
        }
        .request()
        .is_err());
    }

    #[test]
    fn malformed_bodies_are_decode_errors() {
        let list = List::default();
        match list.parse(&response(
            json!({"data": {"entries": [{"email": "a@example.com", "bypass_payment": "yes"}]}}),
        )) {
            Err(Error::Decode(d)) => {
                assert_eq!(d.operation, "whitelist.list");
                assert_eq!(d.path, "data.entries[0].bypass_payment");
            }
            other => panic!("{other:?}"),
        }
        match list.parse(&response(json!({"data": {"entries": [], "total": "many"}}))) {
            Err(Error::Decode(d)) => assert_eq!(d.path, "data.total"),
            other => panic!("{other:?}"),
        }
        let add = Add {
            bound: Unbound,
            email: "a@example.com".into(),
            tier: None,
            bypass_payment: None,
            metadata: None,
        };
        match add.parse(&response(json!({"data": {"entry": {"email": 5}}}))) {
            Err(Error::Decode(d)) => assert_eq!(d.path, "data.entry.email"),
            other => panic!("{other:?}"),
        }
        let check = Check {
            bound: Unbound,
            email: "a@example.com".into(),
        };
        match check.parse(&response(json!({"data": {"message": 7}}))) {
            Err(Error::Decode(d)) => assert_eq!(d.path, "data.message"),
            other => panic!("{other:?}"),
        }
        for body in [&b""[..], b"not json", b"[1]", b"{\"data\": 3}"] {
            let r = http::Response::new(Bytes::copy_from_slice(body));
            assert!(matches!(check.parse(&r), Err(Error::Decode(_))));
            assert!(matches!(add.parse(&r), Err(Error::Decode(_))));
        }
    }
}
