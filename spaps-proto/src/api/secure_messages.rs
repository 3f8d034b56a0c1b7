//! Secure messages between patients and practitioners (`/api/secure-messages`).
//!
//! The request is camelCase (`patientId`, `practitionerId`) and the response snake_case.
//! Both operations need a bearer token, like the reference's async client: without one
//! they fail locally with [`Error::MissingToken`] and nothing is sent. Nothing is
//! encrypted by the SDK.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::endpoint::Endpoint;
use crate::envelope::{Envelope, Shape};
use crate::error::Error;
use crate::model::secure_messages::SecureMessage;
use crate::request::{Bound, Execute, Unbound};
use crate::spec::{Auth, RequestSpec};

type Metadata = serde_json::Map<String, serde_json::Value>;

/// The secure messages operations of a client: `client.secure_messages()`.
#[derive(Debug)]
pub struct SecureMessagesApi<'a, X> {
    client: &'a X,
}

impl<'a, X: Execute> SecureMessagesApi<'a, X> {
    /// The secure messages operations of `client`.
    pub fn new(client: &'a X) -> Self {
        Self { client }
    }

    /// Sends a message between a patient and a practitioner. Optional: `.metadata(..)`.
    pub fn create_message(
        &self,
        patient_id: impl Into<String>,
        practitioner_id: impl Into<String>,
        content: impl Into<String>,
    ) -> CreateMessage<Bound<'a, X>> {
        CreateMessage::new(patient_id, practitioner_id, content).on(self.client)
    }

    /// Lists the messages visible to the caller (no pagination).
    pub fn list_messages(&self) -> ListMessages<Bound<'a, X>> {
        ListMessages::new().on(self.client)
    }
}

/// `POST /api/secure-messages`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct CreateMessage<B = Unbound> {
    /// The patient; sent as `patientId`.
    pub patient_id: String,
    /// The practitioner; sent as `practitionerId`.
    pub practitioner_id: String,
    /// The content, sent as is (encrypt it beforehand if needed).
    pub content: String,
    /// Free-form data to store with the message (sent when set, even empty).
    #[serde(default)]
    pub metadata: Option<Metadata>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl CreateMessage {
    /// The request, with its required arguments; optional ones are set on the fields
    /// or with its setters.
    pub fn new(
        patient_id: impl Into<String>,
        practitioner_id: impl Into<String>,
        content: impl Into<String>,
    ) -> Self {
        Self {
            bound: Unbound,
            patient_id: patient_id.into(),
            practitioner_id: practitioner_id.into(),
            content: content.into(),
            metadata: None,
        }
    }
}

crate::arguments::arguments!(CreateMessage(patient_id, practitioner_id, content) { metadata: Metadata });

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateMessageBody<'a> {
    patient_id: &'a str,
    practitioner_id: &'a str,
    content: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<&'a Metadata>,
}

impl Endpoint for CreateMessage {
    type Output = SecureMessage;
    type Wire = SecureMessage;
    const NAME: &'static str = "secure_messages.create_message";

    fn request(&self) -> Result<RequestSpec, Error> {
        let body = CreateMessageBody {
            patient_id: &self.patient_id,
            practitioner_id: &self.practitioner_id,
            content: &self.content,
            metadata: self.metadata.as_ref(),
        };
        Ok(RequestSpec::post("/api/secure-messages")
            .json(&body)
            .auth(Auth::Bearer))
    }
}

/// `GET /api/secure-messages`. Reads `data.messages` (or `messages` of a bare body);
/// a `data` that is itself a list is taken as the messages; a missing or null list is
/// empty.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct ListMessages<B = Unbound> {
    #[serde(skip)]
    pub(crate) bound: B,
}

crate::arguments::arguments!(ListMessages() {});

impl ListMessages {
    /// The request (it takes no arguments).
    pub fn new() -> Self {
        Self { bound: Unbound }
    }
}

impl Endpoint for ListMessages {
    type Output = Vec<SecureMessage>;
    type Wire = Vec<SecureMessage>;
    const NAME: &'static str = "secure_messages.list_messages";
    const SHAPE: Shape = Shape::Custom;

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/secure-messages").auth(Auth::Bearer))
    }

    fn parse(&self, response: &http::Response<Bytes>) -> Result<Vec<SecureMessage>, Error> {
        let env = Envelope::parse(Self::NAME, response.body())?;
        let data = env.data();
        if data.is_object() {
            return match data.key("messages")? {
                Some(slot) => Ok(slot.decode_opt()?.unwrap_or_default()),
                None => Ok(Vec::new()),
            };
        }
        Ok(data.decode_opt()?.unwrap_or_default())
    }
}

crate::registry!(CreateMessage, ListMessages);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn response(body: Value) -> http::Response<Bytes> {
        http::Response::new(Bytes::from(body.to_string()))
    }

    fn message_json(id: &str) -> Value {
        json!({"id": id, "application_id": "app-secure", "patient_id": "patient-123",
               "practitioner_id": "practitioner-456", "content": "Encrypted payload",
               "metadata": {"urgency": "high"}, "created_at": "2025-01-15T18:59:00.000Z"})
    }

    #[test]
    fn create_message_request_and_parse() {
        let mut ep = CreateMessage {
            bound: Unbound,
            patient_id: "patient-123".into(),
            practitioner_id: "practitioner-456".into(),
            content: "Encrypted payload".into(),
            metadata: None,
        };
        let spec = ep.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), http::Method::POST);
        assert_eq!(spec.path(), "/api/secure-messages");
        assert_eq!(spec.query_string(), "");
        assert_eq!(spec.credentials(), Auth::Bearer);
        let body: Value = serde_json::from_slice(spec.body.as_ref().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"patientId": "patient-123", "practitionerId": "practitioner-456",
                   "content": "Encrypted payload"})
        );

        let mut metadata = Metadata::new();
        metadata.insert("urgency".into(), json!("high"));
        ep.metadata = Some(metadata);
        let spec = ep.request().unwrap();
        let body: Value = serde_json::from_slice(spec.body.as_ref().unwrap()).unwrap();
        assert_eq!(body["metadata"], json!({"urgency": "high"}));

        let out = ep
            .parse(&response(
                json!({"success": true, "data": message_json("msg-1d9b80b4")}),
            ))
            .unwrap();
        assert_eq!(out.id, "msg-1d9b80b4");
        assert_eq!(out.patient_id, "patient-123");
        assert_eq!(out.created_at.unwrap().unix_seconds(), 1_736_967_540);
        // A bare body is read too.
        let out = ep.parse(&response(message_json("msg-bare"))).unwrap();
        assert_eq!(out.id, "msg-bare");
    }

    #[test]
    fn list_messages_request_and_parse() {
        let ep = ListMessages { bound: Unbound };
        let spec = ep.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), http::Method::GET);
        assert_eq!(spec.path(), "/api/secure-messages");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert!(spec.body.is_none());

        let out = ep
            .parse(&response(json!({"success": true,
                "data": {"messages": [message_json("m1"), message_json("m2")]}})))
            .unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].id, "m2");

        let out = ep
            .parse(&response(
                json!({"success": true, "data": [message_json("m1")]}),
            ))
            .unwrap();
        assert_eq!(out.len(), 1);
        let out = ep
            .parse(&response(json!({"messages": [message_json("m3")]})))
            .unwrap();
        assert_eq!(out[0].id, "m3");
        for empty in [
            json!({"data": {}}),
            json!({"data": {"messages": null}}),
            json!({"data": null}),
        ] {
            assert!(ep.parse(&response(empty)).unwrap().is_empty());
        }
    }

    #[test]
    fn malformed_bodies_are_decode_errors() {
        let ep = ListMessages { bound: Unbound };
        let mut bad = message_json("m1");
        bad["patient_id"] = json!(42);
        match ep.parse(&response(json!({"data": {"messages": [bad]}}))) {
            Err(Error::Decode(d)) => {
                assert_eq!(d.operation, "secure_messages.list_messages");
                assert!(d.path.contains("patient_id"), "{}", d.path);
            }
            other => panic!("{other:?}"),
        }
        let create = CreateMessage {
            bound: Unbound,
            patient_id: "p".into(),
            practitioner_id: "q".into(),
            content: "c".into(),
            metadata: None,
        };
        match create.parse(&response(json!({"data": {"id": "m", "patient_id": "p"}}))) {
            Err(Error::Decode(d)) => assert_eq!(d.path, "data"),
            other => panic!("{other:?}"),
        }
        match create.parse(&response(json!({"data": {"id": "m", "patient_id": "p",
            "practitioner_id": "q", "content": "c", "created_at": "yesterday"}})))
        {
            Err(Error::Decode(d)) => assert_eq!(d.path, "data.created_at"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            ep.parse(&response(json!({"data": "nope"}))),
            Err(Error::Decode(_))
        ));
        assert!(matches!(
            ep.parse(&http::Response::new(Bytes::from_static(b"<html>"))),
            Err(Error::Decode(_))
        ));
    }
}
