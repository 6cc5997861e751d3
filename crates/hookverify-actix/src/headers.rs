//! Header access for the core verifier.

use actix_web::http::header::{HeaderMap, HeaderValue};
use hookverify::HeaderSource;

/// actix-web's [`HeaderMap`] as a [`HeaderSource`], without copying: the core crate cannot
/// implement its trait for a foreign map, so this newtype does.
///
/// The middleware uses it; it is public for handlers that call a
/// [`Verifier`](hookverify::Verifier) themselves.
///
/// ```
/// use actix_web::test::TestRequest;
/// use hookverify::HeaderSource;
/// use hookverify_actix::ActixHeaders;
///
/// let req = TestRequest::default()
///     .insert_header(("X-Signature-256", "sha256=00"))
///     .to_http_request();
/// let headers = ActixHeaders(req.headers());
/// assert_eq!(headers.header("x-signature-256"), Some(&b"sha256=00"[..]));
/// assert_eq!(headers.header("x-missing"), None);
/// // actix-web has answered `Expect: 100-continue` before the middleware runs.
/// let req = TestRequest::default()
///     .insert_header(("Expect", "100-continue"))
///     .to_http_request();
/// assert!(!ActixHeaders(req.headers()).awaits_continue());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ActixHeaders<'a>(pub &'a HeaderMap);

impl HeaderSource for ActixHeaders<'_> {
    fn header(&self, name: &str) -> Option<&[u8]> {
        self.0.get(name).map(HeaderValue::as_bytes)
    }

    fn first_of<'a>(&'a self, names: &[&str]) -> Option<(usize, &'a [u8])> {
        hookverify::first_of_pairs(
            self.0
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_bytes())),
            names,
        )
    }

    /// `false`: actix-web answers `Expect: 100-continue` itself before any middleware
    /// runs, so the client is already sending its body.
    fn awaits_continue(&self) -> bool {
        false
    }
}
