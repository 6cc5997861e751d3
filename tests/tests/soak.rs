//! The soak: a simulated sender delivers many events over real HTTP, to each adapter on
//! the memory store and on Redis (when `redis-server` is installed), with faults injected
//! on both sides, and retries each event until a 2xx, as senders do. At the end every
//! event's handler has completed exactly once, no claim is left (each event sent again is a
//! duplicate), and the process's memory has stopped growing once the store is full.
//!
//! Faults (per event, fixed by a hash of its key; see `Fault::of`): the handler fails the
//! first attempt of 10% of events and panics on 1%; 5% of handlers take longer than the
//! sender waits, so the sender times out and retries while they run. The sender sends 30%
//! of events twice, 5% as two concurrent copies, and for 2% first drops a connection
//! mid-body.
//!
//! `cargo test --test soak` runs a short version (600 events per adapter and store, and 1,800
//! on a memory store a third that size, full for most of the run). The full one:
//!
//! ```text
//! HOOKVERIFY_SOAK_EVENTS=1000000 HOOKVERIFY_SOAK_IN_FLIGHT=256 \
//!     cargo test --release -p hookverify-conformance --test soak -- --nocapture --test-threads 1
//! ```
//!
//! `HOOKVERIFY_SOAK_CAPACITY` sets the memory store's capacity (default
//! `MemoryStore::new`'s); past it the store forgets the oldest processed events, so the
//! final duplicate check covers the most recent half of the capacity, and the memory check
//! applies once the run is twice the capacity (the store full for its second half).

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use hookverify::dedup::{DedupStore, MemoryStore, DEFAULT_CAPACITY};
use hookverify::pipeline::WebhookConfig;
use hookverify::{testing, Provider, Secret};
use hookverify_conformance::client::Client;
use hookverify_conformance::spec::Fault;
use hookverify_conformance::{actix_server, axum_server, Behaviour, RunningServer, ServerSpec};
use hookverify_redis::testing::RedisServer;
use hookverify_redis::RedisStore;
use tokio::io::AsyncWriteExt;

const SECRET: &str = "whsec_soak_0123456789abcdef";
/// How long the simulated sender waits for an answer: shorter than a slow handler.
const SENDER_TIMEOUT: Duration = Duration::from_millis(150);
const BACKOFF: Duration = Duration::from_millis(40);
/// Past this growth of the process's resident memory between the middle and the end of a
/// run whose store is full, the soak fails: what is left growing then is a leak.
const MAX_LATE_GROWTH_MIB: f64 = 32.0;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn events() -> usize {
    setting("HOOKVERIFY_SOAK_EVENTS", 600)
}

/// The event number in a soak event's key (`...evt_soak_<n>`).
fn number_of(key: &str) -> Option<usize> {
    key.rsplit_once("evt_soak_")?.1.parse().ok()
}

/// This process's resident memory, in MiB (0 where `/proc` is not there).
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// A fixed share of events, by their number.
fn share(number: usize, salt: u64, percent: u64) -> bool {
    let hash = (number as u64 ^ salt).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (hash >> 33) % 100 < percent
}

struct Event {
    headers: Vec<(String, String)>,
    body: String,
}

fn event(number: usize) -> Event {
    let body = format!(
        r#"{{"id":"evt_soak_{number}","type":"user.created","created_at":"2025-01-01T00:00:00Z","data":{{"n":{number}}}}}"#
    );
    let signature = testing::sign(
        Provider::GENERIC,
        &Secret::new(SECRET).unwrap(),
        body.as_bytes(),
    )
    .unwrap();
    let mut headers: Vec<(String, String)> = signature
        .into_headers()
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    headers.push(("content-type".to_owned(), "application/json".to_owned()));
    Event { headers, body }
}

/// Sends until a 2xx, as a sender retries; returns the attempts it took.
async fn deliver(client: &Client, url: &str, event: &Event) -> usize {
    for attempt in 1..=500 {
        let reply = tokio::time::timeout(
            SENDER_TIMEOUT,
            client.post(url, &event.headers, event.body.clone()),
        )
        .await;
        if matches!(&reply, Ok(Ok(reply)) if reply.status.is_success()) {
            return attempt;
        }
        tokio::time::sleep(BACKOFF).await;
    }
    panic!("an event was never accepted: {}", event.body);
}

/// Opens a connection, sends the head and half the body, and hangs up.
async fn drop_mid_body(server: &RunningServer, event: &Event) {
    let Ok(mut stream) = tokio::net::TcpStream::connect(server.addr).await else {
        return;
    };
    let mut head = format!(
        "POST /webhook HTTP/1.1\r\nhost: {}\r\ncontent-length: {}\r\n",
        server.addr,
        event.body.len()
    );
    for (name, value) in &event.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream
        .write_all(&event.body.as_bytes()[..event.body.len() / 2])
        .await;
    let _ = stream.shutdown().await;
}

/// Where the soak's server keeps its claims.
enum Store {
    Memory { capacity: usize },
    Redis(RedisServer),
}

/// The handlers' panics are part of the run: not printed, unlike any other.
fn quiet_soak_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
            if !message.is_some_and(|message| message.contains("as the soak asked")) {
                default(info);
            }
        }));
    });
}

fn soak(spawn: fn(ServerSpec) -> RunningServer, kind: &Store, total: usize) {
    quiet_soak_panics();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let in_flight = setting("HOOKVERIFY_SOAK_IN_FLIGHT", 32);
    let (store, retained, label): (Arc<dyn DedupStore>, usize, String) = match kind {
        Store::Memory { capacity } => (
            Arc::new(MemoryStore::with_capacity(*capacity)),
            // Past its capacity the store forgets the oldest completions first; the most
            // recent half of it is certainly kept.
            if total > *capacity {
                capacity / 2
            } else {
                total
            },
            format!("memory store of {capacity}"),
        ),
        Store::Redis(redis) => (
            Arc::new(runtime.block_on(RedisStore::connect(&redis.url())).unwrap()),
            total,
            "Redis store".to_owned(),
        ),
    };
    let server = runtime.block_on(async {
        spawn(
            ServerSpec::new(
                WebhookConfig::new(Secret::new(SECRET).unwrap()).dedup_store_arc(store),
            )
            .behaviour(Behaviour::Faults),
        )
    });
    server.recorder.keep_ledger(total, number_of);
    let url = server.url();
    let started = Instant::now();
    let client = Client::new();
    let done = AtomicUsize::new(0);
    // (events done, resident MiB), sampled while the run goes.
    let mut memory = vec![(0, rss_mib())];
    let sends = runtime.block_on(async {
        let sending = stream::iter(0..total)
            .map(|number| {
                let (client, url, server, done) = (&client, url.as_str(), &server, &done);
                async move {
                    let event = event(number);
                    if share(number, 1, 2) {
                        drop_mid_body(server, &event).await;
                    }
                    let mut sends = if share(number, 2, 5) {
                        let (a, b) = tokio::join!(
                            deliver(client, url, &event),
                            deliver(client, url, &event)
                        );
                        a + b
                    } else {
                        deliver(client, url, &event).await
                    };
                    if share(number, 3, 30) {
                        sends += deliver(client, url, &event).await;
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                    sends
                }
            })
            .buffer_unordered(in_flight)
            .fold(0usize, |total, sends| async move { total + sends });
        let mut sending = std::pin::pin!(sending);
        let mut every = tokio::time::interval(Duration::from_millis(250));
        loop {
            tokio::select! {
                sends = &mut sending => break sends,
                _ = every.tick() => memory.push((done.load(Ordering::Relaxed), rss_mib())),
            }
        }
    });
    memory.push((total, rss_mib()));
    let elapsed = started.elapsed();

    // Every event completed exactly once.
    let ledger = server.recorder.ledger().unwrap();
    let wrong: Vec<(usize, u8)> = (0..total)
        .map(|number| (number, ledger.completions(number)))
        .filter(|(_, count)| *count != 1)
        .collect();
    assert!(
        wrong.is_empty(),
        "{label}: {} events did not complete exactly once (number, completions): {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(10)]
    );

    // No claim left behind: each event the store still remembers is a duplicate.
    let leftovers = runtime.block_on(async {
        stream::iter(total - retained..total)
            .map(|number| {
                let (client, url) = (&client, url.as_str());
                async move {
                    let event = event(number);
                    let reply = client
                        .post(url, &event.headers, event.body.clone())
                        .await
                        .unwrap();
                    (number, reply.status.as_u16(), reply.json())
                }
            })
            .buffer_unordered(in_flight)
            .filter(|(_, status, body)| {
                std::future::ready(*status != 200 || body["status"] != "duplicate")
            })
            .collect::<Vec<_>>()
            .await
    });
    assert!(
        leftovers.is_empty(),
        "{label}: not duplicates after the soak: {:?}",
        &leftovers[..leftovers.len().min(5)]
    );

    // Memory: resident size at each quarter of the run.
    let at = |fraction: f64| {
        let wanted = (total as f64 * fraction) as usize;
        memory
            .iter()
            .find(|(done, _)| *done >= wanted)
            .map_or(0.0, |(_, mib)| *mib)
    };
    let quarters = [0.0, 0.25, 0.5, 0.75, 1.0].map(at);
    eprintln!(
        "soak ({label}): {total} events, {sends} sends until a 2xx, {} handler calls, \
         {:.1} s ({:.0} events/s); resident MiB at 0/25/50/75/100%: {:.0?}",
        server.recorder.calls(),
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        quarters,
    );
    if let Store::Memory { capacity } = kind {
        if total >= 2 * *capacity {
            let late_growth = quarters[4] - quarters[2];
            assert!(
                late_growth <= MAX_LATE_GROWTH_MIB,
                "{label}: memory still grew by {late_growth:.0} MiB over the second half of the \
                 run, the store being full: {quarters:.0?}"
            );
        }
    }
    let _ = Fault::SLOW;
}

fn memory() -> Store {
    Store::Memory {
        capacity: setting("HOOKVERIFY_SOAK_CAPACITY", DEFAULT_CAPACITY),
    }
}

#[test]
fn axum_processes_every_event_once_under_faults() {
    soak(axum_server::spawn, &memory(), events());
}

#[test]
fn actix_processes_every_event_once_under_faults() {
    soak(actix_server::spawn, &memory(), events());
}

/// The run on a memory store a third its size: at least 1,800 events, so the store (600
/// or more) is full for most of the run, the oldest processed events are forgotten while
/// faults go on, and the memory check applies. The store still holds far more than the
/// events completed while a retry is on its way (up to about 150 ms here, with 32 claims
/// in flight taking room too), even at a few thousand events a second: a store smaller
/// than that forgets an event before its retry arrives, which then runs it again.
fn full_memory() -> (Store, usize) {
    let total = events().max(1_800);
    (
        Store::Memory {
            capacity: total / 3,
        },
        total,
    )
}

#[test]
fn axum_with_a_full_store_processes_every_event_once_under_faults() {
    let (store, total) = full_memory();
    soak(axum_server::spawn, &store, total);
}

#[test]
fn actix_with_a_full_store_processes_every_event_once_under_faults() {
    let (store, total) = full_memory();
    soak(actix_server::spawn, &store, total);
}

#[test]
fn axum_on_redis_processes_every_event_once_under_faults() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    soak(axum_server::spawn, &Store::Redis(redis), events());
}

#[test]
fn actix_on_redis_processes_every_event_once_under_faults() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    soak(actix_server::spawn, &Store::Redis(redis), events());
}
