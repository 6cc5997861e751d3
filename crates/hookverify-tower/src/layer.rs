//! The tower [`Layer`]: configuration, built once and shared by every service it wraps.

use std::fmt;

use hookverify::pipeline::{LazyPipeline, WebhookConfig};
use tower_layer::Layer;

use crate::WebhookVerifyService;

/// A [`Layer`] that verifies, deduplicates and admits webhook deliveries before the inner
/// service (an axum handler, say) runs.
///
/// Build it with [`WebhookVerify::new`] and the builder methods, which forward to
/// [`WebhookConfig`], or from a complete config with [`WebhookVerify::from_config`]. The
/// pipeline (verifier, dedup store) is built once per layer value: every route the layer (or a
/// clone of it) wraps shares the same deduplication store.
///
/// ```
/// use std::time::Duration;
/// use hookverify::{Provider, Secret};
/// use hookverify_tower::WebhookVerify;
///
/// let layer = WebhookVerify::new(Secret::new("new-secret").unwrap())
///     .secret(Secret::new("old-secret").unwrap()) // rotation: both are accepted
///     .providers([Provider::PROMPTLAYER])
///     .body_limit(256 * 1024)
///     .retention(Duration::from_secs(3 * 24 * 3600));
/// assert_eq!(layer.pipeline().body_limit(), 256 * 1024);
/// ```
#[derive(Clone)]
#[must_use]
pub struct WebhookVerify {
    inner: LazyPipeline,
}

impl fmt::Debug for WebhookVerify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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

impl<S> Layer<S> for WebhookVerify {
    type Service = WebhookVerifyService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        WebhookVerifyService::new(inner, self.pipeline().clone())
    }
}
