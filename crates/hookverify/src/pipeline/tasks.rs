//! Handlers (and claim settlements) running on tasks of their own, counted so that a
//! graceful shutdown can wait for them instead of cutting them short.
//!
//! A handler whose sender hung up runs on as a task of its own (see
//! [`Runner`](super::Runner)); the server's graceful shutdown waits for connections, not for
//! such tasks, and the runtime drops them when the program ends. A handler cut short there
//! keeps its claim until the lease runs out (the runtime is gone, so nothing can release
//! it): the sender's retries are answered `in_flight` until then, and the next one runs the
//! handler again, from the start. Waiting for them after the server has stopped avoids that:
//!
//! ```
//! use std::time::Duration;
//!
//! # async fn serve_until_stopped() {}
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! // e.g. `axum::serve(listener, app).with_graceful_shutdown(signal).await`
//! serve_until_stopped().await;
//! // The connections are done; now the handlers that outlived theirs.
//! let cut_short = hookverify::pipeline::wait_for_handlers(Duration::from_secs(25)).await;
//! if cut_short > 0 {
//!     eprintln!("{cut_short} webhook handlers still running; their senders will retry");
//! }
//! # });
//! ```

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::LazyLock;
use std::time::Duration;

use tokio::sync::Notify;

/// Tasks started by the pipeline and not finished (or dropped) yet.
static RUNNING: AtomicUsize = AtomicUsize::new(0);
/// Woken whenever [`RUNNING`] drops to zero.
static ALL_DONE: LazyLock<Notify> = LazyLock::new(Notify::new);

/// Counts one task from its creation until it is dropped, finished or not.
pub(crate) struct Counted(());

impl Counted {
    /// `future`, counted while it exists.
    pub(crate) fn wrap<F: Future>(future: F) -> impl Future<Output = F::Output> {
        RUNNING.fetch_add(1, Ordering::SeqCst);
        let counted = Self(());
        async move {
            let output = future.await;
            drop(counted);
            output
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        if RUNNING.fetch_sub(1, Ordering::SeqCst) == 1 {
            ALL_DONE.notify_waiters();
        }
    }
}

/// How many webhook handlers (and claim settlements) run on tasks of their own right now:
/// those whose request went away before they finished.
#[must_use]
pub fn handlers_running() -> usize {
    RUNNING.load(Ordering::SeqCst)
}

/// Waits until every webhook handler running on a task of its own has finished, and its
/// claim is settled, or until `timeout` has passed; returns how many still run (0 when all
/// finished). Call it once the server has stopped taking requests, before the program ends.
///
/// Under axum (tower) this covers the handlers whose senders hung up. actix-web stops its
/// workers' threads, and the tasks on them, when its server stops, before this can wait:
/// there, a handler that outlives its request at shutdown is cut short; its claim runs out
/// with its lease, and the sender's next retry runs it again.
///
/// A `timeout` too long to represent (such as `Duration::MAX`) waits without a deadline.
pub async fn wait_for_handlers(timeout: Duration) -> usize {
    let deadline = tokio::time::Instant::now().checked_add(timeout);
    loop {
        let all_done = ALL_DONE.notified();
        let mut all_done = std::pin::pin!(all_done);
        // Registered before the count is read: a wake-up in between is not missed.
        all_done.as_mut().enable();
        let running = handlers_running();
        if running == 0 {
            return 0;
        }
        match deadline {
            Some(deadline) => {
                if tokio::time::timeout_at(deadline, all_done).await.is_err() {
                    return handlers_running();
                }
            }
            None => all_done.await,
        }
    }
}
