//! The tower [`Layer`]: configuration, built once and shared by every service it wraps.

use std::fmt;

use hookverify::pipeline::{LazyPipeline, Pipeline, WebhookConfig};
use hookverify::Secret;
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
///     .providers([Provider::PromptLayer])
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
    /// Accepts every provider signed with `secret`, with the defaults of [`WebhookConfig::new`]:
    /// 1 MiB body limit, in-memory deduplication, 5-minute lease, 7-day retention, fail closed.
    pub fn new(secret: Secret) -> Self {
        Self::from_config(WebhookConfig::new(secret))
    }

    /// A layer from a complete configuration.
    pub fn from_config(config: WebhookConfig) -> Self {
        Self {
            inner: LazyPipeline::new(config),
        }
    }

    /// The configuration this layer was built from.
    pub fn config(&self) -> &WebhookConfig {
        self.inner.config()
    }

    /// The pipeline shared by every service this layer builds.
    #[must_use]
    pub fn pipeline(&self) -> &Pipeline {
        self.inner.pipeline()
    }

    fn configure(self, change: impl FnOnce(WebhookConfig) -> WebhookConfig) -> Self {
        Self {
            inner: self.inner.configure(change),
        }
    }

    hookverify::forward_webhook_config!(configure);
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
