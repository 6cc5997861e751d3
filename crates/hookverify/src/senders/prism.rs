//! Prism / Agent Command Center: `X-AgentCC-Signature: sha256=<hex>` over the raw body.

use std::borrow::Cow;

use super::header_value;
use crate::scheme::{
    KeyFields, NaturalKey, Scheme, SignError, Signature, SignatureHeader, SigningContext,
};
use crate::{HeaderSource, MalformedReason, Provider};

/// Prism, renamed Agent Command Center (Future AGI): `X-AgentCC-Signature` (or the older
/// `X-Prism-Signature`), `sha256=<hex>` over the raw body. One gateway request sends
/// several events, so an event is `request_id` + `event`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Prism;

impl Scheme for Prism {
    fn provider(&self) -> Provider {
        Provider::PRISM
    }

    fn signature_headers(&self) -> &'static [&'static str] {
        &["x-agentcc-signature", "x-prism-signature"]
    }

    fn read_signature(
        &self,
        header: SignatureHeader<'_>,
        _headers: &dyn HeaderSource,
    ) -> Result<Signature, MalformedReason> {
        Ok(Signature::new(header_value::prefixed(header.value())?))
    }

    fn natural_key(&self, fields: &KeyFields<'_>) -> Option<NaturalKey> {
        let request = fields.text(&["request_id"])?;
        let event = fields.text(&["event"])?;
        Some(NaturalKey::new("id", [request, event]))
    }

    fn event_type<'a>(&self, fields: &KeyFields<'a>) -> Option<Cow<'a, str>> {
        fields.string(&["event"])
    }

    fn sign(
        &self,
        key: &[u8],
        body: &[u8],
        _context: &SigningContext,
    ) -> Result<Vec<(&'static str, String)>, SignError> {
        Ok(vec![(
            "x-agentcc-signature",
            header_value::sign_prefixed(key, body),
        )])
    }
}
