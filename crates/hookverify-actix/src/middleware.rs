//! The per-worker service: runs the core pipeline around the wrapped service.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, CONTENT_LENGTH};
use actix_web::{Error, HttpMessage};
use hookverify::pipeline::{Pipeline, Rejection};
use tracing::Instrument;

use crate::headers::ActixHeaders;
use crate::response::rejection_response;

/// The service [`WebhookVerify`](crate::WebhookVerify) wraps around each worker's copy of the
/// inner service.
///
/// For every request it checks the signature header and `Content-Length`, reads the payload
/// within the body limit, verifies and claims the event, then runs the inner service with
/// the body restored and the [`VerifiedDelivery`](hookverify::pipeline::VerifiedDelivery) in
/// the request extensions. The wrapped service runs as a task of its own on the worker's
/// local runtime, so it finishes even when the client hangs up, its claim renewed while it
/// runs; the claim is completed on a 2xx answer and released on anything else: another
/// status, an `Err` or a panic (which is then resumed).
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
    S::Future: 'static,
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

/// Framework glue around the core lifecycle: the request's headers and payload in, the
/// wrapped service's response or the rejection out.
async fn run<S, B>(
    inner: Rc<Inner<S>>,
    mut req: ServiceRequest,
) -> Result<ServiceResponse<EitherBody<B>>, Error>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    S::Future: 'static,
    B: 'static,
{
    let payload = req.take_payload();
    let admitted = match inner
        .pipeline
        .receive(&ActixHeaders(req.headers()), payload)
        .await
    {
        Ok(admitted) => admitted,
        Err(rejection) => return Ok(short_circuit(req, rejection)),
    };
    let (delivery, runner) = admitted.into_parts();
    // The handler reads the signed bytes, which may be a canonical form of another length.
    req.headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(delivery.body().len()));
    req.set_payload(Payload::from(delivery.body().clone()));
    req.extensions_mut().insert(delivery);
    let service = Rc::clone(&inner);
    let answered = runner
        .run_local(
            move || service.service.call(req),
            |outcome| matches!(outcome, Ok(response) if response.status().is_success()),
            actix_web::rt::spawn,
        )
        .await;
    match answered {
        Ok(outcome) => outcome.map(ServiceResponse::map_into_left_body),
        // The request went to the handler's task; the rejection travels as an error that
        // renders as its response.
        Err(rejection) => {
            let response = rejection_response(rejection.clone());
            Err(actix_web::error::InternalError::from_response(rejection, response).into())
        }
    }
}

fn short_circuit<B>(req: ServiceRequest, rejection: Rejection) -> ServiceResponse<EitherBody<B>> {
    req.into_response(rejection_response(rejection))
        .map_into_right_body()
}
