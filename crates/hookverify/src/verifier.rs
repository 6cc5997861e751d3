//! Deciding whether a delivery is authentic.
//!
//! ```
//! use hookverify::{testing, Provider, Secret, Verifier};
//!
//! let secret = Secret::new("whsec_example").unwrap();
//! let verifier = Verifier::new(secret.clone());
//! let body = br#"{"id":"evt_1","type":"user.created","data":{}}"#;
//! let signature = testing::sign(Provider::GENERIC, &secret, body).unwrap();
//! let headers = signature.headers();
//!
//! let verified = verifier.verify(&headers[..], body.to_vec()).unwrap();
//! assert_eq!(verified.provider(), Provider::GENERIC);
//! assert!(verifier.verify(&headers[..], b"{}".to_vec()).is_err());
//! ```

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::canonical::Document;
use crate::error::VerifyError;
use crate::scheme::{
    Scheme, Signature, SignatureHeader, SignedContent, SystemWallClock, Tag, WallClock,
};
use crate::signature::tags_equal;
use crate::verified::{SignedForm, Verified};
use crate::{HeaderSource, MalformedReason, Provider, Secret};

type HmacSha256 = Hmac<Sha256>;

/// Verifies webhook signatures, each sender under its own secrets.
///
/// Built once and cheap to clone (an `Arc` inside). Each secret's HMAC key schedule is
/// computed at construction, so a verification costs one SHA-256 pass over the signed bytes
/// per secret tried, and nothing else of note.
///
/// Those prepared states are derived from the secrets and are as sensitive as they are; they
/// live as long as the verifier and, unlike [`Secret`], are not wiped when it is dropped
/// (the `hmac` crate offers no way to). `Debug` shows only the senders and how many secrets
/// each has.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    senders: Vec<Sender>,
    providers: Vec<Provider>,
    /// Every sender's signature header names, sender by sender, for one pass over the
    /// request's headers; `header_owners[i]` is the sender of `header_names[i]` and the
    /// name's index in its scheme.
    header_names: Vec<&'static str>,
    header_owners: Vec<(usize, usize)>,
    clock: Arc<dyn WallClock>,
}

/// One configured sender: its scheme and its own prepared keys.
struct Sender {
    scheme: Arc<dyn Scheme>,
    provider: Provider,
    keys: Vec<HmacSha256>,
    canonical: bool,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut senders = f.debug_map();
        for sender in &self.inner.senders {
            senders.entry(&sender.provider.name(), &sender.keys.len());
        }
        senders.finish()
    }
}

impl Verifier {
    /// A verifier that accepts every built-in sender, each signing with `secret` (for
    /// Standard Webhooks a `whsec_` secret is decoded as that sender does).
    #[must_use]
    pub fn new(secret: Secret) -> Self {
        VerifierBuilder::every_sender(secret).build()
    }

    /// Starts a verifier of every built-in sender, each signing with `secret` (add a
    /// rotation's old secret with [`VerifierBuilder::secret`]; give one sender its own
    /// secrets with [`VerifierBuilder::sender`]).
    pub fn every_sender(secret: Secret) -> VerifierBuilder {
        VerifierBuilder::every_sender(secret)
    }

    /// Starts a verifier with no sender; add each with [`VerifierBuilder::sender`].
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder {
            shared: Vec::new(),
            senders: Vec::new(),
            allowed: None,
            clock: None,
        }
    }

    /// The senders this verifier accepts, in the order their headers are looked for.
    #[must_use]
    pub fn providers(&self) -> &[Provider] {
        &self.inner.providers
    }

    /// The scheme of a configured sender.
    #[must_use]
    pub fn scheme(&self, provider: Provider) -> Option<&Arc<dyn Scheme>> {
        self.inner
            .senders
            .iter()
            .find(|sender| sender.provider == provider)
            .map(|sender| &sender.scheme)
    }

    /// Which configured sender's signature header the request carries (the first in
    /// configuration order), without looking at the body.
    ///
    /// Adapters call this before buffering, so that a request without any signature is
    /// refused before its body is read.
    ///
    /// # Errors
    /// [`VerifyError::MissingSignature`] or [`VerifyError::ProviderNotAllowed`].
    pub fn detect<H: HeaderSource + ?Sized>(&self, headers: &H) -> Result<Provider, VerifyError> {
        let inner = &*self.inner;
        match headers.first_of(&inner.header_names) {
            Some((index, _)) => Ok(inner.senders[inner.header_owners[index].0].provider),
            None => Err(self.absent(headers)),
        }
    }

    /// Why no configured sender's header is present.
    fn absent<H: HeaderSource + ?Sized>(&self, headers: &H) -> VerifyError {
        let foreign = crate::senders::BUILT_IN.iter().find(|scheme| {
            !self.inner.providers.contains(&scheme.provider())
                && headers.first_of(scheme.signature_headers()).is_some()
        });
        match foreign {
            Some(scheme) => VerifyError::ProviderNotAllowed {
                provider: scheme.provider(),
            },
            None => VerifyError::MissingSignature,
        }
    }

    /// Verifies a delivery: its headers and the complete body.
    ///
    /// Each configured sender whose signature header is present is tried in turn, under
    /// its own secrets only, until one verifies: a valid signature of one sender next to a
    /// forged header of another is accepted, and a secret given to one sender with
    /// [`VerifierBuilder::sender`] never verifies another sender's delivery. (A secret
    /// shared by every sender, as [`Verifier::new`] configures, verifies each of them; and
    /// the raw-body senders compute the same HMAC, so under one shared secret a delivery of
    /// one can be relabelled as another's. Give each sender its own secret in production.)
    /// Tags are compared in constant time on the decoded bytes. A sender that signs a
    /// timestamp is refused outside its tolerance ([`VerifyError::OutsideTolerance`]), and
    /// refused when its scheme claims no timestamp at all.
    ///
    /// For PromptLayer both the canonical JSON form and the raw body are tried, and either
    /// matching is enough; the canonical form goes first because it is what PromptLayer
    /// signs. [`Verified::body`] is always the signed bytes: the body as received, or, when
    /// the canonical form matched, the canonical form itself. Bodies must be UTF-8 (as JSON
    /// requires, a BOM allowed); a UTF-16 or UTF-32 body, which CPython's `json.loads`
    /// would decode, has no canonical form here and is verified as raw bytes only.
    ///
    /// # Errors
    /// A [`VerifyError`] saying why the delivery is not authentic: the first present
    /// sender's reason when none verified.
    pub fn verify<H: HeaderSource + ?Sized>(
        &self,
        headers: &H,
        body: impl Into<Bytes>,
    ) -> Result<Verified, VerifyError> {
        let body = body.into();
        let inner = &*self.inner;
        let dyn_headers: &dyn HeaderSource = &headers;
        let Some((name_index, value)) = headers.first_of(&inner.header_names) else {
            return Err(self.absent(headers));
        };
        let (first_sender, header_index) = inner.header_owners[name_index];
        let header = SignatureHeader::new(header_index, inner.header_names[name_index], value);
        let (first_error, mut body) = match self.verify_as(first_sender, header, dyn_headers, body)
        {
            Ok(verified) => return Ok(verified),
            Err(refused) => refused,
        };
        // The headers of senders earlier in the order are absent (the lookup found the
        // first present one); the first sender's other names, and later senders' headers,
        // may be present too: a signature under any of them verifies.
        for (index, sender) in inner.senders.iter().enumerate().skip(first_sender) {
            let names = sender.scheme.signature_headers();
            // The first sender's names up to the one just tried are absent or tried.
            let skip = if index == first_sender {
                header_index + 1
            } else {
                0
            };
            for (other_index, name) in names.iter().enumerate().skip(skip) {
                let Some(value) = headers.header(name) else {
                    continue;
                };
                let header = SignatureHeader::new(other_index, name, value);
                match self.verify_as(index, header, dyn_headers, body) {
                    Ok(verified) => return Ok(verified),
                    Err((_, returned)) => body = returned,
                }
            }
        }
        Err(first_error)
    }

    /// Verifies the delivery as sender `index`, found by `header`; a refusal hands the body
    /// back for the next sender.
    fn verify_as(
        &self,
        index: usize,
        header: SignatureHeader<'_>,
        headers: &dyn HeaderSource,
        body: Bytes,
    ) -> Result<Verified, (VerifyError, Bytes)> {
        let sender = &self.inner.senders[index];
        let provider = sender.provider;
        let scheme = &*sender.scheme;
        let signature = match scheme.read_signature(header, headers) {
            Ok(signature) => signature,
            Err(reason) => {
                return Err((VerifyError::MalformedSignature { provider, reason }, body))
            }
        };
        let matched = if sender.canonical {
            sender.match_canonical_or_raw(&body, &signature)
        } else {
            sender
                .match_raw(&body, &signature)
                .map(|matched| (None, SignedForm::RawBody, matched, None))
                .ok_or(VerifyError::Mismatch { provider })
        };
        let (canonical, form, matched, document) = match matched {
            Ok(matched) => matched,
            Err(error) => return Err((error, body)),
        };
        if let Some(tolerance) = scheme.timestamp_tolerance() {
            // A scheme with a tolerance that read no timestamp would check no freshness at
            // all: refused, so that a scheme's mistake fails closed.
            let Some(timestamp) = signature.timestamp else {
                let reason = MalformedReason::InvalidTimestamp;
                return Err((VerifyError::MalformedSignature { provider, reason }, body));
            };
            let now = self.inner.clock.unix_time();
            if now.abs_diff(timestamp) > tolerance.as_secs() {
                let error = VerifyError::OutsideTolerance {
                    provider,
                    timestamp,
                    now,
                };
                return Err((error, body));
            }
        }
        let body = canonical.unwrap_or(body);
        Ok(Verified {
            scheme: Arc::clone(&sender.scheme),
            provider,
            fingerprint: matched.fingerprint(sender, &signature, &body),
            body,
            signed_form: form,
            secret_index: matched.index,
            document,
            delivery_id: signature.delivery_id,
            event_type: signature.event_type,
        })
    }
}

impl Sender {
    /// PromptLayer: the canonical form, then the raw body.
    ///
    /// When the canonical form matched, the signed canonical bytes replace the body: what
    /// the handler reads is then exactly what was signed, so no difference between this
    /// crate's parser and another (serde_json, the handler's own) can ever show the handler
    /// a value that the signature did not cover.
    fn match_canonical_or_raw(
        &self,
        body: &Bytes,
        signature: &Signature,
    ) -> Result<(Option<Bytes>, SignedForm, Matched, Option<Document>), VerifyError> {
        let provider = self.provider;
        match Document::parse(body).and_then(Document::canonical) {
            Ok(document) => {
                // The canonical bytes are kept as they are hashed: one pass makes both the
                // tag and, should it match, the body handed on.
                let mut canonical = Vec::new();
                let canonical_first =
                    match self.match_canonical(&document, body, signature, &mut canonical) {
                        Ok(matched) => {
                            let canonical = Some(Bytes::from(canonical));
                            return Ok((canonical, SignedForm::Canonical, matched, None));
                        }
                        Err(first) => first,
                    };
                drop(canonical);
                match self.match_raw(body, signature) {
                    // Fingerprinted by the canonical form all the same, as the key is: the
                    // same payload signed either way is the same body to the store.
                    Some(matched) => Ok((
                        None,
                        SignedForm::RawBody,
                        Matched {
                            first: canonical_first,
                            ..matched
                        },
                        Some(document),
                    )),
                    None => Err(VerifyError::Mismatch { provider }),
                }
            }
            Err(source) => match self.match_raw(body, signature) {
                Some(matched) => Ok((None, SignedForm::RawBody, matched, None)),
                None => Err(VerifyError::UnverifiableBody { provider, source }),
            },
        }
    }

    /// The signed prefix and raw body's tag under each secret in turn, until one matches a
    /// claimed tag.
    fn match_raw(&self, body: &[u8], signature: &Signature) -> Option<Matched> {
        let mut first = [0u8; 32];
        for (index, key) in self.keys.iter().enumerate() {
            let mut mac = key.clone();
            if !signature.signed_prefix.is_empty() {
                mac.update(&signature.signed_prefix);
            }
            mac.update(body);
            let tag = finalize(mac);
            if index == 0 {
                first = tag;
            }
            if claims(signature, &tag) {
                return Some(Matched { index, first });
            }
        }
        None
    }

    /// The canonical form's tag under every secret, from one pass of the writer, which also
    /// appends the canonical bytes to `canonical`; when none matches, the tag under the
    /// first secret.
    fn match_canonical(
        &self,
        document: &Document,
        body: &[u8],
        signature: &Signature,
        canonical: &mut Vec<u8>,
    ) -> Result<Matched, Tag> {
        if let [key] = self.keys.as_slice() {
            // One secret, the common case: no HMAC state to allocate.
            let mut mac = key.clone();
            mac.update(&signature.signed_prefix);
            document.write_canonical(body, &mut |chunk: &[u8]| {
                mac.update(chunk);
                canonical.extend_from_slice(chunk);
            });
            let tag = finalize(mac);
            return if claims(signature, &tag) {
                Ok(Matched {
                    index: 0,
                    first: tag,
                })
            } else {
                Err(tag)
            };
        }
        let mut macs: Vec<HmacSha256> = self.keys.clone();
        for mac in &mut macs {
            mac.update(&signature.signed_prefix);
        }
        document.write_canonical(body, &mut |chunk: &[u8]| {
            for mac in &mut macs {
                mac.update(chunk);
            }
            canonical.extend_from_slice(chunk);
        });
        let tags: Vec<Tag> = macs.into_iter().map(finalize).collect();
        // A sender always has a secret; an all-zero tag would only stand in for none.
        let first = tags.first().copied().unwrap_or_default();
        match tags.iter().position(|tag| claims(signature, tag)) {
            Some(index) => Ok(Matched { index, first }),
            None => Err(first),
        }
    }
}

/// The prepared HMAC state of one secret of `provider`, or `None` (logged, naming the
/// sender, never the secret) when the secret is not a usable key of its scheme.
fn prepare(scheme: &dyn Scheme, provider: Provider, secret: &Secret) -> Option<HmacSha256> {
    let key = match scheme.hmac_key(secret.expose()) {
        Ok(key) => key,
        Err(error) => {
            tracing::error!(%provider, %error, "a webhook secret is not usable for this sender and is ignored");
            return None;
        }
    };
    if key.is_empty() {
        // An empty HMAC key verifies signatures anyone can compute.
        tracing::error!(%provider, "a webhook secret makes an empty key for this sender and is ignored");
        return None;
    }
    let mac = HmacSha256::new_from_slice(&key).ok();
    crate::secret::wipe_key(key);
    mac
}

/// Whether `tag` is one of the claimed tags; each comparison is constant-time.
fn claims(signature: &Signature, tag: &Tag) -> bool {
    signature.tags().any(|claimed| tags_equal(claimed, tag))
}

/// Which secret matched, and the tag under the first secret.
struct Matched {
    index: usize,
    first: Tag,
}

impl Matched {
    /// The fingerprint: the signed bytes' tag under the sender's first secret, without any
    /// signed prefix (a timestamp changes on every retry; the body does not).
    fn fingerprint(&self, sender: &Sender, signature: &Signature, body: &[u8]) -> Tag {
        if signature.signed_prefix.is_empty() {
            return self.first;
        }
        match sender.keys.first() {
            Some(key) => {
                let mut mac = key.clone();
                mac.update(body);
                finalize(mac)
            }
            None => self.first,
        }
    }
}

fn finalize(mac: HmacSha256) -> Tag {
    mac.finalize().into_bytes().into()
}

/// The secrets a sender is configured with: one [`Secret`], an array or a `Vec` of them
/// (the new one first during a rotation).
pub trait IntoSecrets {
    /// The secrets, in order of preference.
    fn into_secrets(self) -> Vec<Secret>;
}

impl IntoSecrets for Secret {
    fn into_secrets(self) -> Vec<Secret> {
        vec![self]
    }
}

impl<const N: usize> IntoSecrets for [Secret; N] {
    fn into_secrets(self) -> Vec<Secret> {
        self.into()
    }
}

impl IntoSecrets for Vec<Secret> {
    fn into_secrets(self) -> Vec<Secret> {
        self
    }
}

/// A sender and its own secrets, or `None` for the secrets shared by every sender
/// configured with [`Verifier::new`].
#[derive(Clone)]
struct SenderSpec {
    scheme: Arc<dyn Scheme>,
    secrets: Option<Vec<Secret>>,
}

/// Builds a [`Verifier`]; start one with [`Verifier::builder`].
#[derive(Clone)]
#[must_use]
pub struct VerifierBuilder {
    shared: Vec<Secret>,
    senders: Vec<SenderSpec>,
    allowed: Option<Vec<Provider>>,
    clock: Option<Arc<dyn WallClock>>,
}

impl fmt::Debug for VerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut senders = f.debug_map();
        for spec in &self.senders {
            let count = spec.secrets.as_ref().unwrap_or(&self.shared).len();
            senders.entry(&spec.scheme.provider().name(), &count);
        }
        senders.finish()
    }
}

impl VerifierBuilder {
    /// Every built-in sender, each with `secret` as a shared secret.
    fn every_sender(secret: Secret) -> Self {
        Self {
            shared: vec![secret],
            senders: crate::senders::BUILT_IN
                .iter()
                .map(|scheme| SenderSpec {
                    scheme: Arc::clone(scheme),
                    secrets: None,
                })
                .collect(),
            allowed: None,
            clock: None,
        }
    }

    /// Accepts `scheme`'s sender, signing with its own `secrets` (one, or several during a
    /// rotation: a signature under any of them is accepted). Its secrets verify only its
    /// deliveries. Configuring a sender again replaces its scheme and secrets.
    pub fn sender(mut self, scheme: impl Scheme, secrets: impl IntoSecrets) -> Self {
        let spec = SenderSpec {
            scheme: Arc::new(scheme),
            secrets: Some(secrets.into_secrets()),
        };
        let provider = spec.scheme.provider();
        match self
            .senders
            .iter_mut()
            .find(|existing| existing.scheme.provider() == provider)
        {
            Some(existing) => *existing = spec,
            None => self.senders.push(spec),
        }
        self
    }

    /// Adds a secret for every sender that has no secrets of its own (those that
    /// [`Verifier::every_sender`] configured): during a rotation configure the new and the
    /// old. A sender added with [`sender`](Self::sender) keeps only its own secrets.
    pub fn secret(mut self, secret: Secret) -> Self {
        self.shared.push(secret);
        self
    }

    /// Accepts only these senders, whenever they were or are configured: an allow-list
    /// applied when the verifier is built. A request that carries only another built-in
    /// sender's header is refused with [`VerifyError::ProviderNotAllowed`]. An empty list
    /// accepts nothing.
    pub fn providers(mut self, providers: impl IntoIterator<Item = Provider>) -> Self {
        self.allowed = Some(providers.into_iter().collect());
        self
    }

    /// The clock timestamped schemes compare with (default: the system clock).
    pub fn clock(mut self, clock: impl WallClock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The first secret: the shared one, else the first sender's first. It keys the
    /// derived namespace and the default store.
    pub(crate) fn first_secret(&self) -> Option<&Secret> {
        self.shared.first().or_else(|| {
            self.senders
                .iter()
                .find_map(|spec| spec.secrets.as_ref()?.first())
        })
    }

    /// The senders the verifier will accept.
    pub(crate) fn configured(&self) -> impl Iterator<Item = Provider> + '_ {
        self.senders
            .iter()
            .map(|spec| spec.scheme.provider())
            .filter(|provider| {
                self.allowed
                    .as_ref()
                    .is_none_or(|allowed| allowed.contains(provider))
            })
    }

    /// Builds the verifier, preparing each secret's HMAC key schedule once. A secret that
    /// is not a key of its sender (a `whsec_` secret that is not base64) is left out, with
    /// an error logged naming the sender, never the secret.
    #[must_use]
    pub fn build(self) -> Verifier {
        if !self.shared.is_empty() && self.senders.iter().all(|spec| spec.secrets.is_some()) {
            tracing::warn!(
                "secrets added with `.secret()` serve only the senders of `every_sender`, and \
                 no sender here uses them: they are unused (give a sender its secrets with \
                 `.sender(scheme, [new, old])`)"
            );
        }
        let allowed = self.allowed;
        let mut senders = Vec::with_capacity(self.senders.len());
        for spec in self.senders {
            let provider = spec.scheme.provider();
            if allowed
                .as_ref()
                .is_some_and(|allowed| !allowed.contains(&provider))
            {
                continue;
            }
            if let Some(name) = spec
                .scheme
                .signature_headers()
                .iter()
                .find(|name| name.bytes().any(|byte| byte.is_ascii_uppercase()))
            {
                tracing::error!(%provider, header = name, "a scheme's header names must be lowercase: this one never matches");
            }
            let secrets = spec.secrets.as_ref().unwrap_or(&self.shared);
            let keys: Vec<HmacSha256> = secrets
                .iter()
                .filter_map(|secret| prepare(&*spec.scheme, provider, secret))
                .collect();
            senders.push(Sender {
                canonical: spec.scheme.signed_content() == SignedContent::CanonicalJson,
                provider,
                keys,
                scheme: spec.scheme,
            });
        }
        let mut header_names = Vec::new();
        let mut header_owners = Vec::new();
        for (index, sender) in senders.iter().enumerate() {
            for (position, name) in sender.scheme.signature_headers().iter().enumerate() {
                header_names.push(*name);
                header_owners.push((index, position));
            }
        }
        Verifier {
            inner: Arc::new(Inner {
                providers: senders.iter().map(|sender| sender.provider).collect(),
                senders,
                header_names,
                header_owners,
                clock: self.clock.unwrap_or_else(|| Arc::new(SystemWallClock)),
            }),
        }
    }
}
