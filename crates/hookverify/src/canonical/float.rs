//! Numbers with a fraction or an exponent are floats in Python and print as `repr(float)`.

use std::fmt::{self, Write as _};

use super::write::Out;

/// Writes `repr(float(token))` for a float token the parser accepted (not `NaN` or
/// `Infinity`, which are written as they are).
pub(super) fn write_float(out: &mut Out<'_>, token: &[u8]) {
    if !write_short(out, token) {
        via_f64(out, token);
    }
}

/// The common case, and the one a body of `1e-7`s makes the whole cost: written from the
/// token's text alone (see [`Shortest::read_short_token`]), no float conversion. Returns
/// false, having written nothing, for any other token.
fn write_short(out: &mut Out<'_>, token: &[u8]) -> bool {
    let mut shortest = Shortest::EMPTY;
    if !shortest.read_short_token(token) {
        return false;
    }
    shortest.write_repr(out);
    true
}

/// Whether CPython's repr of this float token is the token itself (`183.25`, `0.0`, not
/// `1.50` or `1e-05`; only the cheap cases are recognised).
pub(super) fn is_repr(token: &[u8]) -> bool {
    ShortDecimal::of(token).is_some_and(|short| {
        short.frac.len() == short.frac_written || (short.frac.is_empty() && short.frac_written == 1)
    })
}

/// A float token in fixed notation (`12.50`, `-0.125`) with at most 15 significant digits,
/// as far as [`is_repr`] needs it.
struct ShortDecimal<'t> {
    /// The fraction digits, trailing zeros dropped.
    frac: &'t [u8],
    /// How many fraction digits the token has.
    frac_written: usize,
}

impl<'t> ShortDecimal<'t> {
    fn of(token: &'t [u8]) -> Option<Self> {
        let unsigned = token.strip_prefix(b"-").unwrap_or(token);
        let dot = unsigned.iter().position(|&b| b == b'.')?;
        let int = unsigned.get(..dot)?;
        let frac = unsigned.get(dot + 1..)?;
        if frac.iter().any(|&b| b == b'e' || b == b'E') {
            return None;
        }
        let frac_written = frac.len();
        let kept = frac.len() - frac.iter().rev().take_while(|&&b| b == b'0').count();
        let frac = frac.get(..kept)?;
        let significant = if int == b"0" {
            let leading_zeros = frac.iter().take_while(|&&b| b == b'0').count();
            // 0.0001 is the smallest magnitude repr writes in fixed notation.
            if leading_zeros > 3 {
                return None;
            }
            frac.len() - leading_zeros
        } else {
            int.len() + frac.len()
        };
        (significant <= 15).then_some(Self { frac, frac_written })
    }
}

/// Mantissa digits kept when a token is rewritten for [`parse`]: more than the 767
/// significant digits of the longest decimal that lies exactly halfway between two doubles,
/// so the digits dropped (not all zero, trailing zeros being stripped first) only ever stand
/// for "a little more", which a final `1` keeps.
const KEPT_DIGITS: usize = 800;

/// Explicit exponents below this (in magnitude) are read correctly by `str::parse`, whose
/// exponent accumulator stops counting at 65536: `e-655360` would be read as `e-65536`.
const PARSE_SAFE_EXPONENT: i64 = 10_000;

/// `float(token)` as CPython computes it, for a float token the parser accepted: correctly
/// rounded whatever the length of the mantissa or the exponent, values too large becoming
/// infinite and values too small a signed zero. Only for JSON number tokens (what the
/// parser hands over): a short one goes to `str::parse` unchecked, and that also reads
/// `inf` or `.5`.
pub(super) fn parse(token: &[u8]) -> Option<f64> {
    if has_short_exponent(token) {
        // The common case: `str::parse` is exact here, and allocates nothing.
        return std::str::from_utf8(token).ok()?.parse().ok();
    }
    let (negative, unsigned) = match token.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, token),
    };
    let e_at = unsigned
        .iter()
        .position(|&b| b == b'e' || b == b'E')
        .unwrap_or(unsigned.len());
    let (mantissa, exponent_part) = unsigned.split_at(e_at);
    let exponent = match exponent_part.split_first() {
        Some((_, exponent)) => parse_exponent(exponent)?,
        None => 0,
    };
    let (int, frac) = match mantissa.iter().position(|&b| b == b'.') {
        Some(dot) => {
            let (int, dot_frac) = mantissa.split_at(dot);
            (int, dot_frac.get(1..).unwrap_or_default())
        }
        None => (mantissa, &[][..]),
    };
    if int.is_empty() || !int.iter().chain(frac).all(u8::is_ascii_digit) {
        return None;
    }
    if exponent.abs() < PARSE_SAFE_EXPONENT {
        return std::str::from_utf8(token).ok()?.parse().ok();
    }
    let digits = || int.iter().chain(frac).copied();
    let total = int.len() + frac.len();
    let leading = digits().take_while(|&d| d == b'0').count();
    if leading == total {
        return Some(if negative { -0.0 } else { 0.0 });
    }
    let trailing = digits().rev().take_while(|&d| d == b'0').count();
    let significant = total - leading - trailing;
    // The value is 0.DDDD x 10^point, D the significant digits.
    let point = i64::try_from(int.len())
        .ok()?
        .saturating_sub(i64::try_from(leading).ok()?)
        .saturating_add(exponent);
    // 0.1e310 is past f64::MAX; 0.99..e-324 is below half the smallest subnormal.
    if point >= 310 || point <= -324 {
        let magnitude = if point > 0 { f64::INFINITY } else { 0.0 };
        return Some(if negative { -magnitude } else { magnitude });
    }
    let mut text = String::with_capacity(KEPT_DIGITS + 16);
    if negative {
        text.push('-');
    }
    text.push_str("0.");
    text.extend(
        digits()
            .skip(leading)
            .take(significant.min(KEPT_DIGITS))
            .map(char::from),
    );
    if significant > KEPT_DIGITS {
        text.push('1');
    }
    write!(text, "e{point}").ok()?;
    text.parse().ok()
}

/// Whether the token has no exponent or one of at most four digits, read from its end
/// (where the exponent is) without a pass over the mantissa.
fn has_short_exponent(token: &[u8]) -> bool {
    let digits = token
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let before = token.len() - digits;
    let marker = match token.get(..before) {
        Some([.., b'e' | b'E', b'+' | b'-']) => before.checked_sub(2),
        Some([.., b'e' | b'E']) => before.checked_sub(1),
        _ => return !token.iter().any(|&b| b == b'e' || b == b'E'),
    };
    // `PARSE_SAFE_EXPONENT` has five digits: four are always safe.
    marker.is_some() && digits > 0 && digits <= 4
}

/// An exponent's value (sign and digits after the `e`), saturating far beyond any exponent
/// that leaves a finite non-zero double.
fn parse_exponent(exponent: &[u8]) -> Option<i64> {
    let (negative, digits) = match exponent.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, exponent),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let magnitude = digits.iter().fold(0i64, |acc, &d| {
        acc.saturating_mul(10).saturating_add(i64::from(d - b'0'))
    });
    Some(if negative { -magnitude } else { magnitude })
}

/// Parses the token (correctly rounded) and writes Python's repr of the double.
fn via_f64(out: &mut Out<'_>, token: &[u8]) {
    let Some(value) = parse(token) else {
        // Unreachable for tokens the parser accepted; never panic on it.
        out.bytes(token);
        return;
    };
    if value.is_infinite() {
        out.bytes(if value < 0.0 {
            b"-Infinity"
        } else {
            b"Infinity"
        });
        return;
    }
    let Some(mut shortest) = Shortest::of(value) else {
        out.bytes(token);
        return;
    };
    shortest.break_ties_to_even(value);
    shortest.write_repr(out);
}

/// The shortest digits that round-trip to a double, and the decimal exponent of the first.
struct Shortest {
    negative: bool,
    digits: [u8; 24],
    count: usize,
    exponent: i32,
}

impl Shortest {
    const EMPTY: Self = Self {
        negative: false,
        digits: [0; 24],
        count: 0,
        exponent: 0,
    };

    /// Reads the repr digits of a token with at most 15 significant digits whose value is a
    /// normal double (decimal exponent within -307..=307), read from its text alone: a
    /// decimal with at most 15 significant digits survives decimal -> double -> decimal
    /// (DBL_DIG), so no shorter string names the same double and its digits without leading
    /// and trailing zeros are the shortest round-trip digits. A zero value is written `0.0`
    /// (or `-0.0`). False for any other token (what was read is then meaningless).
    #[inline]
    fn read_short_token(&mut self, token: &[u8]) -> bool {
        if self.read(token, 15).is_none() {
            return false;
        }
        // A normal double, so that DBL_DIG holds (a zero is exact whatever its exponent).
        self.count == 1 && self.digits[0] == b'0' || (-307..=307).contains(&self.exponent)
    }

    /// The digits of a decimal number's text from its first significant digit to its
    /// last, and the decimal exponent of the first; `None` when they are more than
    /// `max_digits` (at most 24) or the text is not a decimal number with an exponent of
    /// at most six digits. A zero is the digit `0` with exponent 0.
    #[inline(always)]
    fn read(&mut self, token: &[u8], max_digits: usize) -> Option<()> {
        // Filled in place, not returned: a body of numbers makes this the whole cost, and
        // moving the struct out through an `Option` cost more than reading the token.
        let shortest = self;
        shortest.negative = false;
        let mut rest = token;
        if let [b'-', unsigned @ ..] = rest {
            shortest.negative = true;
            rest = unsigned;
        }
        // One pass over the mantissa (a body of numbers makes this loop the whole cost):
        // the digits from the first significant one on, where the last one is, and how
        // many digits come before the point.
        let (mut index, mut first, mut last) = (0usize, None, 0usize);
        let mut int_len = None;
        let mut exponent_text = None;
        for (at, &byte) in rest.iter().enumerate() {
            match byte {
                b'0'..=b'9' => {
                    if byte != b'0' {
                        let start = *first.get_or_insert(index);
                        if index - start >= max_digits {
                            return None;
                        }
                        last = index;
                    }
                    if let Some(start) = first {
                        if let Some(slot) = shortest.digits.get_mut(index - start) {
                            *slot = byte;
                        }
                    }
                    index += 1;
                }
                b'.' if int_len.is_none() && index > 0 => int_len = Some(index),
                b'e' | b'E' => {
                    exponent_text = Some(rest.get(at + 1..)?);
                    break;
                }
                _ => return None,
            }
        }
        let int_len = int_len.unwrap_or(index);
        // `1.` and `.5` are not decimal numbers (the point must have digits on both sides).
        if index == 0 || (int_len == index && rest.get(int_len) == Some(&b'.')) {
            return None;
        }
        let exponent: i64 = match exponent_text {
            None => 0,
            Some([b'+', digits @ ..]) => short_integer(digits)?,
            Some([b'-', digits @ ..]) => -short_integer(digits)?,
            Some(digits) => short_integer(digits)?,
        };
        let Some(first) = first else {
            shortest.digits[0] = b'0';
            shortest.count = 1;
            shortest.exponent = 0;
            return Some(());
        };
        shortest.count = last - first + 1;
        let point = int_len as i64 - 1 - first as i64 + exponent;
        shortest.exponent = i32::try_from(point).ok()?;
        Some(())
    }

    /// The shortest round-trip digits of a finite double, as Python's repr finds them
    /// (but for ties, see [`Self::break_ties_to_even`]), from `zmij`'s shortest formatting:
    /// several times faster than `{:e}`, and a body of numbers that need it all is an
    /// attacker's cheapest way to make the canonical form dear.
    fn of(value: f64) -> Option<Self> {
        let mut text = zmij::Buffer::new();
        let mut shortest = Self::EMPTY;
        shortest.read(text.format_finite(value).as_bytes(), 17)?;
        Some(shortest)
    }

    fn digits(&self) -> &[u8] {
        self.digits.get(..self.count).unwrap_or_default()
    }

    /// When the double lies exactly halfway between the two nearest candidates of the
    /// shortest length, both round-trip: CPython's dtoa then takes the one whose last digit
    /// is even (`1000000000000000.25` is `...0.2` in Python), which the formatter the digits
    /// came from need not do (Rust's `{:e}` takes the upper one). A tie needs the double's exact decimal expansion to be one digit longer than
    /// the shortest, ending in 5; that is only possible for non-integers with few fraction
    /// bits, which an integer computation settles.
    fn break_ties_to_even(&mut self, value: f64) {
        let bits = value.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i32;
        let fraction = bits & ((1 << 52) - 1);
        let (mut mantissa, mut exp2) = if biased == 0 {
            (fraction, -1074)
        } else {
            (fraction | (1 << 52), biased - 1075)
        };
        if mantissa == 0 {
            return;
        }
        let zeros = mantissa.trailing_zeros();
        mantissa >>= zeros;
        exp2 += zeros as i32;
        // A tie needs the double's exact decimal expansion, mantissa x 5^-exp2 with -exp2
        // fraction digits, to be at most 18 digits long (one more than the longest
        // shortest); 5^26 alone has 19.
        if !(-25..0).contains(&exp2) {
            return;
        }
        // |value| * 10^f, an integer: the exact decimal digits of the double.
        let Some(exact) = 5u128
            .checked_pow(exp2.unsigned_abs())
            .and_then(|p| p.checked_mul(u128::from(mantissa)))
        else {
            return;
        };
        if exact % 10 != 5 || decimal_len(exact) != self.count + 1 {
            return;
        }
        let lower = exact / 10;
        let even = if lower % 2 == 0 { lower } else { lower + 1 };
        let current = self
            .digits()
            .iter()
            .fold(0u128, |acc, &d| acc * 10 + u128::from(d - b'0'));
        if even == current {
            return;
        }
        let saved = (self.digits, self.count, self.exponent);
        let mut storage = [0; TEXT_ROOM];
        let mut text = Text::new(&mut storage);
        if write!(text, "{even}").is_err() {
            return;
        }
        if decimal_len(even) > self.count {
            // 99..9 rounded up to 100..0.
            self.exponent += 1;
        }
        let new_digits = text.as_bytes();
        let kept = new_digits.len() - new_digits.iter().rev().take_while(|&&d| d == b'0').count();
        self.count = 0;
        for &d in new_digits.get(..kept.max(1)).unwrap_or_default() {
            if let Some(slot) = self.digits.get_mut(self.count) {
                *slot = d;
                self.count += 1;
            }
        }
        // The other candidate must still name the same double; keep the first candidate's digits if not.
        if self.parse() != Some(value.abs()) {
            (self.digits, self.count, self.exponent) = saved;
        }
    }

    /// The magnitude these digits stand for.
    fn parse(&self) -> Option<f64> {
        let mut storage = [0; TEXT_ROOM];
        let mut text = Text::new(&mut storage);
        for &d in self.digits() {
            text.write_char(char::from(d)).ok()?;
        }
        write!(text, "e{}", self.exponent - (self.count as i32 - 1)).ok()?;
        std::str::from_utf8(text.as_bytes()).ok()?.parse().ok()
    }

    /// Writes Python's repr of these digits (see [`repr_layout`]).
    fn write_repr(&self, out: &mut Out<'_>) {
        out.direct(|window| {
            let mut text = Text::new(window);
            if self.negative {
                text.push(b'-');
            }
            repr_layout(&mut text, &self.digits, self.count, self.exponent);
            text.len
        });
    }
}

/// Python's repr layout of the first `count` of `digits` (the first non-zero to the last
/// non-zero; or `0`) whose first digit stands at decimal `exponent`: fixed notation for
/// exponents -4..=15 (with `.0` when integral), otherwise `d.ddde+XX` with at least two
/// exponent digits. Digits and zeros are copied in fixed-size blocks and the point put in
/// by moving what follows it: a body of numbers makes this the whole cost, and copies of
/// varying length are calls into `memcpy`.
fn repr_layout(text: &mut Text<'_>, digits: &[u8; 24], count: usize, exponent: i32) {
    const ZEROS: &[u8; 24] = b"000000000000000000000000";
    if (-4..16).contains(&exponent) {
        if exponent >= 0 {
            let point = exponent.unsigned_abs() as usize + 1;
            if count <= point {
                text.push_block(digits, count);
                text.push_block(ZEROS, point - count);
                text.push_block(b".0", 2);
            } else {
                text.push_block(digits, count);
                text.insert_point(count - point);
            }
        } else {
            text.push_block(b"0.", 2);
            text.push_block(ZEROS, exponent.unsigned_abs() as usize - 1);
            text.push_block(digits, count);
        }
    } else {
        text.push_block(digits, count);
        if count > 1 {
            text.insert_point(count - 1);
        }
        text.push_block(if exponent < 0 { b"e-" } else { b"e+" }, 2);
        // At least two digits, as C's printf writes them; doubles need at most three.
        let magnitude = exponent.unsigned_abs().min(999);
        let digit = |value: u32| b'0' + (value % 10) as u8;
        if magnitude >= 100 {
            text.push(digit(magnitude / 100));
        }
        text.push(digit(magnitude / 10));
        text.push(digit(magnitude));
    }
}

/// A short run of decimal digits (at most 6: exponents beyond are not short tokens).
fn short_integer(digits: &[u8]) -> Option<i64> {
    if digits.is_empty() || digits.len() > 6 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        digits
            .iter()
            .fold(0i64, |value, digit| value * 10 + i64::from(digit - b'0')),
    )
}

fn decimal_len(mut n: u128) -> usize {
    let mut len = 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

/// A few bytes of text written in place (a float's repr, at most 24 bytes, straight into
/// the output, or a number formatted on the stack to check it): writing a number must not
/// allocate or copy. Blocks are copied whole, so the room must exceed the text by the
/// largest block (see [`TEXT_ROOM`]).
struct Text<'b> {
    buf: &'b mut [u8],
    len: usize,
}

/// Room a [`Text`] needs: the longest repr (24 bytes: `-`, 17 digits, the point and
/// `e-308`), and past where a block starts, the largest block [`Text::push_block`] copies
/// (24 bytes; the furthest one reaches is byte 41).
pub(super) const TEXT_ROOM: usize = 64;

impl<'b> Text<'b> {
    fn new(buf: &'b mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    #[inline]
    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }

    /// Appends the first `len` bytes of `block`, copying all of it (a fixed-size copy);
    /// nothing when the block would not fit.
    #[inline]
    fn push_block<const N: usize>(&mut self, block: &[u8; N], len: usize) {
        if let Some(slot) = self.buf.get_mut(self.len..self.len + N) {
            slot.copy_from_slice(block);
            self.len += len.min(N);
        }
    }

    /// Puts a `.` before the last `after` bytes (at most 24), moving them one place on.
    #[inline]
    fn insert_point(&mut self, after: usize) {
        const MOVED: usize = 24;
        let at = self.len.saturating_sub(after);
        if at + 1 + MOVED <= self.buf.len() && after <= MOVED {
            self.buf.copy_within(at..at + MOVED, at + 1);
            if let Some(slot) = self.buf.get_mut(at) {
                *slot = b'.';
            }
            self.len += 1;
        }
    }

    /// Appends `bytes`; `false` (nothing appended) when they do not fit.
    #[inline]
    fn push_all(&mut self, bytes: &[u8]) -> bool {
        let end = self.len + bytes.len();
        let Some(slot) = self.buf.get_mut(self.len..end) else {
            return false;
        };
        slot.copy_from_slice(bytes);
        self.len = end;
        true
    }
}

impl fmt::Write for Text<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.push_all(s.as_bytes()) {
            Ok(())
        } else {
            Err(fmt::Error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(token: &str) -> (Option<String>, String) {
        let mut fast = Vec::new();
        let wrote = {
            let mut sink = |c: &[u8]| fast.extend_from_slice(c);
            let mut out = Out::new(&mut sink, 64);
            let wrote = write_short(&mut out, token.as_bytes());
            out.flush();
            wrote
        };
        let mut slow = Vec::new();
        {
            let mut sink = |c: &[u8]| slow.extend_from_slice(c);
            let mut out = Out::new(&mut sink, 64);
            via_f64(&mut out, token.as_bytes());
            out.flush();
        }
        let fast = wrote.then(|| String::from_utf8(fast).unwrap_or_default());
        (fast, String::from_utf8(slow).unwrap_or_default())
    }

    #[test]
    fn fast_path_agrees_with_the_f64_path() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut fast_taken = 0;
        for _ in 0..20_000 {
            let int_len = (next() % 18) as usize;
            let frac_len = 1 + (next() % 18) as usize;
            let mut token = String::new();
            if next() % 2 == 0 {
                token.push('-');
            }
            if int_len == 0 {
                token.push('0');
            } else {
                token.push(char::from(b'1' + (next() % 9) as u8));
                for _ in 1..int_len {
                    token.push(char::from(b'0' + (next() % 10) as u8));
                }
            }
            token.push('.');
            for _ in 0..frac_len {
                // Zero-heavy digits to hit leading and trailing zero runs.
                let d = if next() % 3 == 0 { next() % 10 } else { 0 };
                token.push(char::from(b'0' + d as u8));
            }
            let (fast, slow) = both(&token);
            if let Some(fast) = fast {
                fast_taken += 1;
                assert_eq!(fast, slow, "token {token}");
            }
        }
        assert!(fast_taken > 1000, "fast path taken only {fast_taken} times");
    }

    /// The text-only path against the float path, over tokens with exponents, signs, zero
    /// runs and the edges of the range it takes.
    #[test]
    fn short_tokens_agree_with_the_f64_path() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut taken = 0;
        for round in 0..40_000 {
            let mut token = String::new();
            if next() % 2 == 0 {
                token.push('-');
            }
            let int_len = 1 + (next() % 17) as usize;
            for index in 0..int_len {
                let d = if index == 0 && int_len > 1 {
                    1 + next() % 9
                } else if next() % 3 == 0 {
                    next() % 10
                } else {
                    0
                };
                token.push(char::from(b'0' + d as u8));
            }
            if next() % 2 == 0 {
                token.push('.');
                for _ in 0..1 + next() % 17 {
                    let d = if next() % 3 == 0 { next() % 10 } else { 0 };
                    token.push(char::from(b'0' + d as u8));
                }
            }
            if round % 4 != 0 {
                token.push(if next() % 2 == 0 { 'e' } else { 'E' });
                match next() % 3 {
                    0 => token.push('-'),
                    1 => token.push('+'),
                    _ => {}
                }
                let magnitude = if next() % 5 == 0 {
                    290 + next() % 40
                } else {
                    next() % 40
                };
                token.push_str(&magnitude.to_string());
            }
            let (fast, slow) = both(&token);
            let wrote = fast.is_some();
            let fast = fast.unwrap_or_default().into_bytes();
            if wrote {
                taken += 1;
                assert_eq!(String::from_utf8(fast).unwrap(), slow, "token {token}");
            }
        }
        assert!(taken > 10_000, "text path taken only {taken} times");
        for (token, repr) in [
            ("1e-7", "1e-07"),
            ("-0e5", "-0.0"),
            ("0.0e-400", "0.0"),
            ("1E+16", "1e+16"),
            ("123.4500e2", "12345.0"),
            ("1e307", "1e+307"),
            ("1e-307", "1e-307"),
        ] {
            let text = both(token).0.unwrap_or_default();
            assert_eq!(text, repr, "{token}");
        }
        for beyond in ["1e308", "1e-308", "1234567890123456e0", "1e1000000"] {
            assert!(both(beyond).0.is_none(), "{beyond}");
        }
    }

    #[test]
    fn exponents_past_what_str_parse_counts_are_read_in_full() {
        let huge_mantissa = format!("12{}", "0".repeat(65_532));
        // 1.2e65533 * 10^-655360 is far below the smallest subnormal; read as e-65536 it
        // would be 0.0012.
        let token = format!("{huge_mantissa}e-655360");
        assert_eq!(parse(token.as_bytes()), Some(0.0));
        assert_eq!(both(&token).1, "0.0");
        assert_eq!(both(&format!("-{token}")).1, "-0.0");
        // Within range the long mantissa still counts: 1.2e65533 * 10^-65536.
        assert_eq!(both(&format!("{huge_mantissa}e-65536")).1, "0.0012");
        assert_eq!(both(&format!("{huge_mantissa}.5e-65536")).1, "0.0012");
        // A positive exponent balanced by leading zeros of the fraction.
        let tiny = format!("0.{}12e70000", "0".repeat(69_999));
        assert_eq!(both(&tiny).1, "1.2");
        for (token, repr) in [
            ("1e65536", "Infinity"),
            ("1e-65536", "0.0"),
            ("1e655360", "Infinity"),
            ("-1e9223372036854775807", "-Infinity"),
            ("1e-9223372036854775808", "0.0"),
            ("1e99999999999999999999999999", "Infinity"),
            ("0e99999999999999999999999999", "0.0"),
            ("-0.000e-99999999999", "-0.0"),
            ("1e+0000000000000000000000000000000000000001", "10.0"),
        ] {
            assert_eq!(both(token).1, repr, "token {token}");
        }
    }

    #[test]
    fn long_mantissas_keep_their_rounding() {
        // Exactly halfway between 1 and the next double, then a hair above it: the digits
        // that decide the rounding sit far past what is kept verbatim.
        let half = "1.00000000000000011102230246251565404236316680908203125";
        assert_eq!(both(&format!("{half}e10000")).1, "Infinity");
        let above = format!("{half}{}1e0", "0".repeat(2_000));
        assert_eq!(parse(half.as_bytes()), Some(1.0));
        assert_eq!(parse(above.as_bytes()), Some(1.0000000000000002));
        // The same digits behind 20,000 zeros, brought back by a large exponent.
        let digits = format!("{}{}1", half.replace('.', ""), "0".repeat(2_000));
        let far = format!("0.{}{digits}e20001", "0".repeat(20_000));
        assert_eq!(parse(far.as_bytes()), Some(1.0000000000000002));
        let exact = format!("0.{}{}e20001", "0".repeat(20_000), half.replace('.', ""));
        assert_eq!(parse(exact.as_bytes()), Some(1.0));
    }

    #[test]
    fn tokens_already_in_repr_form() {
        for token in [
            "0.0",
            "-0.0",
            "183.25",
            "0.0031",
            "0.0001",
            "123456789012345.0",
            "1.5",
        ] {
            assert!(is_repr(token.as_bytes()), "{token}");
            assert_eq!(both(token).1, token);
        }
        for token in [
            "1.50",
            "1.00",
            "0.00001",
            "1e-05",
            "1E2",
            "0.30000000000000004",
        ] {
            assert!(!is_repr(token.as_bytes()), "{token}");
        }
    }

    #[test]
    fn only_decimal_numbers_are_read() {
        for text in [
            "1.", ".5", "-", "", "1e", "1e+", "--1", "1..5", "1.5.2", "e5", "1x", "1e5e5",
        ] {
            let mut shortest = Shortest::EMPTY;
            assert!(shortest.read(text.as_bytes(), 24).is_none(), "{text:?}");
        }
        let read = |text: &str| {
            let mut shortest = Shortest::EMPTY;
            shortest.read(text.as_bytes(), 24).unwrap();
            (
                shortest.negative,
                String::from_utf8(shortest.digits().to_vec()).unwrap(),
                shortest.exponent,
            )
        };
        assert_eq!(read("-0.00120e2"), (true, "12".into(), -1));
        assert_eq!(read("1200"), (false, "12".into(), 3));
        assert_eq!(read("0.0"), (false, "0".into(), 0));
        assert_eq!(
            read("1.2345678901234567E-7"),
            (false, "12345678901234567".into(), -7)
        );
        let mut shortest = Shortest::EMPTY;
        assert!(shortest.read(b"1.234567890123456", 15).is_none());
        assert!(shortest.read(b"1e1234567", 24).is_none());
    }

    #[test]
    fn short_exponents_are_told_from_the_end() {
        for short in ["1.5", "15", "1e5", "1E-5", "1.5e+9999", "-0.5e0"] {
            assert!(has_short_exponent(short.as_bytes()), "{short}");
        }
        for long in ["1e10000", "1.5E-65536", "1e+123456"] {
            assert!(!has_short_exponent(long.as_bytes()), "{long}");
        }
    }

    #[test]
    fn repr_layouts() {
        for (token, repr) in [
            ("1e15", "1000000000000000.0"),
            ("1E2", "100.0"),
            ("1E+2", "100.0"),
            ("1.50", "1.5"),
            ("-0.0", "-0.0"),
            ("0.0001", "0.0001"),
            ("0.00001", "1e-05"),
            ("1e-5", "1e-05"),
            ("1e16", "1e+16"),
            ("9999999999999998.0", "9999999999999998.0"),
            ("1.5e300", "1.5e+300"),
            ("5e-324", "5e-324"),
            ("2e-324", "0.0"),
            ("3e-324", "5e-324"),
            ("1.7976931348623157e308", "1.7976931348623157e+308"),
            ("1.8e308", "Infinity"),
            ("-1e400", "-Infinity"),
            ("0.1", "0.1"),
            ("123456789.125e-3", "123456.789125"),
            ("1e22", "1e+22"),
            ("2.2250738585072014e-308", "2.2250738585072014e-308"),
            ("4.9406564584124654e-324", "5e-324"),
            ("0.30000000000000004", "0.30000000000000004"),
            ("-12.0e0", "-12.0"),
            // Exact ties between two shortest candidates go to the even digit, as in CPython.
            ("1000000000000000.25", "1000000000000000.2"),
            ("1000000000000000.75", "1000000000000000.8"),
            ("1000000000000000.125", "1000000000000000.1"),
            ("1442218524094532.25", "1442218524094532.2"),
            ("902687321320635.25", "902687321320635.2"),
            ("-902687321320635.25", "-902687321320635.2"),
            ("4503599627370495.5", "4503599627370495.5"),
            ("2251799813685247.75", "2251799813685247.8"),
        ] {
            assert_eq!(both(token).1, repr, "token {token}");
        }
    }
}
