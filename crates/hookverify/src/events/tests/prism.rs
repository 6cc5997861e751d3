use serde_json::{json, Value};

use super::{parse_and_write, warnings};
use crate::events::{PrismEvent, PRISM_EVENT_TYPES};

/// The flat gateway payload, every documented field (providers.md), for one `event`.
fn request_body(event: &str) -> Value {
    json!({
        "request_id": "req_01HZX3J9",
        "model": "gpt-4o",
        "resolved_model": "gpt-4o-2024-08-06",
        "provider": "openai",
        "latency_ms": 812,
        "input_tokens": 120,
        "output_tokens": 48,
        "total_tokens": 168,
        "status_code": 200,
        "is_error": false,
        "error_message": null,
        "cache_hit": false,
        "guardrail_triggered": false,
        "cost": 0.00042,
        "event": event,
    })
}

fn parse(body: &Value) -> PrismEvent {
    serde_json::from_slice(&serde_json::to_vec(body).unwrap()).unwrap()
}

#[test]
fn request_completed_round_trips() {
    let original = request_body("request.completed");
    let (event, written): (PrismEvent, Value) = parse_and_write(&original);
    let PrismEvent::RequestCompleted(request) = &event else {
        panic!("parsed as {event:?}");
    };
    assert_eq!(request.request_id, "req_01HZX3J9");
    assert_eq!(request.resolved_model.as_deref(), Some("gpt-4o-2024-08-06"));
    assert!((request.latency_ms - 812.0).abs() < f64::EPSILON);
    assert_eq!(request.total_tokens, 168);
    assert_eq!(request.status_code, 200);
    assert_eq!(request.error_message, None);
    assert!((request.cost - 0.00042).abs() < f64::EPSILON);
    assert_eq!(event.event_type(), "request.completed");
    assert_eq!(written, original);
    // `event` is written last, after the flat fields
    let text = serde_json::to_string(&event).unwrap();
    assert!(
        text.starts_with(r#"{"request_id":"req_01HZX3J9","#),
        "{text}"
    );
    assert!(text.ends_with(r#""event":"request.completed"}"#), "{text}");
}

#[test]
fn error_occurred_round_trips() {
    let mut original = request_body("error.occurred");
    original["status_code"] = json!(502);
    original["is_error"] = json!(true);
    original["error_message"] = json!("upstream timed out");
    original["resolved_model"] = Value::Null;
    let (event, written): (PrismEvent, Value) = parse_and_write(&original);
    let PrismEvent::ErrorOccurred(request) = &event else {
        panic!("parsed as {event:?}");
    };
    assert!(request.is_error);
    assert_eq!(request.error_message.as_deref(), Some("upstream timed out"));
    assert_eq!(request.resolved_model, None);
    assert_eq!(event.event_type(), "error.occurred");
    assert_eq!(written, original);
}

#[test]
fn guardrail_triggered_round_trips() {
    let mut original = request_body("guardrail.triggered");
    original["guardrail_triggered"] = json!(true);
    original["latency_ms"] = json!(12.75);
    let (event, written): (PrismEvent, Value) = parse_and_write(&original);
    assert!(matches!(&event, PrismEvent::GuardrailTriggered(r) if r.guardrail_triggered));
    assert_eq!(event.request().map(|r| r.latency_ms), Some(12.75));
    assert_eq!(event.event_type(), "guardrail.triggered");
    assert_eq!(written, original);
}

#[test]
fn the_three_request_kinds_share_one_body() {
    let kinds: Vec<PrismEvent> = ["request.completed", "error.occurred", "guardrail.triggered"]
        .into_iter()
        .map(|kind| parse(&request_body(kind)))
        .collect();
    let requests: Vec<_> = kinds.iter().map(|e| e.request().unwrap()).collect();
    assert_eq!(requests[0], requests[1]);
    assert_eq!(requests[1], requests[2]);
}

#[test]
fn dashboard_test_event_round_trips() {
    let original = json!({
        "event": "test",
        "webhook_id": "9a1f6a7e-3c1b-4d7f-8a6e-52c1f0b9d3aa",
        "message": "This is a test event from Agentcc.",
    });
    let (event, written): (PrismEvent, Value) = parse_and_write(&original);
    let PrismEvent::Test(test) = &event else {
        panic!("parsed as {event:?}");
    };
    assert_eq!(test.webhook_id, "9a1f6a7e-3c1b-4d7f-8a6e-52c1f0b9d3aa");
    assert_eq!(test.message, "This is a test event from Agentcc.");
    assert_eq!(event.event_type(), "test");
    assert_eq!(event.request(), None);
    assert_eq!(written, original);
}

#[test]
fn undocumented_budget_and_batch_payloads_stay_raw() {
    for (kind, original) in [
        (
            "budget.exceeded",
            json!({"event": "budget.exceeded", "budget_id": "b1", "limit": 100.0, "spent": 100.5}),
        ),
        (
            "batch.completed",
            json!({"event": "batch.completed", "batch_id": "bat_1", "succeeded": 10}),
        ),
    ] {
        let (event, lines) = warnings(|| parse(&original));
        match (&event, kind) {
            (PrismEvent::BudgetExceeded(raw), "budget.exceeded")
            | (PrismEvent::BatchCompleted(raw), "batch.completed") => assert_eq!(raw, &original),
            _ => panic!("{kind} parsed as {event:?}"),
        }
        assert_eq!(event.event_type(), kind);
        assert_eq!(event.raw(), Some(&original));
        assert!(!event.is_unknown());
        assert!(lines.is_empty(), "{lines:?}");
        assert_eq!(serde_json::to_value(&event).unwrap(), original);
    }
}

#[test]
fn every_documented_kind_is_tested() {
    assert_eq!(
        PRISM_EVENT_TYPES,
        [
            "request.completed",
            "error.occurred",
            "guardrail.triggered",
            "budget.exceeded",
            "batch.completed",
            "test"
        ]
    );
}

fn assert_unknown(original: &Value, expected_type: &str, reason: &str) {
    let (event, lines) = warnings(|| parse(original));
    assert!(event.is_unknown(), "expected Unknown, got {event:?}");
    assert_eq!(event.raw(), Some(original));
    assert_eq!(event.event_type(), expected_type);
    assert_eq!(serde_json::to_value(&event).unwrap(), *original);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains(reason), "{lines:?} lacks {reason:?}");
}

#[test]
fn unknown_event_kind_comes_through_whole() {
    assert_unknown(
        &request_body("request.started"),
        "request.started",
        "unknown Prism event type",
    );
    let mut no_event = request_body("x");
    no_event.as_object_mut().unwrap().remove("event");
    assert_unknown(&no_event, "unknown", "event_type=<missing>");
}

#[test]
fn known_kind_with_a_changed_shape_is_unknown() {
    let mut missing = request_body("request.completed");
    missing.as_object_mut().unwrap().remove("cost");
    assert_unknown(&missing, "request.completed", "missing field `cost`");

    let mut retyped = request_body("error.occurred");
    retyped["status_code"] = json!("502");
    assert_unknown(&retyped, "error.occurred", "invalid type: string \"502\"");

    let test_without_id = json!({"event": "test", "message": "hi"});
    assert_unknown(&test_without_id, "test", "missing field `webhook_id`");
}

#[test]
fn extra_and_missing_optional_fields_are_fine() {
    let mut original = request_body("request.completed");
    let object = original.as_object_mut().unwrap();
    object.insert("team_id".into(), json!("t1"));
    object.remove("resolved_model");
    object.remove("error_message");
    let event = parse(&original);
    let request = event.request().unwrap();
    assert_eq!(request.resolved_model, None);
    assert_eq!(request.error_message, None);
}

#[test]
fn not_an_object_is_an_error() {
    for bad in ["[]", "\"test\"", "0", "null"] {
        assert!(serde_json::from_str::<PrismEvent>(bad).is_err(), "{bad}");
    }
}
