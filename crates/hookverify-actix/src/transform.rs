//! The middleware factory and its builder.

use std::future::{ready, Ready};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::Error;
use hookverify::pipeline::{LazyPipeline, WebhookConfig};

use crate::WebhookVerifyMiddleware;

/// Verifies, deduplicates and admits webhook deliveries: the actix-web middleware factory,
/// for [`App::wrap`](actix_web::App::wrap), [`Scope::wrap`](actix_web::Scope::wrap) and
/// [`Resource::wrap`](actix_web::Resource::wrap).
///
/// The builder methods forward to [`WebhookConfig`]. Build it where actix-web apps build
/// middleware, inside `HttpServer::new`'s per-worker closure: every instance made with the
/// same first secret (and no store of its own) shares the process's default memory store,
/// so copies of one event landing on different workers are one event. Building it once
/// outside and cloning it in works the same. Several replicas need a shared store
/// ([`dedup_store`](Self::dedup_store)).
///
/// ```no_run
/// use actix_web::{web, App, HttpResponse, HttpServer};
/// use hookverify::events::AnyEvent;
/// use hookverify::{Provider, Secret};
/// use hookverify_actix::{Webhook, WebhookVerify};
///
/// async fn handle(Webhook(_event): Webhook<AnyEvent>) -> HttpResponse {
///     HttpResponse::Ok().finish()
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (current, previous) = (Secret::new("whsec_current")?, Secret::new("whsec_previous")?);
/// # let _ = actix_web::rt::System::new().block_on(async move {
/// HttpServer::new(move || {
///     let verify = WebhookVerify::new(current.clone())
///         .secret(previous.clone()) // rotation: either may match
///         .providers([Provider::PROMPTREPORTS])
///         .body_limit(256 * 1024);
///     App::new().service(web::resource("/webhooks").route(web::post().to(handle).wrap(verify)))
/// })
/// .bind(("127.0.0.1", 3000))?
/// .run()
/// .await
/// # });
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
#[must_use]
pub struct WebhookVerify {
    inner: LazyPipeline,
}

impl std::fmt::Debug for WebhookVerify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookVerify")
            .field("config", self.inner.config())
            .finish_non_exhaustive()
    }
}

impl WebhookVerify {
    hookverify::forward_webhook_config!(inner);
}

impl From<WebhookConfig> for WebhookVerify {
    fn from(config: WebhookConfig) -> Self {
        Self::from_config(config)
    }
}

impl<S, B> Transform<S, ServiceRequest> for WebhookVerify
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = WebhookVerifyMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(WebhookVerifyMiddleware::new(
            service,
            self.pipeline().clone(),
        )))
    }
}
