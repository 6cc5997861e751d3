//! How a sender signs: the [`Scheme`] trait, which each built-in sender in
//! [`senders`](crate::senders) implements, and which a sender of your own implements in one
//! small impl.
//!
//! ```
//! use hookverify::scheme::{self, KeyFields, NaturalKey, Scheme, Signature, SignatureHeader};
//! use hookverify::{HeaderSource, MalformedReason, Provider, Secret, Verifier};
//!
//! /// Acme signs the raw body, `X-Acme-Signature: sha256=<hex>`, and names each delivery in
//! /// `X-Acme-Delivery` (the same on every retry); its bodies carry an `event_id` too.
//! #[derive(Debug)]
//! struct Acme;
//!
//! impl Scheme for Acme {
//!     fn provider(&self) -> Provider {
//!         Provider::new("acme")
//!     }
//!     // Lowercase: header names are matched as HTTP sends them, case-folded.
//!     fn signature_headers(&self) -> &'static [&'static str] {
//!         &["x-acme-signature"]
//!     }
//!     fn read_signature(
//!         &self,
//!         header: SignatureHeader<'_>,
//!         headers: &dyn HeaderSource,
//!     ) -> Result<Signature, MalformedReason> {
//!         let hex = header
//!             .value()
//!             .strip_prefix(b"sha256=")
//!             .ok_or(MalformedReason::MissingPrefix)?;
//!         let signature = Signature::new(scheme::hex_tag(hex)?);
//!         // A delivery id read here is what `KeyFields::delivery_id` gives below.
//!         Ok(match headers.header("x-acme-delivery").and_then(|id| std::str::from_utf8(id).ok()) {
//!             Some(id) => signature.delivery_id(id),
//!             None => signature,
//!         })
//!     }
//!     fn natural_key(&self, fields: &KeyFields<'_>) -> Option<NaturalKey> {
//!         if let Some(id) = fields.delivery_id() {
//!             return Some(NaturalKey::new("delivery", [id]));
//!         }
//!         // No delivery id: the body's own, else (`None`) the body's SHA-256.
//!         Some(NaturalKey::new("id", [fields.text(&["event_id"])?]))
//!     }
//! }
//!
//! let secret = Secret::new("acme-secret").unwrap();
//! let verifier = Verifier::builder().sender(Acme, secret.clone()).build();
//! let body = br#"{"event_id": "e1"}"#;
//! let signature = format!("sha256={}", hookverify::testing::hmac_hex(&secret, body));
//! let headers = [("X-Acme-Signature", signature.as_str()), ("X-Acme-Delivery", "d-7")];
//! let verified = verifier.verify(&headers[..], body.to_vec()).unwrap();
//! assert_eq!(verified.provider().name(), "acme");
//! assert_eq!(verified.delivery_id(), Some("d-7"));
//! //! ```

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
