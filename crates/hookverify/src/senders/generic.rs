//! The common `X-Signature-256: sha256=<hex>` template.

use std::borrow::Cow;

use super::header_value;
use crate::scheme::{
    KeyFields, NaturalKey, Scheme, SignError, Signature, SignatureHeader, SigningContext,
};
use crate::{HeaderSource, MalformedReason, Provider};

/// The widely copied documentation template: `X-Signature-256: sha256=<hex>` over the raw
/// body, an event is its `id`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Generic;

impl Scheme for Generic {
    fn provider(&self) -> Provider {
        Provider::GENERIC
    }

    fn signature_headers(&self) -> &'static [&'static str] {
        &["x-signature-256"]
    }

    fn read_signature(
        &self,
        header: SignatureHeader<'_>,
        _headers: &dyn HeaderSource,
    ) -> Result<Signature, MalformedReason> {
        Ok(Signature::new(header_value::prefixed(header.value())?))
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
        _context: &SigningContext,
    ) -> Result<Vec<(&'static str, String)>, SignError> {
        Ok(vec![(
            "x-signature-256",
            header_value::sign_prefixed(key, body),
        )])
    }
}
