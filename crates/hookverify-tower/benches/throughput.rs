//! End-to-end throughput of one axum route behind `WebhookVerify` against the same route
//! without it, over loopback HTTP/1.1 keep-alive connections.
//!
//! Both routes run the same handler, which reads the body as `Bytes`. The layered route
//! verifies the HMAC, checks the body is JSON, claims and completes the event in a
//! `MemoryStore`. One hyper client sends unique, signed 1 KiB Generic events over
//! `CONNECTIONS` concurrent connections to both, in the same run, against the same server (a
//! current-thread tokio runtime on its own thread; the client has its own). Every answer must
//! be 200: a refused or duplicate delivery would measure the wrong thing.
//!
//! ```text
//! cargo bench -p hookverify-tower --bench throughput
//! ```
//!
//! After criterion's report it runs both routes in 40 alternating rounds and prints the
//! `verified/plain throughput ratio`, overall and as the median of the rounds: less sensitive
//! to drift in machine load than two criterion runs one after the other.
#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)] // a benchmark binary

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use criterion::{criterion_group, Criterion, Throughput};
use hookverify::dedup::MemoryStore;
use hookverify::{testing, Provider, Secret};
use hookverify_tower::WebhookVerify;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use hyper::Request;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// Concurrent client connections (requests in flight).
const CONNECTIONS: usize = 64;
/// Size of every event body.
const BODY_SIZE: usize = 1024;
const SECRET: &str = "whsec_benchmark_secret";

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// The handler both routes share: reads the body, answers 200.
async fn handle(body: Bytes) -> (StatusCode, String) {
    (StatusCode::OK, body.len().to_string())
}

/// Serves `/plain` and `/verified` (the same route behind the layer) on its own thread.
fn start_server() -> SocketAddr {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    // Completed events are remembered briefly so the store never fills up in a long run; a
    // claim, a completion and the expiry bookkeeping still happen for every request.
    let verify = WebhookVerify::new(Secret::new(SECRET).unwrap())
        .dedup_store(MemoryStore::with_capacity(2_000_000))
        .retention(Duration::from_secs(10));
    let app = Router::new().route("/plain", post(handle)).merge(
        Router::new()
            .route("/verified", post(handle))
            .route_layer(verify),
    );
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    addr
}

/// Unique signed events: `(body, signature header value)`.
fn events(count: u64, next_id: &AtomicU64) -> Vec<(Bytes, HeaderValue)> {
    let secret = Secret::new(SECRET).unwrap();
    (0..count)
        .map(|_| {
            let id = next_id.fetch_add(1, Ordering::Relaxed);
            let head = format!(
                r#"{{"id":"evt_{id:016}","type":"user.created","created_at":"2025-01-01T00:00:00Z","data":{{"blob":""#
            );
            let tail = r#""}}"#;
            let mut body = head.into_bytes();
            body.resize(BODY_SIZE - tail.len(), b'x');
            body.extend_from_slice(tail.as_bytes());
            let signature = testing::sign(Provider::GENERIC, &secret, &body).unwrap();
            (Bytes::from(body), HeaderValue::from_str(signature.value()).unwrap())
        })
        .collect()
}

/// Sends every event to `url` over `CONNECTIONS` concurrent connections; the elapsed time.
async fn send_all(
    client: &HttpClient,
    url: &'static str,
    events: Vec<(Bytes, HeaderValue)>,
) -> Duration {
    let events = Arc::new(events);
    let cursor = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (client, events, cursor) =
                (client.clone(), Arc::clone(&events), Arc::clone(&cursor));
            tokio::spawn(async move {
                let signature_header = HeaderName::from_static("x-signature-256");
                loop {
                    let index = cursor.fetch_add(1, Ordering::Relaxed);
                    let Some((body, signature)) = events.get(index) else {
                        break;
                    };
                    let request = Request::post(url)
                        .header(CONTENT_TYPE, "application/json")
                        .header(&signature_header, signature.clone())
                        .body(Full::new(body.clone()))
                        .unwrap();
                    let response = client.request(request).await.unwrap();
                    let status = response.status();
                    let answer = response.into_body().collect().await.unwrap().to_bytes();
                    assert_eq!(status, 200, "{url} answered {status}: {answer:?}");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    start.elapsed()
}

struct Setup {
    runtime: tokio::runtime::Runtime,
    client: HttpClient,
    plain: &'static str,
    verified: &'static str,
    next_id: AtomicU64,
}

fn setup() -> Setup {
    let addr = start_server();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let client = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(CONNECTIONS)
        .build_http();
    Setup {
        runtime,
        client,
        plain: format!("http://{addr}/plain").leak(),
        verified: format!("http://{addr}/verified").leak(),
        next_id: AtomicU64::new(0),
    }
}

fn throughput(c: &mut Criterion) {
    let setup = setup();
    let mut group = c.benchmark_group("axum_end_to_end_1KiB");
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    for (name, url) in [("plain", setup.plain), ("verified", setup.verified)] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let events = events(iters, &setup.next_id);
                setup.runtime.block_on(send_all(&setup.client, url, events))
            });
        });
    }
    group.finish();
}

/// The interleaved comparison: requests per second of each route over all rounds, and the
/// median of the per-round ratios.
struct Interleaved {
    plain: f64,
    verified: f64,
    median_ratio: f64,
}

/// Both routes in alternating rounds of the same size (the order flips every round, so a
/// trend in machine load favours neither).
fn interleaved(rounds: usize, per_round: u64) -> Interleaved {
    let setup = setup();
    let (mut plain, mut verified) = (Duration::ZERO, Duration::ZERO);
    let mut ratios = Vec::with_capacity(rounds);
    // Warm the connection pool and the server first.
    let warm = events(per_round, &setup.next_id);
    setup
        .runtime
        .block_on(send_all(&setup.client, setup.plain, warm));
    let run = |url| {
        let batch = events(per_round, &setup.next_id);
        setup.runtime.block_on(send_all(&setup.client, url, batch))
    };
    for round in 0..rounds {
        let (p, v) = if round % 2 == 0 {
            let p = run(setup.plain);
            (p, run(setup.verified))
        } else {
            let v = run(setup.verified);
            (run(setup.plain), v)
        };
        plain += p;
        verified += v;
        ratios.push(p.as_secs_f64() / v.as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    let total = (rounds as u64 * per_round) as f64;
    Interleaved {
        plain: total / plain.as_secs_f64(),
        verified: total / verified.as_secs_f64(),
        median_ratio: ratios[ratios.len() / 2],
    }
}

criterion_group!(benches, throughput);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    // `cargo test --benches` runs this binary once in test mode: keep that quick.
    let quick = std::env::args().any(|arg| arg == "--test" || arg == "--list");
    let (rounds, per_round) = if quick { (2, 256) } else { (40, 10_000) };
    let result = interleaved(rounds, per_round);
    println!(
        "verified/plain throughput ratio: {:.3} overall, {:.3} median of rounds (plain {:.0} req/s, verified {:.0} req/s; {rounds} alternating rounds of {per_round} requests, {CONNECTIONS} connections)",
        result.verified / result.plain,
        result.median_ratio,
        result.plain,
        result.verified,
    );
}
