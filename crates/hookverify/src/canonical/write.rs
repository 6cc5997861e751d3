//! Output: a buffer that hands the sink few, large chunks (the sink is usually an HMAC
//! update, whose per-call cost would dominate with one call per token), and the string
//! escaping of CPython's C encoder with `ensure_ascii=True`.

use super::scan;

/// Bytes gathered before the sink sees them.
const CHUNK: usize = 8 * 1024;

/// Where full chunks of output go.
type Sink<'s> = &'s mut dyn FnMut(&[u8]);

/// The canonical form being written.
pub(super) struct Out<'s> {
    buf: Vec<u8>,
    /// Bytes gathered before they go to the sink; the buffer never grows past it.
    limit: usize,
    /// Where full chunks go; `None` collects the whole output in `buf`.
    sink: Option<Sink<'s>>,
}

impl<'s> Out<'s> {
    /// `expected` is roughly how long the output will be: a small document gets a small
    /// buffer (a large allocation costs more than the whole of a small document's output).
    pub(super) fn new(sink: Sink<'s>, expected: usize) -> Self {
        let limit = expected.clamp(256, CHUNK);
        // A Vec rather than an array: nothing to zero.
        Self {
            buf: Vec::with_capacity(limit),
            limit,
            sink: Some(sink),
        }
    }

    /// Collects the whole output in one vector (no chunking, so no second copy).
    pub(super) fn collecting(capacity: usize) -> Self {
        Self {
            buf: Vec::with_capacity(capacity),
            limit: usize::MAX,
            sink: None,
        }
    }

    /// The collected output (all of it when made by [`Out::collecting`]).
    pub(super) fn into_vec(self) -> Vec<u8> {
        self.buf
    }

    #[inline]
    pub(super) fn bytes(&mut self, bytes: &[u8]) {
        if self.buf.len().saturating_add(bytes.len()) <= self.limit {
            self.buf.extend_from_slice(bytes);
        } else {
            self.spill(bytes);
        }
    }

    #[inline]
    pub(super) fn byte(&mut self, byte: u8) {
        if self.buf.len() < self.limit {
            self.buf.push(byte);
        } else {
            self.spill(&[byte]);
        }
    }

    #[cold]
    fn spill(&mut self, bytes: &[u8]) {
        self.flush();
        match &mut self.sink {
            // Large enough to be a chunk of its own: spare the copy.
            Some(sink) if bytes.len() >= self.limit / 2 => sink(bytes),
            _ => self.buf.extend_from_slice(bytes),
        }
    }

    /// Hands everything buffered to the sink, if there is one.
    pub(super) fn flush(&mut self) {
        if let Some(sink) = &mut self.sink {
            if !self.buf.is_empty() {
                sink(&self.buf);
                self.buf.clear();
            }
        }
    }
}

/// Writes string contents taken from the body (escapes checked by the parser), re-escaped
/// the way CPython's `ensure_ascii` encoder does it. Quotes are not written.
pub(super) fn string_contents(out: &mut Out<'_>, raw: &[u8]) {
    let mut rest = raw;
    loop {
        let run = scan::plain_run(rest);
        out.bytes(rest.get(..run).unwrap_or_default());
        let tail = rest.get(run..).unwrap_or_default();
        let Some(&first) = tail.first() else {
            return;
        };
        // Each `\u` escape is re-encoded on its own: a surrogate pair that CPython joins
        // into one astral character is written back as the same two escapes anyway.
        let (cp, len) = if first == b'\\' {
            scan::decode_escape(tail)
        } else {
            scan::decode_utf8(tail)
        };
        code_point(out, cp);
        rest = tail.get(len..).unwrap_or_default();
    }
}

/// One code point, escaped as CPython's `ensure_ascii` encoder does.
#[inline]
pub(super) fn code_point(out: &mut Out<'_>, cp: u32) {
    match cp {
        0x22 => out.bytes(b"\\\""),
        0x5c => out.bytes(b"\\\\"),
        0x08 => out.bytes(b"\\b"),
        0x0c => out.bytes(b"\\f"),
        0x0a => out.bytes(b"\\n"),
        0x0d => out.bytes(b"\\r"),
        0x09 => out.bytes(b"\\t"),
        #[allow(clippy::cast_possible_truncation)] // in range by the pattern
        0x20..=0x7e => out.byte(cp as u8),
        0x10000.. => {
            let v = cp - 0x10000;
            u_escape(out, 0xd800 | (v >> 10));
            u_escape(out, 0xdc00 | (v & 0x3ff));
        }
        _ => u_escape(out, cp),
    }
}

fn u_escape(out: &mut Out<'_>, unit: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digit = |shift: u32| HEX[((unit >> shift) & 0xf) as usize];
    out.bytes(&[b'\\', b'u', digit(12), digit(8), digit(4), digit(0)]);
}
