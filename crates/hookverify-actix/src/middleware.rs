//! The per-worker service: runs the core pipeline around the wrapped service.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use futures_util::FutureExt;
use hookverify::pipeline::{Pipeline, Rejection};
use tracing::Instrument;

use crate::body::{read_within, ReadError};
use crate::headers::{content_length, ActixHeaders};
use crate::response::rejection_response;
use crate::settle::ClaimGuard;

/// The service [`WebhookVerify`](crate::WebhookVerify) wraps around each worker's copy of the
/// inner service.
///
/// For every request it checks the signature header and `Content-Length`, reads the payload
/// within the body limit, verifies and claims the event, then runs the inner service with
/// the body restored and the [`VerifiedDelivery`](hookverify::pipeline::VerifiedDelivery) in
/// the request extensions. The claim is completed on a 2xx answer and released on anything
/// else: another status, an `Err`, a panic (which is then resumed) or a cancelled request.
/// Short-circuit answers are the right side of the [`EitherBody`].
pub struct WebhookVerifyMiddleware<S> {
    inner: Rc<Inner<S>>,
}

struct Inner<S> {
    service: S,
    pipeline: Pipeline,
}

impl<S> WebhookVerifyMiddleware<S> {
    pub(crate) fn new(service: S, pipeline: Pipeline) -> Self {
        Self {
            inner: Rc::new(Inner { service, pipeline }),
        }
    }
}

impl<S> std::fmt::Debug for WebhookVerifyMiddleware<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookVerifyMiddleware")
            .field("pipeline", &self.inner.pipeline)
            .finish_non_exhaustive()
    }
}

/// The future [`WebhookVerifyMiddleware`] returns.
pub type ResponseFuture<B> =
    Pin<Box<dyn Future<Output = Result<ServiceResponse<EitherBody<B>>, Error>>>>;

impl<S, B> Service<ServiceRequest> for WebhookVerifyMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = ResponseFuture<B>;

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.service.poll_ready(cx)
    }

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let inner = Rc::clone(&self.inner);
        Box::pin(run(inner, req).instrument(Pipeline::span()))
    }
}

async fn run<S, B>(
    inner: Rc<Inner<S>>,
    mut req: ServiceRequest,
) -> Result<ServiceResponse<EitherBody<B>>, Error>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
{
    let pipeline = &inner.pipeline;
    let length = content_length(req.headers());
    if let Err(rejection) = pipeline.precheck(&ActixHeaders(req.headers()), length) {
        return Ok(short_circuit(req, rejection));
    }

    let body = match read_within(req.take_payload(), pipeline.body_limit(), length).await {
        Ok(body) => body,
        Err(ReadError::TooLarge) => return Ok(short_circuit(req, pipeline.too_large())),
        Err(ReadError::Read(error)) => {
            return Ok(short_circuit(req, Pipeline::body_read_failed(error)));
        }
    };

    let admitted = match pipeline.admit(&ActixHeaders(req.headers()), body).await {
        Ok(admitted) => admitted,
        Err(rejection) => return Ok(short_circuit(req, rejection)),
    };
    let (delivery, settlement) = admitted.into_parts();
    // The handler reads the signed bytes, which may be a canonical form of another length.
    req.headers_mut().insert(
        actix_web::http::header::CONTENT_LENGTH,
        actix_web::http::header::HeaderValue::from(delivery.body().len()),
    );
    req.set_payload(Payload::from(delivery.body().clone()));
    req.extensions_mut().insert(delivery);

    let Some(settlement) = settlement else {
        // Deduplication is off (or failed open): nothing to settle.
        return inner
            .service
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let guard = ClaimGuard::new(settlement);
    // The call itself is inside the caught future: a handler may panic before its first
    // `.await`.
    let outcome = AssertUnwindSafe(async { inner.service.call(req).await })
        .catch_unwind()
        .await;
    match outcome {
        Ok(Ok(response)) => {
            guard.settle(response.status().is_success()).await;
            Ok(response.map_into_left_body())
        }
        Ok(Err(error)) => {
            guard.release().await;
            Err(error)
        }
        Err(panic) => {
            guard.release().await;
            std::panic::resume_unwind(panic)
        }
    }
}

fn short_circuit<B>(req: ServiceRequest, rejection: Rejection) -> ServiceResponse<EitherBody<B>> {
    req.into_response(rejection_response(rejection))
        .map_into_right_body()
}
