//! What the cross-adapter conformance table cannot reach: actix-specific wiring (scope and
//! resource wrap, shared pipeline across workers), handler errors, panics and cancellation.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::{test, web, App, HttpResponse};
use bytes::Bytes;
use futures_util::FutureExt;
use hookverify::pipeline::{ExtractError, Rejection};
use hookverify::{testing, Provider, Secret};

use crate::{VerifiedWebhook, Webhook, WebhookVerify};

fn secret() -> Secret {
    Secret::new("whsec_actix_tests").unwrap()
}

/// The middleware over the default store, in a namespace of its own: tests in one process
/// share the default store of their secret, and must not see each other's events.
fn verify() -> WebhookVerify {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    WebhookVerify::new(secret()).namespace(format!("actix-unit-{n}"))
}

fn body(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","type":"user.created","created_at":"2025-01-01T00:00:00Z","data":{{}}}}"#
    )
}

fn signed(uri: &str, body: &str) -> test::TestRequest {
    let signature = testing::sign(Provider::GENERIC, &secret(), body.as_bytes()).unwrap();
    let request = test::TestRequest::post().uri(uri);
    signature
        .into_headers()
        .into_iter()
        .fold(request, test::TestRequest::insert_header)
        .set_payload(body.to_owned())
}

async fn status_of<S, B>(app: &S, req: test::TestRequest) -> u16
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    test::call_service(app, req.to_request())
        .await
        .status()
        .as_u16()
}

/// A counter the handlers share with the test.
#[derive(Clone, Default)]
struct Calls(Arc<AtomicUsize>);

impl Calls {
    fn next(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

#[actix_rt::test]
async fn handler_err_releases_the_claim() {
    let calls = Calls::default();
    let counted = calls.clone();
    let app = test::init_service(App::new().wrap(verify()).route(
        "/hook",
        web::post().to(move |_: VerifiedWebhook| {
            let call = counted.next();
            async move {
                if call == 1 {
                    Err(actix_web::error::ErrorInternalServerError(
                        "first call fails",
                    ))
                } else {
                    Ok(HttpResponse::Ok().finish())
                }
            }
        }),
    ))
    .await;

    let event = body("evt_err");
    assert_eq!(status_of(&app, signed("/hook", &event)).await, 500);
    assert_eq!(
        status_of(&app, signed("/hook", &event)).await,
        200,
        "the retry runs the handler"
    );
    assert_eq!(status_of(&app, signed("/hook", &event)).await, 200);
    assert_eq!(calls.get(), 2, "the third copy is a duplicate");
}

#[actix_rt::test]
async fn non_2xx_answer_releases_the_claim() {
    let calls = Calls::default();
    let counted = calls.clone();
    let app = test::init_service(App::new().wrap(verify()).route(
        "/hook",
        web::post().to(move |_: VerifiedWebhook| {
            let call = counted.next();
            async move {
                if call == 1 {
                    HttpResponse::ServiceUnavailable().finish()
                } else {
                    HttpResponse::NoContent().finish()
                }
            }
        }),
    ))
    .await;

    let event = body("evt_503");
    assert_eq!(status_of(&app, signed("/hook", &event)).await, 503);
    assert_eq!(status_of(&app, signed("/hook", &event)).await, 204);
    let duplicate = test::call_service(&app, signed("/hook", &event).to_request()).await;
    assert_eq!(duplicate.status(), 200);
    assert_eq!(
        test::read_body(duplicate).await,
        r#"{"status":"duplicate"}"#
    );
    assert_eq!(calls.get(), 2);
}

#[actix_rt::test]
async fn panic_releases_the_claim_and_resumes() {
    let calls = Calls::default();
    let counted = calls.clone();
    let app = test::init_service(App::new().wrap(verify()).route(
        "/hook",
        web::post().to(move |_: VerifiedWebhook| {
            let call = counted.next();
            async move {
                assert!(
                    call > 1,
                    "the handler panics on its first call, as this test asks"
                );
                HttpResponse::Ok().finish()
            }
        }),
    ))
    .await;

    let event = body("evt_panic");
    let first = AssertUnwindSafe(test::call_service(
        &app,
        signed("/hook", &event).to_request(),
    ))
    .catch_unwind()
    .await;
    assert!(first.is_err(), "the panic reaches the caller");
    assert_eq!(
        status_of(&app, signed("/hook", &event)).await,
        200,
        "the retry runs the handler"
    );
    assert_eq!(calls.get(), 2);
}

#[actix_rt::test]
async fn a_handler_finishes_when_the_request_is_cancelled() {
    let calls = Calls::default();
    let counted = calls.clone();
    let app = test::init_service(App::new().wrap(verify()).route(
        "/hook",
        web::post().to(move |_: VerifiedWebhook| {
            let call = counted.next();
            async move {
                if call == 1 {
                    actix_rt::time::sleep(Duration::from_millis(300)).await;
                }
                HttpResponse::Ok().finish()
            }
        }),
    ))
    .await;

    let event = body("evt_sender_timeout");
    let cancelled = actix_rt::time::timeout(
        Duration::from_millis(50),
        test::call_service(&app, signed("/hook", &event).to_request()),
    )
    .await;
    assert!(cancelled.is_err(), "the sender hangs up mid-handler");
    assert_eq!(
        status_of(&app, signed("/hook", &event)).await,
        503,
        "the retry while the handler still runs is told to come back"
    );
    actix_rt::time::sleep(Duration::from_millis(400)).await;
    let retry = test::call_service(&app, signed("/hook", &event).to_request()).await;
    assert_eq!(retry.status(), 200);
    assert_eq!(test::read_body(retry).await, r#"{"status":"duplicate"}"#);
    assert_eq!(calls.get(), 1, "the handler ran once, to its end");
}

#[actix_rt::test]
async fn cancel_on_disconnect_releases_the_claim() {
    let calls = Calls::default();
    let counted = calls.clone();
    let verify = verify().cancel_on_disconnect(true);
    let app = test::init_service(App::new().wrap(verify).route(
        "/hook",
        web::post().to(move |_: VerifiedWebhook| {
            let call = counted.next();
            async move {
                if call == 1 {
                    actix_rt::time::sleep(Duration::from_secs(30)).await;
                }
                HttpResponse::Ok().finish()
            }
        }),
    ))
    .await;

    let event = body("evt_cancel");
    let cancelled = actix_rt::time::timeout(
        Duration::from_millis(50),
        test::call_service(&app, signed("/hook", &event).to_request()),
    )
    .await;
    assert!(
        cancelled.is_err(),
        "the first delivery is dropped mid-handler"
    );
    // The release was spawned from `Drop`; let it run.
    actix_rt::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(
        status_of(&app, signed("/hook", &event)).await,
        200,
        "not 503: the claim is free"
    );
    assert_eq!(calls.get(), 2);
}

#[actix_rt::test]
async fn in_flight_copy_is_503_with_retry_after() {
    let app = test::init_service(App::new().wrap(verify()).route(
        "/hook",
        web::post().to(|_: VerifiedWebhook| async {
            actix_rt::time::sleep(Duration::from_millis(200)).await;
            HttpResponse::Ok().finish()
        }),
    ))
    .await;

    let event = body("evt_inflight");
    let (first, second) = futures_util::future::join(
        test::call_service(&app, signed("/hook", &event).to_request()),
        async {
            actix_rt::time::sleep(Duration::from_millis(50)).await;
            test::call_service(&app, signed("/hook", &event).to_request()).await
        },
    )
    .await;
    assert_eq!(first.status(), 200);
    assert_eq!(second.status(), 503);
    assert!(second.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(
        second.headers().get(header::CONTENT_TYPE).unwrap(),
        "application/json"
    );
}

#[actix_rt::test]
async fn two_middlewares_on_one_route_answer_500_not_in_flight() {
    // The App wrapped and the resource too: the inner middleware would find the outer's
    // claim in flight on every delivery.
    let calls = Calls::default();
    let handler_calls = calls.clone();
    let app = test::init_service(
        App::new()
            .wrap(verify())
            .service(
                web::resource("/webhooks")
                    .wrap(verify())
                    .route(web::post().to(move |_: VerifiedWebhook| {
                        handler_calls.next();
                        async { "ok" }
                    })),
            ),
    )
    .await;
    let response =
        test::call_service(&app, signed("/webhooks", &body("evt_nested")).to_request()).await;
    assert_eq!(response.status(), 500);
    let answer = test::read_body(response).await;
    let answer: serde_json::Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(answer["error"], "webhook_verify_nested");
    assert_eq!(calls.get(), 0);
}

#[actix_rt::test]
async fn scope_wrap_protects_only_the_scope() {
    let app = test::init_service(
        App::new()
            .service(
                web::scope("/webhooks")
                    .wrap(verify())
                    .route("/in", web::post().to(|_: VerifiedWebhook| async { "ok" })),
            )
            .route("/open", web::post().to(|| async { "open" })),
    )
    .await;

    let event = body("evt_scope");
    let unsigned = test::TestRequest::post()
        .uri("/webhooks/in")
        .set_payload(event.clone());
    assert_eq!(status_of(&app, unsigned).await, 401);
    assert_eq!(status_of(&app, signed("/webhooks/in", &event)).await, 200);
    let open = test::TestRequest::post()
        .uri("/open")
        .set_payload("anything");
    assert_eq!(status_of(&app, open).await, 200);
}

#[actix_rt::test]
async fn resource_wrap_with_its_own_providers() {
    let app = test::init_service(
        App::new().service(
            web::resource("/prism")
                .wrap(verify().providers([Provider::PRISM]))
                .route(web::post().to(|_: VerifiedWebhook| async { "ok" })),
        ),
    )
    .await;

    // Correctly signed, but by a provider this resource does not accept.
    assert_eq!(
        status_of(&app, signed("/prism", &body("evt_res"))).await,
        401
    );
    let prism = r#"{"request_id":"r1","event":"request.completed"}"#;
    let signature = testing::sign(Provider::PRISM, &secret(), prism.as_bytes()).unwrap();
    let req = test::TestRequest::post()
        .uri("/prism")
        .insert_header((signature.name(), signature.value()))
        .set_payload(prism);
    assert_eq!(status_of(&app, req).await, 200);
}

#[actix_rt::test]
async fn clones_share_one_store_across_workers() {
    let verify = verify();
    let worker = || {
        App::new().wrap(verify.clone()).route(
            "/hook",
            web::post().to(|_: VerifiedWebhook| async { HttpResponse::Created().finish() }),
        )
    };
    let first_worker = test::init_service(worker()).await;
    let second_worker = test::init_service(worker()).await;

    let event = body("evt_workers");
    assert_eq!(status_of(&first_worker, signed("/hook", &event)).await, 201);
    let copy = test::call_service(&second_worker, signed("/hook", &event).to_request()).await;
    assert_eq!(test::read_body(copy).await, r#"{"status":"duplicate"}"#);
}

#[actix_rt::test]
async fn body_is_restored_for_the_handler() {
    let app = test::init_service(App::new().wrap(verify()).route(
        "/hook",
        web::post().to(|raw: Bytes, delivery: VerifiedWebhook| async move {
            assert_eq!(&raw, delivery.body());
            HttpResponse::Ok().body(raw)
        }),
    ))
    .await;

    let event = body("evt_body");
    let response = test::call_service(&app, signed("/hook", &event).to_request()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(test::read_body(response).await, event.as_bytes());
}

#[actix_rt::test]
async fn extractors_without_the_middleware_answer_500() {
    let app = test::init_service(
        App::new()
            .route(
                "/typed",
                web::post().to(|_: Webhook<serde_json::Value>| async { "never" }),
            )
            .route(
                "/raw",
                web::post().to(|_: VerifiedWebhook| async { "never" }),
            ),
    )
    .await;

    for uri in ["/typed", "/raw"] {
        let response = test::call_service(&app, signed(uri, &body("evt_none")).to_request()).await;
        assert_eq!(response.status(), 500);
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/json"
        );
        assert!(matches!(
            response.response().extensions().get::<ExtractError>(),
            Some(ExtractError::MissingLayer)
        ));
        let answer: serde_json::Value = test::read_body_json(response).await;
        assert_eq!(answer["error"], "webhook_verify_missing");
    }
}

#[actix_rt::test]
async fn a_body_that_does_not_fit_the_type_is_422_and_releases() {
    #[derive(serde::Deserialize)]
    struct NeedsAmount {
        #[allow(dead_code)]
        amount: u64,
    }
    let app = test::init_service(App::new().wrap(verify()).route(
        "/hook",
        web::post().to(|_: Webhook<NeedsAmount>| async { "ok" }),
    ))
    .await;

    let event = body("evt_422");
    let response = test::call_service(&app, signed("/hook", &event).to_request()).await;
    assert_eq!(response.status(), 422);
    let answer: serde_json::Value = test::read_body_json(response).await;
    assert_eq!(answer["error"], "unprocessable_payload");
    // Not recorded as processed: the same event is checked again, not a duplicate.
    assert_eq!(status_of(&app, signed("/hook", &event)).await, 422);
}

#[actix_rt::test]
async fn content_length_over_the_limit_is_refused_before_reading() {
    let app = test::init_service(
        App::new()
            .wrap(verify().body_limit(64))
            .route("/hook", web::post().to(|_: VerifiedWebhook| async { "ok" })),
    )
    .await;

    let signature = testing::sign(Provider::GENERIC, &secret(), b"{}").unwrap();
    // The announced length alone decides: the payload is never read.
    let req = test::TestRequest::post()
        .uri("/hook")
        .insert_header((signature.name(), signature.value()))
        .insert_header((header::CONTENT_LENGTH, "100000"))
        .to_request();
    let response = test::call_service(&app, req).await;
    assert_eq!(response.status(), 413);
    assert_eq!(
        test::read_body(response).await,
        r#"{"error":"payload_too_large"}"#
    );
}

#[actix_rt::test]
async fn streamed_body_is_cut_at_the_limit() {
    let app = test::init_service(
        App::new()
            .wrap(verify().body_limit(64))
            .route("/hook", web::post().to(|_: VerifiedWebhook| async { "ok" })),
    )
    .await;

    let signature = testing::sign(Provider::GENERIC, &secret(), b"{}").unwrap();
    let chunk = Bytes::from_static(&[b' '; 40]);
    // An endless stream without `Content-Length`: the middleware must stop reading.
    let endless = futures_util::stream::repeat_with(move || Ok(chunk.clone()));
    let payload: actix_web::dev::Payload =
        actix_web::dev::Payload::from(Box::pin(endless) as actix_http::BoxedPayloadStream);
    let (req, _) = test::TestRequest::post()
        .uri("/hook")
        .insert_header((signature.name(), signature.value()))
        .to_request()
        .replace_payload(payload);
    let response = test::call_service(&app, req).await;
    assert_eq!(response.status(), 413);
}

#[actix_rt::test]
async fn rejection_is_in_the_response_extensions() {
    let app = test::init_service(
        App::new()
            .route("/hook", web::post().to(|_: VerifiedWebhook| async { "ok" }))
            .wrap(verify())
            .wrap_fn(|req, srv| {
                let call = srv.call(req);
                async move {
                    let response = call.await?;
                    let code = response
                        .response()
                        .extensions()
                        .get::<Rejection>()
                        .map_or("none", Rejection::code);
                    let mut response = response;
                    response.headers_mut().insert(
                        header::HeaderName::from_static("x-rejection"),
                        header::HeaderValue::from_static(code),
                    );
                    Ok(response)
                }
            }),
    )
    .await;

    let unsigned = test::TestRequest::post()
        .uri("/hook")
        .set_payload("{}")
        .to_request();
    let response = test::call_service(&app, unsigned).await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers().get("x-rejection").unwrap(),
        "invalid_signature"
    );
    let ok = test::call_service(&app, signed("/hook", &body("evt_ext")).to_request()).await;
    assert_eq!(ok.headers().get("x-rejection").unwrap(), "none");
}

/// A generic event of about `size` bytes.
fn large_body(id: &str, size: usize) -> String {
    format!(
        r#"{{"id":"{id}","type":"user.created","created_at":"2025-01-01T00:00:00Z","data":{{"pad":"{}"}}}}"#,
        "x".repeat(size)
    )
}

#[actix_rt::test]
async fn actix_body_extractors_take_every_body_the_middleware_verified() {
    // `web::Bytes` applies actix's PayloadConfig, 256 KiB by default: a verified 400 KiB
    // delivery must still reach the handler whole, not be refused (and released) by it.
    let app = test::init_service(App::new().wrap(verify()).route(
        "/hook",
        web::post().to(|body: web::Bytes| async move { body.len().to_string() }),
    ))
    .await;
    let event = large_body("evt_large_bytes", 400 * 1024);
    let response = test::call_service(&app, signed("/hook", &event).to_request()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(test::read_body(response).await, event.len().to_string());
}

#[actix_rt::test]
async fn a_payload_config_the_app_sets_stands() {
    let app = test::init_service(
        App::new()
            .app_data(web::PayloadConfig::new(1024))
            .wrap(verify())
            .route(
                "/hook",
                web::post().to(|body: web::Bytes| async move { body.len().to_string() }),
            ),
    )
    .await;
    let event = large_body("evt_app_limit", 4 * 1024);
    let response = test::call_service(&app, signed("/hook", &event).to_request()).await;
    assert_eq!(response.status(), 413, "the app's own 1 KiB limit");
}

#[actix_rt::test]
async fn actix_json_extractor_takes_a_verified_body_over_its_default_limit() {
    // `web::Json` applies its own 2 MB limit: a verified 3 MB delivery under a 4 MiB
    // middleware limit must still be read.
    let app = test::init_service(App::new().wrap(verify().body_limit(4 << 20)).route(
        "/hook",
        web::post().to(|event: web::Json<serde_json::Value>| async move {
            event["data"]["pad"]
                .as_str()
                .map_or(0, str::len)
                .to_string()
        }),
    ))
    .await;
    let event = large_body("evt_large_json", 3_000_000);
    let request = signed("/hook", &event)
        .insert_header((header::CONTENT_TYPE, "application/json"))
        .to_request();
    let response = test::call_service(&app, request).await;
    assert_eq!(response.status(), 200);
    assert_eq!(test::read_body(response).await, "3000000");
}
