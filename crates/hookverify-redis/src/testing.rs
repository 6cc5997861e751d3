//! A real `redis-server` for tests (feature `testing`), started on a free loopback port and
//! killed on drop: for running `hookverify::dedup::contract::check` (its `store-tests` feature) or
//! whole receivers against the real thing.
//!
//! ```no_run
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use hookverify_redis::{testing::RedisServer, RedisStore};
//!
//! let Some(server) = RedisServer::start() else {
//!     return; // not installed: skipped, loudly (a failure under CI=true)
//! };
//! let store = RedisStore::connect(&server.url()).await.unwrap();
//! # let _ = store;
//! # }
//! ```
//!
//! Without `redis-server` on the `PATH` a test using it says so loudly and skips; under
//! `CI=true` it fails instead.

use std::io;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` child process, killed on drop.
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts one, or `None` (after a loud warning) when `redis-server` is not installed.
    ///
    /// # Panics
    /// Under `CI=true` when it is not installed; when it does not start.
    pub fn start() -> Option<Self> {
        let available = Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !available {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "redis-server is not installed: the Redis store tests cannot run on CI"
            );
            eprintln!("\n!!!!!!!!!! SKIPPED: redis-server is not installed; the Redis store was NOT tested !!!!!!!!!!\n");
            return None;
        }
        // Installed but unable to start: the machine is broken, and a test harness says so
        // rather than skipping.
        let started = free_port().and_then(|port| {
            let mut server = Self { port, child: None };
            server.launch().map(|()| server)
        });
        match started {
            Ok(server) => Some(server),
            Err(error) => panic!("redis-server is installed but did not start: {error}"),
        }
    }

    /// Starts the child process on `self.port` and waits (up to 10 s) until it listens.
    fn launch(&mut self) -> io::Result<()> {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("not listening on port {} after 10 s", self.port),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server (its data is gone: nothing is persisted).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops (`SIGSTOP`) or resumes (`SIGCONT`) the server process: a stalled Redis, which
    /// still accepts connections but answers nothing.
    ///
    /// # Errors
    /// When the signal cannot be sent (no `kill` command, or the server is not running).
    pub fn pause(&self, paused: bool) -> io::Result<()> {
        let Some(child) = &self.child else {
            return Err(io::Error::other("the server is not running"));
        };
        let signal = if paused { "-STOP" } else { "-CONT" };
        let status = Command::new("kill")
            .arg(signal)
            .arg(child.id().to_string())
            .status()?;
        if status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!("kill {signal} failed: {status}")))
        }
    }

    /// Starts it again on the same port.
    ///
    /// # Errors
    /// When it cannot be started, or does not listen within 10 s.
    pub fn restart(&mut self) -> io::Result<()> {
        self.stop();
        self.launch()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A loopback port free right now (the OS picks it; it is released for the server to take).
fn free_port() -> io::Result<u16> {
    Ok(std::net::TcpListener::bind(("127.0.0.1", 0))?
        .local_addr()?
        .port())
}
