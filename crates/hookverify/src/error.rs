//! Why a delivery was not accepted as authentic.

use std::fmt;

use crate::canonical::CanonicalError;
use crate::Provider;

/// Why a delivery could not be verified.
///
/// Every variant means "not authenticated" to the sender (HTTP 401 with one uniform body);
/// the variants exist so that the reason can be logged and tested, never shown to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// No signature header of any allowed provider was present.
    MissingSignature,
    /// The only signature header present belongs to a provider this verifier does not accept.
    ProviderNotAllowed {
        /// The provider whose header was present.
        provider: Provider,
    },
    /// The signature header could not be decoded.
    MalformedSignature {
        /// The provider whose header it was.
        provider: Provider,
        /// What was wrong with it.
        reason: MalformedReason,
    },
    /// The signature was well formed but matched no configured secret.
    Mismatch {
        /// The provider whose header it was.
        provider: Provider,
    },
    /// The signature matched, but the signed timestamp is further from now than the
    /// sender's tolerance allows: a replay of a captured delivery, or a clock far off.
    OutsideTolerance {
        /// The provider whose header it was.
        provider: Provider,
        /// The signed timestamp, Unix seconds.
        timestamp: i64,
        /// The time it was checked at, Unix seconds.
        now: i64,
    },
    /// The raw body did not match and the signed form could not be rebuilt from it
    /// (a PromptLayer body that is not JSON, say).
    UnverifiableBody {
        /// The provider whose header it was.
        provider: Provider,
        /// Why the canonical form could not be computed.
        source: CanonicalError,
    },
}

impl VerifyError {
    /// The provider whose header the request carried, if any.
    #[must_use]
    pub fn provider(&self) -> Option<Provider> {
        match self {
            Self::MissingSignature => None,
            Self::ProviderNotAllowed { provider }
            | Self::MalformedSignature { provider, .. }
            | Self::Mismatch { provider }
            | Self::OutsideTolerance { provider, .. }
            | Self::UnverifiableBody { provider, .. } => Some(*provider),
        }
    }

    /// A short stable code for logs and metrics, such as `signature_mismatch`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingSignature => "missing_signature",
            Self::ProviderNotAllowed { .. } => "provider_not_allowed",
            Self::MalformedSignature { .. } => "malformed_signature",
            Self::Mismatch { .. } => "signature_mismatch",
            Self::OutsideTolerance { .. } => "timestamp_outside_tolerance",
            Self::UnverifiableBody { .. } => "unverifiable_body",
        }
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingSignature => f.write_str("no signature header of an allowed provider"),
            Self::ProviderNotAllowed { provider } => {
                write!(f, "{provider} signatures are not accepted here")
            }
            Self::MalformedSignature { provider, reason } => {
                write!(f, "malformed {provider} signature header: {reason}")
            }
            Self::Mismatch { provider } => {
                write!(f, "{provider} signature matches no configured secret")
            }
            Self::OutsideTolerance {
                provider,
                timestamp,
                now,
            } => write!(
                f,
                "{provider} signature is valid but its timestamp {timestamp} is {} s from now \
                 ({now}), outside the tolerance: a replay or a wrong clock",
                now.abs_diff(*timestamp)
            ),
            Self::UnverifiableBody { provider, .. } => {
                write!(
                    f,
                    "{provider} body matches no signature and cannot be canonicalised"
                )
            }
        }
    }
}

impl std::error::Error for VerifyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::UnverifiableBody { source, .. } => Some(source),
            Self::MalformedSignature { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

/// What was wrong with a signature header's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MalformedReason {
    /// The value (after any prefix) was empty.
    Empty,
    /// The `sha256=` prefix the provider always writes was missing.
    MissingPrefix,
    /// Not 32 bytes of standard base64.
    NotBase64,
    /// A header the scheme needs beside the signature is missing.
    MissingHeader {
        /// Its name, lowercase.
        name: &'static str,
    },
    /// The signed timestamp is missing, or not a Unix time in decimal digits.
    InvalidTimestamp,
    /// The delivery id is empty or holds a character the signed message cannot carry
    /// unambiguously (`.`).
    InvalidDeliveryId,
    /// No signature of a version this scheme verifies (`v1`) is in the header.
    NoSignature,
    /// More signatures than any sender sends at once.
    TooManySignatures,
    /// Not 64 hex digits.
    WrongLength {
        /// How many characters there were.
        hex_digits: usize,
    },
    /// A character that is not a hex digit.
    NotHex,
}

impl fmt::Display for MalformedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("empty value"),
            Self::MissingPrefix => f.write_str("missing `sha256=` prefix"),
            Self::WrongLength { hex_digits } => {
                write!(f, "expected 64 hex digits, found {hex_digits} characters")
            }
            Self::NotHex => f.write_str("not hexadecimal"),
            Self::NotBase64 => f.write_str("not 32 bytes of base64"),
            Self::MissingHeader { name } => write!(f, "the `{name}` header is missing"),
            Self::InvalidTimestamp => f.write_str("the timestamp is missing or not Unix seconds"),
            Self::InvalidDeliveryId => f.write_str("the delivery id is empty or contains `.`"),
            Self::NoSignature => f.write_str("no signature of a supported version"),
            Self::TooManySignatures => f.write_str("too many signatures"),
        }
    }
}

impl std::error::Error for MalformedReason {}
