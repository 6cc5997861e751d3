//! End-to-end throughput and latency of the actix-web example receiver (the middleware, its
//! handler and event log) with the memory store and with the Redis store, against a bare
//! actix-web route reading `Bytes`; same client, same run, unique signed 1 KiB events over 64
//! keep-alive connections. Also counts the Redis round trips per delivery.
//!
//! ```text
//! cargo bench -p actix-receiver --bench receiver
//! ```
//!
//! A short criterion report comes first; then every variant runs in rounds whose order
//! rotates, and the medians of the per-round ratios are printed. Each server has one worker.
//! Without `redis-server` the Redis variant is skipped, loudly.
#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)] // a benchmark binary

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use actix_receiver::{configure, routes, EventLog};
use actix_web::web::Bytes;
use actix_web::{web, App, HttpServer};
use criterion::{Criterion, Throughput};
use hookverify::dedup::{DedupStore, MemoryStore};
use hookverify::Secret;
use hookverify_conformance::load::{self, Variant};
use hookverify_redis::testing::RedisServer;
use hookverify_redis::RedisStore;

const CONNECTIONS: usize = 64;
const BODY_SIZE: usize = 1024;
const SECRET: &str = "whsec_benchmark_secret";

/// What a benchmark server runs.
enum Served {
    Bare,
    Receiver(Option<String>),
}

/// Serves on a thread of its own with one worker; a receiver's Redis store is made there, on
/// the server's runtime, and sent back for its round-trip count.
fn serve(served: Served, redis_store: &std::sync::mpsc::Sender<RedisStore>) -> SocketAddr {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    let redis_store = redis_store.clone();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            match served {
                Served::Bare => HttpServer::new(|| {
                    App::new().route(
                        "/webhooks/generic",
                        web::post().to(|body: Bytes| async move { body.len().to_string() }),
                    )
                })
                .workers(1)
                .listen(listener)
                .unwrap()
                .run()
                .await
                .unwrap(),
                Served::Receiver(redis_url) => {
                    let store: Arc<dyn DedupStore> = match redis_url {
                        Some(url) => {
                            let store = RedisStore::connect(&url).await.unwrap();
                            redis_store.send(store.clone()).unwrap();
                            Arc::new(store)
                        }
                        None => Arc::new(MemoryStore::new()),
                    };
                    let routes = routes(&Secret::new(SECRET).unwrap(), &store);
                    let events = web::Data::new(EventLog::default());
                    HttpServer::new(move || {
                        App::new().configure(|cfg| configure(cfg, &routes, &events))
                    })
                    .workers(1)
                    .listen(listener)
                    .unwrap()
                    .run()
                    .await
                    .unwrap();
                }
            }
        });
    });
    addr
}

fn url(addr: SocketAddr) -> String {
    format!("http://{addr}/webhooks/generic")
}

fn main() {
    let quick = std::env::args().any(|arg| arg == "--test" || arg == "--list");
    let redis = RedisServer::start();
    let (store_tx, store_rx) = std::sync::mpsc::channel();
    let mut variants = vec![
        Variant {
            name: "bare actix-web route",
            url: url(serve(Served::Bare, &store_tx)),
        },
        Variant {
            name: "receiver, memory store",
            url: url(serve(Served::Receiver(None), &store_tx)),
        },
    ];
    if let Some(redis) = &redis {
        variants.push(Variant {
            name: "receiver, Redis store",
            url: url(serve(Served::Receiver(Some(redis.url())), &store_tx)),
        });
    }
    let redis_store = redis.as_ref().map(|_| store_rx.recv().unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();

    let mut criterion = Criterion::default().configure_from_args();
    {
        let client = load::client(CONNECTIONS);
        let next_id = AtomicU64::new(1 << 40);
        let mut group = criterion.benchmark_group("actix_receiver_1KiB");
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
