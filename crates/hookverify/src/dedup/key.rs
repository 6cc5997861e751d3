//! Deduplication keys: which deliveries are the same event.
//!
//! ```
//! use hookverify::dedup::{DedupKey, KeyStrategy};
//!
//! // PromptLayer's `agent_run_finished` may fire several times for one execution: opt in
//! // to one key per execution. A custom key replaces the provider's own (namespaced).
//! let keys = KeyStrategy::default()
//!     .agent_execution_id(true)
//!     .with_custom(|verified| verified.json::<serde_json::Value>().ok()?
//!         .get("delivery_id")?.as_str().map(str::to_owned));
//! assert!(format!("{keys:?}").contains("agent_execution_id: true"));
//! assert_eq!(DedupKey::new("generic:evt_1").as_str(), "generic:evt_1");
//! ```

use std::borrow::Cow;
use std::fmt;
use std::fmt::Write as _;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::canonical::{Document, Scalar};
use crate::scheme::{KeyFields, NaturalKey, SignedContent};
use crate::{Provider, Verified};

/// A namespaced deduplication key, such as `billing:generic:id:evt_1`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DedupKey(Arc<str>);

impl DedupKey {
    /// A key from its full text.
    #[must_use]
    pub fn new(key: impl Into<Arc<str>>) -> Self {
        Self(key.into())
    }

    /// The key's text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DedupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for DedupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user-supplied key function; `None` falls back to the provider's default key.
pub type CustomKeyFn = dyn Fn(&Verified) -> Option<String> + Send + Sync;

/// How deduplication keys are chosen: each provider's natural key by default, optionally
/// PromptLayer's agent execution id, or a function of yours.
///
/// A key is `<namespace>:<provider>:<kind>:<part>[:<part>]`: the layer's
/// [namespace](crate::pipeline::WebhookConfig::namespace), the provider's
/// [name](crate::Provider::name), what the key is made of, and its parts, each with `%`
/// written `%25` and `:` written `%3A`. So keys of different layers and senders never
/// collide, and neither do two events whose parts differ only in where a `:` falls
/// (`r1:request` + `completed` against `r1` + `request:completed`).
///
/// | provider | key (after `<namespace>:`) | without the field(s) |
/// |---|---|---|
/// | PromptReports | `promptreports:id:<id>` | `promptreports:sha256:<hex of SHA-256 of the body>` |
/// | Generic | `generic:id:<id>` | `generic:sha256:<hex of SHA-256 of the body>` |
/// | GitHub | `github:delivery:<X-GitHub-Delivery>` | `github:sha256:<hex>` |
/// | Standard Webhooks | `standard-webhooks:id:<webhook-id>` (signed, always present) | |
/// | Stripe | `stripe:id:<id>` | `stripe:sha256:<hex>` |
/// | your own [`Scheme`](crate::scheme::Scheme) | `<name>:<kind>:<parts>` from its [`natural_key`](crate::scheme::Scheme::natural_key) | `<name>:sha256:<hex>` |
/// | Prism | `prism:id:<request_id>:<event>` (one gateway request sends several events) | `prism:sha256:<hex>` |
/// | PromptLayer | `promptlayer:sha256:<hex of SHA-256 of the canonical form>` (it sends no id) | the same |
/// | PromptLayer, opted in, `agent_run_finished` | `promptlayer:agent_execution:<details.agent_execution_id>` | the canonical hash |
/// | any, with a custom key function | `<provider>:custom:<your key>` | the provider's key |
///
/// An id may be a JSON string (its text, unescaped) or a number (its text as written in the
/// signed bytes; for PromptLayer that is the canonical form, where `1.50` is `1.5`); a string
/// and a number with the same text, `"7"` and `7`, are the same key. Anything else, or an
/// empty string, counts as missing. PromptLayer hashes the canonical form, not the raw body,
/// so the same event has the same key whichever form it was signed in.
///
/// A custom key is still namespaced, as `<namespace>:<provider>:custom:<your key>`: keys of different senders
/// cannot collide, and the function need not know which sender it is looking at. It
/// overrides every default key, the agent execution id included; `None` or an empty string
/// falls back to the provider's key (an empty key would make every later event a
/// duplicate of the first).
#[derive(Clone, Default)]
pub struct KeyStrategy {
    custom: Option<Arc<CustomKeyFn>>,
    agent_execution_id: bool,
}

impl fmt::Debug for KeyStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyStrategy")
            .field("custom", &self.custom.is_some())
            .field("agent_execution_id", &self.agent_execution_id)
            .finish()
    }
}

impl KeyStrategy {
    /// The default keys, overridden by `key` wherever it returns a key.
    #[must_use]
    pub fn custom(key: impl Fn(&Verified) -> Option<String> + Send + Sync + 'static) -> Self {
        Self::default().with_custom(key)
    }

    /// Overrides the keys with `key` wherever it returns one (replacing an earlier custom
    /// function).
    #[must_use]
    pub fn with_custom(
        mut self,
        key: impl Fn(&Verified) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.custom = Some(Arc::new(key));
        self
    }

    /// Keys PromptLayer's `agent_run_finished` by `details.agent_execution_id` (default
    /// off), so the event's repeated firings for one execution run the handler once. Off,
    /// each distinct body is its own event.
    #[must_use]
    pub fn agent_execution_id(mut self, enabled: bool) -> Self {
        self.agent_execution_id = enabled;
        self
    }

    /// The key of a verified delivery in `namespace`; `document` is its body parsed.
    pub(crate) fn key_for(
        &self,
        namespace: &str,
        verified: &Verified,
        document: &Document,
    ) -> DedupKey {
        let provider = verified.provider();
        let mut key = String::with_capacity(namespace.len() + 64);
        push_part(&mut key, namespace);
        key.push(':');
        key.push_str(provider.name());
        if let Some(custom) = &self.custom {
            if let Some(custom) = custom(verified).filter(|key| !key.is_empty()) {
                key.push_str(":custom:");
                push_part(&mut key, &custom);
                return DedupKey::new(key);
            }
        }
        let body = verified.body().as_ref();
        let natural = match self.agent_key(provider, document, body) {
            Some(id) => Some(NaturalKey::new("agent_execution", [id])),
            None => verified
                .scheme()
                .natural_key(&KeyFields::new(verified, document)),
        };
        match natural.filter(|natural| !natural.parts.is_empty()) {
            Some(natural) => {
                key.push(':');
                key.push_str(natural.kind);
                for part in &natural.parts {
                    key.push(':');
                    push_part(&mut key, part);
                }
            }
            None => {
                let digest = if verified.scheme().signed_content() == SignedContent::CanonicalJson {
                    let mut hasher = Sha256::new();
                    document.write_canonical(body, &mut |chunk: &[u8]| hasher.update(chunk));
                    hasher.finalize()
                } else {
                    Sha256::digest(body)
                };
                key.push_str(":sha256:");
                key.push_str(&hex(&digest));
            }
        }
        DedupKey::new(key)
    }

    fn agent_key<'a>(
        &self,
        provider: Provider,
        document: &Document,
        body: &'a [u8],
    ) -> Option<Cow<'a, str>> {
        if !self.agent_execution_id || provider != Provider::PROMPTLAYER {
            return None;
        }
        if text_at(document, body, &["event_type"]).as_deref() != Some("agent_run_finished") {
            return None;
        }
        text_at(document, body, &["details", "agent_execution_id"])
    }
}

/// The non-empty string (unescaped), or number text (as written), at `path`.
fn text_at<'a>(document: &Document, body: &'a [u8], path: &[&str]) -> Option<Cow<'a, str>> {
    let text = match document.scalar(body, path)? {
        Scalar::Str(text) => text,
        Scalar::Number(text) => Cow::Borrowed(text),
        Scalar::Bool(_) | Scalar::Null => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// Appends one key part with `%` and `:` escaped, so parts cannot run into each other. The
/// text between them is copied whole: both are ASCII, so their byte positions are character
/// boundaries.
fn push_part(key: &mut String, part: &str) {
    let mut copied = 0;
    for (at, byte) in part.bytes().enumerate() {
        let escape = match byte {
            b'%' => "%25",
            b':' => "%3A",
            _ => continue,
        };
        key.push_str(part.get(copied..at).unwrap_or_default());
        key.push_str(escape);
        copied = at + 1;
    }
    key.push_str(part.get(copied..).unwrap_or_default());
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

#[cfg(test)]
mod tests;
