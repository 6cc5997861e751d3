//! Standard Webhooks (Svix, OpenAI, Clerk, Resend, ...): `webhook-signature: v1,<base64>`
//! over `{id}.{timestamp}.{body}`.

use std::borrow::Cow;
use std::time::Duration;

use super::header_value::text;
use crate::scheme::{
    base64_tag, unix_timestamp, KeyFields, NaturalKey, Scheme, SignError, Signature,
    SignatureHeader, SigningContext,
};
use crate::signature::{decode_base64_like_python, encode_base64, hmac};
use crate::{HeaderSource, MalformedReason, Provider, SecretError};

/// At most this many signatures are looked at in one header; senders send one per active
/// secret, two during a rotation.
const MAX_SIGNATURES: usize = 16;

/// The id and timestamp headers that go with each signature header, by its index.
const FAMILIES: [(&str, &str); 2] = [
    ("webhook-id", "webhook-timestamp"),
    ("svix-id", "svix-timestamp"),
];

/// The [Standard Webhooks](https://www.standardwebhooks.com/) scheme, which Svix and the
/// senders built on it (OpenAI, Clerk, Resend and others) use: `webhook-id`,
/// `webhook-timestamp` and `webhook-signature` (or the same as `svix-*`), the signature
/// `v1,<base64 HMAC-SHA256>` over `{id}.{timestamp}.{body}`, several space-separated
/// signatures of which any may match. Secrets are `whsec_<base64>` (the key is the decoded
/// bytes, decoded as the reference libraries do; a secret without the prefix is the key
/// bytes as given). A timestamp more than the
/// tolerance (default 5 minutes) from now either way is refused; `webhook-id` is the key.
#[derive(Debug, Clone, Copy)]
pub struct StandardWebhooks {
    tolerance: Duration,
}

impl StandardWebhooks {
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

impl Default for StandardWebhooks {
    fn default() -> Self {
        Self::new()
    }
}

impl Scheme for StandardWebhooks {
    fn provider(&self) -> Provider {
        Provider::STANDARD_WEBHOOKS
    }

    fn signature_headers(&self) -> &'static [&'static str] {
        &["webhook-signature", "svix-signature"]
    }

    fn read_signature(
        &self,
        header: SignatureHeader<'_>,
        headers: &dyn HeaderSource,
    ) -> Result<Signature, MalformedReason> {
        let (id_name, timestamp_name) =
            FAMILIES.get(header.index()).copied().unwrap_or(FAMILIES[0]);
        let id = text(headers, id_name).ok_or(MalformedReason::MissingHeader { name: id_name })?;
        // The signed message is `id.timestamp.body`: an id with a `.` could be read at two
        // places, and the spec's ids never hold one.
        if id.contains('.') {
            return Err(MalformedReason::InvalidDeliveryId);
        }
        let timestamp_text =
            text(headers, timestamp_name).ok_or(MalformedReason::MissingHeader {
                name: timestamp_name,
            })?;
        let timestamp = unix_timestamp(timestamp_text.as_bytes())?;

        let mut tags = header
            .value()
            .split(|byte| *byte == b' ')
            .filter_map(|entry| entry.strip_prefix(b"v1,"))
            .filter_map(|tag| base64_tag(tag).ok());
        let first = tags.next().ok_or(MalformedReason::NoSignature)?;
        let mut signature = Signature::new(first);
        for (count, tag) in tags.enumerate() {
            if count + 1 >= MAX_SIGNATURES {
                return Err(MalformedReason::TooManySignatures);
            }
            signature = signature.tag(tag);
        }
        Ok(signature
            .signed_prefix(format!("{id}.{timestamp_text}."))
            .timestamp(timestamp)
            .delivery_id(id))
    }

    fn hmac_key<'s>(&self, secret: &'s [u8]) -> Result<Cow<'s, [u8]>, SecretError> {
        match secret.strip_prefix(b"whsec_") {
            // Decoded as the reference libraries decode it (Python's lenient `b64decode`), so
            // a secret they accept signs the same here.
            Some(encoded) => match decode_base64_like_python(encoded) {
                Some(key) if !key.is_empty() => Ok(Cow::Owned(key)),
                _ => Err(SecretError::Malformed {
                    reason: "a `whsec_` secret must be followed by base64",
                }),
            },
            None => Ok(Cow::Borrowed(secret)),
        }
    }

    fn timestamp_tolerance(&self) -> Option<Duration> {
        Some(self.tolerance)
    }

    fn natural_key(&self, fields: &KeyFields<'_>) -> Option<NaturalKey> {
        Some(NaturalKey::new("id", [fields.delivery_id()?]))
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
        let id = context.delivery_id();
        let timestamp = context.timestamp().to_string();
        let tag = hmac(
            key,
            &[id.as_bytes(), b".", timestamp.as_bytes(), b".", body],
        );
        Ok(vec![
            ("webhook-id", id.to_owned()),
            ("webhook-timestamp", timestamp),
            ("webhook-signature", format!("v1,{}", encode_base64(&tag))),
        ])
    }
}
