//! `hookverify send` against both example receivers, for every sender and every event type:
//! each sample is accepted by its sender's route, and sending it again is a duplicate.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::net::{SocketAddr, TcpListener};
use std::process::Command;
use std::sync::Arc;

use hookverify::dedup::{DedupStore, MemoryStore};
use hookverify::{samples, Provider, Secret};

/// A Standard Webhooks secret; every other sender uses the string as its key bytes.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn axum_receiver() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let store: Arc<dyn DedupStore> = Arc::new(MemoryStore::new());
            let app = axum_receiver::app(
                &axum_receiver::Secrets::one(Secret::new(SECRET).unwrap()),
                &store,
                axum_receiver::EventLog::default(),
            );
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    addr
}

fn actix_receiver() -> SocketAddr {
    use actix_web::{web, App, HttpServer};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let store: Arc<dyn DedupStore> = Arc::new(MemoryStore::new());
            let events = web::Data::new(actix_receiver::EventLog::default());
            let secrets = actix_receiver::Secrets::one(Secret::new(SECRET).unwrap());
            HttpServer::new(move || {
                let routes = actix_receiver::routes(&secrets, &store);
                App::new().configure(|cfg| actix_receiver::configure(cfg, &routes, &events))
            })
            .workers(2)
            .listen(listener)
            .unwrap()
            .run()
            .await
            .unwrap();
        });
    });
    addr
}

/// Runs `hookverify send` and returns its exit code and stdout lines.
fn send(url: &str, sender: Provider, event: &str, number: u64) -> (i32, Vec<String>) {
    let output = Command::new(env!("CARGO_BIN_EXE_hookverify"))
        .args(["send", url, "--sender", sender.name(), "--event", event])
        .args(["--secret", SECRET, "--number", &number.to_string()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    (
        output.status.code().unwrap_or(-1),
        stdout.lines().map(str::to_owned).collect(),
    )
}

fn every_sample_is_accepted_once(addr: SocketAddr) {
    let mut sent = 0;
    for (index, provider) in Provider::ALL.into_iter().enumerate() {
        for event in samples::event_types(provider) {
            let url = format!("http://{addr}/webhooks/{}", provider.name());
            let number = 1000 * index as u64 + sent;
            let (code, lines) = send(&url, provider, event, number);
            assert_eq!(code, 0, "{provider} {event}: {lines:?}");
            assert_eq!(
                lines.first().map(String::as_str),
                Some("200"),
                "{provider} {event}"
            );
            assert_eq!(
                lines.get(1).map(String::as_str),
                Some(r#"{"status":"processed"}"#),
                "{provider} {event}"
            );
            let (code, lines) = send(&url, provider, event, number);
            assert_eq!(code, 0, "{provider} {event} again: {lines:?}");
            assert_eq!(
                lines.get(1).map(String::as_str),
                Some(r#"{"status":"duplicate"}"#),
                "{provider} {event} again"
            );
            sent += 1;
        }
    }
    assert!(sent > 40, "only {sent} event types");
}

#[test]
fn every_sender_and_event_type_against_the_axum_receiver() {
    every_sample_is_accepted_once(axum_receiver());
}

#[test]
fn every_sender_and_event_type_against_the_actix_receiver() {
    every_sample_is_accepted_once(actix_receiver());
}

#[test]
fn many_sends_with_duplicates_are_summarised() {
    let addr = axum_receiver();
    let output = Command::new(env!("CARGO_BIN_EXE_hookverify"))
        .args([
            "send",
            &format!("http://{addr}/webhooks"),
            "--sender",
            "stripe",
        ])
        .args(["--secret", SECRET, "--count", "40", "--concurrency", "4"])
        .args(["--duplicates", "0.5"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let count = |label: &str| {
        stdout
            .lines()
            .find_map(|line| line.strip_prefix(label))
            .and_then(|count| count.trim().parse::<usize>().ok())
            .unwrap_or(0)
    };
    let (processed, duplicate) = (count("200 processed:"), count("200 duplicate:"));
    // A repeat can race its first copy (503 in flight), so only the total is exact.
    let in_flight = count("503 in_flight:");
    assert_eq!(processed + duplicate + in_flight, 40, "{stdout}");
    assert!(duplicate + in_flight > 0 && processed > 0, "{stdout}");
    assert!(stdout.contains("latency p50"), "{stdout}");
}

#[test]
fn a_wrong_secret_is_refused_and_exits_1() {
    let addr = axum_receiver();
    let output = Command::new(env!("CARGO_BIN_EXE_hookverify"))
        .args([
            "send",
            &format!("http://{addr}/webhooks/github"),
            "--sender",
            "github",
        ])
        .args(["--secret", "not-the-secret"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("401"));
}

#[test]
fn the_same_number_of_two_event_types_is_two_events() {
    let addr = axum_receiver();
    let url = format!("http://{addr}/webhooks/stripe");
    for event in ["payment_intent.succeeded", "invoice.paid"] {
        let (code, lines) = send(&url, Provider::STRIPE, event, 5);
        assert_eq!(code, 0, "{event}: {lines:?}");
        assert_eq!(
            lines.get(1).map(String::as_str),
            Some(r#"{"status":"processed"}"#),
            "{event}"
        );
    }
}

#[test]
fn transport_failures_are_said_in_plain_words() {
    // A port nothing listens on: the cause, not only the client's stage.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    for (url, expected) in [
        (format!("http://{closed}/webhooks"), "Connection refused"),
        ("https://127.0.0.1:1/webhooks".to_owned(), "not https://"),
        ("notaurl".to_owned(), "not an http:// URL"),
    ] {
        for count in ["1", "3"] {
            let output = Command::new(env!("CARGO_BIN_EXE_hookverify"))
                .args(["send", &url, "--sender", "generic", "--secret", SECRET])
                .args(["--count", count])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            let stdout = String::from_utf8_lossy(&output.stdout);
            // The fixed faults are said once, before any send; a receiver that cannot be
            // reached, by each send (in the summary, each reason once with its count).
            assert_eq!(output.status.code(), Some(2), "{url} x{count}: {stderr}");
            if count == "3" && expected == "Connection refused" {
                assert!(
                    stdout.contains("no answer: 3 (") && stdout.contains(expected),
                    "{url} x{count}: {stdout}"
                );
            } else {
                assert!(stderr.contains(expected), "{url} x{count}: {stderr}");
            }
        }
    }
}

#[test]
fn a_secret_its_sender_cannot_sign_with_is_said_once_before_any_send() {
    // Nothing listens there: a send would say "Connection refused" instead.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    for count in ["1", "3"] {
        let output = Command::new(env!("CARGO_BIN_EXE_hookverify"))
            .args(["send", &format!("http://{closed}/webhooks")])
            .args(["--sender", "standard-webhooks", "--secret", "whsec_!!!"])
            .args(["--count", count])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "x{count}: {stderr}");
        assert!(
            stderr.contains("must be followed by base64") && !stderr.contains("refused"),
            "x{count}: {stderr}"
        );
        assert!(
            !stderr.contains("!!!"),
            "the secret stays out of it: {stderr}"
        );
    }
}

#[test]
fn sends_that_would_pass_the_last_sample_are_refused() {
    let last = (1u64 << 40) - 1;
    let output = Command::new(env!("CARGO_BIN_EXE_hookverify"))
        .args(["send", "http://127.0.0.1:9/webhooks", "--sender", "generic"])
        .args(["--secret", SECRET, "--number", &(last - 1).to_string()])
        .args(["--count", "3"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("passes the last sample"), "{stderr}");
}

#[test]
fn a_count_of_zero_says_so() {
    let output = Command::new(env!("CARGO_BIN_EXE_hookverify"))
        .args(["send", "http://127.0.0.1:9/webhooks", "--sender", "generic"])
        .args(["--secret", SECRET, "--count", "0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("must be at least 1"), "{stderr}");
}
