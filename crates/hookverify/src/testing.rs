//! Signing test deliveries, so that handlers can be tested with real signatures.
//!
//! ```
//! use hookverify::{testing, Provider, Secret, Verifier};
//!
//! let secret = Secret::new("test_secret").unwrap();
//! let body = br#"{"event_type": "report_finished", "details": {"report_id": 1, "report_name": "r"}}"#;
//! let signature = testing::sign(Provider::PromptLayer, &secret, body).unwrap();
//! assert_eq!(signature.name(), "x-promptlayer-signature");
//!
//! let headers = [(signature.name(), signature.value())];
//! assert!(Verifier::new(secret).verify(&headers[..], body.to_vec()).is_ok());
//! ```

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::canonical::{canonical_json, CanonicalError};
use crate::signature;
use crate::{Provider, Secret};

/// A signature header to send with a test delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestSignature {
    name: &'static str,
    value: String,
}

impl TestSignature {
    /// The header name, lowercase (`x-agentcc-signature` for Prism, its current name).
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The header value, exactly as the provider writes it.
    #[must_use]
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The `(name, value)` pair.
    #[must_use]
    pub fn into_pair(self) -> (&'static str, String) {
        (self.name, self.value)
    }
}

/// Signs `body` the way `provider` does: PromptLayer signs the canonical JSON form of the
/// parsed body, every other provider the raw bytes.
///
/// # Errors
/// For PromptLayer, a [`CanonicalError`] when `body` is not JSON.
pub fn sign(
    provider: Provider,
    secret: &Secret,
    body: &[u8],
) -> Result<TestSignature, CanonicalError> {
    if provider.signs_canonical_form() {
        let canonical = canonical_json(body)?;
        Ok(sign_bytes(provider, secret, &canonical))
    } else {
        Ok(sign_bytes(provider, secret, body))
    }
}

/// Signs exactly `signed_bytes` in `provider`'s header format, whatever the provider would
/// sign; for testing senders that sign other bytes than the body they post.
#[must_use]
pub fn sign_bytes(provider: Provider, secret: &Secret, signed_bytes: &[u8]) -> TestSignature {
    let hex = signature::encode(&hmac_sha256(secret, signed_bytes));
    let value = match provider.format() {
        crate::provider::SignatureFormat::BareHex => hex,
        crate::provider::SignatureFormat::Sha256Prefixed => format!("sha256={hex}"),
    };
    let name = provider
        .header_names()
        .first()
        .copied()
        .unwrap_or("x-signature-256");
    TestSignature { name, value }
}

fn hmac_sha256(secret: &Secret, bytes: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of every length, so this cannot fail; an empty tag is never returned.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose()) else {
        return [0; 32];
    };
    mac.update(bytes);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_known_answer() {
        let secret = Secret::new("It's a Secret to Everybody").unwrap();
        let signature = sign(Provider::Generic, &secret, b"Hello, World!").unwrap();
        assert_eq!(signature.name(), "x-signature-256");
        assert_eq!(
            signature.value(),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    #[test]
    fn bare_hex_providers_have_no_prefix() {
        let secret = Secret::new("k").unwrap();
        let signature = sign(Provider::PromptReports, &secret, b"{}").unwrap();
        assert_eq!(signature.value().len(), 64);
        assert_eq!(signature.name(), "x-promptreports-signature");
    }
}
