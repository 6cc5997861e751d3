//! What the pipeline reports beyond its answers: counters and a gauge through the `metrics`
//! facade (recorded only if the application installs a recorder, such as a Prometheus
//! exporter), and a warning at the default log level when a layer keeps refusing
//! signatures, which is how a wrong secret shows. Neither ever carries a secret or a
//! signature.
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `hookverify_verified_total` | counter | `namespace`, (`route`), `provider` |
//! | `hookverify_rejected_total` | counter | `namespace`, (`route`), `provider` (the sender whose signature header the delivery carried, allowed or not; `none` without any), `reason` (the rejection's code: `invalid_signature`, `duplicate`, `in_flight`, ...) |
//! | `hookverify_handler_total` | counter | `namespace`, (`route`), `provider`, `outcome` (`completed`, `failed`, `panicked`) |
//! | `hookverify_handlers_running` | gauge | `namespace`, (`route`), `provider` |
//!
//! `route` is there when the layer was given one
//! ([`WebhookConfig::route`](super::WebhookConfig::route)).
//! | `hookverify_store_errors_total` | counter | `operation` (`claim`, `extend`, `complete`, `release`) |

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use super::Rejection;
use crate::Provider;

/// The shortest time between two warnings about refused signatures from one layer.
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
    /// The labels every metric of this layer carries: its namespace and, if set, its route.
    labels: Arc<[metrics::Label]>,
    /// The keys of every accepted delivery's metrics, built once per sender: a delivery
    /// then registers and records them without building labels.
    keys: Arc<[SenderKeys]>,
    refusals: Arc<RefusalWatch>,
}

/// The metric keys of one sender's accepted deliveries, by [`Metric::index`].
#[derive(Debug)]
struct SenderKeys {
    provider: Provider,
    keys: [metrics::Key; Metric::ALL.len()],
}

#[derive(Debug, Default)]
struct RefusalWatch {
    /// Signatures refused since the last verified delivery.
    in_a_row: AtomicU64,
    /// When the last warning was logged, in ms since the process's first observation
    /// (`u64::MAX`: never).
    warned_at: AtomicU64,
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
            labels,
            keys,
            refusals: Arc::new(RefusalWatch {
                in_a_row: AtomicU64::new(0),
                warned_at: AtomicU64::new(u64::MAX),
            }),
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
        self.refusals.in_a_row.store(0, Ordering::Relaxed);
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
        if let Rejection::Unauthenticated(error) = rejection {
            let in_a_row = self.refusals.in_a_row.fetch_add(1, Ordering::Relaxed) + 1;
            if in_a_row >= REFUSALS_TO_WARN && self.may_warn() {
                tracing::warn!(
                    namespace = %self.namespace,
                    refused_in_a_row = in_a_row,
                    last_reason = error.code(),
                    "webhook signatures keep being refused and none was accepted since: check \
                     that this layer has the sender's current secret (RUST_LOG=hookverify=debug \
                     shows each refusal)"
                );
            }
        }
    }

    /// Whether a minute has passed since the last warning; claims the slot if so.
    fn may_warn(&self) -> bool {
        let now = millis_since_start();
        let last = self.refusals.warned_at.load(Ordering::Relaxed);
        let due = last == u64::MAX || now.saturating_sub(last) >= WARN_EVERY.as_millis() as u64;
        due && self
            .refusals
            .warned_at
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
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
