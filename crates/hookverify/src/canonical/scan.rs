//! Byte-level pieces shared by the parser, the writer and the scalar lookup: string
//! scanning, UTF-8 (with CPython's `surrogatepass`) and escape decoding.
//!
//! Text is handled as "generalised UTF-8": every code point, surrogates included, encoded
//! on its own. Comparing such bytes orders strings by code point, which is how Python
//! compares `str`, and two strings are equal exactly when Python's are.

use std::borrow::Cow;

use super::CanonicalError;

/// What [`scan_string`] found out about a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct StrScan {
    /// Offset of the closing quote.
    pub(super) end: usize,
    /// Has backslash escapes: its text differs from its bytes.
    pub(super) escaped: bool,
    /// CPython would write it exactly as it is in the body (printable ASCII, escapes only
    /// where and as CPython writes them): the quoted body bytes are the output.
    pub(super) verbatim: bool,
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Eight bytes at `i`, little-endian, if that many are left.
#[inline(always)]
fn load8(bytes: &[u8], i: usize) -> Option<u64> {
    let chunk: [u8; 8] = bytes.get(i..i.wrapping_add(8))?.try_into().ok()?;
    Some(u64::from_le_bytes(chunk))
}

/// High bit set in (at least) the lowest byte of `word` that is not plain printable ASCII
/// (`"`, `\`, a control character, DEL or non-ASCII). Bits above the lowest flagged byte
/// may be spurious (borrows and carries run upwards), so only the lowest one is used.
#[inline(always)]
fn special_mask(word: u64) -> u64 {
    let has_zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    let quote = has_zero(word ^ (LO * u64::from(b'"')));
    let backslash = has_zero(word ^ (LO * u64::from(b'\\')));
    let control = word.wrapping_sub(LO * 0x20) & !word & HI;
    let high = (word.wrapping_add(LO) | word) & HI;
    quote | backslash | control | high
}

/// Length of the run of plain printable ASCII at the start of `bytes`.
#[inline]
pub(super) fn plain_run(bytes: &[u8]) -> usize {
    let mut i = 0;
    loop {
        while let Some(word) = load8(bytes, i) {
            let mask = special_mask(word);
            if mask != 0 {
                return i + (mask.trailing_zeros() / 8) as usize;
            }
            i += 8;
        }
        match bytes.get(i) {
            Some(&b) if is_plain(b) => i += 1,
            _ => return i,
        }
    }
}

/// Whether CPython writes this byte of a string as it is.
#[inline(always)]
pub(super) fn is_plain(b: u8) -> bool {
    (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\'
}

fn syntax(offset: usize, message: &'static str) -> CanonicalError {
    CanonicalError::Syntax { offset, message }
}

/// Scans the contents of a string that starts at `start` (just after its opening quote),
/// checking everything `json.loads` checks.
pub(super) fn scan_string(body: &[u8], start: usize) -> Result<StrScan, CanonicalError> {
    let mut i = start;
    let mut escaped = false;
    let mut verbatim = true;
    loop {
        while let Some(word) = load8(body, i) {
            let mask = special_mask(word);
            if mask != 0 {
                i += (mask.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        let Some(&b) = body.get(i) else {
            return Err(syntax(start.saturating_sub(1), "unterminated string"));
        };
        // Tests in order of likelihood: branches predict better than a jump table here.
        if b == b'"' {
            return Ok(StrScan {
                end: i,
                escaped,
                verbatim,
            });
        }
        if b == b'\\' {
            escaped = true;
            let kind = body.get(i + 1).copied();
            if kind == Some(b'u') {
                let digits = body.get(i + 2..i + 6).unwrap_or_default();
                let Some(cp) = hex4(digits) else {
                    return Err(syntax(i, "invalid \\uXXXX escape"));
                };
                // CPython writes `\u` + lowercase hex for all but printable ASCII and the
                // characters with short escapes.
                verbatim &= !(0x20..=0x7e).contains(&cp)
                    && !matches!(cp, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d)
                    && !digits.iter().any(u8::is_ascii_uppercase);
                i += 6;
            } else if let Some(b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't') = kind {
                i += 2;
            } else if kind == Some(b'/') {
                // CPython writes a plain `/`.
                verbatim = false;
                i += 2;
            } else {
                return Err(syntax(i, "invalid \\escape"));
            }
        } else if b >= 0x80 {
            i = check_utf8(body, i)?;
            // The rest of a run of non-ASCII text, without the word-at-a-time probe (it would
            // stop at once on every character).
            while body.get(i).is_some_and(|&next| next >= 0x80) {
                i = check_utf8(body, i)?;
            }
            verbatim = false;
        } else if b == 0x7f {
            i += 1;
            verbatim = false;
        } else if b < 0x20 {
            return Err(syntax(i, "invalid control character in string"));
        } else {
            // Printable ASCII left over near the end of the body, where the word-at-a-time
            // loop cannot load eight bytes.
            i += 1;
        }
    }
}

/// Each byte's value as a hex digit, 0xff where it is none.
const HEX_VALUE: [u8; 256] = {
    let mut table = [0xff; 256];
    let mut i = 0;
    while i < 16 {
        table[b"0123456789abcdef"[i] as usize] = i as u8;
        table[b"0123456789ABCDEF"[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// The value of four hex digits, either case.
#[inline]
fn hex4(digits: &[u8]) -> Option<u32> {
    let [a, b, c, d] = <[u8; 4]>::try_from(digits).ok()?;
    let [a, b, c, d] = [a, b, c, d].map(|x| HEX_VALUE[usize::from(x)]);
    if (a | b | c | d) & 0xf0 != 0 {
        return None;
    }
    Some(u32::from(a) << 12 | u32::from(b) << 8 | u32::from(c) << 4 | u32::from(d))
}

/// Checks the UTF-8 sequence at `i` and returns the offset after it. Encoded surrogates
/// (`ED A0..BF ..`) are accepted: `json.loads(bytes)` decodes with `surrogatepass`.
fn check_utf8(body: &[u8], i: usize) -> Result<usize, CanonicalError> {
    let cont = |k: usize| matches!(body.get(i + k), Some(0x80..=0xbf));
    let second = body.get(i + 1).copied().unwrap_or(0);
    let len = match body.get(i).copied().unwrap_or(0) {
        0xc2..=0xdf => 2,
        0xe0 if (0xa0..=0xbf).contains(&second) => 3,
        0xe1..=0xef if (0x80..=0xbf).contains(&second) => 3,
        0xf0 if (0x90..=0xbf).contains(&second) => 4,
        0xf1..=0xf3 if (0x80..=0xbf).contains(&second) => 4,
        0xf4 if (0x80..=0x8f).contains(&second) => 4,
        _ => return Err(CanonicalError::InvalidUtf8 { offset: i }),
    };
    if (1..len).all(cont) {
        Ok(i + len)
    } else {
        Err(CanonicalError::InvalidUtf8 { offset: i })
    }
}

/// Decodes the (already checked) sequence at the start of `bytes`: code point and length.
#[inline]
pub(super) fn decode_utf8(bytes: &[u8]) -> (u32, usize) {
    let at = |k: usize| u32::from(bytes.get(k).copied().unwrap_or(0x80) & 0x3f);
    match bytes.first().copied().unwrap_or(0) {
        b @ 0x00..=0x7f => (u32::from(b), 1),
        b @ 0xc0..=0xdf => (((u32::from(b) & 0x1f) << 6) | at(1), 2),
        b @ 0xe0..=0xef => (((u32::from(b) & 0x0f) << 12) | (at(1) << 6) | at(2), 3),
        b => (
            ((u32::from(b) & 0x07) << 18) | (at(1) << 12) | (at(2) << 6) | at(3),
            4,
        ),
    }
}

/// Appends `cp` as generalised UTF-8 (surrogates encoded like any other code point).
pub(super) fn push_code_point(out: &mut Vec<u8>, cp: u32) {
    // Truncating casts are the point: each byte takes its slice of the bits.
    #[allow(clippy::cast_possible_truncation)]
    match cp {
        0..=0x7f => out.push(cp as u8),
        0x80..=0x7ff => out.extend_from_slice(&[0xc0 | (cp >> 6) as u8, 0x80 | (cp & 0x3f) as u8]),
        0x800..=0xffff => out.extend_from_slice(&[
            0xe0 | (cp >> 12) as u8,
            0x80 | ((cp >> 6) & 0x3f) as u8,
            0x80 | (cp & 0x3f) as u8,
        ]),
        _ => out.extend_from_slice(&[
            0xf0 | (cp >> 18) as u8,
            0x80 | ((cp >> 12) & 0x3f) as u8,
            0x80 | ((cp >> 6) & 0x3f) as u8,
            0x80 | (cp & 0x3f) as u8,
        ]),
    }
}

/// One backslash escape at the start of `raw` (checked by the parser): the code point it
/// stands for and its length in bytes.
#[inline]
pub(super) fn decode_escape(raw: &[u8]) -> (u32, usize) {
    match raw.get(1).copied().unwrap_or(b'\\') {
        b'b' => (0x08, 2),
        b'f' => (0x0c, 2),
        b'n' => (0x0a, 2),
        b'r' => (0x0d, 2),
        b't' => (0x09, 2),
        b'u' => (raw.get(2..6).and_then(hex4).unwrap_or(0xfffd), 6),
        other => (u32::from(other), 2),
    }
}

/// Decodes escaped string contents (as checked by [`scan_string`]) into generalised UTF-8,
/// joining a high-surrogate escape with an immediately following low-surrogate escape the
/// way CPython's scanner does.
pub(super) fn unescape_into(raw: &[u8], out: &mut Vec<u8>) {
    let mut rest = raw;
    loop {
        let run = rest.iter().position(|&b| b == b'\\').unwrap_or(rest.len());
        out.extend_from_slice(rest.get(..run).unwrap_or_default());
        rest = rest.get(run..).unwrap_or_default();
        if rest.is_empty() {
            return;
        }
        let (mut cp, mut len) = decode_escape(rest);
        if (0xd800..=0xdbff).contains(&cp) && rest.get(6..8) == Some(b"\\u") {
            if let Some(low @ 0xdc00..=0xdfff) = rest.get(8..12).and_then(hex4) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                len = 12;
            }
        }
        push_code_point(out, cp);
        rest = rest.get(len..).unwrap_or_default();
    }
}

/// Generalised UTF-8 as a Rust string, each surrogate replaced by U+FFFD.
pub(super) fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(text);
    }
    let mut text = String::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        let (cp, len) = decode_utf8(rest);
        text.push(char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER));
        rest = rest.get(len..).unwrap_or_default();
    }
    Cow::Owned(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_mask_finds_the_first_special_byte() {
        for special in [b'"', b'\\', 0x00, 0x1f, 0x7f, 0x80, 0xff] {
            for at in 0..8 {
                let mut word = *b"abcdefgh";
                word[at] = special;
                assert_eq!(plain_run(&word), at, "byte {special:#x} at {at}");
                // A second special byte higher up must not move the answer.
                if at < 7 {
                    word[7] = 0xff;
                    assert_eq!(plain_run(&word), at);
                }
            }
        }
        assert_eq!(plain_run(b" ~!#[]{}0123456789"), 18);
        assert_eq!(plain_run(b""), 0);
    }

    #[test]
    fn utf8_checks_follow_surrogatepass() {
        assert_eq!(check_utf8(b"\xed\xa0\x80", 0), Ok(3));
        assert_eq!(check_utf8(b"\xf0\x9f\x98\x80", 0), Ok(4));
        for bad in [
            &b"\xc0\x80"[..],
            b"\xc1\xbf",
            b"\xe0\x80\x80",
            b"\xf0\x80\x80\x80",
            b"\xf4\x90\x80\x80",
            b"\xf5\x80\x80\x80",
            b"\x80",
            b"\xe2\x82",
            b"\xff",
        ] {
            assert!(check_utf8(bad, 0).is_err(), "{bad:x?}");
        }
    }

    #[test]
    fn unescape_joins_only_adjacent_surrogate_escapes() {
        let mut out = Vec::new();
        unescape_into(br"a\ud83d\ude00\ud83d\u0041\udc00\n\/", &mut out);
        let mut expected = b"a".to_vec();
        expected.extend_from_slice("\u{1f600}".as_bytes());
        expected.extend_from_slice(b"\xed\xa0\xbdA\xed\xb0\x80\n/");
        assert_eq!(out, expected);
        assert_eq!(lossy(&out), "a\u{1f600}\u{fffd}A\u{fffd}\n/");
    }
}
