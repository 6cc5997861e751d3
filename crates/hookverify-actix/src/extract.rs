//! Extractors: the handler's view of a verified delivery.

use std::fmt;
use std::future::{ready, Ready};
use std::ops::{Deref, DerefMut};

use actix_web::dev::Payload;
use actix_web::http::header::ContentType;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use hookverify::pipeline::{ExtractError, FromDelivery, VerifiedDelivery};

/// The verified event as `T`: a provider event type from [`hookverify::events`],
/// [`AnyEvent`](hookverify::events::AnyEvent) (any provider), or any `T: DeserializeOwned`
/// (a body that does not fit it is answered 422 with `{"error":"unprocessable_payload"}`).
///
/// Needs [`WebhookVerify`](crate::WebhookVerify) on the route; without it the extractor
/// answers 500 so that the mistake is noticed at once.
///
/// ```
/// use actix_web::HttpResponse;
/// use hookverify::events::AnyEvent;
/// use hookverify_actix::Webhook;
///
/// async fn handle(Webhook(event): Webhook<AnyEvent>) -> HttpResponse {
///     HttpResponse::Ok().body(event.event_type().to_owned())
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
#[must_use]
pub struct Webhook<T>(pub T);

impl<T> Webhook<T> {
    /// The event.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Webhook<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Webhook<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: FromDelivery + 'static> FromRequest for Webhook<T> {
    type Error = WebhookRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let extensions = req.extensions();
        let result = match extensions.get::<VerifiedDelivery>() {
            Some(delivery) => T::from_delivery(delivery)
                .map(Webhook)
                .map_err(WebhookRejection),
            None => Err(missing_layer()),
        };
        ready(result)
    }
}

/// The verified delivery itself: provider, deduplication key and the body exactly as
/// received. Dereferences to [`VerifiedDelivery`].
///
/// Needs [`WebhookVerify`](crate::WebhookVerify) on the route; without it the extractor
/// answers 500.
///
/// ```
/// use hookverify_actix::VerifiedWebhook;
///
/// async fn handle(delivery: VerifiedWebhook) -> String {
///     format!("{} {} bytes", delivery.provider(), delivery.body().len())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct VerifiedWebhook(pub VerifiedDelivery);

impl VerifiedWebhook {
    /// The delivery.
    #[must_use]
    pub fn into_inner(self) -> VerifiedDelivery {
        self.0
    }
}

impl Deref for VerifiedWebhook {
    type Target = VerifiedDelivery;

    fn deref(&self) -> &VerifiedDelivery {
        &self.0
    }
}

impl FromRequest for VerifiedWebhook {
    type Error = WebhookRejection;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let delivery = req.extensions().get::<VerifiedDelivery>().cloned();
        ready(delivery.map(VerifiedWebhook).ok_or_else(missing_layer))
    }
}

fn missing_layer() -> WebhookRejection {
    tracing::error!(
        "a webhook extractor ran on a route without the WebhookVerify middleware; answering 500"
    );
    WebhookRejection(ExtractError::MissingLayer)
}

/// Why [`Webhook`] or [`VerifiedWebhook`] could not extract: the core [`ExtractError`] as an
/// actix-web [`ResponseError`] (500 for a missing middleware, 422 for a body that does not
/// fit the type), answered with its JSON body.
#[derive(Debug, Clone)]
pub struct WebhookRejection(pub ExtractError);

impl WebhookRejection {
    /// The underlying error.
    #[must_use]
    pub fn error(&self) -> &ExtractError {
        &self.0
    }

    /// The HTTP status code: 500 or 422.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.0.status()
    }

    /// The JSON response body.
    #[must_use]
    pub fn body(&self) -> String {
        self.0.body()
    }
}

impl From<ExtractError> for WebhookRejection {
    fn from(error: ExtractError) -> Self {
        Self(error)
    }
}

impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for WebhookRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl ResponseError for WebhookRejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The JSON body with `content-type: application/json`, and the [`ExtractError`] in the
    /// response extensions for outer middleware.
    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code())
            .insert_header(ContentType::json())
            .body(self.0.body());
        response.extensions_mut().insert(self.0.clone());
        response
    }
}
