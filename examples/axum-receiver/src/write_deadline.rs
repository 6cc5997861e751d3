//! A connection whose writes fail once the client has taken nothing for a while.
//!
//! hyper bounds how long a client takes to send a request's head, not how long it takes to
//! read the answer: a client that pipelines requests and never reads keeps the connection,
//! its buffers and the answers queued in the kernel for as long as it likes. Wrapped in a
//! [`WriteDeadline`], a write or flush that has made no progress for its limit fails with
//! `TimedOut`, and hyper closes the connection.
//!
//! ```
//! # async fn wrap(stream: tokio::net::TcpStream) {
//! use std::time::Duration;
//! let io = axum_receiver::write_deadline::WriteDeadline::new(
//!     hyper_util::rt::TokioIo::new(stream),
//!     Duration::from_secs(10),
//! );
//! # drop(io);
//! # }
//! ```

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::rt::{Read, ReadBufCursor, Write};

use crate::stall::StallClock;

/// An I/O object whose writes time out when they stall (see the module docs). Reads pass
/// through: the server's header deadline and the layer's body deadline bound those.
#[derive(Debug)]
pub struct WriteDeadline<T> {
    io: T,
    clock: StallClock,
}

impl<T> WriteDeadline<T> {
    /// `io`, whose writes fail after `limit` without progress.
    pub fn new(io: T, limit: Duration) -> Self {
        Self {
            io,
            clock: StallClock::new(limit),
        }
    }

    /// Runs one write or flush of the inner I/O under the deadline.
    fn limited<R>(
        &mut self,
        cx: &mut Context<'_>,
        poll: impl FnOnce(Pin<&mut T>, &mut Context<'_>) -> Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>>
    where
        T: Unpin,
    {
        let polled = poll(Pin::new(&mut self.io), cx);
        self.clock.limit(cx, polled)
    }
}

impl<T: Read + Unpin> Read for WriteDeadline<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<T: Write + Unpin> Write for WriteDeadline<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().limited(cx, |io, cx| io.poll_write(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().limited(cx, Write::poll_flush)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().limited(cx, Write::poll_shutdown)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .limited(cx, |io, cx| io.poll_write_vectored(cx, bufs))
    }
}
