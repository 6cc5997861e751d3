//! Errors of the canonical JSON parser.

use std::fmt;

/// Why a body has no canonical JSON form.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CanonicalError {
    /// The body is not JSON (or not JSON that CPython's `json.loads` accepts).
    Syntax {
        /// Byte offset of the problem.
        offset: usize,
        /// What was expected or found.
        message: &'static str,
    },
    /// The body is not valid UTF-8.
    InvalidUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// Arrays and objects nest deeper than [`MAX_DEPTH`](super::MAX_DEPTH).
    TooDeep,
    /// An integer has more digits than CPython converts by default (4300); `json.loads`
    /// raises `ValueError` for it.
    IntegerTooLong {
        /// Byte offset of the integer.
        offset: usize,
        /// How many digits it has.
        digits: usize,
    },
    /// The body is longer than `u32::MAX` bytes, far beyond any webhook.
    TooLarge {
        /// The body's length.
        len: usize,
    },
}

impl fmt::Display for CanonicalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax { offset, message } => {
                write!(f, "invalid JSON at byte {offset}: {message}")
            }
            Self::InvalidUtf8 { offset } => write!(f, "invalid UTF-8 at byte {offset}"),
            Self::TooDeep => write!(f, "JSON nests deeper than {}", super::MAX_DEPTH),
            Self::IntegerTooLong { offset, digits } => write!(
                f,
                "integer at byte {offset} has {digits} digits, more than CPython's 4300"
            ),
            Self::TooLarge { len } => write!(f, "body of {len} bytes is too large to canonicalise"),
        }
    }
}

impl std::error::Error for CanonicalError {}
