//! Stripe events: `{"id": "evt_…", "object": "event", "type", "created", "data": {"object"}}`.

use serde::de::Deserializer;
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::content::{self, Content};

/// A Stripe event in its documented envelope. Fields this type does not model (`request`,
/// `pending_webhooks`, ...) are not kept; the verified body has them all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StripePayload {
    /// The event id, `evt_…`: the deduplication key.
    pub id: String,
    /// The event type, e.g. `payment_intent.succeeded`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// When the event was created, Unix seconds.
    pub created: i64,
    /// Whether the event is from live mode.
    #[serde(default)]
    pub livemode: bool,
    /// The API version the event is rendered in.
    #[serde(default)]
    pub api_version: Option<String>,
    /// The object the event is about, and for `*.updated` what changed.
    pub data: StripeEventData,
}

/// A Stripe event's `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StripeEventData {
    /// The object (a payment intent, a customer, ...) as sent.
    pub object: Value,
    /// The previous values of the changed fields, on `*.updated` events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_attributes: Option<Value>,
}

/// An event from Stripe.
///
/// ```
/// use hookverify::events::StripeEvent;
///
/// let body = br#"{"id": "evt_1", "object": "event", "type": "customer.created",
///     "created": 1700000000, "livemode": false, "data": {"object": {"id": "cus_1"}}}"#;
/// let event: StripeEvent = serde_json::from_slice(body).unwrap();
/// assert_eq!(event.event_type(), "customer.created");
/// assert_eq!(event.payload().unwrap().data.object["id"], "cus_1");
/// ```
///
/// Deserializing never fails on a JSON object: a body not in the envelope comes through
/// as [`Unknown`](Self::Unknown) with the whole body, after a `tracing` warning.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StripeEvent {
    /// A body in the documented envelope.
    Known(StripePayload),
    /// Any other JSON object: the whole body.
    Unknown(Value),
}

impl StripeEvent {
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
    pub fn payload(&self) -> Option<&StripePayload> {
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

impl Serialize for StripeEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Known(payload) => payload.serialize(serializer),
            Self::Unknown(raw) => raw.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for StripeEvent {
    /// Never fails on a JSON object (see the type's docs); anything else is an error.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let body = content::object(deserializer, "a Stripe event object")?;
        match content::read::<StripePayload>(&body) {
            Ok(payload) => Ok(Self::Known(payload)),
            Err(error) => {
                let members = body.as_map().unwrap_or_default();
                let event_type = content::member(members, "type").and_then(Content::as_str);
                content::warn_unknown("stripe", event_type, Some(&error));
                Ok(Self::Unknown(body.into_value()))
            }
        }
    }
}
