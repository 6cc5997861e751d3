//! Read-only access to request headers, for any HTTP library.
//!
//! ```
//! use hookverify::HeaderSource;
//!
//! let mut headers = http::HeaderMap::new();
//! headers.insert("x-signature-256", "sha256=00".parse().unwrap());
//! assert_eq!(headers.header("X-Signature-256"), Some(&b"sha256=00"[..]));
//! assert_eq!(headers.header("x-missing"), None);
//! ```

/// Where the verifier reads signature headers from.
///
/// Implemented for [`http::HeaderMap`] (feature `http`, on by default), for a slice of
/// `(name, value)` pairs, and by each framework adapter for its own header map, so headers are
/// never copied.
pub trait HeaderSource {
    /// The value of the first header called `name` (compared ASCII case-insensitively; the
    /// verifier always asks with a lowercase name), as raw bytes.
    fn header(&self, name: &str) -> Option<&[u8]>;
}

impl<T: HeaderSource + ?Sized> HeaderSource for &T {
    fn header(&self, name: &str) -> Option<&[u8]> {
        (**self).header(name)
    }
}

#[cfg(feature = "http")]
impl HeaderSource for http::HeaderMap {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.get(name).map(http::HeaderValue::as_bytes)
    }
}

impl<N: AsRef<str>, V: AsRef<[u8]>> HeaderSource for [(N, V)] {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(candidate, _)| candidate.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_ref())
    }
}

impl<N: AsRef<str>, V: AsRef<[u8]>> HeaderSource for Vec<(N, V)> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.as_slice().header(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_match_case_insensitively() {
        let pairs = vec![("X-PromptLayer-Signature", "ab"), ("x-other", "cd")];
        assert_eq!(pairs.header("x-promptlayer-signature"), Some(&b"ab"[..]));
        assert_eq!(pairs.header("x-none"), None);
    }
}
