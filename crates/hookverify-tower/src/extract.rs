//! axum extractors for handlers behind [`WebhookVerify`](crate::WebhookVerify).

use std::fmt;
use std::ops::Deref;

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use hookverify::pipeline::{ExtractError, FromDelivery, VerifiedDelivery};
use http::header::{HeaderValue, CONTENT_TYPE};
use http::request::Parts;
use http::StatusCode;

/// The verified event as `T`: a sender's event type (`PromptLayerEvent`, `PrismEvent`,
/// `PromptReportsEvent`, `GenericEvent`, `GitHubEvent`, `StandardWebhooksEvent`,
/// `StripeEvent`), [`AnyEvent`](hookverify::events::AnyEvent) over all of them, or any
/// `T: DeserializeOwned`.
///
/// Reads the [`VerifiedDelivery`] the layer put in the request extensions, so it does not
/// consume the body and combines with any other extractor. A body that does not fit `T` is
/// 422; a route without the layer is 500 (see [`WebhookRejection`]).
///
/// ```
/// use axum::{http::StatusCode, routing::post, Router};
/// use hookverify::events::AnyEvent;
/// use hookverify::Secret;
/// use hookverify_tower::{Webhook, WebhookVerify};
///
/// async fn handle(Webhook(event): Webhook<AnyEvent>) -> StatusCode {
///     tracing::info!(event_type = event.event_type(), "webhook");
///     StatusCode::NO_CONTENT
/// }
///
/// let app: Router = Router::new().route(
///     "/webhooks",
///     post(handle).route_layer(WebhookVerify::new(Secret::new("whsec_example").unwrap())),
/// );
/// ```
#[derive(Debug, Clone, Copy, Default)]
#[must_use]
pub struct Webhook<T>(pub T);

impl<T> Deref for Webhook<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Webhook<T> {
    /// The event.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T, S> FromRequestParts<S> for Webhook<T>
where
    T: FromDelivery,
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let delivery = delivery(parts)?;
        T::from_delivery(delivery)
            .map(Webhook)
            .map_err(WebhookRejection)
    }
}

/// The verified delivery itself, for verify-only handlers: raw body, provider, deduplication
/// key, fingerprint. Derefs to [`VerifiedDelivery`].
///
/// As `Option<VerifiedWebhook>` it is `None` on a route without the layer instead of a 500.
#[derive(Debug, Clone)]
pub struct VerifiedWebhook(pub VerifiedDelivery);

impl Deref for VerifiedWebhook {
    type Target = VerifiedDelivery;

    fn deref(&self) -> &VerifiedDelivery {
        &self.0
    }
}

impl VerifiedWebhook {
    /// The delivery.
    #[must_use]
    pub fn into_inner(self) -> VerifiedDelivery {
        self.0
    }
}

impl<S> FromRequestParts<S> for VerifiedWebhook
where
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        delivery(parts).map(|delivery| Self(delivery.clone()))
    }
}

impl<S> OptionalFromRequestParts<S> for VerifiedWebhook
where
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<VerifiedDelivery>()
            .cloned()
            .map(Self))
    }
}

fn delivery(parts: &Parts) -> Result<&VerifiedDelivery, WebhookRejection> {
    parts
        .extensions
        .get::<VerifiedDelivery>()
        .ok_or(WebhookRejection(ExtractError::MissingLayer))
}

/// Why [`Webhook`] or [`VerifiedWebhook`] could not extract: 500 on a route without the layer
/// (a configuration mistake, named in the body so it is noticed at once), 422 for a body that
/// does not fit the requested type. The body is the JSON of [`ExtractError::body`].
#[derive(Debug, Clone)]
pub struct WebhookRejection(pub ExtractError);

impl WebhookRejection {
    /// The HTTP status: 500 or 422.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The JSON response body.
    #[must_use]
    pub fn body(&self) -> String {
        self.0.body()
    }

    /// The underlying error.
    #[must_use]
    pub fn error(&self) -> &ExtractError {
        &self.0
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

impl From<ExtractError> for WebhookRejection {
    fn from(error: ExtractError) -> Self {
        Self(error)
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        if matches!(self.0, ExtractError::MissingLayer) {
            tracing::error!("a webhook extractor ran on a route without the WebhookVerify layer");
        }
        let mut response = (self.status(), self.body()).into_response();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response.extensions_mut().insert(self.0);
        response
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::routing::post;
    use axum::Router;
    use hookverify::{testing, Provider, Secret};
    use http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;
    use crate::WebhookVerify;

    #[derive(Debug, serde::Deserialize)]
    struct Strict {
        #[allow(dead_code)]
        id: String,
    }

    async fn strict(Webhook(_event): Webhook<Strict>) -> StatusCode {
        StatusCode::OK
    }

    async fn verified(webhook: VerifiedWebhook) -> String {
        webhook.provider().name().to_owned()
    }

    async fn optional(webhook: Option<VerifiedWebhook>) -> StatusCode {
        if webhook.is_some() {
            StatusCode::OK
        } else {
            StatusCode::NO_CONTENT
        }
    }

    fn signed(body: &'static str) -> Request<Body> {
        let secret = Secret::new("k").unwrap();
        let signature = testing::sign(Provider::PRISM, &secret, body.as_bytes()).unwrap();
        Request::post("/")
            .header(signature.name(), signature.value())
            .body(Body::from(body))
            .unwrap()
    }

    async fn answer(app: Router, request: Request<Body>) -> (StatusCode, String) {
        let response = app.oneshot(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn without_the_layer_it_is_500_naming_it() {
        let app = Router::new().route("/", post(verified));
        let (status, body) = answer(app, signed("{}")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(body.contains("WebhookVerify"), "{body}");
        let app = Router::new().route("/", post(optional));
        assert_eq!(answer(app, signed("{}")).await.0, StatusCode::NO_CONTENT);
    }

    #[tokio::test]
    async fn a_shape_mismatch_is_422() {
        let layer = WebhookVerify::new(Secret::new("k").unwrap()).namespace("extract-422");
        let app = Router::new().route("/", post(strict)).route_layer(layer);
        let (status, body) = answer(app, signed(r#"{"event":"test"}"#)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("unprocessable_payload"), "{body}");
    }

    #[tokio::test]
    async fn verify_only_access() {
        let layer = WebhookVerify::new(Secret::new("k").unwrap()).namespace("extract-verified");
        let app = Router::new().route("/", post(verified)).layer(layer);
        assert_eq!(
            answer(app, signed(r#"{"event":"test"}"#)).await,
            (StatusCode::OK, "prism".to_owned())
        );
    }
}
