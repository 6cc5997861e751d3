//! End-to-end throughput and latency of the axum example receiver (the layer, its handler
//! and event log) with the memory store and with the Redis store, against a bare axum route
//! reading `Bytes`; same client, same run, unique signed 1 KiB events over 64 keep-alive
//! connections. Also counts the Redis commands per delivery.
//!
//! ```text
//! cargo bench -p axum-receiver --bench receiver
//! ```
//!
//! A short criterion report comes first; then every variant runs in rounds whose order
//! rotates, and the medians of the per-round ratios are printed (less sensitive to drifting
//! machine load than two separate runs). Without `redis-server` the Redis variant is skipped,
//! loudly.
#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)] // a benchmark binary

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::post;
use axum::Router;
use axum_receiver::{app, EventLog};
use bytes::Bytes;
use criterion::{Criterion, Throughput};
use hookverify::dedup::{DedupStore, MemoryStore};
use hookverify::Secret;
use hookverify_conformance::load::{self, Variant};
use hookverify_redis::testing::RedisServer;
use hookverify_redis::RedisStore;

const CONNECTIONS: usize = 64;
const BODY_SIZE: usize = 1024;
const SECRET: &str = "whsec_benchmark_secret";

/// Serves `router()` (built on the server's own runtime) on a thread of its own.
fn serve<F, Fut>(name: &str, router: F) -> SocketAddr
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Router>,
{
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let thread = std::thread::Builder::new().name(format!("server-{name}"));
    thread
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let app = router().await;
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app).await.unwrap();
            });
        })
        .unwrap();
    addr
}

fn receiver(store: &Arc<dyn DedupStore>) -> Router {
    app(&Secret::new(SECRET).unwrap(), store, EventLog::default())
}

fn url(addr: SocketAddr) -> String {
    format!("http://{addr}/webhooks/generic")
}

fn main() {
    let quick = std::env::args().any(|arg| arg == "--test" || arg == "--list");
    let redis = RedisServer::start();
    let mut variants = vec![
        Variant {
            name: "bare axum route",
            url: url(serve("bare", || async {
                Router::new().route(
                    "/webhooks/generic",
                    post(|body: Bytes| async move { body.len().to_string() }),
                )
            })),
        },
        Variant {
            name: "receiver, memory store",
            url: url(serve("memory", || async {
                receiver(&(Arc::new(MemoryStore::new()) as Arc<dyn DedupStore>))
            })),
        },
    ];
    // The Redis store the receiver uses, to count its round trips.
    let (store_tx, store_rx) = std::sync::mpsc::channel::<RedisStore>();
    if let Some(redis) = &redis {
        let redis_url = redis.url();
        variants.push(Variant {
            name: "receiver, Redis store",
            url: url(serve("redis", move || async move {
                let redis_store = RedisStore::connect(&redis_url).await.unwrap();
                store_tx.send(redis_store.clone()).unwrap();
                let store: Arc<dyn DedupStore> = Arc::new(redis_store);
                receiver(&store)
            })),
        });
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();

    let mut criterion = Criterion::default().configure_from_args();
    {
        let client = load::client(CONNECTIONS);
        let next_id = AtomicU64::new(1 << 40);
        let mut group = criterion.benchmark_group("axum_receiver_1KiB");
        group.throughput(Throughput::Elements(1));
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(5));
        for variant in &variants {
            group.bench_function(variant.name, |b| {
                b.iter_custom(|iters| {
                    let events = load::signed_events(iters, BODY_SIZE, SECRET, &next_id);
                    runtime
                        .block_on(load::send_all(&client, &variant.url, events, CONNECTIONS))
                        .elapsed
                });
            });
        }
        group.finish();
    }
    criterion.final_summary();

    let (rounds, per_round) = if quick { (2, 256) } else { (12, 5_000) };
    let redis_store = redis.as_ref().map(|_| store_rx.recv().unwrap());
    let before = redis_store.as_ref().map(RedisStore::round_trips);
    let measured = load::compare(
        &runtime,
        &variants,
        rounds,
        per_round,
        CONNECTIONS,
        SECRET,
        BODY_SIZE,
    );
    load::report(&measured);
    println!(
        "receiver (memory) / bare route: {:.3} median of {rounds} rounds of {per_round} requests",
        measured[1].median_ratio(&measured[0])
    );
    if let (Some(store), Some(before), Some(with_redis)) = (&redis_store, before, measured.get(2)) {
        println!(
            "receiver (Redis) / receiver (memory): {:.3} median; p99 {:.2} ms vs {:.2} ms",
            with_redis.median_ratio(&measured[1]),
            with_redis.p99.as_secs_f64() * 1e3,
            measured[1].p99.as_secs_f64() * 1e3,
        );
        let deliveries = (rounds as u64 * per_round) + per_round.min(1000);
        let trips = store.round_trips() - before;
        println!(
            "Redis round trips per delivery: {:.2} ({trips} for {deliveries} deliveries)",
            trips as f64 / deliveries as f64
        );
    }
}
