//! Load for the throughput benchmarks: unique signed events sent over many keep-alive
//! connections, every answer checked, every latency kept.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hookverify::{testing, Provider, Secret};
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// A client for load: one keep-alive connection per concurrent request.
pub type LoadClient = Client<HttpConnector, Full<Bytes>>;

/// A client keeping up to `connections` idle connections.
pub fn client(connections: usize) -> LoadClient {
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(connections)
        .build_http()
}

/// `count` unique Generic events of `size` bytes signed with `secret`, ids drawn from
/// `next_id`: `(body, X-Signature-256 value)`.
///
/// # Panics
/// When `secret` is empty (never for a benchmark's constant).
#[allow(clippy::expect_used)]
pub fn signed_events(
    count: u64,
    size: usize,
    secret: &str,
    next_id: &AtomicU64,
) -> Vec<(Bytes, HeaderValue)> {
    let secret = Secret::new(secret).expect("a non-empty benchmark secret");
    (0..count)
        .map(|_| {
            let id = next_id.fetch_add(1, Ordering::Relaxed);
            let head = format!(
                r#"{{"id":"evt_{id:016}","type":"user.created","created_at":"2025-01-01T00:00:00Z","data":{{"blob":""#
            );
            let tail = r#""}}"#;
            let mut body = head.into_bytes();
            body.resize(size.saturating_sub(tail.len()), b'x');
            body.extend_from_slice(tail.as_bytes());
            let signature = testing::sign(Provider::GENERIC, &secret, &body)
                .expect("a Generic signature never fails");
            let value = HeaderValue::from_str(signature.value()).expect("hex is a header value");
            (Bytes::from(body), value)
        })
        .collect()
}

/// One batch sent: how long it took and each request's latency.
#[derive(Debug, Clone)]
pub struct Batch {
    /// From the first request to the last answer.
    pub elapsed: Duration,
    /// Every request's latency, in no particular order.
    pub latencies: Vec<Duration>,
}

/// Sends `events` to `url` over `connections` concurrent connections; every answer must be
/// 200 (a refused or duplicate delivery would measure the wrong thing).
///
/// # Panics
/// On a transport error or an answer other than 200.
#[allow(clippy::expect_used, clippy::panic)]
pub async fn send_all(
    client: &LoadClient,
    url: &str,
    events: Vec<(Bytes, HeaderValue)>,
    connections: usize,
) -> Batch {
    let events = Arc::new(events);
    let cursor = Arc::new(AtomicUsize::new(0));
    let url: Arc<str> = Arc::from(url);
    let start = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (client, events, cursor, url) = (
                client.clone(),
                Arc::clone(&events),
                Arc::clone(&cursor),
                Arc::clone(&url),
            );
            tokio::spawn(async move {
                let signature_header = HeaderName::from_static("x-signature-256");
                let mut latencies = Vec::new();
                loop {
                    let index = cursor.fetch_add(1, Ordering::Relaxed);
                    let Some((body, signature)) = events.get(index) else {
                        break;
                    };
                    let request = Request::post(&*url)
                        .header(CONTENT_TYPE, "application/json")
                        .header(&signature_header, signature.clone())
                        .body(Full::new(body.clone()))
                        .expect("a valid request");
                    let sent = Instant::now();
                    let response = client.request(request).await.expect("the server answers");
                    let status = response.status();
                    let answer = response
                        .into_body()
                        .collect()
                        .await
                        .expect("the whole answer")
                        .to_bytes();
                    latencies.push(sent.elapsed());
                    if status != 200 || answer.as_ref() == br#"{"status":"duplicate"}"# {
                        panic!("{url} answered {status}: {answer:?}");
                    }
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(events.len());
    for task in tasks {
        latencies.extend(task.await.expect("a load task"));
    }
    Batch {
        elapsed: start.elapsed(),
        latencies,
    }
}

/// The `q` quantile (0 to 1) of `latencies`.
pub fn quantile(latencies: &mut [Duration], q: f64) -> Duration {
    latencies.sort_unstable();
    let index = ((latencies.len() as f64 - 1.0) * q).round() as usize;
    latencies.get(index).copied().unwrap_or_default()
}

/// One route under comparison.
#[derive(Debug, Clone)]
pub struct Variant {
    /// What the report calls it.
    pub name: &'static str,
    /// Where its events go.
    pub url: String,
}

/// What [`compare`] measured of one variant.
#[derive(Debug, Clone)]
pub struct Measured {
    /// The variant's name.
    pub name: &'static str,
    /// Requests per second over all rounds.
    pub throughput: f64,
    /// Median latency.
    pub p50: Duration,
    /// 99th percentile latency.
    pub p99: Duration,
    /// Each round's elapsed time, in round order.
    pub rounds: Vec<Duration>,
    /// CPU time of the servers (every thread of this process but the client's and the
    /// main one) per request, over all rounds; `None` where `/proc` has no `schedstat`.
    /// Other processes (a Redis server) are not in it.
    /// Steadier than throughput on a shared machine, where the client and the servers
    /// compete for the same cores.
    pub server_cpu_per_request: Option<Duration>,
}

impl Measured {
    /// The median over rounds of `self`'s throughput divided by `baseline`'s in the same
    /// round: less sensitive to drifting machine load than a ratio of totals.
    pub fn median_ratio(&self, baseline: &Measured) -> f64 {
        let mut ratios: Vec<f64> = self
            .rounds
            .iter()
            .zip(&baseline.rounds)
            .map(|(mine, theirs)| theirs.as_secs_f64() / mine.as_secs_f64())
            .collect();
        ratios.sort_by(f64::total_cmp);
        ratios.get(ratios.len() / 2).copied().unwrap_or(f64::NAN)
    }
}

/// Sends every variant `per_round` fresh events per round, for `rounds` rounds, the order of
/// the variants rotating every round so a trend in machine load favours none.
pub fn compare(
    runtime: &tokio::runtime::Runtime,
    variants: &[Variant],
    rounds: usize,
    per_round: u64,
    connections: usize,
    secret: &str,
    size: usize,
) -> Vec<Measured> {
    let client = client(connections);
    let next_id = AtomicU64::new(0);
    for variant in variants {
        // Warm the pool and the server.
        let warm = signed_events(per_round.min(1000), size, secret, &next_id);
        runtime.block_on(send_all(&client, &variant.url, warm, connections));
    }
    let mut elapsed = vec![Vec::with_capacity(rounds); variants.len()];
    let mut latencies = vec![Vec::new(); variants.len()];
    // Only one variant is sent to at a time and the others' servers are idle, so the
    // servers' CPU time during a batch is that variant's.
    let mut cpu = vec![Some(Duration::ZERO); variants.len()];
    for round in 0..rounds {
        for step in 0..variants.len() {
            let index = (round + step) % variants.len();
            let events = signed_events(per_round, size, secret, &next_id);
            let before = server_cpu();
            let batch =
                runtime.block_on(send_all(&client, &variants[index].url, events, connections));
            let spent = before.zip(server_cpu()).map(|(b, a)| a.saturating_sub(b));
            cpu[index] = cpu[index].zip(spent).map(|(sum, spent)| sum + spent);
            elapsed[index].push(batch.elapsed);
            latencies[index].extend(batch.latencies);
        }
    }
    variants
        .iter()
        .zip(elapsed.into_iter().zip(latencies).zip(cpu))
        .map(|(variant, ((rounds, mut latencies), cpu))| {
            let total: Duration = rounds.iter().sum();
            let requests = latencies.len() as f64;
            Measured {
                name: variant.name,
                throughput: requests / total.as_secs_f64(),
                p50: quantile(&mut latencies, 0.5),
                p99: quantile(&mut latencies, 0.99),
                rounds,
                server_cpu_per_request: cpu.map(|cpu| cpu.div_f64(requests.max(1.0))),
            }
        })
        .collect()
}

/// The name a benchmark gives its [`floor`](crate::floor) variant, which the receiver is
/// also compared with.
pub const FLOOR: &str = "hand-written minimum";

/// The name of the client runtime's threads, whose CPU time is not the servers'.
const CLIENT_THREAD: &str = "load-client";

/// CPU time so far of this process's threads but the client's and the main thread (which
/// only waits on the client): the servers'. From `/proc/self/task/*/schedstat`, in ns.
fn server_cpu() -> Option<Duration> {
    let main = std::process::id().to_string();
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let task = task.ok()?;
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if task.file_name().to_str() == Some(main.as_str()) || comm.trim() == CLIENT_THREAD {
            continue;
        }
        // A thread that ended meanwhile has no file left: it counts for nothing.
        let Ok(stat) = std::fs::read_to_string(task.path().join("schedstat")) else {
            continue;
        };
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

/// Prints one line per variant.
pub fn report(measured: &[Measured]) {
    for m in measured {
        println!(
            "{:>24}: {:>8.0} req/s, p50 {:>7.2} ms, p99 {:>7.2} ms, server CPU {}",
            m.name,
            m.throughput,
            m.p50.as_secs_f64() * 1e3,
            m.p99.as_secs_f64() * 1e3,
            m.server_cpu_per_request
                .map_or("unknown".to_owned(), |cpu| format!(
                    "{:.1} us/request",
                    cpu.as_secs_f64() * 1e6
                )),
        );
    }
}

/// The receiver benchmarks' whole measurement, once their servers run: `variants` are the
/// bare route, the receiver on the memory store and, when `redis_store` is given, the
/// receiver on that Redis store. A short criterion group named `group`, then [`compare`] in
/// rotating rounds, then the report: each variant's throughput and latency, the medians of
/// the per-round ratios (memory against bare, Redis against memory) and the Redis round
/// trips per delivery. `quick` (criterion's `--test`) keeps it to a smoke run.
///
/// # Panics
/// When fewer than two variants are given, or a delivery is refused.
#[allow(clippy::expect_used)]
pub fn receiver_benchmark(
    group: &str,
    variants: &[Variant],
    redis_store: Option<&hookverify_redis::RedisStore>,
    secret: &str,
) {
    use criterion::{Criterion, Throughput};

    const CONNECTIONS: usize = 64;
    const BODY_SIZE: usize = 1024;
    let quick = std::env::args().any(|arg| arg == "--test" || arg == "--list");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(CLIENT_THREAD)
        .enable_all()
        .build()
        .expect("the client runtime");

    let mut criterion = Criterion::default().configure_from_args();
    {
        let client = client(CONNECTIONS);
        let next_id = AtomicU64::new(1 << 40);
        let mut benchmarks = criterion.benchmark_group(group);
        benchmarks.throughput(Throughput::Elements(1));
        benchmarks.sample_size(10);
        benchmarks.measurement_time(Duration::from_secs(5));
        for variant in variants {
            benchmarks.bench_function(variant.name, |b| {
                b.iter_custom(|iters| {
                    let events = signed_events(iters, BODY_SIZE, secret, &next_id);
                    runtime
                        .block_on(send_all(&client, &variant.url, events, CONNECTIONS))
                        .elapsed
                });
            });
        }
        benchmarks.finish();
    }
    criterion.final_summary();

    let (rounds, per_round) = if quick { (2, 256) } else { (12, 5_000) };
    let before = redis_store.map(hookverify_redis::RedisStore::round_trips);
    let measured = compare(
        &runtime,
        variants,
        rounds,
        per_round,
        CONNECTIONS,
        secret,
        BODY_SIZE,
    );
    report(&measured);
    let [bare, memory, rest @ ..] = measured.as_slice() else {
        panic!("the bare route and the receiver on the memory store, at least");
    };
    println!(
        "receiver (memory) / bare route: {:.3} median of {rounds} rounds of {per_round} requests",
        memory.median_ratio(bare)
    );
    if let (Some(bare_cpu), Some(memory_cpu)) =
        (bare.server_cpu_per_request, memory.server_cpu_per_request)
    {
        println!(
            "server CPU per request, bare route / receiver (memory): {:.3} (the throughput \
             ratio a server-bound machine would see)",
            bare_cpu.as_secs_f64() / memory_cpu.as_secs_f64()
        );
    }
    // Every other variant against the bare route, and the receiver against the floor when
    // one is measured.
    for other in rest {
        let cpu = bare
            .server_cpu_per_request
            .zip(other.server_cpu_per_request)
            .map_or("unknown".to_owned(), |(bare, other)| {
                format!("{:.3}", bare.as_secs_f64() / other.as_secs_f64())
            });
        println!(
            "{} / bare route: {:.3} median, server CPU bare / it {cpu}",
            other.name,
            other.median_ratio(bare)
        );
    }
    if let Some(floor) = rest.iter().find(|m| m.name == FLOOR) {
        println!(
            "receiver (memory) / {FLOOR}: {:.3} median",
            memory.median_ratio(floor)
        );
    }
    if let (Some(store), Some(before), Some(with_redis)) = (redis_store, before, rest.first()) {
        println!(
            "receiver (Redis) / receiver (memory): {:.3} median; p99 {:.2} ms vs {:.2} ms",
            with_redis.median_ratio(memory),
            with_redis.p99.as_secs_f64() * 1e3,
            memory.p99.as_secs_f64() * 1e3,
        );
        let deliveries = (rounds as u64 * per_round) + per_round.min(1000);
        let trips = store.round_trips() - before;
        println!(
            "Redis round trips per delivery: {:.2} ({trips} for {deliveries} deliveries)",
            trips as f64 / deliveries as f64
        );
    }
}
