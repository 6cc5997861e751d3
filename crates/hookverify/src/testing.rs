//! Signing test deliveries as each sender does, so that handlers can be tested with real
//! signatures.
//!
//! ```
//! use hookverify::{testing, Provider, Secret, Verifier};
//!
//! let secret = Secret::new("test_secret").unwrap();
//! let body = br#"{"event_type": "report_finished", "details": {"report_id": 1, "report_name": "r"}}"#;
//! let signature = testing::sign(Provider::PROMPTLAYER, &secret, body).unwrap();
//! assert_eq!(signature.name(), "x-promptlayer-signature");
//!
//! let headers = signature.headers();
//! assert!(Verifier::new(secret).verify(&headers[..], body.to_vec()).is_ok());
//! ```

use sha2::{Digest, Sha256};

use crate::scheme::{Scheme, SignError, SigningContext, SystemWallClock, WallClock};
use crate::signature::{encode_hex, hmac};
use crate::{Provider, Secret};

/// The headers of a signed test delivery: the signature header and whatever else the sender
/// sends with it (ids, timestamps, the event type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestSignature {
    headers: Vec<(&'static str, String)>,
    signature: usize,
}

impl TestSignature {
    /// The signature header's name, lowercase (`x-agentcc-signature` for Prism, its
    /// current name).
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.headers
            .get(self.signature)
            .map_or("", |(name, _)| name)
    }

    /// The signature header's value, exactly as the sender writes it.
    #[must_use]
    pub fn value(&self) -> &str {
        self.headers
            .get(self.signature)
            .map_or("", |(_, value)| value.as_str())
    }

    /// Every header to send, as `(name, value)` pairs.
    #[must_use]
    pub fn headers(&self) -> Vec<(&'static str, &str)> {
        self.headers
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect()
    }

    /// Every header to send, with the signature header's value replaced by `value`: for
    /// testing what a tampered signature gets.
    #[must_use]
    pub fn headers_with_value<'a>(&'a self, value: &'a str) -> Vec<(&'static str, &'a str)> {
        self.headers
            .iter()
            .enumerate()
            .map(|(index, (name, own))| {
                (
                    *name,
                    if index == self.signature {
                        value
                    } else {
                        own.as_str()
                    },
                )
            })
            .collect()
    }

    /// Every header to send, owned.
    #[must_use]
    pub fn into_headers(self) -> Vec<(&'static str, String)> {
        self.headers
    }
}

/// Signs `body` the way `provider` does, now, with a delivery id derived from the body
/// (so signing the same body again is a redelivery of the same event, as a sender's retry
/// is): PromptLayer signs the canonical JSON form of the parsed body, Standard Webhooks and
/// Stripe sign the time as well, every other sender the raw bytes.
///
/// # Errors
/// [`SignError`]: for a sender of your own (use [`sign_with`]), or for PromptLayer when
/// `body` is not JSON.
pub fn sign(provider: Provider, secret: &Secret, body: &[u8]) -> Result<TestSignature, SignError> {
    let scheme =
        crate::senders::built_in_ref(provider).ok_or(SignError::Unsupported { provider })?;
    let context = SigningContext::new(SystemWallClock.unix_time(), delivery_id(provider, body));
    sign_with(&**scheme, secret, body, &context)
}

/// Signs `body` with `scheme` in the given context (time, delivery id, event type).
///
/// # Errors
/// [`SignError`] when the scheme cannot sign this body or the secret is not its key.
pub fn sign_with(
    scheme: &dyn Scheme,
    secret: &Secret,
    body: &[u8],
    context: &SigningContext,
) -> Result<TestSignature, SignError> {
    let key = scheme
        .hmac_key(secret.expose())
        .map_err(SignError::Secret)?;
    let headers = scheme.sign(&key, body, context);
    crate::secret::wipe_key(key);
    let headers = headers?;
    let signature = headers
        .iter()
        .position(|(name, _)| scheme.signature_headers().contains(name))
        .unwrap_or(0);
    Ok(TestSignature { headers, signature })
}

/// Signs exactly `signed_bytes` as the raw body in `provider`'s header format, whatever the
/// provider would sign (for PromptLayer: a signature over those bytes rather than their
/// canonical form); for testing senders that sign other bytes than the body they post.
///
/// # Errors
/// [`SignError::Unsupported`] for a sender that is not built in.
pub fn sign_bytes(
    provider: Provider,
    secret: &Secret,
    signed_bytes: &[u8],
) -> Result<TestSignature, SignError> {
    if provider == Provider::PROMPTLAYER {
        let value = hmac_hex(secret, signed_bytes);
        return Ok(TestSignature {
            headers: vec![("x-promptlayer-signature", value)],
            signature: 0,
        });
    }
    let scheme =
        crate::senders::built_in_ref(provider).ok_or(SignError::Unsupported { provider })?;
    let context = SigningContext::new(
        SystemWallClock.unix_time(),
        delivery_id(provider, signed_bytes),
    );
    sign_with(&**scheme, secret, signed_bytes, &context)
}

/// Lowercase hex of HMAC-SHA256 of `bytes` keyed with the secret's bytes as given.
#[must_use]
pub fn hmac_hex(secret: &Secret, bytes: &[u8]) -> String {
    encode_hex(&hmac(secret.expose(), &[bytes]))
}

/// The delivery id [`sign`] gives `body`: derived from the body, in the sender's usual shape
/// (a GUID for GitHub, `msg_...` otherwise), so one body is one event.
#[must_use]
pub fn delivery_id(provider: Provider, body: &[u8]) -> String {
    let digest = encode_hex(&Sha256::digest(body));
    if provider == Provider::GITHUB {
        format!(
            "{}-{}-{}-{}-{}",
            &digest[..8],
            &digest[8..12],
            &digest[12..16],
            &digest[16..20],
            &digest[20..32]
        )
    } else {
        format!("msg_{}", &digest[..24])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_known_answer() {
        let secret = Secret::new("It's a Secret to Everybody").unwrap();
        let expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        let signature = sign(Provider::GENERIC, &secret, b"Hello, World!").unwrap();
        assert_eq!(signature.name(), "x-signature-256");
        assert_eq!(signature.value(), expected);
        let signature = sign(Provider::GITHUB, &secret, b"Hello, World!").unwrap();
        assert_eq!(signature.name(), "x-hub-signature-256");
        assert_eq!(signature.value(), expected);
        assert_eq!(signature.headers().len(), 3);
    }

    #[test]
    fn bare_hex_providers_have_no_prefix() {
        let secret = Secret::new("k").unwrap();
        let signature = sign(Provider::PROMPTREPORTS, &secret, b"{}").unwrap();
        assert_eq!(signature.value().len(), 64);
        assert_eq!(signature.name(), "x-promptreports-signature");
    }

    #[test]
    fn a_sender_of_your_own_is_signed_with_its_scheme_only() {
        let secret = Secret::new("k").unwrap();
        assert!(matches!(
            sign(Provider::new("acme"), &secret, b"{}"),
            Err(SignError::Unsupported { .. })
        ));
    }
}
