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

#![allow(clippy::expect_used)] // a test harness: a machine that cannot start it is broken

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
        let port = free_port();
        let mut server = Self { port, child: None };
        server.launch();
        Some(server)
    }

    fn launch(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not start on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
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

    /// Starts it again on the same port.
    ///
    /// # Panics
    /// When it does not start (a test harness: a machine that cannot is broken).
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}
