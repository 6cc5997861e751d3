//! Differential test of the PromptLayer canonical form against real CPython:
//! `json.dumps(json.loads(body), sort_keys=True)`, byte for byte, on thousands of generated
//! documents (and mutated, mostly invalid, copies of them: both sides must refuse the same).
//! Each accepted document must also verify under a PromptLayer signature over CPython's
//! form: verification hashes the form as it is written, in chunks.
//!
//! The seed changes every run and is printed; `HOOKVERIFY_CANONICAL_SEED=<n>` replays one.
//! Without `python3` the differential part is skipped with a warning, unless `CI=true`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use hmac::{Hmac, Mac};
use hookverify::canonical::{canonical_json, CanonicalError};
use hookverify::senders::PromptLayer;
use hookverify::{Secret, Verifier};
use proptest::prelude::*;
use sha2::Sha256;

/// Valid documents generated per run (mutated copies come on top).
const DOCUMENTS: usize = 3000;

/// Reads base64 lines and answers, for each body:
/// - `OK <canonical> <python> <python canonical>` (base64 each): the canonical form; the body
///   as a Python sender would post it, `json.dumps(json.loads(body))`, mostly canonical
///   already but for key order (which exercises the copy-through paths); and its canonical
///   form (not always the first: keys that differ only as surrogate pair versus astral
///   character merge once written out);
/// - `ERR <exception>` when `json.loads` refuses it;
/// - `SKIP` when `json.loads` would not even decode it as UTF-8 (UTF-16/32 detection,
///   outside this crate's scope).
const ORACLE: &str = r#"
import base64, json, sys
out = []
b64 = lambda text: base64.b64encode(text.encode("ascii"))
for line in sys.stdin.buffer:
    body = base64.b64decode(line)
    if json.detect_encoding(body) not in ("utf-8", "utf-8-sig"):
        out.append(b"SKIP")
        continue
    try:
        value = json.loads(body)
        python = json.dumps(value)
        again = json.dumps(json.loads(python), sort_keys=True)
        out.append(b"OK " + b64(json.dumps(value, sort_keys=True)) + b" " + b64(python) + b" " + b64(again))
    except (ValueError, RecursionError) as error:
        out.append(b"ERR " + type(error).__name__.encode())
sys.stdout.buffer.write(b"\n".join(out) + b"\n")
"#;

/// splitmix64: tiny, deterministic, good enough to drive a generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

#[derive(Clone, Copy)]
enum Layout {
    Compact,
    Spaced,
    Pretty,
}

struct Gen {
    rng: Rng,
    layout: Layout,
}

const KEY_POOL: &[&str] = &[
    "a",
    "b",
    "ab",
    "B",
    "",
    "id",
    "event_type",
    "details",
    "z",
    "caf\\u00e9",
    "caf\u{e9}",
    "\\u0061",
    "a\\u0000",
    "\u{1f600}",
    "\\ud83d\\ude00",
    "\u{ff61}",
    "\\ud800",
    "\\udfff",
    "\u{7f}",
    "\\\"q\\\"",
    "key with space",
    "\u{e000}",
    "\u{d7ff}",
];

impl Gen {
    fn ws(&mut self, out: &mut Vec<u8>, indent: usize) {
        match self.layout {
            Layout::Compact => {}
            Layout::Spaced => {
                if self.rng.one_in(8) {
                    out.push(self.rng.pick(b" \t\r\n"));
                }
            }
            Layout::Pretty => {
                out.extend_from_slice(if self.rng.one_in(4) { b"\r\n" } else { b"\n" });
                for _ in 0..indent {
                    out.extend_from_slice(if self.rng.one_in(6) { b"\t" } else { b"  " });
                }
            }
        }
    }

    fn separator(&mut self, out: &mut Vec<u8>, sep: u8, indent: usize) {
        match self.layout {
            Layout::Compact => out.push(sep),
            Layout::Spaced => {
                out.push(sep);
                out.push(b' ');
            }
            Layout::Pretty => {
                out.push(sep);
                if sep == b',' {
                    self.ws(out, indent);
                } else {
                    out.push(b' ');
                }
            }
        }
    }

    fn value(&mut self, out: &mut Vec<u8>, depth: usize) {
        let container = depth < 6 && self.rng.below(10) < 4usize.saturating_sub(depth / 2).max(1);
        if !container {
            return self.scalar(out);
        }
        let len = match self.rng.below(10) {
            0 => 0,
            1..=6 => 1 + self.rng.below(4),
            _ => 4 + self.rng.below(12),
        };
        if self.rng.one_in(8) {
            return self.records(out, depth);
        }
        if self.rng.one_in(2) {
            out.push(b'{');
            let mut used: Vec<Vec<u8>> = Vec::new();
            for i in 0..len {
                if i == 0 {
                    self.ws(out, depth + 1);
                } else {
                    self.separator(out, b',', depth + 1);
                }
                // Duplicate keys: reuse an earlier key now and then.
                let key = if !used.is_empty() && self.rng.one_in(6) {
                    used[self.rng.below(used.len())].clone()
                } else {
                    let mut key = Vec::new();
                    if self.rng.one_in(2) {
                        key.extend_from_slice(self.rng.pick(KEY_POOL).as_bytes());
                    } else {
                        self.string_contents(&mut key, 6);
                    }
                    key
                };
                out.push(b'"');
                out.extend_from_slice(&key);
                out.push(b'"');
                used.push(key);
                self.separator(out, b':', depth + 1);
                self.value(out, depth + 1);
            }
            if len > 0 {
                self.ws(out, depth);
            }
            out.push(b'}');
        } else {
            out.push(b'[');
            for i in 0..len {
                if i == 0 {
                    self.ws(out, depth + 1);
                } else {
                    self.separator(out, b',', depth + 1);
                }
                self.value(out, depth + 1);
            }
            if len > 0 {
                self.ws(out, depth);
            }
            out.push(b']');
        }
    }

    /// An array of objects sharing their keys (mostly in the same order), as API payloads
    /// have: the parser reuses a key order across such records.
    fn records(&mut self, out: &mut Vec<u8>, depth: usize) {
        let keys: Vec<Vec<u8>> = (0..1 + self.rng.below(8))
            .map(|_| {
                let mut key = Vec::new();
                if self.rng.one_in(2) {
                    key.extend_from_slice(self.rng.pick(KEY_POOL).as_bytes());
                } else {
                    self.string_contents(&mut key, 3);
                }
                key
            })
            .collect();
        out.push(b'[');
        for i in 0..1 + self.rng.below(6) {
            if i > 0 {
                self.separator(out, b',', depth + 1);
            }
            out.push(b'{');
            let mut order: Vec<usize> = (0..keys.len()).collect();
            if self.rng.one_in(5) {
                order.swap(0, self.rng.below(keys.len()));
            }
            if self.rng.one_in(8) {
                order.push(self.rng.below(keys.len()));
            }
            for (j, &k) in order.iter().enumerate() {
                if j > 0 {
                    self.separator(out, b',', depth + 2);
                }
                out.push(b'"');
                out.extend_from_slice(&keys[k]);
                out.push(b'"');
                self.separator(out, b':', depth + 2);
                self.value(out, depth + 2);
            }
            out.push(b'}');
        }
        out.push(b']');
    }

    fn scalar(&mut self, out: &mut Vec<u8>) {
        match self.rng.below(20) {
            0..=6 => {
                out.push(b'"');
                self.string_contents(out, 24);
                out.push(b'"');
            }
            7..=9 => self.integer(out),
            10..=16 => self.float(out),
            17 => out.extend_from_slice(self.rng.pick(&[&b"NaN"[..], b"Infinity", b"-Infinity"])),
            18 => out.extend_from_slice(self.rng.pick(&[&b"true"[..], b"false"])),
            _ => out.extend_from_slice(b"null"),
        }
    }

    fn hex4(&mut self, out: &mut Vec<u8>, unit: u32) {
        let text = if self.rng.one_in(2) {
            format!("\\u{unit:04x}")
        } else {
            format!("\\u{unit:04X}")
        };
        out.extend_from_slice(text.as_bytes());
    }

    fn string_contents(&mut self, out: &mut Vec<u8>, max_pieces: usize) {
        let pieces = self.rng.below(max_pieces + 1);
        for _ in 0..pieces {
            match self.rng.below(22) {
                0..=5 => {
                    let len = 1 + self.rng.below(12);
                    for _ in 0..len {
                        out.push(b' ' + self.rng.below(95) as u8);
                        if matches!(out.last(), Some(b'"' | b'\\')) {
                            out.pop();
                            out.push(b'_');
                        }
                    }
                }
                6 => out.extend_from_slice(self.rng.pick(&[
                    &br#"\""#[..],
                    br"\\",
                    br"\/",
                    br"\b",
                    br"\f",
                    br"\n",
                    br"\r",
                    br"\t",
                ])),
                7 => {
                    let unit = self.rng.below(0x20) as u32;
                    self.hex4(out, unit);
                }
                8 => {
                    let unit = self.rng.below(0x80) as u32;
                    self.hex4(out, unit);
                }
                9 => {
                    let mut unit = self.rng.below(0x1_0000) as u32;
                    if (0xd800..0xe000).contains(&unit) {
                        unit = 0xe9;
                    }
                    self.hex4(out, unit);
                }
                10 => {
                    let cp = 0x1_0000 + self.rng.below(0x10_0000) as u32;
                    let v = cp - 0x1_0000;
                    self.hex4(out, 0xd800 | (v >> 10));
                    self.hex4(out, 0xdc00 | (v & 0x3ff));
                }
                11 | 12 => {
                    let c = loop {
                        let cp = match self.rng.below(4) {
                            0 => 0x80 + self.rng.below(0x780),
                            1 => 0x800 + self.rng.below(0xf800),
                            2 => 0x1_0000 + self.rng.below(0x10_0000),
                            _ => self
                                .rng
                                .pick(&[0xe9, 0x20ac, 0x1f600, 0xfeff, 0xffff, 0x10ffff]),
                        } as u32;
                        if let Some(c) = char::from_u32(cp) {
                            break c;
                        }
                    };
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
                13 => {
                    // Lone high surrogate escape, then something that is not a low one.
                    let unit = 0xd800 + self.rng.below(0x400) as u32;
                    self.hex4(out, unit);
                    out.extend_from_slice(self.rng.pick(&[
                        &b"x"[..],
                        b"\\n",
                        b"\\u0041",
                        b"\\ud800",
                    ]));
                }
                14 => {
                    let unit = 0xdc00 + self.rng.below(0x400) as u32;
                    self.hex4(out, unit);
                }
                15 => out.extend_from_slice(self.rng.pick(&[&b"\x7f"[..], b"\\u007f", b"\\u007F"])),
                16 => {
                    // Encoded surrogates (json.loads(bytes) decodes with surrogatepass), alone
                    // or as a raw pair, or a high escape followed by an encoded low.
                    let high = [
                        0xed,
                        0xa0 + self.rng.below(0x10) as u8,
                        0x80 + self.rng.below(0x40) as u8,
                    ];
                    let low = [
                        0xed,
                        0xb0 + self.rng.below(0x10) as u8,
                        0x80 + self.rng.below(0x40) as u8,
                    ];
                    match self.rng.below(4) {
                        0 => out.extend_from_slice(&high),
                        1 => out.extend_from_slice(&low),
                        2 => {
                            out.extend_from_slice(&high);
                            out.extend_from_slice(&low);
                        }
                        _ => {
                            self.hex4(out, 0xd83d);
                            out.extend_from_slice(&low);
                        }
                    }
                }
                17 => {
                    // Raw UTF-8 of the same astral character next to its escaped form.
                    out.extend_from_slice("\u{1f600}".as_bytes());
                    out.extend_from_slice(b"\\ud83d\\ude00");
                }
                18 => out.push(b'/'),
                19 => out.extend_from_slice("\u{e9}".as_bytes()),
                _ => out.extend_from_slice(b"plain/ascii-path_segment.txt"),
            }
        }
    }

    fn integer(&mut self, out: &mut Vec<u8>) {
        match self.rng.below(6) {
            0 => out.extend_from_slice(self.rng.pick(&[&b"0"[..], b"-0", b"1", b"-1"])),
            1 => out.extend_from_slice((self.rng.next() as i64).to_string().as_bytes()),
            2 => out.extend_from_slice((self.rng.below(1000) as i64 - 500).to_string().as_bytes()),
            3 => out.extend_from_slice(self.rng.pick(&[
                &b"18446744073709551615"[..],
                b"18446744073709551616",
                b"-9223372036854775808",
                b"-9223372036854775809",
                b"9007199254740993",
            ])),
            _ => {
                if self.rng.one_in(2) {
                    out.push(b'-');
                }
                out.push(b'1' + self.rng.below(9) as u8);
                for _ in 0..self.rng.below(100) {
                    out.push(b'0' + self.rng.below(10) as u8);
                }
            }
        }
    }

    fn float(&mut self, out: &mut Vec<u8>) {
        let text = match self.rng.below(12) {
            0 => {
                // Any finite bit pattern, in one of Rust's spellings.
                let value = loop {
                    let v = f64::from_bits(self.rng.next());
                    if v.is_finite() {
                        break v;
                    }
                };
                self.spell(value)
            }
            1 => {
                // Subnormals.
                let bits = self.rng.next() & 0x000f_ffff_ffff_ffff;
                let v = f64::from_bits(bits | (self.rng.next() & 0x8000_0000_0000_0000));
                self.spell(v)
            }
            2 => (self.rng.pick(&[
                "5e-324",
                "4.9406564584124654e-324",
                "2.4703282292062327e-324",
                "2.4703282292062328e-324",
                "1.7976931348623157e308",
                "1.7976931348623158e308",
                "1.7976931348623159e308",
                "2.2250738585072014e-308",
                "2.2250738585072011e-308",
                "1e400",
                "-1e400",
                "1e-400",
                "-1e-400",
                "-0.0",
                "0.0",
                "-0E0",
                "0e-0",
                "1E+2",
                "1.50",
                "1e15",
                "1e16",
                "1E16",
                "9999999999999998.0",
                "9999999999999999.0",
                "1.0000000000000002e16",
                "999999999999999.9",
                "1000000000000000.0",
                "0.0001",
                "0.00009999999999999999",
                "0.000099999",
                "9.999999999999999e-5",
                "1e-5",
                "0.00001",
                "1.0000000000000001e-5",
                "0.1",
                "0.30000000000000004",
                "123456789012345678901234567890.5e-10",
            ]))
            .to_owned(),
            3 => {
                // Around the repr notation boundaries, one ulp at a time.
                let base: f64 = self
                    .rng
                    .pick(&[1e-5, 1e-4, 1e15, 1e16, 1e-4 * 9.5, 1e16 * 0.95]);
                let steps = self.rng.below(9) as i64 - 4;
                let v = f64::from_bits((base.to_bits() as i64 + steps) as u64);
                self.spell(v)
            }
            4 => {
                // Short decimals, often with trailing zeros: the common case on the wire.
                let int = self.rng.below(100_000);
                let frac_len = 1 + self.rng.below(8);
                let mut frac = String::new();
                for _ in 0..frac_len {
                    frac.push(char::from(b'0' + self.rng.below(10) as u8));
                }
                let sign = if self.rng.one_in(4) { "-" } else { "" };
                format!("{sign}{int}.{frac}")
            }
            5 => {
                // Random digit strings with random exponents.
                let mut s = String::new();
                if self.rng.one_in(3) {
                    s.push('-');
                }
                s.push(char::from(b'0' + self.rng.below(10) as u8));
                if s.ends_with('0') && self.rng.one_in(2) {
                    s.pop();
                    s.push('7');
                }
                if self.rng.one_in(2) {
                    s.push('.');
                    for _ in 0..1 + self.rng.below(25) {
                        s.push(char::from(b'0' + self.rng.below(10) as u8));
                    }
                }
                s.push(self.rng.pick(&['e', 'E']));
                s.push_str(self.rng.pick(&["", "+", "-"]));
                s.push_str(&self.rng.below(330).to_string());
                s
            }
            6 => {
                let v = (self.rng.next() as f64 / u64::MAX as f64)
                    * 10f64.powi(self.rng.below(40) as i32 - 20);
                self.spell(v)
            }
            7 => {
                // Long decimals: many digits beyond a double's precision.
                let mut s = String::from("0.");
                for _ in 0..self.rng.below(60) {
                    s.push('0');
                }
                for _ in 0..1 + self.rng.below(120) {
                    s.push(char::from(b'0' + self.rng.below(10) as u8));
                }
                s
            }
            _ => {
                let v = (self.rng.next() % 2_000_000) as f64 / 1000.0 - 1000.0;
                self.spell(v)
            }
        };
        out.extend_from_slice(text.as_bytes());
    }

    /// A float in JSON, spelled one of several ways; always with a fraction or exponent so
    /// Python reads a float.
    fn spell(&mut self, value: f64) -> String {
        match self.rng.below(4) {
            0 => format!("{value:e}"),
            1 => format!("{value:E}")
                .replace('E', if self.rng.one_in(2) { "E+" } else { "E" })
                .replace("E+-", "E-"),
            2 => format!("{value:.17e}"),
            _ => {
                let text = format!("{value:?}");
                if text.contains(['.', 'e']) {
                    text
                } else {
                    format!("{text}.0")
                }
            }
        }
    }

    /// An array of many floats: repr is the easiest thing to get subtly wrong. Includes
    /// values that are exact ties between two shortest candidates (x.25, x.75 near 2^50..2^53),
    /// where CPython's dtoa rounds to even.
    fn float_array(&mut self, count: usize) -> Vec<u8> {
        let mut out = b"[".to_vec();
        for i in 0..count {
            if i > 0 {
                out.extend_from_slice(b", ");
            }
            if self.rng.one_in(3) {
                let int = (1u64 << (50 + self.rng.below(3))) + self.rng.next() % (1 << 50);
                let frac = self
                    .rng
                    .pick(&["25", "75", "125", "375", "5", "625", "875"]);
                out.extend_from_slice(format!("{int}.{frac}").as_bytes());
            } else {
                self.float(&mut out);
            }
        }
        out.push(b']');
        out
    }

    fn document(&mut self) -> Vec<u8> {
        self.layout = self
            .rng
            .pick(&[Layout::Compact, Layout::Spaced, Layout::Pretty]);
        let mut out = Vec::new();
        if self.rng.one_in(30) {
            out.extend_from_slice(b"\xef\xbb\xbf");
        }
        if self.rng.one_in(10) {
            out.extend_from_slice(self.rng.pick(&[&b" "[..], b"\n", b"\t\r\n "]));
        }
        if self.rng.one_in(8) {
            self.value(&mut out, 0);
        } else {
            // Mostly objects, as webhooks are.
            let mut inner = Vec::new();
            while !inner.starts_with(b"{") {
                inner.clear();
                self.value(&mut inner, 0);
            }
            out.extend_from_slice(&inner);
        }
        if self.rng.one_in(10) {
            out.extend_from_slice(self.rng.pick(&[&b" "[..], b"\n", b"\r\n"]));
        }
        out
    }

    /// A copy with one small damage; most are invalid, some stay valid.
    fn mutate(&mut self, body: &[u8]) -> Vec<u8> {
        let mut out = body.to_vec();
        let at = self.rng.below(out.len() + 1);
        match self.rng.below(6) {
            0 => out.truncate(at),
            1 if at < out.len() => {
                out.remove(at);
            }
            2 => {
                let byte = self
                    .rng
                    .pick(b"{}[]\",:\\ -+.eE0u\x01\x7f\x80\xc3\xed\xff\t");
                out.insert(at, byte);
            }
            3 if at < out.len() => {
                let byte = self.rng.pick(b"{}[]\",:\\ -+.eE0u\x1f\x80\xa0\xbf\xf0");
                out[at] = byte;
            }
            4 => {
                let tail: &[u8] =
                    self.rng
                        .pick(&[&b" x"[..], b",", b"}", b"]", b" 1", b"\"", b"\\u"]);
                out.extend_from_slice(tail);
            }
            _ => {
                let piece: &[u8] = self.rng.pick(&[
                    &b"\\ud800"[..],
                    b"\\uDFFF\\uD800",
                    b"\\u12",
                    b"\\x",
                    b"01",
                    b"-",
                    b"1.",
                    b"1e",
                    b".5",
                    b"NaN",
                    b"-Infinity",
                    b"\xed\xa0\x80",
                ]);
                for (offset, &byte) in piece.iter().enumerate() {
                    out.insert((at + offset).min(out.len()), byte);
                }
            }
        }
        out
    }
}

fn seed() -> u64 {
    match std::env::var("HOOKVERIFY_CANONICAL_SEED") {
        Ok(text) => text
            .trim()
            .parse()
            .expect("HOOKVERIFY_CANONICAL_SEED must be a decimal u64"),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x5eed),
    }
}

/// Boundary cases sent alongside the generated ones.
fn fixed_cases() -> Vec<Vec<u8>> {
    let mut cases: Vec<Vec<u8>> = vec![
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]".to_vec(),
        format!("{}1{}", "[".repeat(128), "]".repeat(128)).into_bytes(),
        format!("{}1{}", "{\"a\": ".repeat(128), "}".repeat(128)).into_bytes(),
        "9".repeat(4300).into_bytes(),
        "9".repeat(4301).into_bytes(),
        format!("-{}", "9".repeat(4300)).into_bytes(),
        b"[0.5, 0.50, 5e-1]".to_vec(),
        b"\xef\xbb\xbf{}".to_vec(),
        b"\xef\xbb\xbf\xef\xbb\xbf{}".to_vec(),
        b"\"\xed\xa0\xbd\xed\xb8\x80\"".to_vec(),
        b"{\"\\ud83d\\ude00\": 1, \"\xed\xa0\xbd\xed\xb8\x80\": 2, \"\\ud83d\xed\xb8\x80\": 3}"
            .to_vec(),
        b"\"\xed\x9f\xbf\xee\x80\x80\"".to_vec(),
        b"".to_vec(),
        b" ".to_vec(),
        b"\x0c[]".to_vec(),
        b"[]\x0b".to_vec(),
        "[\u{a0}]".as_bytes().to_vec(),
        "\u{2028}1".as_bytes().to_vec(),
    ];
    for token in [
        "1",
        "-0",
        "-0.0",
        "1.0",
        "1e5",
        "NaN",
        "Infinity",
        "-Infinity",
        "true",
        "null",
        "\"\"",
    ] {
        cases.push(token.as_bytes().to_vec());
    }
    cases
}

/// Numbers whose mantissa or exponent runs to tens of thousands of digits, at and around the
/// powers of two where a digit accumulator could stop counting or wrap (65,536 is where
/// `str::parse::<f64>` stops counting exponent digits), checked byte for byte like the rest.
fn huge_number_cases(rng: &mut Rng) -> Vec<Vec<u8>> {
    const BOUNDARIES: &[u64] = &[
        32_767,
        32_768,
        65_535,
        65_536,
        65_537,
        131_072,
        655_360,
        (1 << 31) - 1,
        1 << 31,
        1 << 32,
        (1 << 32) + 1,
        (1 << 63) - 1,
        1 << 63,
        u64::MAX,
    ];
    let mut cases: Vec<String> = Vec::new();
    for &e in BOUNDARIES {
        for sign in ["", "+", "-"] {
            cases.push(format!(
                "[1e{sign}{e}, 0.5E{sign}{e}, -7.25e{sign}{e}, 0e{sign}{e}]"
            ));
            cases.push(format!("[1e{sign}{}{e}, -0.0E{sign}{e}]", "0".repeat(40)));
            cases.push(format!("1e{sign}{e}0"));
        }
        if e > 70_000 {
            continue;
        }
        let e = e as usize;
        // 1.2 * 10^(k-1) from a mantissa of about e digits against exponent -e, and from a
        // fraction behind about e zeros against exponent +e.
        for k in [
            -340i64, -330, -324, -323, -308, -5, -3, 0, 1, 3, 300, 308, 309, 310, 320,
        ] {
            let zeros = (e as i64 - 2 + k).max(0) as usize;
            cases.push(format!("{{\"score\": 12{}e-{e}}}", "0".repeat(zeros)));
            let zeros = (e as i64 - k).max(0) as usize;
            cases.push(format!("[-0.{}12E+{e}]", "0".repeat(zeros)));
        }
        // Long random mantissas: the rounding of their first digits must hold.
        let digits: String = (0..e)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect();
        for k in [-320i64, -7, 0, 15, 300] {
            cases.push(format!("[0.{digits}e{k}, {digits}e-{}]", e as i64 - k));
        }
    }
    // The reported forgery: a genuine 0.0012 replaced by a value CPython reads as 0.0.
    cases.push(format!(
        "{{\"event_type\": \"report_finished\", \"details\": {{\"report_id\": 7, \"score\": 12{}e-655360}}}}",
        "0".repeat(65_532)
    ));
    cases.into_iter().map(String::into_bytes).collect()
}

/// Verification hashes the canonical form as it is written, in chunks, not the one vector
/// `canonical_json` returns: a PromptLayer signature over CPython's form must verify. (A
/// body already canonical is answered by the raw check first; every other one goes through
/// the chunks.)
fn streamed_form_verifies(body: &[u8], expected: &[u8]) -> Result<(), String> {
    const KEY: &str = "canonical-differential-secret";
    let mut mac = Hmac::<Sha256>::new_from_slice(KEY.as_bytes()).unwrap();
    mac.update(expected);
    let signature = mac
        .finalize()
        .into_bytes()
        .iter()
        .fold(String::new(), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        });
    let verifier = Verifier::builder()
        .sender(PromptLayer, Secret::new(KEY).unwrap())
        .build();
    let headers = [("x-promptlayer-signature", signature)];
    verifier
        .verify(&headers[..], body.to_vec())
        .map(|_| ())
        .map_err(|error| {
            format!(
                "canonical_json agrees with CPython, but a signature over it is refused: {error}"
            )
        })
}

/// Our canonical form of `body` against CPython's, `expected`.
fn compare(body: &[u8], expected: &[u8]) -> Result<(), String> {
    match canonical_json(body) {
        Ok(ours) if ours == expected => streamed_form_verifies(body, expected),
        Ok(ours) => {
            let at = expected
                .iter()
                .zip(&ours)
                .take_while(|(a, b)| a == b)
                .count();
            let window =
                |bytes: &[u8]| show(&bytes[at.saturating_sub(60)..(at + 60).min(bytes.len())]);
            Err(format!(
                "first difference at byte {at}:\n  CPython: ...{}...\n  ours:    ...{}...\nCPython: {}\nours:    {}",
                window(expected),
                window(&ours),
                show(expected),
                show(&ours)
            ))
        }
        // Deliberate: CPython's limit is its recursion limit, ours MAX_DEPTH.
        Err(CanonicalError::TooDeep) => Ok(()),
        Err(error) => Err(format!(
            "CPython: {}\nours:    refused: {error}",
            show(expected)
        )),
    }
}

fn run_python(bodies: &[Vec<u8>]) -> Option<Vec<String>> {
    let child = Command::new("python3")
        .args(["-c", ORACLE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => {
            let message = format!("python3 could not be started ({error})");
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{message}: the CPython differential test cannot run on CI"
            );
            eprintln!("\n!!!!!!!!!! SKIPPED: {message}; the canonical form was NOT checked against CPython !!!!!!!!!!\n");
            return None;
        }
    };
    let mut stdin = child.stdin.take().expect("piped stdin");
    let mut input = String::new();
    for body in bodies {
        input.push_str(&base64(body));
        input.push('\n');
    }
    // Written from another thread: the answers fill the other pipe meanwhile.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let stdout = child.stdout.take().expect("piped stdout");
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .collect::<Result<_, _>>()
        .expect("python3 output");
    writer
        .join()
        .expect("writer thread")
        .expect("writing to python3");
    let status = child.wait().expect("python3 exit");
    assert!(status.success(), "python3 failed: {status}");
    assert_eq!(
        lines.len(),
        bodies.len(),
        "python3 answered {} of {} bodies",
        lines.len(),
        bodies.len()
    );
    Some(lines)
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::with_capacity(bytes.len() / 3 * 4 + 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                text.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                text.push('=');
            }
        }
    }
    text
}

fn unbase64(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        acc = acc << 6 | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn show(bytes: &[u8]) -> String {
    let mut text = String::new();
    for chunk in bytes.utf8_chunks() {
        text.push_str(&chunk.valid().escape_debug().to_string());
        for byte in chunk.invalid() {
            let _ = write!(text, "\\x{byte:02x}");
        }
    }
    text
}

#[test]
fn canonical_form_matches_cpython() {
    let seed = seed();
    eprintln!("canonical_cpython: seed {seed} (replay with HOOKVERIFY_CANONICAL_SEED={seed})");
    let mut generator = Gen {
        rng: Rng(seed),
        layout: Layout::Compact,
    };
    let mut bodies = fixed_cases();
    for _ in 0..DOCUMENTS {
        let body = generator.document();
        if generator.rng.one_in(2) {
            let mutated = generator.mutate(&body);
            bodies.push(mutated);
        }
        bodies.push(body);
    }
    for _ in 0..10 {
        bodies.push(generator.float_array(500));
    }
    let huge = huge_number_cases(&mut generator.rng);
    let huge_count = huge.len();
    bodies.extend(huge);
    let Some(answers) = run_python(&bodies) else {
        return;
    };

    let mut failures: Vec<String> = Vec::new();
    let (mut agreed_ok, mut agreed_err, mut python_style, mut skipped) = (0, 0, 0, 0);
    for (body, answer) in bodies.iter().zip(&answers) {
        let mut fields = answer.split(' ');
        let verdict = match fields.next() {
            Some("SKIP") => {
                skipped += 1;
                Ok(())
            }
            Some("ERR") => match canonical_json(body) {
                Err(_) => {
                    agreed_err += 1;
                    Ok(())
                }
                Ok(ours) => Err(format!(
                    "CPython: {}\nours:    {}",
                    fields.next().unwrap_or("?"),
                    show(&ours)
                )),
            },
            Some("OK") => {
                let expected = unbase64(fields.next().unwrap_or_default());
                let python = unbase64(fields.next().unwrap_or_default());
                let python_expected = unbase64(fields.next().unwrap_or_default());
                compare(body, &expected)
                    .map(|()| agreed_ok += 1)
                    .and_then(|()| {
                        compare(&python, &python_expected)
                            .map(|()| python_style += 1)
                            .map_err(|why| {
                                format!("on CPython's json.dumps of it, {}\n{why}", show(&python))
                            })
                    })
            }
            _ => Err(format!("unexpected python3 answer {answer:?}")),
        };
        if let Err(verdict) = verdict {
            let saved = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("canonical-cpython-failure-{}.json", failures.len()));
            let _ = std::fs::write(&saved, body);
            failures.push(format!(
                "{verdict}\ninput ({}): {}",
                saved.display(),
                show(body)
            ));
        }
    }
    eprintln!(
        "canonical_cpython: {agreed_ok} identical ({python_style} also as CPython's json.dumps \
         writes them), {agreed_err} refused by both, {skipped} skipped"
    );
    if !failures.is_empty() {
        for failure in failures.iter().take(10) {
            let short: String = failure.chars().take(4000).collect();
            eprintln!("---\n{short}");
        }
        panic!(
            "{} of the documents differ from CPython (seed {seed}; replay with HOOKVERIFY_CANONICAL_SEED={seed})",
            failures.len()
        );
    }
    assert!(
        agreed_ok >= DOCUMENTS + huge_count,
        "only {agreed_ok} valid documents were compared"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(out) = canonical_json(&bytes) {
            prop_assert!(out.is_ascii());
        }
    }

    #[test]
    fn json_like_bytes_never_panic(
        bytes in proptest::collection::vec(
            proptest::sample::select(b"{}[]\",:0123456789-+.eEuU \t\n\\/bfnrtNaIiy\x7f\xc3\xa9\xed\xa0\xbf\x80\xf0\x9f".to_vec()),
            0..256,
        )
    ) {
        if let Ok(out) = canonical_json(&bytes) {
            prop_assert!(out.is_ascii());
        }
    }
}

/// A decimal value `0.D x 10^exponent` spelled as JSON in one of many ways; `zeros` is how
/// long the padding runs (tens of thousands reaches past where exponent readers saturate).
fn spell(rng: &mut Rng, digits: &str, exponent: i64) -> String {
    let len = digits.len() as i64;
    let zeros = if rng.one_in(6) {
        65_520 + rng.below(40)
    } else {
        rng.below(8)
    };
    let pad = "0".repeat(zeros);
    let z = zeros as i64;
    match rng.below(6) {
        0 => format!("0.{digits}e{exponent}"),
        1 => format!("{digits}e{}", exponent - len),
        2 => format!("{digits}{pad}E{}", exponent - len - z),
        3 => {
            let e = exponent + z;
            let sign = if e >= 0 { "+" } else { "" };
            format!("0.{pad}{digits}e{sign}{e}")
        }
        4 => {
            let point = 1 + rng.below(digits.len());
            let (int, frac) = digits.split_at(point);
            let frac = if frac.is_empty() && pad.is_empty() {
                "0"
            } else {
                frac
            };
            format!("{int}.{frac}{pad}e{}", exponent - point as i64)
        }
        // A different value that a reader whose exponent stops counting at 65,536 takes
        // for this one: the exponent that would balance the padding, with one more digit.
        _ => {
            let pad = "0".repeat(65_536 + rng.below(40));
            let balance = pad.len() as i64 + len - exponent;
            format!("{digits}{pad}e-{balance}{}", rng.below(10))
        }
    }
}

/// Whenever a PromptLayer body verifies through the canonical form, the handler is handed
/// exactly the signed canonical bytes and reads their values, never the body's own: a body
/// with one number respelled verifies under the original signature only if CPython reads
/// it as the same document.
#[test]
fn handler_reads_only_signed_values() {
    use hookverify::pipeline::{Pipeline, WebhookConfig};
    use hookverify::{testing, Provider, Secret, SignedForm};

    const PAIRS: usize = 400;
    let seed = seed();
    eprintln!("signed values: seed {seed} (replay with HOOKVERIFY_CANONICAL_SEED={seed})");
    let mut rng = Rng(seed);
    let mut bodies: Vec<Vec<u8>> = Vec::new();
    for _ in 0..PAIRS {
        let digits: String = std::iter::once(char::from(b'1' + rng.below(9) as u8))
            .chain((0..rng.below(18)).map(|_| char::from(b'0' + rng.below(10) as u8)))
            .collect();
        let exponent = rng.below(12) as i64 - 6;
        let other = spell(&mut rng, &digits, exponent);
        let template = |score: &str| {
            format!(
                "{{\"event_type\": \"report_finished\", \"details\": {{\"report_id\": 7, \
                 \"score\": {score}, \"label\": \"caf\\u00e9\"}}, \"workspace_id\": 1}}"
            )
        };
        let original = template(&spell(&mut rng, &digits, exponent));
        bodies.push(original.into_bytes());
        bodies.push(template(&other).into_bytes());
    }
    let Some(answers) = run_python(&bodies) else {
        return;
    };
    let canonical_of = |answer: &str| -> Vec<u8> {
        let mut fields = answer.split(' ');
        assert_eq!(
            fields.next(),
            Some("OK"),
            "CPython refused a generated body"
        );
        unbase64(fields.next().unwrap_or_default())
    };

    let secret = Secret::new("signed-values-secret").unwrap();
    let pipeline = Pipeline::new(WebhookConfig::new(secret.clone()).dedup(false));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (mut same_value, mut refused) = (0, 0);
    for (pair, answers) in bodies.chunks(2).zip(answers.chunks(2)) {
        let signed = canonical_of(&answers[0]);
        let respelled_signed = canonical_of(&answers[1]);
        let signature = testing::sign_bytes(Provider::PROMPTLAYER, &secret, &signed).expect("sign");
        let headers = [(signature.name(), signature.value())];
        for (body, same) in [(&pair[0], true), (&pair[1], respelled_signed == signed)] {
            let admitted = runtime.block_on(pipeline.admit(&headers[..], body.clone()));
            match admitted {
                Ok(admitted) => {
                    assert!(
                        same,
                        "a body CPython reads differently verified:\n  signed: {}\n  body:   {}",
                        show(&signed),
                        show(body)
                    );
                    let delivery = admitted.delivery();
                    assert_eq!(delivery.signed_form(), SignedForm::Canonical);
                    assert_eq!(delivery.body().as_ref(), signed.as_slice());
                    let read: serde_json::Value = delivery.json().unwrap();
                    let signed_value: serde_json::Value = serde_json::from_slice(&signed).unwrap();
                    assert_eq!(read, signed_value, "body {}", show(body));
                    if !std::ptr::eq(body, &pair[0]) {
                        same_value += 1;
                    }
                }
                Err(rejection) => {
                    assert!(
                        !same,
                        "a body CPython reads as the signed one was refused ({rejection}): {}",
                        show(body)
                    );
                    refused += 1;
                }
            }
        }
    }
    eprintln!("signed values: {same_value} respellings of the same value verified, {refused} of other values refused");
    assert!(
        same_value > PAIRS / 4 && refused > PAIRS / 8,
        "too few of each kind"
    );
}
