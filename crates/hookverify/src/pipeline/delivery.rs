//! The verified delivery handed to handlers.

use std::fmt;

use bytes::Bytes;
use serde::de::DeserializeOwned;

use super::{ExtractError, FromDelivery};
use crate::canonical::Document;
use crate::dedup::DedupKey;
use crate::{Provider, SignedForm};

/// An authentic delivery that passed the pipeline: what the adapters put in the request
/// extensions and what the extractors read.
#[derive(Clone)]
pub struct VerifiedDelivery {
    pub(crate) provider: Provider,
    pub(crate) dedup_key: DedupKey,
    pub(crate) body: Bytes,
    pub(crate) fingerprint: [u8; 32],
    pub(crate) signed_form: SignedForm,
    pub(crate) delivery_id: Option<String>,
    pub(crate) header_event_type: Option<String>,
    pub(crate) event_type: Option<String>,
}

impl VerifiedDelivery {
    /// Whether a request's `Content-Length` values (all of them, in order) state this
    /// delivery's body length exactly: one value, in decimal, without sign, padding or
    /// leading zeros. Adapters rewrite the header for the handler only when it does not (a
    /// canonical form of another length, a chunked or malformed request), so most
    /// deliveries keep the sender's own header.
    #[must_use]
    pub fn is_declared_by<'a>(&self, content_lengths: impl IntoIterator<Item = &'a [u8]>) -> bool {
        let mut values = content_lengths.into_iter();
        let (Some(digits), None) = (values.next(), values.next()) else {
            return false;
        };
        digits.iter().all(u8::is_ascii_digit)
            && (digits.len() == 1 || !digits.starts_with(b"0"))
            && std::str::from_utf8(digits)
                .ok()
                .and_then(|digits| digits.parse::<usize>().ok())
                == Some(self.body.len())
    }

    /// The sender.
    #[must_use]
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The deduplication key of this event (computed even when deduplication is off).
    #[must_use]
    pub fn dedup_key(&self) -> &DedupKey {
        &self.dedup_key
    }

    /// The signed bytes, which the handler also reads as the request body: the body as
    /// received when the signature covered it, or, for a PromptLayer delivery whose
    /// signature covered the canonical form ([`SignedForm::Canonical`]), that canonical form.
    /// Either way the handler sees only values the sender signed.
    #[must_use]
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The HMAC tag of the signed bytes under the first configured secret.
    #[must_use]
    pub fn fingerprint(&self) -> [u8; 32] {
        self.fingerprint
    }

    /// The delivery id the headers carried (GitHub's `X-GitHub-Delivery`, `webhook-id`).
    #[must_use]
    pub fn delivery_id(&self) -> Option<&str> {
        self.delivery_id.as_deref()
    }

    /// The event type a header carried (GitHub's `X-GitHub-Event`).
    #[must_use]
    pub fn header_event_type(&self) -> Option<&str> {
        self.header_event_type.as_deref()
    }

    /// The event's type, as the sender names it: the same string as the `event_type()` of
    /// [`AnyEvent`](crate::events::AnyEvent) or the sender's own event type for this
    /// delivery (`unknown` when the sender did not name one), read from the body the
    /// pipeline already parsed. For a handler that only routes or logs by type, this is
    /// much cheaper than parsing the event.
    ///
    /// ```
    /// # use hookverify::pipeline::{Pipeline, WebhookConfig};
    /// # use hookverify::{testing, Provider, Secret};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let secret = Secret::new("whsec_docs")?;
    /// let pipeline = Pipeline::new(WebhookConfig::new(secret.clone()));
    /// let body = br#"{"event": "test", "webhook_id": "w1", "message": "hi"}"#;
    /// let headers = testing::sign(Provider::PRISM, &secret, body)?.into_headers();
    /// let admitted = pipeline.admit(&headers[..], body.to_vec()).await?;
    /// assert_eq!(admitted.delivery().event_type(), "test");
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn event_type(&self) -> &str {
        self.event_type.as_deref().unwrap_or("unknown")
    }

    /// Which bytes the signature covered.
    #[must_use]
    pub fn signed_form(&self) -> SignedForm {
        self.signed_form
    }

    /// Deserializes the body as any `T`.
    ///
    /// The pipeline has already checked that the body is JSON as CPython's `json.loads`
    /// reads it, nested at most [`MAX_DEPTH`](crate::canonical::MAX_DEPTH) deep, so
    /// serde_json's own recursion limit (one level lower) is lifted here. Python senders may
    /// also write what serde_json refuses (`NaN`, `Infinity`, lone surrogate escapes, a
    /// UTF-8 BOM); such a body is read through the pipeline's own parser instead, with
    /// non-finite numbers as the strings `"NaN"`, `"Infinity"`, `"-Infinity"` and lone
    /// surrogates as U+FFFD, so that an authentic event is not refused for them.
    ///
    /// # Errors
    /// The `serde_json` error when the body does not fit `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        let mut deserializer = serde_json::Deserializer::from_slice(&self.body);
        deserializer.disable_recursion_limit();
        let strict = T::deserialize(&mut deserializer).and_then(|value| {
            deserializer.end()?;
            Ok(value)
        });
        match strict {
            Err(error) if error.is_syntax() || error.is_eof() => match self.lenient_value() {
                Some(value) => T::deserialize(value),
                None => Err(error),
            },
            other => other,
        }
    }

    /// The body read by the pipeline's parser, which accepts what `json.loads` accepts.
    pub(crate) fn lenient_value(&self) -> Option<serde_json::Value> {
        let document = Document::parse(&self.body).ok()?;
        Some(document.to_value(&self.body))
    }

    /// The event as `T`: a provider event type, [`AnyEvent`](crate::events::AnyEvent), or any
    /// `T: DeserializeOwned`.
    ///
    /// # Errors
    /// [`ExtractError::InvalidPayload`] when the body does not fit `T`.
    pub fn event<T: FromDelivery>(&self) -> Result<T, ExtractError> {
        T::from_delivery(self)
    }
}

impl fmt::Debug for VerifiedDelivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedDelivery")
            .field("provider", &self.provider)
            .field("dedup_key", &self.dedup_key)
            .field("event_type", &self.event_type())
            .field("body_len", &self.body.len())
            .field("signed_form", &self.signed_form)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use crate::pipeline::{Pipeline, WebhookConfig};
    use crate::{testing, Provider, Secret};

    #[tokio::test]
    async fn a_content_length_declares_the_body_only_when_it_states_its_length_exactly() {
        let secret = Secret::new("declared-length").unwrap();
        let body = br#"{"id":"evt_length","type":"t","data":{}}"#;
        let signature = testing::sign(Provider::GENERIC, &secret, body).unwrap();
        let headers = [(signature.name(), signature.value())];
        let pipeline = Pipeline::new(WebhookConfig::new(secret).dedup(false));
        let admitted = pipeline.admit(&headers[..], body.to_vec()).await;
        let delivery = admitted.unwrap().into_parts().0;
        let length = body.len().to_string();
        let declared =
            |values: &[&str]| delivery.is_declared_by(values.iter().map(|v| v.as_bytes()));
        assert!(declared(&[&length]));
        assert!(!declared(&[]));
        assert!(!declared(&[&length, &length]), "two headers are ambiguous");
        for value in [
            format!("0{length}"),
            format!("+{length}"),
            format!(" {length}"),
            format!("{length} "),
            "1".to_owned(),
            String::new(),
        ] {
            assert!(!declared(&[&value]), "{value:?}");
        }
    }
}
