//! Serving the receiver over HTTP/1.1 with the limits a public endpoint needs and
//! `axum::serve` does not set.
//!
//! ```no_run
//! # async fn run(app: axum::Router) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! let stop = async { tokio::signal::ctrl_c().await.unwrap_or(()) };
//! axum_receiver::serve::serve(listener, app, stop, axum_receiver::serve::Limits::default()).await;
//! # Ok(())
//! # }
//! ```
//!
//! - **Headers have a deadline.** `axum::serve` waits for a request's line and headers for
//!   as long as the client likes: a client sending a header a second, or half a request
//!   line and nothing more, holds its connection (and its file descriptor) for ever, and a
//!   graceful shutdown waits for it for ever. Here the connection is closed once
//!   [`Limits::header_timeout`] has passed without a whole head (the layer bounds the body).
//! - **Answers have a deadline too.** A client that sends requests and never reads the
//!   answers (pipelining them until every buffer is full) held its connection for ever as
//!   well: a write that makes no progress for [`Limits::write_stall`] fails and the
//!   connection closes ([`WriteDeadline`]).
//! - **Headers have a size.** At most [`MAX_HEAD`] bytes of request line and headers, as
//!   actix-web allows (hyper's own bound is its 400 KB read buffer): more is answered 431.
//! - **A half-closed client is answered.** A sender may shut its side of the connection
//!   once the request is written and wait for the answer; hyper's default takes that for a
//!   hang-up and drops the request unanswered.
//! - **Shutdown is bounded.** Once `shutdown` completes, no connection is accepted, idle ones
//!   close, and requests in flight get [`Limits::shutdown_grace`] to finish; the connections
//!   still open then are closed. A handler whose sender hung up runs on detached from its
//!   connection; `main` waits for those separately.
//!
//! What `axum::serve` offers and this does not: `ConnectInfo`, HTTP/2 and upgrades (the
//! receivers use none of them). With half-closed clients answered, hyper no longer takes a
//! client's end of the stream for a hang-up while its request runs, so a layer with
//! `cancel_on_disconnect(true)` would not see it either; the receivers keep the default,
//! where the handler runs to its end anyway.

use std::future::Future;
use std::io;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::write_deadline::WriteDeadline;

/// The most bytes of request line and headers accepted: actix-web's bound, so both
/// receivers answer 431 to the same requests.
pub const MAX_HEAD: usize = 128 * 1024;

/// The limits [`serve`] applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a client may take to send a request's line and headers, counted from when
    /// the connection starts waiting for them (so it is also how long an idle keep-alive
    /// connection stays open). The connection is closed after it. 5 s, as actix-web's
    /// default, so both receivers treat a slow client alike.
    pub header_timeout: Duration,
    /// How long a write of an answer may wait for the client to take any of it before the
    /// connection is closed.
    pub write_stall: Duration,
    /// How long the requests in flight get to finish once shutdown is asked; their
    /// connections are then closed.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(5),
            write_stall: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets the requests in flight
/// finish, for [`Limits::shutdown_grace`] at most.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()>,
    limits: Limits,
) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(MAX_HEAD)
        .half_close(true);
    let connections = GracefulShutdown::new();
    let mut tasks = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // The tasks of connections that ended, so the set holds only open ones.
        while tasks.try_join_next().is_some() {}
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    // The pause after an error gives way to a shutdown.
                    tokio::select! {
                        () = accept_failed(&error) => continue,
                        () = &mut shutdown => break,
                    }
                }
            },
            () = &mut shutdown => break,
        };
        let io = WriteDeadline::new(TokioIo::new(stream), limits.write_stall);
        let connection = http.serve_connection(io, TowerToHyperService::new(app.clone()));
        let connection = connections.watch(connection);
        tasks.spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, connections.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            grace = ?limits.shutdown_grace,
            "requests still in flight after the shutdown grace; closing their connections"
        );
    }
    // Dropping a connection's task closes it.
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
}

/// A failed `accept`: a connection that went away before it was accepted is nothing; any
/// other error (out of file descriptors) is logged and accepting pauses for a second, so
/// the loop does not spin while nothing can be accepted.
async fn accept_failed(error: &io::Error) {
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "cannot accept connections; trying again in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::Instant;

    use axum::routing::post;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    use tokio::sync::oneshot;

    use super::*;

    const SHORT: Limits = Limits {
        header_timeout: Duration::from_millis(300),
        write_stall: Duration::from_millis(300),
        shutdown_grace: Duration::from_millis(500),
    };

    /// Serves the body's length after a moment (so the client's end of the request is read
    /// while the answer is pending, as with a layer that awaits its store); the sender
    /// stops it.
    async fn start(
        limits: Limits,
    ) -> (SocketAddr, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route(
                "/",
                post(|body: axum::body::Bytes| async move {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    body.len().to_string()
                }),
            )
            .route("/large", axum::routing::get(|| async { LARGE.to_vec() }))
            .route(
                "/huge",
                axum::routing::get(|| async {
                    let chunks = (0..HUGE_CHUNKS).map(|_| Ok::<_, io::Error>(LARGE));
                    axum::body::Body::from_stream(futures_util::stream::iter(chunks))
                }),
            );
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(serve(
            listener,
            app,
            async move {
                let _ = stopped.await;
            },
            limits,
        ));
        (addr, stop, server)
    }

    /// The body of `GET /large`.
    const LARGE: &[u8] = &[b'x'; 1 << 20];
    /// `GET /huge` streams this many `LARGE`s.
    const HUGE_CHUNKS: usize = 64;

    /// Everything the server sends until it closes, and how long that took.
    async fn read_to_close(stream: &mut TcpStream) -> (String, Duration) {
        let started = Instant::now();
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
            .await
            .expect("the server closes the connection");
        (
            String::from_utf8_lossy(&answer).into_owned(),
            started.elapsed(),
        )
    }

    /// How many bytes the server sent, to a client that had stopped reading, before it
    /// closed the connection (cleanly, or with a reset after some bytes) within `within`.
    async fn drained(stream: &mut TcpStream, within: Duration) -> usize {
        let mut received = Vec::new();
        let read = tokio::time::timeout(within, stream.read_to_end(&mut received))
            .await
            .expect("the server closed the connection");
        assert!(read.is_ok() || !received.is_empty(), "{read:?}");
        received.len()
    }

    #[tokio::test]
    async fn a_client_that_never_finishes_its_headers_is_closed_after_the_header_timeout() {
        let (addr, _stop, _server) = start(SHORT).await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"POST / HTTP/1.1\r\nhost: x\r\n")
            .await
            .unwrap();
        let (_, waited) = read_to_close(&mut stream).await;
        assert!(waited < Duration::from_secs(3), "closed after {waited:?}");
    }

    #[tokio::test]
    async fn headers_past_the_bound_are_answered_431() {
        let (addr, _stop, _server) = start(Limits::default()).await;
        let ask = |header: usize| async move {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            let request = format!(
                "POST / HTTP/1.1\r\nhost: x\r\nx-big: {}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                "a".repeat(header)
            );
            // The server may answer and close before reading all of an oversize head.
            let _ = stream.write_all(request.as_bytes()).await;
            read_to_close(&mut stream).await.0
        };
        assert!(ask(100 * 1024).await.starts_with("HTTP/1.1 200"));
        assert!(ask(MAX_HEAD).await.starts_with("HTTP/1.1 431"));
    }

    #[tokio::test]
    async fn a_client_that_half_closes_after_its_request_is_answered() {
        let (addr, _stop, _server) = start(Limits::default()).await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello")
            .await
            .unwrap();
        stream.shutdown().await.unwrap();
        let (answer, _) = read_to_close(&mut stream).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
        assert!(answer.ends_with("\r\n\r\n5"), "{answer:?}");
    }

    #[tokio::test]
    async fn a_client_that_never_reads_its_answers_is_closed_after_the_write_stall() {
        let (addr, _stop, _server) = start(SHORT).await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        // More answers than the socket buffers hold, none read.
        let asked = 32;
        stream
            .write_all(&b"GET /large HTTP/1.1\r\nhost: x\r\n\r\n".repeat(asked))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
        // Whatever was queued before the server gave up, then the end: not every answer.
        let received = drained(&mut stream, Duration::from_secs(10)).await;
        assert!(
            received < asked * LARGE.len(),
            "all {received} bytes were still delivered"
        );
    }

    #[tokio::test]
    async fn connections_still_open_after_the_shutdown_grace_are_closed() {
        let limits = Limits {
            write_stall: Duration::from_secs(60),
            shutdown_grace: Duration::from_millis(300),
            ..Limits::default()
        };
        let (addr, stop, server) = start(limits).await;
        // One long answer in flight that the client does not read: a graceful shutdown
        // would let it finish.
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /huge HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.send(()).unwrap();
        server.await.unwrap();
        let received = drained(&mut stream, Duration::from_secs(5)).await;
        assert!(
            received < HUGE_CHUNKS * LARGE.len(),
            "the whole answer was still delivered"
        );
    }

    #[tokio::test]
    async fn shutdown_is_not_held_by_a_client_stuck_in_its_request_line() {
        let limits = Limits {
            header_timeout: Duration::from_secs(60),
            shutdown_grace: Duration::from_millis(300),
            ..Limits::default()
        };
        let (addr, stop, server) = start(limits).await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"POST /webh").await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = Instant::now();
        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("serve returns within the grace")
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}
