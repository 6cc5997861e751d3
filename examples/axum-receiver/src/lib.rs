//! An axum webhook receiver: the contract of the project DESIGN.md's "Example receivers".
//! The binary (`src/main.rs`) serves [`app`]; the benchmark measures it.
//!
//! ```text
//! HOOKVERIFY_SECRET=whsec_... HOOKVERIFY_ADDR=127.0.0.1:3000 cargo run -p axum-receiver
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
//! its copies reach. `RUST_LOG` sets the log filter (default `info`). Ctrl-C stops it
//! gracefully.

pub mod contract;
pub mod log_line;
pub mod logging;
pub mod serve;
pub mod stall;
pub mod state;
pub mod write_deadline;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use std::sync::Arc;

use hookverify::dedup::{DedupStore, MemoryStore};

use hookverify_redis::RedisStore;
use hookverify_tower::{VerifiedWebhook, WebhookVerify};
use time::OffsetDateTime;

pub use crate::contract::{Secrets, DEFAULT_ADDR, DEMO_SECRET, NAMESPACE, ROUTES};
pub use crate::state::{EventLog, Processed};

/// The whole application: one router per route of [`ROUTES`], each behind its own layer,
/// every layer sharing `store`; `GET /events` outside them.
pub fn app(secrets: &Secrets, store: &Arc<dyn DedupStore>, events: EventLog) -> Router {
    let mut app = Router::new();
    for (path, providers) in ROUTES {
        let verify = WebhookVerify::from_config(secrets.config(providers).route(path))
            .dedup_store_arc(Arc::clone(store));
        // On the method router: a GET on a webhook route is 405, not refused 401.
        app = app.route(path, post(handle).route_layer(verify));
    }
    app.route("/events", get(list_events)).with_state(events)
}

/// The deduplication store: Redis at `HOOKVERIFY_REDIS_URL` when it is set (every replica
/// pointed at one Redis runs each event once), otherwise this process's memory.
pub async fn store() -> Result<Arc<dyn DedupStore>, Box<dyn std::error::Error>> {
    match std::env::var("HOOKVERIFY_REDIS_URL") {
        Ok(url) => {
            let store = RedisStore::connect(&url)
                .await
                .map_err(|error| contract::redis_unusable(&error))?;
            tracing::info!("deduplicating in Redis (HOOKVERIFY_REDIS_URL)");
            Ok(Arc::new(store))
        }
        Err(std::env::VarError::NotUnicode(_)) => {
            Err("HOOKVERIFY_REDIS_URL is set but is not valid UTF-8".into())
        }
        Err(std::env::VarError::NotPresent) => Ok(Arc::new(MemoryStore::new())),
    }
}

/// Records and logs one verified, first-seen event.
async fn handle(State(events): State<EventLog>, delivery: VerifiedWebhook) -> impl IntoResponse {
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
    (
        [(CONTENT_TYPE, "application/json")],
        r#"{"status":"processed"}"#,
    )
}

/// `GET /events`: the last 1000 processed events, oldest first.
async fn list_events(State(events): State<EventLog>) -> Json<Vec<Processed>> {
    Json(events.snapshot())
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use hookverify::testing;
    use hookverify::Provider;
    use http_body_util::BodyExt;
    use serde_json::{json, Value};
    use time::format_description::well_known::Rfc3339;
    use tower::ServiceExt;

    use super::*;

    async fn call(app: &Router, request: Request<Body>) -> (StatusCode, Value) {
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn routes_share_one_store_and_log_events() {
        let secret = hookverify::Secret::new(DEMO_SECRET).unwrap();
        let store: Arc<dyn DedupStore> = Arc::new(MemoryStore::new());
        let app = app(&Secrets::one(secret.clone()), &store, EventLog::default());
        let body =
            r#"{"id":"evt_1","type":"user.created","created_at":"2025-01-01T00:00:00Z","data":{}}"#;
        let signature = testing::sign(Provider::GENERIC, &secret, body.as_bytes()).unwrap();
        let post = |uri: &str| {
            Request::post(uri)
                .header(signature.name(), signature.value())
                .body(Body::from(body))
                .unwrap()
        };

        let first = call(&app, post("/webhooks/generic")).await;
        assert_eq!(first, (StatusCode::OK, json!({"status": "processed"})));
        let copy = call(&app, post("/webhooks")).await;
        assert_eq!(copy, (StatusCode::OK, json!({"status": "duplicate"})));
        let wrong_route = call(&app, post("/webhooks/prism")).await;
        assert_eq!(wrong_route.0, StatusCode::UNAUTHORIZED);
        let get = Request::get("/webhooks/generic")
            .body(Body::empty())
            .unwrap();
        assert_eq!(call(&app, get).await.0, StatusCode::METHOD_NOT_ALLOWED);
        let unknown = call(&app, post("/webhooks/nope")).await;
        assert_eq!(unknown.0, StatusCode::NOT_FOUND);

        let (status, listed) =
            call(&app, Request::get("/events").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        let listed = listed.as_array().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["provider"], "generic");
        assert_eq!(listed[0]["event_type"], "user.created");
        let key = listed[0]["dedup_key"].as_str().unwrap_or_default();
        assert!(key.ends_with(":generic:id:evt_1"), "{key}");
        let received_at = listed[0]["received_at"].as_str().unwrap();
        assert!(
            OffsetDateTime::parse(received_at, &Rfc3339).is_ok(),
            "{received_at}"
        );
        assert!(received_at.ends_with('Z'), "{received_at}");
    }

    #[test]
    fn a_senders_id_in_the_librarys_warnings_cannot_pass_for_another_field() {
        let secret = hookverify::Secret::new(DEMO_SECRET).unwrap();
        let app = app(
            &Secrets::one(secret.clone()),
            &(Arc::new(MemoryStore::new()) as Arc<dyn DedupStore>),
            EventLog::default(),
        );
        // One id, two bodies: the second is acknowledged as a duplicate with a warning
        // naming its key, which holds the sender's id.
        let id = "evt_1 provider=\"github\" note=\u{202e}txt";
        let ((), text) = log_line::captured::lines(false, || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            for n in 0..2 {
                let body = json!({"id": id, "type": "t", "n": n}).to_string();
                let signature = testing::sign(Provider::GENERIC, &secret, body.as_bytes()).unwrap();
                let request = Request::post("/webhooks/generic")
                    .header(signature.name(), signature.value())
                    .body(Body::from(body))
                    .unwrap();
                let (status, _) = runtime.block_on(call(&app, request));
                assert_eq!(status, StatusCode::OK);
            }
        });
        let warning = text
            .lines()
            .find(|line| line.contains(" WARN "))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(
            warning.contains(
                r#"dedup_key="receiver:generic:id:evt_1 provider=\"github\" note=\u{202e}txt""#
            ),
            "{warning}"
        );
        assert!(!warning.contains('\u{202e}'), "{warning}");
    }

    #[tokio::test]
    async fn one_event_on_two_routes_is_one_event_with_secrets_per_sender() {
        let github = hookverify::Secret::new("github-only-secret").unwrap();
        let stripe = hookverify::Secret::new("stripe-only-secret").unwrap();
        let secrets = Secrets::per_sender()
            .with(Provider::GITHUB, github)
            .with(Provider::STRIPE, stripe.clone());
        let store: Arc<dyn DedupStore> = Arc::new(MemoryStore::new());
        let app = app(&secrets, &store, EventLog::default());
        let body = r#"{"id":"evt_two_routes","object":"event","type":"invoice.paid","created":1,"data":{"object":{}}}"#;
        let signature = testing::sign(Provider::STRIPE, &stripe, body.as_bytes()).unwrap();
        let post = |uri: &str| {
            let mut request = Request::post(uri);
            for (name, value) in signature.headers() {
                request = request.header(name, value);
            }
            request.body(Body::from(body)).unwrap()
        };
        let first = call(&app, post("/webhooks/stripe")).await;
        assert_eq!(first, (StatusCode::OK, json!({"status": "processed"})));
        let copy = call(&app, post("/webhooks")).await;
        assert_eq!(copy, (StatusCode::OK, json!({"status": "duplicate"})));
    }

    #[tokio::test]
    async fn each_sender_route_takes_its_own_sender_under_its_own_secret() {
        let shared = hookverify::Secret::new(DEMO_SECRET).unwrap();
        let github_only = hookverify::Secret::new("github-only-secret").unwrap();
        let secrets = Secrets::one(shared.clone()).with(Provider::GITHUB, github_only.clone());
        let store: Arc<dyn DedupStore> = Arc::new(MemoryStore::new());
        let app = app(&secrets, &store, EventLog::default());
        let post = |uri: &str, signature: &testing::TestSignature, body: &str| {
            let mut request = Request::post(uri);
            for (name, value) in signature.headers() {
                request = request.header(name, value);
            }
            request.body(Body::from(body.to_owned())).unwrap()
        };
        for (index, (path, providers)) in ROUTES.iter().enumerate().take(ROUTES.len() - 1) {
            let provider = providers[0];
            let body = json!({"id": format!("evt_{index}"), "type": "t.happened", "created": 1,
                "data": {"object": {}}})
            .to_string();
            let secret = if provider == Provider::GITHUB {
                &github_only
            } else {
                &shared
            };
            let signature = testing::sign(provider, secret, body.as_bytes()).unwrap();
            let (other_path, other) = ROUTES[(index + 1) % (ROUTES.len() - 1)];
            assert_ne!(other[0], provider);
            let elsewhere = call(&app, post(other_path, &signature, &body)).await;
            assert_eq!(
                elsewhere.0,
                StatusCode::UNAUTHORIZED,
                "{provider} on {other_path}"
            );
            let own = call(&app, post(path, &signature, &body)).await;
            assert_eq!(
                own,
                (StatusCode::OK, json!({"status": "processed"})),
                "{provider} on {path}"
            );
        }
        // GitHub has a secret of its own: the shared one no longer signs for it.
        let body = r#"{"zen": "Keep it logically awesome."}"#;
        let by_shared = testing::sign(Provider::GITHUB, &shared, body.as_bytes()).unwrap();
        let refused = call(&app, post("/webhooks/github", &by_shared, body)).await;
        assert_eq!(refused.0, StatusCode::UNAUTHORIZED);
    }
}
