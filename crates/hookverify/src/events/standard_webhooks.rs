//! Standard Webhooks events: `{"type", "timestamp", "data"}` in the spec; each sender on
//! the scheme (OpenAI, Clerk, Resend, ...) adds fields of its own.

use serde::de::Deserializer;
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::content::{self, Content};

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

impl StandardWebhooksEvent {
    /// The `type`; for [`Unknown`](Self::Unknown) the body's `type` string, or `unknown`.
    #[must_use]
    pub fn event_type(&self) -> &str {
        match self {
            Self::Known(payload) => &payload.event_type,
            Self::Unknown(raw) => raw.get("type").and_then(Value::as_str).unwrap_or("unknown"),
        }
    }

    /// The typed envelope, unless [`Unknown`](Self::Unknown).
    #[must_use]
    pub fn payload(&self) -> Option<&StandardWebhooksPayload> {
        match self {
            Self::Known(payload) => Some(payload),
            Self::Unknown(_) => None,
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

impl Serialize for StandardWebhooksEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Known(payload) => payload.serialize(serializer),
            Self::Unknown(raw) => raw.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for StandardWebhooksEvent {
    /// Never fails on a JSON object (see the type's docs); anything else is an error.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let body = content::object(deserializer, "a Standard Webhooks event object")?;
        match content::read::<StandardWebhooksPayload>(&body) {
            Ok(payload) => Ok(Self::Known(payload)),
            Err(error) => {
                let members = body.as_map().unwrap_or_default();
                let event_type = content::member(members, "type").and_then(Content::as_str);
                content::warn_unknown("standard-webhooks", event_type, Some(&error));
                Ok(Self::Unknown(body.into_value()))
            }
        }
    }
}
