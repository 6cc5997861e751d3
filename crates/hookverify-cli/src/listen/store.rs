//! The last deliveries, in memory, and the live feed of new ones.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::broadcast;

/// How many deliveries are kept; older ones are forgotten.
pub(crate) const KEPT: usize = 200;

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
    /// JSON, re-indented.
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
    /// The body for reading: pretty JSON, or text.
    pub(crate) payload: String,
    /// What `payload` is.
    pub(crate) payload_kind: PayloadKind,
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
}

/// The last [`KEPT`] deliveries and a feed of each new one.
#[derive(Debug)]
pub(crate) struct Store {
    inner: Mutex<Inner>,
    feed: broadcast::Sender<Arc<Delivery>>,
    capacity: usize,
}

#[derive(Debug)]
struct Inner {
    next_id: u64,
    deliveries: VecDeque<Arc<Delivery>>,
}

impl Store {
    /// A store keeping the last `capacity` deliveries.
    pub(crate) fn new(capacity: usize) -> Self {
        let (feed, _) = broadcast::channel(256);
        Self {
            inner: Mutex::new(Inner {
                next_id: 1,
                deliveries: VecDeque::with_capacity(capacity),
            }),
            feed,
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Numbers `delivery`, keeps it (forgetting the oldest past the capacity) and announces
    /// it to every subscriber.
    pub(crate) fn record(&self, mut delivery: Delivery) -> Arc<Delivery> {
        let mut inner = self.lock();
        delivery.id = inner.next_id;
        inner.next_id += 1;
        let delivery = Arc::new(delivery);
        if inner.deliveries.len() == self.capacity {
            inner.deliveries.pop_front();
        }
        inner.deliveries.push_back(Arc::clone(&delivery));
        // Sent under the lock, so that `subscribe` sees each delivery exactly once: either
        // in its snapshot or on its receiver. No subscriber is not an error.
        let _ = self.feed.send(Arc::clone(&delivery));
        delivery
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
            senders: Vec::new(),
            event_type: None,
            verdict: Verdict::Invalid,
            explanation: Vec::new(),
            status: 401,
            replay_of: None,
        }
    }

    #[test]
    fn numbers_and_keeps_only_the_last() {
        let store = Store::new(3);
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
        let store = Store::new(10);
        store.record(delivery("/a"));
        let (snapshot, mut receiver) = store.subscribe();
        store.record(delivery("/b"));
        assert_eq!(snapshot.iter().map(|d| d.id).collect::<Vec<_>>(), [1]);
        assert_eq!(receiver.try_recv().map(|d| d.id).ok(), Some(2));
        assert!(receiver.try_recv().is_err());
    }
}
