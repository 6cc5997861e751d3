//! The response body of the layer and the responses it answers with itself.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hookverify::pipeline::Rejection;
use http::header::{HeaderValue, CONNECTION, CONTENT_TYPE, RETRY_AFTER};
use http::Version;
use http::{Response, StatusCode};
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

pin_project! {
    /// The body of a [`WebhookVerifyService`](crate::WebhookVerifyService) response: the inner
    /// service's body, or the small JSON body of a short-circuit answer ([`Rejection`]).
    ///
    /// It implements [`http_body::Body`] with `Data = Bytes` and the inner body's error, so it
    /// drops into axum (`Response<ResponseBody<B>>` is `IntoResponse`) and hyper as is.
    #[derive(Debug)]
    pub struct ResponseBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProj]
    #[derive(Debug)]
    enum Kind<B> {
        Inner { #[pin] body: B },
        Short { body: Option<Bytes> },
    }
}

impl<B> ResponseBody<B> {
    /// Wraps the inner service's body.
    pub fn inner(body: B) -> Self {
        Self {
            kind: Kind::Inner { body },
        }
    }

    /// A complete body of the given bytes.
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Self {
            kind: Kind::Short {
                body: (!bytes.is_empty()).then_some(bytes),
            },
        }
    }
}

impl<B> Body for ResponseBody<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        match self.project().kind.project() {
            KindProj::Inner { body } => body.poll_frame(cx),
            KindProj::Short { body } => {
                Poll::Ready(body.take().map(|bytes| Ok(Frame::data(bytes))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Short { body } => body.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Short { body } => {
                SizeHint::with_exact(body.as_ref().map_or(0, |bytes| bytes.len() as u64))
            }
        }
    }
}

/// [`rejection_response`] for a request of `version`, closing an HTTP/1 connection whose
/// body the rejection left unread ([`Rejection::closes_connection`]); HTTP/2 has no
/// `Connection` header, and its streams end on their own.
pub(crate) fn refused<B>(rejection: Rejection, version: Version) -> Response<ResponseBody<B>> {
    let close = rejection.closes_connection() && version <= Version::HTTP_11;
    let mut response = rejection_response(rejection);
    if close {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// The response for a short-circuit answer: its status, the JSON body with
/// `content-type: application/json`, `Retry-After` for every 503, and the [`Rejection`]
/// itself in the response extensions for outer layers.
pub(crate) fn rejection_response<B>(rejection: Rejection) -> Response<ResponseBody<B>> {
    let mut response = Response::new(ResponseBody::full(Bytes::from_static(
        rejection.body().as_bytes(),
    )));
    *response.status_mut() =
        StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(seconds) = rejection.retry_after_secs() {
        headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response.extensions_mut().insert(rejection);
    response
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http_body_util::{BodyExt, Empty};

    use super::*;

    #[test]
    fn an_unread_body_closes_http1_connections_only() {
        let unread = || Rejection::UnverifiedBudgetFull;
        for (version, close) in [
            (Version::HTTP_10, true),
            (Version::HTTP_11, true),
            (Version::HTTP_2, false),
        ] {
            let response = refused::<Empty<Bytes>>(unread(), version);
            assert_eq!(
                response.headers().get(CONNECTION).is_some(),
                close,
                "{version:?}"
            );
        }
        let read = refused::<Empty<Bytes>>(Rejection::HandlerAborted, Version::HTTP_11);
        assert!(read.headers().get(CONNECTION).is_none());
    }

    #[tokio::test]
    async fn in_flight_has_retry_after_and_extension() {
        let response = rejection_response::<Empty<Bytes>>(Rejection::InFlight {
            retry_after: Duration::from_millis(2500),
        });
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[RETRY_AFTER], "3");
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        assert!(matches!(
            response.extensions().get::<Rejection>(),
            Some(Rejection::InFlight { .. })
        ));
        let body = response.into_body();
        assert_eq!(body.size_hint().exact(), Some(21));
        let bytes = body
            .collect()
            .await
            .map(http_body_util::Collected::to_bytes);
        assert_eq!(
            bytes.ok().as_deref(),
            Some(&br#"{"error":"in_flight"}"#[..])
        );
    }

    #[test]
    fn duplicate_is_200_without_retry_after() {
        let response = rejection_response::<Empty<Bytes>>(Rejection::Duplicate { same_body: true });
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().get(RETRY_AFTER).is_none());
    }
}
