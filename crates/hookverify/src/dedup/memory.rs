//! The in-process store: a bounded table of keys, with lease and retention expiry.
//!
//! ```
//! use std::time::Duration;
//! use hookverify::dedup::{Claim, DedupKey, DedupStore, MemoryStore};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let store = MemoryStore::with_capacity(10_000);
//! let key = DedupKey::new("promptreports:evt_42");
//! let Claim::Claimed(token) = store.claim(&key, [7; 32], Duration::from_secs(300)).await.unwrap()
//! else { panic!("new key") };
//! store.release(&token).await.unwrap(); // the handler failed: the retry is processed
//! assert!(matches!(store.claim(&key, [7; 32], Duration::from_secs(300)).await.unwrap(), Claim::Claimed(_)));
//! assert_eq!(store.len(), 1);
//! # }
//! ```
//!
//! # Design
//!
//! A fixed number of shards, each a `Mutex` around a `HashMap` keyed by a 128-bit SipHash of
//! the key (two per-store random keys; the key text is not kept), with two FIFO queues that
//! order eviction. We measured `quick_cache`, the leanest well-kept concurrent cache (about
//! 91 bytes per entry in a 1,000,000-entry probe, against about 133 here; both meet the
//! 200-byte target), and chose this table because its eviction contract does not fit: it
//! evicts by S3-FIFO rather than expired-first, and when every entry is pinned as a live
//! claim it grows past its bound instead of refusing.
//!
//! An entry is 48 bytes (key hash, deadline, claim id, the first 128 bits of the
//! fingerprint, which is plenty to tell two bodies apart) plus its place in a queue (24
//! bytes); with the table's load factor and growth by doubling, the benchmark measures about
//! 133 bytes per completed entry (resident memory over 1,000,000 entries).
//!

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::ready;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use super::clock::{Clock, SystemClock};
use super::store::{process_salt, Claim, ClaimToken, DedupStore, StoreError, StoreFuture};
use super::DedupKey;

/// The entry bound of [`MemoryStore::new`].
pub const DEFAULT_CAPACITY: usize = 100_000;

/// The fewest entries a shard holds; smaller stores are not split.
const MIN_SHARD_ENTRIES: usize = 8192;
/// The most shards a store has.
const MAX_SHARDS: usize = 32;
/// Marks a completed entry in its tag; claim ids count up from 1 and never reach it.
const COMPLETED: u64 = 1 << 63;

/// Deduplication state for one process: a bounded number of entries that expire with their
/// lease or retention.
///
/// Cheap to clone; clones share the same state, so adapters clone it into every worker.
///
/// # When full
///
/// The bound is kept per shard (the capacity is split evenly; stores of under 16,384 entries
/// have one shard, so their bound is exact; in a large store a shard may fill a percent or
/// two before the whole store does). Claiming a new key in a full shard makes room
/// in this order:
/// 1. an expired entry at the head of the completion queue or the lease queue (with one
///    retention and one lease for the whole store, as the pipeline configures it, the heads
///    are the oldest, so these are exactly the expired entries);
/// 2. the oldest completed entry, still live: a redelivery of that event after this point
///    would run the handler again, the price of a bound;
/// 3. after a full scan for expired entries (only when no completed entry is left), nothing:
///    the shard holds only live claims, and evicting one would let a second delivery of an
///    event run while the first is still being processed. The claim fails with
///    [`StoreError::CapacityExhausted`], which the pipeline answers with 503: the sender
///    retries later, and no event is lost.
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

/// A [`MemoryStore`] that is not kept alive by this handle.
pub(crate) struct WeakMemoryStore(Weak<Inner>);

impl WeakMemoryStore {
    /// The store, while some clone of it lives.
    pub(crate) fn upgrade(&self) -> Option<MemoryStore> {
        self.0.upgrade().map(|inner| MemoryStore { inner })
    }
}

struct Inner {
    shards: Box<[Mutex<Shard>]>,
    capacity: usize,
    hash_lo: RandomState,
    hash_hi: RandomState,
    clock: Arc<dyn Clock>,
    /// Deadlines are nanoseconds since this instant of `clock`.
    origin: Instant,
}

/// The 128-bit hash a key is stored under. `lo` picks the bucket, `hi` the shard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KeyHash {
    lo: u64,
    hi: u64,
}

impl Hash for KeyHash {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.lo);
    }
}

/// Passes an already uniform hash through to the table.
#[derive(Debug, Clone, Copy, Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used by `KeyHash`; folds anything else in so the hasher stays total.
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct BuildPassThrough;

impl BuildHasher for BuildPassThrough {
    type Hasher = PassThrough;

    fn build_hasher(&self) -> PassThrough {
        PassThrough(0)
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// When the lease or the retention runs out, in nanoseconds since `Inner::origin`.
    deadline: u64,
    /// The low half of the owning claim's id, with [`COMPLETED`] set once completed.
    tag: u64,
    /// The first 128 bits of the fingerprint.
    fingerprint: [u8; 16],
}

impl Entry {
    fn is_completed(&self) -> bool {
        self.tag & COMPLETED != 0
    }

    fn is_live(&self, now: u64) -> bool {
        now < self.deadline
    }
}

struct Shard {
    map: HashMap<KeyHash, Entry, BuildPassThrough>,
    /// In-flight entries in claim order, as `(hash, tag)`; stale pairs are skipped.
    leases: VecDeque<(KeyHash, u64)>,
    /// Completed entries in completion order, as `(hash, tag)`; stale pairs are skipped.
    completions: VecDeque<(KeyHash, u64)>,
    capacity: usize,
}

impl Shard {
    fn new(capacity: usize) -> Self {
        Self {
            map: HashMap::with_hasher(BuildPassThrough),
            leases: VecDeque::new(),
            completions: VecDeque::new(),
            capacity,
        }
    }

    /// Whether a queued `(hash, tag)` still names an entry in that state.
    fn is_current(map: &HashMap<KeyHash, Entry, BuildPassThrough>, item: (KeyHash, u64)) -> bool {
        map.get(&item.0).is_some_and(|entry| entry.tag == item.1)
    }

    /// Drops stale pairs from the heads of both queues, and compacts a queue that has
    /// grown well past the table (stale pairs stuck behind a long live head).
    fn tidy(&mut self) {
        // Both queues compacted by `tidy_leases`; dropping heads only shortens a queue.
        self.tidy_leases();
        Self::drop_stale_heads(&self.map, &mut self.completions);
    }

    /// [`tidy`](Self::tidy) after each claim and settlement: the lease queue's head is a
    /// recent claim, cheap to look up, while the completion queue's is the oldest processed
    /// event, its entry long out of the cache; that head is looked at only when room is
    /// made, which evicts it anyway.
    fn tidy_leases(&mut self) {
        Self::drop_stale_heads(&self.map, &mut self.leases);
        Self::compact(&self.map, &mut self.leases);
        Self::compact(&self.map, &mut self.completions);
    }

    fn drop_stale_heads(
        map: &HashMap<KeyHash, Entry, BuildPassThrough>,
        queue: &mut VecDeque<(KeyHash, u64)>,
    ) {
        while let Some(&head) = queue.front() {
            if Self::is_current(map, head) {
                break;
            }
            queue.pop_front();
        }
    }

    /// Compacts a queue that has grown well past the table: stale pairs stuck behind a long
    /// live head. Amortised: the queue has doubled over the table since it was last
    /// compacted.
    fn compact(
        map: &HashMap<KeyHash, Entry, BuildPassThrough>,
        queue: &mut VecDeque<(KeyHash, u64)>,
    ) {
        if queue.len() > 2 * map.len() + 64 {
            queue.retain(|&item| Self::is_current(map, item));
        }
    }

    /// Frees one entry for a new key; see the module docs for the order.
    fn make_room(&mut self, now: u64, store_capacity: usize) -> Result<(), StoreError> {
        self.tidy();
        let expired_head = [&self.completions, &self.leases]
            .into_iter()
            .filter_map(|queue| queue.front().copied())
            .find(|(hash, _)| self.map.get(hash).is_some_and(|entry| !entry.is_live(now)));
        if let Some((hash, _)) = expired_head {
            self.map.remove(&hash);
            return Ok(());
        }
        if let Some((hash, _)) = self.completions.pop_front() {
            self.map.remove(&hash);
            tracing::debug!("deduplication store full: forgetting the oldest processed event");
            return Ok(());
        }
        let before = self.map.len();
        self.map.retain(|_, entry| entry.is_live(now));
        if self.map.len() < before {
            self.tidy();
            return Ok(());
        }
        Err(StoreError::CapacityExhausted {
            capacity: store_capacity,
        })
    }
}

impl MemoryStore {
    /// A store of at most [`DEFAULT_CAPACITY`] (100,000) entries, on the system clock.
    #[must_use]
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    /// A store of at most `capacity` entries (at least 1), on the system clock.
    ///
    /// When full it forgets the oldest processed events first, and a retry of a forgotten
    /// event runs it again: size it to hold every event processed over the time your
    /// senders keep retrying one (at 100 events/s and retries over an hour, 360,000), or use
    /// a store that expires by time only, such as Redis.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self::build(capacity, Arc::new(SystemClock))
    }

    /// The same store on another clock, such as a [`ManualClock`](super::ManualClock) in
    /// tests. Set it when constructing: the entries held so far are not carried over, and
    /// clones made before keep the old clock and state.
    #[must_use]
    pub fn clock(self, clock: impl Clock) -> Self {
        Self::build(self.inner.capacity, Arc::new(clock))
    }

    fn build(capacity: usize, clock: Arc<dyn Clock>) -> Self {
        let capacity = capacity.max(1);
        let wanted = (capacity / MIN_SHARD_ENTRIES).clamp(1, MAX_SHARDS);
        // The largest power of two not above `wanted`: every shard holds at least
        // `MIN_SHARD_ENTRIES`, and the index is a mask.
        let shard_count = 1usize << (usize::BITS - 1 - wanted.leading_zeros());
        let base = capacity / shard_count;
        let extra = capacity % shard_count;
        let shards = (0..shard_count)
            .map(|index| Mutex::new(Shard::new(base + usize::from(index < extra))))
            .collect();
        let origin = clock.now();
        Self {
            inner: Arc::new(Inner {
                shards,
                capacity,
                hash_lo: RandomState::new(),
                hash_hi: RandomState::new(),
                clock,
                origin,
            }),
        }
    }

    /// Whether `other` is a clone of this store (one table between them).
    pub(crate) fn shares_state_with(&self, other: &MemoryStore) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// A handle that does not keep the table alive.
    pub(crate) fn downgrade(&self) -> WeakMemoryStore {
        WeakMemoryStore(Arc::downgrade(&self.inner))
    }

    /// The entry bound.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.inner.capacity
    }

    /// The number of entries held, including expired ones not yet reclaimed.
    #[must_use]
    pub fn len(&self) -> usize {
        self.inner
            .shards
            .iter()
            .map(|shard| lock(shard).map.len())
            .sum()
    }

    /// Whether no entry is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The claim, synchronously: the store never waits, so its futures are ready at once.
    fn claim_now(
        &self,
        key: &DedupKey,
        fingerprint: [u8; 32],
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let inner = &*self.inner;
        let hash = inner.hash(key);
        let mut shard = inner.shard(hash);
        let now = inner.now();
        let fingerprint = truncate(fingerprint);
        let answer = match shard.map.get(&hash).copied() {
            Some(entry) if entry.is_live(now) && entry.is_completed() => Claim::Completed {
                same_body: entry.fingerprint == fingerprint,
            },
            Some(entry) if entry.is_live(now) => Claim::InFlight {
                retry_after: Duration::from_nanos(entry.deadline - now),
            },
            existing => {
                if existing.is_none() && shard.map.len() >= shard.capacity {
                    shard.make_room(now, inner.capacity)?;
                }
                let token = ClaimToken::unique(key.clone());
                let tag = token.id() as u64;
                let entry = Entry {
                    deadline: now.saturating_add(nanos(lease)),
                    tag,
                    fingerprint,
                };
                shard.map.insert(hash, entry);
                shard.leases.push_back((hash, tag));
                Claim::Claimed(token)
            }
        };
        shard.tidy_leases();
        Ok(answer)
    }

    fn complete_now(&self, token: &ClaimToken, retention: Duration) -> bool {
        let inner = &*self.inner;
        let hash = inner.hash(token.key());
        let mut shard = inner.shard(hash);
        let now = inner.now();
        let Some(entry) = shard.map.get_mut(&hash) else {
            return false;
        };
        if !owns(entry, token, now) {
            return false;
        }
        entry.tag |= COMPLETED;
        entry.deadline = now.saturating_add(nanos(retention));
        let tag = entry.tag;
        shard.completions.push_back((hash, tag));
        shard.tidy_leases();
        true
    }

    fn extend_now(&self, token: &ClaimToken, lease: Duration) -> bool {
        let inner = &*self.inner;
        let hash = inner.hash(token.key());
        let mut shard = inner.shard(hash);
        let now = inner.now();
        match shard.map.get_mut(&hash) {
            // The entry keeps its place in the lease queue: eviction finds an extended lease
            // live at the head and falls back to its scan for expired entries.
            Some(entry) if owns(entry, token, now) => {
                entry.deadline = now.saturating_add(nanos(lease));
                true
            }
            _ => false,
        }
    }

    fn release_now(&self, token: &ClaimToken) -> bool {
        let inner = &*self.inner;
        let hash = inner.hash(token.key());
        let mut shard = inner.shard(hash);
        let now = inner.now();
        let owned = shard
            .map
            .get(&hash)
            .is_some_and(|entry| owns(entry, token, now));
        if owned {
            shard.map.remove(&hash);
            shard.tidy_leases();
        }
        owned
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("capacity", &self.inner.capacity)
            .field("shards", &self.inner.shards.len())
            .finish_non_exhaustive()
    }
}

impl DedupStore for MemoryStore {
    fn claim<'a>(
        &'a self,
        key: &'a DedupKey,
        fingerprint: [u8; 32],
        lease: Duration,
    ) -> StoreFuture<'a, Claim> {
        Box::pin(ready(self.claim_now(key, fingerprint, lease)))
    }

    fn extend<'a>(&'a self, token: &'a ClaimToken, lease: Duration) -> StoreFuture<'a, bool> {
        Box::pin(ready(Ok(self.extend_now(token, lease))))
    }

    fn complete<'a>(&'a self, token: &'a ClaimToken, retention: Duration) -> StoreFuture<'a, bool> {
        Box::pin(ready(Ok(self.complete_now(token, retention))))
    }

    fn release<'a>(&'a self, token: &'a ClaimToken) -> StoreFuture<'a, bool> {
        Box::pin(ready(Ok(self.release_now(token))))
    }
}

impl Inner {
    fn hash(&self, key: &DedupKey) -> KeyHash {
        KeyHash {
            lo: self.hash_lo.hash_one(key.as_str()),
            hi: self.hash_hi.hash_one(key.as_str()),
        }
    }

    fn shard(&self, hash: KeyHash) -> MutexGuard<'_, Shard> {
        // The shard count is a power of two.
        let index = (hash.hi as usize) & (self.shards.len() - 1);
        lock(&self.shards[index])
    }

    fn now(&self) -> u64 {
        nanos(self.clock.now().saturating_duration_since(self.origin))
    }
}

/// Whether `token` still owns the key of `entry`: in flight under this claim, lease live.
fn owns(entry: &Entry, token: &ClaimToken, now: u64) -> bool {
    let id = token.id();
    (id >> 64) as u64 == process_salt()
        && entry.tag == id as u64
        && !entry.is_completed()
        && entry.is_live(now)
}

/// Takes a shard's lock. A panic while holding it cannot leave an entry half written (every
/// update is a single insert, remove or field store), so a poisoned lock is used as is.
fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

fn truncate(fingerprint: [u8; 32]) -> [u8; 16] {
    let mut short = [0; 16];
    short.copy_from_slice(&fingerprint[..16]);
    short
}

#[cfg(test)]
mod tests;
