//! The store: claim, extend, complete and release on Redis.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hookverify::dedup::{Claim, ClaimToken, DedupKey, DedupStore, StoreError, StoreFuture};
use redis::aio::ConnectionManager;
use redis::{RedisError, Value};

use crate::scripts::Scripts;
use crate::value::{self, Stored};
use crate::RedisStoreBuilder;

/// Deduplication state in Redis, shared by every replica that connects to it.
///
/// Cheap to clone: clones share one multiplexed, self-reconnecting connection. See the
/// [crate docs](crate) for the keys, the scripts and the timeouts.
#[derive(Clone)]
pub struct RedisStore {
    pub(crate) connection: ConnectionManager,
    pub(crate) prefix: Arc<str>,
    pub(crate) timeout: Duration,
    pub(crate) scripts: Arc<Scripts>,
    pub(crate) round_trips: Arc<AtomicU64>,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Why a call failed: Redis answered with an error, or the outcome is unknown.
enum CallError {
    /// The command may or may not have run (timeout, dropped connection).
    Unknown(StoreError),
    /// The command did not run, or Redis refused it.
    Failed(StoreError),
}

impl CallError {
    fn into_store_error(self) -> StoreError {
        match self {
            Self::Unknown(error) | Self::Failed(error) => error,
        }
    }
}

impl RedisStore {
    /// Connects to `url` (`redis://[:password@]host:port/db`) with the defaults: key prefix
    /// `hookverify:`, 1 s timeout.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the URL is invalid or Redis cannot be reached.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::builder(url).connect().await
    }

    /// Starts a configuration for `url`.
    pub fn builder(url: impl Into<String>) -> RedisStoreBuilder {
        RedisStoreBuilder::new(url.into())
    }

    /// The Redis key of an event: the prefix, then the dedup key in braces (a hash tag).
    #[must_use]
    pub fn redis_key(&self, key: &DedupKey) -> String {
        let mut redis_key = String::with_capacity(self.prefix.len() + key.as_str().len() + 2);
        redis_key.push_str(&self.prefix);
        redis_key.push('{');
        redis_key.push_str(key.as_str());
        redis_key.push('}');
        redis_key
    }

    /// How many calls (round trips) this store and its clones have sent to Redis: for
    /// monitoring, and for the benchmark that counts them per delivery.
    #[must_use]
    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    /// Runs one Redis call within the timeout.
    async fn call<T>(
        &self,
        call: impl Future<Output = Result<T, RedisError>>,
    ) -> Result<T, CallError> {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) if error.is_timeout() || error.is_connection_dropped() => {
                Err(CallError::Unknown(StoreError::unavailable(error)))
            }
            Ok(Err(error)) => Err(CallError::Failed(StoreError::unavailable(error))),
            Err(elapsed) => Err(CallError::Unknown(StoreError::unavailable(elapsed))),
        }
    }

    /// Reads an event's stored value back, to settle a call whose outcome is unknown.
    async fn read_back(&self, redis_key: &str) -> Result<Option<String>, StoreError> {
        let mut connection = self.connection.clone();
        let mut get = redis::cmd("GET");
        get.arg(redis_key);
        self.call(get.query_async(&mut connection))
            .await
            .map_err(CallError::into_store_error)
    }

    async fn claim_key(
        &self,
        key: &DedupKey,
        fingerprint: [u8; 32],
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let redis_key = self.redis_key(key);
        let fingerprint = value::short(fingerprint);
        let token = ClaimToken::unique(key.clone());
        let mine = value::in_flight(&token, &fingerprint);
        let mut connection = self.connection.clone();
        // Until the answer is known, a claim that may have landed is undone if this future
        // is dropped (the request went away) or gives up: nobody would hold its token, and
        // the event would wait a whole lease for nothing.
        let mut undo = Abandoned::new(self, &redis_key, &token, lease);
        // A new event, the common case: one plain `SET NX PX`. Only a key that exists needs
        // the script, which sets again or reads the value and its TTL in one atomic step.
        let mut set = redis::cmd("SET");
        set.arg(&redis_key)
            .arg(&mine)
            .arg("NX")
            .arg("PX")
            .arg(millis(lease));
        let reply: Result<Value, _> = match self.call(set.query_async(&mut connection)).await {
            Ok(Value::Okay) => {
                undo.disarm();
                return Ok(Claim::Claimed(token));
            }
            Ok(Value::Nil) => {
                let mut invocation = self.scripts.claim.key(&redis_key);
                invocation.arg(&mine).arg(millis(lease));
                self.call(invocation.invoke_async(&mut connection)).await
            }
            Ok(other) => Ok(other),
            Err(error) => Err(error),
        };
        match reply {
            Ok(reply) => {
                undo.disarm();
                interpret_claim(&reply, token, &fingerprint)
            }
            Err(CallError::Failed(error)) => {
                undo.disarm();
                Err(error)
            }
            Err(CallError::Unknown(error)) => {
                // The SET may have run: whoever's value is stored decides.
                match self.read_back(&redis_key).await? {
                    Some(stored) if stored == mine => {
                        undo.disarm();
                        Ok(Claim::Claimed(token))
                    }
                    Some(stored) => {
                        undo.disarm();
                        Ok(answer_for(&stored, lease, &fingerprint))
                    }
                    // Not there yet, but it may still land: `undo` deletes it if it does.
                    None => Err(error),
                }
            }
        }
    }

    /// Runs one of the token-checked scripts (extend, complete, release), whose first
    /// argument is the claim's in-flight prefix. `settled` tells, from the value read back
    /// after a call of unknown outcome, what the call did; `None` when the value is still
    /// the claim's in-flight one, so the script did not run and runs once more.
    async fn fenced(
        &self,
        token: &ClaimToken,
        script: &redis::Script,
        args: &[String],
        settled: impl Fn(Option<&str>) -> Option<bool>,
    ) -> Result<bool, StoreError> {
        let redis_key = self.redis_key(token.key());
        let mut last = None;
        for _ in 0..2 {
            let mut connection = self.connection.clone();
            let mut invocation = script.key(&redis_key);
            for arg in args {
                invocation.arg(arg);
            }
            let reply: Result<i64, _> = self.call(invocation.invoke_async(&mut connection)).await;
            match reply {
                Ok(acted) => return Ok(acted == 1),
                Err(CallError::Failed(error)) => return Err(error),
                Err(CallError::Unknown(error)) => {
                    let stored = self.read_back(&redis_key).await?;
                    if let Some(answer) = settled(stored.as_deref()) {
                        return Ok(answer);
                    }
                    last = Some(error);
                }
            }
        }
        Err(last.unwrap_or_else(|| StoreError::unavailable("redis call outcome unknown")))
    }
}

impl DedupStore for RedisStore {
    fn claim<'a>(
        &'a self,
        key: &'a DedupKey,
        fingerprint: [u8; 32],
        lease: Duration,
    ) -> StoreFuture<'a, Claim> {
        Box::pin(self.claim_key(key, fingerprint, lease))
    }

    fn extend<'a>(&'a self, token: &'a ClaimToken, lease: Duration) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mine = value::in_flight_prefix(token);
            let args = [mine.clone(), millis(lease).to_string()];
            self.fenced(token, &self.scripts.extend, &args, |stored| {
                let still_mine = stored.is_some_and(|stored| stored.starts_with(&mine));
                (!still_mine).then_some(false)
            })
            .await
        })
    }

    fn complete<'a>(&'a self, token: &'a ClaimToken, retention: Duration) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mine = value::in_flight_prefix(token);
            let done = value::completed_prefix(token);
            let args = [mine.clone(), millis_or_zero(retention).to_string()];
            self.fenced(
                token,
                &self.scripts.complete,
                &args,
                |stored| match stored {
                    Some(stored) if stored.starts_with(&mine) => None,
                    Some(stored) => Some(stored.starts_with(&done)),
                    // Gone: completed with a zero retention, or the lease ran out first.
                    None => Some(retention.is_zero()),
                },
            )
            .await
        })
    }

    fn release<'a>(&'a self, token: &'a ClaimToken) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mine = value::in_flight_prefix(token);
            let args = [mine.clone()];
            self.fenced(token, &self.scripts.release, &args, |stored| match stored {
                Some(stored) if stored.starts_with(&mine) => None,
                // Gone: released by the call, or its lease ran out; the key is free either way.
                None => Some(true),
                Some(_) => Some(false),
            })
            .await
        })
    }

    fn call_timeout(&self) -> Option<Duration> {
        Some(self.timeout)
    }
}

/// Deletes a claim nobody will hold (the claiming future was dropped or gave up before the
/// answer was known), if it landed: the release script, fenced on the claim's own token, so
/// it can never touch another claim. Run on the runtime from `Drop`.
struct Abandoned {
    store: Option<RedisStore>,
    redis_key: String,
    prefix: String,
    /// How long the claim, if it landed, would hold the event.
    lease: Duration,
}

impl Abandoned {
    fn new(store: &RedisStore, redis_key: &str, token: &ClaimToken, lease: Duration) -> Self {
        Self {
            store: Some(store.clone()),
            redis_key: redis_key.to_owned(),
            prefix: value::in_flight_prefix(token),
            lease,
        }
    }

    /// The answer is known: nothing to undo.
    fn disarm(&mut self) {
        self.store = None;
    }
}

impl Drop for Abandoned {
    fn drop(&mut self) {
        let Some(store) = self.store.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return; // no runtime: the lease bounds it
        };
        let (redis_key, prefix, lease) = (
            std::mem::take(&mut self.redis_key),
            std::mem::take(&mut self.prefix),
            self.lease,
        );
        drop(runtime.spawn(async move {
            // Redis runs one connection's commands in order, so an answer to the undo means
            // the claim's `SET`, sent before it, has run: undone (1) or nothing to undo (0)
            // settles it. While Redis answers nothing (stalled, unreachable) the undo is
            // tried again, further and further apart, for up to four leases: a stall that
            // ends later leaves a claim that its lease ends.
            let started = tokio::time::Instant::now();
            let give_up = lease.saturating_mul(4);
            let mut pause = store.timeout.max(Duration::from_millis(50));
            loop {
                let mut connection = store.connection.clone();
                let mut invocation = store.scripts.release.key(&redis_key);
                invocation.arg(&prefix);
                let undone: Result<i64, _> =
                    store.call(invocation.invoke_async(&mut connection)).await;
                match undone {
                    Ok(1) => {
                        tracing::debug!("a claim whose caller went away was undone");
                        return;
                    }
                    Ok(_) => return,
                    Err(_) if started.elapsed().saturating_add(pause) >= give_up => return,
                    Err(_) => {}
                }
                tokio::time::sleep(pause).await;
                pause = pause.saturating_mul(2).min(lease.max(store.timeout));
            }
        }));
    }
}

/// The claim script's reply: `{1}` claimed, or `{0, value, pttl}`.
fn interpret_claim(
    reply: &Value,
    token: ClaimToken,
    fingerprint: &[u8; 16],
) -> Result<Claim, StoreError> {
    let malformed = || StoreError::unavailable(format!("unexpected reply to a claim: {reply:?}"));
    let Value::Array(items) = reply else {
        return Err(malformed());
    };
    match items.as_slice() {
        [Value::Int(1)] => Ok(Claim::Claimed(token)),
        [Value::Int(0), stored, Value::Int(pttl)] => {
            let stored = match stored {
                Value::BulkString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                _ => return Err(malformed()),
            };
            // A key without an expiry, or a value this store does not write, would answer
            // "in flight" for ever: say what is wrong instead (503, logged).
            let left = u64::try_from(*pttl).map_err(|_| {
                StoreError::unavailable(format!(
                    "an event key has no expiry (PTTL {pttl}); was it written by something else?"
                ))
            })?;
            if value::parse(&stored).is_none() {
                return Err(StoreError::unavailable(
                    "an event key holds a value this store does not write",
                ));
            }
            Ok(answer_for(
                &stored,
                Duration::from_millis(left),
                fingerprint,
            ))
        }
        _ => Err(malformed()),
    }
}

/// The answer for a key that holds `stored`, with `left` on its lease.
fn answer_for(stored: &str, left: Duration, fingerprint: &[u8; 16]) -> Claim {
    match value::parse(stored) {
        Some(Stored::Completed { fingerprint: kept }) => Claim::Completed {
            same_body: kept == value::hex(fingerprint),
        },
        // An in-flight value, or one this store did not write: never run the handler twice.
        _ => Claim::InFlight { retry_after: left },
    }
}

/// The longest expiry set: about a hundred years. Redis refuses expiries that overflow its
/// clock, so "for ever" (`Duration::MAX`) is clamped here rather than failing every call.
const LONGEST_MS: u64 = 100 * 365 * 24 * 60 * 60 * 1000;

fn millis(duration: Duration) -> u64 {
    millis_or_zero(duration).max(1)
}

fn millis_or_zero(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .min(LONGEST_MS)
}
