//! The processed events, shared by every worker and route, served by `GET /events`.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use time::OffsetDateTime;

/// How many events `GET /events` remembers.
pub const CAPACITY: usize = 1000;

/// One processed event, as `GET /events` lists it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Processed {
    /// The sender's name: `promptlayer`, `prism`, `promptreports`, `generic`, `github`,
    /// `standard-webhooks` or `stripe`.
    pub provider: &'static str,
    /// The event type the sender gave (or `unknown`).
    pub event_type: String,
    /// The deduplication key the event was processed under.
    pub dedup_key: String,
    /// When the handler processed it; listed as RFC 3339 in UTC (formatted when listed,
    /// not on every delivery).
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}

/// The last [`CAPACITY`] processed events, oldest first.
#[derive(Debug, Default)]
pub struct EventLog {
    events: Mutex<VecDeque<Processed>>,
}

impl EventLog {
    /// Appends an event, forgetting the oldest beyond [`CAPACITY`].
    pub fn push(&self, event: Processed) {
        // A panic elsewhere while holding the lock leaves the list intact: keep serving it.
        let mut events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        if events.len() == CAPACITY {
            events.pop_front();
        }
        events.push_back(event);
    }

    /// The events, oldest first.
    pub fn snapshot(&self) -> Vec<Processed> {
        let events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        events.iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: usize) -> Processed {
        Processed {
            provider: "generic",
            event_type: "user.created".to_owned(),
            dedup_key: format!("generic:evt_{n}"),
            received_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn keeps_the_last_thousand_oldest_first() {
        let log = EventLog::default();
        for n in 0..CAPACITY + 5 {
            log.push(event(n));
        }
        let events = log.snapshot();
        assert_eq!(events.len(), CAPACITY);
        assert_eq!(events[0], event(5));
        assert_eq!(events[CAPACITY - 1], event(CAPACITY + 4));
    }
}
