//! The tower [`Service`] that runs the webhook pipeline around an inner service.

use std::task::{Context, Poll};

use bytes::Bytes;
use hookverify::pipeline::{BoxError, Pipeline, VerifiedDelivery};
use http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use http::{HeaderValue, Request, Response};
use http_body::Body;
use http_body_util::{BodyDataStream, Full};
use tower_service::Service;
use tracing::Instrument;

use crate::future::ResponseFuture;
use crate::headers::RequestHeaders;
use crate::response::{refused, rejection_response, ResponseBody};

/// The service built by [`WebhookVerify`](crate::WebhookVerify): verifies, deduplicates and
/// admits each delivery, then calls the inner service and settles the delivery's claim by the
/// answer.
///
/// For each request:
/// 1. [`Pipeline::precheck`] on the headers and `Content-Length`: 401 without a signature
///    header of an allowed provider, 413 for a declared length over the limit;
/// 2. the body is read with a hard cap at the limit (a streamed body is cut off there: 413);
/// 3. [`Pipeline::admit`]: 401, 400, 503, or 200 `{"status":"duplicate"}` short-circuit;
/// 4. the inner service receives the request with the body restored as a [`Full<Bytes>`] and
///    the [`VerifiedDelivery`](hookverify::pipeline::VerifiedDelivery) in its extensions;
/// 5. the inner service runs to its end even when the client hangs up (handed to the runtime
///    as a task of its own by [`Runner::run`](hookverify::pipeline::Runner::run) if this
///    future is dropped first), with its claim renewed while it runs; a
///    2xx answer completes the claim; any other answer, an `Err` or a panic (re-raised after
///    the release) releases it, so the sender's retry is processed.
///
/// Short-circuit responses carry the [`Rejection`](hookverify::pipeline::Rejection) in their
/// extensions.
#[derive(Debug, Clone)]
pub struct WebhookVerifyService<S> {
    inner: S,
    pipeline: Pipeline,
}

impl<S> WebhookVerifyService<S> {
    /// Wraps `inner` with `pipeline`; usually built by [`WebhookVerify`](crate::WebhookVerify).
    pub fn new(inner: S, pipeline: Pipeline) -> Self {
        Self { inner, pipeline }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Gives up the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }

    /// The pipeline this service runs.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for WebhookVerifyService<S>
where
    S: Service<Request<Full<Bytes>>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ReqBody: Body + Send + 'static,
    ReqBody::Data: Send,
    ReqBody::Error: Into<BoxError>,
    ResBody: Send + 'static,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        // The service that was driven to readiness goes into the future; a fresh clone stays.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let pipeline = self.pipeline.clone();
        ResponseFuture::running(run(pipeline, inner, request).instrument(Pipeline::span()))
    }
}

/// Framework glue around the core lifecycle: the request's headers and body stream in, the
/// inner service's response or the rejection out.
async fn run<S, ReqBody, ResBody>(
    pipeline: Pipeline,
    inner: S,
    request: Request<ReqBody>,
) -> Result<Response<ResponseBody<ResBody>>, S::Error>
where
    S: Service<Request<Full<Bytes>>, Response = Response<ResBody>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ReqBody: Body,
    ReqBody::Error: Into<BoxError>,
    ResBody: Send + 'static,
{
    if request.extensions().get::<VerifiedDelivery>().is_some() {
        return Ok(refused(pipeline.nested_layer(), request.version()));
    }
    let (mut parts, body) = request.into_parts();
    let headers = RequestHeaders {
        map: &parts.headers,
        version: parts.version,
    };
    let admitted = match pipeline.receive(&headers, BodyDataStream::new(body)).await {
        Ok(admitted) => admitted,
        Err(rejection) => return Ok(refused(rejection, parts.version)),
    };
    let (delivery, runner) = admitted.into_parts();
    // The handler reads the signed bytes, which may be a canonical form of another length,
    // and whole: a `Transfer-Encoding` left next to the new `Content-Length` would make a
    // handler that forwards the request send an ambiguous one. Usually the sender's own
    // header already states the length: left as it is, no header value built per delivery.
    let transfer_encoded = parts.headers.remove(TRANSFER_ENCODING).is_some();
    let content_lengths = parts.headers.get_all(CONTENT_LENGTH);
    if transfer_encoded
        || !delivery.is_declared_by(content_lengths.iter().map(HeaderValue::as_bytes))
    {
        parts
            .headers
            .insert(CONTENT_LENGTH, HeaderValue::from(delivery.body().len()));
    }
    let mut request = Request::from_parts(parts, Full::new(delivery.body().clone()));
    #[cfg(feature = "axum")]
    admit_in_axum_extractors(&mut request, delivery.body().len());
    request.extensions_mut().insert(delivery);
    let mut inner = inner;
    let answered = runner
        .run(
            move || inner.call(request),
            |outcome| matches!(outcome, Ok(response) if response.status().is_success()),
        )
        .await;
    match answered {
        Ok(Ok(response)) => Ok(response.map(ResponseBody::inner)),
        Ok(Err(error)) => Err(error),
        Err(rejection) => Ok(rejection_response(rejection)),
    }
}

/// axum's own body extractors (`Bytes`, `String`, `Json`) apply `DefaultBodyLimit` again,
/// 2 MB unless the app sets one: a delivery this layer verified and claimed over that (with a
/// `body_limit` above it) would be refused by the handler with 413, released, and refused
/// again on every retry. Such a request gets a limit that admits its verified body.
#[cfg(feature = "axum")]
fn admit_in_axum_extractors<B>(request: &mut Request<B>, body_len: usize) {
    /// axum's default body limit for its extractors.
    const AXUM_DEFAULT_BODY_LIMIT: usize = 2_097_152;
    if body_len > AXUM_DEFAULT_BODY_LIMIT {
        axum_core::extract::DefaultBodyLimit::max(body_len).apply(request);
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use hookverify::pipeline::{Rejection, VerifiedDelivery, WebhookConfig};
    use hookverify::{testing, Provider, Secret};
    use http::StatusCode;
    use http_body_util::{BodyExt, Empty};
    use tower::ServiceExt;

    use super::*;
    use crate::WebhookVerify;

    const BODY: &str =
        r#"{"id":"evt_1","type":"user.created","created_at":"2025-01-01T00:00:00Z","data":{}}"#;

    fn secret() -> Secret {
        Secret::new("whsec_test").unwrap()
    }

    fn request() -> Request<Full<Bytes>> {
        let signature = testing::sign(Provider::GENERIC, &secret(), BODY.as_bytes()).unwrap();
        Request::post("/webhook")
            .header(signature.name(), signature.value())
            .body(Full::new(Bytes::from_static(BODY.as_bytes())))
            .unwrap()
    }

    /// The layer over the default store, in a namespace of its own: tests in one process
    /// share the default store of their secret, and must not see each other's events.
    fn layer() -> WebhookVerify {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        WebhookVerify::from_config(
            WebhookConfig::new(secret()).namespace(format!("tower-unit-{n}")),
        )
    }

    type Answer = Result<Response<Empty<Bytes>>, &'static str>;

    /// An inner service answering `answers[call]` (then 200), counting its calls.
    fn counting(
        calls: Arc<AtomicUsize>,
        answer: impl Fn(usize) -> Answer + Clone + Send + 'static,
    ) -> impl Service<
        Request<Full<Bytes>>,
        Response = Response<Empty<Bytes>>,
        Error = &'static str,
        Future = impl Send,
    > + Clone
           + Send {
        tower::service_fn(move |request: Request<Full<Bytes>>| {
            let call = calls.fetch_add(1, Ordering::SeqCst) + 1;
            let answer = answer.clone();
            async move {
                assert!(request.extensions().get::<VerifiedDelivery>().is_some());
                let body = request.into_body().collect().await.unwrap().to_bytes();
                assert_eq!(body, BODY.as_bytes());
                answer(call)
            }
        })
    }

    fn status(code: u16) -> Answer {
        let mut response = Response::new(Empty::new());
        *response.status_mut() = StatusCode::from_u16(code).unwrap();
        Ok(response)
    }

    #[tokio::test]
    async fn success_completes_and_a_copy_is_a_duplicate() {
        let calls = Arc::new(AtomicUsize::new(0));
        let service = tower::Layer::layer(&layer(), counting(calls.clone(), |_| status(200)));
        let first = service.clone().oneshot(request()).await.unwrap();
        assert_eq!(first.status(), StatusCode::OK);
        let second = service.oneshot(request()).await.unwrap();
        assert_eq!(second.status(), StatusCode::OK);
        assert!(matches!(
            second.extensions().get::<Rejection>(),
            Some(Rejection::Duplicate { .. })
        ));
        let body = second.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, &br#"{"status":"duplicate"}"#[..]);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn inner_error_releases_the_claim() {
        let calls = Arc::new(AtomicUsize::new(0));
        let inner = counting(calls.clone(), |call| {
            if call == 1 {
                Err("boom")
            } else {
                status(200)
            }
        });
        let service = tower::Layer::layer(&layer(), inner);
        assert_eq!(service.clone().oneshot(request()).await.err(), Some("boom"));
        let retry = service.oneshot(request()).await.unwrap();
        assert_eq!(retry.status(), StatusCode::OK);
        assert!(retry.extensions().get::<Rejection>().is_none());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn two_layers_on_one_route_answer_500_not_in_flight() {
        let calls = Arc::new(AtomicUsize::new(0));
        let inner = counting(calls.clone(), |_| status(200));
        let service = tower::Layer::layer(&layer(), tower::Layer::layer(&layer(), inner));
        let response = service.oneshot(request()).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(matches!(
            response.extensions().get::<Rejection>(),
            Some(Rejection::NestedLayer)
        ));
        let answer = response.into_body().collect().await.unwrap().to_bytes();
        assert!(
            String::from_utf8_lossy(&answer).contains("webhook_verify_nested"),
            "{answer:?}"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn non_2xx_releases_the_claim() {
        let calls = Arc::new(AtomicUsize::new(0));
        let inner = counting(calls.clone(), |call| {
            status(if call == 1 { 503 } else { 204 })
        });
        let service = tower::Layer::layer(&layer(), inner);
        let first = service.clone().oneshot(request()).await.unwrap();
        assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE);
        let retry = service.oneshot(request()).await.unwrap();
        assert_eq!(retry.status(), StatusCode::NO_CONTENT);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn panic_releases_then_unwinds() {
        let calls = Arc::new(AtomicUsize::new(0));
        let inner = counting(calls.clone(), |call| {
            assert!(call != 1, "handler panics on its first call");
            status(200)
        });
        let service = tower::Layer::layer(&layer(), inner);
        let first = tokio::spawn(service.clone().oneshot(request())).await;
        assert!(first.unwrap_err().is_panic());
        let retry = service.oneshot(request()).await.unwrap();
        assert_eq!(retry.status(), StatusCode::OK);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    /// An inner service whose first call waits for `finish` (forever, without it).
    fn first_call_waits(
        entered: Arc<tokio::sync::Notify>,
        finish: Option<Arc<tokio::sync::Notify>>,
        calls: Arc<AtomicUsize>,
    ) -> impl Service<
        Request<Full<Bytes>>,
        Response = Response<Empty<Bytes>>,
        Error = Infallible,
        Future = impl Send,
    > + Clone {
        tower::service_fn(move |_request: Request<Full<Bytes>>| {
            let call = calls.fetch_add(1, Ordering::SeqCst) + 1;
            let entered = entered.clone();
            let finish = finish.clone();
            async move {
                if call == 1 {
                    entered.notify_one();
                    match finish {
                        Some(finish) => finish.notified().await,
                        None => std::future::pending::<()>().await,
                    }
                }
                Ok::<_, Infallible>(Response::new(Empty::<Bytes>::new()))
            }
        })
    }

    /// Sends copies until one is answered `status` (the first delivery settles on its own
    /// task), and returns it.
    async fn until_status<S>(
        service: &S,
        status: StatusCode,
    ) -> Response<ResponseBody<Empty<Bytes>>>
    where
        S: Service<
                Request<Full<Bytes>>,
                Response = Response<ResponseBody<Empty<Bytes>>>,
                Error = Infallible,
            > + Clone,
    {
        for _ in 0..200 {
            let response = service.clone().oneshot(request()).await.unwrap();
            if response.status() == status {
                return response;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("never answered {status}");
    }

    #[tokio::test]
    async fn a_handler_finishes_when_the_client_hangs_up() {
        let (entered, finish) = (
            Arc::new(tokio::sync::Notify::new()),
            Arc::new(tokio::sync::Notify::new()),
        );
        let calls = Arc::new(AtomicUsize::new(0));
        let inner = first_call_waits(entered.clone(), Some(finish.clone()), calls.clone());
        let service = tower::Layer::layer(&layer(), inner);
        let first = tokio::spawn(service.clone().oneshot(request()));
        entered.notified().await;
        // While the first delivery runs, a copy is told to come back: 503, which every
        // sender retries.
        let copy = service.clone().oneshot(request()).await.unwrap();
        assert_eq!(copy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(copy.headers().contains_key(http::header::RETRY_AFTER));

        first.abort(); // the sender timed out: the response future is dropped
        assert!(first.await.unwrap_err().is_cancelled());
        finish.notify_one(); // the handler goes on regardless, and completes
        let retry = until_status(&service, StatusCode::OK).await;
        let body = retry.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&body[..], br#"{"status":"duplicate"}"#);
        assert_eq!(calls.load(Ordering::SeqCst), 1, "the handler ran once");
    }

    #[tokio::test]
    async fn cancel_on_disconnect_drops_the_handler_and_releases_the_claim() {
        let entered = Arc::new(tokio::sync::Notify::new());
        let calls = Arc::new(AtomicUsize::new(0));
        let inner = first_call_waits(entered.clone(), None, calls.clone());
        let service = tower::Layer::layer(&layer().cancel_on_disconnect(true), inner);
        let first = tokio::spawn(service.clone().oneshot(request()));
        entered.notified().await;
        first.abort();
        assert!(first.await.unwrap_err().is_cancelled());
        let retry = until_status(&service, StatusCode::OK).await;
        let body = retry.into_body().collect().await.unwrap().to_bytes();
        assert!(body.is_empty(), "the retry ran the handler: {body:?}");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    /// An inner service that must be driven to readiness before each call, as tower requires.
    #[derive(Default)]
    struct NeedsReady {
        ready: bool,
    }

    impl Clone for NeedsReady {
        fn clone(&self) -> Self {
            Self::default() // a clone has not been driven to readiness
        }
    }

    impl Service<Request<Full<Bytes>>> for NeedsReady {
        type Response = Response<Empty<Bytes>>;
        type Error = Infallible;
        type Future = std::future::Ready<Result<Self::Response, Infallible>>;

        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            self.ready = true;
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _request: Request<Full<Bytes>>) -> Self::Future {
            assert!(self.ready, "called without poll_ready");
            self.ready = false;
            std::future::ready(Ok(Response::new(Empty::new())))
        }
    }

    #[tokio::test]
    async fn the_service_driven_to_readiness_is_the_one_called() {
        let mut service = tower::Layer::layer(&layer().dedup(false), NeedsReady::default());
        for _ in 0..3 {
            let ready = ServiceExt::<Request<Full<Bytes>>>::ready(&mut service)
                .await
                .unwrap();
            let response = ready.call(request()).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
        }
    }

    #[tokio::test]
    async fn missing_signature_is_refused_before_the_body_is_read() {
        let calls = Arc::new(AtomicUsize::new(0));
        let service = tower::Layer::layer(&layer(), counting(calls.clone(), |_| status(200)));
        let request = Request::post("/webhook")
            .body(Full::new(Bytes::from_static(b"{}")))
            .unwrap();
        let response = service.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()[http::header::CONTENT_TYPE],
            "application/json"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    #[cfg(feature = "axum")]
    #[tokio::test]
    async fn axum_body_extractors_take_every_body_the_layer_verified() {
        // axum's `Bytes` applies its 2 MB default limit: a verified 3 MB delivery under a
        // 4 MiB `body_limit` must still reach the handler whole.
        let body = format!(
            r#"{{"id":"evt_big","type":"t","created_at":"2025-01-01T00:00:00Z","data":{{"pad":"{}"}}}}"#,
            "x".repeat(3_000_000)
        );
        let signature = testing::sign(Provider::GENERIC, &secret(), body.as_bytes()).unwrap();
        let app = axum::Router::new()
            .route(
                "/webhook",
                axum::routing::post(|bytes: Bytes| async move { bytes.len().to_string() }),
            )
            .route_layer(layer().body_limit(4 << 20));
        let request = Request::post("/webhook")
            .header(signature.name(), signature.value())
            .body(axum::body::Body::from(body.clone()))
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let answered = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(answered, body.len().to_string().as_bytes());
    }
}
