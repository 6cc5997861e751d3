//! JSON with members in the order a sender writes them, written the way each sender's
//! serializer writes it.

use std::fmt::Write as _;

/// A JSON value whose objects keep their members' order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Int(i64),
    /// A float, written as given (senders' floats are short decimals).
    Float(&'static str),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(&'static str, Json)>),
}

/// How a sender's serializer lays JSON out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Python's `json.dumps` defaults: `", "` and `": "`, non-ASCII as `\uXXXX`.
    Python,
    /// `JSON.stringify` / Go / Ruby compact: no spaces, UTF-8 as is.
    Compact,
    /// Two-space indentation, `": "` (Stripe).
    Pretty,
}

impl Json {
    pub(crate) fn str(text: impl Into<String>) -> Self {
        Json::Str(text.into())
    }

    pub(crate) fn write(&self, style: Style) -> String {
        let mut out = String::new();
        self.write_into(style, 0, &mut out);
        out
    }

    fn write_into(&self, style: Style, depth: usize, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
            Json::Int(value) => {
                let _ = write!(out, "{value}");
            }
            Json::Float(text) => out.push_str(text),
            Json::Str(text) => write_string(text, style == Style::Python, out),
            Json::Array(items) => {
                write_sequence(style, depth, out, '[', ']', items.len(), |index, out| {
                    items[index].write_into(style, depth + 1, out);
                });
            }
            Json::Object(members) => {
                write_sequence(style, depth, out, '{', '}', members.len(), |index, out| {
                    let (key, value) = &members[index];
                    write_string(key, style == Style::Python, out);
                    out.push_str(if style == Style::Compact { ":" } else { ": " });
                    value.write_into(style, depth + 1, out);
                });
            }
        }
    }
}

fn write_sequence(
    style: Style,
    depth: usize,
    out: &mut String,
    open: char,
    close: char,
    len: usize,
    mut item: impl FnMut(usize, &mut String),
) {
    out.push(open);
    if len == 0 {
        out.push(close);
        return;
    }
    for index in 0..len {
        match (style, index) {
            (Style::Pretty, _) => {
                if index > 0 {
                    out.push(',');
                }
                out.push('\n');
                out.push_str(&"  ".repeat(depth + 1));
            }
            (Style::Python, 1..) => out.push_str(", "),
            (Style::Compact, 1..) => out.push(','),
            _ => {}
        }
        item(index, out);
    }
    if style == Style::Pretty {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    }
    out.push(close);
}

fn write_string(text: &str, ensure_ascii: bool, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || (ensure_ascii && (c as u32) > 0x7e) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_style_writes_as_its_sender() {
        let value = Json::Object(vec![
            ("b", Json::Int(1)),
            ("a", Json::Array(vec![Json::str("é"), Json::Null])),
            ("e", Json::Object(vec![])),
        ]);
        assert_eq!(
            value.write(Style::Python),
            r#"{"b": 1, "a": ["\u00e9", null], "e": {}}"#
        );
        assert_eq!(
            value.write(Style::Compact),
            r#"{"b":1,"a":["é",null],"e":{}}"#
        );
        assert_eq!(
            value.write(Style::Pretty),
            "{\n  \"b\": 1,\n  \"a\": [\n    \"é\",\n    null\n  ],\n  \"e\": {}\n}"
        );
    }
}
