//! GitHub: `X-Hub-Signature-256: sha256=<hex>` over the raw body.

use std::borrow::Cow;

use super::header_value;
use crate::scheme::{
    KeyFields, NaturalKey, Scheme, SignError, Signature, SignatureHeader, SigningContext,
};
use crate::{HeaderSource, MalformedReason, Provider};

const DELIVERY: &str = "x-github-delivery";
const EVENT: &str = "x-github-event";

/// GitHub: `X-Hub-Signature-256: sha256=<hex>` over the raw body (the legacy SHA-1
/// `X-Hub-Signature` is not accepted). An event is its `X-GitHub-Delivery` GUID, which a
/// redelivery keeps; `X-GitHub-Event` is its type. Configure the webhook's content type
/// as `application/json`.
///
/// GitHub signs only the body: the delivery and event headers are not covered, so a
/// captured delivery replayed under a new delivery id is a new key, and its
/// `X-GitHub-Event` can be changed. Deliveries without a GUID in the delivery header fall
/// back to the body's hash.
#[derive(Debug, Clone, Copy, Default)]
pub struct GitHub;

impl GitHub {
    /// Whether `text` is a delivery id as GitHub writes them, a GUID (`8-4-4-4-12` hex
    /// digits): only such an `X-GitHub-Delivery` is taken as the event's key.
    ///
    /// ```
    /// use hookverify::senders::GitHub;
    ///
    /// assert!(GitHub::is_delivery_id("72d3162e-cc78-11e3-81ab-4c9367dc0958"));
    /// assert!(!GitHub::is_delivery_id("123"));
    /// ```
    #[must_use]
    pub fn is_delivery_id(text: &str) -> bool {
        text.len() == 36
            && text.bytes().enumerate().all(|(index, byte)| match index {
                8 | 13 | 18 | 23 => byte == b'-',
                _ => byte.is_ascii_hexdigit(),
            })
    }
}

impl Scheme for GitHub {
    fn provider(&self) -> Provider {
        Provider::GITHUB
    }

    fn signature_headers(&self) -> &'static [&'static str] {
        &["x-hub-signature-256"]
    }

    fn read_signature(
        &self,
        header: SignatureHeader<'_>,
        headers: &dyn HeaderSource,
    ) -> Result<Signature, MalformedReason> {
        let mut signature = Signature::new(header_value::prefixed(header.value())?);
        // GitHub's delivery ids are GUIDs; the header is not signed, so anything else (a
        // long value meant to fill the store, say) is not taken as an id.
        if let Some(delivery) =
            header_value::text(headers, DELIVERY).filter(|id| GitHub::is_delivery_id(id))
        {
            signature = signature.delivery_id(delivery);
        }
        if let Some(event) = header_value::text(headers, EVENT) {
            signature = signature.event_type(event);
        }
        Ok(signature)
    }

    fn natural_key(&self, fields: &KeyFields<'_>) -> Option<NaturalKey> {
        Some(NaturalKey::new("delivery", [fields.delivery_id()?]))
    }

    /// Only `X-GitHub-Event`: GitHub's bodies do not name their event.
    fn event_type<'a>(&self, fields: &KeyFields<'a>) -> Option<Cow<'a, str>> {
        fields.verified().header_event_type().map(Cow::Borrowed)
    }

    fn sign(
        &self,
        key: &[u8],
        body: &[u8],
        context: &SigningContext,
    ) -> Result<Vec<(&'static str, String)>, SignError> {
        let event = match context.event_type_name() {
            "" => "ping",
            event => event,
        };
        Ok(vec![
            (
                "x-hub-signature-256",
                header_value::sign_prefixed(key, body),
            ),
            (DELIVERY, context.delivery_id().to_owned()),
            (EVENT, event.to_owned()),
        ])
    }
}
