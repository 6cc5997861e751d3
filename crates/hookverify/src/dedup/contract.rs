//! The [`DedupStore`] contract as a test suite, to run against any store: the memory store,
//! the Redis store, or one of yours (Postgres, DynamoDB...). Enable the `store-tests`
//! feature in your dev-dependencies.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use hookverify::dedup::{contract, MemoryStore};
//!
//! contract::check(&MemoryStore::new()).await; // panics, naming the broken rule
//! # }
//! ```
//!
//! Every check uses keys of its own (a fresh random prefix per run), so the suite can run
//! against a store that outlives it. It runs on the wall clock, with leases of a few hundred
//! milliseconds, and takes about three seconds.

use std::time::Duration;

use futures_util::future::join_all;

use super::{Claim, ClaimToken, DedupKey, DedupStore};

/// The lease used where a check waits for one to run out.
const SHORT: Duration = Duration::from_millis(300);
/// A lease no check outlives.
const LONG: Duration = Duration::from_secs(60);
const FINGERPRINT: [u8; 32] = [7; 32];

/// Runs every check of the contract against `store`; panics with the rule that broke.
pub async fn check<S: DedupStore + ?Sized>(store: &S) {
    let run = Keys::new();
    claim_then_in_flight(store, &run).await;
    complete_then_completed(store, &run).await;
    release_frees_the_key(store, &run).await;
    late_holders_are_fenced_off(store, &run).await;
    extend_keeps_a_claim_alive(store, &run).await;
    retention_runs_out(store, &run).await;
    concurrent_claims(store, &run, 64).await;
}

/// Claims `key` concurrently `count` times; panics unless exactly one is claimed.
pub async fn concurrent_claims<S: DedupStore + ?Sized>(store: &S, keys: &Keys, count: usize) {
    let key = keys.key("concurrent");
    let claims = join_all((0..count).map(|_| store.claim(&key, FINGERPRINT, LONG))).await;
    let claimed = claims
        .iter()
        .filter(|claim| matches!(claim, Ok(Claim::Claimed(_))))
        .count();
    assert_eq!(
        claimed, 1,
        "{count} concurrent claims of one new key: exactly one is claimed, {claimed} were ({claims:?})"
    );
    assert!(
        claims
            .iter()
            .all(|claim| matches!(claim, Ok(Claim::Claimed(_) | Claim::InFlight { .. }))),
        "the others are in flight: {claims:?}"
    );
}

/// Keys of one run of the suite.
#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    /// A fresh prefix for one run.
    #[must_use]
    pub fn new() -> Self {
        let id = ClaimToken::unique(DedupKey::new("contract")).id();
        Self {
            prefix: format!("contract-{id:032x}"),
        }
    }

    /// The key called `name` in this run.
    #[must_use]
    pub fn key(&self, name: &str) -> DedupKey {
        DedupKey::new(format!("{}:{name}", self.prefix))
    }
}

impl Default for Keys {
    fn default() -> Self {
        Self::new()
    }
}

async fn claimed<S: DedupStore + ?Sized>(store: &S, key: &DedupKey, lease: Duration) -> ClaimToken {
    match store.claim(key, FINGERPRINT, lease).await {
        Ok(Claim::Claimed(token)) => token,
        other => panic!("claim of the free key {key}: want Claimed, got {other:?}"),
    }
}

async fn acted(what: &str, future: super::StoreFuture<'_, bool>) -> bool {
    match future.await {
        Ok(acted) => acted,
        Err(error) => panic!("{what}: the store failed: {error}"),
    }
}

async fn claim_then_in_flight<S: DedupStore + ?Sized>(store: &S, run: &Keys) {
    let key = run.key("in-flight");
    let token = claimed(store, &key, LONG).await;
    assert_eq!(token.key(), &key, "the token names its key");
    match store.claim(&key, FINGERPRINT, LONG).await {
        Ok(Claim::InFlight { retry_after }) => assert!(
            retry_after > Duration::ZERO && retry_after <= LONG,
            "in flight: retry_after is the time left on the lease, got {retry_after:?}"
        ),
        other => panic!("a claimed key claimed again: want InFlight, got {other:?}"),
    }
}

async fn complete_then_completed<S: DedupStore + ?Sized>(store: &S, run: &Keys) {
    let key = run.key("completed");
    let token = claimed(store, &key, LONG).await;
    assert!(
        acted("complete by the owner", store.complete(&token, LONG)).await,
        "complete by the owning token acts"
    );
    let same = store.claim(&key, FINGERPRINT, LONG).await;
    assert!(
        matches!(same, Ok(Claim::Completed { same_body: true })),
        "a completed key with the same fingerprint: want Completed {{ same_body: true }}, got {same:?}"
    );
    let other = store.claim(&key, [8; 32], LONG).await;
    assert!(
        matches!(other, Ok(Claim::Completed { same_body: false })),
        "a completed key with another fingerprint: want Completed {{ same_body: false }}, got {other:?}"
    );
    assert!(
        !acted("extend after complete", store.extend(&token, LONG)).await,
        "a completed claim is no longer owned: extend does nothing"
    );
    assert!(
        !acted("release after complete", store.release(&token)).await,
        "a completed claim is no longer owned: release does nothing"
    );
    let still = store.claim(&key, FINGERPRINT, LONG).await;
    assert!(
        matches!(still, Ok(Claim::Completed { .. })),
        "a late release must not undo a completion: got {still:?}"
    );
}

async fn release_frees_the_key<S: DedupStore + ?Sized>(store: &S, run: &Keys) {
    let key = run.key("released");
    let first = claimed(store, &key, LONG).await;
    assert!(
        acted("release by the owner", store.release(&first)).await,
        "release by the owning token acts"
    );
    let second = claimed(store, &key, LONG).await;
    assert_ne!(first.id(), second.id(), "every claim gets a new token");
    assert!(
        !acted("release by the old token", store.release(&first)).await,
        "a released token no longer owns the key"
    );
}

async fn late_holders_are_fenced_off<S: DedupStore + ?Sized>(store: &S, run: &Keys) {
    let key = run.key("fenced");
    let late = claimed(store, &key, SHORT).await;
    tokio::time::sleep(SHORT + SHORT / 2).await;
    for (what, future) in [
        ("extend after the lease ran out", store.extend(&late, LONG)),
        (
            "complete after the lease ran out",
            store.complete(&late, LONG),
        ),
        ("release after the lease ran out", store.release(&late)),
    ] {
        assert!(
            !acted(what, future).await,
            "{what}: a lease that ran out is not owned any more, even before anyone claimed again"
        );
    }
    let current = claimed(store, &key, LONG).await;
    for (what, future) in [
        ("extend by a late holder", store.extend(&late, LONG)),
        ("complete by a late holder", store.complete(&late, LONG)),
        ("release by a late holder", store.release(&late)),
    ] {
        assert!(!acted(what, future).await, "{what} must not act");
    }
    let still = store.claim(&key, FINGERPRINT, LONG).await;
    assert!(
        matches!(still, Ok(Claim::InFlight { .. })),
        "the current claim survives a late holder: got {still:?}"
    );
    assert!(
        acted(
            "complete by the current holder",
            store.complete(&current, LONG)
        )
        .await
    );
}

async fn extend_keeps_a_claim_alive<S: DedupStore + ?Sized>(store: &S, run: &Keys) {
    let key = run.key("extended");
    let token = claimed(store, &key, SHORT).await;
    for round in 0..6 {
        tokio::time::sleep(SHORT / 3).await;
        assert!(
            acted("extend by the owner", store.extend(&token, SHORT)).await,
            "extend {round} by the owner acts"
        );
    }
    // Two leases after the claim, renewed, it still holds.
    let held = store.claim(&key, FINGERPRINT, LONG).await;
    assert!(
        matches!(held, Ok(Claim::InFlight { .. })),
        "a renewed claim outlives its first lease: got {held:?}"
    );
    // Renewals stop (the holder died): the lease runs out.
    tokio::time::sleep(SHORT + SHORT / 2).await;
    let _ = claimed(store, &key, LONG).await;
}

async fn retention_runs_out<S: DedupStore + ?Sized>(store: &S, run: &Keys) {
    let key = run.key("retention");
    let token = claimed(store, &key, LONG).await;
    assert!(acted("complete", store.complete(&token, SHORT)).await);
    tokio::time::sleep(SHORT + SHORT / 2).await;
    let _ = claimed(store, &key, LONG).await;

    let key = run.key("zero-retention");
    let token = claimed(store, &key, LONG).await;
    assert!(acted("complete", store.complete(&token, Duration::ZERO)).await);
    let _ = claimed(store, &key, LONG).await;
}

#[cfg(test)]
mod tests {
    use crate::dedup::MemoryStore;

    #[tokio::test]
    async fn the_memory_store_keeps_the_contract() {
        super::check(&MemoryStore::new()).await;
    }
}
