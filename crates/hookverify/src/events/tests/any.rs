use serde_json::{json, Value};

use crate::events::{AnyEvent, GenericEvent, PrismEvent, PromptLayerEvent, PromptReportsEvent};
use crate::Provider;

fn bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

#[test]
fn parses_promptlayer() {
    let body = json!({"event_type": "report_finished",
        "details": {"report_id": 1, "report_name": "r"},
        "user_id": 1, "user_name": null, "user_email": null, "workspace_id": 2,
        "timestamp": "2023-12-01T22:05:57"});
    let event = AnyEvent::parse(Provider::PROMPTLAYER, &bytes(&body)).unwrap();
    assert!(matches!(
        event,
        AnyEvent::PromptLayer(PromptLayerEvent::ReportFinished(..))
    ));
    assert_eq!(event.provider(), Provider::PROMPTLAYER);
    assert_eq!(event.event_type(), "report_finished");
    assert!(!event.is_unknown());
    assert_eq!(serde_json::to_value(&event).unwrap(), body);
}

#[test]
fn parses_prism() {
    let body = json!({"event": "test", "webhook_id": "w", "message": "m"});
    let event = AnyEvent::parse(Provider::PRISM, &bytes(&body)).unwrap();
    assert!(matches!(event, AnyEvent::Prism(PrismEvent::Test(_))));
    assert_eq!(event.provider(), Provider::PRISM);
    assert_eq!(event.event_type(), "test");
    assert_eq!(serde_json::to_value(&event).unwrap(), body);
}

#[test]
fn parses_promptreports() {
    let body = json!({"id": "e", "type": "approval.requested",
        "timestamp": "2024-01-15T10:30:00Z", "data": {}});
    let event = AnyEvent::parse(Provider::PROMPTREPORTS, &bytes(&body)).unwrap();
    assert!(matches!(
        event,
        AnyEvent::PromptReports(PromptReportsEvent::ApprovalRequested(..))
    ));
    assert_eq!(event.provider(), Provider::PROMPTREPORTS);
    assert_eq!(event.event_type(), "approval.requested");
    assert_eq!(serde_json::to_value(&event).unwrap(), body);
}

#[test]
fn parses_generic() {
    let body = json!({"id": "evt_1", "type": "user.created",
        "created_at": "2024-01-15T10:30:00Z", "data": {"a": 1}});
    let event = AnyEvent::parse(Provider::GENERIC, &bytes(&body)).unwrap();
    assert!(matches!(event, AnyEvent::Generic(GenericEvent::Known(_))));
    assert_eq!(event.provider(), Provider::GENERIC);
    assert_eq!(event.event_type(), "user.created");
    assert_eq!(serde_json::to_value(&event).unwrap(), body);
}

#[test]
fn the_provider_decides_the_type_not_the_body() {
    // a PromptLayer body verified under the generic scheme is an unknown generic event
    let body = json!({"event_type": "report_finished", "details": {}});
    let event = AnyEvent::parse(Provider::GENERIC, &bytes(&body)).unwrap();
    assert_eq!(event.provider(), Provider::GENERIC);
    assert!(event.is_unknown());
    assert_eq!(event.raw(), Some(&body));
    assert_eq!(event.event_type(), "unknown");
}

#[test]
fn unknown_shapes_are_not_errors_for_any_provider() {
    let body = bytes(&json!({"something": "new"}));
    for provider in Provider::ALL {
        let event = AnyEvent::parse(provider, &body).unwrap();
        assert_eq!(event.provider(), provider);
        assert!(event.is_unknown(), "{provider}");
        assert_eq!(event.event_type(), "unknown");
    }
}

#[test]
fn only_non_objects_are_errors() {
    for provider in Provider::ALL {
        for bad in [&b"[1, 2]"[..], b"\"s\"", b"12", b"null", b"not json", b""] {
            assert!(
                AnyEvent::parse(provider, bad).is_err(),
                "{provider} {bad:?}"
            );
        }
    }
}

#[test]
fn nesting_beyond_the_json_limit_is_an_error() {
    let deep = format!("{{\"a\": {}{}}}", "[".repeat(200), "]".repeat(200));
    for provider in Provider::ALL {
        assert!(
            AnyEvent::parse(provider, deep.as_bytes()).is_err(),
            "{provider}"
        );
    }
}

/// The direct parse of an open-ended event's payload gives what buffering the document and
/// reading it as the payload gives, on bodies that fit and bodies that do not.
#[test]
fn the_direct_payload_parse_agrees_with_the_buffered_one() {
    use crate::events::{StandardWebhooksEvent, StripeEvent};
    let bodies: &[&[u8]] = &[
        br#"{"id": "evt_1", "type": "user.created", "created_at": "2024-01-15T10:30:00Z", "data": {"n": 1.5, "big": 123456789012345678901234}}"#,
        br#"  {"id": "evt_1", "type": "t", "created_at": "2024-01-15T10:30:00Z", "data": {}, "extra": [1, 2]}"#,
        br#"{"id": "evt_1", "id": "evt_2", "type": "t", "created_at": "2024-01-15T10:30:00Z", "data": {}}"#,
        br#"{"id": 7, "type": "t", "created_at": "2024-01-15T10:30:00Z", "data": {}}"#,
        br#"{"type": "t", "data": {}}"#,
        br#"{"id": "evt_1", "type": "t", "created_at": "2024-01-15T10:30:00Z", "data": {}} trailing"#,
        br#"{"type": "invoice.paid", "id": "evt_1", "object": "event", "created": 1700000000, "livemode": false, "data": {"object": {"id": "in_1"}}, "api_version": "2024-06-20"}"#,
        br#"{"type": "user.created", "timestamp": "2024-01-15T10:30:00Z", "data": {"id": 1}}"#,
        br#"["id", "type"]"#,
        b"{}",
        b"not json",
    ];
    for body in bodies {
        let show = String::from_utf8_lossy(body);
        assert_eq!(
            GenericEvent::from_body(body).ok(),
            serde_json::from_slice::<GenericEvent>(body).ok(),
            "generic: {show}"
        );
        assert_eq!(
            StripeEvent::from_body(body).ok(),
            serde_json::from_slice::<StripeEvent>(body).ok(),
            "stripe: {show}"
        );
        assert_eq!(
            StandardWebhooksEvent::from_body(body).ok(),
            serde_json::from_slice::<StandardWebhooksEvent>(body).ok(),
            "standard webhooks: {show}"
        );
    }
    assert!(GenericEvent::from_body(bodies[0])
        .unwrap()
        .payload()
        .is_some());
    assert!(GenericEvent::from_body(bodies[2]).unwrap().is_unknown());
    // Members the payload does not model are not checked on the direct path: what
    // buffering the whole document refuses is the typed event there.
    for extra in [r#""\ud800""#, "1e400"] {
        let body = format!(
            r#"{{"id": "evt_1", "type": "t", "created_at": "2024-01-15T10:30:00Z", "data": {{}}, "x": {extra}}}"#
        );
        assert!(serde_json::from_slice::<GenericEvent>(body.as_bytes()).is_err());
        let event = GenericEvent::from_body(body.as_bytes()).unwrap();
        assert_eq!(event.id(), Some("evt_1"), "{body}");
    }
}
