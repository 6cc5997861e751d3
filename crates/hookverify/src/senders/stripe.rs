//! Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]` over `{t}.{body}`.

use std::borrow::Cow;

use std::time::Duration;

use crate::scheme::{
    hex_tag, unix_timestamp, KeyFields, NaturalKey, Scheme, SignError, Signature, SignatureHeader,
    SigningContext,
};
use crate::signature::{encode_hex, hmac};
use crate::{HeaderSource, MalformedReason, Provider};

/// At most this many `v1` signatures are looked at; Stripe sends one per active secret.
const MAX_SIGNATURES: usize = 16;

/// Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]`, HMAC-SHA256 of
/// `{t}.{body}` keyed with the whole `whsec_...` secret as given. Every `v1` is checked (a
/// secret roll sends several), other schemes (`v0`) are ignored, a timestamp more than the
/// tolerance (default 5 minutes) from now is refused, and an event is its `id`.
#[derive(Debug, Clone, Copy)]
pub struct Stripe {
    tolerance: Duration,
}

impl Stripe {
    /// The scheme with the default tolerance of 5 minutes.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            tolerance: Duration::from_secs(300),
        }
    }

    /// How far the signed timestamp may be from now, either way (default 5 minutes).
    #[must_use]
    pub const fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }
}

impl Default for Stripe {
    fn default() -> Self {
        Self::new()
    }
}

impl Scheme for Stripe {
    fn provider(&self) -> Provider {
        Provider::STRIPE
    }

    fn signature_headers(&self) -> &'static [&'static str] {
        &["stripe-signature"]
    }

    fn read_signature(
        &self,
        header: SignatureHeader<'_>,
        _headers: &dyn HeaderSource,
    ) -> Result<Signature, MalformedReason> {
        let mut timestamp: Option<&[u8]> = None;
        let mut tags = Vec::new();
        for item in header.value().split(|byte| *byte == b',') {
            let item = item.trim_ascii();
            if let Some(value) = item.strip_prefix(b"t=") {
                if timestamp.replace(value).is_some() {
                    // Two times in one header: which one was signed is anyone's guess.
                    return Err(MalformedReason::InvalidTimestamp);
                }
            } else if let Some(value) = item.strip_prefix(b"v1=") {
                if let Ok(tag) = hex_tag(value) {
                    if tags.len() == MAX_SIGNATURES {
                        return Err(MalformedReason::TooManySignatures);
                    }
                    tags.push(tag);
                }
            }
        }
        let timestamp_text = timestamp.ok_or(MalformedReason::InvalidTimestamp)?;
        let unix = unix_timestamp(timestamp_text)?;
        let mut tags = tags.into_iter();
        let mut signature = Signature::new(tags.next().ok_or(MalformedReason::NoSignature)?);
        for tag in tags {
            signature = signature.tag(tag);
        }
        let mut prefix = timestamp_text.to_vec();
        prefix.push(b'.');
        Ok(signature.signed_prefix(prefix).timestamp(unix))
    }

    fn timestamp_tolerance(&self) -> Option<Duration> {
        Some(self.tolerance)
    }

    fn natural_key(&self, fields: &KeyFields<'_>) -> Option<NaturalKey> {
        Some(NaturalKey::new("id", [fields.text(&["id"])?]))
    }

    fn event_type<'a>(&self, fields: &KeyFields<'a>) -> Option<Cow<'a, str>> {
        fields.string(&["type"])
    }

    fn sign(
        &self,
        key: &[u8],
        body: &[u8],
        context: &SigningContext,
    ) -> Result<Vec<(&'static str, String)>, SignError> {
        let timestamp = context.timestamp().to_string();
        let tag = hmac(key, &[timestamp.as_bytes(), b".", body]);
        Ok(vec![(
            "stripe-signature",
            format!("t={timestamp},v1={}", encode_hex(&tag)),
        )])
    }
}
