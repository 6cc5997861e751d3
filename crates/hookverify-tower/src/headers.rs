//! A request's headers as the core pipeline reads them.

use hookverify::HeaderSource;
use http::{HeaderMap, Version};

/// A request's headers with its HTTP version: hyper answers `Expect: 100-continue` only on
/// HTTP/1.1 and later, when the body is first read; an HTTP/1.0 client sends its body
/// without waiting, whatever it put in `Expect`.
pub(crate) struct RequestHeaders<'a> {
    pub(crate) map: &'a HeaderMap,
    pub(crate) version: Version,
}

impl HeaderSource for RequestHeaders<'_> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.map.header(name)
    }

    fn first_of<'a>(&'a self, names: &[&str]) -> Option<(usize, &'a [u8])> {
        self.map.first_of(names)
    }

    fn awaits_continue(&self) -> bool {
        self.version >= Version::HTTP_11 && self.map.awaits_continue()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_1_1_and_later_wait_for_continue() {
        let mut map = HeaderMap::new();
        map.insert("expect", "100-continue".parse().unwrap());
        let waits = |version| RequestHeaders { map: &map, version }.awaits_continue();
        assert!(!waits(Version::HTTP_10));
        assert!(waits(Version::HTTP_11));
        let plain = HeaderMap::new();
        assert!(!RequestHeaders {
            map: &plain,
            version: Version::HTTP_11
        }
        .awaits_continue());
    }
}
