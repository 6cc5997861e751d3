//! Configuring and connecting a [`RedisStore`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use hookverify::dedup::StoreError;
use redis::aio::ConnectionManagerConfig;

use crate::scripts::Scripts;
use crate::RedisStore;

/// The default bound on every Redis call.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);
/// The default key prefix.
pub(crate) const DEFAULT_PREFIX: &str = "hookverify:";

/// Builds a [`RedisStore`]; start one with [`RedisStore::builder`].
///
/// ```no_run
/// # async fn run() -> Result<(), hookverify::dedup::StoreError> {
/// use std::time::Duration;
/// use hookverify_redis::RedisStore;
///
/// let store = RedisStore::builder("redis://127.0.0.1:6379/")
///     .key_prefix("billing-webhooks:")
///     .timeout(Duration::from_millis(500))
///     .connect()
///     .await?;
/// # let _ = store;
/// # Ok(())
/// # }
/// ```
#[must_use]
pub struct RedisStoreBuilder {
    url: String,
    prefix: String,
    timeout: Duration,
}

impl fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a password.
        f.debug_struct("RedisStoreBuilder")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisStoreBuilder {
    pub(crate) fn new(url: String) -> Self {
        Self {
            url,
            prefix: DEFAULT_PREFIX.to_owned(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// What every key starts with (default `hookverify:`), to share one Redis with other data.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The bound on every call, connecting included (default 1 s). A call that takes longer
    /// fails, and the pipeline answers 503 with `Retry-After`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Makes the store without connecting yet: the connection opens on the first call, and
    /// is driven by the runtime this is called on. For a store per actix-web worker, made
    /// inside `HttpServer::new`'s closure, so that each worker's calls stay on its thread.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the URL is invalid.
    pub fn connect_lazy(self) -> Result<RedisStore, StoreError> {
        let client = redis::Client::open(self.url.as_str()).map_err(StoreError::unavailable)?;
        let connection =
            redis::aio::ConnectionManager::new_lazy_with_config(client, self.manager_config())
                .map_err(StoreError::unavailable)?;
        Ok(self.store(connection))
    }

    fn manager_config(&self) -> ConnectionManagerConfig {
        // Every call is bounded by the store's own timeout; a second timer per call in the
        // connection would only cost.
        ConnectionManagerConfig::new()
            .set_response_timeout(None)
            .set_connection_timeout(Some(self.timeout))
            .set_number_of_retries(2)
            .set_max_delay(self.timeout)
    }

    fn store(self, connection: redis::aio::ConnectionManager) -> RedisStore {
        RedisStore {
            connection,
            prefix: Arc::from(self.prefix),
            timeout: self.timeout,
            scripts: Arc::new(Scripts::new()),
            round_trips: Arc::default(),
        }
    }

    /// Connects. The connection reconnects by itself after Redis restarts; calls made while
    /// it is down fail within the timeout.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the URL is invalid or Redis cannot be reached.
    pub async fn connect(self) -> Result<RedisStore, StoreError> {
        let client = redis::Client::open(self.url.as_str()).map_err(StoreError::unavailable)?;
        let connect = client.get_connection_manager_with_config(self.manager_config());
        let connection = match tokio::time::timeout(self.timeout, connect).await {
            Ok(connection) => connection.map_err(StoreError::unavailable)?,
            Err(elapsed) => return Err(StoreError::unavailable(elapsed)),
        };
        Ok(self.store(connection))
    }
}
