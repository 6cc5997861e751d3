//! The request pipeline both framework adapters run, so that they behave identically.
//!
//! An adapter calls [`Pipeline::precheck`] on the headers, buffers the body within
//! [`Pipeline::body_limit`], calls [`Pipeline::admit`], runs the handler with the
//! [`VerifiedDelivery`] in the request, and finally settles the claim with
//! [`Settlement::settle`]. Every short-circuit answer is a [`Rejection`], whose status, body
//! and `Retry-After` are fixed here.
//!
//! ```
//! use hookverify::pipeline::{Pipeline, WebhookConfig};
//! use hookverify::{testing, Provider, Secret};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let secret = Secret::new("whsec_example").unwrap();
//! let pipeline = Pipeline::new(WebhookConfig::new(secret.clone()));
//! let body = br#"{"id":"evt_1","type":"user.created","created_at":"2025-01-01T00:00:00Z","data":{}}"#;
//! let signature = testing::sign(Provider::Generic, &secret, body).unwrap();
//! let headers = [(signature.name(), signature.value())];
//!
//! pipeline.precheck(&headers[..], Some(body.len() as u64)).unwrap();
//! let admitted = pipeline.admit(&headers[..], body.to_vec()).await.unwrap();
//! assert_eq!(admitted.delivery().dedup_key().as_str(), "generic:evt_1");
//! let (_delivery, settlement) = admitted.into_parts();
//! settlement.unwrap().settle(true).await;
//!
//! // The same event again is a duplicate: answered 200 without running the handler.
//! let again = pipeline.admit(&headers[..], body.to_vec()).await.unwrap_err();
//! assert_eq!(again.status(), 200);
//! # });
//! ```

mod admission;
mod config;
mod delivery;
mod extract;
mod forward;
mod lazy;
mod rejection;

pub use admission::{Admitted, Pipeline, Settlement};
pub use config::{WebhookConfig, DEFAULT_BODY_LIMIT, DEFAULT_LEASE, DEFAULT_RETENTION};
pub use delivery::VerifiedDelivery;
pub use extract::{ExtractError, FromDelivery};
pub use lazy::LazyPipeline;
pub use rejection::{Rejection, STORE_RETRY_AFTER};
