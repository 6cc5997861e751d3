//! Verify, deduplicate and parse webhooks from PromptLayer, Prism / Agent Command Center,
//! PromptReports, GitHub, Stripe, Standard Webhooks senders, the `X-Signature-256`
//! template, and any sender of your own (one [`scheme::Scheme`] impl). No web framework
//! here: `hookverify-tower` and `hookverify-actix` are thin adapters over this crate.
//!
//! ```
//! use hookverify::{testing, Provider, Secret, Verifier};
//!
//! let secret = Secret::new("whsec_example").unwrap();
//! let verifier = Verifier::builder()
//!     .sender(hookverify::senders::Prism, secret.clone())
//!     .build();
//! let body = br#"{"event": "test", "webhook_id": "w1", "message": "hi"}"#;
//! let signature = testing::sign(Provider::PRISM, &secret, body).unwrap();
//! let headers = [(signature.name(), signature.value())];
//! let verified = verifier.verify(&headers[..], body.to_vec()).unwrap();
//! assert_eq!(verified.provider(), Provider::PRISM);
//! ```

pub mod canonical;
pub mod dedup;
mod error;
pub mod events;
pub mod explain;
mod headers;
pub mod pipeline;
mod provider;
pub mod samples;
pub mod scheme;
mod secret;
pub mod senders;
mod signature;
pub mod testing;
mod verified;
mod verifier;

pub use error::{MalformedReason, VerifyError};
pub use headers::{first_of_pairs, HeaderSource};
pub use provider::Provider;
pub use secret::{Secret, SecretError};
pub use verified::{SignedForm, Verified};
pub use verifier::{IntoSecrets, Verifier, VerifierBuilder};
