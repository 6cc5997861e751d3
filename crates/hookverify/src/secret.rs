//! Webhook signing secrets.
//!
//! ```
//! use hookverify::Secret;
//!
//! let secret = Secret::new("whsec_example").unwrap();
//! assert_eq!(format!("{secret:?}"), "Secret(..)");
//! assert!(Secret::new("").is_err());
//! ```

use std::fmt;

use zeroize::Zeroizing;

/// A webhook signing secret: the UTF-8 bytes of the string exactly as the sender shows it
/// (no trimming). Each sender's scheme makes its HMAC key from these bytes: every built-in
/// sender uses them as they are, except Standard Webhooks, which base64-decodes a `whsec_`
/// secret as its own libraries do.
///
/// The bytes are wiped from memory when the value is dropped, and `Debug` prints
/// `Secret(..)`, so a secret never reaches a log through a derived `Debug` of a config.
#[derive(Clone)]
pub struct Secret {
    bytes: Zeroizing<Vec<u8>>,
}

impl Secret {
    /// Builds a secret from the string a sender's dashboard shows.
    ///
    /// # Errors
    /// [`SecretError::Empty`] for an empty string: an empty HMAC key verifies signatures that
    /// anyone can compute, which is never what a deployment means.
    pub fn new(secret: impl Into<String>) -> Result<Self, SecretError> {
        Self::from_bytes(secret.into().into_bytes())
    }

    /// Builds a secret from raw key bytes, for senders whose secret is not text.
    ///
    /// # Errors
    /// [`SecretError::Empty`] for an empty key.
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Result<Self, SecretError> {
        let bytes = Zeroizing::new(bytes.into());
        if bytes.is_empty() {
            return Err(SecretError::Empty);
        }
        Ok(Self { bytes })
    }

    /// The key bytes. Crate-internal so that callers cannot copy the key by accident.
    pub(crate) fn expose(&self) -> &[u8] {
        &self.bytes
    }
}

/// Drops a key made from a secret (a scheme's `hmac_key`), wiping it first when it is a
/// decoded copy rather than the secret's own bytes.
pub(crate) fn wipe_key(key: std::borrow::Cow<'_, [u8]>) {
    if let std::borrow::Cow::Owned(decoded) = key {
        drop(Zeroizing::new(decoded));
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl TryFrom<&str> for Secret {
    type Error = SecretError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<String> for Secret {
    type Error = SecretError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

/// Why a [`Secret`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretError {
    /// The secret was empty.
    Empty,
    /// The secret is not in the form its sender issues (a `whsec_` Standard Webhooks
    /// secret whose rest is not base64, say).
    Malformed {
        /// What is wrong, in words; never the secret.
        reason: &'static str,
    },
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("webhook secret is empty"),
            Self::Malformed { reason } => write!(f, "webhook secret is malformed: {reason}"),
        }
    }
}

impl std::error::Error for SecretError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_key() {
        let secret = Secret::new("super-secret-value").unwrap();
        let shown = format!("{secret:?} {:?}", vec![secret.clone()]);
        assert!(!shown.contains("super"), "{shown}");
    }

    #[test]
    fn empty_is_refused() {
        assert_eq!(Secret::new("").unwrap_err(), SecretError::Empty);
        assert_eq!(
            Secret::from_bytes(Vec::new()).unwrap_err(),
            SecretError::Empty
        );
    }

    #[test]
    fn key_is_the_string_bytes_as_given() {
        let secret = Secret::new(" whsec_ab==\n").unwrap();
        assert_eq!(secret.expose(), b" whsec_ab==\n");
    }
}
