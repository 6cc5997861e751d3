//! A body made readable: JSON re-indented token by token (its keys in their order, its
//! numbers as written), otherwise the text as received.

use super::store::PayloadKind;

/// The body for reading, and what it is.
pub(crate) fn render(body: &[u8]) -> (PayloadKind, String) {
    match std::str::from_utf8(body) {
        Ok(text) if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() => {
            (PayloadKind::Json, reindent(text))
        }
        Ok(text) => (PayloadKind::Text, text.to_owned()),
        Err(_) => (
            PayloadKind::Binary,
            String::from_utf8_lossy(body).into_owned(),
        ),
    }
}

/// Valid JSON `text` laid out with two-space indentation. Only the whitespace between
/// tokens changes: strings, numbers and key order stay exactly as written.
fn reindent(text: &str) -> String {
    const INDENT: &str = "  ";
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(INDENT);
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                let mut escaped = false;
                for c in chars.by_ref() {
                    out.push(c);
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
            }
            '{' | '[' => {
                out.push(c);
                while chars.peek().is_some_and(char::is_ascii_whitespace) {
                    chars.next();
                }
                if let Some(close @ ('}' | ']')) = chars.peek().copied() {
                    out.push(close);
                    chars.next();
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_its_order_and_numbers() {
        let body =
            br#"{"z":1.50,"a":[1, 2,{}],"s":"a \"b\": {c}, [d]","e":[ ],"n":12345678901234567890}"#;
        let (kind, text) = render(body);
        assert_eq!(kind, PayloadKind::Json);
        assert_eq!(
            text,
            "{\n  \"z\": 1.50,\n  \"a\": [\n    1,\n    2,\n    {}\n  ],\n  \"s\": \"a \\\"b\\\": {c}, [d]\",\n  \"e\": [],\n  \"n\": 12345678901234567890\n}"
        );
        let reparsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        let original: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(reparsed, original);
    }

    #[test]
    fn text_and_bytes_are_shown_as_they_are() {
        assert_eq!(
            render(b"<b>not json</b>"),
            (PayloadKind::Text, "<b>not json</b>".to_owned())
        );
        assert_eq!(render(b"a\xffb").0, PayloadKind::Binary);
        assert_eq!(render(b"\"just a string\"").1, "\"just a string\"");
    }
}
