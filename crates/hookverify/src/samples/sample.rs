//! One sample delivery: its body as the sender writes it, and what it signs it with.

use crate::scheme::{SignError, SigningContext};
use crate::{testing, Provider, Secret};

/// A sample delivery of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub(crate) provider: Provider,
    pub(crate) event_type: &'static str,
    pub(crate) body: Vec<u8>,
    pub(crate) context: SigningContext,
}

impl Sample {
    /// The sender.
    #[must_use]
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The event type.
    #[must_use]
    pub fn event_type(&self) -> &'static str {
        self.event_type
    }

    /// The body, byte for byte as the sender writes it.
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The delivery id and time it is signed with (now, when the sample was made).
    #[must_use]
    pub fn context(&self) -> &SigningContext {
        &self.context
    }

    /// Signs the sample as its sender does: the headers to send with [`body`](Self::body).
    ///
    /// # Errors
    /// [`SignError`] when the secret is not a key of this sender.
    pub fn sign(&self, secret: &Secret) -> Result<Vec<(&'static str, String)>, SignError> {
        let scheme = crate::senders::built_in_ref(self.provider).ok_or(SignError::Unsupported {
            provider: self.provider,
        })?;
        Ok(testing::sign_with(&**scheme, secret, &self.body, &self.context)?.into_headers())
    }
}
