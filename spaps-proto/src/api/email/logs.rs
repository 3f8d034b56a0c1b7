//! The log of sent emails (`/api/email/logs`).

use serde::{Deserialize, Serialize};

use crate::endpoint::{Endpoint, Paginated};
use crate::error::Error;
use crate::model::email::{EmailLog, EmailLogPage};
use crate::request::{Bound, Execute, Unbound};
use crate::spec::{Auth, RequestSpec};

use super::EmailApi;

impl<'a, X: Execute> EmailApi<'a, X> {
    /// Lists sent emails, newest first, 50 at a time. Optional: `.owner_id(..)`,
    /// `.user_id(..)`, `.limit(..)` (default 50), `.offset(..)` (default 0).
    pub fn list_email_logs(&self) -> ListEmailLogs<Bound<'a, X>> {
        ListEmailLogs::new().on(self.client)
    }
}

/// `GET /api/email/logs`. Pages by offset.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
#[must_use = "a request does nothing until it is sent"]
pub struct ListEmailLogs<B = Unbound> {
    /// Only emails sent for this owner.
    #[serde(default)]
    pub owner_id: Option<String>,
    /// Only emails about this user.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Page size; 50 when not set.
    #[serde(default)]
    pub limit: Option<u32>,
    /// Entries to skip; 0 when not set.
    #[serde(default)]
    pub offset: Option<u64>,
    #[serde(skip)]
    pub(crate) bound: B,
}

impl ListEmailLogs {
    /// The request (every argument is optional).
    pub fn new() -> Self {
        Self::default()
    }
}

crate::arguments::arguments!(pages ListEmailLogs() { owner_id: String, user_id: String, limit: u32, offset: u64 });

impl Endpoint for ListEmailLogs {
    type Output = EmailLogPage;
    type Wire = EmailLogPage;
    const NAME: &'static str = "email.list_email_logs";

    fn request(&self) -> Result<RequestSpec, Error> {
        Ok(RequestSpec::get("/api/email/logs")
            .query("limit", self.limit.unwrap_or(50))
            .query("offset", self.offset.unwrap_or(0))
            .query_opt("owner_id", self.owner_id.as_deref())
            .query_opt("user_id", self.user_id.as_deref())
            .auth(Auth::Bearer))
    }
}

impl Paginated for ListEmailLogs {
    type Item = EmailLog;

    fn position(&self) -> crate::paging::PagePosition {
        crate::paging::PagePosition::Offset(self.offset.unwrap_or(0))
    }

    fn next_page(&self, page: &EmailLogPage) -> Option<Self> {
        let offset = self.offset.unwrap_or(0);
        let next = crate::paging::next_offset(offset, page.logs.len(), page.total)?;
        Some(Self {
            offset: Some(next),
            ..self.clone()
        })
    }

    fn into_items(page: EmailLogPage) -> Vec<EmailLog> {
        page.logs
    }
}

crate::registry!(ListEmailLogs,);

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;
    use serde_json::json;

    use crate::api::email::test_support::{body, response};

    #[test]
    fn list_email_logs_query_and_paging() {
        let mut e = ListEmailLogs::default();
        let spec = e.request().unwrap().validate().unwrap();
        assert_eq!(spec.method(), Method::GET);
        assert_eq!(spec.path(), "/api/email/logs");
        assert_eq!(spec.query_string(), "limit=50&offset=0");
        assert_eq!(spec.credentials(), Auth::Bearer);
        assert_eq!(body(&spec), None);

        e.owner_id = Some("owner-1".into());
        e.user_id = Some("user-1".into());
        e.limit = Some(2);
        e.offset = Some(5);
        assert_eq!(
            e.request().unwrap().query_string(),
            "limit=2&offset=5&owner_id=owner-1&user_id=user-1"
        );

        let page = e
            .parse(&response(json!({"success": true, "data": {
                "logs": [
                    {"id": "log_1", "template_key": "welcome", "to": "a@example.com",
                     "status": "sent", "created_at": "2025-01-15T12:00:00Z",
                     "x_future_flag": true},
                    {"id": "log_2"}
                ],
                "total": 9, "limit": 50, "offset": 0, "x_future_field": {"depth": 1}}})))
            .unwrap();
        assert_eq!(page.logs.len(), 2);
        assert_eq!(page.total, Some(9));
        assert_eq!(page.logs[0].status.as_deref(), Some("sent"));
        assert_eq!(page.logs[0].extra.get("x_future_flag"), Some(&json!(true)));
        assert_eq!(page.extra.get("x_future_field"), Some(&json!({"depth": 1})));
        let back = serde_json::to_value(&page).unwrap();
        assert_eq!(back["logs"][0]["x_future_flag"], json!(true));
        assert_eq!(back["offset"], json!(0));

        // Pages by our own offset, not the server's echo.
        let next = e.next_page(&page).unwrap();
        assert_eq!(next.offset, Some(7));
        assert_eq!(next.owner_id.as_deref(), Some("owner-1"));
        assert_eq!(next.limit, Some(2));
        let mut last = page.clone();
        last.total = Some(7);
        assert!(e.next_page(&last).is_none());
        let empty = e.parse(&response(json!({"data": {"logs": null}}))).unwrap();
        assert!(empty.logs.is_empty());
        assert!(e.next_page(&empty).is_none());
        assert_eq!(ListEmailLogs::into_items(page).len(), 2);
    }
}
