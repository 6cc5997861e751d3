//! Stripe events: `{"id": "evt_…", "object": "event", "type", "created", "data": {"object"}}`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

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

super::open::known_or_unknown!(StripeEvent, StripePayload, "stripe");
