//! Decoding a claimed tag, and comparing tags in constant time.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use subtle::ConstantTimeEq;

use crate::error::MalformedReason;

/// Length of an HMAC-SHA256 tag in bytes.
pub const TAG_LEN: usize = 32;

/// An HMAC-SHA256 tag.
pub type Tag = [u8; TAG_LEN];

/// Decodes exactly 64 hex digits (either case) into a tag. Any length or content is handled
/// without panicking, and nothing is allocated.
///
/// ```
/// use hookverify::scheme::hex_tag;
/// use hookverify::MalformedReason;
///
/// assert_eq!(hex_tag(&[b'0'; 64]), Ok([0; 32]));
/// assert_eq!(hex_tag(b"abc"), Err(MalformedReason::WrongLength { hex_digits: 3 }));
/// ```
///
/// # Errors
/// [`MalformedReason::Empty`], [`MalformedReason::WrongLength`] or
/// [`MalformedReason::NotHex`].
pub fn hex_tag(hex: &[u8]) -> Result<Tag, MalformedReason> {
    if hex.is_empty() {
        return Err(MalformedReason::Empty);
    }
    if hex.len() != TAG_LEN * 2 {
        return Err(MalformedReason::WrongLength {
            hex_digits: hex.len(),
        });
    }
    let mut tag = [0u8; TAG_LEN];
    let mut invalid = 0u64;
    // Sixteen digits at a time as two words, decoded without branches or table lookups and
    // stored as one word: byte-wise stores read back as words (the comparison does) stall
    // on store forwarding, which cost more than the decoding did.
    for (out, digits) in tag.chunks_exact_mut(8).zip(hex.chunks_exact(16)) {
        let (low, low_invalid) = decode_eight(&digits[..8]);
        let (high, high_invalid) = decode_eight(&digits[8..]);
        invalid |= low_invalid | high_invalid;
        out.copy_from_slice(&(u64::from(low) | (u64::from(high) << 32)).to_le_bytes());
    }
    if invalid != 0 {
        return Err(MalformedReason::NotHex);
    }
    Ok(tag)
}

/// Decodes standard padded base64 of exactly 32 bytes into a tag.
///
/// ```
/// use hookverify::scheme::base64_tag;
/// use hookverify::MalformedReason;
///
/// assert_eq!(base64_tag(b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), Ok([0; 32]));
/// assert_eq!(base64_tag(b"AAAA"), Err(MalformedReason::NotBase64));
/// ```
///
/// # Errors
/// [`MalformedReason::Empty`] or [`MalformedReason::NotBase64`] (not base64, or not 32
/// bytes).
pub fn base64_tag(text: &[u8]) -> Result<Tag, MalformedReason> {
    if text.is_empty() {
        return Err(MalformedReason::Empty);
    }
    // 44 characters encode 32 bytes; anything longer cannot, and is not decoded at all.
    if text.len() != 44 {
        return Err(MalformedReason::NotBase64);
    }
    let mut tag = [0u8; TAG_LEN];
    match STANDARD.decode_slice(text, &mut tag) {
        Ok(TAG_LEN) => Ok(tag),
        _ => Err(MalformedReason::NotBase64),
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `x` (all below 0x80) that lies in `lo..=hi`.
const fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
    let at_least_lo = x + ONES * (0x80 - lo as u64);
    let above_hi = x + ONES * (0x7f - hi as u64);
    at_least_lo & !above_hi & HIGH
}

/// Eight hex digits (either case) to four bytes, and a non-zero mask if any is not a digit.
fn decode_eight(digits: &[u8]) -> (u32, u64) {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(digits);
    let word = u64::from_le_bytes(bytes);
    // Bytes with the high bit set are refused, and cleared so that no addition carries.
    let ascii = word & !HIGH;
    let digit = in_range(ascii, b'0', b'9');
    let letter = in_range(ascii | (ONES * 0x20), b'a', b'f');
    let invalid = (word & HIGH) | ((digit | letter) ^ HIGH);
    // '0'..'9' are 0x30..0x39, letters 0x41.. / 0x61..: the low nibble, plus 9 for letters.
    let nibbles = (ascii & (ONES * 0x0f)) + ((ascii >> 6) & ONES) * 9;
    // Each pair of nibbles (first digit in the lower byte) into one byte, then the four
    // bytes, at every other position, packed together.
    let pairs = ((nibbles & 0x00ff_00ff_00ff_00ff) << 4) | ((nibbles >> 8) & 0x00ff_00ff_00ff_00ff);
    let packed = (pairs | (pairs >> 8)) & 0x0000_ffff_0000_ffff;
    let packed = (packed | (packed >> 16)) & 0xffff_ffff;
    (packed as u32, invalid)
}

/// Compares two tags in constant time. `subtle` compares slices element by element, so the
/// tags go in as four 64-bit words: a quarter of the steps, still with no early exit.
pub(crate) fn tags_equal(a: &Tag, b: &Tag) -> bool {
    fn words(tag: &Tag) -> [u64; TAG_LEN / 8] {
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

/// Lowercase hex, as senders write it.
pub(crate) fn encode_hex(tag: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(tag.len() * 2);
    for byte in tag {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// HMAC-SHA256 under `key` of the concatenation of `parts`.
pub(crate) fn hmac(key: &[u8], parts: &[&[u8]]) -> Tag {
    use hmac::{Hmac, Mac};
    // HMAC takes keys of every length, so this cannot fail; a zero tag is never returned.
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(key) else {
        return [0; TAG_LEN];
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// Reads a Unix timestamp written as decimal digits (at most 12: beyond the year 33000).
///
/// ```
/// use hookverify::scheme::unix_timestamp;
///
/// assert_eq!(unix_timestamp(b"1614265330"), Ok(1_614_265_330));
/// assert!(unix_timestamp(b"161426533.0").is_err());
/// assert!(unix_timestamp(b"-161426533").is_err());
/// ```
///
/// # Errors
/// [`MalformedReason::InvalidTimestamp`].
pub fn unix_timestamp(text: &[u8]) -> Result<i64, MalformedReason> {
    if text.is_empty() || text.len() > 12 || !text.iter().all(u8::is_ascii_digit) {
        return Err(MalformedReason::InvalidTimestamp);
    }
    Ok(text
        .iter()
        .fold(0i64, |value, digit| value * 10 + i64::from(digit - b'0')))
}

/// Standard padded base64.
pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes a secret's base64 exactly as the Standard Webhooks reference libraries do:
/// Python's `base64.b64decode(secret + "==")`, whose non-strict decoder skips characters
/// outside the alphabet, skips a `=` that does not complete a group, and stops at one that
/// does. `None` where Python raises (data left over that is not a whole byte).
pub(crate) fn decode_base64_like_python(text: &[u8]) -> Option<Vec<u8>> {
    fn value(byte: u8) -> Option<u32> {
        match byte {
            b'A'..=b'Z' => Some(u32::from(byte - b'A')),
            b'a'..=b'z' => Some(u32::from(byte - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(byte - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 3);
    let (mut quad, mut pads, mut left) = (0u32, 0u32, 0u32);
    for &byte in text.iter().chain(b"==") {
        if byte == b'=' {
            if quad >= 2 {
                pads += 1;
                if quad + pads >= 4 {
                    return Some(out);
                }
            }
            continue;
        }
        let Some(six) = value(byte) else {
            continue;
        };
        pads = 0;
        // Each arm emits the byte the new six bits complete; the casts keep its low 8 bits.
        match quad {
            0 => {
                left = six;
                quad = 1;
            }
            1 => {
                out.push(((left << 2) | (six >> 4)) as u8);
                left = six & 0x0f;
                quad = 2;
            }
            2 => {
                out.push(((left << 4) | (six >> 2)) as u8);
                left = six & 0x03;
                quad = 3;
            }
            _ => {
                out.push(((left << 6) | six) as u8);
                left = 0;
                quad = 0;
            }
        }
    }
    (quad == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    #[test]
    fn hex_round_trips_in_either_case() {
        let tag = hex_tag(HEX.as_bytes()).unwrap();
        assert_eq!(encode_hex(&tag), HEX);
        assert_eq!(hex_tag(HEX.to_uppercase().as_bytes()).unwrap(), tag);
    }

    #[test]
    fn base64_round_trips_and_refuses_other_lengths() {
        let tag = hex_tag(HEX.as_bytes()).unwrap();
        let text = encode_base64(&tag);
        assert_eq!(base64_tag(text.as_bytes()), Ok(tag));
        assert_eq!(
            base64_tag(&text.as_bytes()[..43]),
            Err(MalformedReason::NotBase64)
        );
        let mut bad = text.into_bytes();
        bad[3] = b'*';
        assert_eq!(base64_tag(&bad), Err(MalformedReason::NotBase64));
        assert_eq!(base64_tag(b""), Err(MalformedReason::Empty));
        // 33 bytes encode to 44 characters without padding room: refused, not truncated.
        assert_eq!(
            base64_tag(encode_base64(&[7u8; 33]).as_bytes()),
            Err(MalformedReason::NotBase64)
        );
    }

    #[test]
    fn secrets_decode_as_python_decodes_them() {
        // base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" + "==")
        assert_eq!(
            decode_base64_like_python(b"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap(),
            STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap()
        );
        // CPython: base64.b64decode("property_test==") == b"\xa6\xba)z\xbbr\xb5\xeb-"
        assert_eq!(
            decode_base64_like_python(b"property_test").unwrap(),
            b"\xa6\xba)z\xbbr\xb5\xeb-"
        );
        assert_eq!(decode_base64_like_python(b"abcde"), None);
        // CPython: b64decode("ab=cd==") == b64decode("a=bcd==") == b"i\xb7\x1d"
        assert_eq!(decode_base64_like_python(b"ab=cd").unwrap(), b"i\xb7\x1d");
        assert_eq!(decode_base64_like_python(b"a=bcd").unwrap(), b"i\xb7\x1d");
        // A completed group ends the input: b64decode("abc=de==") == b"i\xb7"
        assert_eq!(decode_base64_like_python(b"abc=de").unwrap(), b"i\xb7");
    }

    #[test]
    fn tags_equal_only_when_every_byte_is() {
        let tag = hex_tag(HEX.as_bytes()).unwrap();
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
    fn decoding_agrees_with_a_digit_by_digit_decoder() {
        fn reference(hex: &[u8]) -> Option<Tag> {
            let mut tag = [0u8; TAG_LEN];
            for (byte, pair) in tag.iter_mut().zip(hex.chunks_exact(2)) {
                if !pair.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                let text = std::str::from_utf8(pair).ok()?;
                *byte = u8::from_str_radix(text, 16).ok()?;
            }
            Some(tag)
        }
        // Digits, letters and the bytes next to each range, shuffled by a fixed generator.
        let alphabet = b"0123456789abcdefABCDEF/:@G`g\x00\x7f\x80\xb0\xc6\xff+- ";
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for round in 0..20_000 {
            let mut hex = [0u8; 64];
            for byte in &mut hex {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Mostly valid digits, so that single bad bytes are exercised.
                let index = (state % 64) as usize;
                *byte = if index < 16 || round % 3 == 0 {
                    alphabet[(state >> 8) as usize % alphabet.len()]
                } else {
                    b"0123456789abcdefABCDEF"[(state >> 8) as usize % 22]
                };
            }
            assert_eq!(
                hex_tag(&hex).ok(),
                reference(&hex),
                "{:?}",
                String::from_utf8_lossy(&hex)
            );
        }
    }

    #[test]
    fn every_byte_value_decodes_as_hex_or_is_refused() {
        for byte in 0..=255u8 {
            let value = [byte; 64];
            let decoded = hex_tag(&value);
            match char::from(byte).to_digit(16) {
                Some(digit) => assert_eq!(decoded.unwrap(), [digit as u8 * 17; 32], "{byte}"),
                None => assert_eq!(decoded, Err(MalformedReason::NotHex), "{byte}"),
            }
        }
    }

    #[test]
    fn malformed_values_are_refused() {
        use MalformedReason::*;
        assert_eq!(hex_tag(b""), Err(Empty));
        assert_eq!(
            hex_tag(&HEX.as_bytes()[..32]),
            Err(WrongLength { hex_digits: 32 })
        );
        assert_eq!(
            hex_tag(format!("{HEX}0").as_bytes()),
            Err(WrongLength { hex_digits: 65 })
        );
        let mut not_hex = HEX.as_bytes().to_vec();
        not_hex[10] = b'g';
        assert_eq!(hex_tag(&not_hex), Err(NotHex));
        let mut non_ascii = HEX.as_bytes().to_vec();
        non_ascii[0] = 0xff;
        assert_eq!(hex_tag(&non_ascii), Err(NotHex));
        assert_eq!(
            hex_tag(&vec![b'a'; 1 << 20]),
            Err(WrongLength {
                hex_digits: 1 << 20
            })
        );
    }
}
