//! What the receiver costs per delivery without a network: the router called in process
//! (`tower::ServiceExt::oneshot`) with unique, signed 1 KiB Generic events: a bare route
//! reading `Bytes`, the same route behind `WebhookVerify` with a memory store (the library's
//! share alone), and the example receiver's `app` with a memory store (the layer, the typed
//! event and the event log, but not the line the binary logs per event: no log subscriber
//! is installed, so this is the code's own cost). The loopback benchmark (`receiver`)
//! measures whole servers, log included, and is noisy; this one is steadier within a run,
//! but still moves between runs on a shared machine: compare two versions alternately.
//!
//! ```text
//! cargo bench -p axum-receiver --bench in_process
//! ```
#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)] // a benchmark binary

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use axum_receiver::{app, EventLog, Secrets};
use hookverify::dedup::{DedupStore, MemoryStore, DEFAULT_CAPACITY};
use hookverify::Secret;
use hookverify_conformance::load;
use hookverify_tower::WebhookVerify;
use http::HeaderValue;
use tower::ServiceExt;

const PATH: &str = "/webhooks/generic";
/// Requests built at a time, before the clock starts.
const CHUNK: u64 = 4096;
const BODY_SIZE: usize = 1024;
const SECRET: &str = "whsec_benchmark_secret";

async fn handle(body: Bytes) -> (StatusCode, String) {
    (StatusCode::OK, body.len().to_string())
}

/// The routers compared, each ready to serve (`with_state` done, as `axum::serve` does once
/// per connection).
fn routers() -> [(&'static str, Router); 3] {
    let secret = Secret::new(SECRET).unwrap();
    let verify = WebhookVerify::new(secret.clone())
        .dedup_store(MemoryStore::new())
        .retention(Duration::from_secs(10));
    let store: Arc<dyn DedupStore> = Arc::new(MemoryStore::new());
    [
        (
            "bare",
            Router::new().route(PATH, post(handle)).with_state(()),
        ),
        (
            "layer",
            Router::new()
                .route(PATH, post(handle))
                .route_layer(verify)
                .with_state(()),
        ),
        (
            "receiver",
            app(&Secrets::one(secret), &store, EventLog::default()).with_state(()),
        ),
    ]
}

/// `count` unique signed requests (the loopback benchmark's events), built before the clock
/// starts.
fn requests(count: u64, next_id: &AtomicU64) -> Vec<Request<Body>> {
    load::signed_events(count, BODY_SIZE, SECRET, next_id)
        .into_iter()
        .map(|(body, signature)| {
            Request::post(PATH)
                .header("content-type", "application/json")
                .header("content-length", HeaderValue::from(body.len()))
                .header("x-signature-256", signature)
                .body(Body::from(body))
                .unwrap()
        })
        .collect()
}

fn in_process(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("axum_in_process_1KiB");
    group.throughput(Throughput::Elements(1));
    let next_id = AtomicU64::new(0);
    for (name, router) in routers() {
        // A busy receiver's store is full (it keeps the last `DEFAULT_CAPACITY` events):
        // measured in that state from the first sample, not filling up during some.
        for _ in 0..(DEFAULT_CAPACITY as u64).div_ceil(CHUNK) + 1 {
            let requests = requests(CHUNK, &next_id);
            runtime.block_on(async {
                for request in requests {
                    let response = router.clone().oneshot(request).await.unwrap();
                    assert_eq!(response.status(), StatusCode::OK);
                }
            });
        }
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                // In chunks, so that the requests waiting to be sent stay small in memory.
                let mut elapsed = Duration::ZERO;
                let mut left = iters;
                while left > 0 {
                    let chunk = left.min(CHUNK);
                    left -= chunk;
                    let requests = requests(chunk, &next_id);
                    elapsed += runtime.block_on(async {
                        let start = Instant::now();
                        for request in requests {
                            let response = router.clone().oneshot(request).await.unwrap();
                            assert_eq!(response.status(), StatusCode::OK);
                        }
                        start.elapsed()
                    });
                }
                elapsed
            });
        });
    }
    group.finish();
}

criterion_group!(benches, in_process);
criterion_main!(benches);
