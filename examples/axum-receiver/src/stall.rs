//! The clock of a write that waits for the client, shared by the receivers' connection
//! wrappers (the axum receiver's `WriteDeadline`, the actix receiver's `Paced`):
//!
//! ```text
//! let polled = Pin::new(&mut self.io).poll_write(cx, data);
//! self.clock.limit(cx, polled) // Err(TimedOut) once it has waited `limit` without progress
//! ```

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// Times a write (or flush) of a connection that makes no progress: it fails once it has
/// waited `limit` in all.
#[derive(Debug)]
pub struct StallClock {
    /// Boxed so that the connection wrappers are `Unpin`, as the servers want them.
    deadline: Pin<Box<Sleep>>,
    limit: Duration,
    /// A write is waiting for the client to take bytes, and `deadline` runs.
    waiting: bool,
}

impl StallClock {
    /// A clock failing writes that wait `limit` without progress.
    #[must_use]
    pub fn new(limit: Duration) -> Self {
        Self {
            deadline: Box::pin(tokio::time::sleep(limit)),
            limit,
            waiting: false,
        }
    }

    /// The answer of one write or flush, `polled` from the connection, under the deadline:
    /// progress stops the clock, a wait starts it if it is not running, and a wait past it
    /// fails with `TimedOut`.
    pub fn limit<R>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        if polled.is_ready() {
            self.waiting = false;
            return polled;
        }
        if !self.waiting {
            self.waiting = true;
            self.deadline.as_mut().reset(Instant::now() + self.limit);
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client took nothing of the answer within the write deadline",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Whether a write is waiting for the client.
    #[must_use]
    pub fn waiting(&self) -> bool {
        self.waiting
    }
}
