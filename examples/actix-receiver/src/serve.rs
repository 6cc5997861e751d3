//! Serving the receiver: actix-web's HTTP/1.1 service over connections that do not read
//! ahead of the answers a client leaves unread.
//!
//! ```no_run
//! # fn run(secrets: actix_receiver::Secrets, stores: actix_receiver::Stores) -> std::io::Result<()> {
//! use actix_receiver::{configure, routes, serve, EventLog};
//! use actix_web::{web, App};
//!
//! let events = web::Data::new(EventLog::default());
//! let listener = std::net::TcpListener::bind("127.0.0.1:3000")?;
//! let server = serve::server(
//!     listener,
//!     move || {
//!         let routes = routes(&secrets, &stores.for_worker());
//!         App::new().configure(|cfg| configure(cfg, &routes, &events))
//!     },
//!     serve::Limits::default(),
//! )?;
//! # drop(server);
//! # Ok(())
//! # }
//! ```
//!
//! actix-web's `HttpServer` reads and parses pipelined requests as fast as a client sends
//! them, whether or not the client reads the answers: each parsed request holds a few KiB
//! until it is answered, so a client that pipelines small requests and never reads made the
//! receiver hold about 14 MB per connection (4.6 GB for 300 connections, and the
//! connections for ever). Here every connection is [`Paced`]: it reads at most
//! [`READ_CHUNK`] bytes per turn of actix-http's dispatcher, nothing at all while an answer
//! waits for the client to take it, and a write that makes no progress for
//! [`Limits::write_stall`] fails, which closes the connection (as the axum receiver's write
//! deadline does). What this bounds is a client that does not read: once its answers fill
//! the socket, reading stops. It is not a bound on pipelining as such: while a handler is
//! pending and nothing is written, the dispatcher goes on reading (a chunk a turn) up to
//! its own 128 KiB read buffer, and parses all of it once the queue has room. Reaching a
//! handler that waits takes an authentic delivery, so an anonymous client meets the first
//! bound. The rest is what `HttpServer` sets: the header deadline (5 s), keep-alive,
//! signals, and connections that stop keeping alive when a graceful shutdown starts.

use std::io;
use std::net::TcpListener;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};
use std::time::Duration;

use actix_http::body::MessageBody;
use actix_http::HttpService;
use actix_server::Server;
use actix_service::{
    fn_service, map_config, IntoServiceFactory, ServiceFactory, ServiceFactoryExt,
};
use actix_web::dev::{AppConfig, ServiceRequest, ServiceResponse};
use actix_web::App;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::stall::StallClock;

/// The most a connection reads between two writes: a few requests' heads, or a piece of a
/// body.
pub const READ_CHUNK: usize = 1024;

/// What the server bounds.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Worker threads, each serving its own connections (as `HttpServer::workers`).
    pub workers: usize,
    /// How long a request's line and headers may take to arrive (actix-web's
    /// `client_request_timeout`); also the idle keep-alive.
    pub header_timeout: Duration,
    /// How long a write of an answer may wait for the client to take any of it.
    pub write_stall: Duration,
}

impl Default for Limits {
    /// A worker per available core, 5 s for the headers (actix-web's defaults), 10 s for a
    /// stalled answer.
    fn default() -> Self {
        Self {
            workers: std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            header_timeout: Duration::from_secs(5),
            write_stall: Duration::from_secs(10),
        }
    }
}

/// The server for `app` (built once per worker, as with `HttpServer::new`) on `listener`,
/// with its connections [`Paced`] by `limits`. Await it to run it; it stops on Ctrl-C or
/// SIGTERM, finishing the requests in flight (up to actix-server's 30 s), as `HttpServer`
/// does. `AppConfig` is actix-web's default (`localhost:8080`): the receiver builds no URLs.
///
/// # Errors
/// When the listener cannot be used (its address cannot be read, or it cannot be
/// registered with the runtime).
pub fn server<F, T, B>(listener: TcpListener, app: F, limits: Limits) -> io::Result<Server>
where
    F: Fn() -> App<T> + Send + Clone + 'static,
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    B: MessageBody + 'static,
{
    let addr = listener.local_addr()?;
    let builder = Server::build();
    // Connections stop keeping alive once a graceful shutdown starts, as under `HttpServer`.
    let shutdown = builder.graceful_shutdown_signal();
    Ok(builder
        .listen("actix-receiver", listener, move || {
            let shutdown = shutdown.clone();
            let app = app()
                .into_factory()
                .map_err(|error: actix_web::Error| error.error_response());
            let http = HttpService::build()
                .graceful_shutdown_signal(move || {
                    let shutdown = shutdown.clone();
                    async move { shutdown.notified().await }
                })
                .keep_alive(limits.header_timeout)
                .client_request_timeout(limits.header_timeout)
                // A request refused before its body was read is answered with
                // `Connection: close`: closed at once, as hyper does (see `main`).
                .client_disconnect_timeout(Duration::ZERO)
                .local_addr(addr)
                .h1(map_config(app, |()| AppConfig::default()));
            fn_service(move |stream: TcpStream| {
                let peer = stream.peer_addr().ok();
                let paced = Paced::new(stream, limits.write_stall);
                std::future::ready(Ok::<_, actix_http::error::DispatchError>((paced, peer)))
            })
            .and_then(http)
        })?
        .workers(limits.workers.clamp(1, 512))
        .run())
}

/// Connections waiting to be accepted, as `HttpServer` allows.
pub const BACKLOG: u32 = 1024;

/// A listener on `addr` (its first address) as `HttpServer::bind` makes one:
/// `SO_REUSEADDR`, and a backlog of [`BACKLOG`] connections (the system default, 128, turns
/// away a burst of senders). Call it on a tokio runtime.
///
/// # Errors
/// When `addr` resolves to no address, or the address cannot be bound.
pub fn listener(addr: &str) -> io::Result<TcpListener> {
    let first = std::net::ToSocketAddrs::to_socket_addrs(addr)?
        .next()
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{addr} resolves to no address"),
            )
        })?;
    let socket = if first.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(first)?;
    socket.listen(BACKLOG)?.into_std()
}

/// A connection that reads a chunk per turn, and nothing while a write waits for the client
/// (see the module docs).
#[derive(Debug)]
pub struct Paced<T> {
    io: T,
    /// One read may be made: nothing was read since the last write or flush.
    may_read: bool,
    /// The task that found it may not read, woken when a write or flush gets through.
    parked_reader: Option<Waker>,
    clock: StallClock,
}

impl<T> Paced<T> {
    /// `io`, paced, its writes failing after `write_stall` without progress.
    pub fn new(io: T, write_stall: Duration) -> Self {
        Self {
            io,
            may_read: true,
            parked_reader: None,
            clock: StallClock::new(write_stall),
        }
    }

    /// Runs one write, flush or shutdown of the inner I/O under the stall clock; once one
    /// went through, reading may go on.
    fn write_with<R>(
        &mut self,
        cx: &mut Context<'_>,
        write: impl FnOnce(Pin<&mut T>, &mut Context<'_>) -> Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>>
    where
        T: Unpin,
    {
        let polled = write(Pin::new(&mut self.io), cx);
        let polled = self.clock.limit(cx, polled);
        if matches!(polled, Poll::Ready(Ok(_))) {
            self.may_read = true;
            if let Some(reader) = self.parked_reader.take() {
                reader.wake();
            }
        }
        polled
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Paced<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.may_read || this.clock.waiting() {
            this.parked_reader = Some(cx.waker().clone());
            return Poll::Pending;
        }
        if buf.remaining() == 0 {
            return Pin::new(&mut this.io).poll_read(cx, buf);
        }
        let read = {
            let room = buf.initialize_unfilled_to(buf.remaining().min(READ_CHUNK));
            let mut chunk = ReadBuf::new(room);
            ready!(Pin::new(&mut this.io).poll_read(cx, &mut chunk))?;
            chunk.filled().len()
        };
        buf.advance(read);
        if read > 0 {
            this.may_read = false;
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Paced<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .write_with(cx, |io, cx| io.poll_write(cx, data))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().write_with(cx, AsyncWrite::poll_flush)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().write_with(cx, AsyncWrite::poll_shutdown)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::time::Instant;

    use actix_web::web;
    use hookverify::dedup::{DedupStore, MemoryStore};
    use hookverify::{testing, Provider, Secret};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::{configure, routes, EventLog, Secrets, DEMO_SECRET};

    /// Polls `future` once.
    async fn once<F: std::future::Future + Unpin>(future: &mut F) -> Poll<F::Output> {
        std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *future).poll(cx))).await
    }

    #[tokio::test]
    async fn reads_a_chunk_at_a_time_and_again_only_after_a_write_or_flush() {
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let mut server = Paced::new(server, Duration::from_secs(10));
        client.write_all(&[b'x'; 10_000]).await.unwrap();
        let mut buf = vec![0; 10_000];
        let first = server.read(&mut buf).await.unwrap();
        assert_eq!(first, READ_CHUNK);
        let mut second = Box::pin(server.read(&mut buf));
        assert!(
            once(&mut second).await.is_pending(),
            "no second read before a write"
        );
        drop(second);
        server.flush().await.unwrap();
        assert_eq!(server.read(&mut buf).await.unwrap(), READ_CHUNK);
    }

    #[tokio::test]
    async fn reads_nothing_while_an_answer_waits_for_the_client() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut server = Paced::new(server, Duration::from_secs(10));
        // The client's side is full: the rest of the answer waits.
        assert_eq!(server.write(&[b'a'; 100]).await.unwrap(), 64);
        let mut rest = Box::pin(server.write(&[b'a'; 36]));
        assert!(once(&mut rest).await.is_pending());
        drop(rest);
        client
            .write_all(b"GET /events HTTP/1.1\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0; 64];
        let mut read = Box::pin(server.read(&mut buf));
        assert!(
            once(&mut read).await.is_pending(),
            "read while a write waits"
        );
        drop(read);
        // The client takes the answer: the write goes through, and reading goes on.
        let mut answer = [0; 64];
        client.read_exact(&mut answer).await.unwrap();
        assert_eq!(server.write(&[b'a'; 36]).await.unwrap(), 36);
        assert_eq!(server.read(&mut buf).await.unwrap(), 24);
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_the_client_never_takes_fails_after_the_stall() {
        let (_client, server) = tokio::io::duplex(16);
        let mut server = Paced::new(server, Duration::from_secs(10));
        server.write_all(&[0; 16]).await.unwrap();
        let started = tokio::time::Instant::now();
        let error = server.write_all(&[0; 16]).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= Duration::from_secs(10));
    }

    /// The receiver served by [`server`] on a thread of its own.
    fn serve(limits: Limits) -> SocketAddr {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let secrets = Secrets::one(Secret::new(DEMO_SECRET).unwrap());
                let store: Arc<dyn DedupStore> = Arc::new(MemoryStore::new());
                let events = web::Data::new(EventLog::default());
                let app = move || {
                    let routes = routes(&secrets, &store);
                    actix_web::App::new().configure(|cfg| configure(cfg, &routes, &events))
                };
                let server = server(listener, app, limits).unwrap();
                server.await.unwrap(); // runs until the test process ends
            });
        });
        addr
    }

    fn delivery(id: &str, padding: usize) -> Vec<u8> {
        let secret = Secret::new(DEMO_SECRET).unwrap();
        let body =
            serde_json::json!({"id": id, "type": "t", "pad": "x".repeat(padding)}).to_string();
        let signature = testing::sign(Provider::GENERIC, &secret, body.as_bytes()).unwrap();
        let mut request = format!(
            "POST /webhooks/generic HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n{}: {}\r\n\r\n",
            body.len(),
            signature.name(),
            signature.value()
        )
        .into_bytes();
        request.extend_from_slice(body.as_bytes());
        request
    }

    fn answer(stream: &mut std::net::TcpStream) -> String {
        let mut answer = vec![0; 4096];
        let read = stream.read(&mut answer).unwrap();
        String::from_utf8_lossy(&answer[..read]).into_owned()
    }

    #[test]
    fn deliveries_large_and_small_are_processed() {
        let addr = serve(Limits::default());
        for (id, padding) in [("evt_small", 10), ("evt_large", 1_000_000)] {
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            stream.write_all(&delivery(id, padding)).unwrap();
            let answer = answer(&mut stream);
            assert!(answer.starts_with("HTTP/1.1 200"), "{id}: {answer}");
            assert!(
                answer.contains(r#"{"status":"processed"}"#),
                "{id}: {answer}"
            );
        }
    }

    /// A connection whose receive buffer is small, as a client's that stops reading fills.
    fn small_window(addr: SocketAddr) -> std::net::TcpStream {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let stream = runtime.block_on(async {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.set_recv_buffer_size(4096).unwrap();
            socket.connect(addr).await.unwrap()
        });
        let stream = stream.into_std().unwrap();
        stream.set_nonblocking(false).unwrap();
        stream
    }

    #[test]
    fn a_client_that_pipelines_and_never_reads_is_closed_after_the_write_stall() {
        let addr = serve(Limits {
            write_stall: Duration::from_millis(300),
            ..Limits::default()
        });
        let mut stream = small_window(addr);
        stream.write_all(&delivery("evt_pipelined", 10)).unwrap();
        assert!(answer(&mut stream).starts_with("HTTP/1.1 200"));
        // Requests for the event list for a second, their answers never read.
        stream.set_nonblocking(true).unwrap();
        let requests = b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n".repeat(1000);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(1) {
            match stream.write(&requests) {
                Ok(_) => {}
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(_) => break, // closed already
            }
        }
        // The answers have waited past the stall: the server closed the connection, and
        // with requests of the client's still unread, reset it.
        std::thread::sleep(Duration::from_millis(1500));
        let deadline = Instant::now() + Duration::from_secs(2);
        let closed = loop {
            match stream.write(&requests) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(_) => break true,
                Ok(_) => {}
            }
            if Instant::now() > deadline {
                break false;
            }
        };
        assert!(
            closed,
            "still open {:?} after the client stopped reading",
            started.elapsed()
        );
    }
}
