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

    /// The first of `names` (lowercase, in order of preference) that is present: its index in
    /// `names` and its first value.
    ///
    /// The default asks [`header`](Self::header) for each name in turn. A map that can list
    /// its headers should answer in one pass with [`first_of_pairs`]: a lookup by name
    /// hashes and validates the name, and the verifier looks for five of them.
    fn first_of<'a>(&'a self, names: &[&str]) -> Option<(usize, &'a [u8])> {
        names
            .iter()
            .enumerate()
            .find_map(|(index, name)| self.header(name).map(|value| (index, value)))
    }

    /// Whether the client waits for `100 Continue` before it sends the body
    /// (`Expect: 100-continue`) and nothing has answered it yet. A body refused by its
    /// `Content-Length` is then not read at all: reading it would ask the client for it.
    ///
    /// The default reads the `Expect` header. An adapter for a framework that answers the
    /// expectation itself before any middleware runs (actix-web does) says `false`: that
    /// client is already sending its body, and reading some of it lets it read the answer.
    ///
    /// ```
    /// use hookverify::HeaderSource;
    ///
    /// assert!([("expect", "100-Continue")][..].awaits_continue());
    /// assert!(![("content-length", "10")][..].awaits_continue());
    /// ```
    fn awaits_continue(&self) -> bool {
        self.header("expect")
            .is_some_and(|value| value.trim_ascii().eq_ignore_ascii_case(b"100-continue"))
    }
}

/// [`HeaderSource::first_of`] over a list of `(lowercase name, value)` pairs, in one pass.
pub fn first_of_pairs<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    names: &[&str],
) -> Option<(usize, &'a [u8])> {
    // Most of a request's headers are not wanted: one bit per wanted name length lets them
    // be skipped without comparing any text.
    let lengths = names
        .iter()
        .filter(|name| name.len() < 64)
        .fold(0u64, |mask, name| mask | 1 << name.len());
    let mut best: Option<(usize, &'a [u8])> = None;
    for (name, value) in pairs {
        if name.len() < 64 && lengths & (1 << name.len()) == 0 {
            continue;
        }
        let Some(index) = names.iter().position(|wanted| *wanted == name) else {
            continue;
        };
        // Strictly better only: a repeated header keeps its first value.
        if best.is_none_or(|(found, _)| index < found) {
            best = Some((index, value));
            if index == 0 {
                break;
            }
        }
    }
    best
}

impl<T: HeaderSource + ?Sized> HeaderSource for &T {
    fn header(&self, name: &str) -> Option<&[u8]> {
        (**self).header(name)
    }

    fn first_of<'a>(&'a self, names: &[&str]) -> Option<(usize, &'a [u8])> {
        (**self).first_of(names)
    }

    fn awaits_continue(&self) -> bool {
        (**self).awaits_continue()
    }
}

#[cfg(feature = "http")]
impl HeaderSource for http::HeaderMap {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.get(name).map(http::HeaderValue::as_bytes)
    }

    fn first_of<'a>(&'a self, names: &[&str]) -> Option<(usize, &'a [u8])> {
        first_of_pairs(
            self.iter()
                .map(|(name, value)| (name.as_str(), value.as_bytes())),
            names,
        )
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

    #[cfg(feature = "http")]
    #[test]
    fn one_pass_lookup_agrees_with_lookups_by_name() {
        let names = ["x-b", "x-a", "x-c"];
        let mut map = http::HeaderMap::new();
        map.append("x-a", "a1".parse().unwrap());
        map.append("x-a", "a2".parse().unwrap());
        map.append("x-c", "c".parse().unwrap());
        map.append("content-type", "json".parse().unwrap());
        let by_name: Vec<(&str, &[u8])> = vec![("x-a", b"a1"), ("x-c", b"c")];
        assert_eq!(map.first_of(&names), Some((1, &b"a1"[..])));
        assert_eq!(by_name.first_of(&names), Some((1, &b"a1"[..])));
        map.append("x-b", "b".parse().unwrap());
        assert_eq!(map.first_of(&names), Some((0, &b"b"[..])));
        assert_eq!(map.first_of(&["x-none"]), None);
    }

    #[test]
    fn pairs_match_case_insensitively() {
        let pairs = vec![("X-PromptLayer-Signature", "ab"), ("x-other", "cd")];
        assert_eq!(pairs.header("x-promptlayer-signature"), Some(&b"ab"[..]));
        assert_eq!(pairs.header("x-none"), None);
    }
}
