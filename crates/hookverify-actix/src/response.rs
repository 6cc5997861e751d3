//! Short-circuit answers: a [`Rejection`] as an actix-web response.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::Payload;
use actix_web::http::header::{self, ContentType};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use hookverify::pipeline::Rejection;

/// The response for `rejection`: its status, JSON body, `Retry-After` for every 503, and
/// the rejection itself in the response extensions for outer middleware.
pub(crate) fn rejection_response(rejection: Rejection) -> HttpResponse {
    let status =
        StatusCode::from_u16(rejection.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    builder.insert_header(ContentType::json());
    if let Some(secs) = rejection.retry_after_secs() {
        builder.insert_header((header::RETRY_AFTER, secs));
    }
    if rejection.closes_connection() {
        builder.force_close();
    }
    let mut response = builder.body(rejection.body());
    response.extensions_mut().insert(rejection);
    response
}

/// `response` with the request's unread `payload` kept alive until its body has been
/// written. actix-web decides whether to close the connection as it writes the answer:
/// with the payload still held, an unfinished body closes it; with the payload dropped, a
/// chunked body is read and discarded to its end first, however slowly it comes, so a
/// client that stops sending holds the connection.
pub(crate) fn holding_payload(response: HttpResponse, payload: Payload) -> HttpResponse {
    response.map_body(|_, body| {
        BoxBody::new(HoldingPayload {
            body,
            _payload: payload,
        })
    })
}

/// A body that owns the request's payload until it is dropped (see [`holding_payload`]).
struct HoldingPayload {
    body: BoxBody,
    /// Held, never read.
    _payload: Payload,
}

impl MessageBody for HoldingPayload {
    type Error = <BoxBody as MessageBody>::Error;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use actix_web::body::to_bytes;

    use super::*;

    #[actix_rt::test]
    async fn in_flight_carries_retry_after_and_the_rejection() {
        let response = rejection_response(Rejection::InFlight {
            retry_after: Duration::from_millis(2500),
        });
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "3");
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/json"
        );
        assert!(matches!(
            response.extensions().get::<Rejection>(),
            Some(Rejection::InFlight { .. })
        ));
        let body = to_bytes(response.into_body()).await.unwrap();
        assert_eq!(&body[..], br#"{"error":"in_flight"}"#);
    }

    #[actix_rt::test]
    async fn duplicate_is_200_without_retry_after() {
        let response = rejection_response(Rejection::Duplicate { same_body: true });
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().get(header::RETRY_AFTER).is_none());
        let body = to_bytes(response.into_body()).await.unwrap();
        assert_eq!(&body[..], br#"{"status":"duplicate"}"#);
    }
}
