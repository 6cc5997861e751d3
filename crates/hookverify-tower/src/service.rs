//! The tower [`Service`] that runs the webhook pipeline around an inner service.

use std::panic::AssertUnwindSafe;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::FutureExt;
use hookverify::pipeline::Pipeline;
use http::header::CONTENT_LENGTH;
use http::{HeaderValue, Request, Response};
use http_body::Body;
use http_body_util::Full;
use tower_service::Service;
use tracing::Instrument;

use crate::body::{read_limited, BoxError};
use crate::future::{ResponseFuture, SettleGuard};
use crate::response::{rejection_response, ResponseBody};

/// The service built by [`WebhookVerify`](crate::WebhookVerify): verifies, deduplicates and
/// admits each delivery, then calls the inner service and settles the delivery's claim by the
/// answer.
///
/// For each request:
/// 1. [`Pipeline::precheck`] on the headers and `Content-Length`: 401 without a signature
///    header of an allowed provider, 413 for a declared length over the limit;
/// 2. the body is read with a hard cap at the limit (a streamed body is cut off there: 413);
/// 3. [`Pipeline::admit`]: 401, 400, 409, 503, or 200 `{"status":"duplicate"}` short-circuit;
/// 4. the inner service receives the request with the body restored as a [`Full<Bytes>`] and
///    the [`VerifiedDelivery`](hookverify::pipeline::VerifiedDelivery) in its extensions;
/// 5. a 2xx answer completes the claim; any other answer, an `Err`, a panic (re-raised after
///    the release) or a dropped response future releases it, so the sender's retry is processed.
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
        let span = Pipeline::span();
        let checked = {
            let _entered = span.enter();
            let (parts, body) = request.into_parts();
            let declared = parts
                .headers
                .get(CONTENT_LENGTH)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.parse::<u64>().ok())
                .or_else(|| body.size_hint().exact());
            self.pipeline
                .precheck(&parts.headers, declared)
                .map(|_| (parts, body))
        };
        let (parts, body) = match checked {
            Ok(checked) => checked,
            Err(rejection) => return ResponseFuture::ready(rejection_response(rejection)),
        };

        // The service that was driven to readiness goes into the future; a fresh clone stays.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let pipeline = self.pipeline.clone();
        ResponseFuture::running(run(pipeline, inner, parts, body).instrument(span))
    }
}

async fn run<S, ReqBody, ResBody>(
    pipeline: Pipeline,
    mut inner: S,
    mut parts: http::request::Parts,
    body: ReqBody,
) -> Result<Response<ResponseBody<ResBody>>, S::Error>
where
    S: Service<Request<Full<Bytes>>, Response = Response<ResBody>>,
    ReqBody: Body,
    ReqBody::Error: Into<BoxError>,
{
    let admitted = match read_limited(body, &pipeline).await {
        Ok(bytes) => pipeline.admit(&parts.headers, bytes).await,
        Err(rejection) => Err(rejection),
    };
    let admitted = match admitted {
        Ok(admitted) => admitted,
        Err(rejection) => return Ok(rejection_response(rejection)),
    };
    let (delivery, settlement) = admitted.into_parts();
    let guard = SettleGuard::new(settlement);

    // The handler reads the signed bytes, which may be a canonical form of another length.
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(delivery.body().len()));
    let mut request = Request::from_parts(parts, Full::new(delivery.body().clone()));
    request.extensions_mut().insert(delivery);

    let called = std::panic::catch_unwind(AssertUnwindSafe(|| inner.call(request)));
    let outcome = match called {
        Ok(future) => AssertUnwindSafe(future).catch_unwind().await,
        Err(panic) => Err(panic),
    };
    match outcome {
        Ok(Ok(response)) => {
            guard.settle(response.status().is_success()).await;
            Ok(response.map(ResponseBody::inner))
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
        let signature = testing::sign(Provider::Generic, &secret(), BODY.as_bytes()).unwrap();
        Request::post("/webhook")
            .header(signature.name(), signature.value())
            .body(Full::new(Bytes::from_static(BODY.as_bytes())))
            .unwrap()
    }

    fn layer() -> WebhookVerify {
        WebhookVerify::from_config(WebhookConfig::new(secret()))
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

    #[tokio::test]
    async fn dropped_future_releases_the_claim() {
        let entered = Arc::new(tokio::sync::Notify::new());
        let calls = Arc::new(AtomicUsize::new(0));
        let inner = {
            let entered = entered.clone();
            let calls = calls.clone();
            tower::service_fn(move |_request: Request<Full<Bytes>>| {
                let call = calls.fetch_add(1, Ordering::SeqCst) + 1;
                let entered = entered.clone();
                async move {
                    if call == 1 {
                        entered.notify_one();
                        std::future::pending::<()>().await;
                    }
                    Ok::<_, Infallible>(Response::new(Empty::<Bytes>::new()))
                }
            })
        };
        let service = tower::Layer::layer(&layer(), inner);
        let first = tokio::spawn(service.clone().oneshot(request()));
        entered.notified().await;
        // While the first delivery runs, a copy is in flight elsewhere.
        let copy = service.clone().oneshot(request()).await.unwrap();
        assert_eq!(copy.status(), StatusCode::CONFLICT);
        assert!(copy.headers().contains_key(http::header::RETRY_AFTER));

        first.abort(); // the client went away: the response future is dropped
        assert!(first.await.unwrap_err().is_cancelled());
        let mut retry = None;
        for _ in 0..100 {
            let response = service.clone().oneshot(request()).await.unwrap();
            if response.status() == StatusCode::OK {
                retry = Some(response);
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(retry.is_some(), "the claim was never released");
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
}
