//! The listener: an axum server that records, verifies and answers deliveries, serves the
//! page, streams deliveries to it and replays them.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::IntoFuture as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use futures_util::stream::{self, StreamExt as _};
use futures_util::FutureExt as _;
use hookverify::scheme::{SystemWallClock, WallClock};
use hookverify::Secret;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::broadcast;

use super::inspect::inspect;
use super::store::{Delivery, Store, Verdict, KEPT};
use super::{page, payload, replay};
use crate::cli::ListenArgs;
use crate::http_client::HttpClient;
use crate::Outcome;

/// The largest body recorded; a larger one is refused with 413.
pub(crate) const MAX_BODY: usize = 1 << 20;

/// `hookverify listen`: serves until Ctrl-C.
pub(crate) async fn run(args: ListenArgs) -> Outcome {
    let listener = TcpListener::bind(&args.addr)
        .await
        .map_err(|error| format!("cannot listen on {}: {error}", args.addr))?;
    let local = listener.local_addr()?;
    // Ctrl-C is caught from before the address is announced: whoever reads it may stop us.
    let mut stop = Box::pin(tokio::signal::ctrl_c());
    if let Some(stopped) = (&mut stop).now_or_never() {
        stopped?;
        return Ok(ExitCode::SUCCESS);
    }
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on http://{local}")?;
        stdout.flush()?;
    }
    if args.secrets.is_empty() {
        eprintln!("no --secret given: deliveries are shown, but none can be verified");
    }
    let app = router(Listener::new(args.secrets, local));
    tokio::select! {
        served = axum::serve(listener, app).into_future() => served?,
        stopped = stop => stopped?,
    }
    Ok(ExitCode::SUCCESS)
}

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct Listener {
    shared: Arc<Shared>,
}

struct Shared {
    store: Store,
    secrets: Vec<Secret>,
    local: SocketAddr,
    client: HttpClient,
    /// Tells a page that reconnects whether this is still the listener it knew.
    instance: String,
}

impl Listener {
    /// A listener bound at `local`, verifying with `secrets`.
    pub(crate) fn new(secrets: Vec<Secret>, local: SocketAddr) -> Self {
        Self {
            shared: Arc::new(Shared {
                store: Store::new(KEPT),
                secrets,
                local,
                client: HttpClient::new(),
                instance: format!("{}-{}", std::process::id(), unix_millis()),
            }),
        }
    }
}

/// The routes: the page, the API, and every other `POST` as a delivery.
pub(crate) fn router(listener: Listener) -> Router {
    Router::new()
        .route("/", get(page::page).post(deliver))
        .route("/api/stream", get(stream))
        .route("/api/replay/{id}", post(replay))
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(listener)
}

fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

fn error(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({ "error": error }))).into_response()
}

/// Anything not routed: a `POST` is a delivery, the rest is not found.
async fn fallback(
    state: State<Listener>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if method == Method::POST {
        deliver(state, method, uri, headers, body).await
    } else {
        error(StatusCode::NOT_FOUND, "not_found")
    }
}

/// A delivery: recorded, verified, and answered as a real receiver answers.
async fn deliver(
    State(listener): State<Listener>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
        }
        Err(rejection) => return rejection.into_response(),
    };
    let mut replay_of = None;
    let mut recorded: Vec<(String, String)> = Vec::with_capacity(headers.len());
    for (name, value) in &headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name.as_str() == replay::REPLAY_OF {
            replay_of = value.trim().parse().ok();
        } else {
            recorded.push((name.as_str().to_owned(), value));
        }
    }
    let shared = &listener.shared;
    let inspection = inspect(
        &shared.secrets,
        &recorded,
        &body,
        SystemWallClock.unix_time(),
    );
    let (status, answer) = match inspection.verdict {
        Verdict::Valid => (StatusCode::OK, json!({ "status": "received" })),
        Verdict::Invalid => (
            StatusCode::UNAUTHORIZED,
            json!({ "error": "invalid_signature" }),
        ),
    };
    let (payload_kind, payload) = payload::render(&body);
    shared.store.record(Delivery {
        id: 0,
        received_at_ms: unix_millis(),
        method: method.as_str().to_owned(),
        path: uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), |path| path.as_str().to_owned()),
        headers: recorded,
        size: body.len(),
        body,
        payload,
        payload_kind,
        senders: inspection.senders,
        event_type: inspection.event_type,
        verdict: inspection.verdict,
        explanation: inspection.explanation,
        status: status.as_u16(),
        replay_of,
    });
    (status, Json(answer)).into_response()
}

/// `POST /api/replay/{id}`: sends delivery `id` again, to the listener itself.
async fn replay(State(listener): State<Listener>, Path(id): Path<u64>) -> Response {
    let shared = &listener.shared;
    let Some(original) = shared.store.get(id) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "unknown_delivery", "id": id })),
        )
            .into_response();
    };
    let url = replay::url(shared.local, &original.path);
    let headers = replay::headers(&original.headers, id);
    match shared
        .client
        .post(&url, &headers, original.body.clone())
        .await
    {
        Ok(answer) => {
            let body =
                serde_json::from_slice::<serde_json::Value>(&answer.body).unwrap_or_else(|_| {
                    serde_json::Value::String(String::from_utf8_lossy(&answer.body).into_owned())
                });
            Json(json!({ "replayed": id, "status": answer.status, "answer": body })).into_response()
        }
        Err(failure) => (
            StatusCode::BAD_GATEWAY,
            Json(json!({ "error": "replay_failed", "detail": failure.to_string() })),
        )
            .into_response(),
    }
}

/// `GET /api/stream`: a `hello` event naming this listener, then every kept delivery,
/// then each new one, as JSON.
async fn stream(State(listener): State<Listener>) -> impl IntoResponse {
    let shared = Arc::clone(&listener.shared);
    let hello = Event::default().event("hello").data(&shared.instance);
    let (kept, receiver) = shared.store.subscribe();
    let feed = Feed {
        shared,
        receiver,
        pending: kept.into(),
        last: 0,
    };
    let events = stream::once(async move { Ok(hello) }).chain(stream::unfold(feed, Feed::next));
    Sse::new(events).keep_alive(KeepAlive::default())
}

/// One page's feed: what is still to send, and the live receiver.
struct Feed {
    shared: Arc<Shared>,
    receiver: broadcast::Receiver<Arc<Delivery>>,
    pending: VecDeque<Arc<Delivery>>,
    /// The last delivery sent: none is sent twice.
    last: u64,
}

impl Feed {
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Self)> {
        loop {
            let delivery = match self.pending.pop_front() {
                Some(delivery) => delivery,
                None => match self.receiver.recv().await {
                    Ok(delivery) => delivery,
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // A slow page missed some: catch up from the store.
                        self.pending = self.shared.store.after(self.last).into();
                        continue;
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            };
            if delivery.id <= self.last {
                continue;
            }
            self.last = delivery.id;
            let data = serde_json::to_string(&*delivery).unwrap_or_default();
            return Some((Ok(Event::default().data(data)), self));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookverify::{samples, Provider};

    /// A listener on a free loopback port, served in the background.
    async fn spawn(secrets: Vec<Secret>) -> SocketAddr {
        let socket = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let local = socket.local_addr().unwrap();
        let app = router(Listener::new(secrets, local));
        tokio::spawn(async move { axum::serve(socket, app).await });
        local
    }

    fn signed(secret: &str) -> (Vec<(String, String)>, Bytes) {
        let sample = samples::sample(Provider::GENERIC, "user.created", 3).unwrap();
        let headers = sample
            .sign(&Secret::new(secret).unwrap())
            .unwrap()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .chain([("content-type".to_owned(), "application/json".to_owned())])
            .collect();
        (headers, Bytes::copy_from_slice(sample.body()))
    }

    async fn deliveries(local: SocketAddr, count: usize) -> Vec<serde_json::Value> {
        // Read the SSE stream until `count` deliveries came.
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let mut socket = tokio::net::TcpStream::connect(local).await.unwrap();
        socket
            .write_all(b"GET /api/stream HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        let mut seen = Vec::new();
        let mut received = Vec::new();
        let mut buffer = vec![0u8; 1 << 16];
        while seen.len() < count {
            let read =
                tokio::time::timeout(std::time::Duration::from_secs(10), socket.read(&mut buffer))
                    .await
                    .unwrap()
                    .unwrap();
            assert!(read > 0, "stream closed");
            received.extend_from_slice(&buffer[..read]);
            // Parse only at the end of an event (and of its chunk).
            if !received.ends_with(b"\n\n\r\n") {
                continue;
            }
            seen = String::from_utf8_lossy(&received)
                .lines()
                .filter_map(|line| line.strip_prefix("data: "))
                .filter_map(|data| serde_json::from_str::<serde_json::Value>(data).ok())
                .filter(serde_json::Value::is_object)
                .collect();
        }
        seen
    }

    #[tokio::test]
    async fn records_answers_and_replays() {
        let local = spawn(vec![Secret::new("whsec_right").unwrap()]).await;
        let client = HttpClient::new();
        let base = format!("http://{local}");

        let (headers, body) = signed("whsec_right");
        let valid = client
            .post(&format!("{base}/hooks"), &headers, body)
            .await
            .unwrap();
        assert_eq!(valid.status, 200);
        assert_eq!(&valid.body[..], br#"{"status":"received"}"#);

        let (headers, body) = signed("whsec_wrong");
        let refused = client
            .post(&format!("{base}/"), &headers, body)
            .await
            .unwrap();
        assert_eq!(refused.status, 401);
        assert_eq!(&refused.body[..], br#"{"error":"invalid_signature"}"#);

        let replayed = client
            .post(&format!("{base}/api/replay/1"), &[], Bytes::new())
            .await
            .unwrap();
        assert_eq!(replayed.status, 200);
        let replayed: serde_json::Value = serde_json::from_slice(&replayed.body).unwrap();
        assert_eq!(replayed["status"], 200);
        assert_eq!(replayed["answer"]["status"], "received");

        let seen = deliveries(local, 3).await;
        assert_eq!(seen[0]["id"], 1);
        assert_eq!(seen[0]["verdict"], "valid");
        assert_eq!(seen[0]["path"], "/hooks");
        assert_eq!(seen[0]["senders"], json!(["generic"]));
        assert_eq!(seen[0]["event_type"], "user.created");
        assert_eq!(seen[0]["payload_kind"], "json");
        assert_eq!(seen[1]["verdict"], "invalid");
        assert_eq!(seen[1]["status"], 401);
        assert!(seen[1]["explanation"].to_string().contains("secret"));
        assert_eq!(seen[2]["verdict"], "valid");
        assert_eq!(seen[2]["path"], "/hooks");
        assert_eq!(seen[2]["replay_of"], 1);
        let replay_headers = seen[2]["headers"].to_string();
        assert!(
            !replay_headers.contains(replay::REPLAY_OF),
            "{replay_headers}"
        );
        assert!(replay_headers.contains("x-signature-256"));
    }

    #[tokio::test]
    async fn refuses_a_body_over_the_limit() {
        let local = spawn(Vec::new()).await;
        let client = HttpClient::new();
        let url = format!("http://{local}/hooks");
        let answer = client
            .post(&url, &[], Bytes::from(vec![b'a'; MAX_BODY + 1]))
            .await
            .unwrap();
        assert_eq!(answer.status, 413);
        // The limit itself is accepted (and refused only as unsigned).
        let answer = client
            .post(&url, &[], Bytes::from(vec![b'a'; MAX_BODY]))
            .await
            .unwrap();
        assert_eq!(answer.status, 401);
        let seen = deliveries(local, 1).await;
        assert_eq!(seen[0]["size"], MAX_BODY);
        assert!(seen[0]["explanation"]
            .to_string()
            .contains("no secret given"));
    }

    #[tokio::test]
    async fn replay_of_an_unknown_delivery_is_not_found() {
        let local = spawn(Vec::new()).await;
        let answer = HttpClient::new()
            .post(&format!("http://{local}/api/replay/42"), &[], Bytes::new())
            .await
            .unwrap();
        assert_eq!(answer.status, 404);
        assert_eq!(&answer.body[..], br#"{"error":"unknown_delivery","id":42}"#);
    }

    #[tokio::test]
    async fn serves_the_page_and_nothing_else_on_get() {
        let local = spawn(Vec::new()).await;
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let mut socket = tokio::net::TcpStream::connect(local).await.unwrap();
        socket
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut text = String::new();
        socket.read_to_string(&mut text).await.unwrap();
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        assert!(text.contains("content-type: text/html"));
        assert!(text.contains("content-security-policy:"));
        assert!(text.contains("data-delivery-id"));

        let mut socket = tokio::net::TcpStream::connect(local).await.unwrap();
        socket
            .write_all(b"GET /nothing HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut text = String::new();
        socket.read_to_string(&mut text).await.unwrap();
        assert!(text.starts_with("HTTP/1.1 404"), "{text}");
    }
}
