//! What a test server is made of, independent of the web framework.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use hookverify::pipeline::WebhookConfig;

/// One test server: a single route `POST /webhook`, with the layer/middleware built from
/// `config` (or none), a handler that reads the delivery through `extractor` and behaves as
/// `behaviour` says.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    /// The adapter's `WebhookVerify::from_config(config)`; `None` mounts the route without it.
    pub config: Option<WebhookConfig>,
    /// How the handler receives the delivery.
    pub extractor: Extractor,
    /// What the handler does.
    pub behaviour: Behaviour,
    /// A second layer (middleware) from the same config in front of the first: the
    /// misconfiguration of two on one route.
    pub nested: bool,
}

impl ServerSpec {
    /// A route with the layer built from `config`, reading `AnyEvent`, always succeeding.
    ///
    /// Servers in one test process share the default store of their secret, as instances
    /// in one service do; unless `config` names a namespace, each spec gets one of its own
    /// so that cases never see each other's events. Servers spawned from clones of one spec
    /// share it, as two instances of one configuration do.
    pub fn new(config: WebhookConfig) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let config = match config.configured_namespace() {
            Some(_) => config,
            None => config.namespace(format!("case-{}", NEXT.fetch_add(1, Ordering::Relaxed))),
        };
        Self::as_configured(config)
    }

    /// Like [`new`](Self::new), with the namespace left as `config` has it (derived from
    /// the secret when not set): for cases about namespaces and the shared default store.
    pub fn as_configured(config: WebhookConfig) -> Self {
        Self {
            config: Some(config),
            extractor: Extractor::AnyEvent,
            behaviour: Behaviour::Succeed,
            nested: false,
        }
    }

    /// Puts a second layer from the same config in front of the route's.
    pub fn nested(mut self) -> Self {
        self.nested = true;
        self
    }

    /// Reads the delivery with another extractor.
    pub fn extractor(mut self, extractor: Extractor) -> Self {
        self.extractor = extractor;
        self
    }

    /// Makes the handler behave otherwise.
    pub fn behaviour(mut self, behaviour: Behaviour) -> Self {
        self.behaviour = behaviour;
        self
    }
}

/// The extractor the handler uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extractor {
    /// `Webhook<AnyEvent>`.
    AnyEvent,
    /// `Webhook<PromptLayerEvent>`.
    PromptLayerEvent,
    /// `VerifiedWebhook` (raw bytes, provider, key).
    Verified,
    /// `Webhook<StrictEvent>`: a user type requiring a string field `id`; a body without it
    /// is 422.
    Strict,
    /// `VerifiedWebhook` and the framework's own `Bytes` extractor, which applies the
    /// framework's body limit again; a body that differs from the verified one, or headers
    /// that do not frame it (`Content-Length` other than its length, any
    /// `Transfer-Encoding`), are 500.
    FrameworkBytes,
}

/// What is wrong, if anything, with the request an [`Extractor::FrameworkBytes`] handler
/// got: `body` as the framework's own extractor read it, the `verified` body, and the
/// request's `Content-Length` and whether it had a `Transfer-Encoding`.
#[must_use]
pub fn framing_fault(
    body: &[u8],
    verified: &[u8],
    content_length: Option<&str>,
    transfer_encoding: bool,
) -> Option<&'static str> {
    if body != verified {
        Some("not the verified body")
    } else if content_length != Some(body.len().to_string().as_str()) || transfer_encoding {
        Some("headers do not frame the body")
    } else {
        None
    }
}

/// A user type for the 422 case.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct StrictEvent {
    /// Required.
    pub id: String,
}

/// What the handler does on each call (counted from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Answers 200.
    Succeed,
    /// Answers 500 on the first `n` calls, then 200.
    FailFirst(usize),
    /// Panics on the first `n` calls, then answers 200.
    PanicFirst(usize),
    /// Sleeps, then answers 200 (to hold a claim while copies arrive).
    Sleep(Duration),
    /// Faults chosen per event (by a hash of its key), for the soak: see [`Fault::of`].
    Faults,
}

/// What the handler does with one attempt at one event under [`Behaviour::Faults`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answers 200.
    None,
    /// Answers 500 (the first attempt of 10% of events).
    Fail,
    /// Panics (the first attempt of 1% of events).
    Panic,
    /// Takes longer than the sender waits, then answers 200 (5% of events, every attempt).
    Slow(Duration),
}

impl Fault {
    /// How long a [`Fault::Slow`] handler takes.
    pub const SLOW: Duration = Duration::from_millis(400);

    /// The fault for attempt `attempt` (from 1) at the event keyed `key`.
    pub fn of(key: &str, attempt: usize) -> Self {
        // FNV-1a: a fixed, well-spread choice per key.
        let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
        match (hash % 100, attempt) {
            (0..=9, 1) => Fault::Fail,
            (10, 1) => Fault::Panic,
            (11..=15, _) => Fault::Slow(Self::SLOW),
            _ => Fault::None,
        }
    }
}

/// What the handler saw, shared between the server and the test.
#[derive(Debug, Default)]
pub struct Recorder {
    calls: AtomicUsize,
    seen: Mutex<Vec<Seen>>,
    attempts: Mutex<std::collections::HashMap<String, usize>>,
    ledger: OnceLock<Ledger>,
}

/// Attempts and completions per event, for long runs that watch the server's memory: one
/// byte each, indexed by the event's number, allocated and written once up front, so the
/// test's own bookkeeping does not grow while the run measures the process.
#[derive(Debug)]
pub struct Ledger {
    attempts: Box<[AtomicU8]>,
    completions: Box<[AtomicU8]>,
    number_of: fn(&str) -> Option<usize>,
}

impl Ledger {
    fn counters(events: usize) -> Box<[AtomicU8]> {
        // Built element by element: every page is written, so resident, from the start.
        (0..events).map(|_| AtomicU8::new(0)).collect()
    }

    /// How many times event `number`'s handler succeeded (saturating at 255).
    pub fn completions(&self, number: usize) -> u8 {
        self.completions
            .get(number)
            .map_or(0, |count| count.load(Ordering::SeqCst))
    }

    /// Counts one more at `number`; the new count. `None` when out of range.
    fn bump(counters: &[AtomicU8], number: usize) -> Option<usize> {
        let counter = counters.get(number)?;
        let before = counter
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_add(1))
            })
            .unwrap_or(u8::MAX);
        Some(usize::from(before) + 1)
    }
}

/// One handler call's view of the delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `Provider::name()`.
    pub provider: String,
    /// The event type (for `Verified`: `VerifiedWebhook::event_type()`; for the other
    /// extractors that read no event type: empty).
    pub event_type: String,
    /// The deduplication key.
    pub dedup_key: String,
    /// Body length in bytes.
    pub body_len: usize,
    /// The event as the handler read it, serialized back to JSON (`AnyEvent` handlers only).
    pub event: Option<serde_json::Value>,
}

impl Seen {
    /// Keeps the event the handler read.
    #[must_use]
    pub fn with_event(mut self, event: &impl serde::Serialize) -> Self {
        self.event = serde_json::to_value(event).ok();
        self
    }
}

impl Recorder {
    /// Counts a call and returns its number, from 1.
    pub fn begin(&self) -> usize {
        self.calls.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// From now on, counts attempts and completions of events `0..events` in a [`Ledger`]
    /// instead of keeping each [`Seen`]: `number_of` reads an event's number from its
    /// deduplication key. Keys it cannot read are kept as before. Only the first call counts.
    pub fn keep_ledger(&self, events: usize, number_of: fn(&str) -> Option<usize>) {
        let _ = self.ledger.set(Ledger {
            attempts: Ledger::counters(events),
            completions: Ledger::counters(events),
            number_of,
        });
    }

    /// The ledger, when [`keep_ledger`](Self::keep_ledger) was called.
    pub fn ledger(&self) -> Option<&Ledger> {
        self.ledger.get()
    }

    /// Counts an attempt at the event keyed `key` and returns its number, from 1.
    pub fn attempt(&self, key: &str) -> usize {
        if let Some(ledger) = self.ledger.get() {
            if let Some(count) =
                (ledger.number_of)(key).and_then(|n| Ledger::bump(&ledger.attempts, n))
            {
                return count;
            }
        }
        let Ok(mut attempts) = self.attempts.lock() else {
            return 1;
        };
        let count = attempts.entry(key.to_owned()).or_default();
        *count += 1;
        *count
    }

    /// Records what a successful call saw.
    pub fn record(&self, seen: Seen) {
        if let Some(ledger) = self.ledger.get() {
            let counted = (ledger.number_of)(&seen.dedup_key)
                .and_then(|n| Ledger::bump(&ledger.completions, n));
            if counted.is_some() {
                return;
            }
        }
        if let Ok(mut list) = self.seen.lock() {
            list.push(seen);
        }
    }

    /// How many times the handler was entered.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// What the successful calls saw, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .map(|list| list.clone())
            .unwrap_or_default()
    }

    /// What the handler does on call number `call`: `Ok(())` to answer 200, `Err(())` to
    /// answer 500; panics for `PanicFirst`. Sleeping is the caller's job (async).
    #[allow(clippy::result_unit_err)] // a test handler's two outcomes, nothing to carry
    pub fn decide(behaviour: Behaviour, call: usize) -> Result<(), ()> {
        match behaviour {
            Behaviour::FailFirst(n) if call <= n => Err(()),
            Behaviour::PanicFirst(n) if call <= n => {
                panic!("handler panics on call {call} as the test asked")
            }
            _ => Ok(()),
        }
    }
}

/// A server listening on loopback; stopped when dropped.
pub struct RunningServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// What its handler saw.
    pub recorder: Arc<Recorder>,
    /// Whether the framework answers `Expect: 100-continue` itself, before the middleware
    /// runs (actix-web), rather than when the body is first read (hyper, under axum).
    pub sends_continue_itself: bool,
    /// Stops the server (called on drop).
    pub stop: Option<Box<dyn FnOnce() + Send>>,
}

impl RunningServer {
    /// `http://127.0.0.1:PORT/webhook`.
    pub fn url(&self) -> String {
        format!("http://{}/webhook", self.addr)
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
    }
}
