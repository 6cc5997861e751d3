//! The axum adapter under test: a [`ServerSpec`] served by axum with `hookverify-tower`.
//!
//! Each server runs on its own thread and tokio runtime, so a handler that panics, sleeps or
//! is cancelled never touches the test's own runtime, and the same [`spawn`] works from any
//! context (sync test, async test, another runtime).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use hookverify::events::{AnyEvent, PromptLayerEvent};
use hookverify_tower::{VerifiedWebhook, Webhook, WebhookVerify};

use crate::spec::{
    framing_fault, Behaviour, Extractor, Fault, Recorder, RunningServer, Seen, ServerSpec,
    StrictEvent,
};

/// Starts an axum server for `spec` on `127.0.0.1:0`; it stops when the returned
/// [`RunningServer`] is dropped.
///
/// # Panics
/// When the loopback listener or the server's runtime cannot be set up (a broken test
/// machine, not a test failure).
#[allow(clippy::expect_used)] // startup failures only
pub fn spawn(spec: ServerSpec) -> RunningServer {
    let recorder = Arc::new(Recorder::default());
    let app = router(spec, Arc::clone(&recorder));
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind a loopback port");
    listener
        .set_nonblocking(true)
        .expect("make the listener non-blocking");
    let addr: SocketAddr = listener.local_addr().expect("read the bound address");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("axum-test-server")
        .enable_all()
        .build()
        .expect("build the server runtime");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let listener = {
        let _guard = runtime.enter();
        tokio::net::TcpListener::from_std(listener).expect("register the listener with tokio")
    };
    std::thread::Builder::new()
        .name(format!("axum-test-server-{}", addr.port()))
        .spawn(move || {
            runtime.block_on(async move {
                tokio::select! {
                    served = axum::serve(listener, app) => {
                        if let Err(error) = served {
                            eprintln!("axum test server on {addr} stopped: {error}");
                        }
                    }
                    _ = stop_rx => {}
                }
            });
            // Connections still open (a pooled keep-alive, a sleeping handler) are cut.
            runtime.shutdown_timeout(Duration::from_secs(1));
        })
        .expect("start the server thread");
    RunningServer {
        addr,
        recorder,
        sends_continue_itself: false,
        stop: Some(Box::new(move || {
            let _ = stop_tx.send(());
        })),
    }
}

#[derive(Clone)]
struct Ctx {
    recorder: Arc<Recorder>,
    behaviour: Behaviour,
}

fn router(spec: ServerSpec, recorder: Arc<Recorder>) -> Router {
    let ServerSpec {
        config,
        extractor,
        behaviour,
        nested,
    } = spec;
    let ctx = Ctx {
        recorder,
        behaviour,
    };
    let route = match extractor {
        Extractor::AnyEvent => post(any_event),
        Extractor::PromptLayerEvent => post(promptlayer_event),
        Extractor::Verified => post(verified),
        Extractor::Strict => post(strict),
        Extractor::FrameworkBytes => post(framework_bytes),
    };
    // On the method router, as the README wires it: another method is 405, not 401.
    let route = match config {
        Some(config) if nested => route
            .route_layer(WebhookVerify::from_config(config.clone()))
            .route_layer(WebhookVerify::from_config(config)),
        Some(config) => route.route_layer(WebhookVerify::from_config(config)),
        None => route,
    };
    Router::new().route("/webhook", route).with_state(ctx)
}

/// Runs the spec'd behaviour, recording what the handler saw when it succeeds.
async fn behave(ctx: &Ctx, seen: Seen) -> Response {
    let call = ctx.recorder.begin();
    if let Behaviour::Sleep(duration) = ctx.behaviour {
        tokio::time::sleep(duration).await;
    }
    let fault = match ctx.behaviour {
        Behaviour::Faults => Fault::of(&seen.dedup_key, ctx.recorder.attempt(&seen.dedup_key)),
        _ => Fault::None,
    };
    match fault {
        Fault::Panic => panic!("handler panics on this attempt as the soak asked"),
        Fault::Slow(duration) => tokio::time::sleep(duration).await,
        Fault::Fail | Fault::None => {}
    }
    let decided = if fault == Fault::Fail {
        Err(())
    } else {
        Recorder::decide(ctx.behaviour, call)
    };
    match decided {
        Ok(()) => {
            ctx.recorder.record(seen);
            (StatusCode::OK, r#"{"status":"processed"}"#).into_response()
        }
        Err(()) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "handler failed as the test asked",
        )
            .into_response(),
    }
}

fn seen(delivery: &VerifiedWebhook, event_type: &str) -> Seen {
    Seen {
        provider: delivery.provider().name().to_owned(),
        event_type: event_type.to_owned(),
        dedup_key: delivery.dedup_key().as_str().to_owned(),
        body_len: delivery.body().len(),
        event: None,
    }
}

async fn any_event(
    State(ctx): State<Ctx>,
    delivery: VerifiedWebhook,
    Webhook(event): Webhook<AnyEvent>,
) -> Response {
    behave(&ctx, seen(&delivery, event.event_type()).with_event(&event)).await
}

async fn promptlayer_event(
    State(ctx): State<Ctx>,
    delivery: VerifiedWebhook,
    Webhook(event): Webhook<PromptLayerEvent>,
) -> Response {
    behave(&ctx, seen(&delivery, event.event_type())).await
}

async fn verified(State(ctx): State<Ctx>, delivery: VerifiedWebhook) -> Response {
    behave(&ctx, seen(&delivery, delivery.event_type())).await
}

async fn framework_bytes(
    State(ctx): State<Ctx>,
    delivery: VerifiedWebhook,
    headers: axum::http::HeaderMap,
    body: bytes::Bytes,
) -> Response {
    let length = headers.get("content-length").and_then(|v| v.to_str().ok());
    let transfer_encoding = headers.contains_key("transfer-encoding");
    if let Some(fault) = framing_fault(&body, delivery.body(), length, transfer_encoding) {
        return (StatusCode::INTERNAL_SERVER_ERROR, fault).into_response();
    }
    behave(&ctx, seen(&delivery, "")).await
}

async fn strict(
    State(ctx): State<Ctx>,
    delivery: VerifiedWebhook,
    Webhook(event): Webhook<StrictEvent>,
) -> Response {
    let _ = event.id;
    behave(&ctx, seen(&delivery, "")).await
}
