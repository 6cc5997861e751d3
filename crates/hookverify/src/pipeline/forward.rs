//! The builder methods both adapters' `WebhookVerify` offer, written once.

/// Writes, inside `impl WebhookVerify`, the surface both adapters share: `new`,
/// `from_config`, `config`, `pipeline`, and every builder method of
/// [`WebhookConfig`](crate::pipeline::WebhookConfig), all through the type's one field
/// `$field: LazyPipeline`, so that the tower and actix-web builders cannot drift apart. For
/// adapter crates; not a public API.
#[doc(hidden)]
#[macro_export]
macro_rules! forward_webhook_config {
    ($field:ident) => {
        /// Accepts every built-in sender signed with `secret`, with the defaults of
        /// [`WebhookConfig::new`]($crate::pipeline::WebhookConfig::new): 1 MiB body limit
        /// (256 KiB for PromptLayer), in-memory deduplication shared per secret, 30-second lease renewed while the
        /// handler runs, 7-day retention, fail closed, handlers finish when the sender
        /// hangs up.
        pub fn new(secret: $crate::Secret) -> Self {
            Self::from_config($crate::pipeline::WebhookConfig::new(secret))
        }

        /// Accepts no sender yet: add each with its own secrets with
        /// [`sender`](Self::sender). The other defaults are those of [`new`](Self::new).
        pub fn builder() -> Self {
            Self::from_config($crate::pipeline::WebhookConfig::builder())
        }

        /// Built from a complete configuration.
        pub fn from_config(config: $crate::pipeline::WebhookConfig) -> Self {
            Self {
                $field: $crate::pipeline::LazyPipeline::new(config),
            }
        }

        /// The configuration so far.
        pub fn config(&self) -> &$crate::pipeline::WebhookConfig {
            self.$field.config()
        }

        /// The pipeline, built on first use and shared by every clone of this value: every
        /// route or worker a clone reaches deduplicates in the same store.
        #[must_use]
        pub fn pipeline(&self) -> &$crate::pipeline::Pipeline {
            self.$field.pipeline()
        }

        fn configure(
            self,
            change: impl FnOnce($crate::pipeline::WebhookConfig) -> $crate::pipeline::WebhookConfig,
        ) -> Self {
            Self {
                $field: self.$field.configure(change),
            }
        }

        /// Accepts `scheme`'s sender (one of [`senders`]($crate::senders) or your own
        /// [`Scheme`]($crate::scheme::Scheme)) signing with its own `secrets`: one
        /// [`Secret`]($crate::Secret), or an array or `Vec` of them during a rotation. A
        /// sender's secrets verify only its own deliveries.
        pub fn sender(
            self,
            scheme: impl $crate::scheme::Scheme,
            secrets: impl $crate::IntoSecrets,
        ) -> Self {
            self.configure(|config| config.sender(scheme, secrets))
        }

        /// Adds a secret for rotation to every sender without secrets of its own (those of
        /// [`new`](Self::new)): a signature under any of them is accepted.
        pub fn secret(self, secret: $crate::Secret) -> Self {
            self.configure(|config| config.secret(secret))
        }

        /// A `route` label on this layer's metrics, such as the path it guards.
        pub fn route(self, route: impl Into<String>) -> Self {
            self.configure(|config| config.route(route))
        }

        /// The clock that signed timestamps are compared with (default: the system clock).
        pub fn clock(self, clock: impl $crate::scheme::WallClock) -> Self {
            self.configure(|config| config.clock(clock))
        }

        /// Keeps only these senders (default: those configured); a request signed by
        /// another one is 401.
        pub fn providers(self, providers: impl IntoIterator<Item = $crate::Provider>) -> Self {
            self.configure(|config| config.providers(providers))
        }

        /// The largest body accepted from any sender, in bytes (default 1 MiB, and 256 KiB
        /// for PromptLayer, whose canonical form costs far more to check); larger deliveries
        /// are 413, by `Content-Length` before reading and by counting while a streamed body
        /// is read. See [`WebhookConfig::body_limit`]($crate::pipeline::WebhookConfig::body_limit).
        pub fn body_limit(self, bytes: usize) -> Self {
            self.configure(|config| config.body_limit(bytes))
        }

        /// How long a whole body may take to arrive (default 10 s; then 408). See
        /// [`WebhookConfig::body_timeout`]($crate::pipeline::WebhookConfig::body_timeout).
        pub fn body_timeout(self, timeout: ::std::time::Duration) -> Self {
            self.configure(|config| config.body_timeout(timeout))
        }

        /// A bound of its own on the bytes held for unverified bodies (default: one bound of
        /// 64 MiB for the process; past it, 503); set inside actix-web's `HttpServer::new`
        /// closure, each worker has its own. See
        /// [`WebhookConfig::unverified_bytes_limit`]($crate::pipeline::WebhookConfig::unverified_bytes_limit).
        pub fn unverified_bytes_limit(self, bytes: usize) -> Self {
            self.configure(|config| config.unverified_bytes_limit(bytes))
        }

        /// Where deduplication state lives (default: one memory store per process for each
        /// secret, shared by every instance built with it). Give every replica behind one
        /// sender one shared store. A store made inside actix-web's `HttpServer::new`
        /// closure is one per worker: make it once, outside, and pass each worker a clone
        /// (see [`WebhookConfig::dedup_store`]($crate::pipeline::WebhookConfig::dedup_store)).
        pub fn dedup_store(self, store: impl $crate::dedup::DedupStore) -> Self {
            self.configure(|config| config.dedup_store(store))
        }

        /// Like [`dedup_store`](Self::dedup_store), for a store already behind an `Arc`.
        pub fn dedup_store_arc(
            self,
            store: ::std::sync::Arc<dyn $crate::dedup::DedupStore>,
        ) -> Self {
            self.configure(|config| config.dedup_store_arc(store))
        }

        /// Turns deduplication on (default) or off.
        pub fn dedup(self, enabled: bool) -> Self {
            self.configure(|config| config.dedup(enabled))
        }

        /// How long a claim lasts without renewal (default 30 seconds); a running handler's
        /// claim is renewed every third of it.
        pub fn lease(self, lease: ::std::time::Duration) -> Self {
            self.configure(|config| config.lease(lease))
        }

        /// How long a processed event is remembered (default 7 days).
        pub fn retention(self, retention: ::std::time::Duration) -> Self {
            self.configure(|config| config.retention(retention))
        }

        /// How deduplication keys are chosen (default: each provider's natural key).
        pub fn dedup_keys(self, keys: $crate::dedup::KeyStrategy) -> Self {
            self.configure(|config| config.dedup_keys(keys))
        }

        /// A custom deduplication key; returning `None` falls back to the provider's key.
        pub fn dedup_key(
            self,
            key: impl Fn(&$crate::Verified) -> Option<String> + Send + Sync + 'static,
        ) -> Self {
            self.configure(|config| config.dedup_key(key))
        }

        /// The deduplication namespace, the first part of every key (default: derived from
        /// the first secret). See
        /// [`WebhookConfig::namespace`]($crate::pipeline::WebhookConfig::namespace).
        pub fn namespace(self, namespace: impl Into<String>) -> Self {
            self.configure(|config| config.namespace(namespace))
        }

        /// `false` (default): a claimed delivery's handler finishes even when the sender
        /// hangs up; `true`: it is dropped with the request. See
        /// [`WebhookConfig::cancel_on_disconnect`]($crate::pipeline::WebhookConfig::cancel_on_disconnect).
        pub fn cancel_on_disconnect(self, cancel: bool) -> Self {
            self.configure(|config| config.cancel_on_disconnect(cancel))
        }

        /// When the store fails: `false` (default) answers 503 with `Retry-After`; `true`
        /// runs the handler without deduplication.
        pub fn fail_open(self, fail_open: bool) -> Self {
            self.configure(|config| config.fail_open(fail_open))
        }
    };
}
