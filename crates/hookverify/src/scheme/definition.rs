//! The trait a sender's signing scheme implements.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{KeyFields, NaturalKey, SignError, Signature, SignatureHeader, SigningContext};
use crate::{HeaderSource, MalformedReason, Provider, SecretError};

/// Which bytes, after the [signed prefix](Signature::signed_prefix), a sender's signature
/// covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignedContent {
    /// The body exactly as received (every sender but PromptLayer).
    Body,
    /// CPython's `json.dumps(json.loads(body), sort_keys=True)`, or else the raw body
    /// (PromptLayer). When the canonical form matches, the handler reads that form.
    CanonicalJson,
}

/// How one sender signs its deliveries: which headers carry the signature, how they
/// decode, which bytes are signed, whether a timestamp is signed, and what identifies an
/// event. Every tag is HMAC-SHA256; the verifier computes it under each of the sender's
/// own secrets and compares it in constant time with every tag the headers claim.
///
/// The built-in senders are in [`senders`](crate::senders); the [module docs](super) show
/// a sender of your own.
pub trait Scheme: fmt::Debug + Send + Sync + 'static {
    /// Who signs this way.
    fn provider(&self) -> Provider;

    /// The lowercase names of the headers whose presence means this sender signed the
    /// request, in order of preference. Looked for before the body is read: a request with
    /// none of any configured sender's headers is refused unread.
    fn signature_headers(&self) -> &'static [&'static str];

    /// Reads what the request claims: the tag or tags, the bytes signed before the body,
    /// the signed timestamp, and the delivery's id and type where the headers carry them.
    /// `header` is the signature header found; `headers` gives the others. Must not panic on
    /// any input, and should bound the work it does on a hostile header.
    ///
    /// # Errors
    /// A [`MalformedReason`] when the headers cannot be a signature of this sender.
    fn read_signature(
        &self,
        header: SignatureHeader<'_>,
        headers: &dyn HeaderSource,
    ) -> Result<Signature, MalformedReason>;

    /// Which bytes the signature covers after the signed prefix (default: the body).
    fn signed_content(&self) -> SignedContent {
        SignedContent::Body
    }

    /// The HMAC key that a configured secret's bytes stand for (default: the bytes as
    /// given). Standard Webhooks decodes its `whsec_<base64>` secrets here.
    ///
    /// # Errors
    /// A [`SecretError`] when the secret cannot be a key of this sender.
    fn hmac_key<'s>(&self, secret: &'s [u8]) -> Result<Cow<'s, [u8]>, SecretError> {
        Ok(Cow::Borrowed(secret))
    }

    /// How far the signed timestamp may be from now, either way; `None` (the default) for
    /// a sender that signs no timestamp.
    fn timestamp_tolerance(&self) -> Option<Duration> {
        None
    }

    /// The event's natural deduplication key (default: none, so the body's hash is the key).
    fn natural_key(&self, fields: &KeyFields<'_>) -> Option<NaturalKey> {
        let _ = fields;
        None
    }

    /// The event's type as this sender names it, the same string as the `event_type()` of
    /// its event in [`events`](crate::events) (default: the type a header carried, else the
    /// body's `type`, `event_type` or `event` string, as for
    /// [`AnyEvent::Other`](crate::events::AnyEvent::Other)); `None` reads as `unknown`.
    /// The pipeline reads it once per delivery from the body it already parsed, so a handler
    /// that only needs the type does not parse the event again.
    fn event_type<'a>(&self, fields: &KeyFields<'a>) -> Option<Cow<'a, str>> {
        if let Some(event_type) = fields.verified().header_event_type() {
            return Some(Cow::Borrowed(event_type));
        }
        ["type", "event_type", "event"]
            .iter()
            .find_map(|name| fields.string(&[name]))
    }

    /// The headers this sender would send with `body`, signed with the HMAC key `key`
    /// (already through [`hmac_key`](Self::hmac_key)); for tests and tools. Default:
    /// [`SignError::Unsupported`].
    ///
    /// # Errors
    /// [`SignError`] when this scheme cannot sign, or cannot sign this body.
    fn sign(
        &self,
        key: &[u8],
        body: &[u8],
        context: &SigningContext,
    ) -> Result<Vec<(&'static str, String)>, SignError> {
        let _ = (key, body, context);
        Err(SignError::Unsupported {
            provider: self.provider(),
        })
    }
}

/// A shared scheme is the scheme: `.sender(senders::built_in(provider)?, secret)` works.
impl<S: Scheme + ?Sized> Scheme for Arc<S> {
    fn provider(&self) -> Provider {
        (**self).provider()
    }

    fn signature_headers(&self) -> &'static [&'static str] {
        (**self).signature_headers()
    }

    fn read_signature(
        &self,
        header: SignatureHeader<'_>,
        headers: &dyn HeaderSource,
    ) -> Result<Signature, MalformedReason> {
        (**self).read_signature(header, headers)
    }

    fn signed_content(&self) -> SignedContent {
        (**self).signed_content()
    }

    fn hmac_key<'s>(&self, secret: &'s [u8]) -> Result<Cow<'s, [u8]>, SecretError> {
        (**self).hmac_key(secret)
    }

    fn timestamp_tolerance(&self) -> Option<Duration> {
        (**self).timestamp_tolerance()
    }

    fn natural_key(&self, fields: &KeyFields<'_>) -> Option<NaturalKey> {
        (**self).natural_key(fields)
    }

    fn event_type<'a>(&self, fields: &KeyFields<'a>) -> Option<Cow<'a, str>> {
        (**self).event_type(fields)
    }

    fn sign(
        &self,
        key: &[u8],
        body: &[u8],
        context: &SigningContext,
    ) -> Result<Vec<(&'static str, String)>, SignError> {
        (**self).sign(key, body, context)
    }
}
