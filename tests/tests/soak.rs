//! The soak: a simulated sender delivers many events over real HTTP, to each adapter on
//! the memory store, with faults injected on both sides, and retries each event until a
//! 2xx, as senders do. At the end every event's handler has completed exactly once and no
//! claim is left: each event sent again is a duplicate.
//!
//! Faults (per event, fixed by a hash of its key; see `Fault::of`): the handler fails the
//! first attempt of 10% of events and panics on 1%; 5% of handlers take longer than the
//! sender waits, so the sender times out and retries while they run. The sender sends 30%
//! of events twice, 5% as two concurrent copies, and for 2% first drops a connection
//! mid-body.
//!
//! `cargo test --test soak` runs a short version (600 events per adapter);
//! `HOOKVERIFY_SOAK_EVENTS=1000000 cargo test --release --test soak -- --nocapture` the
//! full one.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use hookverify::pipeline::WebhookConfig;
use hookverify::{testing, Provider, Secret};
use hookverify_conformance::client::Client;
use hookverify_conformance::spec::Fault;
use hookverify_conformance::{actix_server, axum_server, Behaviour, RunningServer, ServerSpec};
use tokio::io::AsyncWriteExt;

const SECRET: &str = "whsec_soak_0123456789abcdef";
/// How long the simulated sender waits for an answer: shorter than a slow handler.
const SENDER_TIMEOUT: Duration = Duration::from_millis(150);
const BACKOFF: Duration = Duration::from_millis(40);
const IN_FLIGHT: usize = 32;

fn events() -> usize {
    std::env::var("HOOKVERIFY_SOAK_EVENTS")
        .ok()
        .and_then(|events| events.parse().ok())
        .unwrap_or(600)
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

fn soak(spawn: fn(ServerSpec) -> RunningServer) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = spawn(
        ServerSpec::new(WebhookConfig::new(Secret::new(SECRET).unwrap()))
            .behaviour(Behaviour::Faults),
    );
    let url = server.url();
    let total = events();
    let started = Instant::now();
    let client = Client::new();
    let sends = runtime.block_on(async {
        stream::iter(0..total)
            .map(|number| {
                let (client, url, server) = (&client, url.as_str(), &server);
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
                    sends
                }
            })
            .buffer_unordered(IN_FLIGHT)
            .fold(0usize, |total, sends| async move { total + sends })
            .await
    });

    // Every event completed exactly once.
    let mut completions: HashMap<String, usize> = HashMap::new();
    for seen in server.recorder.seen() {
        *completions.entry(seen.dedup_key).or_default() += 1;
    }
    let twice: Vec<_> = completions
        .iter()
        .filter(|(_, count)| **count != 1)
        .collect();
    assert!(
        twice.is_empty(),
        "events completed more than once: {twice:?}"
    );
    assert_eq!(completions.len(), total, "events completed");

    // No claim left behind: each event again is a duplicate.
    let leftovers = runtime.block_on(async {
        stream::iter(0..total)
            .map(|number| {
                let (client, url) = (&client, url.as_str());
                async move {
                    let event = event(number);
                    let reply = client
                        .post(url, &event.headers, event.body.clone())
                        .await
                        .unwrap();
                    (reply.status.as_u16(), reply.json())
                }
            })
            .buffer_unordered(IN_FLIGHT)
            .filter(|(status, body)| {
                std::future::ready(*status != 200 || body["status"] != "duplicate")
            })
            .collect::<Vec<_>>()
            .await
    });
    assert!(
        leftovers.is_empty(),
        "not duplicates after the soak: {:?}",
        &leftovers[..leftovers.len().min(5)]
    );
    eprintln!(
        "soak: {total} events, {sends} sends until a 2xx, {} handler calls, {:.1} s",
        server.recorder.calls(),
        started.elapsed().as_secs_f64()
    );
    let _ = Fault::SLOW;
}

#[test]
fn axum_processes_every_event_once_under_faults() {
    soak(axum_server::spawn);
}

#[test]
fn actix_processes_every_event_once_under_faults() {
    soak(actix_server::spawn);
}
