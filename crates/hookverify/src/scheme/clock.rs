//! Wall-clock time for timestamped schemes, injectable so tolerance edges are tested exactly.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time as Unix seconds, which timestamped schemes (Standard Webhooks, Stripe)
/// compare with the signed timestamp.
///
/// Any `Fn() -> i64` is a clock, so a test pins the time with a closure:
///
/// ```
/// use hookverify::scheme::WallClock;
///
/// let fixed = || 1_614_265_330_i64;
/// assert_eq!(fixed.unix_time(), 1_614_265_330);
/// ```
pub trait WallClock: Send + Sync + 'static {
    /// Seconds since the Unix epoch.
    fn unix_time(&self) -> i64;
}

/// The system's clock; the default.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemWallClock;

impl WallClock for SystemWallClock {
    fn unix_time(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
            Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
        }
    }
}

impl<F: Fn() -> i64 + Send + Sync + 'static> WallClock for F {
    fn unix_time(&self) -> i64 {
        self()
    }
}
