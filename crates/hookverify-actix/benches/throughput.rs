//! End-to-end throughput of one actix-web route behind `WebhookVerify` against the same
//! route without it, over loopback HTTP/1.1 keep-alive connections.
//!
//! Both routes run the same handler, which reads the body as `Bytes`; the same hyper client
//! sends each one unique, signed 1 KiB Generic events from many concurrent connections, in
//! the same run, against the same server (one actix worker, its own thread). Every answer
//! must be 200: a refused or duplicate delivery would measure the wrong thing, so the
//! benchmark stops on the first other status.
//!
//! ```text
//! cargo bench -p hookverify-actix --bench throughput
//! ```
//!
//! After criterion's report it runs both routes again in alternating rounds and prints the
//! median over rounds of the `verified/plain throughput ratio` (each round runs the two
//! routes back to back, so drift in the machine's load, on a shared two-core box, skews it
//! far less than two criterion runs minutes apart) and the server's CPU time per request of
//! each route, from `/proc`.
#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)] // a benchmark binary

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpResponse, HttpServer};
use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hookverify::dedup::MemoryStore;
use hookverify::{testing, Provider, Secret};
use hookverify_actix::WebhookVerify;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use hyper::Request;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// Concurrent client connections.
const CONNECTIONS: usize = 64;
/// Size of every event body.
const BODY_SIZE: usize = 1024;
const SECRET: &str = "whsec_benchmark_secret";

/// The handler both routes share: reads the body, answers 200.
async fn handle(body: Bytes) -> HttpResponse {
    HttpResponse::Ok().body(body.len().to_string())
}

/// Serves `/plain` and `/verified` (the same route behind the middleware) on its own thread.
fn start_server() -> (SocketAddr, ServerHandle) {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    // Completed events are remembered briefly so the store never fills up in a long run; a
    // claim, a completion and the expiry bookkeeping still happen for every request.
    let verify = WebhookVerify::new(Secret::new(SECRET).unwrap())
        .dedup_store(MemoryStore::with_capacity(2_000_000))
        .retention(Duration::from_secs(10));
    let (tx, rx) = mpsc::channel();
    let server = std::thread::Builder::new().name("bench-server".to_owned());
    server
        .spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .service(web::resource("/plain").route(web::post().to(handle)))
                        .service(
                            web::resource("/verified")
                                .wrap(verify.clone())
                                .route(web::post().to(handle)),
                        )
                })
                .workers(1)
                .disable_signals()
                .backlog(1024)
                .listen(listener)
                .unwrap()
                .run();
                tx.send(server.handle()).unwrap();
                server.await.unwrap();
            });
        })
        .unwrap();
    (addr, rx.recv().unwrap())
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
    client: &Client<HttpConnector, Full<Bytes>>,
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
                    // The handler's answer (the body length), not a duplicate's or a refusal's.
                    assert!(
                        status == 200 && answer == BODY_SIZE.to_string().as_bytes(),
                        "{url} answered {status}: {answer:?}"
                    );
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    start.elapsed()
}

/// Rounds of the interleaved comparison printed after criterion's report.
const ROUNDS: usize = 20;
/// Requests per route per round.
const ROUND_REQUESTS: u64 = 5_000;

/// CPU time of the server's threads so far, in clock ticks
/// (utime + stime of `/proc/self/task/*/stat`); `None` where that is not available.
fn server_cpu_ticks() -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let path = task.ok()?.path();
        let comm = std::fs::read_to_string(path.join("comm")).ok()?;
        // The worker arbiter (`actix-rt|system:0|arbiter:0`), the acceptor (`actix-server
        // acceptor`) and the thread running the server's system (`bench-server`).
        if !(comm.starts_with("actix-") || comm.starts_with("bench-server")) {
            continue;
        }
        let stat = std::fs::read_to_string(path.join("stat")).ok()?;
        // Fields after the parenthesised command: state is field 3, utime 14, stime 15.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let utime: u64 = fields.get(11)?.parse().ok()?;
        let stime: u64 = fields.get(12)?.parse().ok()?;
        total += utime + stime;
    }
    Some(total)
}

/// Clock ticks per second of `/proc/*/stat` (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// What the interleaved rounds measured.
struct Comparison {
    /// Median requests per second of each route (plain, verified).
    per_second: [f64; 2],
    /// Median over rounds of verified / plain requests per second, each round's two runs
    /// back to back.
    ratio: f64,
    /// Server CPU time per request of each route over all rounds, in microseconds.
    server_cpu_micros: Option<[f64; 2]>,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Alternates the two routes, round after round, so that drift in the machine's load hits
/// both alike.
fn interleaved(
    runtime: &tokio::runtime::Runtime,
    client: &Client<HttpConnector, Full<Bytes>>,
    urls: [&'static str; 2],
    next_id: &AtomicU64,
) -> Comparison {
    let mut rates = [Vec::with_capacity(ROUNDS), Vec::with_capacity(ROUNDS)];
    let mut ticks = Some([0_u64; 2]);
    for round in 0..ROUNDS {
        // Alternate which route goes first, too.
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for route in order {
            let events = events(ROUND_REQUESTS, next_id);
            let before = server_cpu_ticks();
            let elapsed = runtime.block_on(send_all(client, urls[route], events));
            rates[route].push(ROUND_REQUESTS as f64 / elapsed.as_secs_f64());
            ticks = match (ticks, before, server_cpu_ticks()) {
                (Some(mut ticks), Some(before), Some(after)) => {
                    ticks[route] += after - before;
                    Some(ticks)
                }
                _ => None,
            };
        }
    }
    let ratios = rates[0]
        .iter()
        .zip(&rates[1])
        .map(|(plain, verified)| verified / plain)
        .collect();
    let requests = (ROUNDS as u64 * ROUND_REQUESTS) as f64;
    Comparison {
        ratio: median(ratios),
        per_second: rates.map(median),
        server_cpu_micros: ticks
            .filter(|ticks| ticks.iter().all(|&ticks| ticks > 0))
            .map(|ticks| ticks.map(|ticks| ticks as f64 / TICKS_PER_SECOND * 1e6 / requests)),
    }
}

fn throughput(c: &mut Criterion) {
    let (addr, server) = start_server();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("bench-client")
        .enable_all()
        .build()
        .unwrap();
    let client: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(CONNECTIONS)
        .build_http();
    let plain_url: &'static str = format!("http://{addr}/plain").leak();
    let verified_url: &'static str = format!("http://{addr}/verified").leak();
    let next_id = AtomicU64::new(0);

    let mut group = c.benchmark_group("actix_end_to_end_1KiB");
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    for (name, url) in [("plain", plain_url), ("verified", verified_url)] {
        group.bench_function(name, |b| {
            b.to_async(&runtime).iter_custom(|iters| {
                let events = events(iters, &next_id);
                let client = client.clone();
                async move { send_all(&client, url, events).await }
            });
        });
    }
    group.finish();

    let comparison = interleaved(&runtime, &client, [plain_url, verified_url], &next_id);
    let [plain, verified] = comparison.per_second;
    println!(
        "interleaved, {ROUNDS} rounds of {ROUND_REQUESTS} requests per route: median plain \
         {plain:.0} req/s, verified {verified:.0} req/s; verified/plain throughput ratio \
         (median of per-round ratios) {:.3}",
        comparison.ratio
    );
    if let Some([plain, verified]) = comparison.server_cpu_micros {
        println!(
            "server CPU per request: plain {plain:.1} µs, verified {verified:.1} µs \
             (plain/verified {:.3})",
            plain / verified
        );
    }
    drop(server.stop(false));
}

criterion_group!(benches, throughput);

criterion_main!(benches);
