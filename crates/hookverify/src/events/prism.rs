//! Prism / Agent Command Center events: a flat payload whose `event` field names the kind.

use serde::de::Deserializer;
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::content::{self, Content};

/// The gateway request a `request.completed`, `error.occurred` or `guardrail.triggered`
/// event reports. One request can produce several of these events with the same fields
/// apart from `event`; `request_id` + `event` is the natural deduplication key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrismRequest {
    /// The gateway request.
    pub request_id: String,
    /// The model the caller asked for.
    pub model: String,
    /// The model the gateway routed to; `None` when `null` or absent. Written as `null`.
    pub resolved_model: Option<String>,
    /// The upstream provider; `None` when `null` or absent. Written as `null`.
    pub provider: Option<String>,
    /// Request latency in milliseconds. Integers and fractions are both accepted; a whole
    /// number is written back as a JSON integer.
    #[serde(serialize_with = "whole_as_integer")]
    pub latency_ms: f64,
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Completion tokens.
    pub output_tokens: u64,
    /// All tokens.
    pub total_tokens: u64,
    /// The HTTP status of the gateway's response.
    pub status_code: u16,
    /// Whether the request failed.
    pub is_error: bool,
    /// The error, when there was one; `None` when `null` or absent. Written as `null`.
    pub error_message: Option<String>,
    /// Whether the response came from the gateway's cache.
    pub cache_hit: bool,
    /// Whether a guardrail rule fired.
    pub guardrail_triggered: bool,
    /// Cost of the request (the sender's currency unit, a float).
    pub cost: f64,
}

/// The dashboard's Test button: `{"event": "test", "webhook_id", "message"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrismTestEvent {
    /// The webhook configuration (a UUID string).
    pub webhook_id: String,
    /// `This is a test event from Agentcc.`
    pub message: String,
}

fn whole_as_integer<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every whole f64 below is an exact i64
    if value.fract() == 0.0 && value.abs() < EXACT {
        #[allow(clippy::cast_possible_truncation)]
        let whole = *value as i64;
        serializer.serialize_i64(whole)
    } else {
        serializer.serialize_f64(*value)
    }
}

/// A Prism / Agent Command Center webhook event.
///
/// ```
/// use hookverify::events::PrismEvent;
///
/// let body = br#"{"event": "test", "webhook_id": "5b0c", "message": "hi"}"#;
/// let event: PrismEvent = serde_json::from_slice(body).unwrap();
/// assert_eq!(event.event_type(), "test");
/// assert!(matches!(event, PrismEvent::Test(ref test) if test.webhook_id == "5b0c"));
/// ```
///
/// The three request kinds share [`PrismRequest`] (see [`request`](Self::request)). The
/// payloads of `budget.exceeded` and `batch.completed` are undocumented, so those variants
/// keep the whole body. Deserializing never fails on a JSON object: an unknown `event`, or
/// a known one whose fields do not fit, comes through as [`Unknown`](Self::Unknown) with
/// the whole body, after a `tracing` warning. Serializing writes the flat payload back with
/// the same field names, `event` last.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PrismEvent {
    /// `request.completed`: a gateway request finished (success or error).
    RequestCompleted(PrismRequest),
    /// `error.occurred`: a gateway-level error.
    ErrorOccurred(PrismRequest),
    /// `guardrail.triggered`: a guardrail rule fired on a request.
    GuardrailTriggered(PrismRequest),
    /// `budget.exceeded` (payload undocumented): the whole body.
    BudgetExceeded(Value),
    /// `batch.completed` (payload undocumented): the whole body.
    BatchCompleted(Value),
    /// `test`: the dashboard's Test button.
    Test(PrismTestEvent),
    /// An unknown `event`, or a known one whose shape did not fit: the whole body.
    Unknown(Value),
}

/// The wire names of the event kinds [`PrismEvent`] has variants for.
pub const PRISM_EVENT_TYPES: &[&str] = &[
    "request.completed",
    "error.occurred",
    "guardrail.triggered",
    "budget.exceeded",
    "batch.completed",
    "test",
];

#[derive(Serialize)]
struct WireOut<'a, T> {
    #[serde(flatten)]
    fields: &'a T,
    event: &'a str,
}

impl PrismEvent {
    /// The wire name (`request.completed`, `error.occurred`, `guardrail.triggered`,
    /// `budget.exceeded`, `batch.completed`, `test`); for [`Unknown`](Self::Unknown) the
    /// body's `event` string, or `unknown`.
    #[must_use]
    pub fn event_type(&self) -> &str {
        match self {
            Self::RequestCompleted(_) => "request.completed",
            Self::ErrorOccurred(_) => "error.occurred",
            Self::GuardrailTriggered(_) => "guardrail.triggered",
            Self::BudgetExceeded(_) => "budget.exceeded",
            Self::BatchCompleted(_) => "batch.completed",
            Self::Test(_) => "test",
            Self::Unknown(raw) => raw
                .get("event")
                .and_then(Value::as_str)
                .unwrap_or("unknown"),
        }
    }

    /// The gateway request, for the three request kinds.
    #[must_use]
    pub fn request(&self) -> Option<&PrismRequest> {
        match self {
            Self::RequestCompleted(request)
            | Self::ErrorOccurred(request)
            | Self::GuardrailTriggered(request) => Some(request),
            _ => None,
        }
    }

    /// The whole body, for the variants that keep it raw ([`BudgetExceeded`](Self::BudgetExceeded),
    /// [`BatchCompleted`](Self::BatchCompleted), [`Unknown`](Self::Unknown)).
    #[must_use]
    pub fn raw(&self) -> Option<&Value> {
        match self {
            Self::BudgetExceeded(raw) | Self::BatchCompleted(raw) | Self::Unknown(raw) => Some(raw),
            _ => None,
        }
    }

    /// Whether this is [`Unknown`](Self::Unknown).
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown(_))
    }
}

impl Serialize for PrismEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let event = self.event_type();
        match self {
            Self::RequestCompleted(fields)
            | Self::ErrorOccurred(fields)
            | Self::GuardrailTriggered(fields) => WireOut { fields, event }.serialize(serializer),
            Self::Test(fields) => WireOut { fields, event }.serialize(serializer),
            Self::BudgetExceeded(raw) | Self::BatchCompleted(raw) | Self::Unknown(raw) => {
                raw.serialize(serializer)
            }
        }
    }
}

impl<'de> Deserialize<'de> for PrismEvent {
    /// Never fails on a JSON object (see the type's docs); anything else is an error.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let body = content::object(deserializer, "a Prism event object")?;
        let members = body.as_map().unwrap_or_default();
        let event = content::member(members, "event").and_then(Content::as_str);
        let outcome = match event {
            Some("request.completed") => content::read(&body).map(Self::RequestCompleted),
            Some("error.occurred") => content::read(&body).map(Self::ErrorOccurred),
            Some("guardrail.triggered") => content::read(&body).map(Self::GuardrailTriggered),
            Some("test") => content::read(&body).map(Self::Test),
            Some("budget.exceeded") => return Ok(Self::BudgetExceeded(body.into_value())),
            Some("batch.completed") => return Ok(Self::BatchCompleted(body.into_value())),
            _ => {
                content::warn_unknown("Prism", event, None);
                return Ok(Self::Unknown(body.into_value()));
            }
        };
        match outcome {
            Ok(event) => Ok(event),
            Err(error) => {
                content::warn_unknown("Prism", event, Some(&error));
                Ok(Self::Unknown(body.into_value()))
            }
        }
    }
}
