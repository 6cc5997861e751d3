//! A hand-written floor for the receiver benchmarks: the least work "authentic, and
//! processed once" asks of a Generic delivery on one replica, written without the library.
//!
//! ```
//! use hookverify_conformance::floor::Floor;
//!
//! let floor = Floor::new(b"secret");
//! assert_eq!(floor.receive(None, br#"{"id":"evt_1"}"#).0, 401);
//! ```
//!
//! It checks the HMAC-SHA256 of the body in constant time, reads the event's `id` with
//! serde_json (which validates the whole body) and remembers the ids it has seen. It has no
//! body limit, no lease, no handler run to the end after a hang-up, no store shared across
//! replicas and no log line: what it costs over a bare route is what no receiver doing
//! those checks can avoid, so a receiver's throughput is best read against both.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The answer the receivers give a duplicate, which the load client refuses to count.
pub const DUPLICATE: &str = r#"{"status":"duplicate"}"#;

/// The floor's state: the key schedule, prepared once, and the ids seen.
pub struct Floor {
    key: Hmac<Sha256>,
    seen: Mutex<HashSet<Box<str>>>,
}

/// The only field the floor reads; the rest of the body is validated and skipped.
#[derive(serde::Deserialize)]
struct Event<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
}

impl Floor {
    /// A floor checking signatures made with `secret`'s bytes as the HMAC key.
    ///
    /// # Panics
    /// Never: HMAC takes keys of any length.
    #[must_use]
    #[allow(clippy::expect_used)]
    pub fn new(secret: &[u8]) -> Self {
        Self {
            key: <Hmac<Sha256> as Mac>::new_from_slice(secret)
                .expect("HMAC takes keys of any length"),
            seen: Mutex::new(HashSet::new()),
        }
    }

    /// The status and body answering one delivery, given its `X-Signature-256` value:
    /// 401 unless it is `sha256=` and the body's HMAC in hex, 422 unless the body is a JSON
    /// object with a string `id`, 200 with [`DUPLICATE`] for an id seen before, else 200.
    pub fn receive(&self, signature: Option<&[u8]>, body: &[u8]) -> (u16, &'static str) {
        let Some(tag) = signature
            .and_then(|value| value.strip_prefix(b"sha256="))
            .and_then(decode_hex)
        else {
            return (401, "");
        };
        let mut mac = self.key.clone();
        mac.update(body);
        if mac.verify_slice(&tag).is_err() {
            return (401, "");
        }
        let Ok(event) = serde_json::from_slice::<Event<'_>>(body) else {
            return (422, "");
        };
        let new = self
            .seen
            .lock()
            .map(|mut seen| seen.insert(event.id.into()))
            .unwrap_or(false);
        if new {
            (200, r#"{"status":"processed"}"#)
        } else {
            (200, DUPLICATE)
        }
    }
}

/// 64 hex digits as 32 bytes.
fn decode_hex(text: &[u8]) -> Option<[u8; 32]> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    if text.len() != 64 {
        return None;
    }
    let mut tag = [0u8; 32];
    for (byte, pair) in tag.iter_mut().zip(text.chunks_exact(2)) {
        let [high, low] = *pair else { return None };
        *byte = digit(high)? << 4 | digit(low)?;
    }
    Some(tag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookverify::{testing, Provider, Secret};

    #[test]
    fn answers_like_a_receiver() {
        let floor = Floor::new(b"secret");
        let body = br#"{"id":"evt_1","type":"user.created"}"#;
        let signature = testing::sign(Provider::GENERIC, &Secret::new("secret").unwrap(), body)
            .unwrap()
            .value()
            .to_owned();
        let signature = Some(signature.as_bytes());
        assert_eq!(
            floor.receive(signature, body),
            (200, r#"{"status":"processed"}"#)
        );
        assert_eq!(floor.receive(signature, body), (200, DUPLICATE));
        assert_eq!(floor.receive(signature, b"{}").0, 401);
        assert_eq!(floor.receive(Some(b"sha256=00"), body).0, 401);

        let no_id = b"[1]";
        let signature = testing::sign(Provider::GENERIC, &Secret::new("secret").unwrap(), no_id)
            .unwrap()
            .value()
            .to_owned();
        assert_eq!(floor.receive(Some(signature.as_bytes()), no_id).0, 422);
    }
}
