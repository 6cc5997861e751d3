//! The memory store against a plain `Mutex<HashMap<String, _>>` doing the same work: a claim
//! and a completion for each of 1,000,000 distinct keys, in the same run.
//!
//! Also prints the memory each holds per completed entry, measured as the growth of the
//! resident set (`VmRSS` in `/proc/self/status`) while filling 1,000,000 entries. Each
//! measurement runs in a child process of its own (this binary, re-run with
//! `HOOKVERIFY_DEDUP_MEMORY` set), so neither sees pages the other freed. The crate forbids
//! `unsafe`, so a counting global allocator is not an option.
//!
//! `cargo bench -p hookverify --bench dedup`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion, SamplingMode, Throughput};
use hookverify::dedup::{Claim, ClaimToken, DedupKey, DedupStore, MemoryStore};

const ENTRIES: usize = 1_000_000;
/// The bound is kept per shard, so leave the few percent of slack that uneven shards need
/// to hold every key.
const CAPACITY: usize = ENTRIES + ENTRIES / 10;
const LEASE: Duration = Duration::from_secs(300);
const RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
const MEMORY_VAR: &str = "HOOKVERIFY_DEDUP_MEMORY";

struct NoopWake;

impl Wake for NoopWake {
    fn wake(self: Arc<Self>) {}
}

/// Polls a future that is ready at once, as the memory store's are.
fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(NoopWake));
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

/// About 40 bytes, like a real key (`generic:evt_` and 28 hex digits).
fn keys() -> Vec<DedupKey> {
    (0..ENTRIES)
        .map(|index| DedupKey::new(format!("generic:evt_{index:028x}")))
        .collect()
}

/// The baseline: one lock around a standard map from the key text to what the store keeps.
struct Baseline {
    map: Mutex<HashMap<String, BaselineEntry>>,
    clock: Instant,
}

struct BaselineEntry {
    deadline: Duration,
    owner: u128,
    fingerprint: [u8; 32],
    completed: bool,
}

impl Baseline {
    fn new() -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            clock: Instant::now(),
        }
    }

    fn claim(&self, key: &DedupKey, fingerprint: [u8; 32], lease: Duration) -> Claim {
        let now = self.clock.elapsed();
        let mut map = self.map.lock().unwrap();
        match map.get(key.as_str()) {
            Some(entry) if now < entry.deadline && entry.completed => Claim::Completed {
                same_body: entry.fingerprint == fingerprint,
            },
            Some(entry) if now < entry.deadline => Claim::InFlight {
                retry_after: entry.deadline - now,
            },
            _ => {
                let token = ClaimToken::unique(key.clone());
                map.insert(
                    key.as_str().to_owned(),
                    BaselineEntry {
                        deadline: now + lease,
                        owner: token.id(),
                        fingerprint,
                        completed: false,
                    },
                );
                Claim::Claimed(token)
            }
        }
    }

    fn complete(&self, token: &ClaimToken, retention: Duration) {
        let now = self.clock.elapsed();
        let mut map = self.map.lock().unwrap();
        if let Some(entry) = map.get_mut(token.key().as_str()) {
            if entry.owner == token.id() && !entry.completed && now < entry.deadline {
                entry.completed = true;
                entry.deadline = now + retention;
            }
        }
    }
}

fn fill_store(store: &MemoryStore, keys: &[DedupKey]) {
    for key in keys {
        let Claim::Claimed(token) = block_on(store.claim(key, [7; 32], LEASE)).unwrap() else {
            panic!("distinct keys are new");
        };
        block_on(store.complete(&token, RETENTION)).unwrap();
    }
}

fn fill_baseline(baseline: &Baseline, keys: &[DedupKey]) {
    for key in keys {
        let Claim::Claimed(token) = baseline.claim(key, [7; 32], LEASE) else {
            panic!("distinct keys are new");
        };
        baseline.complete(&token, RETENTION);
    }
}

fn claim_complete(c: &mut Criterion) {
    let keys = keys();
    let mut group = c.benchmark_group("dedup_claim_complete_1M");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(15))
        .throughput(Throughput::Elements(ENTRIES as u64));
    group.bench_function("memory_store", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let store = MemoryStore::with_capacity(CAPACITY);
                let start = Instant::now();
                fill_store(&store, &keys);
                total += start.elapsed();
                black_box(&store);
            }
            total
        });
    });
    group.bench_function("mutex_hashmap_baseline", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let baseline = Baseline::new();
                let start = Instant::now();
                fill_baseline(&baseline, &keys);
                total += start.elapsed();
                black_box(&baseline);
            }
            total
        });
    });
    group.finish();
}

criterion_group!(benches, claim_complete);

/// The resident set size in bytes.
fn resident_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .unwrap();
    let kib: usize = line
        .split_whitespace()
        .nth(1)
        .and_then(|value| value.parse().ok())
        .unwrap();
    kib * 1024
}

/// In the child: fill one structure and print its growth per entry.
fn measure_memory(which: &str) {
    let keys = keys();
    let before = resident_bytes();
    match which {
        "memory_store" => {
            let store = MemoryStore::with_capacity(CAPACITY);
            fill_store(&store, &keys);
            assert_eq!(store.len(), ENTRIES);
            let after = resident_bytes();
            println!("{}", (after - before) as f64 / ENTRIES as f64);
            black_box(store);
        }
        "mutex_hashmap_baseline" => {
            let baseline = Baseline::new();
            fill_baseline(&baseline, &keys);
            let after = resident_bytes();
            println!("{}", (after - before) as f64 / ENTRIES as f64);
            black_box(baseline);
        }
        other => panic!("unknown structure {other}"),
    }
}

fn report_memory() {
    let exe = std::env::current_exe().unwrap();
    let mut figures = Vec::new();
    for which in ["memory_store", "mutex_hashmap_baseline"] {
        let output = Command::new(&exe).env(MEMORY_VAR, which).output().unwrap();
        assert!(output.status.success(), "memory probe {which} failed");
        let per_entry: f64 = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .unwrap();
        println!("memory per completed entry, {which}: {per_entry:.1} bytes (RSS growth over {ENTRIES} entries)");
        figures.push(per_entry);
    }
    println!(
        "memory ratio memory_store / mutex_hashmap_baseline: {:.2}",
        figures[0] / figures[1]
    );
}

fn main() {
    if let Ok(which) = std::env::var(MEMORY_VAR) {
        measure_memory(&which);
        return;
    }
    // `cargo test --benches` runs each benchmark once as a smoke test; skip the probe there.
    if !std::env::args().any(|arg| arg == "--test" || arg == "--list") {
        report_memory();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
