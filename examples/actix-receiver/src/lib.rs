//! An actix-web webhook receiver: the contract of the project DESIGN.md's "Example receivers".
//! The binary (`src/main.rs`) serves [`routes`] through [`configure`]; the benchmark measures it.
//!
//! ```text
//! HOOKVERIFY_SECRET=whsec_... HOOKVERIFY_ADDR=127.0.0.1:3000 cargo run -p actix-receiver
//! ```
//!
//! - `POST /webhooks/promptlayer`, `/webhooks/prism`, `/webhooks/promptreports`,
//!   `/webhooks/generic`, `/webhooks/github`, `/webhooks/standard-webhooks`,
//!   `/webhooks/stripe`: each accepts only its own sender's signature;
//! - `POST /webhooks`: any of them;
//! - `GET /events`: the last 1000 processed events, oldest first, as JSON.
//!
//! `HOOKVERIFY_SECRET` is every sender's secret (for Standard Webhooks a `whsec_` value is
//! base64-decoded, as that sender does; any other value is the key bytes);
//! `HOOKVERIFY_SECRET_<SENDER>` (`PROMPTLAYER`, `PRISM`, `PROMPTREPORTS`, `GENERIC`,
//! `GITHUB`, `STANDARD_WEBHOOKS`, `STRIPE`) overrides it for one sender.
//! `HOOKVERIFY_REDIS_URL` (e.g. `redis://127.0.0.1:6379/`) deduplicates in Redis, so that
//! several replicas behind one sender run each event once; unset, in this process's memory.
//!
//! Every route shares one deduplication store, so one event is processed once whichever route
//! and worker its copies reach. `RUST_LOG` sets the log filter (default `info`).

/// What both receivers promise (address, routes, secrets): one file for both.
#[path = "../../axum-receiver/src/contract.rs"]
pub mod contract;
/// The format of the receivers' log lines: one file for both.
#[path = "../../axum-receiver/src/log_line.rs"]
pub mod log_line;
#[path = "../../axum-receiver/src/logging.rs"]
pub mod logging;
pub mod serve;
/// The clock of a stalled write: one file for both.
#[path = "../../axum-receiver/src/stall.rs"]
pub mod stall;
/// The processed events `GET /events` lists: one file for both.
#[path = "../../axum-receiver/src/state.rs"]
pub mod state;

use std::sync::Arc;

use actix_web::{web, HttpResponse};

use hookverify::dedup::{DedupStore, MemoryStore, StoreError};

use hookverify_actix::{VerifiedWebhook, WebhookVerify};
use hookverify_redis::RedisStore;
use time::OffsetDateTime;

pub use crate::contract::{Secrets, DEFAULT_ADDR, DEMO_SECRET, NAMESPACE, ROUTES};
pub use crate::state::{EventLog, Processed};

/// The webhook routes of [`ROUTES`], each with its middleware; all share `store`.
pub fn routes(
    secrets: &Secrets,
    store: &Arc<dyn DedupStore>,
) -> Vec<(&'static str, WebhookVerify)> {
    ROUTES
        .iter()
        .map(|(path, providers)| {
            let verify = WebhookVerify::from_config(secrets.config(providers).route(*path))
                .dedup_store_arc(Arc::clone(store));
            (*path, verify)
        })
        .collect()
}

/// One worker's routes.
pub fn configure(
    cfg: &mut web::ServiceConfig,
    routes: &[(&'static str, WebhookVerify)],
    events: &web::Data<EventLog>,
) {
    // Resources rather than `cfg.route`: another method on them is 405, as in axum. The
    // middleware wraps the POST route, not the resource, so that a GET is not refused 401.
    cfg.app_data(events.clone()).service(
        web::resource("/events")
            .route(web::get().to(list_events))
            // As axum's `get` routes also serve HEAD.
            .route(web::head().to(list_events)),
    );
    for (path, verify) in routes {
        cfg.service(web::resource(*path).route(web::post().to(handle).wrap(verify.clone())));
    }
}

/// Where the workers deduplicate: Redis at `HOOKVERIFY_REDIS_URL` when it is set (every
/// replica pointed at one Redis runs each event once), otherwise this process's memory.
#[derive(Clone)]
pub enum Stores {
    /// One memory store, shared by every worker.
    Memory(Arc<dyn DedupStore>),
    /// Redis: a connection per worker, made on the worker's thread, so that its calls never
    /// cross threads.
    Redis {
        /// The Redis URL (may carry a password: never logged).
        url: String,
    },
}

impl Stores {
    /// From `HOOKVERIFY_REDIS_URL`; Redis is reached once here, so that a wrong URL or a Redis
    /// that is down stops the receiver at start-up.
    ///
    /// # Errors
    /// When the variable is not UTF-8 or Redis cannot be reached.
    pub async fn from_env() -> Result<Self, Box<dyn std::error::Error>> {
        match std::env::var("HOOKVERIFY_REDIS_URL") {
            Ok(url) => {
                RedisStore::connect(&url)
                    .await
                    .map_err(|error| contract::redis_unusable(&error))?;
                tracing::info!("deduplicating in Redis (HOOKVERIFY_REDIS_URL)");
                Ok(Self::Redis { url })
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                Err("HOOKVERIFY_REDIS_URL is set but is not valid UTF-8".into())
            }
            Err(std::env::VarError::NotPresent) => Ok(Self::Memory(Arc::new(MemoryStore::new()))),
        }
    }

    /// The store for the worker this is called on (inside `HttpServer::new`'s closure).
    #[must_use]
    pub fn for_worker(&self) -> Arc<dyn DedupStore> {
        match self {
            Self::Memory(store) => Arc::clone(store),
            Self::Redis { url } => match RedisStore::builder(url.clone()).connect_lazy() {
                Ok(store) => Arc::new(store),
                Err(error) => {
                    // The URL was checked at start-up; should it fail now, fail closed: every
                    // delivery gets 503 and is retried, none is lost or run twice.
                    tracing::error!(%error, "cannot make this worker's Redis store");
                    Arc::new(Unavailable)
                }
            },
        }
    }
}

/// A store that always fails: 503 for every delivery, so the sender retries.
struct Unavailable;

impl DedupStore for Unavailable {
    fn claim<'a>(
        &'a self,
        _key: &'a hookverify::dedup::DedupKey,
        _fingerprint: [u8; 32],
        _lease: std::time::Duration,
    ) -> hookverify::dedup::StoreFuture<'a, hookverify::dedup::Claim> {
        Box::pin(std::future::ready(Err(StoreError::unavailable(
            "no Redis store",
        ))))
    }

    fn extend<'a>(
        &'a self,
        _token: &'a hookverify::dedup::ClaimToken,
        _lease: std::time::Duration,
    ) -> hookverify::dedup::StoreFuture<'a, bool> {
        Box::pin(std::future::ready(Ok(false)))
    }

    fn complete<'a>(
        &'a self,
        _token: &'a hookverify::dedup::ClaimToken,
        _retention: std::time::Duration,
    ) -> hookverify::dedup::StoreFuture<'a, bool> {
        Box::pin(std::future::ready(Ok(false)))
    }

    fn release<'a>(
        &'a self,
        _token: &'a hookverify::dedup::ClaimToken,
    ) -> hookverify::dedup::StoreFuture<'a, bool> {
        Box::pin(std::future::ready(Ok(false)))
    }
}

/// Records and logs one verified, first-seen event.
async fn handle(delivery: VerifiedWebhook, events: web::Data<EventLog>) -> HttpResponse {
    let processed = Processed {
        provider: delivery.provider().name(),
        // The type the pipeline read from the body it parsed: the same as
        // `Webhook<AnyEvent>`'s `event_type()`, without parsing the event a second time.
        event_type: delivery.event_type().to_owned(),
        dedup_key: delivery.dedup_key().as_str().to_owned(),
        received_at: OffsetDateTime::now_utc(),
    };
    tracing::info!(
        provider = processed.provider,
        event_type = processed.event_type.as_str(),
        dedup_key = processed.dedup_key.as_str(),
        "webhook processed"
    );
    events.push(processed);
    // A fixed answer: no JSON value to build and serialize per delivery.
    HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"status":"processed"}"#)
}

/// `GET /events`: the last 1000 processed events, oldest first.
async fn list_events(events: web::Data<EventLog>) -> HttpResponse {
    HttpResponse::Ok().json(events.snapshot())
}

#[cfg(test)]
mod tests {
    use actix_web::{test, App};
    use hookverify::testing;
    use hookverify::Provider;
    use time::format_description::well_known::Rfc3339;

    use super::*;

    #[actix_web::test]
    async fn routes_share_one_store_and_log_events() {
        let secret = hookverify::Secret::new(DEMO_SECRET).unwrap();
        let store: Arc<dyn DedupStore> = Arc::new(MemoryStore::new());
        let routes = routes(&Secrets::one(secret.clone()), &store);
        let events = web::Data::new(EventLog::default());
        // Two apps stand for two workers.
        let workers = [
            test::init_service(App::new().configure(|cfg| configure(cfg, &routes, &events))).await,
            test::init_service(App::new().configure(|cfg| configure(cfg, &routes, &events))).await,
        ];
        let body =
            r#"{"id":"evt_1","type":"user.created","created_at":"2025-01-01T00:00:00Z","data":{}}"#;
        let signature = testing::sign(Provider::GENERIC, &secret, body.as_bytes()).unwrap();
        let post = |uri: &str| {
            test::TestRequest::post()
                .uri(uri)
                .insert_header((signature.name(), signature.value()))
                .set_payload(body)
                .to_request()
        };

        let first = test::call_service(&workers[0], post("/webhooks/generic")).await;
        assert_eq!(first.status(), 200);
        let copy = test::call_service(&workers[1], post("/webhooks")).await;
        assert_eq!(test::read_body(copy).await, r#"{"status":"duplicate"}"#);
        let wrong_route = test::call_service(&workers[0], post("/webhooks/prism")).await;
        assert_eq!(wrong_route.status(), 401);
        let get = test::TestRequest::get()
            .uri("/webhooks/generic")
            .to_request();
        assert_eq!(test::call_service(&workers[0], get).await.status(), 405);
        let unknown = test::call_service(&workers[0], post("/webhooks/nope")).await;
        assert_eq!(unknown.status(), 404);

        let listed = test::TestRequest::get().uri("/events").to_request();
        let listed: serde_json::Value = test::call_and_read_body_json(&workers[1], listed).await;
        let listed = listed.as_array().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["provider"], "generic");
        assert_eq!(listed[0]["event_type"], "user.created");
        let key = listed[0]["dedup_key"].as_str().unwrap_or_default();
        assert!(key.ends_with(":generic:id:evt_1"), "{key}");
        let received_at = listed[0]["received_at"].as_str().unwrap();
        let parsed = OffsetDateTime::parse(received_at, &Rfc3339).unwrap();
        assert_eq!(parsed.offset(), time::UtcOffset::UTC);
        let posted = test::TestRequest::post().uri("/events").to_request();
        assert_eq!(test::call_service(&workers[1], posted).await.status(), 405);
        let head = test::TestRequest::default()
            .method(actix_web::http::Method::HEAD)
            .uri("/events")
            .to_request();
        assert_eq!(test::call_service(&workers[1], head).await.status(), 200);
    }

    #[actix_web::test]
    async fn one_event_on_two_routes_is_one_event_with_secrets_per_sender() {
        let github = hookverify::Secret::new("github-only-secret").unwrap();
        let stripe = hookverify::Secret::new("stripe-only-secret").unwrap();
        let secrets = Secrets::per_sender()
            .with(Provider::GITHUB, github)
            .with(Provider::STRIPE, stripe.clone());
        let store: Arc<dyn DedupStore> = Arc::new(MemoryStore::new());
        let routes = routes(&secrets, &store);
        let events = web::Data::new(EventLog::default());
        let app =
            test::init_service(App::new().configure(|cfg| configure(cfg, &routes, &events))).await;
        let body = r#"{"id":"evt_two_routes","object":"event","type":"invoice.paid","created":1,"data":{"object":{}}}"#;
        let signature = testing::sign(Provider::STRIPE, &stripe, body.as_bytes()).unwrap();
        let post = |uri: &str| {
            signature
                .headers()
                .into_iter()
                .fold(test::TestRequest::post().uri(uri), |request, header| {
                    request.insert_header(header)
                })
                .set_payload(body)
                .to_request()
        };
        let first = test::call_service(&app, post("/webhooks/stripe")).await;
        assert_eq!(test::read_body(first).await, r#"{"status":"processed"}"#);
        let copy = test::call_service(&app, post("/webhooks")).await;
        assert_eq!(test::read_body(copy).await, r#"{"status":"duplicate"}"#);
    }

    #[actix_web::test]
    async fn each_sender_route_takes_its_own_sender_under_its_own_secret() {
        let shared = hookverify::Secret::new(DEMO_SECRET).unwrap();
        let github_only = hookverify::Secret::new("github-only-secret").unwrap();
        let secrets = Secrets::one(shared.clone()).with(Provider::GITHUB, github_only.clone());
        let store: Arc<dyn DedupStore> = Arc::new(MemoryStore::new());
        let routes = routes(&secrets, &store);
        let events = web::Data::new(EventLog::default());
        let app =
            test::init_service(App::new().configure(|cfg| configure(cfg, &routes, &events))).await;
        let post = |uri: &str, signature: &testing::TestSignature, body: &str| {
            signature
                .headers()
                .into_iter()
                .fold(test::TestRequest::post().uri(uri), |request, header| {
                    request.insert_header(header)
                })
                .set_payload(body.to_owned())
                .to_request()
        };
        for (index, (path, providers)) in ROUTES.iter().enumerate().take(ROUTES.len() - 1) {
            let provider = providers[0];
            let body = serde_json::json!({"id": format!("evt_{index}"), "type": "t.happened",
                "created": 1, "data": {"object": {}}})
            .to_string();
            let secret = if provider == Provider::GITHUB {
                &github_only
            } else {
                &shared
            };
            let signature = testing::sign(provider, secret, body.as_bytes()).unwrap();
            let (other_path, other) = ROUTES[(index + 1) % (ROUTES.len() - 1)];
            assert_ne!(other[0], provider);
            let elsewhere = test::call_service(&app, post(other_path, &signature, &body)).await;
            assert_eq!(elsewhere.status(), 401, "{provider} on {other_path}");
            let own = test::call_service(&app, post(path, &signature, &body)).await;
            assert_eq!(own.status(), 200, "{provider} on {path}");
            assert_eq!(test::read_body(own).await, r#"{"status":"processed"}"#);
        }
        // GitHub has a secret of its own: the shared one no longer signs for it.
        let body = r#"{"zen": "Keep it logically awesome."}"#;
        let by_shared = testing::sign(Provider::GITHUB, &shared, body.as_bytes()).unwrap();
        let refused = test::call_service(&app, post("/webhooks/github", &by_shared, body)).await;
        assert_eq!(refused.status(), 401);
    }
}
