//! A body made readable: JSON re-indented token by token (its keys in their order, its
//! numbers as written), otherwise the text as received.
//!
//! What is shown is bounded, whatever the body: re-indenting can multiply a body's size
//! (deeply nested short values: `[[[…0,0,0…]]]` of 1 MiB is ~100 MiB indented), so JSON is
//! re-indented only while the result stays within [`PRETTY_FACTOR`] times the body and
//! [`PRETTY_MAX`] bytes, and is shown as received otherwise; text shown as received is cut
//! at [`SHOWN_MAX`] bytes. Either way the payload's note says so. The body itself is kept
//! whole, for replay.

use super::store::PayloadKind;

/// Re-indented JSON is shown only when it is at most this many times the body's size…
pub(crate) const PRETTY_FACTOR: usize = 4;
/// …and at most this many bytes.
pub(crate) const PRETTY_MAX: usize = 2 << 20;
/// Text shown as received is cut after this many bytes.
pub(crate) const SHOWN_MAX: usize = 256 << 10;

/// A body made readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Payload {
    /// What the body is.
    pub(crate) kind: PayloadKind,
    /// The body for reading: re-indented JSON, or the (start of the) text as received.
    pub(crate) text: String,
    /// Said when `text` is not the whole body re-indented or as received.
    pub(crate) note: Option<String>,
}

/// The body for reading, what it is, and what of it is left out.
pub(crate) fn render(body: &[u8]) -> Payload {
    match std::str::from_utf8(body) {
        Ok(text) if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() => {
            let limit = body.len().saturating_mul(PRETTY_FACTOR).min(PRETTY_MAX);
            match reindent(text, limit) {
                Some(pretty) => Payload {
                    kind: PayloadKind::Json,
                    text: pretty,
                    note: None,
                },
                None => {
                    let (text, cut) = cut(text, body.len());
                    let mut note = format!(
                        "JSON shown as received: indented it would be over {}",
                        size(limit)
                    );
                    if let Some(cut) = cut {
                        note.push_str("; ");
                        note.push_str(&cut);
                    }
                    Payload {
                        kind: PayloadKind::Json,
                        text,
                        note: Some(note),
                    }
                }
            }
        }
        Ok(text) => {
            let (text, note) = cut(text, body.len());
            Payload {
                kind: PayloadKind::Text,
                text,
                note,
            }
        }
        Err(_) => {
            // At most SHOWN_MAX bytes of the body, each at most one replacement character
            // (three bytes): decode no more than that.
            let head = &body[..body.len().min(SHOWN_MAX)];
            let (text, note) = cut(&String::from_utf8_lossy(head), body.len());
            let note = note
                .or_else(|| (head.len() < body.len()).then(|| truncated(head.len(), body.len())));
            Payload {
                kind: PayloadKind::Binary,
                text,
                note,
            }
        }
    }
}

/// `text` cut at [`SHOWN_MAX`] bytes (on a character boundary), and if cut, the note
/// saying so of a body of `size` bytes.
fn cut(text: &str, size: usize) -> (String, Option<String>) {
    if text.len() <= SHOWN_MAX {
        return (text.to_owned(), None);
    }
    let mut end = SHOWN_MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (text[..end].to_owned(), Some(truncated(end, size)))
}

fn truncated(shown: usize, size: usize) -> String {
    format!(
        "truncated: only the first {} of the {size}-byte body shown (replay sends it whole)",
        size_of_text(shown)
    )
}

fn size_of_text(bytes: usize) -> String {
    if bytes % 1024 == 0 {
        size(bytes)
    } else {
        format!("{bytes} bytes")
    }
}

fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes % (1 << 20) == 0 {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes % (1 << 10) == 0 {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// Valid JSON `text` laid out with two-space indentation, or `None` as soon as that is
/// over `limit` bytes. Only the whitespace between tokens changes: strings, numbers and key
/// order stay exactly as written.
fn reindent(text: &str, limit: usize) -> Option<String> {
    let pretty = hookverify::explain::relayout(text.as_bytes(), Some(2), limit)?;
    // Only ASCII whitespace was added to UTF-8 text.
    String::from_utf8(pretty).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(body: &[u8]) -> (PayloadKind, String) {
        let payload = render(body);
        assert_eq!(payload.note, None, "{:?}", payload.note);
        (payload.kind, payload.text)
    }

    #[test]
    fn json_keeps_its_order_and_numbers() {
        let body =
            br#"{"z":1.50,"a":[1, 2,{}],"s":"a \"b\": {c}, [d]","e":[ ],"n":12345678901234567890}"#;
        let (kind, text) = shown(body);
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
            shown(b"<b>not json</b>"),
            (PayloadKind::Text, "<b>not json</b>".to_owned())
        );
        assert_eq!(shown(b"a\xffb").0, PayloadKind::Binary);
        assert_eq!(shown(b"\"just a string\"").1, "\"just a string\"");
    }

    /// `[` x 100, `0,` x 524288, `0`, `]` x 100: 1 MiB that is ~106 MB re-indented.
    fn deeply_nested() -> Vec<u8> {
        let mut body = Vec::with_capacity(1 << 20);
        body.extend(std::iter::repeat_n(b'[', 100));
        for _ in 0..524_288 {
            body.extend_from_slice(b"0,");
        }
        body.push(b'0');
        body.extend(std::iter::repeat_n(b']', 100));
        body
    }

    #[test]
    fn json_that_indents_too_large_is_shown_as_received_and_cut() {
        let body = deeply_nested();
        let payload = render(&body);
        assert_eq!(payload.kind, PayloadKind::Json);
        assert!(payload.text.len() <= SHOWN_MAX, "{}", payload.text.len());
        assert!(body.starts_with(payload.text.as_bytes()));
        let note = payload.note.unwrap();
        assert!(note.contains("JSON shown as received"), "{note}");
        assert!(note.contains("truncated"), "{note}");
        assert!(
            note.contains(&format!("{}-byte body", body.len())),
            "{note}"
        );

        // Small enough to show whole, but four times itself indented: as received.
        let small = br#"[[[[[[[[[[0,0,0,0,0,0,0,0,0,0,0,0]]]]]]]]]]"#;
        let payload = render(small);
        assert_eq!(payload.text.as_bytes(), small);
        assert!(payload.note.unwrap().starts_with("JSON shown as received"));
    }

    #[test]
    fn indenting_stops_at_its_limit() {
        let body = deeply_nested();
        let text = std::str::from_utf8(&body).unwrap();
        assert!(reindent(text, PRETTY_MAX).is_none());
        // The limit is the result's size: exactly it is fine, a byte less is not.
        let pretty = reindent("[1,{\"a\":2}]", usize::MAX).unwrap();
        assert_eq!(
            reindent("[1,{\"a\":2}]", pretty.len()),
            Some(pretty.clone())
        );
        assert_eq!(reindent("[1,{\"a\":2}]", pretty.len() - 1), None);
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        let text = "é".repeat(SHOWN_MAX); // Two bytes each.
        let payload = render(text.as_bytes());
        assert_eq!(payload.kind, PayloadKind::Text);
        assert_eq!(payload.text.len(), SHOWN_MAX);
        assert!(payload.note.unwrap().contains("the first 256 KiB of the"));

        let mut odd = vec![b'a'];
        odd.extend_from_slice(text.as_bytes());
        let payload = render(&odd);
        assert_eq!(payload.text.len(), SHOWN_MAX - 1);
        assert!(payload
            .note
            .unwrap()
            .contains(&format!("{} bytes", SHOWN_MAX - 1)));

        // Bytes that are not UTF-8 grow threefold decoded: still at most SHOWN_MAX shown.
        let payload = render(&vec![0xff; 1 << 20]);
        assert_eq!(payload.kind, PayloadKind::Binary);
        assert!(payload.text.len() <= SHOWN_MAX);
        assert!(payload.note.unwrap().contains("1048576-byte body"));
    }
}
