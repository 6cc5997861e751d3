//! Deduplication: a handler runs once per event, and an event whose handler failed is
//! processed again on the sender's retry.

mod key;
mod store;

pub use key::{DedupKey, KeyStrategy};
pub use store::{Claim, ClaimToken, DedupStore, StoreError, StoreFuture};
