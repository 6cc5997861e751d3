//! What an adapter is configured with.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

use crate::dedup::{DedupStore, KeyStrategy, MemoryStore};
use crate::{Provider, Secret, Verified, VerifierBuilder};

/// Default body limit: 1 MiB, above every supported sender's largest event.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// Default lease: 5 minutes, above every sender's delivery timeout, so a slow handler keeps
/// its claim while the sender still waits for it.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(5 * 60);
/// Default retention of a processed event: 7 days, beyond every sender's retry schedule.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// The settings of the webhook layer or middleware; each adapter's `WebhookVerify` builder
/// forwards to these methods.
///
/// ```
/// use std::time::Duration;
/// use hookverify::pipeline::WebhookConfig;
/// use hookverify::{Provider, Secret};
///
/// let config = WebhookConfig::new(Secret::new("new").unwrap())
///     .secret(Secret::new("old").unwrap())
///     .providers([Provider::PromptLayer])
///     .body_limit(256 * 1024)
///     .retention(Duration::from_secs(3 * 24 * 3600));
/// assert_eq!(config.body_limit_bytes(), 256 * 1024);
/// ```
#[derive(Clone)]
#[must_use]
pub struct WebhookConfig {
    pub(crate) verifier: VerifierBuilder,
    pub(crate) body_limit: usize,
    pub(crate) store: Option<Arc<dyn DedupStore>>,
    pub(crate) dedup: bool,
    pub(crate) lease: Duration,
    pub(crate) retention: Duration,
    pub(crate) keys: KeyStrategy,
    pub(crate) fail_open: bool,
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("verifier", &self.verifier)
            .field("body_limit", &self.body_limit)
            .field("custom_store", &self.store.is_some())
            .field("dedup", &self.dedup)
            .field("lease", &self.lease)
            .field("retention", &self.retention)
            .field("keys", &self.keys)
            .field("fail_open", &self.fail_open)
            .finish()
    }
}

impl WebhookConfig {
    /// Accepts every provider signed with `secret`, deduplicates in memory, with the defaults
    /// of DESIGN.md: 1 MiB body limit, 5-minute lease, 7-day retention, fail closed.
    pub fn new(secret: Secret) -> Self {
        Self {
            verifier: crate::Verifier::builder(secret),
            body_limit: DEFAULT_BODY_LIMIT,
            store: None,
            dedup: true,
            lease: DEFAULT_LEASE,
            retention: DEFAULT_RETENTION,
            keys: KeyStrategy::default(),
            fail_open: false,
        }
    }

    /// Adds a secret for rotation: a signature under any configured secret is accepted.
    pub fn secret(mut self, secret: Secret) -> Self {
        self.verifier = self.verifier.secret(secret);
        self
    }

    /// Accepts only these providers (default: all four).
    pub fn providers(mut self, providers: impl IntoIterator<Item = Provider>) -> Self {
        self.verifier = self.verifier.providers(providers);
        self
    }

    /// The largest body accepted, in bytes (default 1 MiB). Larger deliveries get 413.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The configured body limit.
    #[must_use]
    pub fn body_limit_bytes(&self) -> usize {
        self.body_limit
    }

    /// Where deduplication state lives (default: a [`MemoryStore`] for this process). Give
    /// every replica behind one sender the same shared store.
    pub fn dedup_store(mut self, store: impl DedupStore) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Like [`dedup_store`](Self::dedup_store), for a store already behind an `Arc`.
    pub fn dedup_store_arc(mut self, store: Arc<dyn DedupStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Turns deduplication on (default) or off. Off, every authentic delivery reaches the
    /// handler, duplicates included.
    pub fn dedup(mut self, enabled: bool) -> Self {
        self.dedup = enabled;
        self
    }

    /// How long a delivery holds its claim while the handler runs (default 5 minutes).
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

    /// When the store fails: `false` (default) answers 503 so the sender retries later;
    /// `true` runs the handler without deduplication, trading possible duplicates for
    /// availability.
    pub fn fail_open(mut self, fail_open: bool) -> Self {
        self.fail_open = fail_open;
        self
    }

    pub(crate) fn store_or_default(&self) -> Arc<dyn DedupStore> {
        match &self.store {
            Some(store) => Arc::clone(store),
            None => {
                if let Some(secret) = self.verifier.first_secret() {
                    warn_on_second_default_store(secret);
                }
                Arc::new(MemoryStore::new())
            }
        }
    }
}

/// Each pipeline built without a store gets a memory store of its own. Two of them for the
/// same secret in one process usually mean one sender's events are deduplicated in two
/// places: a `WebhookVerify` built inside actix-web's `HttpServer::new` closure (one per
/// worker), or separate layers on routes that the same sender reaches. Copies landing in
/// different places would then both run the handler, so say so once, loudly.
fn warn_on_second_default_store(secret: &Secret) {
    // Secret id -> how many default stores were made for it (saturating).
    static SEEN: OnceLock<Mutex<HashMap<[u8; 32], u8>>> = OnceLock::new();
    // An HMAC of a fixed label identifies the secret without keeping a copy of it.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose()) else {
        return;
    };
    mac.update(b"hookverify default memory store");
    let id: [u8; 32] = mac.finalize().into_bytes().into();
    let mut seen = SEEN
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let made = seen.entry(id).or_insert(0);
    *made = made.saturating_add(1);
    if *made == 2 {
        tracing::warn!(
            "a second in-memory dedup store was created for the same webhook secret: copies of an \
             event that reach different WebhookVerify instances are not deduplicated against each \
             other. Build WebhookVerify once and clone it (in actix-web, outside the \
             HttpServer::new closure), or give every instance the same store with .dedup_store(..)"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::tests::warnings;

    #[test]
    fn a_second_default_store_for_one_secret_is_warned_about() {
        let config = WebhookConfig::new(Secret::new("second-store-warning-test").unwrap());
        let ((), first) = warnings(|| drop(config.store_or_default()));
        assert!(first.is_empty(), "{first:?}");
        let ((), second) = warnings(|| drop(config.store_or_default()));
        assert_eq!(second.len(), 1, "{second:?}");
        assert!(
            second[0].contains("second in-memory dedup store"),
            "{second:?}"
        );

        let shared = config.dedup_store(MemoryStore::new());
        let ((), explicit) = warnings(|| drop(shared.store_or_default()));
        assert!(
            explicit.is_empty(),
            "an explicit store is shared on purpose: {explicit:?}"
        );
    }
}
