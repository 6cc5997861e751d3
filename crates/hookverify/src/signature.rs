//! Decoding a signature header's value into the 32 bytes of an HMAC-SHA256 tag.

use crate::error::MalformedReason;
use crate::provider::SignatureFormat;

/// Length of an HMAC-SHA256 tag in bytes.
pub(crate) const TAG_LEN: usize = 32;

const PREFIX: &[u8] = b"sha256=";

/// Decodes a header value in the given format. Any length or content is handled without
/// panicking, and nothing is allocated.
pub(crate) fn decode(
    value: &[u8],
    format: SignatureFormat,
) -> Result<[u8; TAG_LEN], MalformedReason> {
    let hex = match format {
        SignatureFormat::BareHex => value,
        SignatureFormat::Sha256Prefixed => value
            .strip_prefix(PREFIX)
            .ok_or(MalformedReason::MissingPrefix)?,
    };
    if hex.is_empty() {
        return Err(MalformedReason::Empty);
    }
    if hex.len() != TAG_LEN * 2 {
        return Err(MalformedReason::WrongLength {
            hex_digits: hex.len(),
        });
    }
    let mut tag = [0u8; TAG_LEN];
    for (byte, pair) in tag.iter_mut().zip(hex.chunks_exact(2)) {
        let (Some(high), Some(low)) = (nibble(pair[0]), nibble(pair[1])) else {
            return Err(MalformedReason::NotHex);
        };
        *byte = (high << 4) | low;
    }
    Ok(tag)
}

/// Senders write lowercase hex; uppercase is accepted because it names the same bytes.
const fn nibble(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// Lowercase hex of a tag, as senders write it.
pub(crate) fn encode(tag: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(tag.len() * 2);
    for byte in tag {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn bare_and_prefixed_round_trip() {
        let tag = decode(HEX.as_bytes(), SignatureFormat::BareHex).unwrap();
        assert_eq!(encode(&tag), HEX);
        let prefixed = format!("sha256={HEX}");
        assert_eq!(
            decode(prefixed.as_bytes(), SignatureFormat::Sha256Prefixed).unwrap(),
            tag
        );
        assert_eq!(
            decode(HEX.to_uppercase().as_bytes(), SignatureFormat::BareHex).unwrap(),
            tag
        );
    }

    #[test]
    fn malformed_values_are_refused() {
        use MalformedReason::*;
        let bare = SignatureFormat::BareHex;
        let prefixed = SignatureFormat::Sha256Prefixed;
        assert_eq!(decode(b"", bare), Err(Empty));
        assert_eq!(decode(b"sha256=", prefixed), Err(Empty));
        assert_eq!(decode(HEX.as_bytes(), prefixed), Err(MissingPrefix));
        assert_eq!(
            decode(format!("sha1={HEX}").as_bytes(), prefixed),
            Err(MissingPrefix)
        );
        assert_eq!(
            decode(&HEX.as_bytes()[..32], bare),
            Err(WrongLength { hex_digits: 32 })
        );
        assert_eq!(
            decode(format!("{HEX}0").as_bytes(), bare),
            Err(WrongLength { hex_digits: 65 })
        );
        let mut not_hex = HEX.as_bytes().to_vec();
        not_hex[10] = b'g';
        assert_eq!(decode(&not_hex, bare), Err(NotHex));
        let mut non_ascii = HEX.as_bytes().to_vec();
        non_ascii[0] = 0xff;
        assert_eq!(decode(&non_ascii, bare), Err(NotHex));
        assert_eq!(
            decode(&vec![b'a'; 1 << 20], bare),
            Err(WrongLength {
                hex_digits: 1 << 20
            })
        );
    }
}
