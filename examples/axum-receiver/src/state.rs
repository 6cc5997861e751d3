//! The processed events, shared by every route (and every actix-web worker), served by
//! `GET /events`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Serialize, Serializer};
use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

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
    /// When the handler processed it; listed as RFC 3339 in UTC with nine fraction digits
    /// (formatted when listed, not on every delivery).
    #[serde(serialize_with = "listed_time")]
    pub received_at: OffsetDateTime,
}

/// RFC 3339 in UTC with all nine fraction digits, so that the listed times also sort as
/// text (`time`'s RFC 3339 drops trailing zeros: `.5Z` would sort after `.46Z`).
const LISTED_TIME: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:9]Z");

fn listed_time<S: Serializer>(time: &OffsetDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    let text = time
        .to_offset(UtcOffset::UTC)
        .format(LISTED_TIME)
        .map_err(serde::ser::Error::custom)?;
    serializer.serialize_str(&text)
}

/// The last [`CAPACITY`] processed events, oldest first; cheap to clone (an `Arc`).
#[derive(Debug, Clone, Default)]
pub struct EventLog {
    events: Arc<Mutex<VecDeque<Processed>>>,
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
    fn times_are_listed_in_utc_with_nine_fraction_digits() {
        let listed = |time: OffsetDateTime| {
            let event = Processed {
                received_at: time,
                ..event(0)
            };
            serde_json::to_value(&event).unwrap()["received_at"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let half = OffsetDateTime::UNIX_EPOCH + time::Duration::milliseconds(500);
        let later = OffsetDateTime::UNIX_EPOCH + time::Duration::nanoseconds(460_000_001);
        assert_eq!(listed(half), "1970-01-01T00:00:00.500000000Z");
        assert_eq!(listed(later), "1970-01-01T00:00:00.460000001Z");
        let east = half.to_offset(time::macros::offset!(+2));
        assert_eq!(listed(east), "1970-01-01T00:00:00.500000000Z");
        assert!(listed(later) < listed(half));
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
