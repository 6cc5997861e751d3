//! Signing a delivery as a sender would, for tests and tools.

use std::fmt;

use crate::canonical::CanonicalError;
use crate::Provider;

/// What a signature may cover besides the body: the time and the delivery's id and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningContext {
    timestamp: i64,
    delivery_id: String,
    event_type: String,
}

impl SigningContext {
    /// A delivery signed at `timestamp` (Unix seconds) with id `delivery_id`.
    #[must_use]
    pub fn new(timestamp: i64, delivery_id: impl Into<String>) -> Self {
        Self {
            timestamp,
            delivery_id: delivery_id.into(),
            event_type: String::new(),
        }
    }

    /// The event type, for senders that send it in a header (GitHub's `X-GitHub-Event`).
    #[must_use]
    pub fn event_type(mut self, event_type: impl Into<String>) -> Self {
        self.event_type = event_type.into();
        self
    }

    /// The signing time, Unix seconds.
    #[must_use]
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// The delivery id.
    #[must_use]
    pub fn delivery_id(&self) -> &str {
        &self.delivery_id
    }

    /// The event type; empty when not given.
    #[must_use]
    pub fn event_type_name(&self) -> &str {
        &self.event_type
    }
}

/// Why a delivery could not be signed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignError {
    /// The scheme does not implement signing.
    Unsupported {
        /// Its sender.
        provider: Provider,
    },
    /// The sender signs a canonical JSON form and the body is not JSON.
    Canonical(CanonicalError),
    /// The secret is not a key of this sender.
    Secret(crate::SecretError),
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsupported { provider } => write!(f, "the {provider} scheme cannot sign"),
            Self::Canonical(_) => f.write_str("the body has no canonical JSON form"),
            Self::Secret(_) => f.write_str("the secret is not a key of this sender"),
        }
    }
}

impl std::error::Error for SignError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Unsupported { .. } => None,
            Self::Canonical(error) => Some(error),
            Self::Secret(error) => Some(error),
        }
    }
}

impl From<CanonicalError> for SignError {
    fn from(error: CanonicalError) -> Self {
        Self::Canonical(error)
    }
}
