//! The store contract (`hookverify::dedup::contract`) on a real `redis-server`, and what
//! only a networked store can get wrong: races over several connections, a dead server, a
//! server that comes back.

#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use hookverify::dedup::{contract, Claim, DedupKey, DedupStore};
use hookverify_redis::testing::RedisServer;
use hookverify_redis::RedisStore;

#[tokio::test]
async fn redis_store_keeps_the_contract() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = RedisStore::connect(&server.url()).await.unwrap();
    contract::check(&store).await;
}

#[tokio::test]
async fn a_new_event_costs_one_round_trip_to_claim_and_one_to_settle() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = RedisStore::connect(&server.url()).await.unwrap();
    let lease = Duration::from_secs(30);
    for n in 0..10 {
        let before = store.round_trips();
        let Claim::Claimed(token) = store
            .claim(&DedupKey::new(format!("trips:{n}")), [1; 32], lease)
            .await
            .unwrap()
        else {
            panic!("a new key is claimed");
        };
        assert_eq!(store.round_trips() - before, 1, "the claim");
        assert!(store.complete(&token, lease).await.unwrap());
        assert_eq!(
            store.round_trips() - before,
            2,
            "the claim and the settlement"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_of_64_concurrent_claims_over_8_connections_wins() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let mut stores = Vec::new();
    for _ in 0..8 {
        stores.push(RedisStore::connect(&server.url()).await.unwrap());
    }
    for round in 0..20 {
        let key = DedupKey::new(format!("race:{round}"));
        let claims = join_all((0..64).map(|i| {
            let store = stores[i % stores.len()].clone();
            let key = key.clone();
            tokio::spawn(async move { store.claim(&key, [1; 32], Duration::from_secs(30)).await })
        }))
        .await;
        let claimed = claims
            .iter()
            .filter(|claim| matches!(claim, Ok(Ok(Claim::Claimed(_)))))
            .count();
        assert_eq!(claimed, 1, "round {round}: {claims:?}");
    }
}

#[tokio::test]
async fn the_store_says_its_call_timeout() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = RedisStore::builder(server.url())
        .timeout(Duration::from_millis(750))
        .connect()
        .await
        .unwrap();
    assert_eq!(store.call_timeout(), Some(Duration::from_millis(750)));
}

#[tokio::test]
async fn keys_carry_the_prefix_and_a_hash_tag() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = RedisStore::builder(server.url())
        .key_prefix("billing:")
        .connect()
        .await
        .unwrap();
    let key = DedupKey::new("ns:generic:id:evt_1");
    assert_eq!(store.redis_key(&key), "billing:{ns:generic:id:evt_1}");
    let claim = store
        .claim(&key, [1; 32], Duration::from_secs(30))
        .await
        .unwrap();
    assert!(matches!(claim, Claim::Claimed(_)));
    let client = redis::Client::open(server.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let stored: Option<String> = redis::cmd("GET")
        .arg("billing:{ns:generic:id:evt_1}")
        .query_async(&mut connection)
        .await
        .unwrap();
    let stored = stored.expect("the claim is stored under the prefixed, hash-tagged key");
    assert!(stored.starts_with("f:"), "{stored}");
    let ttl: i64 = redis::cmd("PTTL")
        .arg("billing:{ns:generic:id:evt_1}")
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(
        ttl > 29_000 && ttl <= 30_000,
        "the lease is the key's TTL: {ttl}"
    );
}

#[tokio::test]
async fn an_unreachable_redis_fails_fast_and_recovery_needs_no_restart() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let store = RedisStore::builder(server.url())
        .timeout(Duration::from_millis(500))
        .connect()
        .await
        .unwrap();
    server.stop();
    let started = Instant::now();
    let down = store
        .claim(&DedupKey::new("down"), [1; 32], Duration::from_secs(30))
        .await;
    assert!(down.is_err(), "{down:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "a dead Redis answers within the timeout, took {:?}",
        started.elapsed()
    );
    server.restart().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match store
            .claim(&DedupKey::new("back"), [1; 32], Duration::from_secs(30))
            .await
        {
            Ok(Claim::Claimed(_)) => break,
            other => {
                assert!(Instant::now() < deadline, "never recovered: {other:?}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

#[tokio::test]
async fn a_hung_redis_is_bounded_by_the_timeout() {
    // A listener that accepts and never answers: a hung server.
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let url = format!("redis://{}/", listener.local_addr().unwrap());
    let started = Instant::now();
    let connect = RedisStore::builder(url)
        .timeout(Duration::from_millis(300))
        .connect()
        .await;
    assert!(connect.is_err());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    drop(listener);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_whose_caller_went_away_is_undone() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = RedisStore::builder(server.url())
        .key_prefix("abandoned:")
        .connect()
        .await
        .unwrap();
    // Claims dropped at every stage of the call: before sending, after sending, after the
    // answer arrived but before it was read. Those that answered in time hold their key.
    let mut answered = Vec::new();
    for n in 0..300u64 {
        let key = DedupKey::new(format!("gone:{n}"));
        let delay = Duration::from_micros(n % 60 * 10);
        let claim =
            tokio::time::timeout(delay, store.claim(&key, [1; 32], Duration::from_secs(60)));
        if let Ok(Ok(Claim::Claimed(_))) = claim.await {
            answered.push(store.redis_key(&key));
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let client = redis::Client::open(server.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let mut left: Vec<String> = redis::cmd("KEYS")
        .arg("abandoned:*")
        .query_async(&mut connection)
        .await
        .unwrap();
    left.sort();
    answered.sort();
    assert!(
        answered.len() < 300,
        "some claims must have been cut short to test anything"
    );
    assert_eq!(
        left, answered,
        "only claims whose caller got the answer may stay; the others are undone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_that_timed_out_in_a_stall_is_undone_once_redis_answers() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = RedisStore::builder(server.url())
        .key_prefix("stall:")
        .timeout(Duration::from_millis(300))
        .connect()
        .await
        .unwrap();
    let key = DedupKey::new("stalled");
    let lease = Duration::from_secs(60);
    if let Err(error) = server.pause(true) {
        // No `kill` program to stop it with: said loudly, and a failure under CI=true.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "cannot stall redis-server: {error}"
        );
        eprintln!("\n!!!!!!!!!! SKIPPED: cannot stall redis-server ({error}) !!!!!!!!!!\n");
        return;
    }
    // Redis takes the command but answers nothing: the claim gives up (503 for the sender).
    assert!(store.claim(&key, [1; 32], lease).await.is_err());
    tokio::time::sleep(Duration::from_millis(700)).await;
    server.pause(false).unwrap();
    // The SET that was sent lands now. The sender's retry must not wait the whole lease for
    // a claim nobody holds: it is undone once Redis answers again.
    let started = std::time::Instant::now();
    loop {
        match store.claim(&key, [1; 32], lease).await {
            Ok(Claim::Claimed(_)) => break,
            other => {
                assert!(
                    started.elapsed() < Duration::from_secs(10),
                    "the stalled claim still holds the event: {other:?}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}
