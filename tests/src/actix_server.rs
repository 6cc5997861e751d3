//! The actix-web adapter under test: a [`ServerSpec`] served by actix-web with
//! `hookverify-actix`.
//!
//! actix-web's runtime is not `Send`, so each server runs its own actix `System` on its own
//! thread, and the same [`spawn`] works from any context (sync test, async test, another
//! runtime). The middleware is wired the way actix-web users write it: built inside
//! `HttpServer::new`'s per-worker closure, with four workers.

use std::net::SocketAddr;
use std::sync::{mpsc, Arc};

use actix_web::http::header::ContentType;
use actix_web::http::StatusCode;
use actix_web::{web, App, HttpResponse, HttpServer};
use hookverify::events::{AnyEvent, PromptLayerEvent};
use hookverify_actix::{VerifiedWebhook, Webhook, WebhookVerify};

use crate::spec::{
    framing_fault, Behaviour, Extractor, Fault, Recorder, RunningServer, Seen, ServerSpec,
    StrictEvent,
};

/// Starts an actix-web server for `spec` on `127.0.0.1:0` with four workers, each building
/// its own middleware from the spec's config; it stops when the returned [`RunningServer`]
/// is dropped.
///
/// # Panics
/// When the loopback listener or the server's system cannot be set up (a broken test
/// machine, not a test failure).
#[allow(clippy::expect_used)] // startup failures only
pub fn spawn(spec: ServerSpec) -> RunningServer {
    let ServerSpec {
        config,
        extractor,
        behaviour,
        nested,
    } = spec;
    let recorder = Arc::new(Recorder::default());
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind a loopback port");
    let addr: SocketAddr = listener.local_addr().expect("read the bound address");
    let ctx = Ctx {
        recorder: Arc::clone(&recorder),
        behaviour,
    };

    let (handle_tx, handle_rx) = mpsc::channel();
    std::thread::Builder::new()
        .name(format!("actix-test-server-{}", addr.port()))
        .spawn(move || {
            let system = actix_web::rt::System::new();
            let server = system.block_on(async move {
                let server = HttpServer::new(move || {
                    let app = App::new().app_data(web::Data::new(ctx.clone()));
                    // On the route, as the README wires it: another method is 405, not 401.
                    let route = match &config {
                        Some(config) if nested => route(extractor)
                            .wrap(WebhookVerify::from_config(config.clone()))
                            .wrap(WebhookVerify::from_config(config.clone())),
                        Some(config) => {
                            route(extractor).wrap(WebhookVerify::from_config(config.clone()))
                        }
                        None => route(extractor),
                    };
                    app.service(web::resource("/webhook").route(route))
                })
                .workers(4)
                // As the README wires it: a refused connection is closed at once.
                .client_disconnect_timeout(std::time::Duration::ZERO)
                .disable_signals()
                .shutdown_timeout(1)
                .listen(listener)
                .expect("serve the loopback listener")
                .run();
                let _ = handle_tx.send(server.handle());
                server.await
            });
            if let Err(error) = server {
                eprintln!("actix test server on {addr} stopped: {error}");
            }
        })
        .expect("start the server thread");
    let handle = handle_rx
        .recv()
        .expect("the server thread reports its handle");

    RunningServer {
        addr,
        recorder,
        sends_continue_itself: true,
        stop: Some(Box::new(move || {
            // The command is sent now; the server thread winds down on its own.
            drop(handle.stop(false));
        })),
    }
}

/// `POST` with the handler for `extractor`.
fn route(extractor: Extractor) -> actix_web::Route {
    match extractor {
        Extractor::AnyEvent => web::post().to(any_event),
        Extractor::PromptLayerEvent => web::post().to(promptlayer_event),
        Extractor::Verified => web::post().to(verified),
        Extractor::Strict => web::post().to(strict),
        Extractor::FrameworkBytes => web::post().to(framework_bytes),
    }
}

#[derive(Clone)]
struct Ctx {
    recorder: Arc<Recorder>,
    behaviour: Behaviour,
}

/// Runs the spec'd behaviour, recording what the handler saw when it succeeds; answers what
/// the axum server answers, byte for byte.
async fn behave(ctx: &Ctx, seen: Seen) -> HttpResponse {
    let call = ctx.recorder.begin();
    if let Behaviour::Sleep(duration) = ctx.behaviour {
        actix_web::rt::time::sleep(duration).await;
    }
    let fault = match ctx.behaviour {
        Behaviour::Faults => Fault::of(&seen.dedup_key, ctx.recorder.attempt(&seen.dedup_key)),
        _ => Fault::None,
    };
    match fault {
        Fault::Panic => panic!("handler panics on this attempt as the soak asked"),
        Fault::Slow(duration) => actix_web::rt::time::sleep(duration).await,
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
            HttpResponse::build(StatusCode::OK)
                .content_type(ContentType::plaintext())
                .body(r#"{"status":"processed"}"#)
        }
        Err(()) => HttpResponse::build(StatusCode::INTERNAL_SERVER_ERROR)
            .content_type(ContentType::plaintext())
            .body("handler failed as the test asked"),
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
    ctx: web::Data<Ctx>,
    delivery: VerifiedWebhook,
    Webhook(event): Webhook<AnyEvent>,
) -> HttpResponse {
    behave(&ctx, seen(&delivery, event.event_type()).with_event(&event)).await
}

async fn promptlayer_event(
    ctx: web::Data<Ctx>,
    delivery: VerifiedWebhook,
    Webhook(event): Webhook<PromptLayerEvent>,
) -> HttpResponse {
    behave(&ctx, seen(&delivery, event.event_type())).await
}

async fn verified(ctx: web::Data<Ctx>, delivery: VerifiedWebhook) -> HttpResponse {
    behave(&ctx, seen(&delivery, delivery.event_type())).await
}

async fn framework_bytes(
    ctx: web::Data<Ctx>,
    delivery: VerifiedWebhook,
    request: actix_web::HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let headers = request.headers();
    let length = headers.get("content-length").and_then(|v| v.to_str().ok());
    let transfer_encoding = headers.contains_key("transfer-encoding");
    if let Some(fault) = framing_fault(&body, delivery.body(), length, transfer_encoding) {
        return HttpResponse::InternalServerError().body(fault);
    }
    behave(&ctx, seen(&delivery, "")).await
}

async fn strict(
    ctx: web::Data<Ctx>,
    delivery: VerifiedWebhook,
    Webhook(event): Webhook<StrictEvent>,
) -> HttpResponse {
    let _ = event.id;
    behave(&ctx, seen(&delivery, "")).await
}
