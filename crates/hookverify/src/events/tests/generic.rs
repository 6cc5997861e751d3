use serde_json::{json, Value};
use time::macros::datetime;

use super::{parse_and_write, warnings};
use crate::events::GenericEvent;

/// The template's envelope (providers.md): `{"id": "evt_…", "type": "user.created",
/// "created_at": "…Z", "data": {…}}`.
fn example() -> Value {
    json!({
        "id": "evt_2Zb4kQ",
        "type": "user.created",
        "created_at": "2024-01-15T10:30:00Z",
        "data": {"user": {"id": "usr_1", "email": "a@example.com"}},
    })
}

fn parse(body: &Value) -> GenericEvent {
    serde_json::from_slice(&serde_json::to_vec(body).unwrap()).unwrap()
}

#[test]
fn documented_envelope_round_trips() {
    let original = example();
    let (event, written): (GenericEvent, Value) = parse_and_write(&original);
    let GenericEvent::Known(payload) = &event else {
        panic!("parsed as {event:?}");
    };
    assert_eq!(payload.id, "evt_2Zb4kQ");
    assert_eq!(payload.event_type, "user.created");
    assert_eq!(payload.created_at, datetime!(2024-01-15 10:30:00 UTC));
    assert_eq!(payload.data["user"]["id"], "usr_1");
    assert_eq!(event.event_type(), "user.created");
    assert_eq!(event.id(), Some("evt_2Zb4kQ"));
    assert_eq!(event.raw(), None);
    assert_eq!(written, original);
}

#[test]
fn fractional_and_offset_times_are_written_in_utc() {
    let mut original = example();
    original["created_at"] = json!("2024-01-15T12:30:00.25+02:00");
    let (event, written): (GenericEvent, Value) = parse_and_write(&original);
    assert_eq!(
        event.payload().unwrap().created_at,
        datetime!(2024-01-15 10:30:00.25 UTC)
    );
    assert_eq!(written["created_at"], "2024-01-15T10:30:00.25Z");
}

#[test]
fn extra_fields_are_ignored() {
    let mut original = example();
    original["livemode"] = json!(false);
    let (event, lines) = warnings(|| parse(&original));
    assert!(!event.is_unknown());
    assert!(lines.is_empty(), "{lines:?}");
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
fn a_body_outside_the_envelope_is_unknown() {
    let mut no_time = example();
    no_time.as_object_mut().unwrap().remove("created_at");
    assert_unknown(&no_time, "user.created", "missing field `created_at`");

    let mut numeric_id = example();
    numeric_id["id"] = json!(42);
    assert_unknown(&numeric_id, "user.created", "invalid type: integer `42`");
    assert_eq!(parse(&numeric_id).id(), None);

    // a GitHub push: no envelope at all
    let push = json!({"ref": "refs/heads/main", "commits": []});
    assert_unknown(&push, "unknown", "event_type=<missing>");
}

#[test]
fn not_an_object_is_an_error() {
    for bad in ["[]", "\"x\"", "0", "null", "Hello, World!"] {
        assert!(serde_json::from_str::<GenericEvent>(bad).is_err(), "{bad}");
    }
}
