//! Events from GitHub-style senders: `{"id", "type", "created_at", "data"}`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use super::timestamp;

/// The documented generic envelope: `{"id": "evt_…", "type": "user.created",
/// "created_at": "…Z", "data": {…}}`.
///
/// `created_at` is parsed leniently (RFC 3339, or naive ISO 8601 taken as UTC) and written
/// as RFC 3339 in UTC (`2024-01-15T10:30:00Z`; fraction digits only when not zero).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenericPayload {
    /// The event id: the deduplication key.
    pub id: String,
    /// The event type, e.g. `user.created` (sender-defined, so any string).
    #[serde(rename = "type")]
    pub event_type: String,
    /// When the event was created, in UTC.
    #[serde(with = "timestamp::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The event's data, as sent.
    pub data: Value,
}

/// An event from a GitHub-style (`X-Signature-256`) sender.
///
/// ```
/// use hookverify::events::GenericEvent;
///
/// let body = br#"{"id": "evt_1", "type": "user.created",
///     "created_at": "2024-01-15T10:30:00Z", "data": {"user": "u1"}}"#;
/// let event: GenericEvent = serde_json::from_slice(body).unwrap();
/// assert_eq!(event.event_type(), "user.created");
/// let GenericEvent::Known(payload) = &event else { panic!("not the documented envelope") };
/// assert_eq!(payload.data["user"], "u1");
/// ```
///
/// The type is open-ended, so every body in the documented envelope is
/// [`Known`](Self::Known). Deserializing never fails on a JSON object: a body not in that
/// envelope (a field missing or of another type) comes through as
/// [`Unknown`](Self::Unknown) with the whole body, after a `tracing` warning.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum GenericEvent {
    /// A body in the documented envelope.
    Known(GenericPayload),
    /// Any other JSON object: the whole body.
    Unknown(Value),
}

super::open::known_or_unknown!(GenericEvent, GenericPayload, "generic");

impl GenericEvent {
    /// The event id: the payload's, or an `Unknown` body's `id` string.
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        match self {
            Self::Known(payload) => Some(&payload.id),
            Self::Unknown(raw) => raw.get("id").and_then(Value::as_str),
        }
    }
}
