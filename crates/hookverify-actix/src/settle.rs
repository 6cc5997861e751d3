//! Settling a claim from the handler's outcome, and releasing it when the request is
//! cancelled.

use hookverify::pipeline::Settlement;

/// Holds a claim while the handler runs. Settled explicitly on every outcome the middleware
/// sees; if the request future is dropped first (client gone, server shutting down), `Drop`
/// spawns the release on the current actix arbiter so the sender's retry is processed
/// instead of waiting for the lease to run out.
pub(crate) struct ClaimGuard(Option<Settlement>);

impl ClaimGuard {
    pub(crate) fn new(settlement: Settlement) -> Self {
        Self(Some(settlement))
    }

    /// Completes the claim on success, releases it otherwise.
    pub(crate) async fn settle(mut self, handler_succeeded: bool) {
        if let Some(settlement) = self.0.take() {
            settlement.settle(handler_succeeded).await;
        }
    }

    /// Releases the claim (handler error or panic).
    pub(crate) async fn release(mut self) {
        if let Some(settlement) = self.0.take() {
            settlement.release().await;
        }
    }
}

impl Drop for ClaimGuard {
    fn drop(&mut self) {
        let Some(settlement) = self.0.take() else {
            return;
        };
        tracing::debug!(
            "webhook request cancelled before the handler answered; releasing its claim"
        );
        let spawned = actix_rt::Arbiter::try_current()
            .is_some_and(|arbiter| arbiter.spawn(settlement.release()));
        if !spawned {
            tracing::warn!(
                "no running actix arbiter to release a cancelled webhook's claim; \
                 the event is retried once its lease expires"
            );
        }
    }
}
