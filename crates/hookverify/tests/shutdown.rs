//! A graceful shutdown waits for the handlers that outlived their requests: a process of its
//! own, since the count of handler tasks is the process's.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hookverify::dedup::MemoryStore;
use hookverify::pipeline::{handlers_running, wait_for_handlers, Pipeline, WebhookConfig};
use hookverify::{testing, Provider, Secret};
use tokio::sync::Notify;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_waits_for_a_handler_whose_sender_hung_up() {
    let secret = Secret::new("whsec_shutdown").unwrap();
    let pipeline =
        Pipeline::new(WebhookConfig::new(secret.clone()).dedup_store(MemoryStore::new()));
    let body = br#"{"id":"evt_shutdown","type":"user.created","created_at":"2025-01-01T00:00:00Z","data":{}}"#;
    let signature = testing::sign(Provider::GENERIC, &secret, body).unwrap();
    let headers = [(signature.name(), signature.value())];
    assert_eq!(handlers_running(), 0);

    let (_, runner) = pipeline
        .admit(&headers[..], body.to_vec())
        .await
        .unwrap()
        .into_parts();
    let started = Arc::new(Notify::new());
    let finished = Arc::new(AtomicBool::new(false));
    let request = tokio::spawn({
        let (started, finished) = (Arc::clone(&started), Arc::clone(&finished));
        runner.run(
            move || async move {
                started.notify_one();
                tokio::time::sleep(Duration::from_millis(600)).await;
                finished.store(true, Ordering::SeqCst);
                200
            },
            |status| *status == 200,
        )
    });
    started.notified().await;
    // The sender hangs up: the request is dropped, the handler runs on.
    request.abort();
    assert!(request.await.unwrap_err().is_cancelled());
    assert_eq!(handlers_running(), 1);

    // A wait shorter than the handler gives up and says one still runs.
    assert_eq!(wait_for_handlers(Duration::from_millis(50)).await, 1);
    assert!(!finished.load(Ordering::SeqCst));

    // A long enough wait returns once it finished and its claim is settled: woken then, not
    // at its deadline.
    let waited = std::time::Instant::now();
    assert_eq!(wait_for_handlers(Duration::from_secs(30)).await, 0);
    assert!(
        waited.elapsed() < Duration::from_secs(5),
        "woken {:?} after the wait began, not when the handler finished",
        waited.elapsed()
    );
    assert!(finished.load(Ordering::SeqCst));
    assert_eq!(handlers_running(), 0);
    let again = pipeline
        .admit(&headers[..], body.to_vec())
        .await
        .unwrap_err();
    assert_eq!(again.code(), "duplicate", "the claim was completed");

    // Nothing running: no wait at all, even without a deadline.
    assert_eq!(wait_for_handlers(Duration::MAX).await, 0);
}
