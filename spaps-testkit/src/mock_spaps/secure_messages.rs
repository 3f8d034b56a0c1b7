//! Secure messages between patients and practitioners (stored as sent; nothing is
//! encrypted, as in the contract).

use serde_json::{json, Map, Value};
use time::OffsetDateTime;

use super::support::{body, ok, rfc3339, Res};
use super::{State, APPLICATION_ID};
use crate::observed::ObservedRequest;

#[derive(Debug, Default)]
pub(crate) struct Messages {
    list: Vec<Message>,
}

#[derive(Debug, Clone)]
struct Message {
    id: String,
    patient_id: String,
    practitioner_id: String,
    content: String,
    metadata: Option<Map<String, Value>>,
    created_at: OffsetDateTime,
}

impl Message {
    fn json(&self) -> Value {
        json!({
            "id": self.id,
            "application_id": APPLICATION_ID,
            "patient_id": self.patient_id,
            "practitioner_id": self.practitioner_id,
            "content": self.content,
            "metadata": self.metadata,
            "created_at": rfc3339(self.created_at),
        })
    }
}

impl State {
    pub(crate) fn route_secure_messages(
        &mut self,
        m: &str,
        s: &[&str],
        req: &ObservedRequest,
    ) -> Option<Res> {
        if s != ["api", "secure-messages"] {
            return None;
        }
        Some(match m {
            "POST" => self.create_message(req),
            "GET" => self.list_messages(req),
            _ => return None,
        })
    }

    fn create_message(&mut self, req: &ObservedRequest) -> Res {
        self.maybe_bearer(req)?;
        let b = body(req)?;
        let message = Message {
            id: String::new(),
            patient_id: b.text("patientId")?,
            practitioner_id: b.text("practitionerId")?,
            content: b.text("content")?,
            metadata: b.opt_object("metadata")?,
            created_at: self.now,
        };
        let message = Message {
            id: self.next_id("msg"),
            ..message
        };
        let json = message.json();
        self.messages.list.push(message);
        ok(json)
    }

    /// Newest first.
    fn list_messages(&mut self, req: &ObservedRequest) -> Res {
        self.maybe_bearer(req)?;
        let messages: Vec<Value> = self.messages.list.iter().rev().map(Message::json).collect();
        ok(json!({ "messages": messages }))
    }
}
