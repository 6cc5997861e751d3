//! `VerifiedDelivery::event_type` names the same type as the typed events do, for every
//! sender: a handler that only logs or routes by type can skip parsing the event and still
//! read what `AnyEvent::event_type` would have told it.
#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)] // tests

use hookverify::events::AnyEvent;
use hookverify::pipeline::{Pipeline, VerifiedDelivery, WebhookConfig};
use hookverify::scheme::{hex_tag, Scheme, Signature, SignatureHeader};
use hookverify::{samples, testing, HeaderSource, MalformedReason, Provider, Secret};

fn secret() -> Secret {
    Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap()
}

/// Every built-in sender, no deduplication: the same body is admitted each time.
fn pipeline() -> Pipeline {
    Pipeline::new(WebhookConfig::new(secret()).dedup(false))
}

async fn admit(pipeline: &Pipeline, headers: &[(&str, String)], body: &[u8]) -> VerifiedDelivery {
    let admitted = pipeline.admit(headers, body.to_vec()).await;
    admitted.expect("an authentic delivery").delivery().clone()
}

/// The delivery's type and the typed event's, which must agree.
fn both(delivery: &VerifiedDelivery) -> (String, String) {
    let event: AnyEvent = delivery.event().expect("every admitted body is an event");
    (
        delivery.event_type().to_owned(),
        event.event_type().to_owned(),
    )
}

#[tokio::test]
async fn every_sample_of_every_sender_names_its_own_type() {
    let pipeline = pipeline();
    for provider in Provider::ALL {
        for &event_type in samples::event_types(provider) {
            let sample = samples::sample(provider, event_type, 1).unwrap();
            let headers = sample.sign(&secret()).unwrap();
            let delivery = admit(&pipeline, &headers, sample.body()).await;
            let (read, typed) = both(&delivery);
            assert_eq!(read, event_type, "{provider} {event_type}");
            assert_eq!(typed, event_type, "{provider} {event_type}");
        }
    }
}

/// Bodies at the edges: the type missing, of another JSON type, empty, escaped, a lone
/// surrogate, duplicated, under another sender's field name, nested, and bodies that are not
/// objects at all.
const EDGE_BODIES: &[&str] = &[
    r#"{"id": "evt_1"}"#,
    r#"{"id": "evt_1", "type": 7, "event": null, "event_type": true}"#,
    r#"{"id": "evt_1", "type": "", "event": "", "event_type": ""}"#,
    r#"{"id": "evt_1", "type": "caf\u00e9.cr\u00e9\u00e9", "event": "t\u0065st"}"#,
    r#"{"id": "evt_1", "type": "half \ud800 pair", "event_type": "\udfff"}"#,
    r#"{"id": "evt_1", "type": "first", "type": "last", "event": "a", "event": "b"}"#,
    r#"{"id": "evt_1", "event_type": "report_finished", "event": "request.completed"}"#,
    r#"{"id": "evt_1", "event": "request.completed", "request_id": "r1"}"#,
    r#"{"id": "evt_1", "data": {"type": "nested", "event": "nested"}}"#,
    r#"{"id": "evt_1", "type": "user.created", "created_at": "2025-01-01T00:00:00Z", "data": {}}"#,
    r#"{"id": "evt_1", "type": {"name": "an object"}, "event": ["a list"]}"#,
    r#"[{"type": "in an array"}]"#,
    r#""just a string""#,
];

#[tokio::test]
async fn edge_bodies_agree_with_the_typed_events_for_every_sender() {
    let pipeline = pipeline();
    for provider in Provider::ALL {
        for body in EDGE_BODIES {
            let headers = testing::sign(provider, &secret(), body.as_bytes())
                .unwrap()
                .into_headers();
            let delivery = admit(&pipeline, &headers, body.as_bytes()).await;
            let (read, typed) = both(&delivery);
            assert_eq!(read, typed, "{provider}: {body}");
        }
    }
}

#[tokio::test]
async fn github_types_come_from_its_header_only() {
    let pipeline = pipeline();
    let body = br#"{"type": "not the event", "event": "nor this", "zen": "Design for failure."}"#;
    let mut headers = testing::sign(Provider::GITHUB, &secret(), body)
        .unwrap()
        .into_headers();
    let delivery = admit(&pipeline, &headers, body).await;
    assert_eq!(both(&delivery), ("ping".to_owned(), "ping".to_owned()));

    headers.retain(|(name, _)| !name.eq_ignore_ascii_case("x-github-event"));
    let delivery = admit(&pipeline, &headers, body).await;
    assert_eq!(
        both(&delivery),
        ("unknown".to_owned(), "unknown".to_owned())
    );
}

const OWN: Provider = Provider::new("own-sender");

/// A sender of one's own that says nothing about event types: the trait's default applies.
#[derive(Debug)]
struct Own;

impl Scheme for Own {
    fn provider(&self) -> Provider {
        OWN
    }

    fn signature_headers(&self) -> &'static [&'static str] {
        &["x-own-signature"]
    }

    fn read_signature(
        &self,
        header: SignatureHeader<'_>,
        _headers: &dyn HeaderSource,
    ) -> Result<Signature, MalformedReason> {
        Ok(Signature::new(hex_tag(header.value())?))
    }
}

#[tokio::test]
async fn a_sender_of_ones_own_reads_type_then_event_type_then_event() {
    let pipeline = Pipeline::new(WebhookConfig::builder().sender(Own, secret()).dedup(false));
    for (body, expected) in [
        (r#"{"event": "c", "event_type": "b", "type": "a"}"#, "a"),
        (r#"{"event": "c", "event_type": "b", "type": 1}"#, "b"),
        (r#"{"event": "c"}"#, "c"),
        (r#"{"id": "none"}"#, "unknown"),
    ] {
        let tag = testing::hmac_hex(&secret(), body.as_bytes());
        let headers = [("x-own-signature", tag)];
        let delivery = admit(&pipeline, &headers, body.as_bytes()).await;
        assert_eq!(
            both(&delivery),
            (expected.to_owned(), expected.to_owned()),
            "{body}"
        );
    }
}
