//! Running an admitted delivery's handler under its claim, and settling the claim by the
//! handler's outcome on every exit.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::{pin, Pin};
use std::task::{ready, Context, Poll};
use std::thread;
use std::time::Duration;

use futures_util::future::{select, Either, LocalBoxFuture};
use futures_util::FutureExt;
use tokio::task::JoinHandle;
use tracing::{Instrument, Span};

use super::admission::{delivery_span, Settlement};
use super::observe::{Outcome, Running};
use super::tasks::Counted;
use super::Rejection;

/// Runs the handler of one admitted delivery and settles its claim by the outcome: a
/// success (for HTTP, a 2xx answer) completes it, anything else (another answer, a panic,
/// the runtime dropping the task) releases it so the sender's retry is processed.
///
/// By default the handler is polled where the request is and, should the request be dropped
/// first, handed to the runtime as a task of its own, so it runs to its end even when the
/// sender hangs up: a sender that times out before a slow handler finishes
/// gets its retry answered 503 (in flight) and then `duplicate`, and the handler runs once.
/// While it runs, the claim's lease is renewed every third of the lease, so a handler longer
/// than the lease keeps its claim, and a process that dies stops renewing and its claim
/// runs out soon. With
/// [`WebhookConfig::cancel_on_disconnect`](super::WebhookConfig::cancel_on_disconnect) the
/// handler runs inside the request instead, and is dropped with it (the claim is then
/// released).
///
/// Adapters get one from [`Admitted::into_parts`](super::Admitted::into_parts) and call
/// [`run`](Self::run) (a `Send` handler, on the current tokio runtime) or
/// [`run_local`](Self::run_local) (a `!Send` handler, such as actix-web's, on the thread's
/// local task set).
#[must_use = "run the handler with it, or settle it, or the event stays claimed until its lease expires"]
pub struct Runner {
    settlement: Option<Settlement>,
    lease: Duration,
    detach: bool,
    running: Running,
}

/// What a handler produced, or the panic it raised.
pub type HandlerResult<T> = thread::Result<T>;

impl fmt::Debug for Runner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runner")
            .field("claimed", &self.settlement.is_some())
            .field("lease", &self.lease)
            .field("detach", &self.detach)
            .finish()
    }
}

impl Drop for Runner {
    /// A runner dropped without running or settling (the adapter's request went away before
    /// the handler started) releases its claim on the runtime, so the retry is processed.
    fn drop(&mut self) {
        drop(ReleaseOnDrop(self.settlement.take()));
    }
}

impl Runner {
    pub(crate) fn new(
        settlement: Option<Settlement>,
        lease: Duration,
        detach: bool,
        running: Running,
    ) -> Self {
        Self {
            settlement,
            lease,
            detach,
            running,
        }
    }

    /// Whether a claim is held (deduplication on and the store answered).
    #[must_use]
    pub fn is_claimed(&self) -> bool {
        self.settlement.is_some()
    }

    /// Calls `handler` and awaits its future, handed to the current tokio runtime as a task
    /// of its own if this future is dropped first (not when there is no runtime, or with
    /// `cancel_on_disconnect`), renewing the
    /// lease meanwhile, then settles the claim: completed when `succeeded` says so of the
    /// output, released otherwise. A panic in the handler releases the claim and is resumed
    /// here.
    ///
    /// # Errors
    /// None at present: the `Result` is the adapters' room for
    /// [`Rejection::HandlerAborted`], a handler cut short before it answered, which this
    /// runner, handing an unfinished handler to the runtime instead, does not produce.
    pub fn run<F, Fut>(
        self,
        handler: F,
        succeeded: fn(&Fut::Output) -> bool,
    ) -> impl Future<Output = Result<Fut::Output, Rejection>> + Send + 'static
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: Send + 'static,
    {
        let runtime = tokio::runtime::Handle::try_current()
            .ok()
            .filter(|_| self.detach);
        // Boxed here, not held in the returned future: a future of a few words is cheap for
        // the adapter to move and to keep across its own awaits (the handler's, with its
        // supervision, is kilobytes).
        let supervised: Pin<Box<dyn Future<Output = HandlerResult<Fut::Output>> + Send>> = Box::pin(
            self.supervise(handler, succeeded, runtime.is_some())
                .instrument(delivery_span().unwrap_or_else(Span::none)),
        );
        async move {
            match runtime {
                // Polled here, where the request is, and handed to the runtime only if the
                // request is dropped first: no task spawned per delivery.
                Some(runtime) => resumed(on_runtime(supervised, runtime).await),
                None => resumed(supervised.await),
            }
        }
    }

    /// [`run`](Self::run) for a handler whose future is not `Send`: polled where the request
    /// is, and handed to `spawn_local`, the thread's local spawner (for actix-web,
    /// `actix_web::rt::spawn`), only if the request is dropped before it finished.
    ///
    /// # Errors
    /// None at present, as for [`run`](Self::run).
    pub async fn run_local<F, Fut>(
        self,
        handler: F,
        succeeded: fn(&Fut::Output) -> bool,
        spawn_local: impl FnOnce(
            LocalBoxFuture<'static, HandlerResult<Fut::Output>>,
        ) -> JoinHandle<HandlerResult<Fut::Output>>,
    ) -> Result<Fut::Output, Rejection>
    where
        F: FnOnce() -> Fut + 'static,
        Fut: Future + 'static,
        Fut::Output: 'static,
    {
        let detach = self.detach;
        // Not `detach` for `detached`: the local spawner may refuse the handler (a worker
        // panicking or shutting down), and a completion under way must still land.
        let supervised = self
            .supervise(handler, succeeded, false)
            .instrument(delivery_span().unwrap_or_else(Span::none));
        if detach {
            // Polled here and spawned only if the request goes away first: no task per
            // delivery.
            resumed(on_local_runtime(Box::pin(supervised), spawn_local).await)
        } else {
            resumed(supervised.await)
        }
    }

    /// Settles the claim without running anything here: for callers that run the handler
    /// themselves. Prefer [`run`](Self::run), which also renews the lease and survives the
    /// caller being dropped.
    pub async fn settle(mut self, succeeded: bool) {
        if let Some(settlement) = self.settlement.take() {
            settle_to_the_end(settlement, succeeded).await;
        }
    }

    /// Runs the handler and settles its claim. `detached`: a drop of the returned future
    /// always hands it to a runtime to finish, settlement included, so the settlement needs
    /// no protection of its own.
    async fn supervise<F, Fut>(
        mut self,
        handler: F,
        succeeded: fn(&Fut::Output) -> bool,
        detached: bool,
    ) -> HandlerResult<Fut::Output>
    where
        F: FnOnce() -> Fut,
        Fut: Future,
    {
        let mut guard = ReleaseOnDrop(self.settlement.take());
        // The call itself may panic before the handler's first `.await`.
        let outcome = match std::panic::catch_unwind(AssertUnwindSafe(handler)) {
            Ok(future) => {
                // Pinned here, once: the handler's future is most of this one, and each
                // move into another future (an `async fn`'s argument, a `pin!` there)
                // would store it again, in the box every delivery allocates.
                let caught = pin!(AssertUnwindSafe(future).catch_unwind());
                renewing(caught, guard.0.as_ref(), self.lease).await
            }
            Err(panic) => Err(panic),
        };
        let success = matches!(&outcome, Ok(output) if succeeded(output));
        self.running.finished(match &outcome {
            Ok(_) if success => Outcome::Completed,
            Ok(_) => Outcome::Failed,
            Err(_) => Outcome::Panicked,
        });
        if let Some(settlement) = guard.0.take() {
            if detached {
                settlement.settle(success).await;
            } else {
                settle_to_the_end(settlement, success).await;
            }
        }
        outcome
    }
}

/// Settles, and if the future doing it is dropped halfway (the request went away while a
/// store call was under way), lets the settlement finish on the runtime: a completion that
/// was cut short would leave the claim to run out and the event to run again.
async fn settle_to_the_end(settlement: Settlement, success: bool) {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => on_runtime(Box::pin(settlement.settle(success)), runtime).await,
        Err(_) => settlement.settle(success).await,
    }
}

/// Awaits `handler` while renewing the claim (if there is one) every third of `lease`, so
/// the claim outlives any handler while this process lives.
async fn renewing<F: Future>(
    mut handler: Pin<&mut F>,
    settlement: Option<&Settlement>,
    lease: Duration,
) -> F::Output {
    let Some(settlement) = settlement else {
        return handler.await;
    };
    if tokio::runtime::Handle::try_current().is_err() {
        // No timer to renew with: the lease alone bounds the claim.
        return handler.await;
    }
    // Most handlers answer on their first poll: no renewal timer for them.
    if let Poll::Ready(output) =
        std::future::poll_fn(|cx| Poll::Ready(handler.as_mut().poll(cx))).await
    {
        return output;
    }
    let every = renewal_interval(lease);
    let renew = async move {
        loop {
            tokio::time::sleep(every).await;
            if !settlement.extend(lease).await {
                // The claim is lost; renewing cannot win it back.
                return;
            }
        }
    };
    match select(handler.as_mut(), pin!(renew)).await {
        Either::Left((output, _)) => output,
        Either::Right(((), _)) => handler.await,
    }
}

/// A boxed future polled in place, and handed to `spawn` to run to its end if it is
/// dropped before it finished (the request it serves went away).
struct DetachOnDrop<F: Future + ?Sized, S: FnOnce(Pin<Box<F>>)> {
    future: Option<Pin<Box<F>>>,
    spawn: Option<S>,
}

impl<F: Future + ?Sized, S: FnOnce(Pin<Box<F>>)> DetachOnDrop<F, S> {
    fn new(future: Pin<Box<F>>, spawn: S) -> Self {
        Self {
            future: Some(future),
            spawn: Some(spawn),
        }
    }
}

/// A `Send` future, spawned on `runtime` if it is dropped before it finished.
fn on_runtime<T: 'static>(
    future: Pin<Box<dyn Future<Output = T> + Send>>,
    runtime: tokio::runtime::Handle,
) -> impl Future<Output = T> + Send {
    DetachOnDrop::new(future, move |future| {
        tracing::debug!("the request went away while its handler ran; the handler runs on");
        drop(runtime.spawn(Counted::wrap(async move {
            drop(future.await);
        })));
    })
}

/// A future that is not `Send`, handed to `spawn`, the thread's local spawner, if it is
/// dropped before it finished.
fn on_local_runtime<T: 'static>(
    future: LocalBoxFuture<'static, T>,
    spawn: impl FnOnce(LocalBoxFuture<'static, T>) -> JoinHandle<T>,
) -> impl Future<Output = T> {
    DetachOnDrop::new(future, move |future| {
        if thread::panicking() {
            // Spawning could panic again, which aborts: dropped here, the handler's claim is
            // released instead (see `ReleaseOnDrop`), or, if its settlement had started,
            // the settlement finishes on the tokio runtime (`settle_to_the_end`).
            return;
        }
        let spawned = std::panic::catch_unwind(AssertUnwindSafe(|| {
            drop(spawn(Box::pin(Counted::wrap(future))));
        }));
        match spawned {
            Ok(()) => {
                tracing::debug!("the request went away while its handler ran; the handler runs on");
            }
            Err(_) => {
                tracing::warn!(
                    "a webhook handler could not be handed to the local runtime when its \
                     request went away; it was dropped and its claim released"
                );
            }
        }
    })
}

// Nothing is pinned in place: the future is boxed.
impl<F: Future + ?Sized, S: FnOnce(Pin<Box<F>>)> Unpin for DetachOnDrop<F, S> {}

impl<F: Future + ?Sized, S: FnOnce(Pin<Box<F>>)> Future for DetachOnDrop<F, S> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let slot = &mut self.get_mut().future;
        let Some(future) = slot.as_mut() else {
            return Poll::Pending; // polled after completion
        };
        // A future that panicked must not be spawned to run on: it would panic again.
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx)));
        let output = match polled {
            Ok(poll) => ready!(poll),
            Err(panic) => {
                *slot = None;
                std::panic::resume_unwind(panic)
            }
        };
        *slot = None;
        Poll::Ready(output)
    }
}

impl<F: Future + ?Sized, S: FnOnce(Pin<Box<F>>)> Drop for DetachOnDrop<F, S> {
    fn drop(&mut self) {
        if let (Some(future), Some(spawn)) = (self.future.take(), self.spawn.take()) {
            spawn(future);
        }
    }
}

/// How often a running handler's claim is renewed: a third of the lease, so two renewals
/// can fail before the lease runs out.
pub(crate) fn renewal_interval(lease: Duration) -> Duration {
    (lease / 3).max(Duration::from_millis(10))
}

fn resumed<T>(outcome: HandlerResult<T>) -> Result<T, Rejection> {
    match outcome {
        Ok(output) => Ok(output),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Holds the claim while the handler runs. If the future running the handler is dropped
/// before it settled (the runtime shut down, or the request was cancelled with
/// `cancel_on_disconnect`), the claim is released on the runtime, so the sender's retry is
/// processed instead of waiting for the lease to run out.
struct ReleaseOnDrop(Option<Settlement>);

impl Drop for ReleaseOnDrop {
    fn drop(&mut self) {
        let Some(settlement) = self.0.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                tracing::debug!("webhook handler dropped before it answered; releasing its claim");
                drop(runtime.spawn(Counted::wrap(settlement.release())));
            }
            Err(_) => tracing::warn!(
                "webhook handler dropped outside a tokio runtime; its claim stays until the lease expires"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use tokio::sync::Notify;

    use crate::dedup::{Claim, ClaimToken, DedupKey, DedupStore, MemoryStore, StoreFuture};
    use crate::pipeline::{Pipeline, WebhookConfig};
    use crate::{testing, Provider, Secret};

    /// The memory store, with completions that take a while and say when they start.
    #[derive(Clone)]
    struct SlowComplete {
        inner: MemoryStore,
        completing: Arc<Notify>,
    }

    impl DedupStore for SlowComplete {
        fn claim<'a>(
            &'a self,
            key: &'a DedupKey,
            fingerprint: [u8; 32],
            lease: Duration,
        ) -> StoreFuture<'a, Claim> {
            self.inner.claim(key, fingerprint, lease)
        }

        fn extend<'a>(&'a self, token: &'a ClaimToken, lease: Duration) -> StoreFuture<'a, bool> {
            self.inner.extend(token, lease)
        }

        fn complete<'a>(
            &'a self,
            token: &'a ClaimToken,
            retention: Duration,
        ) -> StoreFuture<'a, bool> {
            Box::pin(async move {
                self.completing.notify_one();
                tokio::time::sleep(Duration::from_millis(200)).await;
                self.inner.complete(token, retention).await
            })
        }

        fn release<'a>(&'a self, token: &'a ClaimToken) -> StoreFuture<'a, bool> {
            self.inner.release(token)
        }
    }

    fn delivery() -> (Secret, Vec<(&'static str, String)>, &'static [u8]) {
        let secret = Secret::new("runner-tests").unwrap();
        let body: &[u8] = br#"{"id":"evt_runner","type":"t","data":{}}"#;
        let signature = testing::sign(Provider::GENERIC, &secret, body).unwrap();
        (secret, signature.into_headers(), body)
    }

    /// A pipeline for [`delivery`] configured by `config`, over a store whose completions
    /// take a while and say when they start.
    fn slow_completing(
        config: impl FnOnce(WebhookConfig) -> WebhookConfig,
    ) -> (Pipeline, SlowComplete) {
        let store = SlowComplete {
            inner: MemoryStore::new(),
            completing: Arc::new(Notify::new()),
        };
        let base = WebhookConfig::new(delivery().0).dedup_store(store.clone());
        (Pipeline::new(config(base)), store)
    }

    /// Claims [`delivery`] in `pipeline`: the runner of its claim.
    async fn claimed(pipeline: &Pipeline) -> super::Runner {
        let (_, headers, body) = delivery();
        let admitted = pipeline.admit(&headers[..], body.to_vec()).await.unwrap();
        admitted.into_parts().1
    }

    /// What another copy of [`delivery`] meets: `Ok` when it is claimed afresh, else the
    /// rejection's code.
    async fn another_copy(pipeline: &Pipeline) -> Result<(), &'static str> {
        let (_, headers, body) = delivery();
        match pipeline.admit(&headers[..], body.to_vec()).await {
            Ok(_) => Ok(()),
            Err(rejection) => Err(rejection.code()),
        }
    }

    #[tokio::test]
    async fn a_completion_cut_short_by_the_request_going_away_still_lands() {
        a_completion_cut_short_still_lands(true).await;
    }

    #[tokio::test]
    async fn a_detached_completion_cut_short_by_the_request_going_away_still_lands() {
        a_completion_cut_short_still_lands(false).await;
    }

    /// The request goes away while the handler's completion is on its way to the store: the
    /// completion lands all the same, whether the handler was detached from the request or
    /// cancelled with it.
    async fn a_completion_cut_short_still_lands(cancel_on_disconnect: bool) {
        let (pipeline, store) =
            slow_completing(|config| config.cancel_on_disconnect(cancel_on_disconnect));
        let runner = claimed(&pipeline).await;
        let request = tokio::spawn(runner.run(|| async { 200 }, |status| *status == 200));
        store.completing.notified().await;
        request.abort(); // the sender hangs up while the completion is on its way
        let _ = request.await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(
            another_copy(&pipeline).await,
            Err("duplicate"),
            "the completion was finished on the runtime"
        );
    }

    #[tokio::test]
    async fn a_local_completion_cut_short_lands_when_the_local_spawner_refuses() {
        let (pipeline, store) = slow_completing(|config| config);
        let runner = claimed(&pipeline).await;
        // A worker whose local set is gone: handing the handler over fails.
        let refusing = |_| -> tokio::task::JoinHandle<_> { panic!("no local task set") };
        let mut request = Box::pin(runner.run_local(|| async { 200 }, |s| *s == 200, refusing));
        let completing = tokio::select! {
            _ = &mut request => false,
            () = store.completing.notified() => true,
        };
        assert!(
            completing,
            "the handler answered and its completion started"
        );
        drop(request); // the request goes away while the completion is on its way
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(
            another_copy(&pipeline).await,
            Err("duplicate"),
            "the completion still landed"
        );
    }

    #[tokio::test]
    async fn a_runner_dropped_unused_releases_its_claim() {
        let pipeline =
            Pipeline::new(WebhookConfig::new(delivery().0).dedup_store(MemoryStore::new()));
        drop(claimed(&pipeline).await); // the request went away before the handler started
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            another_copy(&pipeline).await,
            Ok(()),
            "the retry is processed, not held for the lease"
        );
    }

    #[tokio::test]
    async fn a_local_handler_whose_request_is_dropped_runs_on_and_completes() {
        use std::cell::Cell;
        use std::rc::Rc;

        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let pipeline =
                    Pipeline::new(WebhookConfig::new(delivery().0).dedup_store(MemoryStore::new()));
                let runner = claimed(&pipeline).await;
                // `Rc`: a handler that is not `Send`, as actix-web's are.
                let finished = Rc::new(Cell::new(false));
                let done = Rc::clone(&finished);
                let handler = move || async move {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    done.set(true);
                    200
                };
                let mut request = Box::pin(runner.run_local(
                    handler,
                    |status| *status == 200,
                    tokio::task::spawn_local,
                ));
                let started = tokio::time::timeout(Duration::from_millis(20), &mut request).await;
                assert!(started.is_err(), "the handler is still running");
                drop(request); // the request goes away
                tokio::time::sleep(Duration::from_millis(300)).await;
                assert!(finished.get(), "the handler ran to its end");
                assert_eq!(
                    another_copy(&pipeline).await,
                    Err("duplicate"),
                    "and its outcome completed the claim"
                );
            })
            .await;
    }
}
