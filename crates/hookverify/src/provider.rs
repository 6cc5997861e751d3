//! The supported senders and how each one signs.
//!
//! ```
//! use hookverify::Provider;
//!
//! assert_eq!(Provider::Prism.header_names(), ["x-agentcc-signature", "x-prism-signature"]);
//! assert_eq!(Provider::from_name("promptlayer"), Some(Provider::PromptLayer));
//! ```

use std::fmt;

/// A webhook sender, which fixes the signature header, its value format and the bytes signed.
///
/// | provider | header | value | signed bytes |
/// |---|---|---|---|
/// | `PromptLayer` | `X-PromptLayer-Signature` | bare hex | raw body, else CPython's `json.dumps(payload, sort_keys=True)` |
/// | `Prism` | `X-AgentCC-Signature` or the older `X-Prism-Signature` | `sha256=<hex>` | raw body |
/// | `PromptReports` | `X-PromptReports-Signature` | bare hex | raw body |
/// | `Generic` | `X-Signature-256` | `sha256=<hex>` | raw body |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Provider {
    /// PromptLayer: signs the sorted CPython `json.dumps` form of the parsed payload.
    PromptLayer,
    /// Prism, renamed Agent Command Center (Future AGI).
    Prism,
    /// PromptReports.
    PromptReports,
    /// Any GitHub-style sender: `X-Signature-256: sha256=<hex>` over the raw body.
    Generic,
}

/// How the signature header's value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignatureFormat {
    /// 64 hex digits, nothing else.
    BareHex,
    /// `sha256=` then 64 hex digits.
    Sha256Prefixed,
}

impl Provider {
    /// Every provider, in the order a request's headers are looked at.
    pub const ALL: [Provider; 4] = [
        Provider::PromptLayer,
        Provider::Prism,
        Provider::PromptReports,
        Provider::Generic,
    ];

    /// The header names (lowercase; HTTP header names are case-insensitive) that carry this
    /// provider's signature, in order of preference.
    #[must_use]
    pub const fn header_names(self) -> &'static [&'static str] {
        match self {
            Provider::PromptLayer => &["x-promptlayer-signature"],
            Provider::Prism => &["x-agentcc-signature", "x-prism-signature"],
            Provider::PromptReports => &["x-promptreports-signature"],
            Provider::Generic => &["x-signature-256"],
        }
    }

    /// A short stable name: `promptlayer`, `prism`, `promptreports` or `generic`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Provider::PromptLayer => "promptlayer",
            Provider::Prism => "prism",
            Provider::PromptReports => "promptreports",
            Provider::Generic => "generic",
        }
    }

    /// The provider with the given [`name`](Self::name), ASCII case-insensitively.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|provider| provider.name().eq_ignore_ascii_case(name))
    }

    pub(crate) const fn format(self) -> SignatureFormat {
        match self {
            Provider::PromptLayer | Provider::PromptReports => SignatureFormat::BareHex,
            Provider::Prism | Provider::Generic => SignatureFormat::Sha256Prefixed,
        }
    }

    /// Whether the signature may cover the canonical JSON form rather than the raw body.
    pub(crate) const fn signs_canonical_form(self) -> bool {
        matches!(self, Provider::PromptLayer)
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
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
        }
        assert_eq!(
            Provider::from_name("PromptLayer"),
            Some(Provider::PromptLayer)
        );
        assert_eq!(Provider::from_name("stripe"), None);
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
