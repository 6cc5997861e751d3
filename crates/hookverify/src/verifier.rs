//! Deciding whether a delivery is authentic.
//!
//! ```
//! use hookverify::{testing, Provider, Secret, Verifier};
//!
//! let secret = Secret::new("whsec_example").unwrap();
//! let verifier = Verifier::new(secret.clone());
//! let body = br#"{"id":"evt_1","type":"user.created","data":{}}"#;
//! let signature = testing::sign(Provider::Generic, &secret, body).unwrap();
//! let headers = vec![(signature.name(), signature.value())];
//!
//! let verified = verifier.verify(&headers, body.to_vec()).unwrap();
//! assert_eq!(verified.provider(), Provider::Generic);
//! assert!(verifier.verify(&headers, b"{}".to_vec()).is_err());
//! ```

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::canonical::Document;
use crate::error::VerifyError;
use crate::signature::{self, TAG_LEN};
use crate::verified::{SignedForm, Verified};
use crate::{HeaderSource, Provider, Secret};

type HmacSha256 = Hmac<Sha256>;

/// Verifies webhook signatures against one or more secrets.
///
/// Built once and cheap to clone (an `Arc` inside). Each secret's HMAC key schedule is
/// computed at construction, so a verification costs one SHA-256 pass over the body per
/// secret tried, and nothing else of note.
///
/// Those prepared states are derived from the secrets and are as sensitive as they are; they
/// live as long as the verifier and, unlike [`Secret`], are not wiped when it is dropped
/// (the `hmac` crate offers no way to). `Debug` shows only how many secrets there are.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    /// Keyed HMAC states, one per secret, in configuration order.
    keys: Vec<HmacSha256>,
    /// The providers accepted, in the order their headers are looked for.
    providers: Vec<Provider>,
    /// Every accepted provider's header names, in lookup order, for one pass over the
    /// request's headers; `header_providers[i]` owns `header_names[i]`.
    header_names: Vec<&'static str>,
    header_providers: Vec<Provider>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("secrets", &self.inner.keys.len())
            .field("providers", &self.inner.providers)
            .finish()
    }
}

impl Verifier {
    /// A verifier for one secret that accepts every provider.
    #[must_use]
    pub fn new(secret: Secret) -> Self {
        Self::builder(secret).build()
    }

    /// Starts a verifier with its first secret; more can be added for rotation.
    pub fn builder(secret: Secret) -> VerifierBuilder {
        VerifierBuilder {
            secrets: vec![secret],
            providers: None,
        }
    }

    /// The providers this verifier accepts.
    #[must_use]
    pub fn providers(&self) -> &[Provider] {
        &self.inner.providers
    }

    /// Which provider's signature header the request carries, without looking at the body.
    ///
    /// Adapters call this before buffering, so that a request without any signature is
    /// refused before its body is read.
    ///
    /// # Errors
    /// [`VerifyError::MissingSignature`] or [`VerifyError::ProviderNotAllowed`].
    pub fn detect<H: HeaderSource + ?Sized>(&self, headers: &H) -> Result<Provider, VerifyError> {
        self.signature_header(headers).map(|(provider, _)| provider)
    }

    fn signature_header<'h, H: HeaderSource + ?Sized>(
        &self,
        headers: &'h H,
    ) -> Result<(Provider, &'h [u8]), VerifyError> {
        let inner = &*self.inner;
        if let Some((index, value)) = headers.first_of(&inner.header_names) {
            if let Some(&provider) = inner.header_providers.get(index) {
                return Ok((provider, value));
            }
        }
        let foreign = Provider::ALL.into_iter().find(|provider| {
            !inner.providers.contains(provider)
                && headers.first_of(provider.header_names()).is_some()
        });
        Err(match foreign {
            Some(provider) => VerifyError::ProviderNotAllowed { provider },
            None => VerifyError::MissingSignature,
        })
    }

    /// Verifies a delivery: its headers and the complete body.
    ///
    /// Raw-body providers are checked against the body as received. For PromptLayer both
    /// the canonical JSON form and the raw body are tried, and either matching is enough;
    /// the canonical form goes first because it is what PromptLayer signs (its bodies are
    /// `json.dumps` in insertion order, so the raw body almost never matches). Tags are
    /// compared in constant time on the decoded bytes, under every configured secret.
    ///
    /// [`Verified::body`] is always the signed bytes: the body as received, or, when the
    /// canonical form matched, the canonical form itself. Bodies must be UTF-8 (as JSON
    /// requires, a BOM allowed); a UTF-16 or UTF-32 body, which CPython's `json.loads`
    /// would decode, has no canonical form here and is verified as raw bytes only.
    ///
    /// # Errors
    /// A [`VerifyError`] saying why the delivery is not authentic.
    pub fn verify<H: HeaderSource + ?Sized>(
        &self,
        headers: &H,
        body: impl Into<Bytes>,
    ) -> Result<Verified, VerifyError> {
        let body = body.into();
        let (provider, value) = self.signature_header(headers)?;
        let expected = signature::decode(value, provider.format())
            .map_err(|reason| VerifyError::MalformedSignature { provider, reason })?;
        if provider.signs_canonical_form() {
            return self.match_promptlayer(provider, body, &expected);
        }
        let tags = self
            .match_raw(&body, &expected)
            .ok_or(VerifyError::Mismatch { provider })?;
        Ok(Verified::new(
            provider,
            body,
            tags.first,
            SignedForm::RawBody,
            tags.index,
            None,
        ))
    }

    /// PromptLayer: the canonical form, then the raw body.
    ///
    /// When the canonical form matched, the signed canonical bytes replace the body: what
    /// the handler reads is then exactly what was signed, so no difference between this
    /// crate's parser and another (serde_json, the handler's own) can ever show the handler
    /// a value that the signature did not cover.
    fn match_promptlayer(
        &self,
        provider: Provider,
        body: Bytes,
        expected: &[u8; TAG_LEN],
    ) -> Result<Verified, VerifyError> {
        let verified = |tags: Matched, form, signed, document| {
            Verified::new(provider, signed, tags.first, form, tags.index, document)
        };
        match Document::parse(&body) {
            Ok(document) => {
                // The canonical bytes are kept as they are hashed: one pass makes both the
                // tag and, should it match, the body handed on.
                let mut canonical = Vec::new();
                if let Some(tags) = self.match_canonical(&document, &body, expected, &mut canonical)
                {
                    let signed = Bytes::from(canonical);
                    return Ok(verified(tags, SignedForm::Canonical, signed, None));
                }
                drop(canonical);
                match self.match_raw(&body, expected) {
                    Some(tags) => Ok(verified(tags, SignedForm::RawBody, body, Some(document))),
                    None => Err(VerifyError::Mismatch { provider }),
                }
            }
            Err(source) => match self.match_raw(&body, expected) {
                Some(tags) => Ok(verified(tags, SignedForm::RawBody, body, None)),
                None => Err(VerifyError::UnverifiableBody { provider, source }),
            },
        }
    }

    /// The raw body's tag under each secret in turn, until one matches.
    fn match_raw(&self, body: &[u8], expected: &[u8; TAG_LEN]) -> Option<Matched> {
        let mut first = [0u8; TAG_LEN];
        for (index, key) in self.inner.keys.iter().enumerate() {
            let tag = tag_of(key, body);
            if index == 0 {
                first = tag;
            }
            if signature::tags_equal(&tag, expected) {
                return Some(Matched { index, first });
            }
        }
        None
    }

    /// The canonical form's tag under every secret, from one pass of the writer, which also
    /// appends the canonical bytes to `canonical`.
    fn match_canonical(
        &self,
        document: &Document,
        body: &[u8],
        expected: &[u8; TAG_LEN],
        canonical: &mut Vec<u8>,
    ) -> Option<Matched> {
        let keys = &self.inner.keys;
        if let [key] = keys.as_slice() {
            // One secret, the common case: no HMAC state to allocate.
            let mut mac = key.clone();
            document.write_canonical(body, &mut |chunk: &[u8]| {
                mac.update(chunk);
                canonical.extend_from_slice(chunk);
            });
            let tag = finalize(mac);
            return signature::tags_equal(&tag, expected).then_some(Matched {
                index: 0,
                first: tag,
            });
        }
        let mut macs: Vec<HmacSha256> = keys.clone();
        document.write_canonical(body, &mut |chunk: &[u8]| {
            for mac in &mut macs {
                mac.update(chunk);
            }
            canonical.extend_from_slice(chunk);
        });
        let tags: Vec<[u8; TAG_LEN]> = macs.into_iter().map(finalize).collect();
        let index = tags
            .iter()
            .position(|tag| signature::tags_equal(tag, expected))?;
        let first = *tags.first()?;
        Some(Matched { index, first })
    }
}

/// Which secret matched, and the tag under the first secret (the fingerprint).
struct Matched {
    index: usize,
    first: [u8; TAG_LEN],
}

fn tag_of(key: &HmacSha256, bytes: &[u8]) -> [u8; TAG_LEN] {
    let mut mac = key.clone();
    mac.update(bytes);
    finalize(mac)
}

fn finalize(mac: HmacSha256) -> [u8; TAG_LEN] {
    mac.finalize().into_bytes().into()
}

/// Builds a [`Verifier`]; start one with [`Verifier::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct VerifierBuilder {
    secrets: Vec<Secret>,
    providers: Option<Vec<Provider>>,
}

impl VerifierBuilder {
    /// Adds a secret. During a rotation configure the new and the old: a signature under any
    /// of them is accepted. The first secret keys the body fingerprint used for deduplication.
    pub fn secret(mut self, secret: Secret) -> Self {
        self.secrets.push(secret);
        self
    }

    /// Accepts only these providers (default: all four). A request that carries only another
    /// provider's header is refused with [`VerifyError::ProviderNotAllowed`]. An empty list
    /// accepts nothing.
    pub fn providers(mut self, providers: impl IntoIterator<Item = Provider>) -> Self {
        let mut chosen: Vec<Provider> = Vec::new();
        for provider in providers {
            if !chosen.contains(&provider) {
                chosen.push(provider);
            }
        }
        self.providers = Some(chosen);
        self
    }

    /// The first secret, which keys the fingerprint.
    pub(crate) fn first_secret(&self) -> Option<&Secret> {
        self.secrets.first()
    }

    /// Builds the verifier, preparing each secret's HMAC key schedule once.
    #[must_use]
    pub fn build(self) -> Verifier {
        let keys = self
            .secrets
            .iter()
            .filter_map(|secret| HmacSha256::new_from_slice(secret.expose()).ok())
            .collect();
        let mut providers = self.providers.unwrap_or_else(|| Provider::ALL.to_vec());
        // Header lookup follows one fixed order, whatever order the user listed them in.
        providers.sort_unstable();
        let (header_names, header_providers) = providers
            .iter()
            .flat_map(|&provider| {
                provider
                    .header_names()
                    .iter()
                    .map(move |&name| (name, provider))
            })
            .unzip();
        Verifier {
            inner: Arc::new(Inner {
                keys,
                providers,
                header_names,
                header_providers,
            }),
        }
    }
}
