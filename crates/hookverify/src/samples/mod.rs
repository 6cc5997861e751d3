//! Realistic sample deliveries of every documented event type of every built-in sender,
//! serialized as each sender serializes them: the one place the CLI, the tests and the docs
//! take their example events from.
//!
//! ```
//! use hookverify::{samples, testing, Provider, Secret, Verifier};
//!
//! let secret = Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
//! for provider in Provider::ALL {
//!     for event_type in samples::event_types(provider) {
//!         let sample = samples::sample(provider, event_type, 1).unwrap();
//!         let headers = sample.sign(&secret).unwrap();
//!         let verified = Verifier::new(secret.clone()).verify(&headers[..], sample.body().to_vec()).unwrap();
//!         assert_eq!(verified.provider(), provider);
//!     }
//! }
//! ```

mod catalog;
mod json;
mod sample;

pub use catalog::{event_types, sample};
pub use sample::Sample;
