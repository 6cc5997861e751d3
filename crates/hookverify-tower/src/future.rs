//! The response future of [`WebhookVerifyService`](crate::WebhookVerifyService) and the guard
//! that never leaves a claim behind.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use hookverify::pipeline::Settlement;
use http::Response;

use crate::response::ResponseBody;

/// The future returned by [`WebhookVerifyService`](crate::WebhookVerifyService): either an
/// answer the layer already has (a request refused before its body was read) or the running
/// pipeline, instrumented with [`Pipeline::span`](hookverify::pipeline::Pipeline::span).
///
/// Dropping it before it finishes (the client went away) releases the delivery's claim.
#[must_use = "futures do nothing unless polled"]
pub struct ResponseFuture<B, E> {
    kind: Kind<B, E>,
}

enum Kind<B, E> {
    Ready(Option<Response<ResponseBody<B>>>),
    Running(BoxFuture<'static, Result<Response<ResponseBody<B>>, E>>),
}

impl<B, E> ResponseFuture<B, E> {
    pub(crate) fn ready(response: Response<ResponseBody<B>>) -> Self {
        Self {
            kind: Kind::Ready(Some(response)),
        }
    }

    pub(crate) fn running(
        future: impl Future<Output = Result<Response<ResponseBody<B>>, E>> + Send + 'static,
    ) -> Self {
        Self {
            kind: Kind::Running(Box::pin(future)),
        }
    }
}

// Nothing is ever pinned in place: the boxed future is pinned on the heap and the ready
// response is only moved out whole.
impl<B, E> Unpin for ResponseFuture<B, E> {}

impl<B, E> Future for ResponseFuture<B, E> {
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().kind {
            Kind::Ready(response) => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                None => Poll::Pending, // polled after completion; never wakes again
            },
            Kind::Running(future) => future.as_mut().poll(cx),
        }
    }
}

impl<B, E> fmt::Debug for ResponseFuture<B, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.kind {
            Kind::Ready(Some(_)) => "ready",
            Kind::Ready(None) => "done",
            Kind::Running(_) => "running",
        };
        f.debug_struct("ResponseFuture")
            .field("state", &state)
            .finish()
    }
}

/// Holds a delivery's claim while the inner service runs. Settled explicitly on every path
/// the future finishes by; if the future is dropped first, the claim is released on the tokio
/// runtime (when there is one; otherwise it stays claimed until its lease expires).
pub(crate) struct SettleGuard {
    settlement: Option<Settlement>,
}

impl SettleGuard {
    pub(crate) fn new(settlement: Option<Settlement>) -> Self {
        Self { settlement }
    }

    /// Completes the claim on success, releases it otherwise.
    pub(crate) async fn settle(mut self, handler_succeeded: bool) {
        if let Some(settlement) = self.settlement.take() {
            settlement.settle(handler_succeeded).await;
        }
    }

    /// Releases the claim.
    pub(crate) async fn release(mut self) {
        if let Some(settlement) = self.settlement.take() {
            settlement.release().await;
        }
    }
}

impl Drop for SettleGuard {
    fn drop(&mut self) {
        let Some(settlement) = self.settlement.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                tracing::debug!("webhook response future dropped before the handler answered; releasing the claim");
                drop(handle.spawn(settlement.release()));
            }
            Err(_) => tracing::warn!(
                "webhook response future dropped outside a tokio runtime; the claim stays until its lease expires"
            ),
        }
    }
}
