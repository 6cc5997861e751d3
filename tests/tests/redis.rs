//! Many replicas, one event: an axum and an actix-web receiver sharing one real
//! `redis-server` through `RedisStore`, a replica killed mid-handler, and Redis itself
//! restarted under a stream of deliveries. Without `redis-server` these tests say so loudly
//! and skip; under `CI=true` they fail.

#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use hookverify::pipeline::WebhookConfig;
use hookverify::{testing, Provider, Secret};
use hookverify_conformance::client::{Client, Reply};
use hookverify_conformance::{actix_server, axum_server, Behaviour, RunningServer, ServerSpec};
use hookverify_redis::testing::RedisServer;
use hookverify_redis::RedisStore;
use serde_json::json;

const SECRET: &str = "whsec_redis_replicas";
/// Set in the child process that plays the replica killed mid-handler.
const REPLICA_ENV: &str = "HOOKVERIFY_CONFORMANCE_REPLICA_REDIS";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A namespace no other test run uses, so runs never meet in one Redis.
fn namespace(name: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{name}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn config(store: RedisStore, namespace: &str) -> WebhookConfig {
    WebhookConfig::new(Secret::new(SECRET).unwrap())
        .namespace(namespace)
        .dedup_store(store)
}

fn event(id: &str) -> (Vec<(String, String)>, String) {
    let body =
        json!({"id": id, "type": "user.created", "created_at": "2025-01-01T00:00:00Z", "data": {}})
            .to_string();
    let secret = Secret::new(SECRET).unwrap();
    let signature = testing::sign(Provider::GENERIC, &secret, body.as_bytes()).unwrap();
    (
        vec![(signature.name().to_owned(), signature.value().to_owned())],
        body,
    )
}

fn status_of(reply: &Reply) -> (u16, String) {
    (reply.status.as_u16(), reply.text())
}

#[test]
fn fifty_copies_over_an_axum_and_an_actix_replica_run_once() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let runtime = runtime();
    runtime.block_on(async {
        let namespace = namespace("replicas");
        let spec = |store| {
            ServerSpec::new(config(store, &namespace))
                .behaviour(Behaviour::Sleep(Duration::from_millis(300)))
        };
        let replicas = [
            axum_server::spawn(spec(RedisStore::connect(&redis.url()).await.unwrap())),
            actix_server::spawn(spec(RedisStore::connect(&redis.url()).await.unwrap())),
        ];
        let client = Client::new();
        let (headers, body) = event("evt_fifty_copies");
        let urls = replicas.each_ref().map(RunningServer::url);
        let replies =
            join_all((0..50).map(|copy| client.post(&urls[copy % 2], &headers, body.clone())))
                .await;
        for reply in &replies {
            let (status, text) = status_of(reply.as_ref().unwrap());
            assert!(
                status == 200 || (status == 503 && text.contains("in_flight")),
                "{status} {text}"
            );
        }
        let calls: usize = replicas
            .iter()
            .map(|replica| replica.recorder.calls())
            .sum();
        assert_eq!(calls, 1, "the handler ran {calls} times over both replicas");
        // Once processed, a copy on either replica is a duplicate.
        for replica in &replicas {
            let reply = client
                .post(&replica.url(), &headers, body.clone())
                .await
                .unwrap();
            assert_eq!(
                status_of(&reply),
                (200, r#"{"status":"duplicate"}"#.to_owned())
            );
        }
    });
}

/// The replica that gets killed: an axum receiver on the Redis store whose handler never
/// finishes. It prints `replica addr <addr>`, then `replica entered` once the handler runs.
/// Runs only as the child process of the test below (it is ignored otherwise).
#[test]
#[ignore = "the child process of a_replica_killed_mid_handler_frees_its_event_after_the_lease"]
fn replica_process() {
    let Ok(url) = std::env::var(REPLICA_ENV) else {
        return;
    };
    let namespace = std::env::var("HOOKVERIFY_CONFORMANCE_REPLICA_NAMESPACE").unwrap();
    let runtime = runtime();
    runtime.block_on(async {
        let store = RedisStore::connect(&url).await.unwrap();
        let server = axum_server::spawn(
            ServerSpec::new(config(store, &namespace).lease(Duration::from_secs(2)))
                .behaviour(Behaviour::Sleep(Duration::from_secs(3600))),
        );
        println!("replica addr {}", server.addr);
        while server.recorder.calls() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        println!("replica entered");
        std::future::pending::<()>().await;
    });
}

#[test]
fn a_replica_killed_mid_handler_frees_its_event_after_the_lease() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let namespace = namespace("killed");
    let mut child = KillOnDrop(
        Command::new(std::env::current_exe().unwrap())
            .args([
                "replica_process",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(REPLICA_ENV, redis.url())
            .env("HOOKVERIFY_CONFORMANCE_REPLICA_NAMESPACE", &namespace)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let mut next_line = |prefix: &str| loop {
        let line = lines
            .next()
            .expect("the replica printed its lines")
            .unwrap();
        // libtest may print `test replica_process ... ` on the same line first.
        if let Some(at) = line.find(prefix) {
            return line[at + prefix.len()..].trim().to_owned();
        }
    };
    let addr = next_line("replica addr");
    let (headers, body) = event("evt_killed_replica");
    let url = format!("http://{addr}/webhook");
    let runtime = runtime();
    let first = {
        let (headers, body, url) = (headers.clone(), body.clone(), url.clone());
        runtime.spawn(async move { Client::new().post(&url, &headers, body).await })
    };
    next_line("replica entered");
    child.0.kill().unwrap(); // SIGKILL: no release, no more renewals
    child.0.wait().unwrap();
    let killed_at = Instant::now();
    drop(first);

    runtime.block_on(async {
        let store = RedisStore::connect(&redis.url()).await.unwrap();
        let survivor = actix_server::spawn(ServerSpec::new(
            config(store, &namespace).lease(Duration::from_secs(2)),
        ));
        let client = Client::new();
        // The dead claim was renewed at most 2/3 s before the kill: it holds for 1.3 s more.
        tokio::time::sleep(Duration::from_millis(900)).await;
        let early = client
            .post(&survivor.url(), &headers, body.clone())
            .await
            .unwrap();
        assert_eq!(
            status_of(&early).0,
            503,
            "the dead replica's claim still holds before its lease runs out: {:?}",
            status_of(&early)
        );
        let processed = loop {
            let reply = client
                .post(&survivor.url(), &headers, body.clone())
                .await
                .unwrap();
            match status_of(&reply) {
                (200, text) if text == r#"{"status":"processed"}"# => break Instant::now(),
                (503, _) => {
                    assert!(killed_at.elapsed() < Duration::from_secs(10), "never freed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                other => panic!("unexpected answer {other:?}"),
            }
        };
        let waited = processed - killed_at;
        assert!(
            // Not before the lease could run out; the upper bound leaves room for a loaded
            // machine.
            waited >= Duration::from_millis(1300) && waited <= Duration::from_secs(5),
            "processed {waited:?} after the kill; the lease is 2 s, renewed every 2/3 s"
        );
        assert_eq!(survivor.recorder.calls(), 1);
    });
}

/// Kills the replica child if the test fails before it does.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn redis_restarted_during_a_stream_every_event_runs_once() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let runtime = runtime();
    let namespace = namespace("restart");
    let replicas: Vec<RunningServer> = runtime.block_on(async {
        let connect = || async {
            RedisStore::builder(redis.url())
                .timeout(Duration::from_millis(300))
                .connect()
                .await
                .unwrap()
        };
        vec![
            axum_server::spawn(ServerSpec::new(config(connect().await, &namespace))),
            actix_server::spawn(ServerSpec::new(config(connect().await, &namespace))),
        ]
    });
    let client = Client::new();
    let mut unavailable = 0;
    let mut down = false;
    for n in 0..60 {
        if n == 20 {
            redis.stop();
            down = true;
        }
        let (headers, body) = event(&format!("evt_stream_{n}"));
        let started = Instant::now();
        // The sender's policy: retry until a 2xx, alternating replicas.
        for attempt in 0.. {
            let url = replicas[(n + attempt) % 2].url();
            let reply = runtime
                .block_on(client.post(&url, &headers, body.clone()))
                .unwrap();
            match status_of(&reply) {
                (200, _) => break,
                (503, text) => {
                    assert!(
                        text.contains("store_unavailable") || text.contains("in_flight"),
                        "{text}"
                    );
                    unavailable += 1;
                    assert!(
                        started.elapsed() < Duration::from_secs(20),
                        "event {n} never accepted"
                    );
                    if down && attempt >= 5 {
                        // Refused while Redis is down; now it comes back, same port, empty.
                        redis.restart().unwrap();
                        down = false;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                other => panic!("event {n}: unexpected {other:?}"),
            }
        }
    }
    assert!(unavailable > 0, "Redis was down, yet nothing was refused");
    let mut runs: BTreeMap<String, usize> = BTreeMap::new();
    for replica in &replicas {
        for seen in replica.recorder.seen() {
            *runs.entry(seen.dedup_key).or_default() += 1;
        }
    }
    assert_eq!(runs.len(), 60, "every event processed: {runs:?}");
    assert!(
        runs.values().all(|&count| count == 1),
        "each exactly once: {runs:?}"
    );
    drop(replicas);
    drop(runtime);
}
