//! An event from any provider, picked by the provider whose signature verified.

use serde::ser::{Serialize, Serializer};
use serde::Deserialize;

use super::{
    GenericEvent, GitHubEvent, PrismEvent, PromptLayerEvent, PromptReportsEvent,
    StandardWebhooksEvent, StripeEvent,
};
use crate::Provider;

/// An event from any configured sender.
///
/// A body does not say which sender wrote it, so `AnyEvent` is deliberately not
/// `Deserialize`: build it with [`AnyEvent::parse`] from the provider whose signature
/// verified.
///
/// ```
/// use hookverify::events::{AnyEvent, PrismEvent};
/// use hookverify::Provider;
///
/// let body = br#"{"event": "test", "webhook_id": "w1", "message": "hi"}"#;
/// let event = AnyEvent::parse(Provider::PRISM, body).unwrap();
/// assert_eq!((event.provider(), event.event_type()), (Provider::PRISM, "test"));
/// assert!(matches!(event, AnyEvent::Prism(PrismEvent::Test(_))));
/// ```
///
/// Serializing writes the inner event, with no tag.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AnyEvent {
    /// From PromptLayer.
    PromptLayer(PromptLayerEvent),
    /// From Prism / Agent Command Center.
    Prism(PrismEvent),
    /// From PromptReports.
    PromptReports(PromptReportsEvent),
    /// From a sender following the `X-Signature-256` template.
    Generic(GenericEvent),
    /// From GitHub.
    GitHub(GitHubEvent),
    /// From a Standard Webhooks sender.
    StandardWebhooks(StandardWebhooksEvent),
    /// From Stripe.
    Stripe(StripeEvent),
    /// From a sender of your own: its name and the body.
    Other(Provider, serde_json::Value),
}

impl AnyEvent {
    /// Parses `body` as `provider`'s event type. A GitHub event's type is in a header, so
    /// here it is unknown: a handler gets it whole through `Webhook<AnyEvent>`.
    ///
    /// # Errors
    /// Only when `body` is not a JSON object (not JSON at all, another JSON value, or
    /// nesting beyond `serde_json`'s limit). An object of an unknown type or shape comes
    /// through as the provider's `Unknown` variant.
    pub fn parse(provider: Provider, body: &[u8]) -> Result<AnyEvent, serde_json::Error> {
        Ok(match provider {
            Provider::PROMPTLAYER => AnyEvent::PromptLayer(serde_json::from_slice(body)?),
            Provider::PRISM => AnyEvent::Prism(serde_json::from_slice(body)?),
            Provider::PROMPTREPORTS => AnyEvent::PromptReports(serde_json::from_slice(body)?),
            Provider::GENERIC => AnyEvent::Generic(GenericEvent::from_body(body)?),
            Provider::GITHUB => AnyEvent::GitHub(GitHubEvent::new(None, None, object(body)?)),
            Provider::STANDARD_WEBHOOKS => {
                AnyEvent::StandardWebhooks(StandardWebhooksEvent::from_body(body)?)
            }
            Provider::STRIPE => AnyEvent::Stripe(StripeEvent::from_body(body)?),
            other => AnyEvent::Other(other, object(body)?),
        })
    }

    /// Reads `value` as `provider`'s event type; never fails: a value of an unknown type or
    /// shape, or one that is not an object, comes through as the provider's `Unknown`
    /// variant.
    #[must_use]
    pub fn from_value(provider: Provider, value: serde_json::Value) -> AnyEvent {
        match provider {
            Provider::PROMPTLAYER => AnyEvent::PromptLayer(
                PromptLayerEvent::deserialize(&value).unwrap_or(PromptLayerEvent::Unknown(value)),
            ),
            Provider::PRISM => AnyEvent::Prism(
                PrismEvent::deserialize(&value).unwrap_or(PrismEvent::Unknown(value)),
            ),
            Provider::PROMPTREPORTS => AnyEvent::PromptReports(
                PromptReportsEvent::deserialize(&value)
                    .unwrap_or(PromptReportsEvent::Unknown(value)),
            ),
            Provider::GENERIC => AnyEvent::Generic(
                GenericEvent::deserialize(&value).unwrap_or(GenericEvent::Unknown(value)),
            ),
            Provider::GITHUB => AnyEvent::GitHub(GitHubEvent::new(None, None, value)),
            Provider::STANDARD_WEBHOOKS => AnyEvent::StandardWebhooks(
                StandardWebhooksEvent::deserialize(&value)
                    .unwrap_or(StandardWebhooksEvent::Unknown(value)),
            ),
            Provider::STRIPE => AnyEvent::Stripe(
                StripeEvent::deserialize(&value).unwrap_or(StripeEvent::Unknown(value)),
            ),
            other => AnyEvent::Other(other, value),
        }
    }

    /// The sender.
    #[must_use]
    pub fn provider(&self) -> Provider {
        match self {
            AnyEvent::PromptLayer(_) => Provider::PROMPTLAYER,
            AnyEvent::Prism(_) => Provider::PRISM,
            AnyEvent::PromptReports(_) => Provider::PROMPTREPORTS,
            AnyEvent::Generic(_) => Provider::GENERIC,
            AnyEvent::GitHub(_) => Provider::GITHUB,
            AnyEvent::StandardWebhooks(_) => Provider::STANDARD_WEBHOOKS,
            AnyEvent::Stripe(_) => Provider::STRIPE,
            AnyEvent::Other(provider, _) => *provider,
        }
    }

    /// The inner event's wire type name (see each provider type's `event_type`); for a
    /// sender of your own, the body's `type`, `event_type` or `event` string, or `unknown`.
    #[must_use]
    pub fn event_type(&self) -> &str {
        match self {
            AnyEvent::PromptLayer(event) => event.event_type(),
            AnyEvent::Prism(event) => event.event_type(),
            AnyEvent::PromptReports(event) => event.event_type(),
            AnyEvent::Generic(event) => event.event_type(),
            AnyEvent::GitHub(event) => event.event_type(),
            AnyEvent::StandardWebhooks(event) => event.event_type(),
            AnyEvent::Stripe(event) => event.event_type(),
            AnyEvent::Other(_, body) => ["type", "event_type", "event"]
                .iter()
                .find_map(|name| body.get(name)?.as_str())
                .unwrap_or("unknown"),
        }
    }

    /// The whole body, when the inner event kept it raw (always for GitHub and a sender of
    /// your own).
    #[must_use]
    pub fn raw(&self) -> Option<&serde_json::Value> {
        match self {
            AnyEvent::PromptLayer(event) => event.raw(),
            AnyEvent::Prism(event) => event.raw(),
            AnyEvent::PromptReports(event) => event.raw(),
            AnyEvent::Generic(event) => event.raw(),
            AnyEvent::GitHub(event) => Some(event.payload()),
            AnyEvent::StandardWebhooks(event) => event.raw(),
            AnyEvent::Stripe(event) => event.raw(),
            AnyEvent::Other(_, body) => Some(body),
        }
    }

    /// Whether the inner event is its provider's `Unknown` variant; for GitHub, whether its
    /// type is unknown (no `X-GitHub-Event`); always for a sender of your own.
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        match self {
            AnyEvent::PromptLayer(event) => event.is_unknown(),
            AnyEvent::Prism(event) => event.is_unknown(),
            AnyEvent::PromptReports(event) => event.is_unknown(),
            AnyEvent::Generic(event) => event.is_unknown(),
            AnyEvent::StandardWebhooks(event) => event.is_unknown(),
            AnyEvent::Stripe(event) => event.is_unknown(),
            AnyEvent::GitHub(event) => event.event_type() == "unknown",
            AnyEvent::Other(..) => true,
        }
    }
}

/// A body that must be a JSON object, for the senders whose events are not typed.
fn object(body: &[u8]) -> Result<serde_json::Value, serde_json::Error> {
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body)
        .map(serde_json::Value::Object)
}

impl Serialize for AnyEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            AnyEvent::PromptLayer(event) => event.serialize(serializer),
            AnyEvent::Prism(event) => event.serialize(serializer),
            AnyEvent::PromptReports(event) => event.serialize(serializer),
            AnyEvent::Generic(event) => event.serialize(serializer),
            AnyEvent::GitHub(event) => event.serialize(serializer),
            AnyEvent::StandardWebhooks(event) => event.serialize(serializer),
            AnyEvent::Stripe(event) => event.serialize(serializer),
            AnyEvent::Other(_, body) => body.serialize(serializer),
        }
    }
}

impl From<PromptLayerEvent> for AnyEvent {
    fn from(event: PromptLayerEvent) -> Self {
        AnyEvent::PromptLayer(event)
    }
}

impl From<PrismEvent> for AnyEvent {
    fn from(event: PrismEvent) -> Self {
        AnyEvent::Prism(event)
    }
}

impl From<PromptReportsEvent> for AnyEvent {
    fn from(event: PromptReportsEvent) -> Self {
        AnyEvent::PromptReports(event)
    }
}

impl From<GenericEvent> for AnyEvent {
    fn from(event: GenericEvent) -> Self {
        AnyEvent::Generic(event)
    }
}

impl From<GitHubEvent> for AnyEvent {
    fn from(event: GitHubEvent) -> Self {
        AnyEvent::GitHub(event)
    }
}

impl From<StandardWebhooksEvent> for AnyEvent {
    fn from(event: StandardWebhooksEvent) -> Self {
        AnyEvent::StandardWebhooks(event)
    }
}

impl From<StripeEvent> for AnyEvent {
    fn from(event: StripeEvent) -> Self {
        AnyEvent::Stripe(event)
    }
}
