//! Turning a delivery into the handler's event type, with one error contract for every
//! adapter's extractor.

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::VerifiedDelivery;
use crate::events::AnyEvent;

/// A type a handler can receive a delivery as.
///
/// Implemented for every `T: DeserializeOwned` (the provider event types among them, which
/// never fail on a JSON object: unknown shapes come through as their raw variant) and for
/// [`AnyEvent`], which picks the provider's type by the header that was verified.
pub trait FromDelivery: Sized {
    /// Builds the value from an authentic delivery.
    ///
    /// # Errors
    /// [`ExtractError::InvalidPayload`] when the body does not fit.
    fn from_delivery(delivery: &VerifiedDelivery) -> Result<Self, ExtractError>;
}

impl<T: DeserializeOwned> FromDelivery for T {
    fn from_delivery(delivery: &VerifiedDelivery) -> Result<Self, ExtractError> {
        delivery.json().map_err(ExtractError::invalid)
    }
}

impl FromDelivery for AnyEvent {
    fn from_delivery(delivery: &VerifiedDelivery) -> Result<Self, ExtractError> {
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
}

impl ExtractError {
    fn invalid(error: serde_json::Error) -> Self {
        Self::InvalidPayload(Arc::new(error))
    }

    /// The HTTP status code: 500 or 422.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::MissingLayer => 500,
            Self::InvalidPayload(_) => 422,
        }
    }

    /// The JSON response body.
    #[must_use]
    pub fn body(&self) -> String {
        match self {
            Self::MissingLayer => concat!(
                r#"{"error":"webhook_verify_missing","message":"#,
                r#""this route reads a webhook but has no WebhookVerify layer or middleware: "#,
                r#"add .layer(WebhookVerify::new(secret)) (axum) or "#,
                r#".wrap(WebhookVerify::new(secret)) (actix-web)"}"#
            )
            .to_owned(),
            Self::InvalidPayload(error) => {
                serde_json::json!({"error": "unprocessable_payload", "message": error.to_string()})
                    .to_string()
            }
        }
    }
}

impl fmt::Display for ExtractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingLayer => f.write_str("no WebhookVerify layer or middleware on this route"),
            Self::InvalidPayload(error) => write!(f, "webhook payload does not fit: {error}"),
        }
    }
}

impl std::error::Error for ExtractError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::MissingLayer => None,
            Self::InvalidPayload(error) => Some(error.as_ref()),
        }
    }
}
