//! The parsed body: a flat arena of nodes that point into the body by offset, so a
//! `Document` can live next to the body (in `Verified`) without borrowing it.

use std::borrow::Cow;

use super::scan::{self, StrClass};
use super::write::{self, Out};
use super::{float, CanonicalError, MAX_DEPTH};

/// Longest integer CPython converts from text by default (`sys.get_int_max_str_digits()`);
/// `json.loads` raises `ValueError` beyond it.
const MAX_INT_DIGITS: usize = 4300;

const BOM: &[u8] = b"\xef\xbb\xbf";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    True,
    False,
    /// An integer other than `-0`: written as it is.
    Int,
    /// `-0`, which Python reads as the integer 0.
    NegZero,
    Float,
    /// `NaN`, `Infinity` or `-Infinity`: written as it is.
    NonFinite,
    PlainStr,
    RawStr,
    EscapedStr,
    Array,
    Object,
}

/// One value (or object key) of the document, in document order.
///
/// - strings: `a..b` is the contents between the quotes; for an escaped string used as an
///   object key, `c` indexes `Document::keys`, its unescaped text;
/// - numbers and literals: `a..b` is the token;
/// - arrays: `c` is the index one past the array's last descendant;
/// - objects: `c` as for arrays, and `a..a + b` the range of `Document::members` that lists
///   the object's distinct keys in sorted order.
///
/// A member of an object is its key node followed by its value's subtree.
#[derive(Debug, Clone, Copy)]
struct Node {
    kind: Kind,
    a: u32,
    b: u32,
    c: u32,
}

impl Node {
    fn range(&self) -> std::ops::Range<usize> {
        self.a as usize..self.b as usize
    }
}

/// A parsed JSON document that refers to the body by offsets.
#[derive(Debug, Clone)]
pub(crate) struct Document {
    nodes: Vec<Node>,
    /// Key node indices of every object, each object's slice sorted by key, duplicates
    /// resolved to the last occurrence.
    members: Vec<u32>,
    /// Unescaped text (generalised UTF-8) of escaped keys, as `start..end` into `key_text`.
    keys: Vec<(u32, u32)>,
    key_text: Vec<u8>,
}

/// A scalar found at a path in a [`Document`].
// Read by the deduplication key code (`details.agent_execution_id`), which is not wired yet.
#[allow(dead_code)]
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar<'a> {
    /// A string, unescaped (lone surrogates replaced by U+FFFD).
    Str(Cow<'a, str>),
    /// A number exactly as written in the body.
    Number(&'a str),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

fn syntax(offset: usize, message: &'static str) -> CanonicalError {
    CanonicalError::Syntax { offset, message }
}

/// Offsets are stored as `u32`; the body length was checked to fit.
#[allow(clippy::cast_possible_truncation)]
fn u32_of(offset: usize) -> u32 {
    offset as u32
}

/// An open array or object while parsing.
struct Frame {
    node: usize,
    object: bool,
    /// Where this object's keys start in `Parser::pending_keys`.
    keys_from: usize,
}

struct Parser<'b> {
    body: &'b [u8],
    pos: usize,
    doc: Document,
    stack: Vec<Frame>,
    /// Key node indices of the objects still open, innermost last.
    pending_keys: Vec<u32>,
}

impl Document {
    /// Parses `body` exactly as CPython's `json.loads(body)` does (for UTF-8 bodies),
    /// refusing nesting deeper than [`MAX_DEPTH`].
    pub(crate) fn parse(body: &[u8]) -> Result<Self, CanonicalError> {
        if u32::try_from(body.len()).is_err() {
            return Err(CanonicalError::TooLarge { len: body.len() });
        }
        let mut parser = Parser {
            body,
            pos: 0,
            doc: Document {
                // Typical webhook JSON has a node every 10-20 bytes.
                nodes: Vec::with_capacity(body.len() / 12 + 4),
                members: Vec::new(),
                keys: Vec::new(),
                key_text: Vec::new(),
            },
            stack: Vec::new(),
            pending_keys: Vec::new(),
        };
        parser.run()?;
        Ok(parser.doc)
    }

    /// Streams `json.dumps(value, sort_keys=True)` of the parsed value to `sink`, in chunks
    /// of a few KiB. `body` must be the bytes given to [`Document::parse`].
    pub(crate) fn write_canonical(&self, body: &[u8], sink: &mut dyn FnMut(&[u8])) {
        let mut out = Out::new(sink);
        self.write_value(body, &mut out);
        out.flush();
    }

    /// The scalar at `path` (object keys from the root), `None` when a step is missing or
    /// not an object, or when the value there is an array or object.
    #[allow(dead_code)] // see `Scalar`
    pub(crate) fn scalar<'a>(&self, body: &'a [u8], path: &[&str]) -> Option<Scalar<'a>> {
        let mut at = 0usize;
        for key in path {
            let node = self.nodes.get(at)?;
            if node.kind != Kind::Object {
                return None;
            }
            let members = self.members.get(node.range_members())?;
            let found = members
                .binary_search_by(|&k| self.key_bytes(body, k as usize).cmp(key.as_bytes()))
                .ok()?;
            at = *members.get(found)? as usize + 1;
        }
        let node = self.nodes.get(at)?;
        let token = body.get(node.range());
        Some(match node.kind {
            Kind::Null => Scalar::Null,
            Kind::True => Scalar::Bool(true),
            Kind::False => Scalar::Bool(false),
            Kind::Int | Kind::NegZero | Kind::Float | Kind::NonFinite => {
                Scalar::Number(std::str::from_utf8(token?).ok()?)
            }
            Kind::PlainStr | Kind::RawStr => Scalar::Str(scan::lossy(token?)),
            Kind::EscapedStr => {
                let mut text = Vec::with_capacity(node.range().len());
                scan::unescape_into(token?, &mut text);
                Scalar::Str(Cow::Owned(scan::lossy(&text).into_owned()))
            }
            Kind::Array | Kind::Object => return None,
        })
    }

    /// A key's text for ordering: generalised UTF-8, so byte order is code point order.
    fn key_bytes<'a>(&'a self, body: &'a [u8], key: usize) -> &'a [u8] {
        let Some(node) = self.nodes.get(key) else {
            return &[];
        };
        let range = if node.kind == Kind::EscapedStr {
            match self.keys.get(node.c as usize) {
                Some(&(start, end)) => {
                    return self
                        .key_text
                        .get(start as usize..end as usize)
                        .unwrap_or_default()
                }
                None => return &[],
            }
        } else {
            node.range()
        };
        body.get(range).unwrap_or_default()
    }

    /// Index one past the subtree rooted at `index`.
    fn next_sibling(&self, index: usize) -> usize {
        match self.nodes.get(index) {
            Some(node) if matches!(node.kind, Kind::Array | Kind::Object) => node.c as usize,
            _ => index + 1,
        }
    }

    fn write_value(&self, body: &[u8], out: &mut Out<'_>) {
        /// Where the writer is inside an open array or object.
        enum Open {
            /// Next element's node, and one past the array's subtree.
            Array { next: usize, end: usize },
            /// Next entry in `members`, and one past the object's last entry.
            Object { next: usize, end: usize },
        }
        let mut stack: Vec<Open> = Vec::with_capacity(16);
        let mut at = 0usize;
        'value: loop {
            let Some(node) = self.nodes.get(at) else {
                return;
            };
            match node.kind {
                Kind::Array => {
                    if node.c as usize == at + 1 {
                        out.bytes(b"[]");
                    } else {
                        out.byte(b'[');
                        stack.push(Open::Array {
                            next: self.next_sibling(at + 1),
                            end: node.c as usize,
                        });
                        at += 1;
                        continue 'value;
                    }
                }
                Kind::Object => {
                    let first = node.a as usize;
                    let end = first + node.b as usize;
                    if let Some(&key) = self.members.get(first).filter(|_| first < end) {
                        out.byte(b'{');
                        self.write_key(body, key as usize, out);
                        stack.push(Open::Object {
                            next: first + 1,
                            end,
                        });
                        at = key as usize + 1;
                        continue 'value;
                    }
                    out.bytes(b"{}");
                }
                _ => self.write_scalar(body, node, out),
            }
            // The value at `at` is complete: move on to its next sibling, closing what ends.
            loop {
                let Some(open) = stack.last_mut() else {
                    return;
                };
                match open {
                    Open::Array { next, end } if *next < *end => {
                        out.bytes(b", ");
                        at = *next;
                        *next = self.next_sibling(at);
                        continue 'value;
                    }
                    Open::Object { next, end } if *next < *end => {
                        let Some(&key) = self.members.get(*next) else {
                            return;
                        };
                        *next += 1;
                        out.bytes(b", ");
                        self.write_key(body, key as usize, out);
                        at = key as usize + 1;
                        continue 'value;
                    }
                    Open::Array { .. } => out.byte(b']'),
                    Open::Object { .. } => out.byte(b'}'),
                }
                stack.pop();
            }
        }
    }

    fn write_key(&self, body: &[u8], key: usize, out: &mut Out<'_>) {
        if let Some(node) = self.nodes.get(key) {
            self.write_scalar(body, node, out);
        }
        out.bytes(b": ");
    }

    fn write_scalar(&self, body: &[u8], node: &Node, out: &mut Out<'_>) {
        let token = body.get(node.range()).unwrap_or_default();
        match node.kind {
            Kind::Null => out.bytes(b"null"),
            Kind::True => out.bytes(b"true"),
            Kind::False => out.bytes(b"false"),
            Kind::Int | Kind::NonFinite => out.bytes(token),
            Kind::NegZero => out.byte(b'0'),
            Kind::Float => float::write_float(out, token),
            Kind::PlainStr => {
                // The quotes around the contents are in the body too: one copy.
                let quoted = body.get(node.a as usize - 1..node.b as usize + 1);
                out.bytes(quoted.unwrap_or_default());
            }
            Kind::RawStr | Kind::EscapedStr => {
                out.byte(b'"');
                write::string_contents(out, token);
                out.byte(b'"');
            }
            Kind::Array | Kind::Object => {}
        }
    }
}

impl Node {
    fn range_members(&self) -> std::ops::Range<usize> {
        self.a as usize..self.a as usize + self.b as usize
    }
}

impl Parser<'_> {
    fn run(&mut self) -> Result<(), CanonicalError> {
        if self.body.starts_with(BOM) {
            // json.loads(bytes) decodes with utf-8-sig, which drops one BOM.
            self.pos = BOM.len();
        }
        self.skip_whitespace();
        'value: loop {
            match self.peek() {
                Some(b'{') => {
                    self.open(Kind::Object)?;
                    self.skip_whitespace();
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                        self.close();
                    } else {
                        self.key()?;
                        continue 'value;
                    }
                }
                Some(b'[') => {
                    self.open(Kind::Array)?;
                    self.skip_whitespace();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        self.close();
                    } else {
                        continue 'value;
                    }
                }
                Some(b'"') => {
                    self.string()?;
                }
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(b't') => self.literal(b"true", Kind::True)?,
                Some(b'f') => self.literal(b"false", Kind::False)?,
                Some(b'n') => self.literal(b"null", Kind::Null)?,
                Some(b'N') => self.literal(b"NaN", Kind::NonFinite)?,
                Some(b'I') => self.literal(b"Infinity", Kind::NonFinite)?,
                _ => return Err(syntax(self.pos, "expecting value")),
            }
            // A value is complete: a separator, the end of its container, or the end.
            loop {
                self.skip_whitespace();
                let Some(frame) = self.stack.last() else {
                    break 'value;
                };
                let object = frame.object;
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        self.skip_whitespace();
                        if object {
                            self.key()?;
                        }
                        continue 'value;
                    }
                    Some(b'}') if object => {
                        self.pos += 1;
                        self.close();
                    }
                    Some(b']') if !object => {
                        self.pos += 1;
                        self.close();
                    }
                    _ if object => return Err(syntax(self.pos, "expecting ',' delimiter or '}'")),
                    _ => return Err(syntax(self.pos, "expecting ',' delimiter or ']'")),
                }
            }
        }
        if self.pos == self.body.len() {
            Ok(())
        } else {
            Err(syntax(self.pos, "extra data"))
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.body.get(self.pos).copied()
    }

    #[inline]
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    fn push(&mut self, kind: Kind, a: usize, b: usize) -> usize {
        let index = self.doc.nodes.len();
        self.doc.nodes.push(Node {
            kind,
            a: u32_of(a),
            b: u32_of(b),
            c: 0,
        });
        index
    }

    fn open(&mut self, kind: Kind) -> Result<(), CanonicalError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(CanonicalError::TooDeep);
        }
        let node = self.push(kind, 0, 0);
        self.stack.push(Frame {
            node,
            object: kind == Kind::Object,
            keys_from: self.pending_keys.len(),
        });
        self.pos += 1;
        Ok(())
    }

    /// Closes the innermost container; for an object, fixes its sorted member list.
    fn close(&mut self) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let end = u32_of(self.doc.nodes.len());
        let (first, count) = if frame.object {
            self.sort_members(frame.keys_from)
        } else {
            (0, 0)
        };
        if let Some(node) = self.doc.nodes.get_mut(frame.node) {
            node.c = end;
            node.a = first;
            node.b = count;
        }
    }

    /// Sorts the keys gathered since `from`, keeps the last of equal keys (the value
    /// `json.loads` keeps) and appends them to `members`: returns their range.
    fn sort_members(&mut self, from: usize) -> (u32, u32) {
        let first = self.doc.members.len();
        let doc = &self.doc;
        let body = self.body;
        let keys = self.pending_keys.get_mut(from..).unwrap_or_default();
        // Unstable sort, made deterministic by the tie-break on position: no allocation,
        // and equal keys end up in document order.
        keys.sort_unstable_by(|&x, &y| {
            doc.key_bytes(body, x as usize)
                .cmp(doc.key_bytes(body, y as usize))
                .then(x.cmp(&y))
        });
        let mut members = std::mem::take(&mut self.doc.members);
        for (i, &key) in keys.iter().enumerate() {
            let superseded = keys.get(i + 1).is_some_and(|&later| {
                self.doc.key_bytes(body, later as usize) == self.doc.key_bytes(body, key as usize)
            });
            if !superseded {
                members.push(key);
            }
        }
        self.doc.members = members;
        self.pending_keys.truncate(from);
        (u32_of(first), u32_of(self.doc.members.len() - first))
    }

    /// An object key (a string) and the `:` after it.
    fn key(&mut self) -> Result<(), CanonicalError> {
        if self.peek() != Some(b'"') {
            return Err(syntax(
                self.pos,
                "expecting property name enclosed in double quotes",
            ));
        }
        let node = self.string()?;
        if let Some(key) = self.doc.nodes.get_mut(node) {
            if key.kind == Kind::EscapedStr {
                let start = self.doc.key_text.len();
                let raw = self.body.get(key.range()).unwrap_or_default();
                scan::unescape_into(raw, &mut self.doc.key_text);
                key.c = u32_of(self.doc.keys.len());
                self.doc
                    .keys
                    .push((u32_of(start), u32_of(self.doc.key_text.len())));
            }
        }
        self.pending_keys.push(u32_of(node));
        self.skip_whitespace();
        if self.peek() != Some(b':') {
            return Err(syntax(self.pos, "expecting ':' delimiter"));
        }
        self.pos += 1;
        self.skip_whitespace();
        Ok(())
    }

    /// The string starting at the current `"`: returns its node.
    fn string(&mut self) -> Result<usize, CanonicalError> {
        let start = self.pos + 1;
        let (end, class) = scan::scan_string(self.body, start)?;
        let kind = match class {
            StrClass::Plain => Kind::PlainStr,
            StrClass::Raw => Kind::RawStr,
            StrClass::Escaped => Kind::EscapedStr,
        };
        self.pos = end + 1;
        Ok(self.push(kind, start, end))
    }

    fn literal(&mut self, text: &'static [u8], kind: Kind) -> Result<(), CanonicalError> {
        let start = self.pos;
        if !self.body.get(start..).unwrap_or_default().starts_with(text) {
            return Err(syntax(start, "expecting value"));
        }
        self.pos += text.len();
        self.push(kind, start, self.pos);
        Ok(())
    }

    /// A number, by the grammar of CPython's scanner: `-?(0|[1-9][0-9]*)(\.[0-9]+)?
    /// ([eE][-+]?[0-9]+)?`, or `-Infinity`. A `.` or `e` not followed by digits ends the
    /// number (and the next step then refuses the stray character).
    fn number(&mut self) -> Result<(), CanonicalError> {
        let start = self.pos;
        let body = self.body;
        let digit = |i: usize| body.get(i).is_some_and(u8::is_ascii_digit);
        let mut i = start;
        if body.get(i) == Some(&b'-') {
            i += 1;
            if body.get(i) == Some(&b'I') {
                return self.literal(b"-Infinity", Kind::NonFinite);
            }
        }
        match body.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                i += 1;
                while digit(i) {
                    i += 1;
                }
            }
            _ => return Err(syntax(start, "expecting value")),
        }
        let int_end = i;
        if body.get(i) == Some(&b'.') && digit(i + 1) {
            i += 2;
            while digit(i) {
                i += 1;
            }
        }
        if matches!(body.get(i), Some(b'e' | b'E')) {
            let mut j = i + 1;
            if matches!(body.get(j), Some(b'+' | b'-')) {
                j += 1;
            }
            if digit(j) {
                while digit(j) {
                    j += 1;
                }
                i = j;
            }
        }
        self.pos = i;
        let kind = if i != int_end {
            Kind::Float
        } else if &body.get(start..i).unwrap_or_default() == b"-0" {
            Kind::NegZero
        } else {
            let digits = i - start - usize::from(body.get(start) == Some(&b'-'));
            if digits > MAX_INT_DIGITS {
                return Err(CanonicalError::IntegerTooLong {
                    offset: start,
                    digits,
                });
            }
            Kind::Int
        };
        self.push(kind, start, i);
        Ok(())
    }
}
