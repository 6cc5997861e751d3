//! Standard Webhooks events: `{"type", "timestamp", "data"}` in the spec; each sender on
//! the scheme (OpenAI, Clerk, Resend, ...) adds fields of its own.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What every Standard Webhooks sender's body has: a `type` and its `data`. The rest of
/// the body varies by sender (the spec's `timestamp`, OpenAI's `id` and `created_at`); read
/// it from the verified body, or use your own type with `Webhook<T>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StandardWebhooksPayload {
    /// The event type, e.g. `user.created`, `response.completed`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The spec's ISO 8601 `timestamp`, as sent, when the body has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// The event's data, as sent.
    pub data: Value,
}

/// An event from a Standard Webhooks sender.
///
/// ```
/// use hookverify::events::StandardWebhooksEvent;
///
/// let body = br#"{"type": "user.created", "timestamp": "2022-11-03T20:26:10.344522Z",
///     "data": {"id": "user_1"}}"#;
/// let event: StandardWebhooksEvent = serde_json::from_slice(body).unwrap();
/// assert_eq!(event.event_type(), "user.created");
/// ```
///
/// Deserializing never fails on a JSON object: a body without a string `type` and a
/// `data` comes through as [`Unknown`](Self::Unknown), after a `tracing` warning.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StandardWebhooksEvent {
    /// A body with a `type` and `data`.
    Known(StandardWebhooksPayload),
    /// Any other JSON object: the whole body.
    Unknown(Value),
}

super::open::known_or_unknown!(
    StandardWebhooksEvent,
    StandardWebhooksPayload,
    "standard-webhooks"
);
