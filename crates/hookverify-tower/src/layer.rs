//! The tower [`Layer`]: configuration, built once and shared by every service it wraps.

use std::fmt;
use std::sync::{Arc, OnceLock};

use hookverify::pipeline::{Pipeline, WebhookConfig};
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
    config: WebhookConfig,
    /// Built on first use, so that builder steps do not each build (and allocate a store for)
    /// a pipeline that the next step throws away; shared by every clone.
    pipeline: Arc<OnceLock<Pipeline>>,
}

impl fmt::Debug for WebhookVerify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerify")
            .field("pipeline", self.pipeline())
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
            config,
            pipeline: Arc::new(OnceLock::new()),
        }
    }

    /// The configuration this layer was built from.
    pub fn config(&self) -> &WebhookConfig {
        &self.config
    }

    /// The pipeline shared by every service this layer builds.
    #[must_use]
    pub fn pipeline(&self) -> &Pipeline {
        self.pipeline
            .get_or_init(|| Pipeline::new(self.config.clone()))
    }

    fn map(self, change: impl FnOnce(WebhookConfig) -> WebhookConfig) -> Self {
        Self::from_config(change(self.config))
    }

    hookverify::forward_webhook_config!(map);
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
