//! The parsed body: a flat arena of nodes that point into the body by offset, so a
//! `Document` can live next to the body (in `Verified`) without borrowing it.
//!
//! Speed comes from not rewriting what is already canonical. A Python sender posts
//! `json.dumps(payload)`: same separators, same escapes, same float spelling as the signed
//! form, only the key order differs. The parser marks every value whose canonical form is
//! its own bytes in the body ("verbatim"), and every object member whose `"key": value` is;
//! the writer then copies those spans whole and only walks into what needs reordering or
//! rewriting.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::scan;
use super::write::{self, Out};
use super::{float, CanonicalError, MAX_DEPTH};

/// Longest integer CPython converts from text by default (`sys.get_int_max_str_digits()`);
/// `json.loads` raises `ValueError` beyond it.
const MAX_INT_DIGITS: usize = 4300;

const BOM: &[u8] = b"\xef\xbb\xbf";

/// Node flag: the canonical form of this value is exactly its span in the body.
const VERBATIM: u8 = 1;
/// Node flag: a string with backslash escapes (its text differs from its bytes).
const ESCAPED: u8 = 2;
/// Key flag: the whole member, key to end of value, is written exactly as in the body.
const MEMBER_VERBATIM: u8 = 4;
/// Key flag (while parsing): the key is followed by exactly `": "`.
const CANONICAL_COLON: u8 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    True,
    False,
    Int,
    /// `-0`, which Python reads as the integer 0.
    NegZero,
    Float,
    /// `NaN`, `Infinity` or `-Infinity`.
    NonFinite,
    Str,
    Array,
    Object,
}

/// One value (or object key) of the document, in document order. A member of an object is
/// its key node followed by its value's subtree.
#[derive(Debug, Clone, Copy)]
struct Node {
    kind: Kind,
    flags: u8,
    /// The value's bytes in the body, quotes and brackets included.
    start: u32,
    end: u32,
    /// Arrays and objects: index one past the last node of the subtree. Escaped object
    /// keys: index of their unescaped text in `Document::keys`.
    link: u32,
    /// Objects: where in `Document::members` their member count is, followed by their key
    /// nodes in sorted order.
    members: u32,
}

impl Node {
    fn span(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// A string's contents, between the quotes.
    fn contents(&self) -> std::ops::Range<usize> {
        self.start as usize + 1..(self.end as usize).saturating_sub(1)
    }

    fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// A parsed JSON document that refers to the body by offsets.
#[derive(Debug, Clone)]
pub(crate) struct Document {
    nodes: Vec<Node>,
    /// For each object: its member count, then its key nodes sorted by key, each key once
    /// (the last occurrence, whose value `json.loads` keeps).
    members: Vec<u32>,
    /// Unescaped text (generalised UTF-8) of escaped keys, as `start..end` into `key_text`.
    keys: Vec<(u32, u32)>,
    key_text: Vec<u8>,
    /// The first integer longer than CPython converts (offset, digits): valid JSON, but
    /// `json.loads` raises on it, so it has no canonical form (see
    /// [`Document::canonical`]).
    long_integer: Option<(usize, usize)>,
}

/// A scalar found at a path in a [`Document`].
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

/// The nodes to make room for before parsing a body of `len` bytes. Typical webhook JSON
/// has a node every 10-20 bytes, a forger's `1e-7,` one every 5: for a large body, room
/// for the latter spares copying the nodes twice as the vector grows, and pages reserved
/// but never written cost no memory. A small body (most deliveries) starts with what fits
/// the allocator's per-thread cache: a larger block takes its slower path on every
/// request, and growing a small vector costs less than that.
fn node_capacity(len: usize) -> usize {
    /// Nodes in about 1 KiB: glibc serves blocks of up to 1032 bytes from its per-thread
    /// cache.
    const SMALL: usize = 1024 / std::mem::size_of::<Node>();
    /// Bodies up to this size start small: growing to a node every 5 bytes copies at most
    /// a few tens of KiB.
    const SMALL_BODY: usize = 16 * 1024;
    let dense = len / 5 + 4;
    if len <= SMALL_BODY {
        dense.min(SMALL)
    } else {
        dense
    }
}

fn syntax(offset: usize, message: &'static str) -> CanonicalError {
    CanonicalError::Syntax { offset, message }
}

/// Offsets are stored as `u32`; the body length was checked to fit.
#[allow(clippy::cast_possible_truncation)]
fn u32_of(offset: usize) -> u32 {
    offset as u32
}

impl Document {
    /// Parses `body` exactly as CPython's `json.loads(body)` does (for UTF-8 bodies),
    /// refusing nesting deeper than [`MAX_DEPTH`], but for integers longer than CPython
    /// converts, which are valid JSON and only matter to the canonical form: they are
    /// refused by [`Document::canonical`].
    pub(crate) fn parse(body: &[u8]) -> Result<Self, CanonicalError> {
        if u32::try_from(body.len()).is_err() {
            return Err(CanonicalError::TooLarge { len: body.len() });
        }
        let mut parser = Parser {
            body,
            pos: 0,
            doc: Document {
                nodes: Vec::with_capacity(node_capacity(body.len())),
                members: Vec::with_capacity(body.len() / 24 + 4),
                keys: Vec::new(),
                key_text: Vec::new(),
                long_integer: None,
            },
            stack: Vec::with_capacity(8),
            pending_keys: Vec::with_capacity(16),
            shape: Shape::default(),
            order_scratch: Vec::new(),
        };
        parser
            .run()
            .map_err(|error| match parser.doc.long_integer {
                // CPython raises on the integer as it reads it, before anything after it.
                Some((offset, digits)) => CanonicalError::IntegerTooLong { offset, digits },
                None => error,
            })?;
        Ok(parser.doc)
    }

    /// The document, if it has a canonical form: `json.loads` also refuses an integer of
    /// more than 4300 digits (`sys.get_int_max_str_digits()`), so such a body cannot have
    /// been signed in its canonical form.
    ///
    /// # Errors
    /// [`CanonicalError::IntegerTooLong`] for the first such integer.
    pub(crate) fn canonical(self) -> Result<Self, CanonicalError> {
        match self.long_integer {
            Some((offset, digits)) => Err(CanonicalError::IntegerTooLong { offset, digits }),
            None => Ok(self),
        }
    }

    /// Streams `json.dumps(value, sort_keys=True)` of the parsed value to `sink`, in chunks
    /// of a few KiB. `body` must be the bytes given to [`Document::parse`].
    pub(crate) fn write_canonical(&self, body: &[u8], sink: &mut dyn FnMut(&[u8])) {
        // Escapes can make the output longer than the body; a little slack covers most.
        let mut out = Out::new(sink, body.len() + body.len() / 4 + 64);
        self.write_root(body, &mut out);
        out.flush();
    }

    /// The canonical form as one vector.
    pub(crate) fn canonical_vec(&self, body: &[u8]) -> Vec<u8> {
        let mut out = Out::collecting(body.len() + body.len() / 8 + 16);
        self.write_root(body, &mut out);
        out.into_vec()
    }

    /// The scalar at `path` (object keys from the root), `None` when a step is missing or
    /// not an object, or when the value there is an array or object.
    pub(crate) fn scalar<'a>(&self, body: &'a [u8], path: &[&str]) -> Option<Scalar<'a>> {
        let mut at = 0usize;
        for key in path {
            let node = self.nodes.get(at)?;
            if node.kind != Kind::Object {
                return None;
            }
            let members = self.object_members(node);
            let found = members
                .binary_search_by(|&k| self.key_bytes(body, k as usize).cmp(key.as_bytes()))
                .ok()?;
            at = *members.get(found)? as usize + 1;
        }
        let node = self.nodes.get(at)?;
        Some(match node.kind {
            Kind::Null => Scalar::Null,
            Kind::True => Scalar::Bool(true),
            Kind::False => Scalar::Bool(false),
            Kind::Int | Kind::NegZero | Kind::Float | Kind::NonFinite => {
                Scalar::Number(std::str::from_utf8(body.get(node.span())?).ok()?)
            }
            Kind::Str => Scalar::Str(self.string_at(body, node)),
            Kind::Array | Kind::Object => return None,
        })
    }

    /// The document as a `serde_json::Value`, for bodies `json.loads` accepts but
    /// serde_json refuses: `NaN` and `±Infinity` (and floats too large for `f64`) become the
    /// strings `"NaN"`, `"Infinity"`, `"-Infinity"`; lone surrogates become U+FFFD; integers
    /// beyond 64 bits become the nearest `f64`; duplicate keys keep the last value.
    pub(crate) fn to_value(&self, body: &[u8]) -> serde_json::Value {
        // Recursion is bounded by MAX_DEPTH, which the parser enforced.
        self.value_at(body, 0)
    }

    fn value_at(&self, body: &[u8], index: usize) -> serde_json::Value {
        use serde_json::Value;
        let Some(node) = self.nodes.get(index) else {
            return Value::Null;
        };
        let text = || std::str::from_utf8(body.get(node.span()).unwrap_or_default()).unwrap_or("");
        let float = |text: &str| match float::parse(text.as_bytes()) {
            Some(number) if number.is_finite() => {
                serde_json::Number::from_f64(number).map_or(Value::Null, Value::Number)
            }
            Some(number) if number.is_sign_negative() => Value::from("-Infinity"),
            Some(_) => Value::from("Infinity"),
            None => Value::Null,
        };
        match node.kind {
            Kind::Null => Value::Null,
            Kind::True => Value::Bool(true),
            Kind::False => Value::Bool(false),
            Kind::NegZero => Value::from(0),
            Kind::Int => {
                let digits = text();
                digits
                    .parse::<i64>()
                    .map(Value::from)
                    .or_else(|_| digits.parse::<u64>().map(Value::from))
                    .unwrap_or_else(|_| float(digits))
            }
            Kind::Float => float(text()),
            Kind::NonFinite => Value::from(text()),
            Kind::Str => Value::from(self.string_at(body, node).into_owned()),
            Kind::Array => {
                let mut items = Vec::new();
                let mut child = index + 1;
                while child < node.link as usize {
                    items.push(self.value_at(body, child));
                    child = self.next_sibling(child);
                }
                Value::Array(items)
            }
            Kind::Object => {
                let mut map = serde_json::Map::new();
                for &key in self.object_members(node) {
                    let key = key as usize;
                    let name = scan::lossy(self.key_bytes(body, key)).into_owned();
                    map.insert(name, self.value_at(body, key + 1));
                }
                Value::Object(map)
            }
        }
    }

    /// A string node's text, unescaped, lone surrogates replaced by U+FFFD.
    fn string_at<'a>(&self, body: &'a [u8], node: &Node) -> Cow<'a, str> {
        let raw = body.get(node.contents()).unwrap_or_default();
        if node.has(ESCAPED) {
            let mut text = Vec::with_capacity(raw.len());
            scan::unescape_into(raw, &mut text);
            Cow::Owned(scan::lossy(&text).into_owned())
        } else {
            scan::lossy(raw)
        }
    }

    /// An object's key nodes, sorted by key.
    fn object_members(&self, object: &Node) -> &[u32] {
        let at = object.members as usize;
        let count = self.members.get(at).map_or(0, |&n| n as usize);
        self.members.get(at + 1..at + 1 + count).unwrap_or_default()
    }

    /// A key's text for ordering: generalised UTF-8, so byte order is code point order.
    fn key_bytes<'a>(&'a self, body: &'a [u8], key: usize) -> &'a [u8] {
        let Some(node) = self.nodes.get(key) else {
            return &[];
        };
        if node.has(ESCAPED) {
            let Some(&(start, end)) = self.keys.get(node.link as usize) else {
                return &[];
            };
            self.key_text
                .get(start as usize..end as usize)
                .unwrap_or_default()
        } else {
            body.get(node.contents()).unwrap_or_default()
        }
    }

    /// Index one past the subtree rooted at `index`.
    fn next_sibling(&self, index: usize) -> usize {
        match self.nodes.get(index) {
            Some(node) if matches!(node.kind, Kind::Array | Kind::Object) => node.link as usize,
            _ => index + 1,
        }
    }

    fn write_root(&self, body: &[u8], out: &mut Out<'_>) {
        /// Where the writer is inside an open array or object.
        enum Open {
            /// Next element's node, and one past the array's subtree.
            Array { next: usize, end: usize },
            /// Next entry in `members`, the first one, and one past the last one.
            Object {
                next: usize,
                first: usize,
                end: usize,
            },
        }
        // Depth is bounded by MAX_DEPTH, checked by the parser.
        let mut stack: Vec<Open> = Vec::with_capacity(16);
        // The node whose value is to be written next, if any.
        let mut pending = Some(0usize);
        loop {
            if let Some(at) = pending.take() {
                let Some(node) = self.nodes.get(at) else {
                    return;
                };
                if node.has(VERBATIM) {
                    out.bytes(body.get(node.span()).unwrap_or_default());
                } else {
                    match node.kind {
                        Kind::Array if node.link as usize > at + 1 => {
                            out.byte(b'[');
                            stack.push(Open::Array {
                                next: self.next_sibling(at + 1),
                                end: node.link as usize,
                            });
                            pending = Some(at + 1);
                            continue;
                        }
                        Kind::Array => out.bytes(b"[]"),
                        Kind::Object => {
                            let first = node.members as usize + 1;
                            let count = self.members.get(first - 1).map_or(0, |&n| n as usize);
                            if count == 0 {
                                out.bytes(b"{}");
                            } else {
                                out.byte(b'{');
                                stack.push(Open::Object {
                                    next: first,
                                    first,
                                    end: first + count,
                                });
                            }
                        }
                        _ => Self::write_scalar(body, node, out),
                    }
                }
            }
            // The last value is complete: on to the next sibling, closing what ends.
            let Some(open) = stack.last_mut() else {
                return;
            };
            match open {
                Open::Array { next, end } if *next < *end => {
                    out.bytes(b", ");
                    pending = Some(*next);
                    *next = self.next_sibling(*next);
                }
                Open::Object { next, first, end } if *next < *end => {
                    if *next != *first {
                        out.bytes(b", ");
                    }
                    let Some(&key) = self.members.get(*next) else {
                        return;
                    };
                    *next += 1;
                    let key = key as usize;
                    let Some(key_node) = self.nodes.get(key) else {
                        return;
                    };
                    if key_node.has(MEMBER_VERBATIM) {
                        let end = self
                            .nodes
                            .get(key + 1)
                            .map_or(0, |value| value.end as usize);
                        out.bytes(body.get(key_node.start as usize..end).unwrap_or_default());
                    } else {
                        Self::write_scalar(body, key_node, out);
                        out.bytes(b": ");
                        pending = Some(key + 1);
                    }
                }
                Open::Array { .. } => {
                    out.byte(b']');
                    stack.pop();
                }
                Open::Object { .. } => {
                    out.byte(b'}');
                    stack.pop();
                }
            }
        }
    }

    fn write_scalar(body: &[u8], node: &Node, out: &mut Out<'_>) {
        if node.has(VERBATIM) {
            out.bytes(body.get(node.span()).unwrap_or_default());
            return;
        }
        let token = body.get(node.span()).unwrap_or_default();
        match node.kind {
            Kind::Null => out.bytes(b"null"),
            Kind::True => out.bytes(b"true"),
            Kind::False => out.bytes(b"false"),
            Kind::Int | Kind::NonFinite => out.bytes(token),
            Kind::NegZero => out.byte(b'0'),
            Kind::Float => float::write_float(out, token),
            Kind::Str => {
                out.byte(b'"');
                write::string_contents(out, body.get(node.contents()).unwrap_or_default());
                out.byte(b'"');
            }
            Kind::Array | Kind::Object => {}
        }
    }
}

/// An open array or object while parsing.
struct Frame {
    node: usize,
    object: bool,
    /// Where this object's keys start in `Parser::pending_keys`.
    keys_from: usize,
    /// Everything so far is written exactly as in the body.
    verbatim: bool,
}

/// An object key waiting for its object to close: the first bytes of its text as a
/// big-endian number, so that most comparisons are of two integers, and where its text is
/// (in the body, or in `Document::key_text` when escaped) for the others.
#[derive(Debug, Clone, Copy)]
struct PendingKey {
    prefix: u64,
    node: u32,
    start: u32,
    end: u32,
    unescaped: bool,
}

/// Most keys an object can have for its key order to be remembered in a [`Shape`].
const SHAPE_KEYS: usize = 16;

/// The key order of the last object sorted, reused when the next object has the same keys
/// in the same order, as the records of an array usually do. Only kept for objects whose
/// key prefixes are all different, so that prefixes alone decide the order. Inline arrays:
/// a small document must not pay allocations for it.
#[derive(Default)]
struct Shape {
    /// Number of keys; 0 when nothing is remembered.
    len: usize,
    /// Key prefixes in document order.
    prefixes: [u64; SHAPE_KEYS],
    /// Positions (in document order) of the keys in sorted order.
    order: [u8; SHAPE_KEYS],
    /// Whether the keys were already in sorted order.
    sorted: bool,
}

struct Parser<'b> {
    body: &'b [u8],
    pos: usize,
    doc: Document,
    stack: Vec<Frame>,
    /// Keys of the objects still open, innermost last.
    pending_keys: Vec<PendingKey>,
    shape: Shape,
    /// Sorting space for objects with more than [`SHAPE_KEYS`] keys.
    order_scratch: Vec<u128>,
}

impl Parser<'_> {
    fn run(&mut self) -> Result<(), CanonicalError> {
        if self.body.starts_with(BOM) {
            // json.loads(bytes) decodes with utf-8-sig, which drops one BOM.
            self.pos = BOM.len();
        }
        self.skip_whitespace();
        'value: loop {
            // A value starts here.
            let done = match self.peek() {
                Some(b'{') => {
                    self.open(Kind::Object)?;
                    if self.peek() == Some(b'}') {
                        self.close()
                    } else {
                        self.key()?;
                        continue 'value;
                    }
                }
                Some(b'[') => {
                    self.open(Kind::Array)?;
                    if self.peek() == Some(b']') {
                        self.close()
                    } else {
                        continue 'value;
                    }
                }
                Some(b'"') => self.string()?,
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(b't') => self.literal(b"true", Kind::True)?,
                Some(b'f') => self.literal(b"false", Kind::False)?,
                Some(b'n') => self.literal(b"null", Kind::Null)?,
                Some(b'N') => self.literal(b"NaN", Kind::NonFinite)?,
                Some(b'I') => self.literal(b"Infinity", Kind::NonFinite)?,
                _ => return Err(syntax(self.pos, "expecting value")),
            };
            // `done` is complete: a separator, the end of its container, or the end.
            let mut done = done;
            loop {
                let spaced = self.skip_whitespace() > 0;
                let body = self.body;
                let Some(frame) = self.stack.last_mut() else {
                    break 'value;
                };
                let done_verbatim = if frame.object {
                    // The member just completed: its key is the last pending one.
                    let key = self.pending_keys.last().map_or(0, |k| k.node as usize);
                    let value_verbatim = self.doc.nodes.get(done).is_some_and(|v| v.has(VERBATIM));
                    match self.doc.nodes.get_mut(key) {
                        Some(key)
                            if value_verbatim
                                && key.flags & (VERBATIM | CANONICAL_COLON)
                                    == VERBATIM | CANONICAL_COLON =>
                        {
                            key.flags |= MEMBER_VERBATIM;
                            true
                        }
                        _ => false,
                    }
                } else {
                    self.doc.nodes.get(done).is_some_and(|v| v.has(VERBATIM))
                };
                frame.verbatim &= done_verbatim && !spaced;
                let object = frame.object;
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        let after = self.skip_whitespace();
                        frame_verbatim_and(
                            &mut self.stack,
                            after == 1 && body.get(self.pos - 1) == Some(&b' '),
                        );
                        if object {
                            self.key()?;
                        }
                        continue 'value;
                    }
                    Some(b'}') if object => done = self.close(),
                    Some(b']') if !object => done = self.close(),
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

    /// Skips whitespace; returns how much.
    #[inline]
    fn skip_whitespace(&mut self) -> usize {
        let from = self.pos;
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
        self.pos - from
    }

    fn push(&mut self, kind: Kind, flags: u8, start: usize, end: usize) -> usize {
        let index = self.doc.nodes.len();
        self.doc.nodes.push(Node {
            kind,
            flags,
            start: u32_of(start),
            end: u32_of(end),
            link: 0,
            members: 0,
        });
        index
    }

    /// Opens an array or object at the current `[` or `{`, and skips the whitespace after.
    fn open(&mut self, kind: Kind) -> Result<(), CanonicalError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(CanonicalError::TooDeep);
        }
        let node = self.push(kind, 0, self.pos, self.pos);
        self.pos += 1;
        let spaced = self.skip_whitespace() > 0;
        self.stack.push(Frame {
            node,
            object: kind == Kind::Object,
            keys_from: self.pending_keys.len(),
            verbatim: !spaced,
        });
        Ok(())
    }

    /// Closes the innermost container at its `]` or `}`; for an object, fixes its sorted
    /// member list. Returns the container's node.
    fn close(&mut self) -> usize {
        self.pos += 1;
        let Some(frame) = self.stack.pop() else {
            return 0;
        };
        let link = u32_of(self.doc.nodes.len());
        let mut verbatim = frame.verbatim;
        let mut members = 0;
        if frame.object {
            let (at, sorted) = self.sort_members(frame.keys_from);
            members = at;
            verbatim &= sorted;
        }
        if let Some(node) = self.doc.nodes.get_mut(frame.node) {
            node.end = u32_of(self.pos);
            node.link = link;
            node.members = members;
            if verbatim {
                node.flags |= VERBATIM;
            }
        }
        frame.node
    }

    /// Sorts the keys gathered since `from`, keeps the last of equal keys and appends the
    /// object's entry to `members`. Returns where it starts, and whether the keys were
    /// already strictly sorted in the body.
    fn sort_members(&mut self, from: usize) -> (u32, bool) {
        let at = u32_of(self.doc.members.len());
        let keys = self.pending_keys.get_mut(from..).unwrap_or_default();
        let members = &mut self.doc.members;
        let shape = &mut self.shape;
        if keys.len() > 1
            && keys.len() == shape.len
            && keys
                .iter()
                .zip(&shape.prefixes)
                .all(|(key, &p)| key.prefix == p)
        {
            members.push(u32_of(keys.len()));
            members.extend(
                shape
                    .order
                    .iter()
                    .take(shape.len)
                    .filter_map(|&i| keys.get(usize::from(i)).map(|key| key.node)),
            );
            let sorted = shape.sorted;
            self.pending_keys.truncate(from);
            return (at, sorted);
        }

        let body = self.body;
        let key_text = &self.doc.key_text;
        let text = |key: &PendingKey| {
            let source = if key.unescaped { &key_text[..] } else { body };
            source
                .get(key.start as usize..key.end as usize)
                .unwrap_or_default()
        };
        let keys = &*keys;
        let sorted = keys.windows(2).all(|pair| match pair {
            [x, y] => match x.prefix.cmp(&y.prefix) {
                Ordering::Less => true,
                Ordering::Greater => false,
                Ordering::Equal => text(x) < text(y),
            },
            _ => true,
        });
        // The order as `prefix << 32 | position`: sorting plain integers moves 16 bytes and
        // compares once, and the position breaks ties so equal keys keep document order.
        let mut small = [0u128; SHAPE_KEYS];
        let order: &mut [u128] = if keys.len() <= SHAPE_KEYS {
            small.get_mut(..keys.len()).unwrap_or_default()
        } else {
            self.order_scratch.clear();
            self.order_scratch.resize(keys.len(), 0);
            &mut self.order_scratch
        };
        for (slot, (position, key)) in order.iter_mut().zip(keys.iter().enumerate()) {
            *slot = (u128::from(key.prefix) << 32) | position as u128;
        }
        let key_at = |entry: u128| keys.get((entry & 0xffff_ffff) as usize);
        let prefix = |entry: u128| (entry >> 32) as u64;
        if !sorted {
            if order.len() <= SHAPE_KEYS {
                insertion_sort(order, |x, y| x < y);
            } else {
                order.sort_unstable();
            }
            // Keys sharing a prefix: by their whole text.
            let mut rest = &mut order[..];
            while let Some(&first) = rest.first() {
                let run = rest
                    .iter()
                    .take_while(|&&entry| prefix(entry) == prefix(first))
                    .count();
                let (same, after) = rest.split_at_mut(run);
                if same.len() > 1 {
                    let by_text = |x: u128, y: u128| {
                        let (tx, ty) = (key_at(x).map(text), key_at(y).map(text));
                        tx.cmp(&ty).then(x.cmp(&y))
                    };
                    if same.len() <= SHAPE_KEYS {
                        insertion_sort(same, |&x, &y| by_text(x, y) == Ordering::Less);
                    } else {
                        same.sort_unstable_by(|&x, &y| by_text(x, y));
                    }
                }
                rest = after;
            }
        }
        let distinct_prefixes = order.windows(2).all(|pair| match pair {
            [x, y] => prefix(*x) != prefix(*y),
            _ => true,
        });
        shape.len = 0;
        if (2..=SHAPE_KEYS).contains(&keys.len()) && distinct_prefixes {
            for (slot, key) in shape.prefixes.iter_mut().zip(keys) {
                *slot = key.prefix;
            }
            for (slot, &entry) in shape.order.iter_mut().zip(order.iter()) {
                *slot = (entry & 0xff) as u8;
            }
            shape.sorted = sorted;
            shape.len = keys.len();
        }
        // Keep the last of each run of equal keys.
        let count_at = members.len();
        members.push(0);
        for (i, &entry) in order.iter().enumerate() {
            let superseded = !distinct_prefixes
                && order.get(i + 1).is_some_and(|&later| {
                    prefix(later) == prefix(entry)
                        && key_at(later).map(text) == key_at(entry).map(text)
                });
            if !superseded {
                if let Some(key) = key_at(entry) {
                    members.push(key.node);
                }
            }
        }
        let count = u32_of(members.len() - count_at - 1);
        if let Some(slot) = members.get_mut(count_at) {
            *slot = count;
        }
        self.pending_keys.truncate(from);
        (at, sorted)
    }

    /// An object key (a string) and the `:` after it.
    fn key(&mut self) -> Result<(), CanonicalError> {
        if self.peek() != Some(b'"') {
            return Err(syntax(
                self.pos,
                "expecting property name enclosed in double quotes",
            ));
        }
        let start = self.pos;
        let scanned = scan::scan_string(self.body, start + 1)?;
        self.pos = scanned.end + 1;
        let body = self.body;
        let raw = body.get(start + 1..scanned.end).unwrap_or_default();
        // Flags are settled here, once the separator after the key is known: no reading
        // back of the node just written.
        let mut flags = if scanned.verbatim { VERBATIM } else { 0 };
        let mut link = 0;
        let text = if scanned.escaped {
            flags |= ESCAPED;
            let from = self.doc.key_text.len();
            scan::unescape_into(raw, &mut self.doc.key_text);
            link = u32_of(self.doc.keys.len());
            self.doc
                .keys
                .push((u32_of(from), u32_of(self.doc.key_text.len())));
            self.doc.key_text.get(from..).unwrap_or_default()
        } else {
            raw
        };
        let prefix = prefix_of(text);
        let (text_start, text_end) = if scanned.escaped {
            self.doc.keys.last().copied().unwrap_or((0, 0))
        } else {
            (u32_of(start + 1), u32_of(scanned.end))
        };
        self.pending_keys.push(PendingKey {
            prefix,
            node: u32_of(self.doc.nodes.len()),
            start: text_start,
            end: text_end,
            unescaped: scanned.escaped,
        });
        let spaced_before = self.skip_whitespace() > 0;
        if self.peek() != Some(b':') {
            return Err(syntax(self.pos, "expecting ':' delimiter"));
        }
        self.pos += 1;
        let after = self.skip_whitespace();
        if !spaced_before && after == 1 && body.get(self.pos - 1) == Some(&b' ') {
            flags |= CANONICAL_COLON;
        }
        self.doc.nodes.push(Node {
            kind: Kind::Str,
            flags,
            start: u32_of(start),
            end: u32_of(scanned.end + 1),
            link,
            members: 0,
        });
        Ok(())
    }

    /// The string starting at the current `"`: returns its node.
    fn string(&mut self) -> Result<usize, CanonicalError> {
        let start = self.pos;
        let scanned = scan::scan_string(self.body, start + 1)?;
        let mut flags = 0;
        if scanned.verbatim {
            flags |= VERBATIM;
        }
        if scanned.escaped {
            flags |= ESCAPED;
        }
        self.pos = scanned.end + 1;
        Ok(self.push(Kind::Str, flags, start, self.pos))
    }

    fn literal(&mut self, text: &'static [u8], kind: Kind) -> Result<usize, CanonicalError> {
        let start = self.pos;
        if !self.body.get(start..).unwrap_or_default().starts_with(text) {
            return Err(syntax(start, "expecting value"));
        }
        self.pos += text.len();
        Ok(self.push(kind, VERBATIM, start, self.pos))
    }

    /// A number, by the grammar of CPython's scanner: `-?(0|[1-9][0-9]*)(\.[0-9]+)?
    /// ([eE][-+]?[0-9]+)?`, or `-Infinity`. A `.` or `e` not followed by digits ends the
    /// number (and the next step then refuses the stray character).
    fn number(&mut self) -> Result<usize, CanonicalError> {
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
        let fraction_end = i;
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
        let token = body.get(start..i).unwrap_or_default();
        let (kind, flags) = if i != int_end {
            // Only a fraction without an exponent can be its own repr (`1.5`, never `1e5`).
            let own_repr = fraction_end == i && float::is_repr(token);
            let flags = if own_repr { VERBATIM } else { 0 };
            (Kind::Float, flags)
        } else if token == b"-0" {
            (Kind::NegZero, 0)
        } else {
            let digits = token.len() - usize::from(token.first() == Some(&b'-'));
            if digits > MAX_INT_DIGITS {
                self.doc.long_integer.get_or_insert((start, digits));
            }
            (Kind::Int, VERBATIM)
        };
        Ok(self.push(kind, flags, start, i))
    }
}

/// Insertion sort: for the handful of keys of a typical object it beats the library sort,
/// whose set-up dominates at that size.
#[inline]
fn insertion_sort<T: Copy>(items: &mut [T], less: impl Fn(&T, &T) -> bool) {
    for i in 1..items.len() {
        let mut j = i;
        while let (Some(current), Some(before)) =
            (items.get(j), j.checked_sub(1).and_then(|b| items.get(b)))
        {
            if !less(current, before) {
                break;
            }
            items.swap(j, j - 1);
            j -= 1;
        }
    }
}

/// The first eight bytes of a key, zero-padded, as a big-endian number: ordering these
/// orders the keys, except that equal prefixes need a full comparison.
#[inline]
fn prefix_of(text: &[u8]) -> u64 {
    match text.get(..8) {
        Some(&[a, b, c, d, e, f, g, h]) => u64::from_be_bytes([a, b, c, d, e, f, g, h]),
        _ => text
            .iter()
            .enumerate()
            .fold(0, |acc, (i, &b)| acc | (u64::from(b) << (56 - 8 * i))),
    }
}

/// Clears the innermost frame's verbatim mark unless `still`.
fn frame_verbatim_and(stack: &mut [Frame], still: bool) {
    if let Some(frame) = stack.last_mut() {
        frame.verbatim &= still;
    }
}
