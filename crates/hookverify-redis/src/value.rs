//! What the store keeps under an event's key.

use hookverify::dedup::ClaimToken;

/// The value of an in-flight key: `f:<token>:<fingerprint>`, both in hex.
pub(crate) fn in_flight(token: &ClaimToken, fingerprint: &[u8; 16]) -> String {
    format!("{}{}", in_flight_prefix(token), hex(fingerprint))
}

/// What every value of `token`'s claim starts with while it is in flight: `f:<token>:`.
pub(crate) fn in_flight_prefix(token: &ClaimToken) -> String {
    format!("f:{:032x}:", token.id())
}

/// What the value of `token`'s claim starts with once completed: `d:<token>:`.
pub(crate) fn completed_prefix(token: &ClaimToken) -> String {
    format!("d:{:032x}:", token.id())
}

/// A stored value, read back.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Stored<'a> {
    InFlight,
    Completed { fingerprint: &'a str },
}

pub(crate) fn parse(value: &str) -> Option<Stored<'_>> {
    let mut parts = value.splitn(3, ':');
    let state = parts.next()?;
    let _token = parts.next()?;
    let fingerprint = parts.next()?;
    match state {
        "f" => Some(Stored::InFlight),
        "d" => Some(Stored::Completed { fingerprint }),
        _ => None,
    }
}

/// The first 128 bits of a fingerprint: plenty to tell two bodies apart.
pub(crate) fn short(fingerprint: [u8; 32]) -> [u8; 16] {
    let mut short = [0; 16];
    for (slot, byte) in short.iter_mut().zip(fingerprint) {
        *slot = byte;
    }
    short
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    text
}

#[cfg(test)]
mod tests {
    use hookverify::dedup::DedupKey;

    use super::*;

    #[test]
    fn values_round_trip() {
        let token = ClaimToken::new(DedupKey::new("k"), 0xabc);
        let flight = in_flight(&token, &[1; 16]);
        assert_eq!(flight, format!("f:{:032x}:{}", 0xabc, "01".repeat(16)));
        assert_eq!(parse(&flight), Some(Stored::InFlight));
        let done = format!("{}{}", completed_prefix(&token), "01".repeat(16));
        assert!(flight.starts_with(&in_flight_prefix(&token)));
        assert_eq!(
            parse(&done),
            Some(Stored::Completed {
                fingerprint: &"01".repeat(16)
            })
        );
        assert_eq!(parse("garbage"), None);
    }
}
