//! Time for the memory store, injectable so that expiry is tested without sleeping.
//!
//! ```
//! use std::time::Duration;
//! use hookverify::dedup::{Clock, ManualClock};
//!
//! let clock = ManualClock::new();
//! let start = clock.now();
//! clock.advance(Duration::from_secs(90));
//! assert_eq!(clock.now() - start, Duration::from_secs(90));
//! ```

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A monotonic source of time.
pub trait Clock: Send + Sync + 'static {
    /// The current instant; never earlier than an instant returned before.
    fn now(&self) -> Instant;
}

/// The real monotonic clock, [`Instant::now`]; the default.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that stands still until told to move, for tests. Clones share one time, so a
/// test keeps a clone and advances the clock of the store it handed the other one to.
///
/// ```
/// use std::time::Duration;
/// use hookverify::dedup::{Claim, DedupKey, DedupStore, ManualClock, MemoryStore};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let clock = ManualClock::new();
/// let store = MemoryStore::new().clock(clock.clone());
/// let key = DedupKey::new("generic:evt_1");
/// let lease = Duration::from_secs(300);
///
/// assert!(matches!(store.claim(&key, [0; 32], lease).await.unwrap(), Claim::Claimed(_)));
/// clock.advance(Duration::from_secs(120));
/// assert_eq!(
///     store.claim(&key, [0; 32], lease).await.unwrap(),
///     Claim::InFlight { retry_after: Duration::from_secs(180) }
/// );
/// clock.advance(Duration::from_secs(180));
/// // The lease ran out: the next delivery takes the key over.
/// assert!(matches!(store.claim(&key, [0; 32], lease).await.unwrap(), Claim::Claimed(_)));
/// # }
/// ```
#[derive(Clone)]
pub struct ManualClock {
    start: Instant,
    elapsed_nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock standing at the current instant.
    #[must_use]
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            elapsed_nanos: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Moves the clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        // `fetch_update` with a saturating add: the clock never wraps around.
        let _ = self
            .elapsed_nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |current| {
                Some(current.saturating_add(nanos))
            });
    }

    /// How far the clock has been advanced since it was made.
    #[must_use]
    pub fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.elapsed_nanos.load(Ordering::SeqCst))
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        let elapsed = self.elapsed();
        self.start
            .checked_add(elapsed)
            .unwrap_or(self.start + Duration::from_secs(u64::from(u32::MAX)))
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field("elapsed", &self.elapsed())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_clones_share_time() {
        let clock = ManualClock::new();
        let other = clock.clone();
        let start = clock.now();
        other.advance(Duration::from_millis(1500));
        assert_eq!(clock.now() - start, Duration::from_millis(1500));
        assert_eq!(clock.elapsed(), Duration::from_millis(1500));
    }

    #[test]
    fn manual_clock_saturates() {
        let clock = ManualClock::new();
        clock.advance(Duration::MAX);
        clock.advance(Duration::MAX);
        assert_eq!(clock.elapsed(), Duration::from_nanos(u64::MAX));
        let _ = clock.now();
    }

    #[test]
    fn system_clock_moves_forward() {
        let first = SystemClock.now();
        assert!(SystemClock.now() >= first);
    }
}
