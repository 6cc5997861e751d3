//! The HTTP/1.1 client the cases speak through: hyper-util's client over loopback for
//! ordinary requests and streamed (chunked) bodies, and a raw TCP writer for requests no
//! well-behaved client sends (a `Content-Length` that lies).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as LegacyClient;
use hyper_util::rt::TokioExecutor;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

/// How long any one exchange may take before the case fails instead of hanging.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// A response, fully read.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status code.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl Reply {
    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON, or `Null` when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// The body type the client sends: complete or streamed.
pub type ClientBody = BoxBody<Bytes, Infallible>;

/// A pooled HTTP/1.1 client; create one per test runtime.
#[derive(Clone)]
pub struct Client {
    inner: LegacyClient<HttpConnector, ClientBody>,
}

impl Default for Client {
    fn default() -> Self {
        Self::new()
    }
}

impl Client {
    /// A client with keep-alive connections (as senders use).
    pub fn new() -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let inner = LegacyClient::builder(TokioExecutor::new())
            .pool_max_idle_per_host(64)
            .build(connector);
        Self { inner }
    }

    /// `POST url` with `headers` and a complete `body` (sent with `Content-Length`).
    ///
    /// # Errors
    /// A description of the transport failure or timeout.
    pub async fn post(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: impl Into<Bytes>,
    ) -> Result<Reply, String> {
        self.request("POST", url, headers, body).await
    }

    /// `method url` with `headers` and a complete `body` (sent with `Content-Length`).
    ///
    /// # Errors
    /// A description of the transport failure or timeout.
    pub async fn request(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: impl Into<Bytes>,
    ) -> Result<Reply, String> {
        let body = Full::new(body.into()).boxed();
        self.send(method, url, headers, body).await
    }

    /// `POST url` with a body streamed in `chunks` and no `Content-Length`
    /// (`Transfer-Encoding: chunked`).
    ///
    /// # Errors
    /// A description of the transport failure or timeout.
    pub async fn post_chunked(
        &self,
        url: &str,
        headers: &[(String, String)],
        chunks: impl Stream<Item = Bytes> + Send + Sync + 'static,
    ) -> Result<Reply, String> {
        let frames =
            futures_util::StreamExt::map(chunks, |chunk| Ok::<_, Infallible>(Frame::data(chunk)));
        let body = BodyExt::boxed(StreamBody::new(frames));
        self.send("POST", url, headers, body).await
    }

    /// `GET url`.
    ///
    /// # Errors
    /// A description of the transport failure or timeout.
    pub async fn get(&self, url: &str) -> Result<Reply, String> {
        self.send("GET", url, &[], Full::new(Bytes::new()).boxed())
            .await
    }

    async fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: ClientBody,
    ) -> Result<Reply, String> {
        let mut request = Request::builder().method(method).uri(url);
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|error| format!("header name {name:?}: {error}"))?;
            let value = HeaderValue::from_str(value)
                .map_err(|error| format!("header value {value:?}: {error}"))?;
            request = request.header(name, value);
        }
        let request = request
            .body(body)
            .map_err(|error| format!("building the request: {error}"))?;
        let exchange = async {
            let response = self
                .inner
                .request(request)
                .await
                .map_err(|error| format!("{method} {url}: {error:?}"))?;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|error| format!("{method} {url}: reading the response body: {error}"))?
                .to_bytes();
            Ok(Reply {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        tokio::time::timeout(TIMEOUT, exchange)
            .await
            .map_err(|_| format!("{method} {url}: no answer within {TIMEOUT:?}"))?
    }
}

/// Sends `head` (the request line and headers, without the blank line) and `body` over a
/// fresh TCP connection exactly as given, then reads one response. For requests that no
/// HTTP library sends, such as a `Content-Length` that announces more than is sent. The
/// connection is only half-closed for writing after the answer arrives, so a server that
/// waits for the announced body cannot answer early by mistake.
///
/// # Errors
/// A description of the transport failure, an unparsable answer or a timeout.
pub async fn raw(addr: SocketAddr, head: &str, body: &[u8]) -> Result<Reply, String> {
    let answered = async {
        let mut stream = connect(addr).await?;
        exchange(&mut stream, head, body).await
    };
    tokio::time::timeout(TIMEOUT, answered)
        .await
        .map_err(|_| format!("raw request to {addr}: no answer within {TIMEOUT:?}"))?
}

async fn connect(addr: SocketAddr) -> Result<tokio::net::TcpStream, String> {
    tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|error| format!("connect {addr}: {error}"))
}

/// Writes `head`, the blank line and `body` to `stream`.
async fn write_request(
    stream: &mut tokio::net::TcpStream,
    head: &str,
    body: &[u8],
) -> Result<(), String> {
    let mut request = Vec::with_capacity(head.len() + 4 + body.len());
    request.extend_from_slice(head.as_bytes());
    request.extend_from_slice(b"\r\n\r\n");
    request.extend_from_slice(body);
    stream
        .write_all(&request)
        .await
        .map_err(|error| format!("write: {error}"))
}

/// Writes the request to `stream`, then reads one response.
async fn exchange(
    stream: &mut tokio::net::TcpStream,
    head: &str,
    body: &[u8],
) -> Result<Reply, String> {
    write_request(stream, head, body).await?;
    read_reply(stream, &mut Vec::new()).await
}

/// Reads from `reader` until `received` holds a whole answer.
async fn read_reply(
    reader: &mut (impl AsyncRead + Unpin),
    received: &mut Vec<u8>,
) -> Result<Reply, String> {
    loop {
        if let Some(reply) = parse_response(received)? {
            return Ok(reply);
        }
        read_more(reader, received).await?;
    }
}

/// Appends what `reader` has next to `received`; an error when it closed instead.
async fn read_more(
    reader: &mut (impl AsyncRead + Unpin),
    received: &mut Vec<u8>,
) -> Result<(), String> {
    let mut buffer = [0u8; 8192];
    let read = reader
        .read(&mut buffer)
        .await
        .map_err(|error| format!("read after {} bytes: {error}", received.len()))?;
    if read == 0 {
        return Err(format!(
            "connection closed after {} bytes of answer",
            received.len()
        ));
    }
    received.extend_from_slice(&buffer[..read]);
    Ok(())
}

/// Sends `head` with `Expect: 100-continue` added and waits: the body is sent only if the
/// server answers `100 Continue` first. Whether it did, and the final answer.
///
/// # Errors
/// A description of the transport failure or a timeout.
pub async fn raw_awaiting_continue(
    addr: SocketAddr,
    head: &str,
    body: &[u8],
) -> Result<(bool, Reply), String> {
    let answered = async {
        let mut stream = connect(addr).await?;
        write_request(&mut stream, &format!("{head}\r\nexpect: 100-continue"), b"").await?;
        let mut received = Vec::new();
        let mut asked = false;
        loop {
            if !asked && received.starts_with(b"HTTP/1.1 100") {
                if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                    received.drain(..end + 4);
                    asked = true;
                    stream
                        .write_all(body)
                        .await
                        .map_err(|error| format!("write the body: {error}"))?;
                    continue;
                }
            } else if let Some(reply) = parse_response(&received)? {
                return Ok((asked, reply));
            }
            read_more(&mut stream, &mut received).await?;
        }
    };
    tokio::time::timeout(TIMEOUT, answered)
        .await
        .map_err(|_| format!("raw request to {addr}: no answer within {TIMEOUT:?}"))?
}

/// Like [`raw`], and then waits up to `within` for the server to close the connection;
/// the answer and whether it did. Bytes after the answer count as not closed.
///
/// # Errors
/// As [`raw`].
pub async fn raw_then_closed(
    addr: SocketAddr,
    head: &str,
    body: &[u8],
    within: Duration,
) -> Result<(Reply, bool), String> {
    let mut stream = connect(addr).await?;
    let reply = tokio::time::timeout(TIMEOUT, exchange(&mut stream, head, body))
        .await
        .map_err(|_| format!("raw request to {addr}: no answer within {TIMEOUT:?}"))??;
    // A reset counts as closed too: the server is done with the connection either way.
    let mut buffer = [0u8; 1024];
    let closed = matches!(
        tokio::time::timeout(within, stream.read(&mut buffer)).await,
        Ok(Ok(0) | Err(_))
    );
    Ok((reply, closed))
}

/// Sends `head` and `body` over a fresh TCP connection, waits until `entered()` holds (the
/// handler is running), then closes the connection without reading the answer: a client
/// that went away.
///
/// # Errors
/// A description of the transport failure or a timeout.
pub async fn send_and_close(
    addr: SocketAddr,
    head: &str,
    body: &[u8],
    entered: impl Fn() -> bool,
) -> Result<(), String> {
    let mut stream = connect(addr).await?;
    write_request(&mut stream, head, body).await?;
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while !entered() {
        if tokio::time::Instant::now() > deadline {
            return Err("the handler never started".to_owned());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(stream);
    Ok(())
}

/// Sends `head` with `Transfer-Encoding: chunked` and then `count` chunks of `size` bytes of
/// filler, while reading the answer; the sending stops at the first write error (the server
/// closed the connection) or when the answer is complete. For bodies that must be cut off by
/// the server: hyper's client reports a broken pipe instead of the early answer.
///
/// # Errors
/// A description of the transport failure, an unparsable answer or a timeout.
pub async fn raw_chunked(
    addr: SocketAddr,
    head: &str,
    count: usize,
    size: usize,
) -> Result<Reply, String> {
    let exchange = async {
        let stream = connect(addr).await?;
        stream
            .set_nodelay(true)
            .map_err(|error| format!("nodelay: {error}"))?;
        let (mut reader, mut writer) = stream.into_split();
        let head = format!("{head}\r\ntransfer-encoding: chunked\r\n\r\n");
        let sender = tokio::spawn(async move {
            writer.write_all(head.as_bytes()).await?;
            let mut chunk = format!("{size:x}\r\n").into_bytes();
            chunk.extend_from_slice(&vec![b' '; size]);
            chunk.extend_from_slice(b"\r\n");
            for _ in 0..count {
                writer.write_all(&chunk).await?;
            }
            writer.write_all(b"0\r\n\r\n").await?;
            Ok::<_, std::io::Error>(writer)
        });
        let reply = read_reply(&mut reader, &mut Vec::new()).await?;
        sender.abort();
        Ok(reply)
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| format!("chunked request to {addr}: no answer within {TIMEOUT:?}"))?
}

/// A complete HTTP/1.1 response with a `Content-Length` body, once all of it is there.
fn parse_response(received: &[u8]) -> Result<Option<Reply>, String> {
    let Some(end) = received.windows(4).position(|window| window == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head =
        std::str::from_utf8(&received[..end]).map_err(|_| "answer head is not UTF-8".to_owned())?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("bad header line {line:?}"));
        };
        let name =
            HeaderName::from_bytes(name.trim().as_bytes()).map_err(|error| error.to_string())?;
        let value = HeaderValue::from_str(value.trim()).map_err(|error| error.to_string())?;
        headers.append(name, value);
    }
    let length = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok())
        .ok_or_else(|| "the answer has no Content-Length".to_owned())?;
    let body = &received[end + 4..];
    if body.len() < length {
        return Ok(None);
    }
    Ok(Some(Reply {
        status,
        headers,
        body: Bytes::copy_from_slice(&body[..length]),
    }))
}
