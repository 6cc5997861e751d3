//! PromptLayer: `X-PromptLayer-Signature: <hex>` over CPython's sorted `json.dumps` form.

use std::borrow::Cow;

use crate::canonical::canonical_json;
use crate::scheme::{
    hex_tag, KeyFields, Scheme, SignError, Signature, SignatureHeader, SignedContent,
    SigningContext,
};
use crate::{HeaderSource, MalformedReason, Provider};

/// PromptLayer signs `json.dumps(payload, sort_keys=True)` of the parsed body, which is
/// rarely the body it posts; the verifier rebuilds that form byte for byte as CPython
/// writes it (and also accepts a signature over the raw body). It sends no event id: an
/// event's key is the SHA-256 of its canonical form, or, opted in with
/// [`KeyStrategy::agent_execution_id`](crate::dedup::KeyStrategy::agent_execution_id),
/// `details.agent_execution_id` for `agent_run_finished`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PromptLayer;

impl Scheme for PromptLayer {
    fn provider(&self) -> Provider {
        Provider::PROMPTLAYER
    }

    fn signature_headers(&self) -> &'static [&'static str] {
        &["x-promptlayer-signature"]
    }

    fn read_signature(
        &self,
        header: SignatureHeader<'_>,
        _headers: &dyn HeaderSource,
    ) -> Result<Signature, MalformedReason> {
        Ok(Signature::new(hex_tag(header.value())?))
    }

    fn signed_content(&self) -> SignedContent {
        SignedContent::CanonicalJson
    }

    fn event_type<'a>(&self, fields: &KeyFields<'a>) -> Option<Cow<'a, str>> {
        fields.string(&["event_type"])
    }

    fn sign(
        &self,
        key: &[u8],
        body: &[u8],
        _context: &SigningContext,
    ) -> Result<Vec<(&'static str, String)>, SignError> {
        let canonical = canonical_json(body)?;
        Ok(vec![(
            "x-promptlayer-signature",
            super::header_value::sign_bare(key, &canonical),
        )])
    }
}
