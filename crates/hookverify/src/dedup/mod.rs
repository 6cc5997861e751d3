//! Deduplication: a handler runs once per event, and an event whose handler failed is
//! processed again on the sender's retry.
//!
//! ```
//! use std::time::Duration;
//! use hookverify::dedup::{Claim, DedupKey, DedupStore, MemoryStore};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let store = MemoryStore::new();
//! let key = DedupKey::new("generic:evt_1");
//! let Claim::Claimed(token) = store.claim(&key, [0; 32], Duration::from_secs(300)).await.unwrap()
//! else { panic!("first delivery") };
//! store.complete(&token, Duration::from_secs(7 * 24 * 3600)).await.unwrap();
//! let again = store.claim(&key, [0; 32], Duration::from_secs(300)).await.unwrap();
//! assert_eq!(again, Claim::Completed { same_body: true });
//! # }
//! ```

mod clock;
#[cfg(any(test, feature = "store-tests"))]
pub mod contract;
mod key;
mod memory;
mod store;

pub use clock::{Clock, ManualClock, SystemClock};
pub use key::{CustomKeyFn, DedupKey, KeyStrategy};
pub(crate) use memory::WeakMemoryStore;
pub use memory::{MemoryStore, DEFAULT_CAPACITY};
pub use store::{
    Claim, ClaimToken, DedupStore, StoreError, StoreFuture, MIN_LEASE_PER_CALL_TIMEOUT,
};
