//! Verification, deduplication and settlement of one delivery.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tracing::field::Empty;
use tracing::Span;

use bytes::Buf;
use futures_util::Stream;

use super::body::{drain, read_body, BoxError};
use super::budget::{Reservation, UnverifiedBudget};
use super::observe::{self, Observer};
use super::run::{renewal_interval, Runner};
use super::{
    Rejection, VerifiedDelivery, WebhookConfig, DEFAULT_BODY_LIMIT, DEFAULT_CANONICAL_BODY_LIMIT,
};
use crate::canonical::Document;
use crate::dedup::{Claim, ClaimToken, DedupStore, KeyStrategy, MIN_LEASE_PER_CALL_TIMEOUT};
use crate::scheme::{KeyFields, SignedContent};
use crate::{HeaderSource, Provider, Verifier, VerifyError};

/// The pipeline of one `WebhookVerify` layer or middleware. Cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct Pipeline {
    inner: Arc<Inner>,
}

struct Inner {
    verifier: Verifier,
    body_limit: usize,
    /// The signature headers of the senders whose signature covers a canonical form, and
    /// the body limit of a request carrying any of them.
    canonical_headers: Vec<&'static str>,
    canonical_body_limit: usize,
    body_timeout: Duration,
    budget: UnverifiedBudget,
    store: Option<Arc<dyn DedupStore>>,
    lease: Duration,
    retention: Duration,
    keys: KeyStrategy,
    namespace: String,
    observer: Observer,
    fail_open: bool,
    detach: bool,
}

impl fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipeline")
            .field("verifier", &self.inner.verifier)
            .field("body_limit", &self.inner.body_limit)
            .field("dedup", &self.inner.store.is_some())
            .field("fail_open", &self.inner.fail_open)
            .finish_non_exhaustive()
    }
}

impl Pipeline {
    /// Builds the pipeline: prepares the secrets' key schedules and, unless one was given or
    /// deduplication is off, a memory store.
    #[must_use]
    pub fn new(config: WebhookConfig) -> Self {
        if config.verifier.configured().next().is_none() {
            tracing::warn!(
                "a webhook pipeline with no sender configured refuses every delivery; add one \
                 with `.sender(scheme, secret)`, and if `.providers(..)` is set, name it there \
                 too (it keeps only the senders it names)"
            );
        }
        if config.store_without_namespace() {
            tracing::warn!(
                "a webhook layer is given a deduplication store but no `.namespace(..)`: its \
                 keys derive from its first secret, so after rotating that secret, or on \
                 another layer with a different first secret, every event looks new; name the \
                 namespace (the same on every replica and route that must deduplicate together)"
            );
        }
        let store = config.dedup.then(|| config.store_or_default());
        if let Some(timeout) = store.as_ref().and_then(|store| store.call_timeout()) {
            if config.lease < timeout.saturating_mul(MIN_LEASE_PER_CALL_TIMEOUT) {
                tracing::warn!(
                    lease = ?config.lease,
                    store_call_timeout = ?timeout,
                    "the lease is shorter than {MIN_LEASE_PER_CALL_TIMEOUT} times the \
                     deduplication store's call timeout: a renewal slowed by the store can land \
                     after the claim ran out, and a retry may then run the handler a second \
                     time; raise the lease or lower the store's timeout"
                );
            }
        }
        let namespace = config.namespace_or_default();
        if let (true, Some(memory)) = (config.dedup, &config.memory_store) {
            super::config::note_memory_store(&namespace, memory);
        }
        let verifier = config.verifier.build();
        let canonical_headers = verifier
            .providers()
            .iter()
            .filter_map(|&provider| verifier.scheme(provider))
            .filter(|scheme| scheme.signed_content() == SignedContent::CanonicalJson)
            .flat_map(|scheme| scheme.signature_headers().iter().copied())
            .collect();
        let observer = Observer::new(&namespace, config.route.as_deref(), verifier.providers());
        Self {
            inner: Arc::new(Inner {
                verifier,
                body_limit: config.body_limit.unwrap_or(DEFAULT_BODY_LIMIT),
                canonical_headers,
                canonical_body_limit: config.body_limit.unwrap_or(DEFAULT_CANONICAL_BODY_LIMIT),
                body_timeout: config.body_timeout,
                budget: config
                    .unverified_bytes
                    .unwrap_or_else(UnverifiedBudget::shared),
                store,
                lease: config.lease,
                retention: config.retention,
                keys: config.keys,
                observer,
                namespace,
                fail_open: config.fail_open,
                detach: !config.cancel_on_disconnect,
            }),
        }
    }

    /// The span adapters run each delivery in; the pipeline records `provider`, `dedup_key`
    /// and `outcome` on it.
    #[must_use]
    pub fn span() -> Span {
        tracing::debug_span!(
            "webhook",
            provider = Empty,
            dedup_key = Empty,
            outcome = Empty
        )
    }

    /// The largest body to buffer from a sender whose signature covers the raw body, in
    /// bytes.
    #[must_use]
    pub fn body_limit(&self) -> usize {
        self.inner.body_limit
    }

    /// The largest body to buffer for a request with these headers, in bytes: lower by
    /// default when it carries the signature header of any sender whose signature covers a
    /// canonical form (see [`WebhookConfig::body_limit`](super::WebhookConfig::body_limit)),
    /// whichever sender's header comes first: every sender whose header is present is
    /// tried, so a forged raw-body header next to a PromptLayer one must not buy a larger
    /// body to canonicalise.
    #[must_use]
    pub fn body_limit_for<H: HeaderSource + ?Sized>(&self, headers: &H) -> usize {
        let inner = &*self.inner;
        if !inner.canonical_headers.is_empty()
            && headers.first_of(&inner.canonical_headers).is_some()
        {
            inner.canonical_body_limit
        } else {
            inner.body_limit
        }
    }

    /// The whole admission of one request: the checks on its headers, the body read from
    /// `body` (any stream of chunks) within the limit, then [`admit`](Self::admit).
    /// `Content-Length`, when the headers carry one, is checked before anything is read.
    ///
    /// # Errors
    /// The [`Rejection`] to answer with instead of running the handler.
    pub async fn receive<H, S, D, E>(&self, headers: &H, body: S) -> Result<Admitted, Rejection>
    where
        H: HeaderSource + ?Sized,
        S: Stream<Item = Result<D, E>>,
        D: Buf,
        E: Into<BoxError>,
    {
        let declared = headers
            .header("content-length")
            .and_then(|value| std::str::from_utf8(value).ok())
            .and_then(|value| value.trim().parse::<u64>().ok());
        let limit = self.body_limit_for(headers);
        let provider = match self.precheck_within(headers, declared, limit) {
            Ok(provider) => provider,
            Err(rejection) => {
                if matches!(rejection, Rejection::PayloadTooLarge { .. })
                    && !headers.awaits_continue()
                {
                    // A sender still writing the body reads the 413 only if the body is
                    // read: closing on unread bytes resets the connection under its write.
                    // One waiting for `100 Continue` would be asked for it by the read.
                    drain(body).await;
                }
                return Err(rejection);
            }
        };
        // This body counts against the unverified budget until its signature is checked.
        let mut reservation = self.reservation();
        let bytes = read_body(body, self, provider, limit, &mut reservation).await?;
        self.admit_recorded(headers, bytes, Some(reservation)).await
    }

    /// A reservation against this pipeline's unverified budget.
    pub(crate) fn reservation(&self) -> Reservation {
        self.inner.budget.reservation()
    }

    /// How long a whole body may take to arrive.
    #[must_use]
    pub fn body_timeout(&self) -> Duration {
        self.inner.body_timeout
    }

    /// Counts a rejection of a delivery carrying `provider`'s signature header (`None`: no
    /// signature header of any sender), and logs and records it (see [`reject`]).
    fn reject(&self, rejection: Rejection, provider: Option<Provider>) -> Rejection {
        self.inner.observer.rejected(&rejection, provider);
        reject(rejection)
    }

    /// The 401 for a signature that was missing or did not verify, counted under the sender
    /// whose header came.
    fn unauthenticated(&self, error: VerifyError) -> Rejection {
        let claimed = error.provider();
        self.reject(Rejection::Unauthenticated(error), claimed)
    }

    /// The rejection for a body that did not arrive within the body timeout.
    pub(crate) fn body_timed_out(&self, provider: Provider) -> Rejection {
        self.reject(
            Rejection::BodyTimeout {
                timeout: self.inner.body_timeout,
            },
            Some(provider),
        )
    }

    /// The rejection for a body that would pass the unverified budget.
    pub(crate) fn unverified_budget_full(&self, provider: Provider) -> Rejection {
        self.reject(Rejection::UnverifiedBudgetFull, Some(provider))
    }

    /// The checks made before the body is read: a signature header of an allowed provider
    /// (else 401) and a `Content-Length` within the limit (else 413).
    ///
    /// # Errors
    /// [`Rejection::Unauthenticated`] or [`Rejection::PayloadTooLarge`].
    pub fn precheck<H: HeaderSource + ?Sized>(
        &self,
        headers: &H,
        content_length: Option<u64>,
    ) -> Result<Provider, Rejection> {
        self.precheck_within(headers, content_length, self.body_limit_for(headers))
    }

    /// [`precheck`](Self::precheck) against `limit`, the request's
    /// [`body_limit_for`](Self::body_limit_for), which the caller also reads the body with.
    fn precheck_within<H: HeaderSource + ?Sized>(
        &self,
        headers: &H,
        content_length: Option<u64>,
        limit: usize,
    ) -> Result<Provider, Rejection> {
        let provider = self
            .inner
            .verifier
            .detect(headers)
            .map_err(|error| self.unauthenticated(error))?;
        if let Some(span) = delivery_span() {
            span.record("provider", provider.name());
        }
        if content_length.is_some_and(|length| length > limit as u64) {
            return Err(self.reject(Rejection::PayloadTooLarge { limit }, Some(provider)));
        }
        Ok(provider)
    }

    /// The rejection for a request that another layer in front of this one already verified
    /// (the adapter finds its delivery in the request): logged as the error it is.
    #[must_use]
    pub fn nested_layer(&self) -> Rejection {
        tracing::error!(
            namespace = self.inner.namespace.as_str(),
            "this route has two WebhookVerify layers or middlewares, one in front of the \
             other: the inner one answers 500 to every delivery; keep one (with axum, one \
             route_layer; with actix-web, wrap one of the App, the resource or the route)"
        );
        self.reject(Rejection::NestedLayer, None)
    }

    /// The rejection for a body that grew past the limit while it was read.
    pub(crate) fn too_large(&self, provider: Provider, limit: usize) -> Rejection {
        self.reject(Rejection::PayloadTooLarge { limit }, Some(provider))
    }

    /// The rejection for a body that could not be read.
    pub(crate) fn body_read_failed(
        &self,
        error: impl std::error::Error + Send + Sync + 'static,
        provider: Provider,
    ) -> Rejection {
        self.reject(Rejection::BodyRead(Arc::new(error)), Some(provider))
    }

    /// Verifies the complete body, checks that it is usable JSON, derives the deduplication
    /// key and claims it.
    ///
    /// # Errors
    /// The [`Rejection`] to answer with instead of running the handler.
    pub async fn admit<H: HeaderSource + ?Sized>(
        &self,
        headers: &H,
        body: impl Into<Bytes>,
    ) -> Result<Admitted, Rejection> {
        self.admit_recorded(headers, body, None).await
    }

    /// [`admit`](Self::admit) for [`receive`](Self::receive), whose `reservation` of
    /// unverified bytes ends once the signature is checked, and whose
    /// [`precheck`](Self::precheck) already put the provider on the span (a field recorded
    /// twice prints twice).
    async fn admit_recorded<H: HeaderSource + ?Sized>(
        &self,
        headers: &H,
        body: impl Into<Bytes>,
        reservation: Option<Reservation>,
    ) -> Result<Admitted, Rejection> {
        let inner = &*self.inner;
        let record_provider = reservation.is_none();
        let verified = inner.verifier.verify(headers, body);
        drop(reservation);
        let verified = verified.map_err(|error| self.unauthenticated(error))?;
        let provider = verified.provider();
        inner.observer.verified(provider);
        let span = delivery_span();
        if let (true, Some(span)) = (record_provider, &span) {
            span.record("provider", provider.name());
        }

        let parsed;
        let document = match verified.document() {
            Some(document) => document,
            None => {
                parsed = Document::parse(verified.body()).map_err(|error| {
                    self.reject(Rejection::MalformedPayload(error), Some(provider))
                })?;
                &parsed
            }
        };
        let dedup_key = inner.keys.key_for(&inner.namespace, &verified, document);
        let event_type = verified
            .scheme()
            .event_type(&KeyFields::new(&verified, document))
            .map(Cow::into_owned);
        if let Some(span) = &span {
            span.record("dedup_key", dedup_key.as_str());
        }

        let delivery = VerifiedDelivery {
            provider: verified.provider(),
            dedup_key,
            fingerprint: verified.fingerprint(),
            signed_form: verified.signed_form(),
            delivery_id: verified.delivery_id.clone(),
            header_event_type: verified.event_type.clone(),
            event_type,
            body: verified.into_body(),
        };

        let admitted = |delivery, settlement| Admitted {
            delivery,
            runner: Runner::new(
                settlement,
                inner.lease,
                inner.detach,
                inner.observer.running(provider),
            ),
        };
        let Some(store) = &inner.store else {
            return Ok(admitted(delivery, None));
        };
        match store
            .claim(&delivery.dedup_key, delivery.fingerprint, inner.lease)
            .await
        {
            Ok(Claim::Claimed(token)) => {
                let settlement = Settlement {
                    store: Arc::clone(store),
                    token,
                    retention: inner.retention,
                };
                Ok(admitted(delivery, Some(settlement)))
            }
            Ok(Claim::InFlight { retry_after }) => {
                // A live holder renews its claim for as long as its handler runs, so the
                // key cannot come free before the handler ends or the holder's next renewal
                // is missed, whichever is sooner.
                let retry_after = retry_after.min(renewal_interval(inner.lease));
                Err(self.reject(Rejection::InFlight { retry_after }, Some(provider)))
            }
            Ok(Claim::Completed { same_body }) => {
                if !same_body {
                    tracing::warn!(
                        dedup_key = delivery.dedup_key.as_str(),
                        "a different body arrived under an already processed key; acknowledged as a duplicate"
                    );
                }
                Err(self.reject(Rejection::Duplicate { same_body }, Some(provider)))
            }
            Err(error) if inner.fail_open => {
                observe::store_error("claim");
                tracing::warn!(error = %error, "deduplication store failed; running the handler without deduplication (fail-open)");
                Ok(admitted(delivery, None))
            }
            Err(error) => {
                observe::store_error("claim");
                Err(self.reject(Rejection::StoreUnavailable(Arc::new(error)), Some(provider)))
            }
        }
    }
}

/// The span a delivery runs in, to record its fields into, when debug spans are on:
/// [`Pipeline::span`] is a debug span, so below that level there is nothing to record, and
/// looking up the current span costs a thread-local access on every call.
pub(crate) fn delivery_span() -> Option<Span> {
    tracing::level_enabled!(tracing::Level::DEBUG).then(Span::current)
}

/// Records a rejection on the current span and logs its specific reason at debug level.
pub(crate) fn reject(rejection: Rejection) -> Rejection {
    if let Some(span) = delivery_span() {
        span.record("outcome", rejection.code());
    }
    match &rejection {
        Rejection::Unauthenticated(error) => {
            tracing::debug!(reason = error.code(), detail = %error, "webhook refused");
        }
        other => tracing::debug!(reason = other.code(), detail = %other, "webhook short-circuited"),
    }
    rejection
}

/// A delivery the handler may now process.
#[derive(Debug)]
#[must_use = "run the handler with its Runner, or the event stays claimed until its lease expires"]
pub struct Admitted {
    delivery: VerifiedDelivery,
    runner: Runner,
}

impl Admitted {
    /// The delivery to hand to the handler.
    pub fn delivery(&self) -> &VerifiedDelivery {
        &self.delivery
    }

    /// The delivery, and the [`Runner`] that runs the handler under the claim and settles
    /// it by the outcome.
    pub fn into_parts(self) -> (VerifiedDelivery, Runner) {
        (self.delivery, self.runner)
    }
}

/// A claim on an event's deduplication key, to be settled by the handler's outcome.
#[must_use = "settle the claim, or the event stays claimed until its lease expires"]
pub(crate) struct Settlement {
    store: Arc<dyn DedupStore>,
    token: ClaimToken,
    retention: Duration,
}

impl fmt::Debug for Settlement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settlement")
            .field("key", self.token.key())
            .finish_non_exhaustive()
    }
}

impl Settlement {
    /// Renews the claim's lease while the handler runs; false once the claim is lost (it
    /// ran out before a renewal reached the store), when renewing further is pointless.
    pub(crate) async fn extend(&self, lease: Duration) -> bool {
        match self.store.extend(&self.token, lease).await {
            Ok(true) => true,
            Ok(false) => {
                tracing::warn!(
                    dedup_key = self.token.key().as_str(),
                    "the claim's lease ran out while the handler was running; a redelivery may run \
                     it again (renewals did not reach the store in time)"
                );
                false
            }
            Err(error) => {
                observe::store_error("extend");
                tracing::warn!(
                    dedup_key = self.token.key().as_str(),
                    error = %error,
                    "could not renew the claim's lease; retrying at the next renewal"
                );
                true
            }
        }
    }

    /// Completes the claim when the handler succeeded (a 2xx answer), so later copies are
    /// duplicates; releases it otherwise, so the sender's retry is processed.
    pub(crate) async fn settle(self, handler_succeeded: bool) {
        let span = delivery_span().unwrap_or_else(Span::none);
        if handler_succeeded {
            span.record("outcome", "processed");
            match self.store.complete(&self.token, self.retention).await {
                Ok(true) => {}
                Ok(false) => tracing::warn!(
                    dedup_key = self.token.key().as_str(),
                    "the handler outlasted its lease, so the event was not recorded as processed \
                     and a redelivery will run the handler again; raise the lease above the \
                     handler's longest run"
                ),
                Err(error) => {
                    observe::store_error("complete");
                    tracing::warn!(
                        dedup_key = self.token.key().as_str(),
                        error = %error,
                        "could not record the event as processed; a redelivery may run the handler again"
                    );
                }
            }
        } else {
            span.record("outcome", "handler_failed");
            self.release().await;
        }
    }

    /// Releases the claim; for a handler that failed, panicked or was cancelled. The future
    /// is `'static` so it can be spawned from a `Drop`.
    pub(crate) async fn release(self) {
        // `Ok(false)`: the lease ran out and the key is free already, or another delivery
        // took it over; either way the retry will be processed.
        if let Err(error) = self.store.release(&self.token).await {
            observe::store_error("release");
            tracing::warn!(
                dedup_key = self.token.key().as_str(),
                error = %error,
                "could not release the claim; the event is retried once its lease expires"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::dedup::{ManualClock, MemoryStore};
    use crate::events::tests::warnings;
    use crate::{testing, Secret};

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    /// The fields recorded into spans after their creation, in order: `name=value`.
    #[derive(Clone, Default)]
    struct SpanFields(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

    impl tracing::field::Visit for SpanFields {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
            self.0
                .lock()
                .unwrap()
                .push(format!("{}={value:?}", field.name()));
        }

        fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
            self.0
                .lock()
                .unwrap()
                .push(format!("{}={value}", field.name()));
        }
    }

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for SpanFields {
        fn on_record(
            &self,
            _: &tracing::Id,
            values: &tracing::span::Record<'_>,
            _: tracing_subscriber::layer::Context<'_, S>,
        ) {
            values.record(&mut self.clone());
        }
    }

    /// The memory store, saying its calls may take up to a second, as a networked store
    /// would.
    struct SlowCalls(MemoryStore);

    impl DedupStore for SlowCalls {
        fn claim<'a>(
            &'a self,
            key: &'a crate::dedup::DedupKey,
            fingerprint: [u8; 32],
            lease: Duration,
        ) -> crate::dedup::StoreFuture<'a, Claim> {
            self.0.claim(key, fingerprint, lease)
        }
        fn extend<'a>(
            &'a self,
            token: &'a ClaimToken,
            lease: Duration,
        ) -> crate::dedup::StoreFuture<'a, bool> {
            self.0.extend(token, lease)
        }
        fn complete<'a>(
            &'a self,
            token: &'a ClaimToken,
            retention: Duration,
        ) -> crate::dedup::StoreFuture<'a, bool> {
            self.0.complete(token, retention)
        }
        fn release<'a>(&'a self, token: &'a ClaimToken) -> crate::dedup::StoreFuture<'a, bool> {
            self.0.release(token)
        }
        fn call_timeout(&self) -> Option<Duration> {
            Some(Duration::from_secs(1))
        }
    }

    #[test]
    fn a_lease_too_short_for_the_stores_call_timeout_is_warned_about() {
        let config = WebhookConfig::new(Secret::new("lease-vs-timeout").unwrap()).namespace("l");
        let build = |lease: Option<Duration>, store| {
            let config = config.clone().dedup_store(store);
            let config = match lease {
                Some(lease) => config.lease(lease),
                None => config,
            };
            warnings(|| Pipeline::new(config)).1
        };
        let short = build(Some(Duration::from_secs(3)), SlowCalls(MemoryStore::new()));
        assert_eq!(short.len(), 1, "{short:?}");
        assert!(short[0].contains("call timeout"), "{short:?}");
        assert!(short[0].contains("store_call_timeout=1s"), "{short:?}");
        for quiet in [
            build(Some(Duration::from_secs(6)), SlowCalls(MemoryStore::new())),
            build(None, SlowCalls(MemoryStore::new())),
        ] {
            assert!(quiet.is_empty(), "{quiet:?}");
        }
        // A store that answers at once has no timeout to be short of.
        let config = config.clone().dedup_store(MemoryStore::new());
        let in_memory = warnings(|| Pipeline::new(config.lease(Duration::from_secs(1)))).1;
        assert!(in_memory.is_empty(), "{in_memory:?}");
    }

    #[test]
    fn the_span_records_provider_key_and_outcome_once_each() {
        use tracing::Instrument;

        let fields = SpanFields::default();
        let recorded = std::sync::Arc::clone(&fields.0);
        let secret = Secret::new("span-test").unwrap();
        let body = br#"{"id":"evt_span","type":"t","data":{}}"#;
        let signature = testing::sign(Provider::GENERIC, &secret, body).unwrap();
        let headers = [(signature.name(), signature.value())];
        let subscriber =
            tracing_subscriber::layer::SubscriberExt::with(tracing_subscriber::registry(), fields);
        tracing::subscriber::with_default(subscriber, || {
            let pipeline =
                Pipeline::new(WebhookConfig::new(secret.clone()).dedup_store(MemoryStore::new()));
            block_on(
                async {
                    let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(
                        Bytes::from_static(body),
                    )]);
                    let (_, runner) = pipeline
                        .receive(&headers[..], chunks)
                        .await
                        .unwrap()
                        .into_parts();
                    runner.run(|| async { 200 }, |status| *status == 200).await
                }
                .instrument(Pipeline::span()),
            )
            .unwrap();
        });
        let recorded = recorded.lock().unwrap().clone();
        let named = |name: &str| {
            recorded
                .iter()
                .filter(|field| field.starts_with(&format!("{name}=")))
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(named("provider"), ["provider=generic"], "{recorded:?}");
        let key = named("dedup_key");
        assert_eq!(key.len(), 1, "{recorded:?}");
        assert!(key[0].ends_with(":generic:id:evt_span"), "{recorded:?}");
        assert_eq!(named("outcome"), ["outcome=processed"], "{recorded:?}");
    }

    #[test]
    fn an_integer_longer_than_cpython_converts_is_json_for_a_raw_body_sender_only() {
        let secret = Secret::new("long-integer").unwrap();
        let body = format!(r#"{{"id":"evt_long","type":"t","v":{}}}"#, "9".repeat(5000));
        // Valid JSON: a sender that signs its bytes is admitted, keyed by its id.
        let signature = testing::sign(Provider::GENERIC, &secret, body.as_bytes()).unwrap();
        let headers = signature.headers();
        let pipeline = Pipeline::new(WebhookConfig::new(secret.clone()).dedup(false));
        let (delivery, _) = block_on(pipeline.admit(&headers[..], body.clone().into_bytes()))
            .unwrap()
            .into_parts();
        assert!(delivery
            .dedup_key()
            .as_str()
            .ends_with(":generic:id:evt_long"));
        assert_eq!(delivery.event_type(), "t");
        // PromptLayer signs `json.dumps(json.loads(body))`, which CPython cannot compute
        // for it: there is no canonical form to sign or to verify.
        assert!(matches!(
            crate::canonical::canonical_json(body.as_bytes()),
            Err(crate::canonical::CanonicalError::IntegerTooLong { digits: 5000, .. })
        ));
        assert!(testing::sign(Provider::PROMPTLAYER, &secret, body.as_bytes()).is_err());
    }

    #[test]
    fn a_handler_that_outlasts_its_lease_is_reported_and_the_redelivery_runs() {
        let clock = ManualClock::new();
        let secret = Secret::new("lease-test").unwrap();
        let pipeline = Pipeline::new(
            WebhookConfig::new(secret.clone())
                .dedup_store(MemoryStore::new().clock(clock.clone()))
                .lease(Duration::from_secs(10)),
        );
        let body = br#"{"id":"evt_slow","type":"t","data":{}}"#;
        let signature = testing::sign(Provider::GENERIC, &secret, body).unwrap();
        let headers = [(signature.name(), signature.value())];

        let admitted = block_on(pipeline.admit(&headers[..], body.to_vec())).unwrap();
        let (_, runner) = admitted.into_parts();
        clock.advance(Duration::from_secs(11));
        let ((), logged) = warnings(|| block_on(runner.settle(true)));
        assert_eq!(logged.len(), 1, "{logged:?}");
        assert!(logged[0].contains("outlasted its lease"), "{logged:?}");

        let again = block_on(pipeline.admit(&headers[..], body.to_vec()));
        assert!(again.is_ok(), "the redelivery is processed: {again:?}");
    }
}
