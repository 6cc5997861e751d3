//! The lifecycle of one delivery, which both framework adapters run.
//!
//! It lives here, in one place, so that both framework adapters behave
//! identically: [`Pipeline::receive`] checks the headers, reads the body from any stream of
//! chunks within the limit, verifies it, derives its deduplication key and claims it;
//! [`Runner::run`] (or [`Runner::run_local`]) then runs the handler under the claim,
//! renewing its lease, and settles it by the outcome on every exit: a 2xx completes it,
//! anything else (another status, an error, a panic, a dropped task) releases it. Every
//! short-circuit answer is a [`Rejection`], whose status, body and `Retry-After` are fixed
//! here. An adapter only turns its request into headers and a body stream, and the
//! handler's response or a rejection back into its own response type.
//!
//! ```
//! use hookverify::pipeline::{Pipeline, WebhookConfig};
//! use hookverify::{testing, Provider, Secret};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let secret = Secret::new("whsec_example").unwrap();
//! let pipeline = Pipeline::new(WebhookConfig::new(secret.clone()));
//! let body = br#"{"id":"evt_1","type":"user.created","created_at":"2025-01-01T00:00:00Z","data":{}}"#;
//! let signature = testing::sign(Provider::GENERIC, &secret, body).unwrap();
//! let headers = [(signature.name(), signature.value())];
//!
//! let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(body))]);
//! let admitted = pipeline.receive(&headers[..], chunks).await.unwrap();
//! assert!(admitted.delivery().dedup_key().as_str().ends_with(":generic:id:evt_1"));
//! let (delivery, runner) = admitted.into_parts();
//! let status = runner.run(move || async move { delivery.provider(); 200 }, |status| *status == 200).await;
//! assert_eq!(status.unwrap(), 200);
//!
//! // The same event again is a duplicate: answered 200 without running the handler.
//! let again = pipeline.admit(&headers[..], body.to_vec()).await.unwrap_err();
//! assert_eq!(again.status(), 200);
//! # });
//! ```

mod admission;
mod body;
mod budget;
mod config;
mod delivery;
mod extract;
mod forward;
mod lazy;
pub mod observe;
mod rejection;
mod run;
mod tasks;

pub use admission::{Admitted, Pipeline};
pub use body::BoxError;
pub use budget::DEFAULT_UNVERIFIED_BYTES;
pub use config::{
    WebhookConfig, DEFAULT_BODY_LIMIT, DEFAULT_BODY_TIMEOUT, DEFAULT_CANONICAL_BODY_LIMIT,
    DEFAULT_LEASE, DEFAULT_RETENTION,
};
pub use delivery::VerifiedDelivery;
pub use extract::{ExtractError, FromDelivery};
pub use lazy::LazyPipeline;
pub use rejection::{Rejection, STORE_RETRY_AFTER};
pub use run::{HandlerResult, Runner};
pub use tasks::{handlers_running, wait_for_handlers};
