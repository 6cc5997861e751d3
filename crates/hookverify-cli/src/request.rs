//! Reading a captured request: raw HTTP/1.1 as `nc -l` records it, or headers and body
//! from two files.

use std::error::Error;

/// A captured request's headers and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Captured {
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

/// Parses a raw request: request line, headers, blank line, body (by `Content-Length`, or
/// chunked, or the rest).
pub(crate) fn parse_raw(raw: &[u8]) -> Result<Captured, Box<dyn Error>> {
    let (head, rest) =
        split_head(raw).ok_or("no blank line after the headers: not an HTTP request")?;
    let mut lines = text_lines(head).into_iter();
    let request_line = lines.next().unwrap_or_default();
    if !request_line.contains(" HTTP/") {
        return Err(format!("not an HTTP request line: {request_line:?}").into());
    }
    let headers = parse_header_lines(lines)?;
    let header = |name: &str| {
        headers
            .iter()
            .find(|(candidate, _)| candidate.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.trim())
    };
    let body =
        if header("transfer-encoding").is_some_and(|value| value.eq_ignore_ascii_case("chunked")) {
            dechunk(rest)?
        } else if let Some(length) = header("content-length") {
            let length: usize = length
                .parse()
                .map_err(|_| "Content-Length is not a number")?;
            rest.get(..length)
                .ok_or("the body is shorter than its Content-Length: the capture was cut")?
                .to_vec()
        } else {
            rest.to_vec()
        };
    Ok(Captured { headers, body })
}

/// The lines of a request head or headers file. A line that is not text (a header value
/// may carry any byte) is left out, with a warning: the receivers read such a header as
/// absent, so reading it lossily would explain another request than the one they see.
pub(crate) fn text_lines(head: &[u8]) -> Vec<&str> {
    let mut lines = Vec::new();
    for line in head.split(|&byte| byte == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match std::str::from_utf8(line) {
            Ok(text) => lines.push(text),
            Err(_) => {
                let name = line.split(|&byte| byte == b':').next().unwrap_or_default();
                eprintln!(
                    "hookverify: left out header `{}`: its value is not text, which receivers \
                     read as no header",
                    String::from_utf8_lossy(name).trim()
                );
            }
        }
    }
    lines
}

/// `Name: value` lines.
pub(crate) fn parse_header_lines<'a>(
    lines: impl Iterator<Item = &'a str>,
) -> Result<Vec<(String, String)>, Box<dyn Error>> {
    let mut headers = Vec::new();
    for line in lines {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("not a header line: {line:?}"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    Ok(headers)
}

fn split_head(raw: &[u8]) -> Option<(&[u8], &[u8])> {
    let crlf = raw.windows(4).position(|window| window == b"\r\n\r\n");
    let lf = raw.windows(2).position(|window| window == b"\n\n");
    match (crlf, lf) {
        (Some(at), Some(other)) if other < at => Some((&raw[..other], &raw[other + 2..])),
        (Some(at), _) => Some((&raw[..at], &raw[at + 4..])),
        (None, Some(at)) => Some((&raw[..at], &raw[at + 2..])),
        (None, None) => None,
    }
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, Box<dyn Error>> {
    let mut body = Vec::new();
    loop {
        let end = rest
            .windows(2)
            .position(|window| window == b"\r\n")
            .ok_or("a chunk size line is cut")?;
        let size_text = std::str::from_utf8(&rest[..end])?;
        let size =
            usize::from_str_radix(size_text.split(';').next().unwrap_or_default().trim(), 16)
                .map_err(|_| format!("not a chunk size: {size_text:?}"))?;
        rest = &rest[end + 2..];
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(rest.get(..size).ok_or("a chunk is cut")?);
        rest = rest.get(size + 2..).ok_or("a chunk is cut")?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_content_length_chunked_and_bare_lf() {
        let raw = b"POST /h HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nX-A: 1\r\n\r\nbodyEXTRA";
        let captured = parse_raw(raw).unwrap();
        assert_eq!(captured.body, b"body");
        assert!(captured
            .headers
            .contains(&("x-a".to_owned(), "1".to_owned())));
        let chunked = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_raw(chunked).unwrap().body, b"abcde");
        let lf = b"POST / HTTP/1.1\nX-B: 2\n\n{}";
        assert_eq!(parse_raw(lf).unwrap().body, b"{}");
        assert!(parse_raw(b"hello").is_err());
        assert!(parse_raw(b"POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nshort").is_err());
    }

    #[test]
    fn a_header_with_other_bytes_than_text_does_not_refuse_the_capture() {
        let raw = b"POST / HTTP/1.1\r\nX-Weird: \xff\xfe\r\nX-Signature-256: sha256=00\r\nContent-Length: 2\r\n\r\n{}";
        let captured = parse_raw(raw).unwrap();
        assert_eq!(captured.body, b"{}");
        assert!(captured
            .headers
            .contains(&("x-signature-256".to_owned(), "sha256=00".to_owned())));
        // Left out, as a receiver reads it: not a header with a replacement character.
        assert!(!captured.headers.iter().any(|(name, _)| name == "x-weird"));
    }
}
