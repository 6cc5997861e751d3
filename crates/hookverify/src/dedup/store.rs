//! The store contract.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use super::DedupKey;

/// The future a [`DedupStore`] returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Where deduplication state lives: in memory for one process, or shared between replicas.
pub trait DedupStore: Send + Sync + 'static {
    /// Claims `key` for one delivery, holding it for `lease`.
    fn claim<'a>(
        &'a self,
        key: &'a DedupKey,
        fingerprint: [u8; 32],
        lease: Duration,
    ) -> StoreFuture<'a, Claim>;
    /// Marks the claimed event processed, remembered for `retention`.
    fn complete<'a>(&'a self, token: &'a ClaimToken, retention: Duration) -> StoreFuture<'a, ()>;
    /// Gives the claim up so that a retry is processed.
    fn release<'a>(&'a self, token: &'a ClaimToken) -> StoreFuture<'a, ()>;
}

/// The answer to [`DedupStore::claim`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// This delivery owns the key.
    Claimed(ClaimToken),
    /// Another delivery holds a live lease.
    InFlight {
        /// When the lease runs out.
        retry_after: Duration,
    },
    /// Already processed.
    Completed {
        /// Whether the fingerprint matches the one processed.
        same_body: bool,
    },
}

/// Proof of a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimToken {
    key: DedupKey,
    id: u128,
}

impl ClaimToken {
    /// A token for `key` with a unique `id`.
    #[must_use]
    pub fn new(key: DedupKey, id: u128) -> Self {
        Self { key, id }
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

/// The store could not answer.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// The store is unreachable or failed.
    Unavailable(Box<dyn std::error::Error + Send + Sync>),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unavailable(_) => f.write_str("deduplication store unavailable"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Unavailable(source) => Some(source.as_ref()),
        }
    }
}
