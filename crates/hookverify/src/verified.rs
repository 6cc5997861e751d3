//! A delivery whose signature checked out.

use std::fmt;

use bytes::Bytes;
use serde::de::DeserializeOwned;

use std::sync::Arc;

use crate::canonical::Document;
use crate::scheme::Scheme;
use crate::Provider;

/// Which bytes the matching signature covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignedForm {
    /// The body exactly as received.
    RawBody,
    /// The PromptLayer canonical JSON form of the body (CPython's
    /// `json.dumps(json.loads(body), sort_keys=True)`). The body handed on is then that
    /// canonical form, not the bytes received.
    Canonical,
}

/// An authentic delivery: its sender, its signed bytes and their fingerprint.
#[derive(Clone)]
pub struct Verified {
    pub(crate) scheme: Arc<dyn Scheme>,
    pub(crate) provider: Provider,
    pub(crate) body: Bytes,
    pub(crate) fingerprint: [u8; 32],
    pub(crate) signed_form: SignedForm,
    pub(crate) secret_index: usize,
    pub(crate) document: Option<Document>,
    pub(crate) delivery_id: Option<String>,
    pub(crate) event_type: Option<String>,
}

impl Verified {
    /// The sender.
    #[must_use]
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The signed bytes: the body as received when the signature covered it
    /// ([`SignedForm::RawBody`]); the canonical form the signature covered when that is what
    /// matched ([`SignedForm::Canonical`]), so that nothing but signed values ever reaches
    /// a handler.
    #[must_use]
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Gives up the signed bytes (see [`Verified::body`]).
    #[must_use]
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// The HMAC-SHA256 tag of the body under the sender's first secret (for a
    /// canonical-JSON sender such as PromptLayer, of the body's canonical form, whichever
    /// form the signature covered): a fingerprint of the body that cannot be computed
    /// without the secret, used to tell a redelivery from a different body under the same
    /// deduplication key.
    #[must_use]
    pub fn fingerprint(&self) -> [u8; 32] {
        self.fingerprint
    }

    /// Which bytes the signature covered.
    #[must_use]
    pub fn signed_form(&self) -> SignedForm {
        self.signed_form
    }

    /// The delivery id the headers carried (GitHub's `X-GitHub-Delivery`, Standard
    /// Webhooks' `webhook-id`), when the sender sends one.
    #[must_use]
    pub fn delivery_id(&self) -> Option<&str> {
        self.delivery_id.as_deref()
    }

    /// The event type a header carried (GitHub's `X-GitHub-Event`); most senders put it in
    /// the body instead.
    #[must_use]
    pub fn header_event_type(&self) -> Option<&str> {
        self.event_type.as_deref()
    }

    /// The scheme that verified the delivery.
    #[must_use]
    pub fn scheme(&self) -> &Arc<dyn Scheme> {
        &self.scheme
    }

    /// Index of the sender's secret that matched, in configuration order (0 is the first).
    #[must_use]
    pub fn secret_index(&self) -> usize {
        self.secret_index
    }

    /// Deserializes the signed bytes (see [`Verified::body`]).
    ///
    /// # Errors
    /// The `serde_json` error when the body does not fit `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// The canonical parse, when verification had to build it.
    pub(crate) fn document(&self) -> Option<&Document> {
        self.document.as_ref()
    }
}

impl fmt::Debug for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("provider", &self.provider)
            .field("body_len", &self.body.len())
            .field("signed_form", &self.signed_form)
            .field("secret_index", &self.secret_index)
            .finish_non_exhaustive()
    }
}
