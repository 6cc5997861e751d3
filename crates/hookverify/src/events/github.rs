//! GitHub events: the type is in the `X-GitHub-Event` header, the body is the payload.

use serde::ser::{Serialize, Serializer};
use serde_json::Value;

/// An event from GitHub: its type from `X-GitHub-Event` (`ping`, `push`,
/// `pull_request`, ...), its delivery GUID from `X-GitHub-Delivery`, and the payload as
/// sent (GitHub has hundreds of payload shapes; deserialize the ones you handle from
/// [`payload`](Self::payload) or use your own type with `Webhook<T>`).
///
/// It is read from a verified delivery (its type is in a header, not the body), so it is
/// not `Deserialize`; `Webhook<GitHubEvent>` refuses another sender's delivery.
///
/// ```
/// use hookverify::events::GitHubEvent;
///
/// let event = GitHubEvent::new(Some("ping".into()), None, serde_json::json!({"zen": "Keep it logically awesome."}));
/// assert_eq!(event.event_type(), "ping");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GitHubEvent {
    event: Option<String>,
    delivery: Option<String>,
    payload: Value,
}

impl GitHubEvent {
    /// An event of type `event` (the `X-GitHub-Event` header), delivery `delivery`.
    #[must_use]
    pub fn new(event: Option<String>, delivery: Option<String>, payload: Value) -> Self {
        Self {
            event,
            delivery,
            payload,
        }
    }

    /// The `X-GitHub-Event` header, or `unknown` when it was missing.
    #[must_use]
    pub fn event_type(&self) -> &str {
        self.event.as_deref().unwrap_or("unknown")
    }

    /// The `X-GitHub-Delivery` GUID.
    #[must_use]
    pub fn delivery(&self) -> Option<&str> {
        self.delivery.as_deref()
    }

    /// The payload, as sent.
    #[must_use]
    pub fn payload(&self) -> &Value {
        &self.payload
    }

    /// Gives up the payload.
    #[must_use]
    pub fn into_payload(self) -> Value {
        self.payload
    }
}

impl Serialize for GitHubEvent {
    /// Writes the payload.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.payload.serialize(serializer)
    }
}
