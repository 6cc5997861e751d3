//! The table of cases every adapter must pass, over real HTTP.
//!
//! A case is an async function of the adapter's spawn function ([`Spawn`]): it builds the
//! [`ServerSpec`]s it needs, starts servers with them, speaks HTTP to them through
//! [`client`] and checks the answers and what the handler saw. A case
//! returns `Err` with a description of every mismatch, so a failure says what the adapter did.
//!
//! ```no_run
//! use hookverify_conformance::{axum_server, cases};
//!
//! cases::run("duplicate", axum_server::spawn); // panics with the mismatches on failure
//! ```

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::future::join_all;
use hookverify::dedup::{Claim, ClaimToken, DedupKey, DedupStore, StoreError, StoreFuture};
use hookverify::pipeline::WebhookConfig;
use hookverify::scheme::{Scheme, SigningContext};
use hookverify::senders::{Prism, PromptLayer, StandardWebhooks, Stripe};
use hookverify::{testing, Provider, Secret};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::client::{self, Client, Reply};
use crate::signers::{self, Signer};
use crate::spec::{Behaviour, Extractor, RunningServer, ServerSpec};

/// An adapter: starts a server for a spec on `127.0.0.1:0`, stopped when the
/// [`RunningServer`] is dropped.
pub type Spawn = fn(ServerSpec) -> RunningServer;

/// What a case returns: `Err` describes every mismatch.
pub type Outcome = Result<(), String>;

type CaseFuture = Pin<Box<dyn Future<Output = Outcome>>>;

/// One row of the table.
#[derive(Clone, Copy)]
pub struct Case {
    /// The case's name, also the name of its test per adapter.
    pub name: &'static str,
    /// What it proves.
    pub about: &'static str,
    run: fn(Spawn) -> CaseFuture,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Case")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Case {
    /// Runs the case against `spawn`'s adapter.
    pub fn run(&self, spawn: Spawn) -> impl Future<Output = Outcome> {
        (self.run)(spawn)
    }
}

macro_rules! case {
    ($name:ident, $about:literal) => {
        Case {
            name: stringify!($name),
            about: $about,
            run: |spawn| Box::pin($name(spawn)),
        }
    };
}

/// Every case, in the order they are listed in the conformance tests.
pub const CASES: &[Case] = &[
    case!(vectors, "every known-answer vector: valid JSON 200 in the handler, invalid 401, valid non-JSON 400"),
    case!(missing_signature, "no signature header: 401 with the uniform body, before the handler"),
    case!(malformed_signature, "an undecodable signature header: 401 with the same body"),
    case!(signature_mismatch, "a well-formed wrong signature: 401 with the same body"),
    case!(too_large_by_content_length, "Content-Length over the limit: 413, decided before the body is read"),
    case!(too_large_chunked, "a chunked body growing past the limit: 413, cut off at the limit; within it: 200"),
    case!(framework_body_extractor, "the framework's own Bytes extractor gets every body the layer verified, past the framework's default limit, framed by Content-Length alone even when it came chunked"),
    case!(promptlayer_body_limit, "by default a PromptLayer body over 256 KiB is 413 (its canonical form is dear), another sender's is not"),
    case!(malformed_json, "an authentic body that is not JSON: 400, for every extractor"),
    case!(too_deep, "an authentic body nested 10,000 deep: 400"),
    case!(depth_limit_boundary, "128 levels are accepted, 129 are 400"),
    case!(in_flight, "a copy while the first delivery runs: 503 with a short Retry-After"),
    case!(store_unavailable, "a store that errors: 503 with Retry-After, the handler does not run"),
    case!(duplicate, "a processed event again (even with another body): 200 {\"status\":\"duplicate\"}, handler once"),
    case!(strict_422, "a user type the body does not fit: 422"),
    case!(missing_layer, "an extractor on a route without the layer: 500 naming it"),
    case!(other_method, "a GET, or a PUT of an authentic delivery, on the webhook route: 405 from the framework, handler not called, the event still processed by its POST"),
    case!(nested_layers, "two layers on one route: 500 naming it (not 503 in flight for ever), handler never called"),
    case!(concurrent_copies, "32 concurrent copies: the handler runs once, the rest are duplicates or 503"),
    case!(handler_fails_once, "a handler 500 releases the claim: the retry is processed"),
    case!(handler_panics_once, "a handler panic releases the claim: the retry is processed"),
    case!(fail_open, "fail-open with a failing store: the handler runs, every time"),
    case!(secret_rotation, "old and new secrets are both accepted, a third is not"),
    case!(provider_restricted, "a route for one provider refuses another's signature: 401"),
    case!(verified_extractor, "verify-only access: the body restored byte for byte, provider and key"),
    case!(client_disconnects, "a client gone mid-handler: the handler finishes, the retry is a duplicate"),
    case!(promptlayer_extractor, "a provider event type as the extractor"),
    case!(python_json_extras, "NaN, lone surrogates, non-object JSON and 128-deep bodies reach an AnyEvent handler"),
    case!(sender_timeout, "a sender that times out before a 3 s handler: the handler runs once to its end; 503 while it runs, then duplicate"),
    case!(handler_outlives_lease, "a handler longer than its lease keeps its claim by renewal: no second run"),
    case!(crashed_claim_expires, "a claim whose holder stopped renewing runs out, and the retry is processed then, not before"),
    case!(natural_wiring_shares_one_store, "instances built separately with one configuration (per actix worker, per server) run an event once"),
    case!(keys_do_not_collide, "Prism events whose id parts differ only where a ':' falls are two events"),
    case!(namespaces_keep_layers_apart, "layers over one store: their own namespaces never collide; one namespace is one event"),
    case!(slow_body_times_out, "a body trickled slower than the body timeout: 408, the connection not held for ever"),
    case!(unverified_budget_full, "bodies past the unverified-bytes budget: 503 with Retry-After, and room again once they are gone"),
    case!(unread_body_closes_connection, "a request refused before its body is read (no signature header, also chunked; over the unverified budget) is answered with Connection: close and the connection closed; a refused signature over a whole body keeps it"),
    case!(oversize_413_is_readable, "a sender writing a whole 6 MiB body past the 1 MiB limit reads the 413, every time"),
    case!(oversize_awaiting_continue, "a sender that waits for 100-continue with a Content-Length past the limit reads the 413 (asked for its body only where the framework answers the expectation itself)"),
    case!(promptlayer_signed_values_only, "a captured PromptLayer signature over a body with a respelled number: 401, and the handler reads only signed values"),
    case!(senders_own_libraries, "GitHub, Stripe, Standard Webhooks and Svix deliveries signed by each sender's own library: processed once; the redelivery, re-signed later, is a duplicate"),
    case!(timestamp_tolerance, "Standard Webhooks and Stripe signed 290 s ago or ahead are accepted, 310 s refused with 401"),
    case!(two_senders_two_secrets, "one layer, two senders with secrets of their own as the README wires it: a secret verifies only its sender; a typed handler refuses the other sender with 422 and does not record it"),
    case!(valid_next_to_forged, "a valid signature next to another sender's forged one is accepted"),
];

/// The case called `name`.
pub fn case(name: &str) -> Option<&'static Case> {
    CASES.iter().find(|case| case.name == name)
}

/// Runs case `name` against `spawn` on a fresh runtime; panics with the mismatches when it
/// fails (the body of each generated `#[test]`).
///
/// # Panics
/// When the case fails, is unknown, or the runtime cannot be built.
#[allow(clippy::panic, clippy::expect_used)] // a test's way to fail
pub fn run(name: &str, spawn: Spawn) {
    let Some(case) = case(name) else {
        panic!("no conformance case called {name:?}");
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("build the client runtime");
    let outcome = runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(120), case.run(spawn))
            .await
            .unwrap_or_else(|_| Err("the case did not finish within 120 s".to_owned()))
    });
    if let Err(mismatches) = outcome {
        panic!(
            "conformance case {name} ({}) failed:\n{mismatches}",
            case.about
        );
    }
}

/// Runs every case against `spawn`, one after the other.
pub async fn run_all(spawn: Spawn) -> Vec<(&'static str, Outcome)> {
    let mut outcomes = Vec::with_capacity(CASES.len());
    for case in CASES {
        outcomes.push((case.name, case.run(spawn).await));
    }
    outcomes
}

/// A deduplication store that always fails, as an unreachable Redis would.
#[derive(Debug, Clone, Copy, Default)]
pub struct FailingStore;

impl FailingStore {
    fn error() -> StoreError {
        StoreError::unavailable(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "store down (test)",
        ))
    }
}

impl DedupStore for FailingStore {
    fn claim<'a>(
        &'a self,
        _key: &'a DedupKey,
        _fingerprint: [u8; 32],
        _lease: Duration,
    ) -> StoreFuture<'a, Claim> {
        Box::pin(async { Err(Self::error()) })
    }

    fn extend<'a>(&'a self, _token: &'a ClaimToken, _lease: Duration) -> StoreFuture<'a, bool> {
        Box::pin(async { Err(Self::error()) })
    }

    fn complete<'a>(
        &'a self,
        _token: &'a ClaimToken,
        _retention: Duration,
    ) -> StoreFuture<'a, bool> {
        Box::pin(async { Err(Self::error()) })
    }

    fn release<'a>(&'a self, _token: &'a ClaimToken) -> StoreFuture<'a, bool> {
        Box::pin(async { Err(Self::error()) })
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/// Collects mismatches instead of stopping at the first.
#[derive(Debug, Default)]
struct Check {
    mismatches: Vec<String>,
}

impl Check {
    fn that(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.mismatches.push(what());
        }
    }

    #[allow(clippy::needless_pass_by_value)] // by value reads best at the call sites
    fn eq<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, got: T, want: T) {
        if got != want {
            self.mismatches
                .push(format!("{what}: got {got:?}, want {want:?}"));
        }
    }

    /// The reply is `status` with exactly the JSON `body` and `content-type: application/json`.
    fn reply(&mut self, what: &str, reply: &Reply, status: u16, body: &Value) {
        if reply.status.as_u16() != status || reply.json() != *body {
            self.mismatches.push(format!(
                "{what}: got {} {:?}, want {status} {body}",
                reply.status.as_u16(),
                reply.text()
            ));
        }
        self.content_type_json(what, reply);
    }

    fn content_type_json(&mut self, what: &str, reply: &Reply) {
        let content_type = reply.header("content-type").unwrap_or_default();
        self.that(content_type.starts_with("application/json"), || {
            format!("{what}: content-type {content_type:?}, want application/json")
        });
    }

    /// A positive whole number of seconds in `Retry-After`.
    fn retry_after(&mut self, what: &str, reply: &Reply) {
        let value = reply.header("retry-after");
        let seconds = value.and_then(|value| value.parse::<u64>().ok());
        self.that(seconds.is_some_and(|seconds| seconds >= 1), || {
            format!("{what}: Retry-After {value:?}, want whole seconds >= 1")
        });
    }

    /// A `Retry-After` of whole seconds, at least 1 and no longer than the renewal interval
    /// of the default lease: the soonest a running event's claim could be free.
    fn short_retry_after(&mut self, what: &str, reply: &Reply) {
        self.retry_after(what, reply);
        let limit = hookverify::pipeline::DEFAULT_LEASE.as_secs().div_ceil(3);
        let seconds = reply
            .header("retry-after")
            .and_then(|value| value.parse::<u64>().ok());
        self.that(seconds.is_some_and(|seconds| seconds <= limit), || {
            format!(
                "{what}: Retry-After {seconds:?}, want at most {limit} s (the renewal interval)"
            )
        });
    }

    /// A 2xx answer from the handler itself (not the duplicate acknowledgement).
    fn processed(&mut self, what: &str, reply: &Reply) {
        self.that(
            reply.status == StatusCode::OK && reply.json() == processed(),
            || {
                format!(
                    "{what}: got {} {:?}, want the handler's 200",
                    reply.status.as_u16(),
                    reply.text()
                )
            },
        );
    }

    fn finish(self) -> Outcome {
        if self.mismatches.is_empty() {
            Ok(())
        } else {
            Err(self.mismatches.join("\n"))
        }
    }
}

fn unauthenticated() -> Value {
    json!({"error": "invalid_signature"})
}

fn duplicate_body() -> Value {
    json!({"status": "duplicate"})
}

/// What the test handlers answer on success.
fn processed() -> Value {
    json!({"status": "processed"})
}

fn secret(text: &str) -> Secret {
    Secret::new(text).unwrap_or_else(|_| unreachable!("test secrets are not empty"))
}

fn the_secret() -> Secret {
    secret("whsec_conformance_0123456789abcdef")
}

fn config() -> WebhookConfig {
    WebhookConfig::new(the_secret())
}

/// A GitHub-style event with id `id`.
fn generic_event(id: &str) -> String {
    json!({"id": id, "type": "user.created", "created_at": "2025-01-01T00:00:00Z", "data": {"user": "u_1"}}).to_string()
}

/// A PromptLayer event (no id: its key is the hash of its canonical form).
fn promptlayer_event(template_id: u64) -> String {
    json!({
        "event_type": "prompt_template_label_moved",
        "details": {"prompt_template_id": template_id, "prompt_template_name": "Hello",
                    "prompt_template_version_number": 9, "old_prompt_template_version_number": 8,
                    "prompt_template_label": "prod"},
        "user_id": 1, "user_name": "John Doe", "user_email": "john.doe@example.com",
        "workspace_id": 1, "timestamp": "2023-12-01T22:05:57.924833"
    })
    .to_string()
}

/// The signature header for `body` as `provider` signs it.
fn signed(provider: Provider, secret: &Secret, body: &str) -> Vec<(String, String)> {
    // A PromptLayer body that is not JSON has no canonical form: sign its raw bytes.
    let signature = testing::sign(provider, secret, body.as_bytes())
        .or_else(|_| testing::sign_bytes(provider, secret, body.as_bytes()))
        .unwrap_or_else(|error| unreachable!("every built-in sender signs any bytes: {error}"));
    let mut headers: Vec<(String, String)> = signature
        .into_headers()
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    headers.push(("content-type".to_owned(), "application/json".to_owned()));
    headers
}

fn generic_signed(body: &str) -> Vec<(String, String)> {
    signed(Provider::GENERIC, &the_secret(), body)
}

async fn post(
    client: &Client,
    server: &RunningServer,
    headers: &[(String, String)],
    body: &str,
) -> Result<Reply, String> {
    client
        .post(&server.url(), headers, Bytes::from(body.to_owned()))
        .await
}

/// Sends a generic delivery of `body`, signed, streamed in chunks of `chunk` bytes with no
/// `Content-Length` (`Transfer-Encoding: chunked`).
async fn post_chunked(
    client: &Client,
    server: &RunningServer,
    body: &str,
    chunk: usize,
) -> Result<Reply, String> {
    let parts: Vec<Bytes> = body
        .as_bytes()
        .chunks(chunk)
        .map(Bytes::copy_from_slice)
        .collect();
    client
        .post_chunked(
            &server.url(),
            &generic_signed(body),
            futures_util::stream::iter(parts),
        )
        .await
}

/// Sends a delivery on a task of its own, to hold its claim while copies arrive.
fn post_in_background(
    client: &Client,
    server: &RunningServer,
    headers: &[(String, String)],
    body: &str,
) -> tokio::task::JoinHandle<Result<Reply, String>> {
    let (client, url, headers, body) = (
        client.clone(),
        server.url(),
        headers.to_vec(),
        body.to_owned(),
    );
    tokio::spawn(async move { client.post(&url, &headers, body).await })
}

/// Waits until the handler has been entered `calls` times.
async fn until_calls(server: &RunningServer, calls: usize) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.recorder.calls() < calls {
        if Instant::now() > deadline {
            return Err(format!(
                "the handler was entered {} times, never {calls}",
                server.recorder.calls()
            ));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The cases.

#[derive(Debug, Deserialize)]
struct VectorFile {
    cases: Vec<Vector>,
}

#[derive(Debug, Deserialize)]
struct Vector {
    name: String,
    provider: String,
    secret: String,
    headers: BTreeMap<String, String>,
    body: String,
    valid: bool,
}

async fn vectors(spawn: Spawn) -> Outcome {
    let file: VectorFile = serde_json::from_str(include_str!("../vectors/vectors.json"))
        .map_err(|error| format!("tests/vectors/vectors.json: {error}"))?;
    let mut check = Check::default();
    check.that(file.cases.len() >= 20, || {
        format!("only {} vectors", file.cases.len())
    });
    let client = Client::new();
    for vector in &file.cases {
        let what = format!("vector {}", vector.name);
        let server = spawn(ServerSpec::new(WebhookConfig::new(secret(&vector.secret))));
        let headers: Vec<(String, String)> = vector.headers.clone().into_iter().collect();
        let reply = post(&client, &server, &headers, &vector.body).await?;
        let is_json = serde_json::from_str::<Value>(&vector.body).is_ok();
        match (vector.valid, is_json) {
            (true, true) => {
                check.processed(&what, &reply);
                let seen = server.recorder.seen();
                check.eq(&format!("{what}: handler calls"), seen.len(), 1);
                if let Some(seen) = seen.first() {
                    check.eq(
                        &format!("{what}: provider"),
                        seen.provider.as_str(),
                        vector.provider.as_str(),
                    );
                    check.eq(
                        &format!("{what}: body length"),
                        seen.body_len,
                        signed_len(vector),
                    );
                    check.that(!seen.event_type.is_empty(), || {
                        format!("{what}: no event type")
                    });
                }
            }
            (true, false) => {
                check.reply(&what, &reply, 400, &json!({"error": "malformed_payload"}));
                check.eq(
                    &format!("{what}: handler calls"),
                    server.recorder.calls(),
                    0,
                );
            }
            (false, _) => {
                check.reply(&what, &reply, 401, &unauthenticated());
                check.eq(
                    &format!("{what}: handler calls"),
                    server.recorder.calls(),
                    0,
                );
            }
        }
    }
    check.finish()
}

/// The length of what a vector's signature covers, which is what the handler is handed: the
/// body, or for PromptLayer the canonical form when the signature is over that.
fn signed_len(vector: &Vector) -> usize {
    let Some(provider) = Provider::from_name(&vector.provider) else {
        return vector.body.len();
    };
    let Ok(raw) = testing::sign_bytes(provider, &secret(&vector.secret), vector.body.as_bytes())
    else {
        return vector.body.len();
    };
    let raw_signed = vector
        .headers
        .iter()
        .any(|(name, value)| name.eq_ignore_ascii_case(raw.name()) && *value == raw.value());
    match hookverify::canonical::canonical_json(vector.body.as_bytes()) {
        Ok(canonical) if provider == Provider::PROMPTLAYER && !raw_signed => canonical.len(),
        _ => vector.body.len(),
    }
}

async fn missing_signature(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config()));
    let client = Client::new();
    let body = generic_event("evt_unsigned");
    let plain = vec![("content-type".to_owned(), "application/json".to_owned())];
    let reply = post(&client, &server, &plain, &body).await?;
    let mut check = Check::default();
    check.reply("no signature", &reply, 401, &unauthenticated());
    // A near miss of a header name is no signature either.
    let near = vec![("x-signature-255".to_owned(), "sha256=00".to_owned())];
    let reply = post(&client, &server, &near, &body).await?;
    check.reply("unknown header", &reply, 401, &unauthenticated());
    check.eq("handler calls", server.recorder.calls(), 0);
    check.finish()
}

async fn malformed_signature(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config()));
    let client = Client::new();
    let body = generic_event("evt_malformed");
    let good = generic_signed(&body)[0].1.clone();
    let mut check = Check::default();
    let values = [
        "".to_owned(),
        "sha256=".to_owned(),
        "sha256=zz".to_owned(),
        good.trim_start_matches("sha256=").to_owned(), // the prefix is part of the format
        good[..good.len() - 2].to_owned(),             // truncated
        format!("{good}00"),                           // too long
        "sha1=0123456789abcdef0123456789abcdef01234567".to_owned(),
    ];
    for value in values {
        let headers = vec![("x-signature-256".to_owned(), value.clone())];
        let reply = post(&client, &server, &headers, &body).await?;
        check.reply(
            &format!("signature {value:?}"),
            &reply,
            401,
            &unauthenticated(),
        );
    }
    check.eq("handler calls", server.recorder.calls(), 0);
    check.finish()
}

async fn signature_mismatch(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config()));
    let client = Client::new();
    let body = generic_event("evt_mismatch");
    let mut check = Check::default();
    let wrong_secret = signed(Provider::GENERIC, &secret("another secret"), &body);
    let reply = post(&client, &server, &wrong_secret, &body).await?;
    check.reply("wrong secret", &reply, 401, &unauthenticated());
    let tampered = body.replace("u_1", "u_2");
    let reply = post(&client, &server, &generic_signed(&body), &tampered).await?;
    check.reply("tampered body", &reply, 401, &unauthenticated());
    let pl_body = promptlayer_event(7);
    let pl_wrong = signed(Provider::PROMPTLAYER, &secret("another secret"), &pl_body);
    let reply = post(&client, &server, &pl_wrong, &pl_body).await?;
    check.reply("promptlayer wrong secret", &reply, 401, &unauthenticated());
    check.eq("handler calls", server.recorder.calls(), 0);
    check.finish()
}

async fn too_large_by_content_length(spawn: Spawn) -> Outcome {
    const LIMIT: usize = 1024;
    let server = spawn(ServerSpec::new(config().body_limit(LIMIT)));
    let client = Client::new();
    let mut check = Check::default();
    let too_large =
        json!({"id": "evt_large", "type": "t", "data": {"pad": "x".repeat(2 * LIMIT)}}).to_string();
    let reply = post(&client, &server, &generic_signed(&too_large), &too_large).await?;
    check.reply(
        "2 KiB body, 1 KiB limit",
        &reply,
        413,
        &json!({"error": "payload_too_large"}),
    );

    // A Content-Length of 10 MB and no body at all: only an answer decided on the header
    // comes back before the client's timeout.
    let headers = generic_signed(&too_large);
    let head = format!(
        "POST /webhook HTTP/1.1\r\nhost: {}\r\n{}: {}\r\ncontent-type: application/json\r\ncontent-length: 10000000",
        server.addr, headers[0].0, headers[0].1
    );
    let reply = client::raw(server.addr, &head, b"{").await?;
    check.reply(
        "Content-Length lie",
        &reply,
        413,
        &json!({"error": "payload_too_large"}),
    );

    let fits = json!({"id": "evt_fits", "type": "t", "data": {"pad": "x".repeat(LIMIT - 100)}})
        .to_string();
    check.that(fits.len() <= LIMIT, || "test body too long".to_owned());
    let reply = post(&client, &server, &generic_signed(&fits), &fits).await?;
    check.processed("a body within the limit", &reply);
    check.eq("handler calls", server.recorder.calls(), 1);
    check.finish()
}

async fn too_large_chunked(spawn: Spawn) -> Outcome {
    const LIMIT: usize = 64 * 1024;
    let server = spawn(ServerSpec::new(config().body_limit(LIMIT)));
    let client = Client::new();
    let mut check = Check::default();
    // 16 MiB streamed without Content-Length, signed header present: cut off at 64 KiB.
    // (If the server buffered it all, it would still answer 413, but only after reading
    // everything: the answer must come while the sender is still sending.)
    let headers = generic_signed("{}");
    let head = format!(
        "POST /webhook HTTP/1.1\r\nhost: {}\r\n{}: {}\r\ncontent-type: application/json",
        server.addr, headers[0].0, headers[0].1
    );
    let reply = client::raw_chunked(server.addr, &head, 4096, 4096).await?;
    check.reply(
        "16 MiB chunked, 64 KiB limit",
        &reply,
        413,
        &json!({"error": "payload_too_large"}),
    );

    // A chunked body within the limit is read whole.
    let body = generic_event("evt_chunked");
    let reply = post_chunked(&client, &server, &body, 7).await?;
    check.processed("chunked body within the limit", &reply);
    let seen = server.recorder.seen();
    check.eq("handler calls", seen.len(), 1);
    check.eq(
        "body length",
        seen.first().map(|seen| seen.body_len),
        Some(body.len()),
    );
    check.finish()
}

async fn framework_body_extractor(spawn: Spawn) -> Outcome {
    // Past both frameworks' own defaults (actix-web 256 KiB, axum 2 MB), within the layer's.
    let server =
        spawn(ServerSpec::new(config().body_limit(4 << 20)).extractor(Extractor::FrameworkBytes));
    let client = Client::new();
    let mut check = Check::default();
    let body =
        json!({"id": "evt_framework_bytes", "type": "t", "data": {"pad": "x".repeat(3_000_000)}})
            .to_string();
    let reply = post(&client, &server, &generic_signed(&body), &body).await?;
    check.processed(
        "a verified 3 MB body read with the framework's Bytes",
        &reply,
    );
    // Sent chunked: the handler's request has the verified length and no Transfer-Encoding.
    let body = generic_event("evt_framework_chunked");
    let reply = post_chunked(&client, &server, &body, 9).await?;
    check.processed("a chunked delivery, reframed by Content-Length", &reply);
    check.eq("handler calls", server.recorder.calls(), 2);
    check.finish()
}

async fn promptlayer_body_limit(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config()));
    let client = Client::new();
    let mut check = Check::default();
    let padded = |pad: usize| {
        json!({
            "event_type": "dataset_version_created_by_file_failed",
            "details": {"dataset_id": pad, "error_message": "x".repeat(pad)},
            "user_id": 1, "workspace_id": 1, "timestamp": "2024-01-01T00:00:00"
        })
        .to_string()
    };
    let over = padded(hookverify::pipeline::DEFAULT_CANONICAL_BODY_LIMIT);
    let pl_over = signed(Provider::PROMPTLAYER, &the_secret(), &over);
    let reply = post(&client, &server, &pl_over, &over).await?;
    check.reply(
        "authentic PromptLayer body over 256 KiB",
        &reply,
        413,
        &json!({"error": "payload_too_large"}),
    );
    let within = padded(hookverify::pipeline::DEFAULT_CANONICAL_BODY_LIMIT - 200);
    let pl_within = signed(Provider::PROMPTLAYER, &the_secret(), &within);
    let reply = post(&client, &server, &pl_within, &within).await?;
    check.processed("authentic PromptLayer body just within 256 KiB", &reply);
    let generic =
        json!({"id": "evt_big", "type": "t", "data": {"pad": "x".repeat(512 * 1024)}}).to_string();
    let reply = post(&client, &server, &generic_signed(&generic), &generic).await?;
    check.processed("a 512 KiB body from another sender", &reply);
    check.eq("handler calls", server.recorder.calls(), 2);

    // An explicit limit is every sender's.
    let server = spawn(ServerSpec::new(config().body_limit(1024 * 1024)));
    let reply = post(&client, &server, &pl_over, &over).await?;
    check.processed("PromptLayer over 256 KiB with body_limit(1 MiB)", &reply);
    check.finish()
}

async fn malformed_json(spawn: Spawn) -> Outcome {
    let mut check = Check::default();
    for extractor in [
        Extractor::AnyEvent,
        Extractor::Verified,
        Extractor::Strict,
        Extractor::PromptLayerEvent,
    ] {
        let server = spawn(ServerSpec::new(config()).extractor(extractor));
        let client = Client::new();
        for body in ["Hello, World!", "{\"id\": \"evt_1\",", "", "\u{fffd}\u{0}"] {
            let reply = post(&client, &server, &generic_signed(body), body).await?;
            check.reply(
                &format!("{extractor:?}: authentic {body:?}"),
                &reply,
                400,
                &json!({"error": "malformed_payload"}),
            );
        }
        check.eq(
            &format!("{extractor:?}: handler calls"),
            server.recorder.calls(),
            0,
        );
    }
    check.finish()
}

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

async fn too_deep(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config()).extractor(Extractor::Verified));
    let client = Client::new();
    let mut check = Check::default();
    let body = nested(10_000);
    let reply = post(&client, &server, &generic_signed(&body), &body).await?;
    check.reply(
        "10,000 deep",
        &reply,
        400,
        &json!({"error": "malformed_payload"}),
    );
    let object = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    let reply = post(&client, &server, &generic_signed(&object), &object).await?;
    check.reply(
        "10,000 deep objects",
        &reply,
        400,
        &json!({"error": "malformed_payload"}),
    );
    check.eq("handler calls", server.recorder.calls(), 0);
    check.finish()
}

async fn depth_limit_boundary(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config()).extractor(Extractor::Verified));
    let client = Client::new();
    let mut check = Check::default();
    let deepest = nested(128);
    let reply = post(&client, &server, &generic_signed(&deepest), &deepest).await?;
    check.processed("128 deep", &reply);
    let deeper = nested(129);
    let reply = post(&client, &server, &generic_signed(&deeper), &deeper).await?;
    check.reply(
        "129 deep",
        &reply,
        400,
        &json!({"error": "malformed_payload"}),
    );
    check.finish()
}

/// What CPython's `json.dumps` may send but serde_json refuses, and JSON that is no event
/// object: authentic, so each reaches the handler (as the raw variant), never a 4xx.
async fn python_json_extras(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config()));
    let client = Client::new();
    let mut check = Check::default();
    let bodies = [
        (
            Provider::PRISM,
            r#"{"request_id": "req_nan", "event": "request.completed", "cost": NaN, "latency_ms": Infinity}"#.to_owned(),
        ),
        (Provider::GENERIC, r#"{"id": "evt_\ud800", "type": "user.created", "data": {}}"#.to_owned()),
        (Provider::GENERIC, "[1, 2, 3]".to_owned()),
        (Provider::GENERIC, nested(128)),
    ];
    for (provider, body) in &bodies {
        let reply = post(
            &client,
            &server,
            &signed(*provider, &the_secret(), body),
            body,
        )
        .await?;
        check.processed(&format!("{provider} {body:.60}"), &reply);
    }
    check.eq("handler calls", server.recorder.calls(), bodies.len());
    let seen = server.recorder.seen();
    check.eq(
        "NaN event keeps its type",
        seen.first().map(|seen| seen.event_type.as_str()),
        Some("request.completed"),
    );
    check.finish()
}

async fn in_flight(spawn: Spawn) -> Outcome {
    let server =
        spawn(ServerSpec::new(config()).behaviour(Behaviour::Sleep(Duration::from_millis(1500))));
    let client = Client::new();
    let mut check = Check::default();
    let body = generic_event("evt_in_flight");
    let headers = generic_signed(&body);
    let first = post_in_background(&client, &server, &headers, &body);
    until_calls(&server, 1).await?;
    let copy = post(&client, &server, &headers, &body).await?;
    check.reply(
        "copy while the first runs",
        &copy,
        503,
        &json!({"error": "in_flight"}),
    );
    check.short_retry_after("copy while the first runs", &copy);
    let first = first
        .await
        .map_err(|error| format!("first request task: {error}"))??;
    check.processed("first delivery", &first);
    let after = post(&client, &server, &headers, &body).await?;
    check.reply("copy after the first", &after, 200, &duplicate_body());
    check.eq("handler calls", server.recorder.calls(), 1);
    check.finish()
}

async fn store_unavailable(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config().dedup_store(FailingStore)));
    let client = Client::new();
    let mut check = Check::default();
    let body = generic_event("evt_store_down");
    let reply = post(&client, &server, &generic_signed(&body), &body).await?;
    check.reply(
        "store down",
        &reply,
        503,
        &json!({"error": "store_unavailable"}),
    );
    check.retry_after("store down", &reply);
    check.eq("handler calls", server.recorder.calls(), 0);
    check.finish()
}

async fn duplicate(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config()));
    let client = Client::new();
    let mut check = Check::default();
    let body = generic_event("evt_dup");
    let first = post(&client, &server, &generic_signed(&body), &body).await?;
    check.processed("first", &first);
    let again = post(&client, &server, &generic_signed(&body), &body).await?;
    check.reply("same event again", &again, 200, &duplicate_body());
    // Another body under the same key is acknowledged too (a warning, never a refusal).
    let changed = body.replace("u_1", "u_9");
    let reply = post(&client, &server, &generic_signed(&changed), &changed).await?;
    check.reply("other body, same key", &reply, 200, &duplicate_body());
    // A PromptLayer event has no id: the same payload re-serialized is the same event.
    let pl = promptlayer_event(12);
    let first = post(
        &client,
        &server,
        &signed(Provider::PROMPTLAYER, &the_secret(), &pl),
        &pl,
    )
    .await?;
    check.processed("promptlayer first", &first);
    let compact = serde_json::from_str::<Value>(&pl)
        .map(|value| value.to_string())
        .unwrap_or_default();
    let reserialized = format!(" {compact} ");
    let again = post(
        &client,
        &server,
        &signed(Provider::PROMPTLAYER, &the_secret(), &reserialized),
        &reserialized,
    )
    .await?;
    check.reply(
        "promptlayer other bytes, same payload",
        &again,
        200,
        &duplicate_body(),
    );
    check.eq("handler calls", server.recorder.calls(), 2);
    check.finish()
}

async fn strict_422(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config()).extractor(Extractor::Strict));
    let client = Client::new();
    let mut check = Check::default();
    let no_id = r#"{"event": "test", "webhook_id": "w1", "message": "hi"}"#;
    let reply = post(
        &client,
        &server,
        &signed(Provider::PRISM, &the_secret(), no_id),
        no_id,
    )
    .await?;
    check.eq("no id: status", reply.status.as_u16(), 422);
    check.eq(
        "no id: error",
        reply.json()["error"].clone(),
        json!("unprocessable_payload"),
    );
    check.content_type_json("no id", &reply);
    // 422 is not a success: the claim is released and the same delivery gets 422 again.
    let reply = post(
        &client,
        &server,
        &signed(Provider::PRISM, &the_secret(), no_id),
        no_id,
    )
    .await?;
    check.eq("no id again: status", reply.status.as_u16(), 422);
    let with_id = generic_event("evt_strict");
    let reply = post(&client, &server, &generic_signed(&with_id), &with_id).await?;
    check.processed("with id", &reply);
    check.eq("handler calls", server.recorder.calls(), 1);
    check.finish()
}

async fn missing_layer(spawn: Spawn) -> Outcome {
    let mut check = Check::default();
    for extractor in [
        Extractor::AnyEvent,
        Extractor::Verified,
        Extractor::Strict,
        Extractor::PromptLayerEvent,
    ] {
        let spec = ServerSpec {
            config: None,
            extractor,
            behaviour: Behaviour::Succeed,
            nested: false,
        };
        let server = spawn(spec);
        let client = Client::new();
        let body = generic_event("evt_no_layer");
        let reply = post(&client, &server, &generic_signed(&body), &body).await?;
        check.eq(
            &format!("{extractor:?}: status"),
            reply.status.as_u16(),
            500,
        );
        check.eq(
            &format!("{extractor:?}: error"),
            reply.json()["error"].clone(),
            json!("webhook_verify_missing"),
        );
        check.that(reply.text().contains("WebhookVerify"), || {
            format!(
                "{extractor:?}: body does not name the layer: {}",
                reply.text()
            )
        });
        check.eq(
            &format!("{extractor:?}: handler calls"),
            server.recorder.calls(),
            0,
        );
    }
    check.finish()
}

async fn other_method(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config()));
    let client = Client::new();
    let mut check = Check::default();
    let body = generic_event("evt_other_method");
    let signed = generic_signed(&body);
    let reply = client
        .request("GET", &server.url(), &[], Bytes::new())
        .await?;
    check.eq("GET: status", reply.status.as_u16(), 405);
    for method in ["PUT", "DELETE"] {
        let reply = client
            .request(method, &server.url(), &signed, body.clone())
            .await?;
        check.eq(&format!("{method}: status"), reply.status.as_u16(), 405);
    }
    check.eq("handler calls before the POST", server.recorder.calls(), 0);
    // Another method neither claimed the event nor marked it processed.
    let reply = post(&client, &server, &signed, &body).await?;
    check.processed("POST", &reply);
    check.eq("handler calls", server.recorder.calls(), 1);
    check.finish()
}

async fn nested_layers(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config()).nested());
    let client = Client::new();
    let mut check = Check::default();
    let body = generic_event("evt_nested");
    for attempt in ["first", "retry"] {
        let reply = post(&client, &server, &generic_signed(&body), &body).await?;
        check.eq(&format!("{attempt}: status"), reply.status.as_u16(), 500);
        check.eq(
            &format!("{attempt}: error"),
            reply.json()["error"].clone(),
            json!("webhook_verify_nested"),
        );
    }
    check.eq("handler calls", server.recorder.calls(), 0);
    check.finish()
}

async fn concurrent_copies(spawn: Spawn) -> Outcome {
    const COPIES: usize = 32;
    let server =
        spawn(ServerSpec::new(config()).behaviour(Behaviour::Sleep(Duration::from_millis(300))));
    let client = Client::new();
    let mut check = Check::default();
    let body = generic_event("evt_concurrent");
    let headers = generic_signed(&body);
    let replies = join_all((0..COPIES).map(|_| post(&client, &server, &headers, &body))).await;
    let mut handled = 0;
    for (index, reply) in replies.into_iter().enumerate() {
        let reply = reply?;
        let status = reply.status.as_u16();
        if status == 200 && reply.json() == processed() {
            handled += 1;
        } else if status == 200 {
            check.eq(
                &format!("copy {index}: body"),
                reply.json(),
                duplicate_body(),
            );
        } else if status == 503 {
            check.retry_after(&format!("copy {index}"), &reply);
        } else {
            check.that(false, || {
                format!(
                    "copy {index}: got {status} {:?}, want 200 or 503",
                    reply.text()
                )
            });
        }
    }
    check.eq("copies the handler processed", handled, 1);
    check.eq("handler calls", server.recorder.calls(), 1);
    check.finish()
}

async fn handler_fails_once(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config()).behaviour(Behaviour::FailFirst(1)));
    let client = Client::new();
    let mut check = Check::default();
    let body = generic_event("evt_fails_once");
    let headers = generic_signed(&body);
    let first = post(&client, &server, &headers, &body).await?;
    check.eq("first: status", first.status.as_u16(), 500);
    let retry = post(&client, &server, &headers, &body).await?;
    check.processed("retry", &retry);
    let again = post(&client, &server, &headers, &body).await?;
    check.reply("after the retry", &again, 200, &duplicate_body());
    check.eq("handler calls", server.recorder.calls(), 2);
    check.finish()
}

async fn handler_panics_once(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config()).behaviour(Behaviour::PanicFirst(1)));
    let client = Client::new();
    let mut check = Check::default();
    let body = generic_event("evt_panics_once");
    let headers = generic_signed(&body);
    // The first request fails: a 500 or a dropped connection, as the framework handles panics.
    if let Ok(reply) = post(&client, &server, &headers, &body).await {
        check.that(reply.status.is_server_error(), || {
            format!(
                "first: got {} {:?}, want a failure",
                reply.status,
                reply.text()
            )
        });
    }
    let retry = post(&client, &server, &headers, &body).await?;
    check.processed("retry", &retry);
    let again = post(&client, &server, &headers, &body).await?;
    check.reply("after the retry", &again, 200, &duplicate_body());
    check.eq("handler calls", server.recorder.calls(), 2);
    check.finish()
}

async fn fail_open(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(
        config().dedup_store(FailingStore).fail_open(true),
    ));
    let client = Client::new();
    let mut check = Check::default();
    let body = generic_event("evt_fail_open");
    for attempt in 1..=2 {
        let reply = post(&client, &server, &generic_signed(&body), &body).await?;
        check.processed(&format!("attempt {attempt}"), &reply);
    }
    check.eq(
        "handler calls (no deduplication without a store)",
        server.recorder.calls(),
        2,
    );
    check.finish()
}

async fn secret_rotation(spawn: Spawn) -> Outcome {
    let new = secret("whsec_new_0000000000000000000000");
    let old = secret("whsec_old_0000000000000000000000");
    let server = spawn(ServerSpec::new(
        WebhookConfig::new(new.clone()).secret(old.clone()),
    ));
    let client = Client::new();
    let mut check = Check::default();
    let by_old = generic_event("evt_old");
    let reply = post(
        &client,
        &server,
        &signed(Provider::GENERIC, &old, &by_old),
        &by_old,
    )
    .await?;
    check.processed("signed with the old secret", &reply);
    let by_new = generic_event("evt_new");
    let reply = post(
        &client,
        &server,
        &signed(Provider::GENERIC, &new, &by_new),
        &by_new,
    )
    .await?;
    check.processed("signed with the new secret", &reply);
    let pl = promptlayer_event(3);
    let reply = post(
        &client,
        &server,
        &signed(Provider::PROMPTLAYER, &old, &pl),
        &pl,
    )
    .await?;
    check.processed("promptlayer signed with the old secret", &reply);
    let other = generic_event("evt_other");
    let reply = post(
        &client,
        &server,
        &signed(Provider::GENERIC, &secret("whsec_unrelated"), &other),
        &other,
    )
    .await?;
    check.reply(
        "signed with an unrelated secret",
        &reply,
        401,
        &unauthenticated(),
    );
    check.eq("handler calls", server.recorder.calls(), 3);
    check.finish()
}

async fn provider_restricted(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config().providers([Provider::PROMPTLAYER])));
    let client = Client::new();
    let mut check = Check::default();
    let generic = generic_event("evt_wrong_provider");
    let reply = post(&client, &server, &generic_signed(&generic), &generic).await?;
    check.reply(
        "generic on a promptlayer route",
        &reply,
        401,
        &unauthenticated(),
    );
    let prism = r#"{"event": "test", "webhook_id": "w1", "message": "hi"}"#;
    let reply = post(
        &client,
        &server,
        &signed(Provider::PRISM, &the_secret(), prism),
        prism,
    )
    .await?;
    check.reply(
        "prism on a promptlayer route",
        &reply,
        401,
        &unauthenticated(),
    );
    let pl = promptlayer_event(5);
    let reply = post(
        &client,
        &server,
        &signed(Provider::PROMPTLAYER, &the_secret(), &pl),
        &pl,
    )
    .await?;
    check.processed("promptlayer on its route", &reply);
    let seen = server.recorder.seen();
    check.eq(
        "providers seen",
        seen.iter()
            .map(|seen| seen.provider.clone())
            .collect::<Vec<_>>(),
        vec!["promptlayer".to_owned()],
    );
    check.finish()
}

async fn verified_extractor(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config()).extractor(Extractor::Verified));
    let client = Client::new();
    let mut check = Check::default();
    let body = format!("  {}\n", generic_event("evt_verified"));
    let reply = post(&client, &server, &generic_signed(&body), &body).await?;
    check.processed("verified", &reply);
    let seen = server.recorder.seen();
    check.eq("handler calls", seen.len(), 1);
    if let Some(seen) = seen.first() {
        check.eq("provider", seen.provider.as_str(), "generic");
        check.eq(
            "event type, read by the pipeline",
            seen.event_type.as_str(),
            "user.created",
        );
        check.that(seen.dedup_key.ends_with(":generic:id:evt_verified"), || {
            format!(
                "dedup key {:?}, want <namespace>:generic:id:evt_verified",
                seen.dedup_key
            )
        });
        check.eq("body length", seen.body_len, body.len());
    }
    check.finish()
}

async fn promptlayer_extractor(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config()).extractor(Extractor::PromptLayerEvent));
    let client = Client::new();
    let mut check = Check::default();
    let body = promptlayer_event(42);
    let reply = post(
        &client,
        &server,
        &signed(Provider::PROMPTLAYER, &the_secret(), &body),
        &body,
    )
    .await?;
    check.processed("promptlayer event", &reply);
    let seen = server.recorder.seen();
    check.eq(
        "event type",
        seen.first().map(|seen| seen.event_type.clone()),
        Some("prompt_template_label_moved".to_owned()),
    );
    check.eq(
        "provider",
        seen.first().map(|seen| seen.provider.clone()),
        Some("promptlayer".to_owned()),
    );
    check.finish()
}

async fn client_disconnects(spawn: Spawn) -> Outcome {
    let server =
        spawn(ServerSpec::new(config()).behaviour(Behaviour::Sleep(Duration::from_millis(1500))));
    let client = Client::new();
    let mut check = Check::default();
    let body = generic_event("evt_client_gone");
    let headers = generic_signed(&body);
    let head = format!(
        "POST /webhook HTTP/1.1\r\nhost: {}\r\n{}: {}\r\ncontent-type: application/json\r\ncontent-length: {}",
        server.addr,
        headers[0].0,
        headers[0].1,
        body.len()
    );
    let gone = client::send_and_close(server.addr, &head, body.as_bytes(), || {
        server.recorder.calls() >= 1
    });
    gone.await?;
    // The handler runs to its end regardless: 503 while it runs, then a duplicate.
    let deadline = Instant::now() + Duration::from_secs(10);
    let last = loop {
        let reply = post(&client, &server, &headers, &body).await?;
        if reply.status != StatusCode::SERVICE_UNAVAILABLE || Instant::now() > deadline {
            break reply;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    check.eq("handler calls", server.recorder.calls(), 1);
    check.that(
        last.status == StatusCode::OK && last.json() == duplicate_body(),
        || {
            format!(
                "retry after the client left: got {} {:?}, want 200",
                last.status,
                last.text()
            )
        },
    );
    check.eq("events processed", server.recorder.seen().len(), 1);
    check.finish()
}

/// A PromptLayer delivery as its Python sender writes it (`json.dumps`, insertion order).
fn report_finished(score: &str) -> String {
    format!(
        "{{\"event_type\": \"report_finished\", \"details\": {{\"report_id\": 7, \"score\": {score}}}, \
         \"user_id\": 1, \"workspace_id\": 1, \"timestamp\": \"2025-03-12T09:14:33.924833\"}}"
    )
}

async fn promptlayer_signed_values_only(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config()));
    let client = Client::new();
    let mut check = Check::default();
    let genuine = report_finished("0.0012");
    let headers = signed(Provider::PROMPTLAYER, &the_secret(), &genuine);
    // 1.2e65533 x 10^-655360: CPython (and serde_json) read 0.0; an exponent reader that
    // stops counting at 65,536 reads 0.0012, the signed value.
    let forged = report_finished(&format!("12{}e-655360", "0".repeat(65_532)));
    let reply = post(&client, &server, &headers, &forged).await?;
    check.reply(
        "forged body under the captured signature",
        &reply,
        401,
        &unauthenticated(),
    );
    check.eq(
        "handler calls after the forgery",
        server.recorder.calls(),
        0,
    );

    // The same value respelled is the same signed document: accepted, and the handler reads
    // the signed canonical bytes, not the respelling.
    let respelled = report_finished(&format!("0.{}12e+65536", "0".repeat(65_536 + 2)));
    let reply = post(&client, &server, &headers, &respelled).await?;
    check.processed("the signed value respelled", &reply);
    let reply = post(&client, &server, &headers, &genuine).await?;
    check.reply(
        "the genuine delivery after it",
        &reply,
        200,
        &duplicate_body(),
    );
    let seen = server.recorder.seen();
    check.eq("handler runs", seen.len(), 1);
    if let Some(seen) = seen.first() {
        let canonical = hookverify::canonical::canonical_json(genuine.as_bytes())
            .map_err(|error| format!("canonical form of the genuine body: {error}"))?;
        check.eq(
            "body length handed to the handler",
            seen.body_len,
            canonical.len(),
        );
        let score = seen
            .event
            .as_ref()
            .and_then(|event| event.pointer("/details/score"))
            .and_then(Value::as_f64);
        check.eq("score the handler read", score, Some(0.0012));
    }

    // And with the forgery refused first, the genuine delivery is processed, not a duplicate.
    let server = spawn(ServerSpec::new(config()));
    let reply = post(&client, &server, &headers, &forged).await?;
    check.reply("forged body, fresh server", &reply, 401, &unauthenticated());
    let reply = post(&client, &server, &headers, &genuine).await?;
    check.processed("the genuine delivery after a refused forgery", &reply);
    check.finish()
}

/// Waits until the handler has completed `count` deliveries.
async fn until_processed(server: &RunningServer, count: usize) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    while server.recorder.seen().len() < count {
        if Instant::now() > deadline {
            return Err(format!(
                "the handler completed {} deliveries, never {count}",
                server.recorder.seen().len()
            ));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

async fn sender_timeout(spawn: Spawn) -> Outcome {
    let server =
        spawn(ServerSpec::new(config()).behaviour(Behaviour::Sleep(Duration::from_secs(3))));
    let client = Client::new();
    let mut check = Check::default();
    let body = generic_event("evt_sender_timeout");
    let headers = generic_signed(&body);
    let first = tokio::time::timeout(
        Duration::from_secs(1),
        post(&client, &server, &headers, &body),
    )
    .await;
    check.that(first.is_err(), || {
        format!("the sender's 1 s timeout should fire before a 3 s handler: {first:?}")
    });
    let retry = post(&client, &server, &headers, &body).await?;
    check.reply(
        "retry while the handler runs",
        &retry,
        503,
        &json!({"error": "in_flight"}),
    );
    check.short_retry_after("retry while the handler runs", &retry);
    until_processed(&server, 1).await?;
    let after = post(&client, &server, &headers, &body).await?;
    check.reply(
        "retry after the handler completed",
        &after,
        200,
        &duplicate_body(),
    );
    check.eq("handler starts", server.recorder.calls(), 1);
    check.eq("handler completions", server.recorder.seen().len(), 1);
    check.finish()
}

async fn handler_outlives_lease(spawn: Spawn) -> Outcome {
    // Renewed every 300 ms; a renewal may be late by up to 600 ms before the claim is lost.
    let lease = Duration::from_millis(900);
    let server = spawn(
        ServerSpec::new(config().lease(lease))
            .behaviour(Behaviour::Sleep(Duration::from_millis(3500))),
    );
    let client = Client::new();
    let mut check = Check::default();
    let body = generic_event("evt_long_handler");
    let headers = generic_signed(&body);
    let first = post_in_background(&client, &server, &headers, &body);
    until_calls(&server, 1).await?;
    // Three leases later the claim still holds.
    tokio::time::sleep(lease * 3).await;
    let copy = post(&client, &server, &headers, &body).await?;
    check.reply(
        "copy after three leases",
        &copy,
        503,
        &json!({"error": "in_flight"}),
    );
    let first = first
        .await
        .map_err(|error| format!("first request task: {error}"))??;
    check.processed("first delivery", &first);
    let after = post(&client, &server, &headers, &body).await?;
    check.reply(
        "copy after the handler completed",
        &after,
        200,
        &duplicate_body(),
    );
    check.eq("handler calls", server.recorder.calls(), 1);
    check.finish()
}

async fn crashed_claim_expires(spawn: Spawn) -> Outcome {
    let store = hookverify::dedup::MemoryStore::new();
    let server = spawn(ServerSpec::new(
        config().namespace("crash").dedup_store(store.clone()),
    ));
    let client = Client::new();
    let mut check = Check::default();
    let body = generic_event("evt_crashed_holder");
    let headers = generic_signed(&body);
    // A replica claimed the event and died: nothing renews its claim.
    let lease = Duration::from_millis(1500);
    let key = DedupKey::new("crash:generic:id:evt_crashed_holder");
    let claimed_at = Instant::now();
    let claim = store
        .claim(&key, [0; 32], lease)
        .await
        .map_err(|error| format!("claim: {error}"))?;
    check.that(matches!(claim, Claim::Claimed(_)), || {
        format!("claim: {claim:?}")
    });
    let early = post(&client, &server, &headers, &body).await?;
    check.reply(
        "retry while the dead claim lives",
        &early,
        503,
        &json!({"error": "in_flight"}),
    );
    check.retry_after("retry while the dead claim lives", &early);
    let deadline = Instant::now() + Duration::from_secs(10);
    let processed_at = loop {
        let reply = post(&client, &server, &headers, &body).await?;
        if reply.status == StatusCode::OK {
            check.processed("retry once the dead claim ran out", &reply);
            break Instant::now();
        }
        if Instant::now() > deadline {
            return Err(format!("still {} after 10 s", reply.status));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    check.that(processed_at - claimed_at >= lease, || {
        format!(
            "processed {:?} after the claim, before its lease ran out",
            processed_at - claimed_at
        )
    });
    check.eq("handler calls", server.recorder.calls(), 1);
    check.finish()
}

async fn natural_wiring_shares_one_store(spawn: Spawn) -> Outcome {
    // Two servers from one spec, each building its own layer or middleware (actix: one per
    // worker): one process, one configuration, one store.
    let spec = ServerSpec::new(config());
    let servers = [spawn(spec.clone()), spawn(spec)];
    let client = Client::new();
    let mut check = Check::default();
    let body = generic_event("evt_natural_wiring");
    let headers = generic_signed(&body);
    for round in 0..20 {
        let reply = post(&client, &servers[round % 2], &headers, &body).await?;
        check.that(reply.status == StatusCode::OK, || {
            format!(
                "sequential copy {round}: got {} {:?}",
                reply.status,
                reply.text()
            )
        });
    }
    let copies =
        join_all((0..20).map(|copy| post(&client, &servers[copy % 2], &headers, &body))).await;
    for (copy, reply) in copies.into_iter().enumerate() {
        let reply = reply?;
        check.reply(
            &format!("concurrent copy {copy}"),
            &reply,
            200,
            &duplicate_body(),
        );
    }
    let calls: usize = servers.iter().map(|server| server.recorder.calls()).sum();
    check.eq("handler calls over both servers", calls, 1);
    check.finish()
}

async fn keys_do_not_collide(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config()));
    let client = Client::new();
    let mut check = Check::default();
    for (request_id, event) in [("r1:request", "completed"), ("r1", "request:completed")] {
        let body = json!({"request_id": request_id, "event": event, "model": "gpt-4o"}).to_string();
        let reply = post(
            &client,
            &server,
            &signed(Provider::PRISM, &the_secret(), &body),
            &body,
        )
        .await?;
        check.processed(
            &format!("request_id {request_id:?}, event {event:?}"),
            &reply,
        );
    }
    check.eq("handler calls", server.recorder.calls(), 2);
    check.finish()
}

async fn namespaces_keep_layers_apart(spawn: Spawn) -> Outcome {
    let client = Client::new();
    let mut check = Check::default();
    let body = generic_event("evt_same_id_two_senders");
    // Two independently configured layers (each its own secret) over one store.
    let store = hookverify::dedup::MemoryStore::new();
    let (one, two) = (
        secret("namespace-sender-one"),
        secret("namespace-sender-two"),
    );
    let servers = [
        spawn(ServerSpec::as_configured(
            WebhookConfig::new(one.clone()).dedup_store(store.clone()),
        )),
        spawn(ServerSpec::as_configured(
            WebhookConfig::new(two.clone()).dedup_store(store.clone()),
        )),
    ];
    for (server, secret) in servers.iter().zip([&one, &two]) {
        let reply = post(
            &client,
            server,
            &signed(Provider::GENERIC, secret, &body),
            &body,
        )
        .await?;
        check.processed("the same id from two senders", &reply);
    }
    // One namespace named on both: one event, whichever layer it reaches.
    let servers = [
        spawn(ServerSpec::new(
            WebhookConfig::new(one.clone())
                .namespace("billing")
                .dedup_store(store.clone()),
        )),
        spawn(ServerSpec::new(
            WebhookConfig::new(two.clone())
                .namespace("billing")
                .dedup_store(store),
        )),
    ];
    let first = post(
        &client,
        &servers[0],
        &signed(Provider::GENERIC, &one, &body),
        &body,
    )
    .await?;
    check.processed("first in the shared namespace", &first);
    let second = post(
        &client,
        &servers[1],
        &signed(Provider::GENERIC, &two, &body),
        &body,
    )
    .await?;
    check.reply(
        "second in the shared namespace",
        &second,
        200,
        &duplicate_body(),
    );
    check.finish()
}

/// The head of a raw request to `server` announcing `length` body bytes.
fn raw_head(server: &RunningServer, headers: &[(String, String)], length: usize) -> String {
    let mut head = format!(
        "POST /webhook HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {length}",
        server.addr
    );
    for (name, value) in headers.iter().filter(|(name, _)| name != "content-type") {
        head.push_str(&format!("\r\n{name}: {value}"));
    }
    head
}

async fn slow_body_times_out(spawn: Spawn) -> Outcome {
    let timeout = Duration::from_millis(700);
    let server = spawn(ServerSpec::new(config().body_timeout(timeout)));
    let mut check = Check::default();
    let body = generic_event("evt_slow_body");
    let headers = generic_signed(&body);
    let started = Instant::now();
    // Announces the whole body, sends half, and stalls.
    let half = &body.as_bytes()[..body.len() / 2];
    let reply = client::raw(server.addr, &raw_head(&server, &headers, body.len()), half).await?;
    let waited = started.elapsed();
    check.reply(
        "a stalled body",
        &reply,
        408,
        &json!({"error": "body_timeout"}),
    );
    check.that(waited >= timeout && waited < timeout * 4, || {
        format!("answered after {waited:?}, the body timeout being {timeout:?}")
    });
    check.eq("handler calls", server.recorder.calls(), 0);
    check.finish()
}

async fn unverified_budget_full(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(
        config()
            .unverified_bytes_limit(4096)
            .body_timeout(Duration::from_millis(1500)),
    ));
    let client = Client::new();
    let mut check = Check::default();
    // A sender holding 3,000 unverified bytes, its body never finished.
    let holder = generic_event("evt_holder");
    let holder_headers = generic_signed(&holder);
    let held = {
        let (addr, head) = (server.addr, raw_head(&server, &holder_headers, 4000));
        tokio::spawn(async move { client::raw(addr, &head, &[b' '; 3000]).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let body = format!("{}{}", generic_event("evt_budget"), " ".repeat(1500));
    let headers = generic_signed(&body);
    let busy = post(&client, &server, &headers, &body).await?;
    check.reply(
        "a body past the budget",
        &busy,
        503,
        &json!({"error": "server_busy"}),
    );
    check.retry_after("a body past the budget", &busy);
    let held = held
        .await
        .map_err(|error| format!("holder task: {error}"))??;
    check.reply(
        "the holder, timed out",
        &held,
        408,
        &json!({"error": "body_timeout"}),
    );
    let later = post(&client, &server, &headers, &body).await?;
    check.processed("the same body once the budget has room", &later);
    check.finish()
}

async fn oversize_413_is_readable(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config()));
    let mut check = Check::default();
    let body = vec![b' '; 6 * 1024 * 1024];
    let headers = generic_signed("{}");
    for attempt in 0..4 {
        // Writes the whole body before reading: a server that closes on unread bytes resets
        // the connection under the write, and the sender never sees the 413.
        let reply = client::raw(server.addr, &raw_head(&server, &headers, body.len()), &body).await;
        match reply {
            Ok(reply) => check.reply(
                &format!("attempt {attempt}"),
                &reply,
                413,
                &json!({"error": "payload_too_large"}),
            ),
            Err(error) => check.that(false, || format!("attempt {attempt}: {error}")),
        }
    }
    check.eq("handler calls", server.recorder.calls(), 0);
    check.finish()
}

async fn oversize_awaiting_continue(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config()));
    let mut check = Check::default();
    let body = vec![b' '; 6 * 1024 * 1024];
    let head = raw_head(&server, &generic_signed("{}"), body.len());
    // hyper sends `100 Continue` only when the body is read, so the axum adapter answers
    // without it; actix-web sends it before any middleware runs, and the body then sent is
    // drained so that the 413 is still read.
    let (asked, reply) = client::raw_awaiting_continue(server.addr, &head, &body).await?;
    check.reply(
        "the final answer",
        &reply,
        413,
        &json!({"error": "payload_too_large"}),
    );
    check.eq(
        "asked for the refused body",
        asked,
        server.sends_continue_itself,
    );
    check.eq("handler calls", server.recorder.calls(), 0);
    check.finish()
}

async fn unread_body_closes_connection(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config().unverified_bytes_limit(16 * 1024)));
    let mut check = Check::default();
    let within = Duration::from_secs(2);
    // No signature header, 64 KiB announced and 1 KiB sent: refused before the body.
    let unsigned = vec![("x-unrelated".to_owned(), "1".to_owned())];
    let (reply, closed) = client::raw_then_closed(
        server.addr,
        &raw_head(&server, &unsigned, 64 * 1024),
        &[b' '; 1024],
        within,
    )
    .await?;
    check.eq("unsigned: status", reply.status.as_u16(), 401);
    check.eq(
        "unsigned: connection header",
        reply.header("connection"),
        Some("close"),
    );
    check.that(closed, || "unsigned: the connection stayed open".to_owned());
    // The same with a chunked body that stops after its first chunk: a server that reads a
    // refused chunked body to its end before closing holds this connection for ever.
    let chunked_head = format!(
        "POST /webhook HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nx-unrelated: 1",
        server.addr
    );
    let mut first_chunk = b"400\r\n".to_vec();
    first_chunk.extend_from_slice(&[b' '; 1024]);
    first_chunk.extend_from_slice(b"\r\n");
    let (reply, closed) =
        client::raw_then_closed(server.addr, &chunked_head, &first_chunk, within).await?;
    check.eq("unsigned, chunked: status", reply.status.as_u16(), 401);
    check.that(closed, || {
        "unsigned, chunked: the connection stayed open".to_owned()
    });
    // Signed, but past the 16 KiB unverified budget: 503, refused while reading.
    let body = format!("[{}]", "0,".repeat(16 * 1024) + "0");
    let (reply, closed) = client::raw_then_closed(
        server.addr,
        &raw_head(&server, &generic_signed(&body), body.len()),
        body.as_bytes(),
        within,
    )
    .await?;
    check.eq("over the budget: status", reply.status.as_u16(), 503);
    check.eq(
        "over the budget: connection header",
        reply.header("connection"),
        Some("close"),
    );
    check.that(closed, || {
        "over the budget: the connection stayed open".to_owned()
    });
    // A forged signature over a whole, small body: the connection can carry the next request.
    let body = generic_event("evt_forged_keepalive");
    let forged = vec![(
        "x-signature-256".to_owned(),
        format!("sha256={}", "0".repeat(64)),
    )];
    let (reply, closed) = client::raw_then_closed(
        server.addr,
        &raw_head(&server, &forged, body.len()),
        body.as_bytes(),
        Duration::from_millis(300),
    )
    .await?;
    check.eq("forged: status", reply.status.as_u16(), 401);
    check.that(reply.header("connection") != Some("close"), || {
        "forged over a whole body: Connection: close".to_owned()
    });
    check.that(!closed, || {
        "forged over a whole body: the connection was closed".to_owned()
    });
    check.eq("handler calls", server.recorder.calls(), 0);
    check.finish()
}

/// Now, in Unix seconds.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        })
}

/// `headers` as a sender posts them, with the JSON content type.
fn as_json(headers: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut headers = headers;
    headers.push(("content-type".to_owned(), "application/json".to_owned()));
    headers
}

/// A delivery signed by its sender's own library, and the event it is.
struct Foreign {
    signer: Signer,
    provider: &'static str,
    event_type: &'static str,
    id: &'static str,
    body: String,
}

async fn senders_own_libraries(spawn: Spawn) -> Outcome {
    // A Standard Webhooks secret; GitHub and Stripe use the same string as their key bytes.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let server = spawn(ServerSpec::new(WebhookConfig::new(secret(SECRET))));
    let client = Client::new();
    let mut check = Check::default();
    let deliveries = [
        Foreign {
            signer: Signer::GitHub,
            provider: "github",
            event_type: "ping",
            id: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
            body: json!({"zen": "Design for failure.", "hook_id": 12_345_678,
                "hook": {"type": "Repository", "id": 12_345_678, "active": true, "events": ["push"]},
                "repository": {"id": 1_296_269, "full_name": "octocat/Hello-World"}})
            .to_string(),
        },
        Foreign {
            signer: Signer::Stripe,
            provider: "stripe",
            event_type: "payment_intent.succeeded",
            id: "evt_3OqGf2LkdIwHu7ix0zUH0Ag8",
            body: json!({"id": "evt_3OqGf2LkdIwHu7ix0zUH0Ag8", "object": "event",
                "api_version": "2024-06-20", "created": 1_700_000_000, "livemode": false,
                "pending_webhooks": 1, "request": {"id": null, "idempotency_key": null},
                "type": "payment_intent.succeeded",
                "data": {"object": {"id": "pi_3OqGf2", "object": "payment_intent", "amount": 2000, "currency": "usd"}}})
            .to_string(),
        },
        Foreign {
            signer: Signer::StandardWebhooks,
            provider: "standard-webhooks",
            event_type: "user.created",
            id: "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
            body: json!({"type": "user.created", "timestamp": "2022-11-03T20:26:10.344522Z",
                "data": {"id": "user_1", "email": "ada@example.com", "name": "Ada Lövelace"}})
            .to_string(),
        },
        Foreign {
            signer: Signer::Svix,
            provider: "standard-webhooks",
            event_type: "response.completed",
            id: "msg_2KWPBgLlAfxdpx2AI54pPJ85f4X",
            body: json!({"object": "event", "id": "evt_685343a1381c819085d44c354e1b330e",
                "type": "response.completed", "created_at": 1_750_287_018,
                "data": {"id": "resp_abc123"}})
            .to_string(),
        },
    ];
    for delivery in &deliveries {
        let label = format!("{:?}", delivery.signer);
        let now = unix_now();
        // A redelivery carries the same id, re-signed at its own time.
        for (attempt, signed_at) in [(1, now), (2, now + 3)] {
            let Some(mut headers) = signers::sign(
                delivery.signer,
                SECRET,
                delivery.body.as_bytes(),
                delivery.id,
                signed_at,
            ) else {
                return Ok(());
            };
            if delivery.signer == Signer::GitHub {
                headers.push(("x-github-delivery".to_owned(), delivery.id.to_owned()));
                headers.push(("x-github-event".to_owned(), delivery.event_type.to_owned()));
            }
            let reply = post(&client, &server, &as_json(headers), &delivery.body).await?;
            if attempt == 1 {
                check.processed(&format!("{label} delivery"), &reply);
            } else {
                check.reply(
                    &format!("{label} redelivery"),
                    &reply,
                    200,
                    &duplicate_body(),
                );
            }
        }
    }
    let seen: Vec<(String, String)> = server
        .recorder
        .seen()
        .into_iter()
        .map(|seen| (seen.provider, seen.event_type))
        .collect();
    let want: Vec<(String, String)> = deliveries
        .iter()
        .map(|delivery| (delivery.provider.to_owned(), delivery.event_type.to_owned()))
        .collect();
    check.eq("senders and event types seen, once each", seen, want);
    check.finish()
}

async fn timestamp_tolerance(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config()));
    let client = Client::new();
    let mut check = Check::default();
    let schemes: [&dyn Scheme; 2] = [&StandardWebhooks::new(), &Stripe::new()];
    for scheme in schemes {
        // The exact edges (300 s in, 301 s out) are tested with an injected clock in the
        // core; over HTTP a margin keeps the case independent of the second it runs in.
        for (offset, accepted) in [(-290, true), (290, true), (-310, false), (310, false)] {
            let id = format!("evt_tolerance_{offset}");
            let body = json!({"id": id, "object": "event", "type": "t.checked", "created": 1,
                "data": {"object": {}}})
            .to_string();
            let context =
                SigningContext::new(unix_now() + offset, format!("msg_tolerance_{offset}"));
            let signature = testing::sign_with(scheme, &the_secret(), body.as_bytes(), &context)
                .map_err(|error| format!("signing: {error}"))?;
            let headers = signature
                .into_headers()
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect();
            let reply = post(&client, &server, &as_json(headers), &body).await?;
            let what = format!("{} signed {offset} s from now", scheme.provider());
            if accepted {
                check.processed(&what, &reply);
            } else {
                check.reply(&what, &reply, 401, &unauthenticated());
            }
        }
    }
    check.eq("handler calls", server.recorder.calls(), 4);
    check.finish()
}

async fn two_senders_two_secrets(spawn: Spawn) -> Outcome {
    let promptlayer_secret = secret("pl_two_senders_0123456789");
    let prism_new = secret("prism_two_senders_new");
    let prism_old = secret("prism_two_senders_old");
    let spec = ServerSpec::new(
        WebhookConfig::builder()
            .sender(PromptLayer, promptlayer_secret.clone())
            .sender(Prism, [prism_new.clone(), prism_old.clone()]),
    );
    // Two handlers behind the one configuration, as the README's two routes share a layer.
    let promptlayer_route = spawn(spec.clone().extractor(Extractor::PromptLayerEvent));
    let any_route = spawn(spec.extractor(Extractor::AnyEvent));
    let client = Client::new();
    let mut check = Check::default();

    let pl = promptlayer_event(71);
    let reply = post(
        &client,
        &promptlayer_route,
        &signed(Provider::PROMPTLAYER, &promptlayer_secret, &pl),
        &pl,
    )
    .await?;
    check.processed("PromptLayer under its own secret", &reply);
    let forged = promptlayer_event(72);
    let reply = post(
        &client,
        &promptlayer_route,
        &signed(Provider::PROMPTLAYER, &prism_new, &forged),
        &forged,
    )
    .await?;
    check.reply(
        "PromptLayer signed with the Prism secret",
        &reply,
        401,
        &unauthenticated(),
    );

    let prism =
        r#"{"request_id": "req_two_senders", "event": "request.completed", "model": "gpt-4o"}"#;
    let prism_headers = signed(Provider::PRISM, &prism_old, prism);
    let reply = post(&client, &promptlayer_route, &prism_headers, prism).await?;
    check.eq(
        "Prism on the PromptLayer handler: status",
        reply.status.as_u16(),
        422,
    );
    check.eq(
        "Prism on the PromptLayer handler: error",
        reply.json().get("error").cloned(),
        Some(json!("wrong_sender")),
    );
    let reply = post(&client, &any_route, &prism_headers, prism).await?;
    check.processed(
        "the refused Prism event, on a handler of any sender",
        &reply,
    );
    let reply = post(
        &client,
        &any_route,
        &signed(Provider::PRISM, &promptlayer_secret, prism),
        prism,
    )
    .await?;
    check.reply(
        "Prism signed with the PromptLayer secret",
        &reply,
        401,
        &unauthenticated(),
    );
    let generic = generic_event("evt_two_senders");
    let reply = post(
        &client,
        &any_route,
        &signed(Provider::GENERIC, &promptlayer_secret, &generic),
        &generic,
    )
    .await?;
    check.reply("a sender not configured", &reply, 401, &unauthenticated());

    check.eq(
        "PromptLayer handler runs",
        promptlayer_route.recorder.calls(),
        1,
    );
    check.eq(
        "senders the other handler saw",
        any_route
            .recorder
            .seen()
            .into_iter()
            .map(|seen| seen.provider)
            .collect::<Vec<_>>(),
        vec!["prism".to_owned()],
    );
    check.finish()
}

async fn valid_next_to_forged(spawn: Spawn) -> Outcome {
    let server = spawn(ServerSpec::new(config()));
    let client = Client::new();
    let mut check = Check::default();
    let body = generic_event("evt_next_to_forged");
    let mut headers = vec![("x-promptlayer-signature".to_owned(), "0".repeat(64))];
    headers.extend(generic_signed(&body));
    let reply = post(&client, &server, &headers, &body).await?;
    check.processed(
        "valid X-Signature-256 next to a forged X-PromptLayer-Signature",
        &reply,
    );

    let stripe =
        json!({"id": "evt_next_to_forged_stripe", "object": "event", "type": "charge.succeeded",
        "created": 1, "data": {"object": {}}})
        .to_string();
    let mut headers = vec![(
        "x-hub-signature-256".to_owned(),
        format!("sha256={}", "f".repeat(64)),
    )];
    headers.extend(signed(Provider::STRIPE, &the_secret(), &stripe));
    let reply = post(&client, &server, &headers, &stripe).await?;
    check.processed(
        "valid Stripe-Signature next to a forged X-Hub-Signature-256",
        &reply,
    );
    check.eq(
        "senders seen",
        server
            .recorder
            .seen()
            .into_iter()
            .map(|seen| seen.provider)
            .collect::<Vec<_>>(),
        vec!["generic".to_owned(), "stripe".to_owned()],
    );
    check.finish()
}
