//! The per-worker service: runs the core pipeline around the wrapped service.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Extensions, Payload, Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, CONTENT_LENGTH, TRANSFER_ENCODING};
use actix_web::web::{Data, JsonConfig, PayloadConfig};
use actix_web::{Error, HttpMessage};
use hookverify::pipeline::{Pipeline, Rejection, VerifiedDelivery};
use tracing::Instrument;

use crate::headers::ActixHeaders;
use crate::response::{holding_payload, rejection_response};

/// The service [`WebhookVerify`](crate::WebhookVerify) wraps around each worker's copy of the
/// inner service.
///
/// For every request it checks the signature header and `Content-Length`, reads the payload
/// within the body limit, verifies and claims the event, then runs the inner service with
/// the body restored and the [`VerifiedDelivery`](hookverify::pipeline::VerifiedDelivery) in
/// the request extensions. The wrapped service runs to its end even when the client hangs
/// up (handed to the worker's local runtime as a task of its own if the request is dropped
/// first), its claim renewed while it runs; the claim is completed on a 2xx answer and
/// released on anything else: another status, an `Err` or a panic (which is then resumed).
/// Short-circuit answers are the right side of the [`EitherBody`].
pub struct WebhookVerifyMiddleware<S> {
    inner: Rc<Inner<S>>,
}

struct Inner<S> {
    service: S,
    pipeline: Pipeline,
    /// A [`PayloadConfig`] with this middleware's body limit, for handlers that read the
    /// restored body with actix's own extractors (see [`body_extractors_limit`]).
    payload_config: Rc<Extensions>,
}

impl<S> WebhookVerifyMiddleware<S> {
    pub(crate) fn new(service: S, pipeline: Pipeline) -> Self {
        let payload_config = payload_config(pipeline.body_limit());
        Self {
            inner: Rc::new(Inner {
                service,
                pipeline,
                payload_config,
            }),
        }
    }
}

fn payload_config(limit: usize) -> Rc<Extensions> {
    let mut extensions = Extensions::new();
    extensions.insert(PayloadConfig::new(limit));
    Rc::new(extensions)
}

/// actix-web's own body extractors apply their own limits again: `web::Bytes` and `String`
/// their [`PayloadConfig`] (256 KiB unless the app sets one), `web::Json` its [`JsonConfig`]
/// (2 MB). A delivery this middleware verified and claimed over those would be refused by
/// the handler with 413 and released, and every retry would meet the same 413. Unless the
/// app configured them itself (then they stand; one set on a resource inside this
/// middleware's scope is found later and takes precedence anyway), the request gets limits
/// that admit the verified body.
fn body_extractors_limit<S>(inner: &Inner<S>, req: &mut ServiceRequest, body_len: usize) {
    /// actix-web's default `JsonConfig` limit.
    const ACTIX_JSON_DEFAULT_LIMIT: usize = 2_097_152;
    let payload_set = req.app_data::<PayloadConfig>().is_some()
        || req.app_data::<Data<PayloadConfig>>().is_some();
    let json_needed = body_len > ACTIX_JSON_DEFAULT_LIMIT
        && req.app_data::<JsonConfig>().is_none()
        && req.app_data::<Data<JsonConfig>>().is_none();
    let limit = inner.pipeline.body_limit();
    if !payload_set && !json_needed && body_len <= limit {
        // The common case: one container per worker, shared.
        req.add_data_container(Rc::clone(&inner.payload_config));
        return;
    }
    if payload_set && !json_needed {
        return;
    }
    let mut extensions = Extensions::new();
    if !payload_set {
        // A canonical form may be longer than the limit its raw body was held to.
        extensions.insert(PayloadConfig::new(limit.max(body_len)));
    }
    if json_needed {
        extensions.insert(JsonConfig::default().limit(body_len));
    }
    req.add_data_container(Rc::new(extensions));
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
    let mut payload = req.take_payload();
    if req.extensions().contains::<VerifiedDelivery>() {
        return Ok(short_circuit(req, inner.pipeline.nested_layer(), payload));
    }
    let admitted = match inner
        .pipeline
        .receive(&ActixHeaders(req.headers()), &mut payload)
        .await
    {
        Ok(admitted) => admitted,
        Err(rejection) => return Ok(short_circuit(req, rejection, payload)),
    };
    let (delivery, runner) = admitted.into_parts();
    // The handler reads the signed bytes, which may be a canonical form of another length,
    // and whole: a `Transfer-Encoding` left next to the new `Content-Length` would make a
    // handler that forwards the request send an ambiguous one. Usually the sender's own
    // header already states the length: left as it is, no header value built per delivery.
    let transfer_encoded = req.headers_mut().remove(TRANSFER_ENCODING).next().is_some();
    let content_lengths = req.headers().get_all(CONTENT_LENGTH);
    if transfer_encoded || !delivery.is_declared_by(content_lengths.map(HeaderValue::as_bytes)) {
        req.headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(delivery.body().len()));
    }
    req.set_payload(Payload::from(delivery.body().clone()));
    body_extractors_limit(&inner, &mut req, delivery.body().len());
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
        // A rejection after the handler started (the runner's room for one) travels as an
        // error that renders as its response.
        Err(rejection) => {
            let response = rejection_response(rejection.clone());
            Err(actix_web::error::InternalError::from_response(rejection, response).into())
        }
    }
}

/// The rejection's answer; the request's payload, possibly unfinished, goes with it so that
/// actix-web closes the connection rather than reading the rest (see [`holding_payload`]).
fn short_circuit<B>(
    req: ServiceRequest,
    rejection: Rejection,
    payload: Payload,
) -> ServiceResponse<EitherBody<B>> {
    req.into_response(holding_payload(rejection_response(rejection), payload))
        .map_into_right_body()
}
