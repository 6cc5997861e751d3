//! The last deliveries, in memory, and the live feed of new ones.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::broadcast;

/// How many deliveries are kept; older ones are forgotten.
pub(crate) const KEPT: usize = 200;

/// How many bytes the kept deliveries may take (bodies, payloads, their JSON for the page):
/// past it, older ones are forgotten too.
pub(crate) const KEPT_BYTES: usize = 64 << 20;

/// Whether a delivery's signature verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Verdict {
    /// Some sender's signature is valid under one of the secrets.
    Valid,
    /// None is (or no secret was given).
    Invalid,
}

/// How the payload is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum PayloadKind {
    /// JSON: re-indented, or as received when that would be too large (see the note).
    Json,
    /// UTF-8 text, as received.
    Text,
    /// Not UTF-8: shown with replacement characters.
    Binary,
}

/// One recorded delivery, as the page receives it (the raw body stays here, for replay).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Delivery {
    /// Its number, from 1, in the order received.
    pub(crate) id: u64,
    /// When it arrived, Unix milliseconds.
    pub(crate) received_at_ms: u64,
    /// The request method.
    pub(crate) method: String,
    /// The request's path and query.
    pub(crate) path: String,
    /// The headers as received, names lowercase.
    pub(crate) headers: Vec<(String, String)>,
    /// The body, byte for byte.
    #[serde(skip)]
    pub(crate) body: Bytes,
    /// The body's length in bytes.
    pub(crate) size: usize,
    /// The body for reading: pretty JSON, or text (see `payload_note`).
    pub(crate) payload: String,
    /// What `payload` is.
    pub(crate) payload_kind: PayloadKind,
    /// Said when `payload` is not the whole body re-indented or as received.
    pub(crate) payload_note: Option<String>,
    /// The senders whose signature headers are present.
    pub(crate) senders: Vec<String>,
    /// The event type, when one could be read.
    pub(crate) event_type: Option<String>,
    /// Valid or not.
    pub(crate) verdict: Verdict,
    /// The explanation engine's findings, one plain-words line each.
    pub(crate) explanation: Vec<String>,
    /// The status the sender was answered with.
    pub(crate) status: u16,
    /// The delivery this one replays, when it came from the page's Replay button.
    pub(crate) replay_of: Option<u64>,
    /// All the above as JSON, as the page receives it: written once, when recorded.
    #[serde(skip)]
    pub(crate) json: String,
}

impl Delivery {
    /// About how many bytes it takes, with its JSON.
    fn bytes(&self) -> usize {
        const FIXED: usize = 512;
        let strings = |lines: &[String]| lines.iter().map(String::len).sum::<usize>();
        FIXED
            + self.method.len()
            + self.path.len()
            + self
                .headers
                .iter()
                .map(|(name, value)| name.len() + value.len() + 48)
                .sum::<usize>()
            + self.body.len()
            + self.payload.len()
            + self.payload_note.as_ref().map_or(0, String::len)
            + strings(&self.senders)
            + self.event_type.as_ref().map_or(0, String::len)
            + strings(&self.explanation)
            + self.json.len()
    }
}

/// The last deliveries (at most [`KEPT`], of at most [`KEPT_BYTES`] together) and a feed of
/// each new one.
#[derive(Debug)]
pub(crate) struct Store {
    /// The next delivery's number. Held while one is numbered, written as JSON and kept, so
    /// that deliveries are kept in their numbers' order; the JSON is written outside
    /// `inner`, so that readers do not wait for it.
    next_id: Mutex<u64>,
    inner: Mutex<Inner>,
    feed: broadcast::Sender<Arc<Delivery>>,
    capacity: usize,
    max_bytes: usize,
}

#[derive(Debug)]
struct Inner {
    deliveries: VecDeque<Arc<Delivery>>,
    /// What `deliveries` take, by [`Delivery::bytes`].
    bytes: usize,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Store {
    /// A store keeping the last `capacity` deliveries, and of them only the last that take
    /// `max_bytes` together (but always the last one).
    pub(crate) fn new(capacity: usize, max_bytes: usize) -> Self {
        let (feed, _) = broadcast::channel(256);
        Self {
            next_id: Mutex::new(1),
            inner: Mutex::new(Inner {
                deliveries: VecDeque::with_capacity(capacity),
                bytes: 0,
            }),
            feed,
            capacity: capacity.max(1),
            max_bytes,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        lock(&self.inner)
    }

    /// Numbers `delivery`, writes its JSON, keeps it (forgetting the oldest past the
    /// capacity, in number or in bytes) and announces it to every subscriber.
    pub(crate) fn record(&self, mut delivery: Delivery) -> Arc<Delivery> {
        let mut next_id = lock(&self.next_id);
        delivery.id = *next_id;
        *next_id += 1;
        delivery.json = serde_json::to_string(&delivery).unwrap_or_default();
        let bytes = delivery.bytes();
        let delivery = Arc::new(delivery);
        let mut inner = self.lock();
        while !inner.deliveries.is_empty()
            && (inner.deliveries.len() >= self.capacity
                || inner.bytes.saturating_add(bytes) > self.max_bytes)
        {
            if let Some(oldest) = inner.deliveries.pop_front() {
                inner.bytes -= oldest.bytes();
            }
        }
        inner.bytes += bytes;
        inner.deliveries.push_back(Arc::clone(&delivery));
        // Sent under the lock, so that `subscribe` sees each delivery exactly once: either
        // in its snapshot or on its receiver. No subscriber is not an error.
        let _ = self.feed.send(Arc::clone(&delivery));
        drop(inner);
        drop(next_id);
        delivery
    }

    /// What the kept deliveries take, by [`Delivery::bytes`].
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// The delivery numbered `id`, while it is kept.
    pub(crate) fn get(&self, id: u64) -> Option<Arc<Delivery>> {
        let inner = self.lock();
        let first = inner.deliveries.front()?.id;
        let index = usize::try_from(id.checked_sub(first)?).ok()?;
        inner.deliveries.get(index).cloned()
    }

    /// The kept deliveries numbered after `id`, oldest first.
    pub(crate) fn after(&self, id: u64) -> Vec<Arc<Delivery>> {
        self.lock()
            .deliveries
            .iter()
            .filter(|delivery| delivery.id > id)
            .cloned()
            .collect()
    }

    /// The kept deliveries, oldest first, and a receiver of every later one.
    pub(crate) fn subscribe(&self) -> (Vec<Arc<Delivery>>, broadcast::Receiver<Arc<Delivery>>) {
        let inner = self.lock();
        (
            inner.deliveries.iter().cloned().collect(),
            self.feed.subscribe(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(path: &str) -> Delivery {
        Delivery {
            id: 0,
            received_at_ms: 0,
            method: "POST".to_owned(),
            path: path.to_owned(),
            headers: Vec::new(),
            body: Bytes::new(),
            size: 0,
            payload: String::new(),
            payload_kind: PayloadKind::Text,
            payload_note: None,
            senders: Vec::new(),
            event_type: None,
            verdict: Verdict::Invalid,
            explanation: Vec::new(),
            status: 401,
            replay_of: None,
            json: String::new(),
        }
    }

    #[test]
    fn numbers_and_keeps_only_the_last() {
        let store = Store::new(3, usize::MAX);
        for index in 0..5 {
            let recorded = store.record(delivery(&format!("/{index}")));
            assert_eq!(recorded.id, index + 1);
        }
        assert!(store.get(2).is_none());
        assert_eq!(store.get(3).map(|d| d.path.clone()).as_deref(), Some("/2"));
        assert_eq!(store.get(5).map(|d| d.path.clone()).as_deref(), Some("/4"));
        assert!(store.get(6).is_none());
        assert!(store.get(0).is_none());
        let ids: Vec<u64> = store.after(3).iter().map(|d| d.id).collect();
        assert_eq!(ids, [4, 5]);
    }

    #[test]
    fn a_subscriber_sees_each_delivery_once() {
        let store = Store::new(10, usize::MAX);
        store.record(delivery("/a"));
        let (snapshot, mut receiver) = store.subscribe();
        store.record(delivery("/b"));
        assert_eq!(snapshot.iter().map(|d| d.id).collect::<Vec<_>>(), [1]);
        assert_eq!(receiver.try_recv().map(|d| d.id).ok(), Some(2));
        assert!(receiver.try_recv().is_err());
    }

    #[test]
    fn writes_each_delivery_as_json_once() {
        let store = Store::new(10, usize::MAX);
        let recorded = store.record(delivery("/a"));
        let json: serde_json::Value = serde_json::from_str(&recorded.json).unwrap();
        assert_eq!(json["id"], 1);
        assert_eq!(json["path"], "/a");
        assert_eq!(json["payload_note"], serde_json::Value::Null);
        assert!(json.get("json").is_none() && json.get("body").is_none());
    }

    #[test]
    fn keeps_only_the_last_that_fit_in_its_bytes() {
        let big = |path: &str| Delivery {
            body: Bytes::from(vec![b'a'; 10_000]),
            size: 10_000,
            payload: "a".repeat(10_000),
            ..delivery(path)
        };
        // Each takes about 31 000 bytes (body, payload, JSON): three fit in 100 000.
        let store = Store::new(100, 100_000);
        for index in 1..=10 {
            store.record(big(&format!("/{index}")));
            assert!(store.bytes() <= 100_000, "{}", store.bytes());
        }
        let kept: Vec<u64> = store.after(0).iter().map(|d| d.id).collect();
        assert_eq!(kept, [8, 9, 10]);
        assert!(store.get(7).is_none());
        assert_eq!(store.get(8).map(|d| d.path.clone()).as_deref(), Some("/8"));
        assert_eq!(
            store.bytes(),
            store.after(0).iter().map(|d| d.bytes()).sum::<usize>()
        );

        // One larger than the whole allowance is still kept, alone: the last always is.
        let store = Store::new(100, 1_000);
        store.record(big("/a"));
        store.record(big("/b"));
        let kept: Vec<String> = store.after(0).iter().map(|d| d.path.clone()).collect();
        assert_eq!(kept, ["/b"]);
    }
}
