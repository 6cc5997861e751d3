//! What a request's headers claim about its signature.

use super::Tag;

/// The signature header a [`Scheme`](super::Scheme) was found by.
#[derive(Debug, Clone, Copy)]
pub struct SignatureHeader<'a> {
    index: usize,
    name: &'static str,
    value: &'a [u8],
}

impl<'a> SignatureHeader<'a> {
    pub(crate) fn new(index: usize, name: &'static str, value: &'a [u8]) -> Self {
        Self { index, name, value }
    }

    /// Its position in [`Scheme::signature_headers`](super::Scheme::signature_headers).
    #[must_use]
    pub fn index(&self) -> usize {
        self.index
    }

    /// Its name, lowercase.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its raw value.
    #[must_use]
    pub fn value(&self) -> &'a [u8] {
        self.value
    }
}

/// What a request's headers say about its signature: the claimed tags (any may match),
/// the bytes signed before the body, the signed time, and the delivery's id and event type
/// where the headers carry them.
#[derive(Debug, Clone)]
#[must_use]
pub struct Signature {
    pub(crate) first: Tag,
    pub(crate) more: Vec<Tag>,
    pub(crate) signed_prefix: Vec<u8>,
    pub(crate) timestamp: Option<i64>,
    pub(crate) delivery_id: Option<String>,
    pub(crate) event_type: Option<String>,
}

impl Signature {
    /// Claims one tag.
    pub fn new(tag: Tag) -> Self {
        Self {
            first: tag,
            more: Vec::new(),
            signed_prefix: Vec::new(),
            timestamp: None,
            delivery_id: None,
            event_type: None,
        }
    }

    /// Claims another tag as well (a sender mid-rotation signs with several secrets): the
    /// delivery is authentic when any claimed tag matches.
    pub fn tag(mut self, tag: Tag) -> Self {
        self.more.push(tag);
        self
    }

    /// The bytes signed before the body, such as Stripe's `{t}.`.
    pub fn signed_prefix(mut self, prefix: impl Into<Vec<u8>>) -> Self {
        self.signed_prefix = prefix.into();
        self
    }

    /// The signed Unix timestamp, checked against the scheme's
    /// [tolerance](super::Scheme::timestamp_tolerance).
    pub fn timestamp(mut self, unix_seconds: i64) -> Self {
        self.timestamp = Some(unix_seconds);
        self
    }

    /// The delivery id a header carries (GitHub's `X-GitHub-Delivery`, `webhook-id`).
    pub fn delivery_id(mut self, id: impl Into<String>) -> Self {
        self.delivery_id = Some(id.into());
        self
    }

    /// The event type a header carries (GitHub's `X-GitHub-Event`).
    pub fn event_type(mut self, event_type: impl Into<String>) -> Self {
        self.event_type = Some(event_type.into());
        self
    }

    /// Every claimed tag.
    pub(crate) fn tags(&self) -> impl Iterator<Item = &Tag> {
        std::iter::once(&self.first).chain(&self.more)
    }
}
