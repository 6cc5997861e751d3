//! PromptLayer's signed form: CPython's `json.dumps(json.loads(body), sort_keys=True)`,
//! byte for byte.
//!
//! ```
//! let canonical = hookverify::canonical::canonical_json(br#"{"b": 1.50, "a": "caf\u00e9"}"#).unwrap();
//! assert_eq!(canonical, br#"{"a": "caf\u00e9", "b": 1.5}"#);
//! ```

mod document;
mod error;
mod float;
mod scan;
#[cfg(test)]
mod tests;
mod write;

pub(crate) use document::{Document, Scalar};
pub use error::CanonicalError;

/// Parses `body` as JSON the way CPython's `json.loads` does and returns what
/// `json.dumps(value, sort_keys=True)` prints for it.
///
/// # Errors
/// A [`CanonicalError`] when `body` is not JSON that `json.loads` accepts, or nests deeper
/// than [`MAX_DEPTH`].
pub fn canonical_json(body: &[u8]) -> Result<Vec<u8>, CanonicalError> {
    Ok(Document::parse(body)?.canonical()?.canonical_vec(body))
}

/// The deepest nesting of arrays and objects accepted; a deeper document is refused.
pub const MAX_DEPTH: usize = 128;
