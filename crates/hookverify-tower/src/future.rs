//! The response future of [`WebhookVerifyService`](crate::WebhookVerifyService).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use http::Response;

use crate::response::ResponseBody;

/// The future returned by [`WebhookVerifyService`](crate::WebhookVerifyService): the core
/// lifecycle of one delivery, instrumented with
/// [`Pipeline::span`](hookverify::pipeline::Pipeline::span).
///
/// Dropping it (the client went away) does not stop a handler that was already started: it
/// runs to its end on the runtime and its outcome settles the claim (unless the layer was
/// built with `cancel_on_disconnect(true)`, which drops the handler and releases the claim).
#[must_use = "futures do nothing unless polled"]
pub struct ResponseFuture<B, E> {
    future: BoxFuture<'static, Result<Response<ResponseBody<B>>, E>>,
}

impl<B, E> ResponseFuture<B, E> {
    pub(crate) fn running(
        future: impl Future<Output = Result<Response<ResponseBody<B>>, E>> + Send + 'static,
    ) -> Self {
        Self {
            future: Box::pin(future),
        }
    }
}

impl<B, E> Future for ResponseFuture<B, E> {
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.future.as_mut().poll(cx)
    }
}

impl<B, E> fmt::Debug for ResponseFuture<B, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
