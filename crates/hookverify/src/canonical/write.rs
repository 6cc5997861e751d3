//! Output: a buffer that hands the sink few, large chunks (the sink is usually an HMAC
//! update, whose per-call cost would dominate with one call per token), and the string
//! escaping of CPython's C encoder with `ensure_ascii=True`.

use super::scan;

/// Bytes gathered before the sink sees them.
const CHUNK: usize = 8 * 1024;

/// Room kept past the gathered bytes for one [`Out::direct`] write.
const SLACK: usize = super::float::TEXT_ROOM;

/// Where full chunks of output go.
type Sink<'s> = &'s mut dyn FnMut(&[u8]);

/// The canonical form being written.
pub(super) struct Out<'s> {
    /// A zero-filled window, `buf[..len]` written, with room past the end for a number
    /// written in place (a `Vec`'s spare capacity cannot be written without `unsafe`).
    buf: Vec<u8>,
    len: usize,
    /// Bytes gathered before they go to the sink; `len` never stays past it.
    limit: usize,
    /// Where full chunks go; `None` collects the whole output in `buf`.
    sink: Option<Sink<'s>>,
}

impl<'s> Out<'s> {
    /// `expected` is roughly how long the output will be: a small document gets a small
    /// buffer (a large allocation costs more than the whole of a small document's output).
    pub(super) fn new(sink: Sink<'s>, expected: usize) -> Self {
        let limit = expected.clamp(256, CHUNK);
        Self {
            buf: vec![0; limit + SLACK],
            len: 0,
            limit,
            sink: Some(sink),
        }
    }

    /// Collects the whole output in one vector (no chunking, so no second copy).
    pub(super) fn collecting(capacity: usize) -> Self {
        Self {
            buf: vec![0; capacity + SLACK],
            len: 0,
            limit: usize::MAX,
            sink: None,
        }
    }

    /// The collected output (all of it when made by [`Out::collecting`]).
    pub(super) fn into_vec(mut self) -> Vec<u8> {
        self.buf.truncate(self.len);
        self.buf
    }

    #[inline]
    pub(super) fn bytes(&mut self, bytes: &[u8]) {
        let end = self.len.saturating_add(bytes.len());
        if end <= self.limit {
            if let Some(slot) = self.buf.get_mut(self.len..end) {
                slot.copy_from_slice(bytes);
                self.len = end;
                return;
            }
        }
        self.spill(bytes);
    }

    #[inline]
    pub(super) fn byte(&mut self, byte: u8) {
        if self.len < self.limit {
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = byte;
                self.len += 1;
                return;
            }
        }
        self.spill(&[byte]);
    }

    /// Lets `write` put up to [`SLACK`] bytes straight into the output (a float's repr,
    /// laid out in place rather than on the stack and copied); it returns how many it wrote.
    #[inline]
    pub(super) fn direct(&mut self, write: impl FnOnce(&mut [u8]) -> usize) {
        if self.len + SLACK > self.buf.len() {
            // Only when collecting: a sink's window always has the room.
            self.grow(SLACK);
        }
        let Some(window) = self.buf.get_mut(self.len..self.len + SLACK) else {
            return;
        };
        self.len += write(window).min(SLACK);
        if self.len > self.limit {
            self.flush();
        }
    }

    /// Makes room for `more` bytes and a block past them when collecting (doubling).
    #[cold]
    fn grow(&mut self, more: usize) {
        let needed = self.len + more + SLACK;
        if needed > self.buf.len() {
            self.buf.resize(needed.max(self.buf.len() * 2), 0);
        }
    }

    #[cold]
    fn spill(&mut self, bytes: &[u8]) {
        self.flush();
        match &mut self.sink {
            // Large enough to be a chunk of its own: spare the copy.
            Some(sink) if bytes.len() >= self.limit / 2 => sink(bytes),
            Some(_) => self.append(bytes),
            None => {
                self.grow(bytes.len());
                self.append(bytes);
            }
        }
    }

    /// Copies `bytes` in where there is room for them (checked by the caller).
    fn append(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        if let Some(slot) = self.buf.get_mut(self.len..end) {
            slot.copy_from_slice(bytes);
            self.len = end;
        }
    }

    /// Hands everything buffered to the sink, if there is one.
    pub(super) fn flush(&mut self) {
        if let Some(sink) = &mut self.sink {
            if self.len > 0 {
                sink(self.buf.get(..self.len).unwrap_or_default());
                self.len = 0;
            }
        }
    }
}

/// Writes string contents taken from the body (escapes checked by the parser), re-escaped
/// the way CPython's `ensure_ascii` encoder does it. Quotes are not written.
pub(super) fn string_contents(out: &mut Out<'_>, raw: &[u8]) {
    /// Escaped text gathered before it is written: a run of non-ASCII text costs one write
    /// per few dozen characters, not one per character (an attacker's body can be all of it).
    const BATCH: usize = 96;
    let mut batch = [0u8; BATCH];
    let mut rest = raw;
    loop {
        let run = scan::plain_run(rest);
        out.bytes(rest.get(..run).unwrap_or_default());
        rest = rest.get(run..).unwrap_or_default();
        if rest.is_empty() {
            return;
        }
        // Characters to escape, until plain text comes again or the batch is full.
        let mut len = 0;
        while let Some(&first) = rest.first() {
            if len + MAX_ESCAPE > BATCH || scan::is_plain(first) {
                break;
            }
            // Two-byte characters (Latin, Greek, Cyrillic, Hebrew, Arabic...) are most of a
            // non-ASCII text, and each is `\u0` and three hex digits: no decoding match, no
            // escape match (the parser checked the sequence).
            if let (0xc2..=0xdf, Some(&second)) = (first, rest.get(1)) {
                let cp = (u32::from(first & 0x1f) << 6) | u32::from(second & 0x3f);
                if let Some(slot) = batch.get_mut(len..len + 6) {
                    u_escape(slot, cp);
                    len += 6;
                }
                rest = rest.get(2..).unwrap_or_default();
                continue;
            }
            // Each `\u` escape is re-encoded on its own: a surrogate pair that CPython joins
            // into one astral character is written back as the same two escapes anyway.
            let (cp, taken) = if first == b'\\' {
                scan::decode_escape(rest)
            } else {
                scan::decode_utf8(rest)
            };
            if let Some(slot) = batch.get_mut(len..len + MAX_ESCAPE) {
                len += escape(slot, cp);
            }
            rest = rest.get(taken..).unwrap_or_default();
        }
        out.bytes(batch.get(..len).unwrap_or_default());
    }
}

/// Longest escape of one code point: a surrogate pair, `\ud83d\ude00`.
const MAX_ESCAPE: usize = 12;

/// Writes one code point into `slot` (at least [`MAX_ESCAPE`] bytes) as CPython's
/// `ensure_ascii` encoder does; returns how many bytes it took.
#[inline]
fn escape(slot: &mut [u8], cp: u32) -> usize {
    let short = |slot: &mut [u8], letter: u8| {
        if let Some(two) = slot.get_mut(..2) {
            two.copy_from_slice(&[b'\\', letter]);
        }
        2
    };
    match cp {
        0x22 => short(slot, b'"'),
        0x5c => short(slot, b'\\'),
        0x08 => short(slot, b'b'),
        0x0c => short(slot, b'f'),
        0x0a => short(slot, b'n'),
        0x0d => short(slot, b'r'),
        0x09 => short(slot, b't'),
        #[allow(clippy::cast_possible_truncation)] // in range by the pattern
        0x20..=0x7e => {
            if let Some(byte) = slot.first_mut() {
                *byte = cp as u8;
            }
            1
        }
        0x10000.. => {
            let v = cp - 0x10000;
            u_escape(slot, 0xd800 | (v >> 10));
            u_escape(slot.get_mut(6..).unwrap_or_default(), 0xdc00 | (v & 0x3ff));
            12
        }
        _ => {
            u_escape(slot, cp);
            6
        }
    }
}

fn u_escape(slot: &mut [u8], unit: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digit = |shift: u32| HEX[((unit >> shift) & 0xf) as usize];
    if let Some(six) = slot.get_mut(..6) {
        six.copy_from_slice(&[b'\\', b'u', digit(12), digit(8), digit(4), digit(0)]);
    }
}
