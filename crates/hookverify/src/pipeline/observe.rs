//! What the pipeline reports beyond its answers: counters and a gauge through the `metrics`
//! facade (recorded only if the application installs a recorder, such as a Prometheus
//! exporter), and warnings at the default log level, at most once a minute each, when a
//! layer keeps refusing signatures (which is how a wrong secret shows) and when its
//! deduplication store fails (deliveries are then answered 503). Neither ever carries a
//! secret or a signature. Layers of one namespace, route and set of senders in a process
//! count and warn together: actix-web builds one middleware per worker.
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `hookverify_verified_total` | counter | `namespace`, (`route`), `provider` |
//! | `hookverify_rejected_total` | counter | `namespace`, (`route`), `provider` (the sender whose signature header the delivery carried, allowed or not; `none` without any), `reason` (the rejection's code: `invalid_signature`, `duplicate`, `in_flight`, ...) |
//! | `hookverify_handler_total` | counter | `namespace`, (`route`), `provider`, `outcome` (`completed`, `failed`, `panicked`) |
//! | `hookverify_handlers_running` | gauge | `namespace`, (`route`), `provider` |
//! | `hookverify_store_errors_total` | counter | `operation` (`claim`, `extend`, `complete`, `release`) |
//!
//! `route` is there when the layer was given one
//! ([`WebhookConfig::route`](super::WebhookConfig::route)). Store errors are counted per
//! process, not per layer: every layer of a process usually shares one store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::{Duration, Instant};

use super::Rejection;
use crate::Provider;

/// The shortest time between two warnings of one kind from one layer.
const WARN_EVERY: Duration = Duration::from_secs(60);
/// Refusals in a row, with no delivery verified, before a warning.
const REFUSALS_TO_WARN: u64 = 10;

/// Where the metrics of the pipeline are registered from (as the `metrics` macros do).
static METADATA: metrics::Metadata<'static> =
    metrics::Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

/// How a handler ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// It succeeded (for HTTP, a 2xx answer).
    Completed,
    /// It answered otherwise.
    Failed,
    /// It panicked.
    Panicked,
}

/// A metric of an accepted delivery, whose keys each layer builds once per sender.
#[derive(Debug, Clone, Copy)]
enum Metric {
    Verified,
    Running,
    Handler(Outcome),
}

impl Metric {
    /// Every metric, in the order of [`index`](Self::index).
    const ALL: [Metric; 5] = [
        Metric::Verified,
        Metric::Running,
        Metric::Handler(Outcome::Completed),
        Metric::Handler(Outcome::Failed),
        Metric::Handler(Outcome::Panicked),
    ];

    fn index(self) -> usize {
        match self {
            Metric::Verified => 0,
            Metric::Running => 1,
            Metric::Handler(Outcome::Completed) => 2,
            Metric::Handler(Outcome::Failed) => 3,
            Metric::Handler(Outcome::Panicked) => 4,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Metric::Verified => "hookverify_verified_total",
            Metric::Running => "hookverify_handlers_running",
            Metric::Handler(_) => "hookverify_handler_total",
        }
    }

    /// The `outcome` label, for a handler's end.
    fn outcome(self) -> Option<&'static str> {
        match self {
            Metric::Handler(Outcome::Completed) => Some("completed"),
            Metric::Handler(Outcome::Failed) => Some("failed"),
            Metric::Handler(Outcome::Panicked) => Some("panicked"),
            Metric::Verified | Metric::Running => None,
        }
    }
}

/// One layer's reporting.
#[derive(Debug, Clone)]
pub(crate) struct Observer {
    namespace: Arc<str>,
    route: Option<Arc<str>>,
    /// The labels every metric of this layer carries: its namespace and, if set, its route.
    labels: Arc<[metrics::Label]>,
    /// The keys of every accepted delivery's metrics, built once per sender: a delivery
    /// then registers and records them without building labels.
    keys: Arc<[SenderKeys]>,
    watch: Arc<Watch>,
}

/// The metric keys of one sender's accepted deliveries, by [`Metric::index`].
#[derive(Debug)]
struct SenderKeys {
    provider: Provider,
    keys: [metrics::Key; Metric::ALL.len()],
}

/// What a layer counts to warn, shared by the layers of one namespace, route and set of
/// senders in the process (see [`watch`]).
#[derive(Debug)]
struct Watch {
    /// Signatures refused since the last verified delivery.
    in_a_row: AtomicU64,
    /// When the last warning of each kind was logged, in ms since the process's first
    /// observation (`u64::MAX`: never).
    refusals_warned_at: AtomicU64,
    store_warned_at: AtomicU64,
}

/// The [`Watch`] of the layers of `namespace`, `route` and `providers` in this process:
/// actix-web builds the middleware once per worker, and a count split between workers
/// would warn late and once per worker. Layers of other senders sharing a namespace (to
/// deduplicate together) count apart: one's accepted deliveries must not hide that the
/// other keeps refusing.
fn watch(namespace: &str, route: Option<&str>, providers: &[Provider]) -> Arc<Watch> {
    type Watches = HashMap<(Box<str>, Option<Box<str>>, Box<[Provider]>), Weak<Watch>>;
    static WATCHES: OnceLock<Mutex<Watches>> = OnceLock::new();
    let mut watches = WATCHES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    watches.retain(|_, watch| watch.strong_count() > 0);
    let mut providers = providers.to_vec();
    providers.sort_unstable();
    let key = (
        Box::from(namespace),
        route.map(Box::from),
        providers.into_boxed_slice(),
    );
    if let Some(watch) = watches.get(&key).and_then(Weak::upgrade) {
        return watch;
    }
    let watch = Arc::new(Watch {
        in_a_row: AtomicU64::new(0),
        refusals_warned_at: AtomicU64::new(u64::MAX),
        store_warned_at: AtomicU64::new(u64::MAX),
    });
    watches.insert(key, Arc::downgrade(&watch));
    watch
}

impl Observer {
    /// The reporting of a layer in `namespace` (and `route`) accepting `providers`.
    pub(crate) fn new(namespace: &str, route: Option<&str>, providers: &[Provider]) -> Self {
        // Shared, not owned: every metric of a rejection clones these labels, and a clone of
        // a shared string is a reference count, not an allocation.
        let shared = |value: &str| metrics::SharedString::from_shared(Arc::<str>::from(value));
        let mut labels = vec![metrics::Label::new("namespace", shared(namespace))];
        if let Some(route) = route {
            labels.push(metrics::Label::new("route", shared(route)));
        }
        let labels: Arc<[metrics::Label]> = labels.into();
        let keys = providers
            .iter()
            .map(|&provider| SenderKeys {
                provider,
                keys: Metric::ALL.map(|metric| key(&labels, provider, metric)),
            })
            .collect();
        Self {
            namespace: Arc::from(namespace),
            route: route.map(Arc::from),
            labels,
            keys,
            watch: watch(namespace, route, providers),
        }
    }

    /// Registers `provider`'s key of `metric` with the recorder: the key built with the
    /// layer, or built now for a sender the layer was not configured with (never the case
    /// for an accepted delivery).
    fn register<T>(
        &self,
        provider: Provider,
        metric: Metric,
        register: impl FnOnce(&dyn metrics::Recorder, &metrics::Key) -> T,
    ) -> T {
        match self.keys.iter().find(|keys| keys.provider == provider) {
            Some(keys) => {
                metrics::with_recorder(|recorder| register(recorder, &keys.keys[metric.index()]))
            }
            None => {
                let key = key(&self.labels, provider, metric);
                metrics::with_recorder(|recorder| register(recorder, &key))
            }
        }
    }

    pub(crate) fn verified(&self, provider: Provider) {
        self.watch.in_a_row.store(0, Ordering::Relaxed);
        self.register(provider, Metric::Verified, |recorder, key| {
            recorder.register_counter(key, &METADATA)
        })
        .increment(1);
    }

    /// Counts a rejection; `provider` is the sender whose signature header the delivery
    /// carried, allowed or not (`None` when it carried none).
    pub(crate) fn rejected(&self, rejection: &Rejection, provider: Option<Provider>) {
        metrics::counter!(
            "hookverify_rejected_total",
            labels_with(
                &self.labels,
                [
                    ("provider", provider.map_or("none", Provider::name)),
                    ("reason", rejection.code()),
                ]
            )
        )
        .increment(1);
        match rejection {
            Rejection::Unauthenticated(error) => self.refused(error.code()),
            Rejection::StoreUnavailable(error) if due(&self.watch.store_warned_at) => {
                tracing::warn!(
                    namespace = &*self.namespace,
                    route = self.route.as_deref(),
                    error = %Causes(&**error),
                    "the deduplication store is failing: deliveries are answered 503 \
                     (store_unavailable) and their senders retry until it answers again"
                );
            }
            _ => {}
        }
    }

    /// Counts a refused signature; warns once enough came in a row.
    fn refused(&self, reason: &'static str) {
        let in_a_row = self.watch.in_a_row.fetch_add(1, Ordering::Relaxed) + 1;
        if in_a_row >= REFUSALS_TO_WARN && due(&self.watch.refusals_warned_at) {
            tracing::warn!(
                namespace = &*self.namespace,
                route = self.route.as_deref(),
                refused_in_a_row = in_a_row,
                last_reason = reason,
                "webhook signatures keep being refused and none was accepted since: check \
                 that this layer has the sender's current secret (RUST_LOG=hookverify=debug \
                 shows each refusal)"
            );
        }
    }

    /// Counts a handler as running until the returned guard is dropped.
    pub(crate) fn running(&self, provider: Provider) -> Running {
        let gauge = self.register(provider, Metric::Running, |recorder, key| {
            recorder.register_gauge(key, &METADATA)
        });
        gauge.increment(1.0);
        Running {
            observer: self.clone(),
            provider,
            gauge,
        }
    }
}

/// A handler being run; records its outcome.
pub(crate) struct Running {
    observer: Observer,
    provider: Provider,
    gauge: metrics::Gauge,
}

impl Running {
    /// Counts the handler's end.
    pub(crate) fn finished(&self, outcome: Outcome) {
        self.observer
            .register(self.provider, Metric::Handler(outcome), |recorder, key| {
                recorder.register_counter(key, &METADATA)
            })
            .increment(1);
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.gauge.decrement(1.0);
    }
}

/// The key of `metric` for a delivery from `provider` in a layer with `labels`.
fn key(labels: &[metrics::Label], provider: Provider, metric: Metric) -> metrics::Key {
    let labels = match metric.outcome() {
        Some(outcome) => labels_with(
            labels,
            [("provider", provider.name()), ("outcome", outcome)],
        ),
        None => labels_with(labels, [("provider", provider.name())]),
    };
    metrics::Key::from_parts(metric.name(), labels)
}

/// A layer's `labels` and `extra`.
fn labels_with<const N: usize>(
    labels: &[metrics::Label],
    extra: [(&'static str, &'static str); N],
) -> Vec<metrics::Label> {
    let mut all = Vec::with_capacity(labels.len() + N);
    all.extend(labels.iter().cloned());
    all.extend(
        extra
            .into_iter()
            .map(|(key, value)| metrics::Label::new(key, value)),
    );
    all
}

/// An error and its causes, `: `-separated: a store's error says that it failed, its cause
/// why (refused connection, timeout, wrong password).
struct Causes<'e>(&'e (dyn std::error::Error + 'static));

impl std::fmt::Display for Causes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut last = self.0.to_string();
        f.write_str(&last)?;
        let mut cause = self.0.source();
        while let Some(error) = cause {
            // Some errors repeat their cause's text as their own.
            let text = error.to_string();
            if !last.ends_with(&text) {
                write!(f, ": {text}")?;
            }
            last = text;
            cause = error.source();
        }
        Ok(())
    }
}

/// Whether a minute has passed since the warning whose time `warned_at` holds; claims the
/// slot if so.
fn due(warned_at: &AtomicU64) -> bool {
    let now = millis_since_start();
    let last = warned_at.load(Ordering::Relaxed);
    let due = last == u64::MAX || now.saturating_sub(last) >= WARN_EVERY.as_millis() as u64;
    due && warned_at
        .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
        .is_ok()
}

/// Counts a store call that failed.
pub(crate) fn store_error(operation: &'static str) {
    metrics::counter!("hookverify_store_errors_total", "operation" => operation).increment(1);
}

fn millis_since_start() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    u64::try_from(START.get_or_init(Instant::now).elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    use metrics_util::MetricKind;

    use crate::events::tests::warnings;
    use crate::pipeline::{Pipeline, WebhookConfig};
    use crate::{testing, Provider, Secret};

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    }

    /// A metric's key as `name{label=value,...}`, labels sorted.
    fn described(key: &metrics::Key) -> String {
        let mut labels: Vec<String> = key
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        labels.sort();
        format!("{}{{{}}}", key.name(), labels.join(","))
    }

    /// The counters recorded, as `name{label=value,...}` -> value.
    fn counters(recorder: &DebuggingRecorder) -> Vec<(String, u64)> {
        let mut seen: Vec<(String, u64)> = recorder
            .snapshotter()
            .snapshot()
            .into_vec()
            .into_iter()
            .filter_map(|(key, _, _, value)| {
                let DebugValue::Counter(count) = value else {
                    return None;
                };
                (key.kind() == MetricKind::Counter).then(|| (described(&key.into_parts().1), count))
            })
            .collect();
        seen.sort();
        seen
    }

    #[test]
    fn a_route_labels_every_counter_of_its_layer() {
        let recorder = DebuggingRecorder::new();
        let secret = Secret::new("metrics-route-test").unwrap();
        let pipeline = Pipeline::new(
            WebhookConfig::new(secret.clone())
                .namespace("r")
                .route("/webhooks/generic"),
        );
        let body = br#"{"id":"evt_route","type":"t","data":{}}"#;
        let forged = [("x-signature-256", "sha256=".to_owned() + &"0".repeat(64))];
        metrics::with_local_recorder(&recorder, || {
            block_on(async {
                let refused = pipeline
                    .admit(&forged[..], body.to_vec())
                    .await
                    .unwrap_err();
                assert_eq!(refused.code(), "invalid_signature");
            });
        });
        assert_eq!(
            counters(&recorder),
            vec![(
                "hookverify_rejected_total{namespace=r,provider=generic,reason=invalid_signature,route=/webhooks/generic}"
                    .to_owned(),
                1
            )]
        );
    }

    /// Admits the delivery and runs `handler` for it, its 200 settling the event processed.
    async fn processed<F, Fut>(
        pipeline: &Pipeline,
        headers: &[(&'static str, String)],
        body: &[u8],
        handler: F,
    ) where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = u16> + Send + 'static,
    {
        let (_, runner) = pipeline
            .admit(headers, body.to_vec())
            .await
            .unwrap()
            .into_parts();
        runner.run(handler, |status| *status == 200).await.unwrap();
    }

    /// A layer's pipeline in `namespace`, and the headers and body of a genuine delivery.
    fn genuine(namespace: &str) -> (Pipeline, [(&'static str, String); 1], Vec<u8>) {
        let secret = Secret::new(format!("{namespace}-secret")).unwrap();
        let pipeline = Pipeline::new(WebhookConfig::new(secret.clone()).namespace(namespace));
        let body = format!(r#"{{"id":"evt_{namespace}","type":"t","data":{{}}}}"#).into_bytes();
        let signature = testing::sign(Provider::GENERIC, &secret, &body).unwrap();
        let headers = [(signature.name(), signature.value().to_owned())];
        (pipeline, headers, body)
    }

    #[test]
    fn deliveries_are_counted_by_outcome() {
        let recorder = DebuggingRecorder::new();
        let (pipeline, headers, body) = genuine("m");
        let forged = [(headers[0].0, "sha256=".to_owned() + &"0".repeat(64))];
        metrics::with_local_recorder(&recorder, || {
            block_on(async {
                processed(&pipeline, &headers, &body, || async { 200 }).await;
                let again = pipeline
                    .admit(&headers[..], body.to_vec())
                    .await
                    .unwrap_err();
                assert_eq!(again.code(), "duplicate");
                let refused = pipeline
                    .admit(&forged[..], body.to_vec())
                    .await
                    .unwrap_err();
                assert_eq!(refused.code(), "invalid_signature");
                let unsigned = [("content-type", "application/json")];
                let unsigned = pipeline
                    .admit(&unsigned[..], body.to_vec())
                    .await
                    .unwrap_err();
                assert_eq!(unsigned.status(), 401);
            });
        });
        assert_eq!(
            counters(&recorder),
            vec![
                (
                    "hookverify_handler_total{namespace=m,outcome=completed,provider=generic}"
                        .to_owned(),
                    1
                ),
                (
                    "hookverify_rejected_total{namespace=m,provider=generic,reason=duplicate}"
                        .to_owned(),
                    1
                ),
                (
                    "hookverify_rejected_total{namespace=m,provider=generic,reason=invalid_signature}"
                        .to_owned(),
                    1
                ),
                (
                    "hookverify_rejected_total{namespace=m,provider=none,reason=invalid_signature}"
                        .to_owned(),
                    1
                ),
                (
                    "hookverify_verified_total{namespace=m,provider=generic}".to_owned(),
                    2
                ),
            ]
        );
    }

    /// The one gauge recorded, as `name{label=value,...}` and its value.
    fn gauge(snapshotter: &metrics_util::debugging::Snapshotter) -> Option<(String, f64)> {
        snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .find_map(|(key, _, _, value)| {
                let DebugValue::Gauge(value) = value else {
                    return None;
                };
                Some((described(&key.into_parts().1), value.into_inner()))
            })
    }

    #[test]
    fn a_running_handler_is_counted_in_the_gauge_of_its_sender_and_layer() {
        let recorder = DebuggingRecorder::new();
        let snapshotter = std::sync::Arc::new(recorder.snapshotter());
        let (pipeline, headers, body) = genuine("g");
        let name = "hookverify_handlers_running{namespace=g,provider=generic}";
        let seen = std::sync::Arc::clone(&snapshotter);
        metrics::with_local_recorder(&recorder, || {
            block_on(async {
                processed(&pipeline, &headers, &body, move || async move {
                    assert_eq!(gauge(&seen), Some((name.to_owned(), 1.0)), "while it runs");
                    200
                })
                .await;
            });
        });
        // A snapshot takes what changed since the last: the handler's end took the one off.
        assert_eq!(
            gauge(&snapshotter),
            Some((name.to_owned(), -1.0)),
            "once it finished"
        );
    }

    #[test]
    fn layers_of_one_namespace_and_route_count_refusals_and_warn_together() {
        // As actix-web builds the middleware once per worker.
        let secret = Secret::new("the-right-secret").unwrap();
        let config = WebhookConfig::new(Secret::new("a-wrong-secret").unwrap())
            .namespace("per-worker")
            .route("/hook");
        let workers = [Pipeline::new(config.clone()), Pipeline::new(config)];
        let body = br#"{"id":"evt_workers","type":"t","data":{}}"#;
        let signature = testing::sign(Provider::GENERIC, &secret, body).unwrap();
        let headers = [(signature.name(), signature.value())];
        let refuse = |count: usize| {
            warnings(|| {
                block_on(async {
                    for i in 0..count {
                        let refused = workers[i % 2]
                            .admit(&headers[..], body.to_vec())
                            .await
                            .unwrap_err();
                        assert_eq!(refused.status(), 401);
                    }
                });
            })
            .1
        };
        // Six refusals each: ten in a row for the layer, though not for either worker.
        let logged = refuse(12);
        assert_eq!(logged.len(), 1, "{logged:?}");
        assert!(logged[0].contains("refused_in_a_row=10"), "{logged:?}");
        // And once a minute for the layer, not once per worker.
        let logged = refuse(30);
        assert!(logged.is_empty(), "{logged:?}");
    }

    #[test]
    fn another_senders_accepted_deliveries_do_not_hide_refusals() {
        // Two layers in one namespace, to deduplicate together: GitHub under its right
        // secret, Stripe under a wrong one.
        let github = Secret::new("github-right").unwrap();
        let stripe = Secret::new("stripe-right").unwrap();
        let accepting = Pipeline::new(
            WebhookConfig::new(github.clone())
                .providers([Provider::GITHUB])
                .namespace("shared-by-senders"),
        );
        let refusing = Pipeline::new(
            WebhookConfig::new(Secret::new("stripe-wrong").unwrap())
                .providers([Provider::STRIPE])
                .namespace("shared-by-senders"),
        );
        let ((), logged) = warnings(|| {
            block_on(async {
                for i in 0..20 {
                    let body = format!(r#"{{"id":"evt_{i}","type":"t","data":{{}}}}"#);
                    let signature =
                        testing::sign(Provider::STRIPE, &stripe, body.as_bytes()).unwrap();
                    let refused = refusing
                        .admit(&signature.headers()[..], body.clone().into_bytes())
                        .await
                        .unwrap_err();
                    assert_eq!(refused.status(), 401);
                    if i % 5 == 4 {
                        let signature =
                            testing::sign(Provider::GITHUB, &github, body.as_bytes()).unwrap();
                        let (_, runner) = accepting
                            .admit(&signature.headers()[..], body.into_bytes())
                            .await
                            .unwrap()
                            .into_parts();
                        runner.settle(true).await;
                    }
                }
            });
        });
        assert_eq!(logged.len(), 1, "{logged:?}");
        assert!(logged[0].contains("keep being refused"), "{logged:?}");
    }

    /// A store that never answers but with an error.
    struct Unavailable;

    impl Unavailable {
        fn refused<'a, T: Send + 'a>() -> crate::dedup::StoreFuture<'a, T> {
            Box::pin(async {
                Err(crate::dedup::StoreError::Unavailable(
                    "connection refused".into(),
                ))
            })
        }
    }

    impl crate::dedup::DedupStore for Unavailable {
        fn claim<'a>(
            &'a self,
            _: &'a crate::dedup::DedupKey,
            _: [u8; 32],
            _: std::time::Duration,
        ) -> crate::dedup::StoreFuture<'a, crate::dedup::Claim> {
            Self::refused()
        }
        fn extend<'a>(
            &'a self,
            _: &'a crate::dedup::ClaimToken,
            _: std::time::Duration,
        ) -> crate::dedup::StoreFuture<'a, bool> {
            Self::refused()
        }
        fn complete<'a>(
            &'a self,
            _: &'a crate::dedup::ClaimToken,
            _: std::time::Duration,
        ) -> crate::dedup::StoreFuture<'a, bool> {
            Self::refused()
        }
        fn release<'a>(
            &'a self,
            _: &'a crate::dedup::ClaimToken,
        ) -> crate::dedup::StoreFuture<'a, bool> {
            Self::refused()
        }
    }

    #[test]
    fn a_failing_store_is_warned_about_once_a_minute() {
        let secret = Secret::new("store-down").unwrap();
        let pipeline = Pipeline::new(
            WebhookConfig::new(secret.clone())
                .namespace("store-down")
                .dedup_store(Unavailable),
        );
        let ((), logged) = warnings(|| {
            block_on(async {
                for i in 0..5 {
                    let body = format!(r#"{{"id":"evt_{i}","type":"t","data":{{}}}}"#);
                    let signature =
                        testing::sign(Provider::GENERIC, &secret, body.as_bytes()).unwrap();
                    let headers = [(signature.name(), signature.value())];
                    let refused = pipeline
                        .admit(&headers[..], body.into_bytes())
                        .await
                        .unwrap_err();
                    assert_eq!(refused.status(), 503);
                }
            });
        });
        assert_eq!(logged.len(), 1, "{logged:?}");
        assert!(
            logged[0].contains("deduplication store is failing"),
            "{logged:?}"
        );
        assert!(logged[0].contains("connection refused"), "{logged:?}");
    }

    #[test]
    fn a_layer_that_keeps_refusing_signatures_warns_once_a_minute() {
        let secret = Secret::new("the-right-secret").unwrap();
        let wrong = Secret::new("a-wrong-secret").unwrap();
        let pipeline = Pipeline::new(WebhookConfig::new(wrong).namespace("wrong-secret"));
        let body = br#"{"id":"evt_refused","type":"t","data":{}}"#;
        let signature = testing::sign(Provider::GENERIC, &secret, body).unwrap();
        let headers = [(signature.name(), signature.value())];
        let ((), logged) = warnings(|| {
            block_on(async {
                for _ in 0..25 {
                    let refused = pipeline
                        .admit(&headers[..], body.to_vec())
                        .await
                        .unwrap_err();
                    assert_eq!(refused.status(), 401);
                }
            });
        });
        assert_eq!(
            logged.len(),
            1,
            "one warning, not one per refusal: {logged:?}"
        );
        assert!(logged[0].contains("keep being refused"), "{logged:?}");
        assert!(
            !logged[0].contains(signature.value()),
            "never the signature: {logged:?}"
        );
    }
}
