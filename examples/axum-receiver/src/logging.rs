//! The receivers' log: one line per handled event, written to stdout in batches.
//!
//! A receiver logs every event it handles. Written line by line, as `tracing-subscriber`
//! does with stdout, each line is a `write` system call on the thread that handled the
//! event, which on a busy receiver costs as much as verifying and deduplicating the event.
//! Here lines are gathered in memory and written together by a thread of their own: as soon
//! as [`BATCH_BYTES`] have gathered, and otherwise every [`FLUSH_EVERY`], so a line is on
//! stdout within that time even when the receiver is idle. Should that thread fall behind,
//! the thread logging writes the lines itself, so memory stays bounded. [`LogGuard`] writes
//! what is left when it is dropped, at the end of `main`; after that (or if the thread
//! cannot start) every line is written as it comes. What is lost when the process is killed
//! is the last lines of its log, never an event.
//!
//! ```text
//! let _log = logging::init(); // first thing in `main`, held until its end
//! tracing::info!("listening");
//! ```

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::EnvFilter;

use crate::log_line::{LineFields, LineFormat};

/// The longest a line waits in memory before it is written.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// The bytes gathered that are written at once, without waiting.
pub const BATCH_BYTES: usize = 64 * 1024;

/// Installs the global `tracing` subscriber of the receivers: `RUST_LOG` as the filter
/// (`info` when unset), lines laid out by [`LineFormat`] to
/// stdout in batches, the level coloured only on a terminal.
///
/// # Panics
/// When a global subscriber is already installed.
#[must_use = "dropping the guard writes the lines gathered and stops batching"]
pub fn init() -> LogGuard {
    // Plain lines when the log goes to a file or a pipe: colour codes break log readers.
    init_to(io::stdout(), io::IsTerminal::is_terminal(&io::stdout()))
}

/// [`init`] with the lines going to `out` (the benchmarks log to a file), coloured if
/// `ansi`.
///
/// # Panics
/// When a global subscriber is already installed.
#[must_use = "dropping the guard writes the lines gathered and stops batching"]
pub fn init_to(out: impl Write + Send + 'static, ansi: bool) -> LogGuard {
    let (writer, guard) = Batched::new(out);
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_ansi(ansi)
        .event_format(LineFormat)
        .fmt_fields(LineFields)
        .with_writer(move || writer.clone())
        .init();
    guard
}

/// A log destination that gathers lines and writes them to its output in batches; cheap to
/// clone (clones share the batch).
#[derive(Clone)]
pub struct Batched {
    shared: Arc<Shared>,
}

struct Shared {
    /// The lines gathered since the last write.
    lines: Mutex<Vec<u8>>,
    /// Where they go; held while a batch is written, so batches keep their order.
    out: Mutex<Box<dyn Write + Send>>,
    wake: Mutex<Wake>,
    /// Wakes the flushing thread early: a batch is full, or the guard is dropped.
    woken: Condvar,
    /// No flushing thread (dropped with the guard, or never started): every line is
    /// written as it comes.
    unbatched: AtomicBool,
}

#[derive(Default)]
struct Wake {
    batch_full: bool,
    stopping: bool,
}

/// Takes a lock whatever panicked while it was held: at worst a line is cut short, and the
/// receiver keeps logging.
fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Batched {
    /// Lines to `out`, and the guard that keeps them flowing (every [`FLUSH_EVERY`] at the
    /// latest) until dropped.
    pub fn new(out: impl Write + Send + 'static) -> (Self, LogGuard) {
        Self::flushed_every(out, FLUSH_EVERY)
    }

    fn flushed_every(out: impl Write + Send + 'static, every: Duration) -> (Self, LogGuard) {
        let shared = Arc::new(Shared {
            lines: Mutex::new(Vec::with_capacity(BATCH_BYTES)),
            out: Mutex::new(Box::new(out)),
            wake: Mutex::new(Wake::default()),
            woken: Condvar::new(),
            unbatched: AtomicBool::new(false),
        });
        let flusher = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("log-flush".to_owned())
            .spawn(move || flusher.flush_until_stopped(every))
            .ok();
        if thread.is_none() {
            // Nothing would write a batch that never fills: lines go out one by one.
            shared.unbatched.store(true, Ordering::Release);
        }
        let writer = Self {
            shared: Arc::clone(&shared),
        };
        (writer, LogGuard { shared, thread })
    }
}

impl Shared {
    fn flush_until_stopped(&self, every: Duration) {
        loop {
            let stopping = {
                let (mut wake, _) = self
                    .woken
                    .wait_timeout_while(lock(&self.wake), every, |wake| {
                        !wake.batch_full && !wake.stopping
                    })
                    .unwrap_or_else(PoisonError::into_inner);
                wake.batch_full = false;
                wake.stopping
            };
            self.write_out();
            if stopping {
                return;
            }
        }
    }

    /// Writes the gathered lines, outside the lock that loggers take. A log that cannot be
    /// written (stdout closed) drops them: the receiver goes on.
    fn write_out(&self) {
        let mut out = lock(&self.out);
        let batch = {
            let mut lines = lock(&self.lines);
            if lines.is_empty() {
                return;
            }
            std::mem::replace(&mut *lines, Vec::with_capacity(BATCH_BYTES))
        };
        let _ = out.write_all(&batch);
        let _ = out.flush();
    }
}

impl Write for Batched {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        let gathered = {
            let mut lines = lock(&self.shared.lines);
            lines.extend_from_slice(line);
            lines.len()
        };
        if gathered >= 4 * BATCH_BYTES || self.shared.unbatched.load(Ordering::Acquire) {
            // The flushing thread is behind, or gone: write here rather than hold more.
            self.shared.write_out();
        } else if gathered >= BATCH_BYTES && gathered - line.len() < BATCH_BYTES {
            lock(&self.shared.wake).batch_full = true;
            self.shared.woken.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Lines are written by the batch; a flush per line would undo it.
        Ok(())
    }
}

/// Keeps the batching going; dropping it writes what is gathered and stops the flushing
/// thread. Lines logged after that (a handler still running while the runtime shuts down)
/// are written one by one.
pub struct LogGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        lock(&self.shared.wake).stopping = true;
        self.shared.woken.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.shared.unbatched.store(true, Ordering::Release);
        self.shared.write_out();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    /// A destination the test can read.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Write for Capture {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Capture {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    /// A log line of 1 KiB, newline included.
    fn kib_line(byte: u8) -> Vec<u8> {
        let mut line = vec![byte; 1023];
        line.push(b'\n');
        line
    }

    /// Waits (up to 10 s) for `capture` to hold `len` bytes.
    fn wait_for(capture: &Capture, len: usize) {
        let start = Instant::now();
        while capture.text().len() < len {
            assert!(start.elapsed() < Duration::from_secs(10), "never written");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_line_is_gathered_then_written_by_the_timer() {
        let capture = Capture::default();
        let (mut writer, _guard) =
            Batched::flushed_every(capture.clone(), Duration::from_millis(300));
        writer.write_all(b"first\n").unwrap();
        assert_eq!(capture.text(), "", "gathered, not written per line");
        wait_for(&capture, 6);
        assert_eq!(capture.text(), "first\n");
    }

    #[test]
    fn dropping_the_guard_writes_what_is_gathered_and_later_lines_go_out_at_once() {
        let capture = Capture::default();
        let (mut writer, guard) =
            Batched::flushed_every(capture.clone(), Duration::from_secs(3600));
        writer.write_all(b"gathered\n").unwrap();
        drop(guard);
        assert_eq!(capture.text(), "gathered\n");
        writer.write_all(b"after\n").unwrap();
        assert_eq!(
            capture.text(),
            "gathered\nafter\n",
            "no thread left to write it later"
        );
    }

    #[test]
    fn a_full_batch_is_written_without_waiting_for_the_interval() {
        let capture = Capture::default();
        let (mut writer, _guard) =
            Batched::flushed_every(capture.clone(), Duration::from_secs(3600));
        let line = kib_line(b'x');
        for _ in 0..BATCH_BYTES / line.len() - 1 {
            writer.write_all(&line).unwrap();
        }
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(capture.text(), "", "not a full batch yet");
        writer.write_all(&line).unwrap();
        wait_for(&capture, BATCH_BYTES);
        assert_eq!(capture.text().len(), BATCH_BYTES);
    }

    #[test]
    fn at_four_batches_waiting_the_logger_waits_for_the_destination() {
        let capture = Capture::default();
        let (mut writer, guard) =
            Batched::flushed_every(capture.clone(), Duration::from_secs(3600));
        // The flushing thread cannot write while the destination is held.
        let held = Arc::clone(&guard.shared);
        let out = lock(&held.out);
        let line = kib_line(b'y');
        let logger = std::thread::spawn(move || {
            for _ in 0..4 * BATCH_BYTES / line.len() {
                writer.write_all(&line).unwrap();
            }
        });
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            !logger.is_finished(),
            "at four batches the logger waits for the destination instead of gathering more"
        );
        drop(out);
        logger.join().unwrap();
        assert_eq!(
            capture.text().len(),
            4 * BATCH_BYTES,
            "all written once it returned"
        );
        drop(guard);
    }
}
