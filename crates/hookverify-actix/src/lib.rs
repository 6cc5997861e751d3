//! actix-web middleware and extractors that verify, deduplicate and parse webhooks from
//! PromptLayer, Prism / Agent Command Center, PromptReports, GitHub, Stripe, Standard
//! Webhooks senders and `X-Signature-256` (generic) senders.
//!
//! Wrap the webhook's POST `Route` (or a `Resource`, a `Scope` or an `App`, whose other
//! methods and routes it then answers too) in [`WebhookVerify`], and read the event with
//! [`Webhook<T>`](Webhook) or [`VerifiedWebhook`]. The middleware runs the same core
//! [`Pipeline`](hookverify::pipeline::Pipeline) as `hookverify-tower`, so both answer
//! alike: 401 for a missing or wrong signature, 413 past the body limit, 400 for an authentic
//! body that is not usable JSON, 200 `{"status":"duplicate"}` for an event already processed,
//! 503 with `Retry-After` while another copy is in flight or when the deduplication store
//! is down; otherwise the handler's own answer, and a 2xx marks the event processed while
//! anything else (an error, a panic) lets the sender's retry through. The handler finishes
//! even when the client hangs up, its claim renewed while it runs.
//!
//! ```
//! use actix_web::{test, web, App, HttpResponse};
//! use hookverify::events::PrismEvent;
//! use hookverify::{testing, Provider, Secret};
//! use hookverify_actix::{Webhook, WebhookVerify};
//!
//! async fn handle(Webhook(_event): Webhook<PrismEvent>) -> HttpResponse {
//!     HttpResponse::Ok().finish()
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let secret = Secret::new("whsec_example").unwrap();
//! let app = test::init_service(
//!     App::new().service(
//!         // On the POST route: a `GET` is still 405, not 401.
//!         web::resource("/webhooks")
//!             .route(web::post().to(handle).wrap(WebhookVerify::new(secret.clone()))),
//!     ),
//! )
//! .await;
//!
//! let body = r#"{"event": "request.completed", "request_id": "r1", "model": "gpt-4o",
//!     "resolved_model": "gpt-4o-2024-08-06", "provider": "openai", "latency_ms": 812,
//!     "input_tokens": 12, "output_tokens": 40, "total_tokens": 52, "status_code": 200,
//!     "is_error": false, "error_message": null, "cache_hit": false,
//!     "guardrail_triggered": false, "cost": 0.00061}"#;
//! let signature = testing::sign(Provider::PRISM, &secret, body.as_bytes()).unwrap();
//! let delivery = || {
//!     test::TestRequest::post()
//!         .uri("/webhooks")
//!         .insert_header((signature.name(), signature.value()))
//!         .set_payload(body)
//!         .to_request()
//! };
//!
//! let first = test::call_service(&app, delivery()).await;
//! assert_eq!(first.status(), 200);
//!
//! // The sender's retry of the same event: acknowledged, the handler does not run again.
//! let again = test::call_service(&app, delivery()).await;
//! assert_eq!(again.status(), 200);
//! assert_eq!(test::read_body(again).await, r#"{"status":"duplicate"}"#);
//!
//! // No signature: 401.
//! let forged = test::TestRequest::post().uri("/webhooks").set_payload(body).to_request();
//! assert_eq!(test::call_service(&app, forged).await.status(), 401);
//! let get = test::TestRequest::get().uri("/webhooks").to_request();
//! assert_eq!(test::call_service(&app, get).await.status(), 405);
//! # });
//! ```
//!
//! Build the middleware inside `HttpServer::new`'s closure, as actix-web apps do: every
//! worker's middleware built with the same secret shares one deduplication store (see
//! [`WebhookVerify`]).
//!
//! Give the server `.client_disconnect_timeout(Duration::ZERO)`: a request refused before
//! its body was read is answered with `Connection: close`, and actix-web otherwise lingers
//! up to a second on each such connection, holding its buffers (1,000 trickling clients:
//! +103 to +196 MiB above idle, against +84 to +86 MiB with `ZERO`). The setting is the
//! server's: every early answer on it then closes at once, as hyper does, so a client still
//! writing a body to another route's 404 may see a reset. A timeout under about half a
//! second is worse: actix-web takes the deadline's time from a clock it updates every
//! 500 ms, and a client that goes silent was seen to keep such a connection open until it
//! closed it.
//!
//! The middleware reads the body itself, within [`WebhookVerify::body_limit`] (1 MiB by
//! default; 256 KiB for PromptLayer, whose canonical form is dear to check), and puts it
//! back for the handler. [`Webhook<T>`](Webhook) and
//! [`VerifiedWebhook::body`](VerifiedDelivery::body) read it without copying; actix's own
//! `web::Bytes`, `String` and `web::Json` extractors work too: unless the app sets a
//! `web::PayloadConfig` (or `web::JsonConfig`) itself, the middleware gives them limits
//! that admit the verified body, so a body over actix's defaults (256 KiB, 2 MB for JSON)
//! is not refused by the handler (which would release it for a retry that meets the same
//! refusal). An app that sets those must make them at least the middleware's limit.

mod extract;
mod headers;
mod middleware;
mod response;
mod transform;

pub use extract::{VerifiedWebhook, Webhook, WebhookRejection};
pub use headers::ActixHeaders;
pub use hookverify::pipeline::{Rejection, VerifiedDelivery, WebhookConfig};
pub use middleware::{ResponseFuture, WebhookVerifyMiddleware};
pub use transform::WebhookVerify;

#[cfg(test)]
mod tests;
