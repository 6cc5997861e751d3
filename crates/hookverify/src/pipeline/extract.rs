//! Turning a delivery into the handler's event type, with one error contract for every
//! adapter's extractor.

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::VerifiedDelivery;
use crate::events::{sender_of, AnyEvent, GitHubEvent};
use crate::Provider;

/// A type a handler can receive a delivery as.
///
/// Implemented for every `T: DeserializeOwned`, for [`AnyEvent`], which picks the sender's
/// type by the signature that verified, and for [`GitHubEvent`]. A sender's own event type
/// (`PromptLayerEvent`, `StripeEvent`, `GitHubEvent`, ...) takes only that sender's
/// deliveries ([`ExtractError::WrongSender`] otherwise); `AnyEvent` and every other type
/// take any configured sender's. The sender event types never fail on a JSON object:
/// unknown shapes come through as their raw variant.
pub trait FromDelivery: Sized {
    /// Builds the value from an authentic delivery.
    ///
    /// # Errors
    /// [`ExtractError::InvalidPayload`] when the body does not fit.
    fn from_delivery(delivery: &VerifiedDelivery) -> Result<Self, ExtractError>;
}

impl<T: DeserializeOwned + 'static> FromDelivery for T {
    fn from_delivery(delivery: &VerifiedDelivery) -> Result<Self, ExtractError> {
        if let Some(expected) = sender_of::<T>() {
            ExtractError::check_sender(expected, delivery)?;
        }
        delivery.json().map_err(ExtractError::invalid)
    }
}

impl FromDelivery for GitHubEvent {
    fn from_delivery(delivery: &VerifiedDelivery) -> Result<Self, ExtractError> {
        ExtractError::check_sender(Provider::GITHUB, delivery)?;
        let payload = delivery.json().map_err(ExtractError::invalid)?;
        Ok(GitHubEvent::new(
            delivery.header_event_type().map(str::to_owned),
            delivery.delivery_id().map(str::to_owned),
            payload,
        ))
    }
}

impl FromDelivery for AnyEvent {
    fn from_delivery(delivery: &VerifiedDelivery) -> Result<Self, ExtractError> {
        if delivery.provider() == Provider::GITHUB {
            return GitHubEvent::from_delivery(delivery).map(AnyEvent::GitHub);
        }
        match AnyEvent::parse(delivery.provider(), delivery.body()) {
            Ok(event) => Ok(event),
            // JSON that serde_json refuses (NaN, a BOM, ...) or nesting at the limit:
            // read it the way the pipeline did.
            Err(error) => match delivery.lenient_value() {
                Some(value) => Ok(AnyEvent::from_value(delivery.provider(), value)),
                None => Err(ExtractError::invalid(error)),
            },
        }
    }
}

/// Why an extractor could not give the handler its value.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ExtractError {
    /// The route has no `WebhookVerify` layer or middleware, so nothing was verified: a
    /// configuration mistake, answered 500 so that it is noticed at once.
    MissingLayer,
    /// The authentic body does not fit the requested type: 422.
    InvalidPayload(Arc<serde_json::Error>),
    /// The handler takes one sender's events and the delivery, authentic, is another
    /// sender's (a route whose layer accepts several senders): 422, and the handler does not
    /// run, so the event is not recorded as processed.
    WrongSender {
        /// The sender the handler's type describes.
        expected: Provider,
        /// The sender whose signature verified.
        received: Provider,
    },
}

impl ExtractError {
    fn invalid(error: serde_json::Error) -> Self {
        Self::InvalidPayload(Arc::new(error))
    }

    fn check_sender(expected: Provider, delivery: &VerifiedDelivery) -> Result<(), Self> {
        let received = delivery.provider();
        if received == expected {
            return Ok(());
        }
        tracing::warn!(
            %expected,
            %received,
            "an authentic delivery reached a handler of another sender's events; refused \
             (route each sender to its handler, or take `AnyEvent`)"
        );
        Err(Self::WrongSender { expected, received })
    }

    /// The HTTP status code: 500 or 422.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::MissingLayer => 500,
            Self::InvalidPayload(_) | Self::WrongSender { .. } => 422,
        }
    }

    /// The JSON response body.
    #[must_use]
    pub fn body(&self) -> String {
        match self {
            Self::MissingLayer => concat!(
                r#"{"error":"webhook_verify_missing","message":"#,
                r#""this route reads a webhook but has no WebhookVerify layer or middleware: "#,
                r#"add .route_layer(WebhookVerify::new(secret)) to the route (axum) or "#,
                r#".wrap(WebhookVerify::new(secret)) (actix-web)"}"#
            )
            .to_owned(),
            Self::InvalidPayload(error) => {
                serde_json::json!({"error": "unprocessable_payload", "message": error.to_string()})
                    .to_string()
            }
            Self::WrongSender { expected, received } => serde_json::json!({
                "error": "wrong_sender",
                "message": format!("this endpoint takes {expected} events, not {received}")
            })
            .to_string(),
        }
    }
}

impl fmt::Display for ExtractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingLayer => f.write_str("no WebhookVerify layer or middleware on this route"),
            Self::InvalidPayload(error) => write!(f, "webhook payload does not fit: {error}"),
            Self::WrongSender { expected, received } => {
                write!(
                    f,
                    "a {received} delivery reached a handler of {expected} events"
                )
            }
        }
    }
}

impl std::error::Error for ExtractError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::MissingLayer | Self::WrongSender { .. } => None,
            Self::InvalidPayload(error) => Some(error.as_ref()),
        }
    }
}
