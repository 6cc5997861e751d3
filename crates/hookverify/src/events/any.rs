//! An event from any provider, picked by the provider whose signature verified.

use serde::ser::{Serialize, Serializer};
use serde::Deserialize;

use super::{GenericEvent, PrismEvent, PromptLayerEvent, PromptReportsEvent};
use crate::Provider;

/// An event from any of the four providers.
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
/// let event = AnyEvent::parse(Provider::Prism, body).unwrap();
/// assert_eq!((event.provider(), event.event_type()), (Provider::Prism, "test"));
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
    /// From a GitHub-style sender.
    Generic(GenericEvent),
}

impl AnyEvent {
    /// Parses `body` as `provider`'s event type.
    ///
    /// # Errors
    /// Only when `body` is not a JSON object (not JSON at all, another JSON value, or
    /// nesting beyond `serde_json`'s limit). An object of an unknown type or shape comes
    /// through as the provider's `Unknown` variant.
    pub fn parse(provider: Provider, body: &[u8]) -> Result<AnyEvent, serde_json::Error> {
        Ok(match provider {
            Provider::PromptLayer => AnyEvent::PromptLayer(serde_json::from_slice(body)?),
            Provider::Prism => AnyEvent::Prism(serde_json::from_slice(body)?),
            Provider::PromptReports => AnyEvent::PromptReports(serde_json::from_slice(body)?),
            Provider::Generic => AnyEvent::Generic(serde_json::from_slice(body)?),
        })
    }

    /// Reads `value` as `provider`'s event type; never fails: a value of an unknown type or
    /// shape, or one that is not an object, comes through as the provider's `Unknown`
    /// variant.
    #[must_use]
    pub fn from_value(provider: Provider, value: serde_json::Value) -> AnyEvent {
        match provider {
            Provider::PromptLayer => AnyEvent::PromptLayer(
                PromptLayerEvent::deserialize(&value).unwrap_or(PromptLayerEvent::Unknown(value)),
            ),
            Provider::Prism => AnyEvent::Prism(
                PrismEvent::deserialize(&value).unwrap_or(PrismEvent::Unknown(value)),
            ),
            Provider::PromptReports => AnyEvent::PromptReports(
                PromptReportsEvent::deserialize(&value)
                    .unwrap_or(PromptReportsEvent::Unknown(value)),
            ),
            Provider::Generic => AnyEvent::Generic(
                GenericEvent::deserialize(&value).unwrap_or(GenericEvent::Unknown(value)),
            ),
        }
    }

    /// The sender.
    #[must_use]
    pub fn provider(&self) -> Provider {
        match self {
            AnyEvent::PromptLayer(_) => Provider::PromptLayer,
            AnyEvent::Prism(_) => Provider::Prism,
            AnyEvent::PromptReports(_) => Provider::PromptReports,
            AnyEvent::Generic(_) => Provider::Generic,
        }
    }

    /// The inner event's wire type name (see each provider type's `event_type`).
    #[must_use]
    pub fn event_type(&self) -> &str {
        match self {
            AnyEvent::PromptLayer(event) => event.event_type(),
            AnyEvent::Prism(event) => event.event_type(),
            AnyEvent::PromptReports(event) => event.event_type(),
            AnyEvent::Generic(event) => event.event_type(),
        }
    }

    /// The whole body, when the inner event kept it raw.
    #[must_use]
    pub fn raw(&self) -> Option<&serde_json::Value> {
        match self {
            AnyEvent::PromptLayer(event) => event.raw(),
            AnyEvent::Prism(event) => event.raw(),
            AnyEvent::PromptReports(event) => event.raw(),
            AnyEvent::Generic(event) => event.raw(),
        }
    }

    /// Whether the inner event is its provider's `Unknown` variant.
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        match self {
            AnyEvent::PromptLayer(event) => event.is_unknown(),
            AnyEvent::Prism(event) => event.is_unknown(),
            AnyEvent::PromptReports(event) => event.is_unknown(),
            AnyEvent::Generic(event) => event.is_unknown(),
        }
    }
}

impl Serialize for AnyEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            AnyEvent::PromptLayer(event) => event.serialize(serializer),
            AnyEvent::Prism(event) => event.serialize(serializer),
            AnyEvent::PromptReports(event) => event.serialize(serializer),
            AnyEvent::Generic(event) => event.serialize(serializer),
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
