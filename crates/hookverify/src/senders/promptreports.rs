//! PromptReports: `X-PromptReports-Signature: <hex>` over the raw body.

use std::borrow::Cow;

use super::header_value;
use crate::scheme::{
    hex_tag, KeyFields, NaturalKey, Scheme, SignError, Signature, SignatureHeader, SigningContext,
};
use crate::{HeaderSource, MalformedReason, Provider};

/// PromptReports: `X-PromptReports-Signature`, bare hex over the raw body (its
/// `JSON.stringify` of the event); an event is its `id`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PromptReports;

impl Scheme for PromptReports {
    fn provider(&self) -> Provider {
        Provider::PROMPTREPORTS
    }

    fn signature_headers(&self) -> &'static [&'static str] {
        &["x-promptreports-signature"]
    }

    fn read_signature(
        &self,
        header: SignatureHeader<'_>,
        _headers: &dyn HeaderSource,
    ) -> Result<Signature, MalformedReason> {
        Ok(Signature::new(hex_tag(header.value())?))
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
            "x-promptreports-signature",
            header_value::sign_bare(key, body),
        )])
    }
}
