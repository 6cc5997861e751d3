//! Events from GitHub-style senders: `{"id", "type", "created_at", "data"}`.

use serde::de::Deserializer;
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use super::content::{self, Content};
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

impl GenericEvent {
    /// The `type`, e.g. `user.created`; for [`Unknown`](Self::Unknown) the body's `type`
    /// string, or `unknown`.
    #[must_use]
    pub fn event_type(&self) -> &str {
        match self {
            Self::Known(payload) => &payload.event_type,
            Self::Unknown(raw) => raw.get("type").and_then(Value::as_str).unwrap_or("unknown"),
        }
    }

    /// The typed envelope, unless [`Unknown`](Self::Unknown).
    #[must_use]
    pub fn payload(&self) -> Option<&GenericPayload> {
        match self {
            Self::Known(payload) => Some(payload),
            Self::Unknown(_) => None,
        }
    }

    /// The event id: the payload's, or an `Unknown` body's `id` string.
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        match self {
            Self::Known(payload) => Some(&payload.id),
            Self::Unknown(raw) => raw.get("id").and_then(Value::as_str),
        }
    }

    /// The whole body, for [`Unknown`](Self::Unknown); `None` for a typed event.
    #[must_use]
    pub fn raw(&self) -> Option<&Value> {
        match self {
            Self::Unknown(raw) => Some(raw),
            Self::Known(_) => None,
        }
    }

    /// Whether this is [`Unknown`](Self::Unknown).
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown(_))
    }
}

impl Serialize for GenericEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Known(payload) => payload.serialize(serializer),
            Self::Unknown(raw) => raw.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for GenericEvent {
    /// Never fails on a JSON object (see the type's docs); anything else is an error.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let body = content::object(deserializer, "a webhook event object")?;
        match content::read::<GenericPayload>(&body) {
            Ok(payload) => Ok(Self::Known(payload)),
            Err(error) => {
                let members = body.as_map().unwrap_or_default();
                let event_type = content::member(members, "type").and_then(Content::as_str);
                content::warn_unknown("generic", event_type, Some(&error));
                Ok(Self::Unknown(body.into_value()))
            }
        }
    }
}
