//! The page: one self-contained HTML file (inline CSS and JS, no external assets) that
//! shows the deliveries live and replays them.

use axum::http::header;
use axum::response::IntoResponse;

/// The page, built into the binary.
pub(crate) const PAGE: &str = include_str!("page.html");

/// What the page may load: nothing from elsewhere, only its own inline code and the
/// listener's API. Payloads are shown as text, and this is a second fence.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'unsafe-inline'; \
     style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// `GET /`.
pub(crate) async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        PAGE,
    )
}

#[cfg(test)]
mod tests {
    use super::PAGE;

    #[test]
    fn is_self_contained() {
        for external in [
            "src=\"http",
            "href=\"http",
            "src='http",
            "@import",
            "url(http",
            "//cdn",
        ] {
            assert!(!PAGE.contains(external), "the page loads {external}");
        }
    }

    #[test]
    fn shows_data_only_as_text() {
        for sink in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
        ] {
            assert!(!PAGE.contains(sink), "the page uses {sink}");
        }
    }

    #[test]
    fn has_the_hooks_tests_rely_on() {
        for hook in [
            "data-delivery-id",
            "data-verdict",
            "sender",
            "event-type",
            "explanation",
            "payload",
            "replay",
            "/api/stream",
            "/api/replay/",
        ] {
            assert!(PAGE.contains(hook), "{hook}");
        }
    }
}
