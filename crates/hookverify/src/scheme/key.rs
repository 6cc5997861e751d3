//! What a scheme reads to choose an event's natural deduplication key.

use std::borrow::Cow;

use crate::canonical::{Document, Scalar};
use crate::Verified;

/// A verified delivery as seen by [`Scheme::natural_key`](super::Scheme::natural_key) and
/// [`Scheme::event_type`](super::Scheme::event_type): its header facts and its body's fields.
#[derive(Debug, Clone, Copy)]
pub struct KeyFields<'a> {
    verified: &'a Verified,
    document: &'a Document,
}

impl<'a> KeyFields<'a> {
    pub(crate) fn new(verified: &'a Verified, document: &'a Document) -> Self {
        Self { verified, document }
    }

    /// The verified delivery.
    #[must_use]
    pub fn verified(&self) -> &'a Verified {
        self.verified
    }

    /// The delivery id the headers carried (see [`Signature::delivery_id`](super::Signature::delivery_id)).
    #[must_use]
    pub fn delivery_id(&self) -> Option<&'a str> {
        self.verified.delivery_id()
    }

    /// The text at `path` in the JSON body: a non-empty string (unescaped), or a number as
    /// written in the signed bytes. `None` for anything else or a missing field.
    #[must_use]
    pub fn text(&self, path: &[&str]) -> Option<Cow<'a, str>> {
        let body: &'a [u8] = self.verified.body();
        let text = match self.document.scalar(body, path)? {
            Scalar::Str(text) => text,
            Scalar::Number(text) => Cow::Borrowed(text),
            Scalar::Bool(_) | Scalar::Null => return None,
        };
        (!text.is_empty()).then_some(text)
    }

    /// The string at `path` in the JSON body, unescaped (lone surrogates as U+FFFD), empty
    /// or not; `None` for any other value or a missing field. Where a sender names its event
    /// type, as [`Scheme::event_type`](super::Scheme::event_type) reads it.
    #[must_use]
    pub fn string(&self, path: &[&str]) -> Option<Cow<'a, str>> {
        let body: &'a [u8] = self.verified.body();
        match self.document.scalar(body, path)? {
            Scalar::Str(text) => Some(text),
            Scalar::Number(_) | Scalar::Bool(_) | Scalar::Null => None,
        }
    }
}

/// An event's natural key: what it is made of (`id`, `delivery`, ...) and its parts.
/// The verifier namespaces it and escapes each part, so parts never run into each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NaturalKey {
    pub(crate) kind: &'static str,
    pub(crate) parts: Vec<String>,
}

impl NaturalKey {
    /// A key of `kind` from `parts`.
    #[must_use]
    pub fn new<P: Into<String>>(kind: &'static str, parts: impl IntoIterator<Item = P>) -> Self {
        Self {
            kind,
            parts: parts.into_iter().map(Into::into).collect(),
        }
    }
}
