//! End-to-end throughput and latency of the axum example receiver (the layer, its handler
//! and event log) with the memory store and with the Redis store, of the layer alone, and of
//! the glue alone (a middleware collecting the body and rebuilding the request), and of a
//! hand-written floor (the signature, the id and a set of seen ids in a bare handler), and of
//! the receiver and the bare route served as the receiver's binary serves (`serve::serve`
//! rather than `axum::serve`), against a bare axum route reading `Bytes`; same client, same run, unique signed 1 KiB events over
//! 64 keep-alive connections. Also counts the Redis commands per delivery.
//!
//! ```text
//! cargo bench -p axum-receiver --bench receiver
//! ```
//!
//! A short criterion report comes first; then every variant runs in rounds whose order
//! rotates, and the medians of the per-round ratios are printed (less sensitive to drifting
//! machine load than two separate runs). Without `redis-server` the Redis variant is skipped,
//! loudly. The receivers log a line per handled event as their binaries do, to
//! `target/tmp/axum-receiver-bench.log`.
#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)] // a benchmark binary

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::post;
use axum::Router;
use axum_receiver::{app, EventLog, Secrets};
use bytes::Bytes;
use hookverify::dedup::{DedupStore, MemoryStore};
use hookverify::Secret;
use hookverify_conformance::floor::Floor;
use hookverify_conformance::load::{self, Variant};
use hookverify_redis::testing::RedisServer;
use hookverify_redis::RedisStore;

const SECRET: &str = "whsec_benchmark_secret";

/// How a benchmark server serves its router.
#[derive(Clone, Copy)]
enum Serving {
    /// `axum::serve`, as an app is usually served.
    Axum,
    /// `serve::serve`, as the receiver's binary serves its app (header deadline,
    /// half-closed clients answered).
    Binary,
}

/// Serves `router()` (built on the server's own runtime) with `axum::serve`, on a thread of
/// its own.
fn serve<F, Fut>(name: &str, router: F) -> SocketAddr
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Router>,
{
    serve_by(name, Serving::Axum, router)
}

/// Serves `router()` (built on the server's own runtime) as `serving` says, on a thread of
/// its own.
fn serve_by<F, Fut>(name: &str, serving: Serving, router: F) -> SocketAddr
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Router>,
{
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let thread = std::thread::Builder::new().name(format!("server-{name}"));
    thread
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let app = router().await;
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                match serving {
                    Serving::Axum => axum::serve(listener, app).await.unwrap(),
                    Serving::Binary => {
                        axum_receiver::serve::serve(
                            listener,
                            app,
                            std::future::pending(),
                            axum_receiver::serve::Limits::default(),
                        )
                        .await;
                    }
                }
            });
        })
        .unwrap();
    addr
}

/// The bare route: `Bytes` read, their length answered.
fn bare() -> Router {
    Router::new().route(
        "/webhooks/generic",
        post(|body: Bytes| async move { body.len().to_string() }),
    )
}

fn receiver(store: &Arc<dyn DedupStore>) -> Router {
    app(
        &Secrets::one(Secret::new(SECRET).unwrap()),
        store,
        EventLog::default(),
    )
}

fn url(addr: SocketAddr) -> String {
    format!("http://{addr}/webhooks/generic")
}

fn main() {
    // The receivers log every event they handle, as their binaries do; to a file here.
    let log = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("axum-receiver-bench.log");
    let _log = axum_receiver::logging::init_to(std::fs::File::create(&log).unwrap(), false);
    let redis = RedisServer::start();
    let mut variants = vec![
        Variant {
            name: "bare axum route",
            url: url(serve("bare", || async { bare() })),
        },
        Variant {
            name: "receiver, memory store",
            url: url(serve("memory", || async {
                receiver(&(Arc::new(MemoryStore::new()) as Arc<dyn DedupStore>))
            })),
        },
    ];
    // The Redis store the receiver uses, to count its round trips.
    let (store_tx, store_rx) = std::sync::mpsc::channel::<RedisStore>();
    if let Some(redis) = &redis {
        let redis_url = redis.url();
        variants.push(Variant {
            name: "receiver, Redis store",
            url: url(serve("redis", move || async move {
                let redis_store = RedisStore::connect(&redis_url).await.unwrap();
                store_tx.send(redis_store.clone()).unwrap();
                let store: Arc<dyn DedupStore> = Arc::new(redis_store);
                receiver(&store)
            })),
        });
    }
    let redis_store = redis.as_ref().map(|_| store_rx.recv().unwrap());
    // The layer alone in front of the bare handler: how much of the receiver's cost is the
    // library's, and how much its handler and event log.
    variants.push(Variant {
        name: "layer alone, bare handler",
        url: url(serve("layer", || async {
            let store: Arc<dyn DedupStore> = Arc::new(MemoryStore::new());
            bare().route_layer(
                hookverify_tower::WebhookVerify::new(Secret::new(SECRET).unwrap())
                    .dedup_store_arc(store),
            )
        })),
    });
    // A control: what the layer's framework glue alone costs (the body collected, the request
    // rebuilt around it, a middleware future), without verifying or deduplicating anything.
    variants.push(Variant {
        name: "glue only, bare handler",
        url: url(serve("glue", || async {
            use http_body_util::BodyExt;
            bare().route_layer(axum::middleware::from_fn(
                |request: axum::extract::Request, next: axum::middleware::Next| async move {
                    let (parts, body) = request.into_parts();
                    let bytes = body.collect().await.unwrap().to_bytes();
                    let request =
                        axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes));
                    next.run(request).await
                },
            ))
        })),
    });
    // The receiver served as its binary serves it, rather than by `axum::serve`, and the
    // bare route served the same way: how much of a difference is the serving's.
    variants.push(Variant {
        name: "receiver, binary's serve",
        url: url(serve_by("binary", Serving::Binary, || async {
            receiver(&(Arc::new(MemoryStore::new()) as Arc<dyn DedupStore>))
        })),
    });
    variants.push(Variant {
        name: "bare route, binary's serve",
        url: url(serve_by("binary-bare", Serving::Binary, || async {
            bare()
        })),
    });
    // The floor: the least work "authentic, processed once" asks, written by hand in a
    // bare handler (see `hookverify_conformance::floor`).
    variants.push(Variant {
        name: load::FLOOR,
        url: url(serve("minimum", || async {
            let floor = Arc::new(Floor::new(SECRET.as_bytes()));
            Router::new().route(
                "/webhooks/generic",
                post(move |headers: http::HeaderMap, body: Bytes| {
                    let floor = Arc::clone(&floor);
                    async move {
                        let signature = headers
                            .get("x-signature-256")
                            .map(http::HeaderValue::as_bytes);
                        let (status, answer) = floor.receive(signature, &body);
                        (http::StatusCode::from_u16(status).unwrap(), answer)
                    }
                }),
            )
        })),
    });
    load::receiver_benchmark(
        "axum_receiver_1KiB",
        &variants,
        redis_store.as_ref(),
        SECRET,
    );
}
