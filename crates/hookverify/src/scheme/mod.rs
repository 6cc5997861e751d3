//! How a sender signs: the [`Scheme`] trait, which each built-in sender in
//! [`senders`](crate::senders) implements, and which a sender of your own implements in one
//! small impl.
//!
//! ```
//! use hookverify::scheme::{self, KeyFields, NaturalKey, Scheme, Signature, SignatureHeader};
//! use hookverify::{HeaderSource, MalformedReason, Provider, Secret, Verifier};
//!
//! /// Acme signs the raw body, `X-Acme-Signature: <hex>`, and names each event `event_id`.
//! #[derive(Debug)]
//! struct Acme;
//!
//! impl Scheme for Acme {
//!     fn provider(&self) -> Provider {
//!         Provider::new("acme")
//!     }
//!     fn signature_headers(&self) -> &'static [&'static str] {
//!         &["x-acme-signature"]
//!     }
//!     fn read_signature(
//!         &self,
//!         header: SignatureHeader<'_>,
//!         _headers: &dyn HeaderSource,
//!     ) -> Result<Signature, MalformedReason> {
//!         Ok(Signature::new(scheme::hex_tag(header.value())?))
//!     }
//!     fn natural_key(&self, fields: &KeyFields<'_>) -> Option<NaturalKey> {
//!         Some(NaturalKey::new("id", [fields.text(&["event_id"])?]))
//!     }
//! }
//!
//! let secret = Secret::new("acme-secret").unwrap();
//! let verifier = Verifier::builder().sender(Acme, secret.clone()).build();
//! let body = br#"{"event_id": "e1"}"#;
//! let tag = hookverify::testing::hmac_hex(&secret, body);
//! let verified = verifier.verify(&[("X-Acme-Signature", tag.as_str())][..], body.to_vec()).unwrap();
//! assert_eq!(verified.provider().name(), "acme");
//! ```

mod clock;
mod definition;
mod key;
mod signature;
mod signing;

pub use clock::{SystemWallClock, WallClock};
pub use definition::{Scheme, SignedContent};
pub use key::{KeyFields, NaturalKey};
pub use signature::{Signature, SignatureHeader};
pub use signing::{SignError, SigningContext};

pub use crate::signature::{base64_tag, hex_tag, unix_timestamp, Tag, TAG_LEN};
