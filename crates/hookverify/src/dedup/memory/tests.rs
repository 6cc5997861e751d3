//! The memory store's state machine, expiry, bound and concurrency.

use std::collections::HashMap;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use proptest::prelude::*;

use super::*;
use crate::dedup::ManualClock;

const LEASE: Duration = Duration::from_secs(300);
const RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

struct NoopWake;

impl Wake for NoopWake {
    fn wake(self: Arc<Self>) {}
}

/// Polls a store future once: the memory store's futures are ready at once.
fn ready_now<T>(future: StoreFuture<'_, T>) -> Result<T, StoreError> {
    let waker = Waker::from(Arc::new(NoopWake));
    let mut future = future;
    match future.as_mut().poll(&mut Context::from_waker(&waker)) {
        Poll::Ready(result) => result,
        Poll::Pending => panic!("the memory store never waits"),
    }
}

fn key(text: &str) -> DedupKey {
    DedupKey::new(text)
}

fn store() -> (MemoryStore, ManualClock) {
    let clock = ManualClock::new();
    (MemoryStore::new().clock(clock.clone()), clock)
}

fn claim(store: &MemoryStore, key: &DedupKey, fingerprint: u8, lease: Duration) -> Claim {
    ready_now(store.claim(key, [fingerprint; 32], lease)).unwrap()
}

fn claimed(store: &MemoryStore, key: &DedupKey) -> ClaimToken {
    match claim(store, key, 1, LEASE) {
        Claim::Claimed(token) => token,
        other => panic!("expected Claimed, got {other:?}"),
    }
}

/// Whether the completion acted (the token still owned its key).
fn complete(store: &MemoryStore, token: &ClaimToken, retention: Duration) -> bool {
    ready_now(store.complete(token, retention)).unwrap()
}

/// Whether the release acted (the token still owned its key).
fn release(store: &MemoryStore, token: &ClaimToken) -> bool {
    ready_now(store.release(token)).unwrap()
}

#[test]
fn new_key_is_claimed_and_then_in_flight_with_the_time_left() {
    let (store, clock) = store();
    let k = key("generic:a");
    let token = claimed(&store, &k);
    assert_eq!(token.key(), &k);
    assert_eq!(
        claim(&store, &k, 1, LEASE),
        Claim::InFlight { retry_after: LEASE }
    );
    clock.advance(Duration::from_secs(100));
    assert_eq!(
        claim(&store, &k, 2, LEASE),
        Claim::InFlight {
            retry_after: Duration::from_secs(200)
        }
    );
}

#[test]
fn completed_key_is_a_duplicate_that_compares_fingerprints() {
    let (store, _) = store();
    let k = key("generic:a");
    let token = claimed(&store, &k);
    complete(&store, &token, RETENTION);
    assert_eq!(
        claim(&store, &k, 1, LEASE),
        Claim::Completed { same_body: true }
    );
    assert_eq!(
        claim(&store, &k, 9, LEASE),
        Claim::Completed { same_body: false }
    );
}

#[test]
fn fingerprint_is_the_one_claimed_with() {
    let (store, _) = store();
    let k = key("generic:a");
    let Claim::Claimed(token) = claim(&store, &k, 5, LEASE) else {
        panic!("new key");
    };
    complete(&store, &token, RETENTION);
    assert_eq!(
        claim(&store, &k, 5, LEASE),
        Claim::Completed { same_body: true }
    );
    assert_eq!(
        claim(&store, &k, 1, LEASE),
        Claim::Completed { same_body: false }
    );
}

#[test]
fn release_lets_the_retry_claim_with_a_new_token() {
    let (store, _) = store();
    let k = key("generic:a");
    let first = claimed(&store, &k);
    release(&store, &first);
    assert!(store.is_empty());
    let second = claimed(&store, &k);
    assert_ne!(first.id(), second.id());
}

#[test]
fn retention_expiry_makes_the_key_claimable_again() {
    let (store, clock) = store();
    let k = key("generic:a");
    let token = claimed(&store, &k);
    complete(&store, &token, Duration::from_secs(60));
    clock.advance(Duration::from_secs(59));
    assert_eq!(
        claim(&store, &k, 1, LEASE),
        Claim::Completed { same_body: true }
    );
    clock.advance(Duration::from_secs(1));
    claimed(&store, &k);
    assert_eq!(store.len(), 1);
}

#[test]
fn zero_retention_and_zero_lease_expire_at_once() {
    let (store, _) = store();
    let k = key("generic:a");
    let token = claimed(&store, &k);
    complete(&store, &token, Duration::ZERO);
    assert!(matches!(
        claim(&store, &k, 1, Duration::ZERO),
        Claim::Claimed(_)
    ));
    assert!(matches!(claim(&store, &k, 1, LEASE), Claim::Claimed(_)));
}

#[test]
fn expired_lease_is_taken_over_and_the_old_token_is_powerless() {
    let (store, clock) = store();
    let k = key("generic:a");
    let old = claimed(&store, &k);
    clock.advance(LEASE);
    let new = claimed(&store, &k);

    assert!(
        !complete(&store, &old, RETENTION),
        "a stale completion says it did nothing"
    );
    assert_eq!(
        claim(&store, &k, 1, LEASE),
        Claim::InFlight { retry_after: LEASE },
        "the stale completion did not commit"
    );
    assert!(
        !release(&store, &old),
        "a stale release says it did nothing"
    );
    assert_eq!(
        claim(&store, &k, 1, LEASE),
        Claim::InFlight { retry_after: LEASE },
        "the stale release did not delete the new claim"
    );

    assert!(
        complete(&store, &new, RETENTION),
        "the owner's completion acts"
    );
    assert_eq!(
        claim(&store, &k, 1, LEASE),
        Claim::Completed { same_body: true }
    );
}

#[test]
fn expired_lease_without_takeover_no_longer_owns_the_key() {
    let (store, clock) = store();
    let k = key("generic:a");
    let token = claimed(&store, &k);
    clock.advance(LEASE);
    complete(&store, &token, RETENTION);
    assert!(matches!(claim(&store, &k, 1, LEASE), Claim::Claimed(_)));
}

#[test]
fn settled_tokens_act_once() {
    let (store, _) = store();
    let k = key("generic:a");
    let token = claimed(&store, &k);
    complete(&store, &token, RETENTION);
    release(&store, &token);
    complete(&store, &token, Duration::ZERO);
    assert_eq!(
        claim(&store, &k, 1, LEASE),
        Claim::Completed { same_body: true }
    );

    let j = key("generic:b");
    let token = claimed(&store, &j);
    release(&store, &token);
    let next = claimed(&store, &j);
    complete(&store, &token, RETENTION);
    release(&store, &token);
    assert_eq!(
        claim(&store, &j, 1, LEASE),
        Claim::InFlight { retry_after: LEASE }
    );
    complete(&store, &next, RETENTION);
}

#[test]
fn foreign_tokens_are_ignored() {
    let (store, _) = store();
    let (other, _) = self::store();
    let k = key("generic:a");
    let mine = claimed(&store, &k);
    let theirs = claimed(&other, &k);
    complete(&store, &theirs, RETENTION);
    release(&store, &theirs);
    complete(
        &store,
        &ClaimToken::new(k.clone(), mine.id() ^ (1 << 100)),
        RETENTION,
    );
    assert_eq!(
        claim(&store, &k, 1, LEASE),
        Claim::InFlight { retry_after: LEASE }
    );
    complete(&store, &mine, RETENTION);
    assert_eq!(
        claim(&store, &k, 1, LEASE),
        Claim::Completed { same_body: true }
    );
}

#[test]
fn keys_are_independent_and_clones_share_state() {
    let (store, _) = store();
    let copy = store.clone();
    let a = claimed(&store, &key("generic:a"));
    claimed(&copy, &key("prism:a:request.completed"));
    assert!(matches!(
        claim(&copy, &key("generic:a"), 1, LEASE),
        Claim::InFlight { .. }
    ));
    complete(&copy, &a, RETENTION);
    assert_eq!(
        claim(&store, &key("generic:a"), 1, LEASE),
        Claim::Completed { same_body: true }
    );
    assert_eq!(store.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claims_of_one_key_give_exactly_one_claimed() {
    let store = MemoryStore::new();
    let barrier = Arc::new(tokio::sync::Barrier::new(64));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let store = store.clone();
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                store
                    .claim(&DedupKey::new("generic:evt_1"), [3; 32], LEASE)
                    .await
            })
        })
        .collect();
    let mut claimed = 0;
    let mut in_flight = 0;
    for task in tasks {
        match task.await.unwrap().unwrap() {
            Claim::Claimed(_) => claimed += 1,
            Claim::InFlight { .. } => in_flight += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((claimed, in_flight), (1, 63));
}

#[test]
fn full_store_evicts_expired_then_oldest_completed_then_refuses() {
    let clock = ManualClock::new();
    let store = MemoryStore::with_capacity(3).clock(clock.clone());
    let short = claimed(&store, &key("a"));
    complete(&store, &short, Duration::from_secs(10));
    let long = claimed(&store, &key("b"));
    complete(&store, &long, Duration::from_secs(1000));
    claimed(&store, &key("c"));
    clock.advance(Duration::from_secs(20));

    // "a" expired: it goes first, "b" stays.
    claimed(&store, &key("d"));
    assert_eq!(store.len(), 3);
    assert_eq!(
        claim(&store, &key("b"), 1, LEASE),
        Claim::Completed { same_body: true }
    );

    // Nothing expired: the oldest completed entry, "b", goes; the live claims stay.
    claimed(&store, &key("e"));
    assert_eq!(store.len(), 3);
    for live in ["c", "d", "e"] {
        assert!(matches!(
            claim(&store, &key(live), 1, LEASE),
            Claim::InFlight { .. }
        ));
    }

    // Only live claims: refused, so that no event runs twice at once.
    let refused = ready_now(store.claim(&key("b"), [1; 32], LEASE));
    assert!(matches!(
        refused,
        Err(StoreError::CapacityExhausted { capacity: 3 })
    ));
    assert_eq!(store.len(), 3);

    // Once a lease runs out there is room again.
    clock.advance(LEASE);
    claimed(&store, &key("b"));
    assert_eq!(store.len(), 3);
}

#[test]
fn full_store_finds_an_expired_lease_behind_a_live_one() {
    let clock = ManualClock::new();
    let store = MemoryStore::with_capacity(2).clock(clock.clone());
    assert!(matches!(
        claim(&store, &key("long"), 1, Duration::from_secs(100)),
        Claim::Claimed(_)
    ));
    assert!(matches!(
        claim(&store, &key("short"), 1, Duration::from_secs(1)),
        Claim::Claimed(_)
    ));
    clock.advance(Duration::from_secs(2));
    claimed(&store, &key("new"));
    assert!(matches!(
        claim(&store, &key("long"), 1, LEASE),
        Claim::InFlight { .. }
    ));
    assert_eq!(store.len(), 2);
}

#[test]
fn capacity_bound_holds_across_shards() {
    let (store, _) = (MemoryStore::with_capacity(20_000), ());
    assert_eq!(store.capacity(), 20_000);
    assert_eq!(store.inner.shards.len(), 2);
    let total: usize = store
        .inner
        .shards
        .iter()
        .map(|shard| lock(shard).capacity)
        .sum();
    assert_eq!(total, 20_000);
    for index in 0..50_000 {
        let token = claimed(&store, &key(&format!("generic:evt_{index}")));
        complete(&store, &token, RETENTION);
        if index % 5_000 == 0 {
            assert!(store.len() <= 20_000);
        }
    }
    assert!(store.len() <= 20_000);
    assert!(store.len() > 19_000, "{} entries kept", store.len());
}

#[test]
fn shard_counts() {
    for (capacity, shards) in [
        (0, 1),
        (1, 1),
        (16_383, 1),
        (16_384, 2),
        (100_000, 8),
        (1_000_000, 32),
    ] {
        let store = MemoryStore::with_capacity(capacity);
        assert_eq!(store.inner.shards.len(), shards, "capacity {capacity}");
        assert_eq!(store.capacity(), capacity.max(1));
    }
    assert_eq!(MemoryStore::new().capacity(), DEFAULT_CAPACITY);
}

#[test]
fn queues_stay_bounded_behind_a_long_lease() {
    let (store, _) = store();
    claimed(&store, &key("generic:stuck"));
    for index in 0..10_000 {
        let token = claimed(&store, &key(&format!("generic:{index}")));
        if index % 2 == 0 {
            release(&store, &token);
        } else {
            complete(&store, &token, Duration::ZERO);
        }
    }
    for shard in &*store.inner.shards {
        let shard = lock(shard);
        assert!(shard.leases.len() <= 2 * shard.map.len() + 65);
        assert!(shard.completions.len() <= 2 * shard.map.len() + 65);
    }
}

#[test]
fn memory_per_completed_entry_is_within_target() {
    assert_eq!(std::mem::size_of::<(KeyHash, Entry)>(), 48);
    assert_eq!(std::mem::size_of::<(KeyHash, u64)>(), 24);
}

/// A sequential model of the contract, for the property test.
#[derive(Debug, Clone, Copy)]
enum Model {
    InFlight { owner: usize, deadline: u64, fp: u8 },
    Completed { deadline: u64, fp: u8 },
}

#[derive(Debug, Clone)]
enum Op {
    Claim { key: usize, fp: u8, lease: u64 },
    Complete { token: usize, retention: u64 },
    Release { token: usize },
    Advance { by: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize, 0..2u8, 0..4u64).prop_map(|(key, fp, lease)| Op::Claim { key, fp, lease }),
        (any::<usize>(), 0..4u64).prop_map(|(token, retention)| Op::Complete { token, retention }),
        any::<usize>().prop_map(|token| Op::Release { token }),
        (0..3u64).prop_map(|by| Op::Advance { by }),
    ]
}

proptest! {
    #[test]
    fn matches_the_sequential_model(ops in proptest::collection::vec(op(), 1..80)) {
        const UNIT: u64 = 10;
        let clock = ManualClock::new();
        let store = MemoryStore::with_capacity(64).clock(clock.clone());
        let keys: Vec<DedupKey> = (0..3).map(|i| DedupKey::new(format!("generic:{i}"))).collect();
        let mut model: HashMap<usize, Model> = HashMap::new();
        let mut tokens: Vec<(usize, ClaimToken)> = Vec::new();
        let mut now = 0u64;

        for op in ops {
            match op {
                Op::Claim { key, fp, lease } => {
                    let answer = ready_now(store.claim(&keys[key], [fp; 32], Duration::from_secs(lease * UNIT))).unwrap();
                    let expected = match model.get(&key) {
                        Some(Model::InFlight { deadline, .. }) if now < *deadline => {
                            Some(Claim::InFlight { retry_after: Duration::from_secs(deadline - now) })
                        }
                        Some(Model::Completed { deadline, fp: done }) if now < *deadline => {
                            Some(Claim::Completed { same_body: *done == fp })
                        }
                        _ => None,
                    };
                    match (expected, answer) {
                        (None, Claim::Claimed(token)) => {
                            prop_assert_eq!(token.key(), &keys[key]);
                            model.insert(key, Model::InFlight { owner: tokens.len(), deadline: now + lease * UNIT, fp });
                            tokens.push((key, token));
                        }
                        (Some(expected), answer) => prop_assert_eq!(answer, expected),
                        (None, answer) => prop_assert!(false, "expected Claimed, got {:?}", answer),
                    }
                }
                Op::Complete { token, retention } => {
                    if tokens.is_empty() { continue; }
                    let index = token % tokens.len();
                    let (key, token) = &tokens[index];
                    ready_now(store.complete(token, Duration::from_secs(retention * UNIT))).unwrap();
                    if let Some(Model::InFlight { owner, deadline, fp }) = model.get(key).copied() {
                        if owner == index && now < deadline {
                            model.insert(*key, Model::Completed { deadline: now + retention * UNIT, fp });
                        }
                    }
                }
                Op::Release { token } => {
                    if tokens.is_empty() { continue; }
                    let index = token % tokens.len();
                    let (key, token) = &tokens[index];
                    ready_now(store.release(token)).unwrap();
                    if let Some(Model::InFlight { owner, deadline, .. }) = model.get(key).copied() {
                        if owner == index && now < deadline {
                            model.remove(key);
                        }
                    }
                }
                Op::Advance { by } => {
                    now += by * UNIT;
                    clock.advance(Duration::from_secs(by * UNIT));
                }
            }
        }
    }
}

#[test]
fn extend_renews_only_a_lease_the_token_still_owns() {
    let (store, clock) = store();
    let k = key("generic:extend");
    let lease = Duration::from_secs(30);
    let Claim::Claimed(token) = claim(&store, &k, 1, lease) else {
        panic!("a new key is claimed")
    };
    // Renewed every 10 s, the claim outlives three leases.
    for _ in 0..9 {
        clock.advance(Duration::from_secs(10));
        assert!(ready_now(store.extend(&token, lease)).unwrap());
        assert!(matches!(
            claim(&store, &k, 1, lease),
            Claim::InFlight { .. }
        ));
    }
    // A holder that stops renewing loses the key when the lease runs out.
    clock.advance(Duration::from_secs(31));
    assert!(!ready_now(store.extend(&token, lease)).unwrap());
    let Claim::Claimed(next) = claim(&store, &k, 1, lease) else {
        panic!("an expired claim frees the key")
    };
    // The late holder can neither renew, complete nor release the new claim.
    assert!(!ready_now(store.extend(&token, lease)).unwrap());
    assert!(!complete(&store, &token, RETENTION));
    assert!(ready_now(store.extend(&next, lease)).unwrap());
    assert!(complete(&store, &next, RETENTION));
    assert!(
        !ready_now(store.extend(&next, lease)).unwrap(),
        "a completed key is not renewed"
    );
}
