//! Why a delivery's signature is valid or not, in plain words: which header and scheme were
//! found, and when no secret verifies the body as received, which nearby body or secret
//! does (the classic mistakes: a trailing newline added or lost, the body parsed and
//! re-serialized before verifying, the wrong secret, a stale timestamp).
//!
//! ```
//! use hookverify::explain::{explain, Finding};
//! use hookverify::{testing, Provider, Secret};
//!
//! let secret = Secret::new("whsec_example").unwrap();
//! let body = br#"{"id": "evt_1", "type": "user.created", "data": {}}"#;
//! let signature = testing::sign(Provider::GENERIC, &secret, body).unwrap();
//! let headers: Vec<(String, String)> = signature.headers().iter()
//!     .map(|(name, value)| (name.to_string(), value.to_string())).collect();
//!
//! // The body was saved with a newline after it was signed: the explanation says so.
//! let saved = [&body[..], b"\n"].concat();
//! let explanation = explain(&[secret], &headers, &saved, &|| 0);
//! assert!(!explanation.is_valid());
//! assert!(explanation.findings().iter().any(|finding| matches!(finding, Finding::SignedOtherBody { .. })));
//! assert!(explanation.to_string().contains("without its trailing newline"));
//! ```

use std::fmt;

use crate::scheme::WallClock;
use crate::senders::BUILT_IN;
use crate::{
    HeaderSource, MalformedReason, Provider, Secret, SecretError, SignedForm, Verifier, VerifyError,
};

/// The largest body whose re-serializations [`explain`] tries.
const RESERIALIZE_LIMIT: usize = 256 * 1024;

/// The body limit a layer applies to `provider`'s deliveries unless configured otherwise.
fn default_body_limit(provider: Provider) -> usize {
    let canonical = crate::senders::built_in_ref(provider).is_some_and(|scheme| {
        scheme.signed_content() == crate::scheme::SignedContent::CanonicalJson
    });
    if canonical {
        crate::pipeline::DEFAULT_CANONICAL_BODY_LIMIT
    } else {
        crate::pipeline::DEFAULT_BODY_LIMIT
    }
}

/// The most bytes one re-serialization of `body` may take before it is given up: room for
/// any usual layout of a webhook's JSON, far from what indenting a deeply nested body makes.
fn reserialized_limit(body: &[u8]) -> usize {
    body.len().saturating_mul(16).saturating_add(64 * 1024)
}

/// A vector that refuses to grow past its limit (the writer then fails).
struct Bounded {
    bytes: Vec<u8>,
    limit: usize,
}

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > self.limit {
            return Err(std::io::Error::other("re-serialized body over its limit"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What a signature turned out to cover, when it is not the body as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyChange {
    /// The body with a trailing newline (`\n` or `\r\n`) added (an editor, `echo`, a
    /// template).
    NewlineAdded,
    /// The body without its trailing newline.
    NewlineRemoved,
    /// The body parsed and written back compactly (`serde_json::to_vec` of a `Value`,
    /// `JSON.stringify(JSON.parse(..))`): the framework parsed before verifying.
    ReserializedCompact,
    /// The body parsed and written back indented.
    ReserializedPretty,
    /// The body written back on one line with `", "` and `": "`, members in their order:
    /// the layout of CPython's `json.dumps`, which Prism and PromptLayer post. Only the
    /// layout: strings and numbers stay as received (`json.dumps` would also escape
    /// non-ASCII text and write floats its own way).
    ReserializedPython,
    /// The body as CPython's `json.dumps(json.loads(body), sort_keys=True)` writes it.
    CanonicalJson,
}

impl BodyChange {
    const ALL: [BodyChange; 6] = [
        BodyChange::NewlineAdded,
        BodyChange::NewlineRemoved,
        BodyChange::ReserializedCompact,
        BodyChange::ReserializedPretty,
        BodyChange::ReserializedPython,
        BodyChange::CanonicalJson,
    ];

    /// The bodies this change can make of `body` (none when it does not apply). A
    /// re-serialization keeps the members in their order (as `JSON.stringify(JSON.parse(..))`
    /// and most frameworks do) or sorts them (as a `serde_json::Value` does); both are tried.
    /// Re-serializations are tried only for bodies up to [`RESERIALIZE_LIMIT`] that the
    /// pipeline would accept as JSON (nested at most [`MAX_DEPTH`](crate::canonical::MAX_DEPTH)
    /// deep), and each stops at [`reserialized_limit`] bytes: indenting a body makes it larger
    /// with the square of its depth, and a forged body posted to `hookverify listen` must not
    /// cost gigabytes to explain.
    fn apply(self, body: &[u8]) -> Vec<Vec<u8>> {
        let reserializes = !matches!(self, BodyChange::NewlineAdded | BodyChange::NewlineRemoved);
        if reserializes
            && (body.len() > RESERIALIZE_LIMIT || crate::canonical::Document::parse(body).is_err())
        {
            return Vec::new();
        }
        let limit = reserialized_limit(body);
        let sorted = || serde_json::from_slice::<serde_json::Value>(body).ok();
        let in_order = |layout| {
            serde_json::from_slice::<serde::de::IgnoredAny>(body)
                .ok()
                .and_then(|_| lay_out(body, layout, limit))
        };
        let bounded = |write: &dyn Fn(&mut Bounded) -> serde_json::Result<()>| {
            let mut out = Bounded {
                bytes: Vec::new(),
                limit,
            };
            write(&mut out).ok().map(|()| out.bytes)
        };
        let candidates: Vec<Option<Vec<u8>>> = match self {
            BodyChange::NewlineAdded => {
                vec![Some([body, b"\n"].concat()), Some([body, b"\r\n"].concat())]
            }
            BodyChange::NewlineRemoved => vec![body
                .strip_suffix(b"\r\n")
                .or_else(|| body.strip_suffix(b"\n"))
                .map(<[u8]>::to_vec)],
            BodyChange::ReserializedCompact => vec![
                in_order(Layout::Compact),
                sorted().and_then(|value| {
                    bounded(&|out: &mut Bounded| serde_json::to_writer(out, &value))
                }),
            ],
            BodyChange::ReserializedPretty => vec![
                in_order(Layout::Indented(2)),
                sorted().and_then(|value| {
                    bounded(&|out: &mut Bounded| serde_json::to_writer_pretty(out, &value))
                }),
            ],
            BodyChange::ReserializedPython => {
                let line = in_order(Layout::PythonLine);
                // `json.dumps` escapes every character beyond ASCII unless told
                // `ensure_ascii=False`: both are tried.
                let ascii = line.as_deref().and_then(ascii_escaped);
                vec![line, ascii]
            }
            BodyChange::CanonicalJson => vec![crate::canonical::canonical_json(body).ok()],
        };
        let mut changed: Vec<Vec<u8>> = Vec::new();
        for candidate in candidates.into_iter().flatten() {
            if candidate != body && !changed.contains(&candidate) {
                changed.push(candidate);
            }
        }
        changed
    }

    fn describe(self) -> &'static str {
        match self {
            BodyChange::NewlineAdded => "the body with a trailing newline added",
            BodyChange::NewlineRemoved => "the body without its trailing newline",
            BodyChange::ReserializedCompact => {
                "the body parsed and re-serialized compactly: did something parse the JSON and \
                 write it back between the sender and here, or was it signed that way?"
            }
            BodyChange::ReserializedPretty => {
                "the body parsed and re-serialized with indentation: did something parse the JSON \
                 and write it back between the sender and here, or was it signed that way?"
            }
            BodyChange::ReserializedPython => {
                "the body parsed and re-serialized as Python's json.dumps writes it (\", \" and \": \" \
                 on one line): did something parse the JSON and write it back between the \
                 sender and here?"
            }
            BodyChange::CanonicalJson => {
                "the canonical JSON form of the body, keys sorted with Python's separators"
            }
        }
    }
}

/// One thing found about a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Finding {
    /// A sender's signature header is present.
    Header {
        /// The sender.
        provider: Provider,
        /// The header, lowercase.
        name: &'static str,
    },
    /// No header of any known sender is present.
    NoSignatureHeader,
    /// Valid: `provider`'s signature matches under secret number `secret` (from 1).
    Valid {
        /// The sender.
        provider: Provider,
        /// Which of the given secrets, counting from 1.
        secret: usize,
        /// Which bytes it covers.
        form: SignedForm,
    },
    /// Valid, but the body is larger than a layer takes from this sender by default: a
    /// receiver answers 413 before it could verify, unless its body limit was raised.
    OverDefaultLimit {
        /// The sender.
        provider: Provider,
        /// The default limit, in bytes.
        limit: usize,
        /// The body's length.
        len: usize,
    },
    /// The header cannot be a signature of its sender.
    Malformed {
        /// The sender.
        provider: Provider,
        /// What is wrong.
        reason: MalformedReason,
    },
    /// Not the body as received, but a changed body, verifies.
    SignedOtherBody {
        /// The sender.
        provider: Provider,
        /// What the signature covers instead.
        change: BodyChange,
        /// Under which secret, from 1.
        secret: usize,
    },
    /// The signature matches, but its timestamp is outside the tolerance.
    OutsideTolerance {
        /// The sender.
        provider: Provider,
        /// Seconds between the signed time and now (positive: in the past).
        age: i64,
    },
    /// The signature matches once a given secret is read as base64: a Standard Webhooks
    /// secret given without its `whsec_` prefix (without it, the secret's text is the key).
    SecretWithoutPrefix {
        /// The sender.
        provider: Provider,
        /// Which secret, from 1.
        secret: usize,
    },
    /// The signature matches once a given secret's leading and trailing whitespace is
    /// removed: a secret copied with a space or a line break around it, which is kept as
    /// part of the key.
    SecretWhitespace {
        /// The sender.
        provider: Provider,
        /// Which secret, from 1.
        secret: usize,
    },
    /// A given secret makes no key for this sender (a `whsec_` Standard Webhooks secret
    /// whose rest is not base64): nothing can verify under it, and a receiver ignores it.
    UnusableSecret {
        /// The sender.
        provider: Provider,
        /// Which secret, from 1.
        secret: usize,
        /// Why, in words; never the secret.
        reason: SecretError,
    },
    /// Nothing found that the signature covers, under any of the given secrets.
    #[non_exhaustive]
    NoMatch {
        /// The sender.
        provider: Provider,
        /// How many secrets were tried.
        secrets: usize,
        /// Whether re-serializations of the body were tried (not for a body over 256 KiB).
        reserialized: bool,
    },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Header { provider, name } => {
                write!(f, "found `{name}`: a {provider} signature")
            }
            Finding::NoSignatureHeader => f.write_str(
                "no signature header of any known sender (PromptLayer, Prism, PromptReports, \
                 X-Signature-256, GitHub, Standard Webhooks, Stripe)",
            ),
            Finding::Valid {
                provider,
                secret,
                form,
            } => {
                let covers = match form {
                    SignedForm::Canonical => "the canonical JSON form of the body",
                    _ => "the body as received",
                };
                write!(
                    f,
                    "valid: the {provider} signature covers {covers}, under secret #{secret}"
                )
            }
            Finding::OverDefaultLimit {
                provider,
                limit,
                len,
            } => write!(
                f,
                "but the body ({len} bytes) is over the {limit}-byte limit a layer applies to \
                 {provider} deliveries by default: a receiver answers 413 unless its body limit \
                 was raised"
            ),
            Finding::Malformed { provider, reason } => {
                write!(f, "the {provider} signature header is malformed: {reason}")
            }
            Finding::SignedOtherBody {
                provider,
                change,
                secret,
            } => write!(
                f,
                "the {provider} signature (under secret #{secret}) does not cover the body as \
                 received, but it covers {}",
                change.describe()
            ),
            Finding::OutsideTolerance { provider, age } => {
                let when = if *age >= 0 {
                    format!("{age} s ago")
                } else {
                    format!("{} s in the future", age.unsigned_abs())
                };
                write!(
                    f,
                    "the {provider} signature matches, but it was signed {when}: outside the \
                     tolerance, so it is refused as a replay (check the clocks, or resend)"
                )
            }
            Finding::SecretWithoutPrefix { provider, secret } => write!(
                f,
                "the {provider} signature matches under secret #{secret} read as base64: give \
                 it with its `whsec_` prefix (without it, the secret's text is the key bytes)"
            ),
            Finding::SecretWhitespace { provider, secret } => write!(
                f,
                "the {provider} signature matches under secret #{secret} without the whitespace \
                 around it: the whitespace was copied with it, and is part of the key as given"
            ),
            Finding::UnusableSecret {
                provider,
                secret,
                reason,
            } => write!(
                f,
                "secret #{secret} is not a usable {provider} key ({reason}): nothing verifies \
                 under it, and a receiver ignores it"
            ),
            Finding::NoMatch {
                provider,
                secrets,
                reserialized,
            } => write!(
                f,
                "the {provider} signature matches neither the body nor any usual change of it{}, \
                 under {} given: the secret is likely wrong, or the body was changed in transit",
                if *reserialized {
                    ""
                } else {
                    " (a body this large, over 256 KiB, was not tried re-serialized)"
                },
                if *secrets == 1 {
                    "the one secret".to_owned()
                } else {
                    format!("any of the {secrets} secrets")
                }
            ),
        }
    }
}

/// The verdict on one delivery and how it was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    findings: Vec<Finding>,
}

impl Explanation {
    /// Whether some sender's signature is valid.
    #[must_use]
    pub fn is_valid(&self) -> bool {
        self.valid().is_some()
    }

    /// The sender whose signature is valid.
    #[must_use]
    pub fn valid(&self) -> Option<Provider> {
        self.findings.iter().find_map(|finding| match finding {
            Finding::Valid { provider, .. } => Some(*provider),
            _ => None,
        })
    }

    /// The senders whose headers are present.
    #[must_use]
    pub fn senders(&self) -> Vec<Provider> {
        let mut senders: Vec<Provider> = Vec::new();
        for finding in &self.findings {
            // A sender with two header names present is one sender.
            if let Finding::Header { provider, .. } = finding {
                if !senders.contains(provider) {
                    senders.push(*provider);
                }
            }
        }
        senders
    }

    /// Everything found, in order: the headers, then per sender what verifies.
    #[must_use]
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            writeln!(f, "{finding}")?;
        }
        Ok(())
    }
}

/// Explains a delivery: its headers and body, against `secrets` (tried in order, for
/// every built-in sender), at the time `clock` gives.
#[must_use]
pub fn explain<C: WallClock + Clone>(
    secrets: &[Secret],
    headers: &[(String, String)],
    body: &[u8],
    clock: &C,
) -> Explanation {
    let mut findings = Vec::new();
    let present: Vec<Provider> = BUILT_IN
        .iter()
        .filter_map(|scheme| {
            // Every name of the sender that is present: the verifier tries each of them.
            let before = findings.len();
            for name in scheme.signature_headers() {
                if headers.header(name).is_some() {
                    findings.push(Finding::Header {
                        provider: scheme.provider(),
                        name,
                    });
                }
            }
            (findings.len() > before).then(|| scheme.provider())
        })
        .collect();
    if present.is_empty() {
        findings.push(Finding::NoSignatureHeader);
        return Explanation { findings };
    }
    for provider in present {
        let Some(verifier) = verifier_for(provider, secrets, clock.clone()) else {
            continue;
        };
        if let Some(scheme) = crate::senders::built_in(provider) {
            for (index, secret) in secrets.iter().enumerate() {
                if let Err(reason) = scheme
                    .hmac_key(secret.expose())
                    .map(crate::secret::wipe_key)
                {
                    findings.push(Finding::UnusableSecret {
                        provider,
                        secret: index + 1,
                        reason,
                    });
                }
            }
        }
        match verifier.verify(headers, body.to_vec()) {
            Ok(verified) => {
                findings.push(Finding::Valid {
                    provider,
                    secret: verified.secret_index() + 1,
                    form: verified.signed_form(),
                });
                let limit = default_body_limit(provider);
                if body.len() > limit {
                    findings.push(Finding::OverDefaultLimit {
                        provider,
                        limit,
                        len: body.len(),
                    });
                }
                return Explanation { findings };
            }
            Err(VerifyError::MalformedSignature { reason, .. }) => {
                findings.push(Finding::Malformed { provider, reason });
            }
            Err(VerifyError::OutsideTolerance { timestamp, now, .. }) => {
                findings.push(Finding::OutsideTolerance {
                    provider,
                    age: now.saturating_sub(timestamp),
                });
            }
            Err(_) => findings.push(other_body(provider, secrets, headers, body, clock)),
        }
    }
    Explanation { findings }
}

/// What `provider`'s signature covers when not the body as received.
fn other_body(
    provider: Provider,
    secrets: &[Secret],
    headers: &[(String, String)],
    body: &[u8],
    clock: &(impl WallClock + Clone),
) -> Finding {
    // One verifier per secret, made once: each change is tried under each.
    let verifiers: Vec<(usize, Verifier)> = secrets
        .iter()
        .enumerate()
        .filter_map(|(index, secret)| {
            let verifier = verifier_for(provider, std::slice::from_ref(secret), clock.clone())?;
            Some((index + 1, verifier))
        })
        .collect();
    // Whether the body as received verifies under `secret`, a variant of a given one.
    let covers_under = |secret: &Secret| {
        verifier_for(provider, std::slice::from_ref(secret), clock.clone())
            .is_some_and(|verifier| covers(&verifier, headers, body.to_vec()))
    };
    // A Standard Webhooks secret copied without its prefix is the reference libraries'
    // base64 but raw text here (as the senders' own docs give it, with the prefix).
    if provider == Provider::STANDARD_WEBHOOKS {
        for (index, secret) in secrets.iter().enumerate() {
            let text = secret.expose();
            if text.starts_with(b"whsec_") {
                continue;
            }
            let prefixed = std::str::from_utf8(text)
                .ok()
                .and_then(|text| Secret::new(format!("whsec_{text}")).ok())
                // Only text that reads as base64: the verifier would log any other as an
                // unusable secret.
                .filter(|prefixed| {
                    crate::senders::built_in(provider).is_some_and(|scheme| {
                        scheme
                            .hmac_key(prefixed.expose())
                            .map(crate::secret::wipe_key)
                            .is_ok()
                    })
                });
            if prefixed.is_some_and(|prefixed| covers_under(&prefixed)) {
                return Finding::SecretWithoutPrefix {
                    provider,
                    secret: index + 1,
                };
            }
        }
    }
    for (index, secret) in secrets.iter().enumerate() {
        let text = secret.expose();
        let trimmed = text.trim_ascii();
        if trimmed.len() == text.len() {
            continue;
        }
        if Secret::from_bytes(trimmed.to_vec()).is_ok_and(|trimmed| covers_under(&trimmed)) {
            return Finding::SecretWhitespace {
                provider,
                secret: index + 1,
            };
        }
    }
    for change in BodyChange::ALL {
        for changed in change.apply(body) {
            for (secret, verifier) in &verifiers {
                if covers(verifier, headers, changed.clone()) {
                    return Finding::SignedOtherBody {
                        provider,
                        change,
                        secret: *secret,
                    };
                }
            }
        }
    }
    Finding::NoMatch {
        provider,
        secrets: secrets.len(),
        reserialized: body.len() <= RESERIALIZE_LIMIT,
    }
}

/// Whether `verifier`'s secret signed `body`, fresh or not: a stale timestamp is said on
/// its own, and is no reason to look further.
fn covers(verifier: &Verifier, headers: &[(String, String)], body: Vec<u8>) -> bool {
    matches!(
        verifier.verify(headers, body),
        Ok(_) | Err(VerifyError::OutsideTolerance { .. })
    )
}

/// Valid JSON laid out again with its members in their order, only the whitespace between
/// tokens changed (strings, numbers and key order stay as written): compact (`indent`
/// `None`) or indented by `indent` spaces per level with `": "` after keys and empty
/// containers on one line, as `JSON.stringify(value, null, indent)` writes it. `None` as soon
/// as the result is over `limit` bytes (indenting a deeply nested body can make it a
/// hundred times larger). The input is not checked: give it JSON.
///
/// ```
/// use hookverify::explain::relayout;
///
/// let body = br#"{ "b": 1, "a": [] }"#;
/// assert_eq!(relayout(body, None, usize::MAX).unwrap(), br#"{"b":1,"a":[]}"#);
/// assert_eq!(relayout(body, Some(2), usize::MAX).unwrap(), b"{\n  \"b\": 1,\n  \"a\": []\n}");
/// assert_eq!(relayout(body, Some(2), 8), None);
/// ```
#[must_use]
pub fn relayout(json: &[u8], indent: Option<usize>, limit: usize) -> Option<Vec<u8>> {
    let layout = match indent {
        Some(width) => Layout::Indented(width),
        None => Layout::Compact,
    };
    lay_out(json, layout, limit)
}

/// How [`lay_out`] writes the space between tokens.
#[derive(Clone, Copy)]
enum Layout {
    /// None at all.
    Compact,
    /// A newline and this many spaces per level after `[`, `{` and `,`; `": "` after keys.
    Indented(usize),
    /// One line, `", "` and `": "`: CPython's `json.dumps` defaults.
    PythonLine,
}

/// `json` as CPython's `json.dumps` writes it by default (`ensure_ascii=True`): each
/// character beyond ASCII, and DEL, as `\uXXXX` in lowercase hex (two, a surrogate pair,
/// beyond U+FFFF). `None` when there is none to escape, or `json` is not UTF-8.
fn ascii_escaped(json: &[u8]) -> Option<Vec<u8>> {
    if json.iter().all(|&byte| byte < 0x7f) {
        return None;
    }
    let text = std::str::from_utf8(json).ok()?;
    let mut out = Vec::with_capacity(json.len() * 2);
    for ch in text.chars() {
        if ch.is_ascii() && ch != '\u{7f}' {
            out.push(ch as u8);
        } else {
            let mut units = [0u16; 2];
            for unit in ch.encode_utf16(&mut units) {
                out.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
            }
        }
    }
    Some(out)
}

/// [`relayout`] in any [`Layout`].
fn lay_out(json: &[u8], layout: Layout, limit: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(json.len().min(limit));
    let mut depth = 0usize;
    let (mut in_string, mut escaped) = (false, false);
    let newline = |out: &mut Vec<u8>, depth: usize| {
        if let Layout::Indented(width) = layout {
            out.push(b'\n');
            out.extend(std::iter::repeat_n(b' ', width * depth));
        }
    };
    let mut bytes = json.iter().copied().peekable();
    while let Some(byte) = bytes.next() {
        // Checked once a byte: none adds more than a newline and the indentation of a
        // depth that JSON which parsed can have.
        if out.len() > limit {
            return None;
        }
        if in_string {
            out.push(byte);
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' => {}
            b'"' => {
                in_string = true;
                out.push(byte);
            }
            b'{' | b'[' => {
                out.push(byte);
                // An empty container stays on one line.
                while bytes.peek().is_some_and(|next| b" \t\n\r".contains(next)) {
                    bytes.next();
                }
                if bytes
                    .peek()
                    .is_some_and(|next| *next == b'}' || *next == b']')
                {
                    continue;
                }
                depth += 1;
                newline(&mut out, depth);
            }
            b'}' | b']' => {
                if !matches!(out.last(), Some(b'{' | b'[')) {
                    depth = depth.saturating_sub(1);
                    newline(&mut out, depth);
                }
                out.push(byte);
            }
            b',' => {
                out.push(byte);
                if matches!(layout, Layout::PythonLine) {
                    out.push(b' ');
                }
                newline(&mut out, depth);
            }
            b':' => {
                out.push(byte);
                if !matches!(layout, Layout::Compact) {
                    out.push(b' ');
                }
            }
            other => out.push(other),
        }
    }
    (out.len() <= limit).then_some(out)
}

/// A verifier of `provider` alone under `secrets`.
fn verifier_for(provider: Provider, secrets: &[Secret], clock: impl WallClock) -> Option<Verifier> {
    let scheme = crate::senders::built_in(provider)?;
    Some(
        Verifier::builder()
            .sender(scheme, secrets.to_vec())
            .clock(clock)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn owned(headers: Vec<(&'static str, String)>) -> Vec<(String, String)> {
        headers
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect()
    }

    #[test]
    fn every_present_header_name_of_a_sender_is_named() {
        let secret = Secret::new("prism-secret").unwrap();
        let body = br#"{"request_id":"r1","event":"request.completed"}"#;
        let signed = testing::sign(Provider::PRISM, &secret, body)
            .unwrap()
            .into_headers();
        let (_, good) = signed.first().cloned().unwrap();
        let headers = owned(vec![
            ("x-agentcc-signature", format!("sha256={}", "0".repeat(64))),
            ("x-prism-signature", good),
        ]);
        let explanation = explain(std::slice::from_ref(&secret), &headers, body, &|| 0);
        let named: Vec<&str> = explanation
            .findings()
            .iter()
            .filter_map(|finding| match finding {
                Finding::Header { name, .. } => Some(*name),
                _ => None,
            })
            .collect();
        assert_eq!(named, ["x-agentcc-signature", "x-prism-signature"]);
        assert_eq!(explanation.senders(), [Provider::PRISM]);
        assert_eq!(explanation.valid(), Some(Provider::PRISM));
    }

    #[test]
    fn another_secret_is_named() {
        let (new, old) = (Secret::new("new").unwrap(), Secret::new("old").unwrap());
        let body = br#"{"id":"evt_1"}"#;
        let headers = owned(
            testing::sign(Provider::GENERIC, &old, body)
                .unwrap()
                .into_headers(),
        );
        let explanation = explain(&[new, old], &headers, body, &|| 0);
        assert_eq!(
            explanation.findings().last(),
            Some(&Finding::Valid {
                provider: Provider::GENERIC,
                secret: 2,
                form: SignedForm::RawBody
            })
        );
    }

    #[test]
    fn a_body_too_large_to_reserialize_is_said_to_be() {
        let secret = Secret::new("k").unwrap();
        for (size, reserialized) in [(1024, true), (RESERIALIZE_LIMIT + 1, false)] {
            let body = format!("[{}1]", "1,".repeat((size - 3) / 2)).into_bytes();
            let headers = owned(
                testing::sign(Provider::GENERIC, &Secret::new("other").unwrap(), &body)
                    .unwrap()
                    .into_headers(),
            );
            let explanation = explain(std::slice::from_ref(&secret), &headers, &body, &|| 0);
            assert_eq!(
                explanation.findings().last(),
                Some(&Finding::NoMatch {
                    provider: Provider::GENERIC,
                    secrets: 1,
                    reserialized
                }),
                "{size}"
            );
            assert_eq!(
                explanation.to_string().contains("not tried re-serialized"),
                !reserialized
            );
        }
    }

    #[test]
    fn a_valid_body_over_the_default_limit_is_said_to_be_refused_413() {
        let secret = Secret::new("k").unwrap();
        for (provider, len, over) in [
            (Provider::PROMPTLAYER, 300 * 1024, true),
            (Provider::GENERIC, 300 * 1024, false),
            (Provider::GENERIC, 1100 * 1024, true),
        ] {
            let body = format!(r#"{{"event_type":"t","id":"{}"}}"#, "x".repeat(len));
            let headers = owned(
                testing::sign(provider, &secret, body.as_bytes())
                    .unwrap()
                    .into_headers(),
            );
            let explanation = explain(
                std::slice::from_ref(&secret),
                &headers,
                body.as_bytes(),
                &|| 0,
            );
            assert!(explanation.is_valid(), "{explanation}");
            let said = matches!(
                explanation.findings().last(),
                Some(Finding::OverDefaultLimit { .. })
            );
            assert_eq!(said, over, "{provider:?} {len}: {explanation}");
            assert_eq!(explanation.to_string().contains("413"), over);
        }
    }

    #[test]
    fn a_crlf_added_is_a_trailing_newline_too() {
        let body = br#"{"a":1}"#;
        let signed = [&body[..], b"\r\n"].concat();
        let secret = Secret::new("k").unwrap();
        let headers = owned(
            testing::sign(Provider::GENERIC, &secret, &signed)
                .unwrap()
                .into_headers(),
        );
        let explanation = explain(std::slice::from_ref(&secret), &headers, body, &|| 0);
        assert!(
            explanation.to_string().contains("trailing newline added"),
            "{explanation}"
        );
    }

    #[test]
    fn a_body_nested_deeper_than_the_pipeline_takes_is_not_reserialized() {
        // Indented, this 40 KB body would take gigabytes; the pipeline refuses it anyway.
        let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000)).into_bytes();
        for change in BodyChange::ALL {
            if !matches!(
                change,
                BodyChange::NewlineAdded | BodyChange::NewlineRemoved
            ) {
                assert!(change.apply(&deep).is_empty(), "{change:?}");
            }
        }
        assert!(!BodyChange::NewlineAdded.apply(&deep).is_empty());
        let headers = owned(
            testing::sign(Provider::GENERIC, &Secret::new("other").unwrap(), &deep)
                .unwrap()
                .into_headers(),
        );
        let explanation = explain(&[Secret::new("k").unwrap()], &headers, &deep, &|| 0);
        assert!(matches!(
            explanation.findings().last(),
            Some(Finding::NoMatch { .. })
        ));
    }

    #[test]
    fn a_reserialization_past_its_bound_is_given_up() {
        // 128 deep (the most the pipeline takes) and wide at the bottom: indented, every
        // number gets a line of 256 spaces, far past the bound; compact stays small.
        let wide = format!(
            "{}{}1{}",
            "[".repeat(128),
            "1, ".repeat(50_000),
            "]".repeat(128)
        )
        .into_bytes();
        assert!(BodyChange::ReserializedPretty.apply(&wide).is_empty());
        let compact = BodyChange::ReserializedCompact.apply(&wide);
        assert!(!compact.is_empty());
        assert!(compact.iter().all(|body| body.len() < wide.len()));
    }

    #[test]
    fn pythons_default_json_dumps_is_recognised_beyond_ascii() {
        // What CPython 3 prints for `json.dumps({"name": "Zoë 😀", "n": 2})`: by default
        // every character beyond ASCII escaped, a surrogate pair beyond U+FFFF.
        let signed = br#"{"name": "Zo\u00eb \ud83d\ude00", "n": 2}"#;
        let received = r#"{"name":"Zoë 😀","n":2}"#.as_bytes();
        let secret = Secret::new("python-ascii").unwrap();
        let headers = owned(
            testing::sign(Provider::GENERIC, &secret, signed)
                .unwrap()
                .into_headers(),
        );
        let explanation = explain(&[secret], &headers, received, &|| 0);
        assert!(
            explanation.findings().iter().any(|finding| matches!(
                finding,
                Finding::SignedOtherBody {
                    change: BodyChange::ReserializedPython,
                    ..
                }
            )),
            "{explanation}"
        );
    }

    #[test]
    fn a_secret_copied_with_whitespace_around_it_is_named() {
        let secret = Secret::new("hookverify-demo-secret").unwrap();
        let copied = Secret::new(" hookverify-demo-secret\n").unwrap();
        let body = br#"{"id":"evt_1","type":"t"}"#;
        let headers = owned(
            testing::sign(Provider::GENERIC, &secret, body)
                .unwrap()
                .into_headers(),
        );
        let explanation = explain(&[copied], &headers, body, &|| 0);
        assert_eq!(
            explanation.findings().last(),
            Some(&Finding::SecretWhitespace {
                provider: Provider::GENERIC,
                secret: 1
            }),
            "{explanation}"
        );
        assert!(!explanation.is_valid());
    }

    #[test]
    fn a_secret_that_makes_no_key_for_its_sender_is_named() {
        let good = Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let unusable = Secret::new("whsec_!!!").unwrap();
        let body = br#"{"type":"user.created"}"#;
        let headers = owned(
            testing::sign(Provider::STANDARD_WEBHOOKS, &good, body)
                .unwrap()
                .into_headers(),
        );
        let signed_at: i64 = headers
            .iter()
            .find(|(name, _)| name == "webhook-timestamp")
            .map(|(_, value)| value.parse().unwrap())
            .unwrap();
        let explanation = explain(&[unusable.clone(), good], &headers, body, &move || {
            signed_at
        });
        assert!(explanation.is_valid(), "{explanation}");
        let named = explanation
            .findings()
            .iter()
            .find_map(|finding| match finding {
                Finding::UnusableSecret { secret, .. } => Some(*secret),
                _ => None,
            });
        assert_eq!(named, Some(1), "{explanation}");
        let text = explanation.to_string();
        assert!(text.contains("must be followed by base64"), "{text}");
        assert!(!text.contains("!!!"), "the secret stays out of it: {text}");
        // A generic sender takes any bytes as its key: nothing to name.
        let generic = owned(
            testing::sign(Provider::GENERIC, &unusable, body)
                .unwrap()
                .into_headers(),
        );
        let explanation = explain(&[unusable], &generic, body, &|| 0);
        assert!(explanation.is_valid(), "{explanation}");
        assert!(!explanation
            .findings()
            .iter()
            .any(|finding| matches!(finding, Finding::UnusableSecret { .. })));
    }

    #[test]
    fn a_standard_webhooks_secret_without_its_prefix_is_named() {
        let with_prefix = Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let without = Secret::new("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"type":"user.created"}"#;
        let headers = owned(
            testing::sign(Provider::STANDARD_WEBHOOKS, &with_prefix, body)
                .unwrap()
                .into_headers(),
        );
        let explanation = explain(
            &[Secret::new("other").unwrap(), without],
            &headers,
            body,
            &|| 0,
        );
        assert_eq!(
            explanation.findings().last(),
            Some(&Finding::SecretWithoutPrefix {
                provider: Provider::STANDARD_WEBHOOKS,
                secret: 2
            }),
            "{explanation}"
        );
    }

    #[test]
    fn relayout_keeps_the_order() {
        let body = br#"{ "b": 1, "a": [1, 2], "e": {}, "s": "x, \" y" }"#;
        assert_eq!(
            relayout(body, None, usize::MAX).unwrap(),
            br#"{"b":1,"a":[1,2],"e":{},"s":"x, \" y"}"#
        );
        assert_eq!(
            String::from_utf8(relayout(body, Some(2), usize::MAX).unwrap()).unwrap(),
            "{\n  \"b\": 1,\n  \"a\": [\n    1,\n    2\n  ],\n  \"e\": {},\n  \"s\": \"x, \\\" y\"\n}"
        );
        assert!(BodyChange::ReserializedCompact
            .apply(b"not json")
            .is_empty());
    }

    #[test]
    fn each_change_is_recognised() {
        let secret = Secret::new("k").unwrap();
        // In no layout of its own, so that every change makes a different body.
        let body = b"{\"b\":1, \"a\":[1,2]}\n".to_vec();
        for change in BodyChange::ALL {
            let signed = change
                .apply(&body)
                .into_iter()
                .next()
                .unwrap_or_else(|| panic!("{change:?} makes no body of {body:?}"));
            let headers = owned(
                testing::sign_bytes(Provider::GENERIC, &secret, &signed)
                    .unwrap()
                    .into_headers(),
            );
            let explanation = explain(std::slice::from_ref(&secret), &headers, &body, &|| 0);
            assert!(
                explanation.findings().contains(&Finding::SignedOtherBody {
                    provider: Provider::GENERIC,
                    change,
                    secret: 1
                }),
                "{change:?}: {explanation}"
            );
        }
    }
}
