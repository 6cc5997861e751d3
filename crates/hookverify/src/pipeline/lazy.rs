//! A configuration and the pipeline built from it on first use.

use std::fmt;
use std::sync::{Arc, OnceLock};

use super::{Pipeline, WebhookConfig};

/// What both adapters' `WebhookVerify` hold: a [`WebhookConfig`] and the [`Pipeline`]
/// built from it the first time it is needed, shared by every clone.
///
/// Built lazily so that each builder step does not build (and allocate a store for) a
/// pipeline the next step throws away; shared so that every route or worker a clone reaches
/// deduplicates in the same store.
///
/// ```
/// use hookverify::pipeline::{LazyPipeline, WebhookConfig};
/// use hookverify::Secret;
///
/// let lazy = LazyPipeline::new(WebhookConfig::new(Secret::new("s").unwrap()))
///     .configure(|config| config.body_limit(1024));
/// let clone = lazy.clone();
/// assert_eq!(lazy.pipeline().body_limit(), 1024);
/// assert!(std::ptr::eq(lazy.pipeline(), clone.pipeline()));
/// ```
#[derive(Clone)]
pub struct LazyPipeline {
    config: WebhookConfig,
    pipeline: Arc<OnceLock<Pipeline>>,
}

impl LazyPipeline {
    /// Holds `config`; nothing is built yet.
    #[must_use]
    pub fn new(config: WebhookConfig) -> Self {
        Self {
            config,
            pipeline: Arc::new(OnceLock::new()),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &WebhookConfig {
        &self.config
    }

    /// The pipeline, built on the first call and shared with every clone made before or
    /// after it.
    #[must_use]
    pub fn pipeline(&self) -> &Pipeline {
        self.pipeline
            .get_or_init(|| Pipeline::new(self.config.clone()))
    }

    /// A new value with the configuration changed (and no pipeline built yet).
    #[must_use]
    pub fn configure(self, change: impl FnOnce(WebhookConfig) -> WebhookConfig) -> Self {
        Self::new(change(self.config))
    }
}

impl fmt::Debug for LazyPipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The config, not the pipeline: printing must not build one.
        f.debug_struct("LazyPipeline")
            .field("config", &self.config)
            .field("built", &self.pipeline.get().is_some())
            .finish()
    }
}
