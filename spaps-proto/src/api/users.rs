//! Batch user lookups (`/api/users`). They carry the API key only, never a bearer
//! token.

use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::model::users::{BatchEmailsResult, BatchUsersResult};
use crate::request::{Bound, Execute, Unbound};
use crate::spec::{Auth, RequestSpec};

/// The users operations of a client: `client.users()`.
#[derive(Debug)]
pub struct UsersApi<'a, X> {
    client: &'a X,
}

impl<'a, X: Execute> UsersApi<'a, X> {
    /// The users operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }

    /// The email addresses of the users `user_ids`.
    pub fn get_emails_batch<I, S>(&self, user_ids: I) -> GetEmailsBatch<Bound<'a, X>>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        GetEmailsBatch::new(user_ids).on(self.client)
    }

    /// What the server knows of the users `user_ids` (email, active entitlements,
    /// upcoming bookings).
    pub fn get_users_batch<I, S>(&self, user_ids: I) -> GetUsersBatch<Bound<'a, X>>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        GetUsersBatch::new(user_ids).on(self.client)
    }
}

/// `POST /api/users/emails`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetEmailsBatch<B = Unbound> {
    /// The users to look up.
    pub user_ids: Vec<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(GetEmailsBatch(user_ids) {});

impl GetEmailsBatch {
    /// The request for the users `user_ids`.
    pub fn new<I, S>(user_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            bound: Unbound,
            user_ids: user_ids.into_iter().map(Into::into).collect(),
        }
    }
}

impl Endpoint for GetEmailsBatch {
    type Output = BatchEmailsResult;
    type Wire = BatchEmailsResult;
    const NAME: &'static str = "users.get_emails_batch";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/users/emails")
            .json(self)
            .auth(Auth::ApiKey))
    }
}

/// `POST /api/users/batch`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct GetUsersBatch<B = Unbound> {
    /// The users to look up.
    pub user_ids: Vec<String>,
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(GetUsersBatch(user_ids) {});

impl GetUsersBatch {
    /// The request for the users `user_ids`.
    pub fn new<I, S>(user_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            bound: Unbound,
            user_ids: user_ids.into_iter().map(Into::into).collect(),
        }
    }
}

impl Endpoint for GetUsersBatch {
    type Output = BatchUsersResult;
    type Wire = BatchUsersResult;
    const NAME: &'static str = "users.get_users_batch";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::post("/api/users/batch")
            .json(self)
            .auth(Auth::ApiKey))
    }
}

crate::registry!(GetEmailsBatch, GetUsersBatch);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::test_support::body;
    use bytes::Bytes;
    use http::Method;
    use serde_json::{json, Value};

    fn response(value: Value) -> http::Response<Bytes> {
        http::Response::new(Bytes::from(value.to_string()))
    }

    #[test]
    fn emails_batch_request_and_parse() {
        let e: GetEmailsBatch =
            serde_json::from_value(json!({"user_ids": ["user-with-email", "wallet-user"]}))
                .unwrap();
        let spec = e.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::POST);
        assert_eq!(spec.path(), "/api/users/emails");
        assert_eq!(spec.query_string(), "");
        assert_eq!(spec.credentials(), Auth::ApiKey);
        assert_eq!(
            body(&spec),
            Some(json!({"user_ids": ["user-with-email", "wallet-user"]}))
        );

        let got = e
            .parse(&response(json!({"success": true, "data": {
                "emails": {"user-with-email": "found@example.com", "wallet-user": null},
                "total": 2, "with_email": 1
            }})))
            .unwrap();
        assert_eq!(
            got.emails["user-with-email"].as_deref(),
            Some("found@example.com")
        );
        assert_eq!(got.emails["wallet-user"], None);
        assert_eq!((got.total, got.with_email), (2, 1));

        // An empty list is sent as is; counts default to 0.
        let e = GetEmailsBatch {
            bound: Unbound,
            user_ids: vec![],
        };
        assert_eq!(body(&e.request().unwrap()), Some(json!({"user_ids": []})));
        let got = e.parse(&response(json!({"emails": {}}))).unwrap();
        assert!(got.emails.is_empty());
        assert_eq!((got.total, got.with_email), (0, 0));
    }

    #[test]
    fn users_batch_request_and_parse() {
        let e: GetUsersBatch =
            serde_json::from_value(json!({"user_ids": ["user-1", "user-2"]})).unwrap();
        let spec = e.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::POST);
        assert_eq!(spec.path(), "/api/users/batch");
        assert_eq!(spec.credentials(), Auth::ApiKey);
        assert_eq!(body(&spec), Some(json!({"user_ids": ["user-1", "user-2"]})));

        let got = e
            .parse(&response(json!({"success": true, "data": {"users": {
                "user-1": {"email": "user1@example.com",
                           "active_entitlements": [{"key": "premium"}],
                           "upcoming_bookings": []},
                "user-2": {"email": null, "active_entitlements": []},
                "user-3": null
            }}})))
            .unwrap();
        let u1 = got.users["user-1"].as_ref().unwrap();
        assert_eq!(u1.email.as_deref(), Some("user1@example.com"));
        assert_eq!(
            u1.active_entitlements.as_ref().unwrap()[0]["key"],
            json!("premium")
        );
        let u2 = got.users["user-2"].as_ref().unwrap();
        assert_eq!(u2.email, None);
        assert_eq!(u2.upcoming_bookings, None);
        assert_eq!(got.users["user-3"], None);
    }

    #[test]
    fn malformed_bodies_are_decode_errors() {
        let e = GetEmailsBatch {
            bound: Unbound,
            user_ids: vec!["x".into()],
        };
        match e.parse(&response(json!({"data": {"emails": {"x": 5}}}))) {
            Err(Error::Decode(d)) => assert_eq!(d.path, "data.emails.x"),
            other => panic!("{other:?}"),
        }
        match e.parse(&response(json!({"data": {"total": 1}}))) {
            Err(Error::Decode(d)) => assert!(d.reason.contains("emails"), "{d:?}"),
            other => panic!("{other:?}"),
        }
        let e = GetUsersBatch {
            bound: Unbound,
            user_ids: vec!["x".into()],
        };
        match e.parse(&response(
            json!({"data": {"users": {"x": {"active_entitlements": "none"}}}}),
        )) {
            Err(Error::Decode(d)) => assert_eq!(d.path, "data.users.x.active_entitlements"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            e.parse(&http::Response::new(Bytes::from_static(b"not json"))),
            Err(Error::Decode(_))
        ));
    }
}
