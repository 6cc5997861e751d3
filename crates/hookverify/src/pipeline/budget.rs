//! The bytes held for bodies whose signature is not checked yet, bounded across every
//! connection: anyone can send a webhook endpoint anything, and until the signature is
//! checked the service should spend as little as it can.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// The default bound on unverified bytes held by one process: 64 MiB.
pub const DEFAULT_UNVERIFIED_BYTES: usize = 64 * 1024 * 1024;

/// A bound on the bytes of unverified bodies held at once. Every pipeline without one of
/// its own shares the process's ([`DEFAULT_UNVERIFIED_BYTES`]).
#[derive(Clone)]
pub(crate) struct UnverifiedBudget {
    held: Arc<AtomicUsize>,
    limit: usize,
}

impl fmt::Debug for UnverifiedBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnverifiedBudget")
            .field("held", &self.held.load(Ordering::Relaxed))
            .field("limit", &self.limit)
            .finish()
    }
}

impl UnverifiedBudget {
    /// A budget of its own.
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            held: Arc::default(),
            limit,
        }
    }

    /// The process's shared budget.
    pub(crate) fn shared() -> Self {
        static SHARED: OnceLock<UnverifiedBudget> = OnceLock::new();
        SHARED
            .get_or_init(|| Self::new(DEFAULT_UNVERIFIED_BYTES))
            .clone()
    }

    /// A reservation that holds nothing yet.
    pub(crate) fn reservation(&self) -> Reservation {
        Reservation {
            budget: self.clone(),
            bytes: 0,
        }
    }
}

/// Bytes reserved for one body; given back when dropped (the body was verified, refused or
/// abandoned).
#[derive(Debug)]
pub(crate) struct Reservation {
    budget: UnverifiedBudget,
    bytes: usize,
}

impl Reservation {
    /// Reserves `more` bytes; false, reserving nothing, when that would pass the limit.
    pub(crate) fn grow(&mut self, more: usize) -> bool {
        let held = &self.budget.held;
        let limit = self.budget.limit;
        let reserved = held.fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
            now.checked_add(more).filter(|&after| after <= limit)
        });
        if reserved.is_ok() {
            self.bytes += more;
        }
        reserved.is_ok()
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.held.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_stay_within_the_limit_and_are_given_back() {
        let budget = UnverifiedBudget::new(100);
        let mut first = budget.reservation();
        assert!(first.grow(60));
        let mut second = budget.reservation();
        assert!(!second.grow(41), "past the limit");
        assert!(second.grow(40));
        drop(first);
        let mut third = budget.reservation();
        assert!(third.grow(60), "the first body's bytes came back");
        assert!(!third.grow(1));
    }
}
