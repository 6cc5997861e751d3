//! The listener: an axum server that records, verifies and answers deliveries, serves the
//! page, streams deliveries to it and replays them.
//!
//! Deliveries are taken from anyone (a sender's tunnel may name any host). The page and its
//! API answer only connections from this machine (a loopback peer, whatever address the
//! listener is bound to), and only requests naming the listener itself as their host (its
//! bound address, `localhost`, `127.0.0.1` or `[::1]`, with its port), so that no other
//! site can read them by rebinding its own name to this machine; and a replay is made only
//! at the page's request: from no other origin, and carrying [`PAGE_HEADER`], which a form
//! on another site cannot set (nor its script: that needs a CORS preflight, which is never
//! granted).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::IntoFuture as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Request, State};
use axum::http::uri::Authority;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
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
use super::store::{Delivery, Store, Verdict, KEPT, KEPT_BYTES};
use super::{page, payload, replay};
use crate::cli::ListenArgs;
use crate::http_client::HttpClient;
use crate::Outcome;

/// The largest body recorded; a larger one is refused with 413.
pub(crate) const MAX_BODY: usize = 1 << 20;

/// The header the page's Replay button sends, and without which no replay is made.
pub(crate) const PAGE_HEADER: &str = "x-hookverify-page";

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
    if !local.ip().is_loopback() {
        eprintln!(
            "warning: listening beyond loopback: deliveries are taken from the network; the \
             page and its API still answer only on this machine"
        );
    }
    tokio::select! {
        served = serve(listener, Listener::new(args.secrets, local)) => served?,
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
    /// The hosts (with port, lowercase) the page and API answer to.
    hosts: Vec<String>,
}

impl Listener {
    /// A listener bound at `local`, verifying with `secrets`.
    pub(crate) fn new(secrets: Vec<Secret>, local: SocketAddr) -> Self {
        Self {
            shared: Arc::new(Shared {
                store: Store::new(KEPT, KEPT_BYTES),
                secrets,
                local,
                client: HttpClient::new(),
                instance: format!("{}-{}", std::process::id(), unix_millis()),
                hosts: own_hosts(local),
            }),
        }
    }
}

/// The names of a listener bound at `local`: its address, and the loopback names, each
/// with its port (and without it too on port 80, which browsers leave out).
fn own_hosts(local: SocketAddr) -> Vec<String> {
    let port = local.port();
    let mut hosts = vec![
        local.to_string(),
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
    ];
    if port == 80 {
        let bare: Vec<String> = hosts
            .iter()
            .filter_map(|host| host.strip_suffix(":80").map(str::to_owned))
            .collect();
        hosts.extend(bare);
    }
    for host in &mut hosts {
        host.make_ascii_lowercase();
    }
    hosts.sort();
    hosts.dedup();
    hosts
}

impl Shared {
    /// Whether `host` (a `Host` header, or an origin less its scheme) names this listener.
    fn is_own(&self, host: &str) -> bool {
        self.hosts
            .iter()
            .any(|own| own.eq_ignore_ascii_case(host.trim()))
    }

    /// Whether a request with `headers` to `uri` names this listener as its host (in its
    /// `Host` header, and in its target when that is absolute).
    fn is_to_self(&self, headers: &HeaderMap, uri: &Uri) -> bool {
        let host = headers.get(header::HOST).map(|host| host.to_str());
        let authority = uri.authority().map(Authority::as_str);
        let host_ok = match host {
            Some(Ok(host)) => self.is_own(host),
            Some(Err(_)) => false,
            None => authority.is_some(),
        };
        host_ok && authority.is_none_or(|authority| self.is_own(authority))
    }

    /// Why a replay request with `headers` did not come from the page, if it did not.
    fn not_from_the_page(&self, headers: &HeaderMap) -> Option<&'static str> {
        if let Some(origin) = headers.get(header::ORIGIN) {
            let own = origin.to_str().ok().is_some_and(|origin| {
                origin
                    .get(..7)
                    .is_some_and(|scheme| scheme.eq_ignore_ascii_case("http://"))
                    && self.is_own(&origin[7..])
            });
            if !own {
                return Some("forbidden_origin");
            }
        }
        if headers.get(PAGE_HEADER).map(HeaderValue::as_bytes) != Some(b"1") {
            return Some("not_from_the_page");
        }
        None
    }
}

/// Serves `listener` on `socket`, telling the routes who each connection is from.
pub(crate) async fn serve(socket: TcpListener, listener: Listener) -> std::io::Result<()> {
    let app = router(listener).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(socket, app).into_future().await
}

/// Whether a connection from `peer` to a listener bound at `local` may see the page and its
/// API: only from this machine, a loopback peer (`::ffff:127.0.0.1` on a dual-stack
/// socket too) or the bound address itself. Unknown (not served by [`serve`]) is not.
fn from_this_machine(peer: Option<&ConnectInfo<SocketAddr>>, local: SocketAddr) -> bool {
    peer.is_some_and(|ConnectInfo(peer)| {
        let ip = peer.ip().to_canonical();
        ip.is_loopback() || (!local.ip().is_unspecified() && ip == local.ip().to_canonical())
    })
}

/// The routes: the page, the API, and every other `POST` as a delivery.
pub(crate) fn router(listener: Listener) -> Router {
    Router::new()
        .route("/", get(page::page).post(deliver))
        .route("/api/stream", get(stream))
        .route("/api/replay/{id}", post(replay))
        // Only on the routes: the fallback (deliveries, and not found) is left open.
        .route_layer(middleware::from_fn_with_state(listener.clone(), to_self))
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(listener)
}

/// The page and the API answer only requests to this listener by one of its own names;
/// deliveries (`POST /`) are taken from anyone.
async fn to_self(State(listener): State<Listener>, request: Request, next: Next) -> Response {
    let delivery = request.method() == Method::POST && request.uri().path() == "/";
    let local = from_this_machine(
        request.extensions().get::<ConnectInfo<SocketAddr>>(),
        listener.shared.local,
    );
    if delivery || (local && listener.shared.is_to_self(request.headers(), request.uri())) {
        return next.run(request).await;
    }
    let page = replay::url(listener.shared.local, "/");
    (
        StatusCode::FORBIDDEN,
        Json(json!({
            "error": "forbidden_host",
            "detail": format!("the page and its API answer only at this listener's own address: {page}"),
        })),
    )
        .into_response()
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
    let shared = Arc::clone(&listener.shared);
    let received_at_ms = unix_millis();
    let now = SystemWallClock.unix_time();
    let path = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |path| path.as_str().to_owned());
    // Explaining tries every sender, body variant and secret over up to MAX_BODY bytes, and
    // the payload and its JSON are written here too: all of it off the async threads.
    let verdict = tokio::task::spawn_blocking(move || {
        let inspection = inspect(&shared.secrets, &recorded, &body, now);
        let payload = payload::render(&body);
        let verdict = inspection.verdict;
        let recorded = shared.store.record(Delivery {
            id: 0,
            received_at_ms,
            method: method.as_str().to_owned(),
            path,
            headers: recorded,
            size: body.len(),
            body,
            payload: payload.text,
            payload_kind: payload.kind,
            payload_note: payload.note,
            senders: inspection.senders,
            event_type: inspection.event_type,
            verdict,
            explanation: inspection.explanation,
            status: answer(verdict).0.as_u16(),
            replay_of,
            json: String::new(),
        });
        (verdict, recorded.id)
    })
    .await;
    match verdict {
        Ok((verdict, id)) => {
            let mut response = answer(verdict).into_response();
            response
                .headers_mut()
                .insert(replay::DELIVERY_ID, HeaderValue::from(id));
            response
        }
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "inspection_failed"),
    }
}

/// What a sender is answered, as a real receiver answers.
fn answer(verdict: Verdict) -> (StatusCode, Json<serde_json::Value>) {
    match verdict {
        Verdict::Valid => (StatusCode::OK, Json(json!({ "status": "received" }))),
        Verdict::Invalid => (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid_signature" })),
        ),
    }
}

/// `POST /api/replay/{id}`: sends delivery `id` again, to the listener itself, when the
/// page asks.
async fn replay(
    State(listener): State<Listener>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let shared = &listener.shared;
    if let Some(refusal) = shared.not_from_the_page(&headers) {
        return error(StatusCode::FORBIDDEN, refusal);
    }
    // Read here rather than by the extractor, whose refusal of `abc` is plain text.
    let Ok(id) = id.parse::<u64>() else {
        return error(StatusCode::NOT_FOUND, "unknown_delivery");
    };
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
            // The listener's own answer names the delivery the replay was recorded as.
            let delivery = answer
                .headers
                .get(replay::DELIVERY_ID)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.parse::<u64>().ok());
            Json(json!({
                "replayed": id,
                "delivery": delivery,
                "status": answer.status,
                "answer": body,
            }))
            .into_response()
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
            // Written once, when recorded, for every page.
            return Some((Ok(Event::default().data(&delivery.json)), self));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookverify::{samples, testing, Provider};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    /// A listener on a free loopback port, served in the background.
    async fn spawn(secrets: Vec<Secret>) -> SocketAddr {
        let socket = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let local = socket.local_addr().unwrap();
        tokio::spawn(serve(socket, Listener::new(secrets, local)));
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

    /// `head` (the request line and headers, each ending in CRLF) and `body` sent on a
    /// connection of its own; the answer's status and whole text.
    async fn request(local: SocketAddr, head: &str, body: &[u8]) -> (u16, String) {
        let mut socket = tokio::net::TcpStream::connect(local).await.unwrap();
        let head = format!(
            "{head}content-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        socket.write_all(head.as_bytes()).await.unwrap();
        socket.write_all(body).await.unwrap();
        let mut text = String::new();
        socket.read_to_string(&mut text).await.unwrap();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|status| status.parse().ok())
            .unwrap_or_else(|| panic!("no status in {text:?}"));
        (status, text)
    }

    async fn deliveries(local: SocketAddr, count: usize) -> Vec<serde_json::Value> {
        // Read the SSE stream until `count` deliveries came.
        let mut socket = tokio::net::TcpStream::connect(local).await.unwrap();
        socket
            .write_all(format!("GET /api/stream HTTP/1.1\r\nhost: {local}\r\n\r\n").as_bytes())
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

    fn from_the_page() -> Vec<(String, String)> {
        vec![(PAGE_HEADER.to_owned(), "1".to_owned())]
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
        assert_eq!(valid.headers[replay::DELIVERY_ID], "1");

        let (headers, body) = signed("whsec_wrong");
        let refused = client
            .post(&format!("{base}/"), &headers, body)
            .await
            .unwrap();
        assert_eq!(refused.status, 401);
        assert_eq!(&refused.body[..], br#"{"error":"invalid_signature"}"#);

        let replayed = client
            .post(
                &format!("{base}/api/replay/1"),
                &from_the_page(),
                Bytes::new(),
            )
            .await
            .unwrap();
        assert_eq!(replayed.status, 200);
        let replayed: serde_json::Value = serde_json::from_slice(&replayed.body).unwrap();
        assert_eq!(replayed["status"], 200);
        assert_eq!(replayed["answer"]["status"], "received");
        assert_eq!(
            replayed["delivery"], 3,
            "the replay is the third delivery recorded"
        );

        let seen = deliveries(local, 3).await;
        assert_eq!(seen[0]["id"], 1);
        assert_eq!(seen[0]["verdict"], "valid");
        assert_eq!(seen[0]["path"], "/hooks");
        assert_eq!(seen[0]["senders"], json!(["generic"]));
        assert_eq!(seen[0]["event_type"], "user.created");
        assert_eq!(seen[0]["payload_kind"], "json");
        assert_eq!(seen[0]["payload_note"], serde_json::Value::Null);
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
    async fn a_body_that_indents_huge_is_shown_small() {
        // 1 MiB of JSON that is ~106 MB re-indented.
        let mut body = "[".repeat(100);
        body.push_str(&"0,".repeat((MAX_BODY - 201) / 2));
        body.push('0');
        body.push_str(&"]".repeat(100));
        let size = body.len();
        assert_eq!(size, MAX_BODY - 1);
        let local = spawn(Vec::new()).await;
        let answer = HttpClient::new()
            .post(&format!("http://{local}/hooks"), &[], Bytes::from(body))
            .await
            .unwrap();
        assert_eq!(answer.status, 401);
        let seen = deliveries(local, 1).await;
        assert_eq!(seen[0]["size"], size);
        assert_eq!(seen[0]["payload_kind"], "json");
        let payload = seen[0]["payload"].as_str().unwrap();
        assert!(payload.len() <= payload::SHOWN_MAX, "{}", payload.len());
        assert!(payload.starts_with(&format!("{}0,0,0,", "[".repeat(100))));
        let note = seen[0]["payload_note"].as_str().unwrap();
        assert!(
            note.contains("as received") && note.contains("truncated"),
            "{note}"
        );
    }

    #[tokio::test]
    async fn replay_of_an_unknown_delivery_is_not_found() {
        let local = spawn(Vec::new()).await;
        // A number no delivery has; then not a delivery id at all: the same answer, in JSON
        // as the rest of the API.
        for (id, expected) in [
            ("42", &br#"{"error":"unknown_delivery","id":42}"#[..]),
            ("abc", br#"{"error":"unknown_delivery"}"#),
        ] {
            let answer = HttpClient::new()
                .post(
                    &format!("http://{local}/api/replay/{id}"),
                    &from_the_page(),
                    Bytes::new(),
                )
                .await
                .unwrap();
            assert_eq!(answer.status, 404, "{id}");
            assert_eq!(&answer.body[..], expected, "{id}");
        }
    }

    #[test]
    fn only_connections_from_this_machine_see_the_page() {
        let peer = |text: &str| ConnectInfo(text.parse::<SocketAddr>().unwrap());
        let any: SocketAddr = "[::]:4000".parse().unwrap();
        let own: SocketAddr = "192.0.2.2:4000".parse().unwrap();
        for local in [any, own] {
            assert!(from_this_machine(Some(&peer("127.0.0.1:5000")), local));
            assert!(from_this_machine(Some(&peer("[::1]:5000")), local));
            assert!(from_this_machine(
                Some(&peer("[::ffff:127.0.0.1]:5000")),
                local
            ));
            assert!(!from_this_machine(Some(&peer("198.51.100.7:5000")), local));
            assert!(!from_this_machine(Some(&peer("[2001:db8::1]:5000")), local));
            assert!(!from_this_machine(None, local));
        }
        // Bound to one address of this machine, its own browser comes from that address.
        assert!(from_this_machine(Some(&peer("192.0.2.2:5000")), own));
        assert!(!from_this_machine(Some(&peer("192.0.2.2:5000")), any));
    }

    #[tokio::test]
    async fn serves_the_page_and_nothing_else_on_get() {
        let local = spawn(Vec::new()).await;
        let (status, text) =
            request(local, &format!("GET / HTTP/1.1\r\nhost: {local}\r\n"), b"").await;
        assert_eq!(status, 200, "{text}");
        assert!(text.contains("content-type: text/html"));
        assert!(text.contains("content-security-policy:"));
        assert!(text.contains("data-delivery-id"));
        assert!(
            text.contains(PAGE_HEADER),
            "the page's replay does not send {PAGE_HEADER}"
        );

        let (status, text) = request(
            local,
            &format!("GET /nothing HTTP/1.1\r\nhost: {local}\r\n"),
            b"",
        )
        .await;
        assert_eq!(status, 404, "{text}");
    }

    #[test]
    fn its_own_names() {
        let any: SocketAddr = "0.0.0.0:4000".parse().unwrap();
        assert_eq!(
            own_hosts(any),
            [
                "0.0.0.0:4000",
                "127.0.0.1:4000",
                "[::1]:4000",
                "localhost:4000"
            ]
        );
        let v6: SocketAddr = "[::1]:80".parse().unwrap();
        assert_eq!(
            own_hosts(v6),
            [
                "127.0.0.1",
                "127.0.0.1:80",
                "[::1]",
                "[::1]:80",
                "localhost",
                "localhost:80"
            ]
        );
    }

    #[tokio::test]
    async fn the_page_and_api_answer_only_to_their_own_names() {
        let local = spawn(Vec::new()).await;
        let port = local.port();
        for host in [
            local.to_string(),
            format!("localhost:{port}"),
            format!("LocalHost:{port}"),
            format!("127.0.0.1:{port}"),
            format!("[::1]:{port}"),
        ] {
            let (status, text) =
                request(local, &format!("GET / HTTP/1.1\r\nhost: {host}\r\n"), b"").await;
            assert_eq!(status, 200, "{host}: {text}");
        }
        // A name rebound to this machine, another port, none at all, or an absolute target
        // naming another host: refused, for the page and for the API.
        for head in [
            format!("GET / HTTP/1.1\r\nhost: rebound.example:{port}\r\n"),
            "GET / HTTP/1.1\r\nhost: rebound.example\r\n".to_owned(),
            format!("GET / HTTP/1.1\r\nhost: localhost:{}\r\n", port.wrapping_add(1)),
            "GET / HTTP/1.1\r\nhost: localhost\r\n".to_owned(),
            "GET / HTTP/1.0\r\n".to_owned(),
            format!("GET http://rebound.example:{port}/ HTTP/1.1\r\nhost: {local}\r\n"),
            format!("GET /api/stream HTTP/1.1\r\nhost: rebound.example:{port}\r\n"),
            format!(
                "POST /api/replay/1 HTTP/1.1\r\nhost: rebound.example:{port}\r\n{PAGE_HEADER}: 1\r\n"
            ),
        ] {
            let (status, text) = request(local, &head, b"").await;
            assert_eq!(status, 403, "{head:?}: {text}");
            assert!(text.contains("forbidden_host"), "{text}");
        }
        // Deliveries come through tunnels, under any name: taken, at `/` and elsewhere.
        for path in ["/", "/hooks", "/api/hooks"] {
            let (status, text) = request(
                local,
                &format!("POST {path} HTTP/1.1\r\nhost: abc123.tunnel.example\r\n"),
                b"{}",
            )
            .await;
            assert_eq!(status, 401, "{path}: {text}");
        }
        let seen = deliveries(local, 3).await;
        assert_eq!(seen.len(), 3, "a refused request was recorded: {seen:?}");
    }

    #[tokio::test]
    async fn replays_only_at_the_pages_request() {
        let local = spawn(vec![Secret::new("whsec_right").unwrap()]).await;
        let port = local.port();
        let (headers, body) = signed("whsec_right");
        let client = HttpClient::new();
        let delivered = client
            .post(&format!("http://{local}/hooks"), &headers, body)
            .await
            .unwrap();
        assert_eq!(delivered.status, 200);

        let replay =
            |extra: &str| format!("POST /api/replay/1 HTTP/1.1\r\nhost: {local}\r\n{extra}");
        for (extra, refusal) in [
            // A form on another site: its origin, and no way to add a header.
            (
                "origin: http://evil.example\r\n".to_owned(),
                "forbidden_origin",
            ),
            // Another site's script, had it been let add the header.
            (
                format!("origin: http://evil.example\r\n{PAGE_HEADER}: 1\r\n"),
                "forbidden_origin",
            ),
            (
                format!("origin: null\r\n{PAGE_HEADER}: 1\r\n"),
                "forbidden_origin",
            ),
            (
                format!("origin: https://localhost:{port}\r\n{PAGE_HEADER}: 1\r\n"),
                "forbidden_origin",
            ),
            (
                format!(
                    "origin: http://localhost:{}\r\n{PAGE_HEADER}: 1\r\n",
                    port.wrapping_add(1)
                ),
                "forbidden_origin",
            ),
            // The listener's own origin, but not the page's request.
            (
                format!("origin: http://localhost:{port}\r\n"),
                "not_from_the_page",
            ),
            (String::new(), "not_from_the_page"),
            (format!("{PAGE_HEADER}: yes\r\n"), "not_from_the_page"),
        ] {
            let (status, text) = request(local, &replay(&extra), b"").await;
            assert_eq!(status, 403, "{extra:?}: {text}");
            assert!(text.contains(refusal), "{extra:?}: {text}");
        }
        // The page's own request, from any of the listener's names (and as a tool would
        // send it, with no origin).
        for extra in [
            format!("origin: http://localhost:{port}\r\n{PAGE_HEADER}: 1\r\n"),
            format!("origin: http://{local}\r\n{PAGE_HEADER}: 1\r\n"),
            format!("{PAGE_HEADER}: 1\r\n"),
        ] {
            let (status, text) = request(local, &replay(&extra), b"").await;
            assert_eq!(status, 200, "{extra:?}: {text}");
        }
        let seen = deliveries(local, 4).await;
        assert_eq!(seen.len(), 4, "{seen:?}");
        assert!(seen[1..].iter().all(|replayed| replayed["replay_of"] == 1));
    }

    /// A delivery whose explanation takes long: a JSON body signed with none of the
    /// listener's secrets, so that its signature is tried with every secret against the
    /// body and each of its variants.
    fn slow_delivery(local: SocketAddr) -> Vec<u8> {
        let body = format!(
            "{{\"type\":\"user.created\",\"data\":[{}0]}}",
            "1.5,".repeat(SLOW_BODY / 4)
        );
        let mut request = format!(
            "POST /hooks HTTP/1.1\r\nhost: {local}\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n",
            body.len()
        );
        let other = Secret::new("whsec_none_of_the_listeners").unwrap();
        let signature = testing::sign(Provider::GENERIC, &other, body.as_bytes()).unwrap();
        for (name, value) in signature.headers() {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(&body);
        request.into_bytes()
    }

    const SLOW_BODY: usize = 256 << 10;
    const SLOW_SECRETS: usize = 16;

    /// Explaining a delivery is done off the async threads: while a slow one is explained,
    /// the listener still answers, even on a runtime of one thread.
    #[test]
    fn a_slow_explanation_does_not_hold_up_the_listener() {
        use std::io::{Read as _, Write as _};
        use std::time::{Duration, Instant};

        let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        socket.set_nonblocking(true).unwrap();
        let local = socket.local_addr().unwrap();
        let secrets: Vec<Secret> = (0..SLOW_SECRETS)
            .map(|index| Secret::new(format!("whsec_listener_{index}")).unwrap())
            .collect();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let socket = TcpListener::from_std(socket).unwrap();
                serve(socket, Listener::new(secrets, local)).await
            })
        });
        let exchange = move |request: &[u8]| {
            let mut stream = std::net::TcpStream::connect(local).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(300)))
                .unwrap();
            stream.write_all(request).unwrap();
            let mut answer = String::new();
            stream.read_to_string(&mut answer).unwrap();
            answer
        };

        let slow = slow_delivery(local);
        let started = Instant::now();
        let delivery = std::thread::spawn(move || {
            let answer = exchange(&slow);
            (answer, started.elapsed())
        });
        // Time for the body to arrive and its explanation to start.
        std::thread::sleep(Duration::from_millis(100));
        let asked = Instant::now();
        let page = exchange(
            format!("GET / HTTP/1.1\r\nhost: {local}\r\nconnection: close\r\n\r\n").as_bytes(),
        );
        let page_took = asked.elapsed();
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        let (answer, delivery_took) = delivery.join().unwrap();
        assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
        // Explained on the async thread, the page would wait for all of it.
        eprintln!("the page took {page_took:?} while the delivery took {delivery_took:?}");
        assert!(
            page_took * 4 < delivery_took,
            "the page took {page_took:?} while the delivery took {delivery_took:?}"
        );
    }
}
