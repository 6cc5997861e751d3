//! Short-circuit answers: the status contract of the pipeline.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::canonical::CanonicalError;
use crate::dedup::StoreError;
use crate::VerifyError;

/// `Retry-After` sent with a 503 when the store is down.
pub const STORE_RETRY_AFTER: Duration = Duration::from_secs(5);

/// Why the pipeline answered instead of the handler.
///
/// | variant | status | body |
/// |---|---|---|
/// | `Unauthenticated` | 401 | `{"error":"invalid_signature"}` (one body for every reason) |
/// | `PayloadTooLarge` | 413 | `{"error":"payload_too_large"}` |
/// | `BodyTimeout` | 408 | `{"error":"body_timeout"}` |
/// | `UnverifiedBudgetFull` | 503 + `Retry-After` | `{"error":"server_busy"}` |
/// | `BodyRead` | 400 | `{"error":"body_read_failed"}` |
/// | `MalformedPayload` | 400 | `{"error":"malformed_payload"}` |
/// | `InFlight` | 503 + `Retry-After` | `{"error":"in_flight"}` |
/// | `StoreUnavailable` | 503 + `Retry-After` | `{"error":"store_unavailable"}` |
/// | `HandlerAborted` | 503 + `Retry-After` | `{"error":"handler_aborted"}` |
/// | `Duplicate` | 200 | `{"status":"duplicate"}` |
/// | `NestedLayer` | 500 | `{"error":"webhook_verify_nested",...}` |
///
/// Adapters also put the rejection in the response extensions for outer layers.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Rejection {
    /// The signature is missing, malformed or wrong.
    Unauthenticated(VerifyError),
    /// The body is larger than the configured limit.
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The whole body did not arrive within the body timeout.
    BodyTimeout {
        /// The timeout.
        timeout: Duration,
    },
    /// The bytes held for unverified bodies, this one included, would pass their bound.
    UnverifiedBudgetFull,
    /// The body could not be read from the connection.
    BodyRead(Arc<dyn std::error::Error + Send + Sync>),
    /// Authentic, but not JSON or nested too deep: a retry cannot help.
    MalformedPayload(CanonicalError),
    /// Another delivery of this event is being processed. Answered 503, which every sender
    /// retries (some never retry a 4xx), with a `Retry-After` no longer than the claim's
    /// renewal interval: the soonest the event could be free again.
    InFlight {
        /// When the claim could next be free.
        retry_after: Duration,
    },
    /// The deduplication store failed and the pipeline fails closed.
    StoreUnavailable(Arc<StoreError>),
    /// The handler's task was dropped before it answered (the runtime is shutting down); its
    /// claim was released, so the sender's retry is processed.
    HandlerAborted,
    /// Already processed: acknowledged without running the handler.
    Duplicate {
        /// Whether the body matches the one processed.
        same_body: bool,
    },
    /// The request was already verified by another layer (or middleware) in front of this
    /// one: two on one route. This one would find the outer one's claim in flight for
    /// ever; the route answers 500 until one of them is removed.
    NestedLayer,
}

impl Rejection {
    /// The HTTP status code.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthenticated(_) => 401,
            Self::PayloadTooLarge { .. } => 413,
            Self::BodyTimeout { .. } => 408,
            Self::UnverifiedBudgetFull => 503,
            Self::BodyRead(_) | Self::MalformedPayload(_) => 400,
            Self::InFlight { .. } | Self::StoreUnavailable(_) | Self::HandlerAborted => 503,
            Self::Duplicate { .. } => 200,
            Self::NestedLayer => 500,
        }
    }

    /// A short stable code, also the `error` (or `status`) field of the body.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "invalid_signature",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::BodyTimeout { .. } => "body_timeout",
            Self::UnverifiedBudgetFull => "server_busy",
            Self::BodyRead(_) => "body_read_failed",
            Self::MalformedPayload(_) => "malformed_payload",
            Self::InFlight { .. } => "in_flight",
            Self::StoreUnavailable(_) => "store_unavailable",
            Self::HandlerAborted => "handler_aborted",
            Self::Duplicate { .. } => "duplicate",
            Self::NestedLayer => "webhook_verify_nested",
        }
    }

    /// The JSON response body. It never says more than the code: the specific reason of a
    /// 401 goes to `tracing` at debug level, never to the client.
    #[must_use]
    pub fn body(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => r#"{"error":"invalid_signature"}"#,
            Self::PayloadTooLarge { .. } => r#"{"error":"payload_too_large"}"#,
            Self::BodyTimeout { .. } => r#"{"error":"body_timeout"}"#,
            Self::UnverifiedBudgetFull => r#"{"error":"server_busy"}"#,
            Self::BodyRead(_) => r#"{"error":"body_read_failed"}"#,
            Self::MalformedPayload(_) => r#"{"error":"malformed_payload"}"#,
            Self::InFlight { .. } => r#"{"error":"in_flight"}"#,
            Self::StoreUnavailable(_) => r#"{"error":"store_unavailable"}"#,
            Self::HandlerAborted => r#"{"error":"handler_aborted"}"#,
            Self::Duplicate { .. } => r#"{"status":"duplicate"}"#,
            Self::NestedLayer => concat!(
                r#"{"error":"webhook_verify_nested","message":"#,
                r#""this route has two WebhookVerify layers or middlewares, one in front of "#,
                r#"the other: keep one"}"#
            ),
        }
    }

    /// Whether the answer should close the connection: the request's body was refused
    /// before or while it was read (no signature header of an allowed sender, over the
    /// limit, too slow, over the unverified budget, unreadable), so the connection still
    /// holds the rest of it. Closing frees the connection and its buffers at once, rather
    /// than reading on what a hostile client keeps sending. Both adapters answer with
    /// `Connection: close` then, on HTTP/1 (HTTP/2 streams end on their own).
    #[must_use]
    pub fn closes_connection(&self) -> bool {
        match self {
            Self::Unauthenticated(error) => matches!(
                error,
                VerifyError::MissingSignature | VerifyError::ProviderNotAllowed { .. }
            ),
            Self::PayloadTooLarge { .. }
            | Self::BodyTimeout { .. }
            | Self::UnverifiedBudgetFull
            | Self::BodyRead(_) => true,
            Self::MalformedPayload(_)
            | Self::InFlight { .. }
            | Self::StoreUnavailable(_)
            | Self::HandlerAborted
            | Self::Duplicate { .. }
            | Self::NestedLayer => false,
        }
    }

    /// The `Retry-After` header value in whole seconds (at least 1), for every 503.
    #[must_use]
    pub fn retry_after_secs(&self) -> Option<u64> {
        let wait = match self {
            Self::InFlight { retry_after } => *retry_after,
            Self::StoreUnavailable(_) => STORE_RETRY_AFTER,
            Self::HandlerAborted | Self::UnverifiedBudgetFull => Duration::from_secs(1),
            _ => return None,
        };
        let secs = wait
            .as_secs()
            .saturating_add(u64::from(wait.subsec_nanos() > 0));
        Some(secs.max(1))
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unauthenticated(error) => write!(f, "unauthenticated: {error}"),
            Self::PayloadTooLarge { limit } => write!(f, "body larger than {limit} bytes"),
            Self::BodyTimeout { timeout } => {
                write!(
                    f,
                    "the body did not arrive within {} ms",
                    timeout.as_millis()
                )
            }
            Self::UnverifiedBudgetFull => {
                f.write_str("too many bytes held for unverified bodies; try again shortly")
            }
            Self::BodyRead(_) => f.write_str("body could not be read"),
            Self::MalformedPayload(error) => write!(f, "authentic body is unusable: {error}"),
            Self::InFlight { .. } => f.write_str("another delivery of this event is in flight"),
            Self::StoreUnavailable(_) => f.write_str("deduplication store unavailable"),
            Self::HandlerAborted => f.write_str("the handler's task ended before it answered"),
            Self::Duplicate { .. } => f.write_str("event already processed"),
            Self::NestedLayer => f.write_str(
                "two WebhookVerify layers on one route: the request was verified by the outer one",
            ),
        }
    }
}

impl std::error::Error for Rejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Unauthenticated(error) => Some(error),
            Self::BodyRead(error) => Some(error.as_ref()),
            Self::MalformedPayload(error) => Some(error),
            Self::StoreUnavailable(error) => Some(error.as_ref()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Provider;

    #[test]
    fn only_rejections_made_before_the_body_is_read_close_the_connection() {
        let body_unread = [
            Rejection::Unauthenticated(VerifyError::MissingSignature),
            Rejection::Unauthenticated(VerifyError::ProviderNotAllowed {
                provider: Provider::GITHUB,
            }),
            Rejection::PayloadTooLarge { limit: 1 },
            Rejection::BodyTimeout {
                timeout: Duration::from_secs(1),
            },
            Rejection::UnverifiedBudgetFull,
            Rejection::BodyRead(Arc::new(std::io::Error::other("reset"))),
        ];
        for rejection in &body_unread {
            assert!(rejection.closes_connection(), "{rejection:?}");
        }
        let body_read = [
            Rejection::Unauthenticated(VerifyError::Mismatch {
                provider: Provider::GENERIC,
            }),
            Rejection::MalformedPayload(CanonicalError::TooDeep),
            Rejection::InFlight {
                retry_after: Duration::from_secs(1),
            },
            Rejection::StoreUnavailable(Arc::new(StoreError::unavailable("down"))),
            Rejection::HandlerAborted,
            Rejection::Duplicate { same_body: true },
        ];
        for rejection in &body_read {
            assert!(!rejection.closes_connection(), "{rejection:?}");
        }
    }

    #[test]
    fn bodies_carry_the_code() {
        let cases = [
            Rejection::Unauthenticated(VerifyError::MissingSignature),
            Rejection::PayloadTooLarge { limit: 1 },
            Rejection::MalformedPayload(CanonicalError::TooDeep),
            Rejection::InFlight {
                retry_after: Duration::from_millis(1500),
            },
            Rejection::HandlerAborted,
            Rejection::BodyTimeout {
                timeout: Duration::from_secs(1),
            },
            Rejection::UnverifiedBudgetFull,
            Rejection::Duplicate { same_body: true },
        ];
        for rejection in cases {
            let body: serde_json::Value = serde_json::from_str(rejection.body()).unwrap();
            let field = if rejection.status() == 200 {
                "status"
            } else {
                "error"
            };
            assert_eq!(body[field], rejection.code());
        }
    }

    #[test]
    fn retry_after_rounds_up() {
        let in_flight = Rejection::InFlight {
            retry_after: Duration::from_millis(1500),
        };
        assert_eq!(in_flight.retry_after_secs(), Some(2));
        let zero = Rejection::InFlight {
            retry_after: Duration::ZERO,
        };
        assert_eq!(zero.retry_after_secs(), Some(1));
        assert_eq!(
            Rejection::Duplicate { same_body: true }.retry_after_secs(),
            None
        );
    }
}
