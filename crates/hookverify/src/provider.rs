//! Who sent a delivery.
//!
//! ```
//! use hookverify::Provider;
//!
//! assert_eq!(Provider::PRISM.header_names(), ["x-agentcc-signature", "x-prism-signature"]);
//! assert_eq!(Provider::from_name("github"), Some(Provider::GITHUB));
//! // A sender of your own, verified by your own `Scheme`:
//! const ACME: Provider = Provider::new("acme");
//! assert_eq!(ACME.name(), "acme");
//! ```

use std::fmt;

/// A webhook sender's identity: a short stable name. The built-in senders are associated
/// constants; a [`Scheme`](crate::scheme::Scheme) of your own names its sender with
/// [`Provider::new`].
///
/// | provider | signature header | signed bytes | natural key |
/// |---|---|---|---|
/// | [`PROMPTLAYER`](Self::PROMPTLAYER) | `X-PromptLayer-Signature` (hex) | CPython's `json.dumps(payload, sort_keys=True)`, or the raw body | SHA-256 of the canonical form |
/// | [`PRISM`](Self::PRISM) | `X-AgentCC-Signature` or the older `X-Prism-Signature` (`sha256=<hex>`) | raw body | `request_id` + `event` |
/// | [`PROMPTREPORTS`](Self::PROMPTREPORTS) | `X-PromptReports-Signature` (hex) | raw body | `id` |
/// | [`GENERIC`](Self::GENERIC) | `X-Signature-256` (`sha256=<hex>`) | raw body | `id` |
/// | [`GITHUB`](Self::GITHUB) | `X-Hub-Signature-256` (`sha256=<hex>`) | raw body | `X-GitHub-Delivery` |
/// | [`STANDARD_WEBHOOKS`](Self::STANDARD_WEBHOOKS) | `webhook-signature` or `svix-signature` (`v1,<base64>` ...) | `{id}.{timestamp}.{body}` | `webhook-id` |
/// | [`STRIPE`](Self::STRIPE) | `Stripe-Signature` (`t=...,v1=<hex>`...) | `{t}.{body}` | `id` |
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Provider {
    name: &'static str,
}

impl Provider {
    /// PromptLayer: signs the sorted CPython `json.dumps` form of the parsed payload.
    pub const PROMPTLAYER: Provider = Provider::new("promptlayer");
    /// Prism, renamed Agent Command Center (Future AGI).
    pub const PRISM: Provider = Provider::new("prism");
    /// PromptReports.
    pub const PROMPTREPORTS: Provider = Provider::new("promptreports");
    /// Any sender following the common `X-Signature-256: sha256=<hex>` template.
    pub const GENERIC: Provider = Provider::new("generic");
    /// GitHub: `X-Hub-Signature-256`.
    pub const GITHUB: Provider = Provider::new("github");
    /// Standard Webhooks (OpenAI, Svix, Clerk, Resend and others).
    pub const STANDARD_WEBHOOKS: Provider = Provider::new("standard-webhooks");
    /// Stripe.
    pub const STRIPE: Provider = Provider::new("stripe");

    /// Every built-in sender, in the order their headers are looked for.
    pub const ALL: [Provider; 7] = [
        Provider::PROMPTLAYER,
        Provider::PRISM,
        Provider::PROMPTREPORTS,
        Provider::GENERIC,
        Provider::GITHUB,
        Provider::STANDARD_WEBHOOKS,
        Provider::STRIPE,
    ];

    /// A sender of your own, named `name` (lowercase, stable: it is part of every
    /// deduplication key of the sender and of its metrics labels).
    #[must_use]
    pub const fn new(name: &'static str) -> Self {
        Self { name }
    }

    /// The short stable name, such as `promptlayer` or `standard-webhooks`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        self.name
    }

    /// The built-in sender with the given [`name`](Self::name), ASCII case-insensitively;
    /// `_` is read as `-` (so `STANDARD_WEBHOOKS`, as in an environment variable, works).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|provider| {
            provider.name.len() == name.len()
                && provider
                    .name
                    .bytes()
                    .zip(name.bytes())
                    .all(|(ours, theirs)| {
                        ours == theirs.to_ascii_lowercase() || (ours == b'-' && theirs == b'_')
                    })
        })
    }

    /// The header names (lowercase) that carry a built-in sender's signature, in order of
    /// preference; empty for a sender of your own (its scheme says).
    #[must_use]
    pub fn header_names(self) -> &'static [&'static str] {
        crate::senders::built_in_ref(self).map_or(&[], |scheme| scheme.signature_headers())
    }
}

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Provider({})", self.name)
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for provider in Provider::ALL {
            assert_eq!(Provider::from_name(provider.name()), Some(provider));
            assert_eq!(provider.to_string(), provider.name());
            assert!(!provider.header_names().is_empty(), "{provider}");
        }
        assert_eq!(
            Provider::from_name("PromptLayer"),
            Some(Provider::PROMPTLAYER)
        );
        assert_eq!(
            Provider::from_name("STANDARD_WEBHOOKS"),
            Some(Provider::STANDARD_WEBHOOKS)
        );
        assert_eq!(Provider::from_name("acme"), None);
        assert!(Provider::new("acme").header_names().is_empty());
    }

    #[test]
    fn header_names_are_lowercase() {
        for provider in Provider::ALL {
            for name in provider.header_names() {
                assert_eq!(*name, name.to_ascii_lowercase());
            }
        }
    }
}
