//! A Redis [`DedupStore`](hookverify::dedup::DedupStore) for hookverify: several replicas of a
//! service behind one sender run each event once.
//!
//! ```no_run
//! use hookverify::Secret;
//! use hookverify_redis::RedisStore;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store = RedisStore::connect("redis://127.0.0.1:6379/").await?;
//! let config = hookverify::pipeline::WebhookConfig::new(Secret::new("whsec_example")?)
//!     .namespace("billing") // stable across secret rotations, shared by every replica
//!     .dedup_store(store);
//! # let _ = config;
//! # Ok(())
//! # }
//! ```
//!
//! Each event is one Redis key, `<prefix>{<dedup key>}` (the braces are a hash tag, so the
//! store runs on Redis Cluster), whose value holds its state, the claim's token and the
//! body's fingerprint. A claim is one `SET NX PX` (when the key exists, a script then sets
//! again or reads its value and `PTTL`, atomically); extend, complete and release are
//! scripts that act only while the stored token is still the caller's. A delivery of a new
//! event costs two round trips: the claim and the settlement. Every call is bounded
//! by a timeout (1 s by default): an unreachable or hung Redis is a prompt 503, never a hung
//! request. In actix-web, make one store per worker with
//! [`RedisStoreBuilder::connect_lazy`] inside `HttpServer::new`'s closure: the connection is
//! driven by the runtime it is made on, and calls that cross threads cost throughput. When a
//! call's outcome is unknown (the connection dropped after the command was
//! sent), the key is read back and the token compared. A claim whose outcome is still
//! unknown when its caller gives up (a timeout, or the request went away) is undone by a
//! background task: Redis runs one connection's commands in order, so the undo's answer
//! settles it; while Redis answers nothing (a stall) the undo is tried again, further and
//! further apart, for up to four leases, so that once Redis answers again the sender's
//! retry does not wait a whole lease for a claim nobody holds.

mod builder;
mod scripts;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod value;

pub use builder::RedisStoreBuilder;
pub use store::RedisStore;
