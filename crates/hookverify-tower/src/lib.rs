//! Verify, deduplicate and parse webhooks in tower and axum: one layer in front of the
//! handler, and the handler receives a typed, authentic, first-time event.
//!
//! ```
//! use axum::{body::Body, http::{Request, StatusCode}, routing::post, Router};
//! use hookverify::events::AnyEvent;
//! use hookverify::{testing, Provider, Secret};
//! use hookverify_tower::{Webhook, WebhookVerify};
//! use tower::ServiceExt;
//!
//! async fn handle(Webhook(event): Webhook<AnyEvent>) -> StatusCode {
//!     assert_eq!(event.event_type(), "user.created");
//!     StatusCode::OK
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let secret = Secret::new("whsec_example").unwrap();
//! // On the method router: a `GET` is still 405 and an unknown path 404, not 401.
//! let app = Router::new().route(
//!     "/webhooks",
//!     post(handle).route_layer(WebhookVerify::new(secret.clone())),
//! );
//!
//! let body = r#"{"id":"evt_1","type":"user.created","created_at":"2025-01-01T00:00:00Z","data":{}}"#;
//! let signature = testing::sign(Provider::GENERIC, &secret, body.as_bytes()).unwrap();
//! let request = || {
//!     Request::post("/webhooks")
//!         .header(signature.name(), signature.value())
//!         .body(Body::from(body))
//!         .unwrap()
//! };
//! let first = app.clone().oneshot(request()).await.unwrap();
//! assert_eq!(first.status(), StatusCode::OK);
//!
//! // The sender's retry of the same event is acknowledged without running the handler.
//! let again = app.clone().oneshot(request()).await.unwrap();
//! assert_eq!(again.status(), StatusCode::OK);
//! let unsigned = Request::post("/webhooks").body(Body::from(body)).unwrap();
//! assert_eq!(app.clone().oneshot(unsigned).await.unwrap().status(), StatusCode::UNAUTHORIZED);
//! let get = Request::get("/webhooks").body(Body::empty()).unwrap();
//! assert_eq!(app.oneshot(get).await.unwrap().status(), StatusCode::METHOD_NOT_ALLOWED);
//! # });
//! ```
//!
//! The status contract is the core's (see [`Rejection`]):
//! 401 unauthenticated, 413 too large, 400 authentic but malformed, 503 in flight elsewhere
//! or store down (with `Retry-After`), 200 `{"status":"duplicate"}`, otherwise the handler's
//! own answer, which settles the claim: 2xx completes it, anything else (an error, a panic)
//! releases it so the sender's retry runs. The handler finishes even when the client hangs
//! up, its claim renewed while it runs (see [`hookverify::pipeline::Runner`]).
//!
//! The handler reads the verified body through [`Webhook<T>`](Webhook),
//! [`VerifiedWebhook`] or axum's own `Bytes`, `String` and `Json`: a verified body over
//! axum's 2 MB `DefaultBodyLimit` (possible with a larger
//! [`body_limit`](WebhookVerify::body_limit)) is given a limit that admits it, so the
//! handler's extractor never refuses a delivery the layer accepted.

#[cfg(feature = "axum")]
mod extract;
mod future;
mod headers;
mod layer;
mod response;
mod service;

#[cfg(feature = "axum")]
pub use extract::{VerifiedWebhook, Webhook, WebhookRejection};
pub use future::ResponseFuture;
pub use hookverify::pipeline::{Rejection, VerifiedDelivery, WebhookConfig};
pub use layer::WebhookVerify;
pub use response::ResponseBody;
pub use service::WebhookVerifyService;
