//! What an adapter is configured with.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

use super::budget::UnverifiedBudget;
use crate::dedup::{DedupStore, KeyStrategy, MemoryStore, WeakMemoryStore};
use crate::scheme::{Scheme, WallClock};
use crate::{IntoSecrets, Provider, Secret, Verified, VerifierBuilder};

/// Default body limit: 1 MiB, above every supported sender's largest event.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// Default body limit for a sender whose signature covers a canonical form of the body
/// ([`SignedContent::CanonicalJson`](crate::scheme::SignedContent), PromptLayer): 256 KiB,
/// still a hundred times its largest real event. Such a body must be parsed and written
/// again before its signature can be checked, which costs ten to forty times the raw check
/// depending on what a forger fills it with; the lower limit bounds what one forged body
/// costs.
pub const DEFAULT_CANONICAL_BODY_LIMIT: usize = 256 * 1024;
/// Default lease: 30 seconds. A running handler's claim is renewed every third of the lease
/// for as long as it runs, so the lease only bounds how long the claim of a process that
/// died blocks the sender's retry.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);
/// Default body timeout: 10 seconds for the whole body to arrive.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Default retention of a processed event: 7 days, beyond every sender's retry schedule.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// The settings of the webhook layer or middleware; each adapter's `WebhookVerify` builder
/// forwards to these methods.
///
/// One secret for every sender, or each sender with its own:
///
/// ```
/// use std::time::Duration;
/// use hookverify::pipeline::WebhookConfig;
/// use hookverify::senders::{Prism, PromptLayer};
/// use hookverify::Secret;
///
/// let every_sender = WebhookConfig::new(Secret::new("shared").unwrap());
///
/// let config = WebhookConfig::builder()
///     .sender(PromptLayer, Secret::new("pl_secret").unwrap())
///     .sender(Prism, [Secret::new("new").unwrap(), Secret::new("old").unwrap()])
///     .body_limit(256 * 1024)
///     .retention(Duration::from_secs(3 * 24 * 3600));
/// assert_eq!(config.body_limit_bytes(), 256 * 1024);
/// ```
#[derive(Clone)]
#[must_use]
pub struct WebhookConfig {
    pub(crate) verifier: VerifierBuilder,
    /// `None`: each sender's default ([`DEFAULT_BODY_LIMIT`], or
    /// [`DEFAULT_CANONICAL_BODY_LIMIT`] for a canonical form).
    pub(crate) body_limit: Option<usize>,
    pub(crate) body_timeout: Duration,
    /// Made when configured, so that every clone of this config (one per actix worker, one
    /// per layer) counts against the same bound.
    pub(crate) unverified_bytes: Option<UnverifiedBudget>,
    pub(crate) store: Option<Arc<dyn DedupStore>>,
    /// The store, when it was given as a [`MemoryStore`]: one per layer where one per
    /// process was meant is a mistake worth a warning (see [`note_memory_store`]).
    pub(crate) memory_store: Option<MemoryStore>,
    pub(crate) dedup: bool,
    pub(crate) lease: Duration,
    pub(crate) retention: Duration,
    pub(crate) keys: KeyStrategy,
    pub(crate) namespace: Option<String>,
    pub(crate) route: Option<String>,
    pub(crate) fail_open: bool,
    pub(crate) cancel_on_disconnect: bool,
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("verifier", &self.verifier)
            .field("body_limit", &self.body_limit)
            .field("body_timeout", &self.body_timeout)
            .field("unverified_bytes", &self.unverified_bytes)
            .field("custom_store", &self.store.is_some())
            .field("dedup", &self.dedup)
            .field("lease", &self.lease)
            .field("retention", &self.retention)
            .field("keys", &self.keys)
            .field("namespace", &self.namespace)
            .field("route", &self.route)
            .field("fail_open", &self.fail_open)
            .field("cancel_on_disconnect", &self.cancel_on_disconnect)
            .finish()
    }
}

impl WebhookConfig {
    /// Accepts every built-in sender signed with `secret` (see
    /// [`Verifier::new`](crate::Verifier::new)), deduplicates in memory, with the
    /// defaults: 1 MiB body limit (256 KiB for PromptLayer), 30-second lease renewed while the handler runs, 7-day
    /// retention, fail closed, handlers run to their end even if the sender hangs up.
    /// [`sender`](Self::sender) gives one sender secrets of its own.
    pub fn new(secret: Secret) -> Self {
        Self::with_verifier(crate::Verifier::every_sender(secret))
    }

    /// Accepts no sender yet: add each with [`sender`](Self::sender), with its own secrets.
    /// The defaults are those of [`new`](Self::new).
    pub fn builder() -> Self {
        Self::with_verifier(crate::Verifier::builder())
    }

    fn with_verifier(verifier: VerifierBuilder) -> Self {
        Self {
            verifier,
            body_limit: None,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            unverified_bytes: None,
            store: None,
            memory_store: None,
            dedup: true,
            lease: DEFAULT_LEASE,
            retention: DEFAULT_RETENTION,
            keys: KeyStrategy::default(),
            namespace: None,
            route: None,
            fail_open: false,
            cancel_on_disconnect: false,
        }
    }

    /// Accepts `scheme`'s sender (one of [`senders`](crate::senders), or your own
    /// [`Scheme`]) signing with its own `secrets`: one [`Secret`], or an array or `Vec` of
    /// them during a rotation. A sender's secrets verify only its own deliveries.
    /// Configuring a sender again replaces it.
    pub fn sender(mut self, scheme: impl Scheme, secrets: impl IntoSecrets) -> Self {
        self.verifier = self.verifier.sender(scheme, secrets);
        self
    }

    /// Adds a secret for rotation to every sender that has no secrets of its own (those of
    /// [`new`](Self::new)): a signature under any of them is accepted.
    pub fn secret(mut self, secret: Secret) -> Self {
        self.verifier = self.verifier.secret(secret);
        self
    }

    /// Keeps only these senders (default: those configured).
    pub fn providers(mut self, providers: impl IntoIterator<Item = Provider>) -> Self {
        self.verifier = self.verifier.providers(providers);
        self
    }

    /// The clock that signed timestamps are compared with (default: the system clock).
    pub fn clock(mut self, clock: impl WallClock) -> Self {
        self.verifier = self.verifier.clock(clock);
        self
    }

    /// The largest body accepted from any sender, in bytes. Larger deliveries get 413.
    /// Without it, 1 MiB ([`DEFAULT_BODY_LIMIT`]), and 256 KiB
    /// ([`DEFAULT_CANONICAL_BODY_LIMIT`]) for a sender whose signature covers a canonical
    /// form (PromptLayer), whose bodies cost far more to check.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = Some(bytes);
        self
    }

    /// How long a whole body may take to arrive (default 10 s); a body still arriving then
    /// is refused with 408, so a sender trickling bytes cannot hold a connection and its
    /// buffer for as long as it likes.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// A bound of its own on the bytes held for bodies whose signature is not checked yet,
    /// shared by every clone of this configuration (default: one bound for the whole
    /// process, [`DEFAULT_UNVERIFIED_BYTES`](super::DEFAULT_UNVERIFIED_BYTES), shared by
    /// every pipeline). A body that would pass it is refused with 503 and `Retry-After`.
    pub fn unverified_bytes_limit(mut self, bytes: usize) -> Self {
        self.unverified_bytes = Some(UnverifiedBudget::new(bytes));
        self
    }

    /// The body limit of a sender whose signature covers the raw body: the one set with
    /// [`body_limit`](Self::body_limit), or [`DEFAULT_BODY_LIMIT`].
    #[must_use]
    pub fn body_limit_bytes(&self) -> usize {
        self.body_limit.unwrap_or(DEFAULT_BODY_LIMIT)
    }

    /// The namespace set with [`namespace`](Self::namespace); `None` when it is derived.
    #[must_use]
    pub fn configured_namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// Where deduplication state lives. The default is one [`MemoryStore`] per process for
    /// each secret: every `WebhookVerify` built with the same first secret shares it, so
    /// the natural wirings (actix-web's middleware built inside `HttpServer::new`'s
    /// per-worker closure, one layer on several axum routers) deduplicate as one. Give every
    /// replica behind one sender the same shared store (Redis).
    ///
    /// A store given here is this layer's: built inside actix-web's `HttpServer::new`
    /// closure, each worker gets a store of its own and a copy of an event that reaches
    /// another worker runs again. Make it once, outside, and give each layer a clone (a
    /// [`MemoryStore`] clone shares its table); two layers of one namespace with memory
    /// stores of their own are warned about.
    pub fn dedup_store(mut self, store: impl DedupStore) -> Self {
        self.memory_store = (&store as &dyn std::any::Any)
            .downcast_ref::<MemoryStore>()
            .cloned();
        self.store = Some(Arc::new(store));
        self
    }

    /// Like [`dedup_store`](Self::dedup_store), for a store already behind an `Arc`.
    pub fn dedup_store_arc(mut self, store: Arc<dyn DedupStore>) -> Self {
        self.memory_store = None;
        self.store = Some(store);
        self
    }

    /// Turns deduplication on (default) or off. Off, every authentic delivery reaches the
    /// handler, duplicates included.
    pub fn dedup(mut self, enabled: bool) -> Self {
        self.dedup = enabled;
        self
    }

    /// How long a claim lasts without renewal (default 30 seconds). While the handler runs
    /// the claim is renewed every third of this, so a handler may run longer than the
    /// lease; the lease bounds how long a process that died blocks the retry of its event.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How long a processed event is remembered (default 7 days).
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// How deduplication keys are chosen (default: each provider's natural key).
    pub fn dedup_keys(mut self, keys: KeyStrategy) -> Self {
        self.keys = keys;
        self
    }

    /// A custom deduplication key; returning `None` falls back to the provider's key.
    pub fn dedup_key(
        mut self,
        key: impl Fn(&Verified) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.keys = self.keys.with_custom(key);
        self
    }

    /// The deduplication namespace of this layer: the first part of every key it stores,
    /// so layers sharing one store never collide. The default is derived from the first
    /// secret (a keyed hash of it, never the secret): layers configured independently, with
    /// their own secrets, get their own namespaces, and every instance with the same secret
    /// shares one. Set it explicitly to keep keys stable across a secret rotation in a
    /// store that outlives the process (Redis), or to separate two layers with one secret.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// A `route` label on this layer's metrics (see
    /// [`observe`](super::observe)), such as the path it guards: counters per route.
    pub fn route(mut self, route: impl Into<String>) -> Self {
        self.route = Some(route.into());
        self
    }

    /// `false` (default): once a delivery is claimed, its handler runs to its end even when
    /// the sender hangs up (a sender timeout shorter than the handler), handed to the
    /// runtime if the request goes away first, and its outcome settles the claim. `true`:
    /// the handler runs inside the request and is dropped with it, releasing the claim; for
    /// handlers that are cancel-safe and prefer not to finish work nobody waits for.
    ///
    /// What "the request goes away" means is the framework's: hyper (axum) drops a request
    /// whose connection closed; actix-web keeps a connection the client half-closed (an
    /// ordinary close after a timeout) and runs its request to the end, so there `true`
    /// cancels only on a reset connection or a worker shutting down.
    pub fn cancel_on_disconnect(mut self, cancel: bool) -> Self {
        self.cancel_on_disconnect = cancel;
        self
    }

    /// When the store fails: `false` (default) answers 503 so the sender retries later;
    /// `true` runs the handler without deduplication, trading possible duplicates for
    /// availability.
    pub fn fail_open(mut self, fail_open: bool) -> Self {
        self.fail_open = fail_open;
        self
    }

    pub(crate) fn store_or_default(&self) -> Arc<dyn DedupStore> {
        match (&self.store, self.verifier.first_secret()) {
            (Some(store), _) => Arc::clone(store),
            (None, Some(secret)) => default_store(&secret_id(secret, b"default memory store")),
            (None, None) => Arc::new(MemoryStore::new()),
        }
    }

    /// Whether a store was given and no namespace: the keys then depend on the first
    /// secret, which a rotation or another layer's configuration changes.
    pub(crate) fn store_without_namespace(&self) -> bool {
        self.dedup && self.store.is_some() && self.namespace.is_none()
    }

    /// The namespace set, or the one derived from the first secret.
    pub(crate) fn namespace_or_default(&self) -> String {
        if let Some(namespace) = &self.namespace {
            return namespace.clone();
        }
        let Some(secret) = self.verifier.first_secret() else {
            return String::new();
        };
        let id = secret_id(secret, b"namespace");
        id.iter()
            .take(6)
            .fold(String::with_capacity(12), |mut text, byte| {
                text.push(char::from(HEX[usize::from(byte >> 4)]));
                text.push(char::from(HEX[usize::from(byte & 0xf)]));
                text
            })
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Identifies a secret without keeping a copy of it: an HMAC of a fixed label.
fn secret_id(secret: &Secret, label: &[u8]) -> [u8; 32] {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose()) else {
        return [0; 32];
    };
    mac.update(b"hookverify ");
    mac.update(label);
    mac.finalize().into_bytes().into()
}

/// The process's default memory store for one secret: made on first use and shared by
/// every pipeline built with that secret for as long as one of them lives.
fn default_store(id: &[u8; 32]) -> Arc<dyn DedupStore> {
    static STORES: OnceLock<Mutex<HashMap<[u8; 32], Weak<MemoryStore>>>> = OnceLock::new();
    let mut stores = STORES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(store) = stores.get(id).and_then(Weak::upgrade) {
        return store;
    }
    stores.retain(|_, store| store.strong_count() > 0);
    let store = Arc::new(MemoryStore::new());
    stores.insert(*id, Arc::downgrade(&store));
    store
}

/// Warns, once per namespace, when layers of one `namespace` in this process deduplicate
/// in different memory stores: an event whose copies reach both runs twice. The usual
/// cause is a `MemoryStore::new()` inside actix-web's per-worker `HttpServer::new` closure.
pub(crate) fn note_memory_store(namespace: &str, store: &MemoryStore) {
    struct Seen {
        store: WeakMemoryStore,
        warned: bool,
    }
    static SEEN: OnceLock<Mutex<HashMap<String, Seen>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    match seen.get_mut(namespace) {
        Some(first) => match first.store.upgrade() {
            Some(other) if !other.shares_state_with(store) && !first.warned => {
                first.warned = true;
                tracing::warn!(
                    namespace,
                    "two webhook layers of this namespace deduplicate in memory stores of their \
                     own, so a copy of an event that reaches the other runs it again (a \
                     `MemoryStore::new()` inside actix-web's `HttpServer::new` closure makes one \
                     per worker): make the store once, outside, and give each layer a clone, or \
                     leave the store out to share the process's default"
                );
            }
            Some(_) => {}
            None => first.store = store.downgrade(),
        },
        None => {
            seen.retain(|_, first| first.store.upgrade().is_some());
            seen.insert(
                namespace.to_owned(),
                Seen {
                    store: store.downgrade(),
                    warned: false,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::tests::warnings;
    use crate::pipeline::Pipeline;

    #[test]
    fn layers_of_one_namespace_with_memory_stores_of_their_own_are_warned_about() {
        let config = |namespace: &str, store: MemoryStore| {
            WebhookConfig::new(Secret::new("per-worker-stores").unwrap())
                .namespace(namespace)
                .dedup_store(store)
        };
        // One store, cloned into every layer (every worker): nothing to say.
        let shared = MemoryStore::new();
        let (_pipelines, said) = warnings(|| {
            (0..4)
                .map(|_| Pipeline::new(config("warn-test-one-store", shared.clone())))
                .collect::<Vec<_>>()
        });
        assert!(
            said.iter().all(|line| !line.contains("stores of their")),
            "{said:?}"
        );
        // A store made per worker: said once, however many workers.
        let (_pipelines, said) = warnings(|| {
            (0..4)
                .map(|_| Pipeline::new(config("warn-test-store-per-worker", MemoryStore::new())))
                .collect::<Vec<_>>()
        });
        let warned = said
            .iter()
            .filter(|line| line.contains("stores of their own"))
            .count();
        assert_eq!(warned, 1, "{said:?}");
        // Other namespaces are other deduplications: each may have its own store.
        let (_pipelines, said) = warnings(|| {
            ["warn-test-billing", "warn-test-alerts"]
                .map(|namespace| Pipeline::new(config(namespace, MemoryStore::new())))
        });
        assert!(
            said.iter().all(|line| !line.contains("stores of their")),
            "{said:?}"
        );
    }

    #[test]
    fn one_default_store_per_secret_is_shared_by_every_pipeline() {
        let config = WebhookConfig::new(Secret::new("shared-default-store-test").unwrap());
        let first = config.store_or_default();
        let second = config.clone().body_limit(10).store_or_default();
        assert!(Arc::ptr_eq(&first, &second));
        let other = WebhookConfig::new(Secret::new("another-secret").unwrap()).store_or_default();
        assert!(!Arc::ptr_eq(&first, &other));
        let explicit = config.dedup_store(MemoryStore::new()).store_or_default();
        assert!(!Arc::ptr_eq(&first, &explicit));
    }

    #[test]
    fn a_given_store_without_a_namespace_is_warned_about() {
        use crate::events::tests::warnings;
        use crate::pipeline::Pipeline;

        let config = WebhookConfig::new(Secret::new("store-without-namespace").unwrap());
        let (_, logged) =
            warnings(|| Pipeline::new(config.clone().dedup_store(MemoryStore::new())));
        assert_eq!(logged.len(), 1, "{logged:?}");
        assert!(logged[0].contains("no `.namespace(..)`"), "{logged:?}");
        for quiet in [
            config.clone(),
            config
                .clone()
                .dedup_store(MemoryStore::new())
                .namespace("billing"),
            config.dedup_store(MemoryStore::new()).dedup(false),
        ] {
            let (_, logged) = warnings(|| Pipeline::new(quiet));
            assert!(logged.is_empty(), "{logged:?}");
        }
    }

    #[test]
    fn namespaces_are_derived_per_secret_unless_set() {
        let one = WebhookConfig::new(Secret::new("namespace-one").unwrap());
        let two = WebhookConfig::new(Secret::new("namespace-two").unwrap());
        assert_eq!(
            one.namespace_or_default(),
            one.clone()
                .secret(Secret::new("x").unwrap())
                .namespace_or_default()
        );
        assert_ne!(one.namespace_or_default(), two.namespace_or_default());
        assert_eq!(one.namespace_or_default().len(), 12);
        assert_eq!(two.namespace("billing").namespace_or_default(), "billing");
    }
}
