//! The store contract: what a deduplication store promises, whatever it keeps its state in.
//!
//! ```
//! use std::time::Duration;
//! use hookverify::dedup::{Claim, DedupKey, DedupStore, MemoryStore};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let store = MemoryStore::new();
//! let key = DedupKey::new("generic:evt_1");
//! let lease = Duration::from_secs(300);
//!
//! let Claim::Claimed(token) = store.claim(&key, [1; 32], lease).await.unwrap() else {
//!     panic!("a new key is claimed");
//! };
//! assert!(matches!(store.claim(&key, [1; 32], lease).await.unwrap(), Claim::InFlight { .. }));
//! store.complete(&token, Duration::from_secs(3600)).await.unwrap();
//! assert_eq!(
//!     store.claim(&key, [2; 32], lease).await.unwrap(),
//!     Claim::Completed { same_body: false }
//! );
//! # }
//! ```

use std::collections::hash_map::RandomState;
use std::fmt;
use std::future::Future;
use std::hash::BuildHasher;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use super::DedupKey;

/// The future a [`DedupStore`] returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Where deduplication state lives: in memory for one process
/// ([`MemoryStore`](super::MemoryStore)), or shared between replicas.
///
/// The trait is object safe; the pipeline holds a store as `Arc<dyn DedupStore>`.
///
/// # Contract for implementers
///
/// A key is in one of three states: **absent**, **in flight** (claimed by one delivery,
/// until its lease runs out) or **completed** (processed, remembered until its retention
/// runs out). An in-flight key whose lease ran out, or a completed key whose retention ran
/// out, counts as absent: the store may forget it at any moment.
///
/// - [`claim`](Self::claim) is one atomic check-and-set. An absent key becomes in flight
///   under a fresh, unique [`ClaimToken`] ([`ClaimToken::unique`]) and the answer is
///   [`Claim::Claimed`]; the fingerprint is stored with it. An in-flight key is left alone
///   and the answer is [`Claim::InFlight`] with the time left on the live lease. A completed
///   key is left alone and the answer is [`Claim::Completed`], saying whether the fingerprint
///   equals the one stored by the delivery that completed it. Of any number of concurrent
///   claims of one absent key, exactly one gets `Claimed`.
/// - A token **owns** its key from `Claimed` until its lease runs out, or until it is
///   completed or released, whichever comes first. Ownership ends when the lease runs out
///   even if no other delivery has claimed the key since, because an expired lease may
///   already be forgotten (a Redis key set with `PX` is gone).
/// - [`extend`](Self::extend), [`complete`](Self::complete) and [`release`](Self::release)
///   act only while the token owns its key and answer `Ok(true)`; otherwise they do nothing and answer `Ok(false)`,
///   so a delivery whose lease ran out can never commit or delete over the delivery that
///   took the key over, and the pipeline can say that the event was not recorded.
///   `extend` moves the lease's end to `lease` from the call (the pipeline renews a running
///   handler's claim this way, so a claim outlives a long handler but not a dead process);
///   `complete` makes the key completed for `retention`, counted from the call (a zero
///   retention leaves it absent); `release` makes it absent, so the sender's retry is
///   processed.
/// - A [`StoreError`] means the store could not answer; the pipeline then answers 503 and
///   the sender retries, so an event is never lost.
///
/// A Redis store maps this onto `SET key <token id> NX PX <lease>` for the claim (a script
/// reads the existing value and `PTTL` to tell in flight from completed when `NX` fails),
/// and compare-and-set scripts for `extend` (`PEXPIRE` if the value is still this token's),
/// `complete` (`SET ... PX <retention>` if the value is still
/// this token's) and `release` (`DEL` if the value is still this token's). Storing at least
/// 128 bits of the fingerprint is enough to tell a different body apart.
pub trait DedupStore: Send + Sync + 'static {
    /// Claims `key` for one delivery of a body with this `fingerprint`, holding it for
    /// `lease`. See the [trait docs](DedupStore) for the contract.
    fn claim<'a>(
        &'a self,
        key: &'a DedupKey,
        fingerprint: [u8; 32],
        lease: Duration,
    ) -> StoreFuture<'a, Claim>;
    /// Renews the claim's lease: the key stays in flight for `lease` from now. Acts only
    /// while the token owns its key; `Ok(false)`: it no longer did (its lease ran out, or it
    /// was completed or released), and nothing was changed. The pipeline calls this every
    /// third of the lease while the handler runs.
    fn extend<'a>(&'a self, token: &'a ClaimToken, lease: Duration) -> StoreFuture<'a, bool>;
    /// Marks the claimed event processed, remembered for `retention`. `Ok(false)`: the token
    /// no longer owned its key (its lease ran out), and nothing was changed.
    fn complete<'a>(&'a self, token: &'a ClaimToken, retention: Duration) -> StoreFuture<'a, bool>;
    /// Gives the claim up so that a retry is processed. `Ok(false)`: the token no longer
    /// owned its key, and nothing was changed.
    fn release<'a>(&'a self, token: &'a ClaimToken) -> StoreFuture<'a, bool>;
    /// The longest one call may take before the store gives up on it, when it bounds its
    /// calls (a networked store should). The pipeline warns when a lease is shorter than
    /// [`MIN_LEASE_PER_CALL_TIMEOUT`] times this: a renewal slowed to the timeout, and its
    /// read-back, could then land after the claim ran out. `None` (the default): calls
    /// answer at once, as in memory, or the store does not say.
    fn call_timeout(&self) -> Option<Duration> {
        None
    }
}

/// How many call timeouts of its store a lease should span at least: a renewal is sent
/// every third of the lease and may take two timeouts (the call, then reading an unknown
/// outcome back), so a third of the lease must outlast two timeouts.
pub const MIN_LEASE_PER_CALL_TIMEOUT: u32 = 6;

/// The answer to [`DedupStore::claim`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// This delivery owns the key.
    Claimed(ClaimToken),
    /// Another delivery holds a live lease.
    InFlight {
        /// The time left on that lease: when to try again.
        retry_after: Duration,
    },
    /// Already processed.
    Completed {
        /// Whether the fingerprint matches the one of the delivery that was processed.
        same_body: bool,
    },
}

/// Proof of a claim: the key and an id no other claim has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimToken {
    key: DedupKey,
    id: u128,
}

impl ClaimToken {
    /// A token for `key` with the given `id`, for a store that keeps ids itself. Stores
    /// issuing new claims use [`unique`](Self::unique).
    #[must_use]
    pub fn new(key: DedupKey, id: u128) -> Self {
        Self { key, id }
    }

    /// A token for `key` with a fresh id: unique within this process (a counter in the low
    /// 64 bits) and, between processes, told apart by 64 random bits drawn once per process
    /// (the high 64 bits), so replicas sharing one store do not mint the same id.
    #[must_use]
    pub fn unique(key: DedupKey) -> Self {
        Self::new(key, next_id())
    }

    /// The key claimed.
    #[must_use]
    pub fn key(&self) -> &DedupKey {
        &self.key
    }

    /// The unique id of this claim.
    #[must_use]
    pub fn id(&self) -> u128 {
        self.id
    }
}

/// The random high half of every id this process mints.
pub(crate) fn process_salt() -> u64 {
    static SALT: OnceLock<u64> = OnceLock::new();
    // `RandomState` is seeded from the operating system's randomness: hashing anything
    // under it gives per-process random bits without another dependency.
    *SALT.get_or_init(|| RandomState::new().hash_one(0x6864_7570_u64))
}

/// Mints a process-wide unique claim id. The counter stays far below 2^63, which the memory
/// store relies on to mark completed entries with the top bit.
fn next_id() -> u128 {
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    let sequence = COUNTER.fetch_add(1, Ordering::Relaxed);
    (u128::from(process_salt()) << 64) | u128::from(sequence)
}

/// The store could not answer. The pipeline answers 503 with `Retry-After`, so the sender
/// retries later and no event is lost.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// The store is unreachable or failed.
    Unavailable(Box<dyn std::error::Error + Send + Sync>),
    /// The store is full of live claims: nothing can be evicted without letting a second
    /// delivery of an event run while the first is still being processed.
    CapacityExhausted {
        /// The store's entry bound.
        capacity: usize,
    },
}

impl StoreError {
    /// An [`Unavailable`](Self::Unavailable) error with its cause.
    #[must_use]
    pub fn unavailable(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Unavailable(source.into())
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable(_) => f.write_str("deduplication store unavailable"),
            Self::CapacityExhausted { capacity } => write!(
                f,
                "deduplication store full: all {capacity} entries are live claims"
            ),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Unavailable(source) => Some(source.as_ref()),
            Self::CapacityExhausted { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_share_the_process_salt() {
        let key = DedupKey::new("generic:a");
        let ids: Vec<u128> = (0..1000)
            .map(|_| ClaimToken::unique(key.clone()).id())
            .collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len());
        assert!(ids.iter().all(|id| (id >> 64) as u64 == process_salt()));
        assert!(ids.iter().all(|id| (*id as u64) < 1 << 63));
    }

    #[test]
    fn errors_display_and_source() {
        let error = StoreError::unavailable("connection refused");
        assert_eq!(error.to_string(), "deduplication store unavailable");
        assert!(std::error::Error::source(&error).is_some());
        let full = StoreError::CapacityExhausted { capacity: 4 };
        assert!(full.to_string().contains("all 4 entries"));
        assert!(std::error::Error::source(&full).is_none());
    }
}
