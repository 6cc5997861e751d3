//! End-to-end throughput and latency of the actix-web example receiver (the middleware, its
//! handler and event log) with the memory store and with the Redis store, and of a
//! hand-written floor (the signature, the id and a set of seen ids in a bare handler), and
//! of the receiver served as its binary serves it (`serve::server`, paced connections),
//! against a bare actix-web route reading `Bytes`; same client, same run, unique signed 1 KiB events over 64
//! keep-alive connections. Also counts the Redis round trips per delivery.
//!
//! ```text
//! cargo bench -p actix-receiver --bench receiver
//! ```
//!
//! A short criterion report comes first; then every variant runs in rounds whose order
//! rotates, and the medians of the per-round ratios are printed. Each server has one worker.
//! Without `redis-server` the Redis variant is skipped, loudly. The receivers log a line per
//! handled event as their binaries do, to `target/tmp/actix-receiver-bench.log`.
#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)] // a benchmark binary

use std::net::SocketAddr;
use std::sync::Arc;

use actix_receiver::{configure, routes, EventLog, Secrets};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use hookverify::dedup::{DedupStore, MemoryStore};
use hookverify::Secret;
use hookverify_conformance::floor::Floor;
use hookverify_conformance::load::{self, Variant};
use hookverify_redis::testing::RedisServer;
use hookverify_redis::RedisStore;

const SECRET: &str = "whsec_benchmark_secret";

/// What a benchmark server runs.
enum Served {
    Bare,
    /// The hand-written floor (see `hookverify_conformance::floor`) in a bare handler.
    Floor,
    Receiver(Option<String>),
    /// The receiver on the memory store, served as its binary serves it
    /// (`actix_receiver::serve::server`: paced connections).
    Binary,
}

/// Serves on a thread of its own with one worker; a receiver's Redis store is made there, on
/// the server's runtime, and sent back for its round-trip count.
fn serve(served: Served, redis_store: &std::sync::mpsc::Sender<RedisStore>) -> SocketAddr {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    let redis_store = redis_store.clone();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            match served {
                Served::Bare => HttpServer::new(|| {
                    App::new().route(
                        "/webhooks/generic",
                        web::post().to(|body: Bytes| async move { body.len().to_string() }),
                    )
                })
                .workers(1)
                .listen(listener)
                .unwrap()
                .run()
                .await
                .unwrap(),
                Served::Floor => {
                    let floor = web::Data::new(Floor::new(SECRET.as_bytes()));
                    HttpServer::new(move || {
                        App::new().app_data(floor.clone()).route(
                            "/webhooks/generic",
                            web::post().to(
                                |floor: web::Data<Floor>, request: HttpRequest, body: Bytes| async move {
                                    let signature = request
                                        .headers()
                                        .get("x-signature-256")
                                        .map(actix_web::http::header::HeaderValue::as_bytes);
                                    let (status, answer) = floor.receive(signature, &body);
                                    HttpResponse::build(StatusCode::from_u16(status).unwrap())
                                        .body(answer)
                                },
                            ),
                        )
                    })
                    .workers(1)
                    .listen(listener)
                    .unwrap()
                    .run()
                    .await
                    .unwrap();
                }
                Served::Binary => {
                    let store: Arc<dyn DedupStore> = Arc::new(MemoryStore::new());
                    let events = web::Data::new(EventLog::default());
                    let app = move || {
                        let routes = routes(&Secrets::one(Secret::new(SECRET).unwrap()), &store);
                        App::new().configure(|cfg| configure(cfg, &routes, &events))
                    };
                    let limits = actix_receiver::serve::Limits {
                        workers: 1,
                        ..actix_receiver::serve::Limits::default()
                    };
                    actix_receiver::serve::server(listener, app, limits)
                        .unwrap()
                        .await
                        .unwrap();
                }
                Served::Receiver(redis_url) => {
                    let memory: Arc<dyn DedupStore> = Arc::new(MemoryStore::new());
                    let events = web::Data::new(EventLog::default());
                    HttpServer::new(move || {
                        // Redis: a connection per worker, made in the worker, so that its
                        // calls stay on the worker's thread, as the receiver does.
                        let store: Arc<dyn DedupStore> = match &redis_url {
                            Some(url) => {
                                let store =
                                    RedisStore::builder(url.clone()).connect_lazy().unwrap();
                                redis_store.send(store.clone()).unwrap();
                                Arc::new(store)
                            }
                            None => Arc::clone(&memory),
                        };
                        let routes = routes(&Secrets::one(Secret::new(SECRET).unwrap()), &store);
                        App::new().configure(|cfg| configure(cfg, &routes, &events))
                    })
                    .workers(1)
                    .listen(listener)
                    .unwrap()
                    .run()
                    .await
                    .unwrap();
                }
            }
        });
    });
    addr
}

fn url(addr: SocketAddr) -> String {
    format!("http://{addr}/webhooks/generic")
}

fn main() {
    // The receivers log every event they handle, as their binaries do; to a file here.
    let log = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("actix-receiver-bench.log");
    let _log = actix_receiver::logging::init_to(std::fs::File::create(&log).unwrap(), false);
    let redis = RedisServer::start();
    let (store_tx, store_rx) = std::sync::mpsc::channel();
    let mut variants = vec![
        Variant {
            name: "bare actix-web route",
            url: url(serve(Served::Bare, &store_tx)),
        },
        Variant {
            name: "receiver, memory store",
            url: url(serve(Served::Receiver(None), &store_tx)),
        },
    ];
    if let Some(redis) = &redis {
        variants.push(Variant {
            name: "receiver, Redis store",
            url: url(serve(Served::Receiver(Some(redis.url())), &store_tx)),
        });
    }
    let redis_store = redis.as_ref().map(|_| store_rx.recv().unwrap());
    variants.push(Variant {
        name: "receiver, binary's serve",
        url: url(serve(Served::Binary, &store_tx)),
    });
    variants.push(Variant {
        name: load::FLOOR,
        url: url(serve(Served::Floor, &store_tx)),
    });
    load::receiver_benchmark(
        "actix_receiver_1KiB",
        &variants,
        redis_store.as_ref(),
        SECRET,
    );
}
