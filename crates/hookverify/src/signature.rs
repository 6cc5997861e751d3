//! Decoding a signature header's value into the 32 bytes of an HMAC-SHA256 tag.

use subtle::ConstantTimeEq;

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
    let mut invalid = 0u8;
    for (byte, pair) in tag.iter_mut().zip(hex.chunks_exact(2)) {
        let (high, low) = (
            HEX_VALUE[usize::from(pair[0])],
            HEX_VALUE[usize::from(pair[1])],
        );
        invalid |= (high | low) & INVALID;
        *byte = (high << 4) | (low & 0x0f);
    }
    if invalid != 0 {
        return Err(MalformedReason::NotHex);
    }
    Ok(tag)
}

/// Marks a byte that is not a hex digit in [`HEX_VALUE`].
const INVALID: u8 = 0x80;

/// Each byte's value as a hex digit, or [`INVALID`]. Senders write lowercase hex; uppercase
/// is accepted because it names the same bytes. A table, because the header is decoded on
/// every request and a branch per digit cost more than the comparison it feeds.
const HEX_VALUE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut digit = 0u8;
    while digit < 10 {
        table[(b'0' + digit) as usize] = digit;
        digit += 1;
    }
    let mut letter = 0u8;
    while letter < 6 {
        table[(b'a' + letter) as usize] = 10 + letter;
        table[(b'A' + letter) as usize] = 10 + letter;
        letter += 1;
    }
    table
};

/// Compares two tags in constant time. `subtle` compares slices element by element, so the
/// tags go in as four 64-bit words: a quarter of the steps, still with no early exit.
pub(crate) fn tags_equal(a: &[u8; TAG_LEN], b: &[u8; TAG_LEN]) -> bool {
    fn words(tag: &[u8; TAG_LEN]) -> [u64; TAG_LEN / 8] {
        let mut words = [0u64; TAG_LEN / 8];
        for (word, chunk) in words.iter_mut().zip(tag.chunks_exact(8)) {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(chunk);
            *word = u64::from_le_bytes(bytes);
        }
        words
    }
    bool::from(words(a)[..].ct_eq(&words(b)[..]))
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
    fn tags_equal_only_when_every_byte_is() {
        let tag = decode(HEX.as_bytes(), SignatureFormat::BareHex).unwrap();
        assert!(tags_equal(&tag, &tag));
        for index in 0..TAG_LEN {
            for bit in 0..8 {
                let mut other = tag;
                other[index] ^= 1 << bit;
                assert!(!tags_equal(&tag, &other), "byte {index} bit {bit}");
            }
        }
    }

    #[test]
    fn every_byte_value_decodes_as_hex_or_is_refused() {
        for byte in 0..=255u8 {
            let value = [byte; 64];
            let decoded = decode(&value, SignatureFormat::BareHex);
            match char::from(byte).to_digit(16) {
                Some(digit) => assert_eq!(decoded.unwrap(), [digit as u8 * 17; 32], "{byte}"),
                None => assert_eq!(decoded, Err(MalformedReason::NotHex), "{byte}"),
            }
        }
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
