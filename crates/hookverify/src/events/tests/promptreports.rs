use serde_json::{json, Value};
use time::macros::datetime;

use super::{parse_and_write, warnings};
use crate::events::{PromptReportsEvent, PROMPTREPORTS_EVENT_TYPES};

/// The payload example of the PromptReports webhooks page (the `timestamp` flavour).
const DOCS_EXAMPLE: &str = r#"{
"id": "wh_evt_abc123",
"type": "version.promoted",
"timestamp": "2024-01-15T10:30:00Z",
"data": {
"promptId": "prm_xyz789",
"promptName": "Customer Support Response",
"versionId": "ver_def456",
"versionNumber": 5,
"previousStage": "staging",
"newStage": "production",
"promotedBy": {
"id": "usr_ghi012",
"name": "Jane Smith",
"email": "jane@example.com"
}
},
"metadata": {
"folderId": "fld_jkl345",
"folderName": "Production Prompts"
}
}"#;

/// The API page's flavour: `apiVersion` and `createdAt`, no metadata.
fn api_flavour(event_type: &str, data: Value) -> Value {
    let mut body = json!({
        "id": "evt_9c2d",
        "type": event_type,
        "apiVersion": "2024-01-01",
        "createdAt": "2024-01-15T10:30:00.123Z",
        "data": null,
    });
    body["data"] = data;
    body
}

/// The webhooks page's flavour: `timestamp` and `metadata`.
fn docs_flavour(event_type: &str, data: Value) -> Value {
    let mut body = json!({
        "id": "wh_evt_abc123",
        "type": event_type,
        "timestamp": "2024-01-15T10:30:00Z",
        "data": null,
        "metadata": {"folderId": "fld_jkl345", "folderName": "Production Prompts"},
    });
    body["data"] = data;
    body
}

fn parse(body: &Value) -> PromptReportsEvent {
    serde_json::from_slice(&serde_json::to_vec(body).unwrap()).unwrap()
}

#[test]
fn docs_example_parses_into_typed_fields_and_round_trips() {
    let event: PromptReportsEvent = serde_json::from_str(DOCS_EXAMPLE).unwrap();
    let PromptReportsEvent::VersionPromoted(envelope, data) = &event else {
        panic!("parsed as {event:?}");
    };
    assert_eq!(envelope.id, "wh_evt_abc123");
    assert_eq!(envelope.timestamp, Some(datetime!(2024-01-15 10:30:00 UTC)));
    assert_eq!(envelope.created_at, None);
    assert_eq!(
        envelope.occurred_at(),
        Some(datetime!(2024-01-15 10:30:00 UTC))
    );
    assert_eq!(envelope.api_version, None);
    assert_eq!(
        envelope.metadata.as_ref().unwrap()["folderName"],
        "Production Prompts"
    );
    assert_eq!(data.prompt_id, "prm_xyz789");
    assert_eq!(data.prompt_name, "Customer Support Response");
    assert_eq!(data.version_id, "ver_def456");
    assert_eq!(data.version_number, 5);
    assert_eq!(data.previous_stage.as_deref(), Some("staging"));
    assert_eq!(data.new_stage, "production");
    let promoted_by = data.promoted_by.as_ref().unwrap();
    assert_eq!(promoted_by.id, "usr_ghi012");
    assert_eq!(promoted_by.name.as_deref(), Some("Jane Smith"));
    assert_eq!(promoted_by.email.as_deref(), Some("jane@example.com"));
    assert_eq!(event.event_type(), "version.promoted");
    assert_eq!(
        serde_json::to_value(&event).unwrap(),
        serde_json::from_str::<Value>(DOCS_EXAMPLE).unwrap()
    );
}

#[test]
fn version_promoted_in_the_api_flavour_round_trips() {
    let original: Value = serde_json::from_str::<Value>(DOCS_EXAMPLE).unwrap()["data"].clone();
    let original = api_flavour("version.promoted", original);
    let (event, written): (PromptReportsEvent, Value) = parse_and_write(&original);
    let PromptReportsEvent::VersionPromoted(envelope, _) = &event else {
        panic!("parsed as {event:?}");
    };
    assert_eq!(envelope.timestamp, None);
    assert_eq!(
        envelope.created_at,
        Some(datetime!(2024-01-15 10:30:00.123 UTC))
    );
    assert_eq!(envelope.api_version.as_deref(), Some("2024-01-01"));
    assert_eq!(envelope.metadata, None);
    assert_eq!(written, original);
}

/// Every documented kind, in both envelope flavours.
macro_rules! round_trip {
    ($($test:ident: $wire:literal => $variant:ident,)*) => {
        $(
            #[test]
            fn $test() {
                let data = json!({"promptId": "prm_1", "nested": {"list": [1, 2.5, null]}});
                for original in [docs_flavour($wire, data.clone()), api_flavour($wire, data.clone())] {
                    let (event, written): (PromptReportsEvent, Value) = parse_and_write(&original);
                    match &event {
                        PromptReportsEvent::$variant(envelope, parsed) => {
                            assert_eq!(*parsed, data);
                            assert!(envelope.occurred_at().is_some());
                        }
                        _ => panic!("{} parsed as {event:?}", $wire),
                    }
                    assert_eq!(event.event_type(), $wire);
                    assert_eq!(written, original);
                }
            }
        )*

        #[test]
        fn every_documented_kind_has_a_round_trip_test() {
            let tested = [$($wire),*];
            assert_eq!(tested.len() + 1, PROMPTREPORTS_EVENT_TYPES.len());
            for wire in tested.into_iter().chain(["version.promoted"]) {
                assert!(PROMPTREPORTS_EVENT_TYPES.contains(&wire), "{wire}");
            }
        }
    };
}

round_trip! {
    prompt_created: "prompt.created" => PromptCreated,
    prompt_updated: "prompt.updated" => PromptUpdated,
    version_created: "version.created" => VersionCreated,
    evaluation_started: "evaluation.started" => EvaluationStarted,
    evaluation_completed: "evaluation.completed" => EvaluationCompleted,
    approval_requested: "approval.requested" => ApprovalRequested,
    approval_completed: "approval.completed" => ApprovalCompleted,
    report_completed: "report.completed" => ReportCompleted,
}

#[test]
fn javascript_millisecond_times_round_trip_as_the_same_instant() {
    let mut original = api_flavour("prompt.created", json!({}));
    original["createdAt"] = json!("2024-01-15T10:30:00.000Z");
    let (event, written): (PromptReportsEvent, Value) = parse_and_write(&original);
    // documented: RFC 3339 without trailing zero fraction digits
    assert_eq!(written["createdAt"], "2024-01-15T10:30:00Z");
    let reparsed: PromptReportsEvent = serde_json::from_value(written).unwrap();
    assert_eq!(reparsed, event);
}

#[test]
fn missing_optional_envelope_fields_are_fine() {
    let original = json!({"id": "e1", "type": "prompt.updated", "data": {"x": 1}});
    let (event, written): (PromptReportsEvent, Value) = parse_and_write(&original);
    let envelope = event.envelope().unwrap();
    assert_eq!(envelope.occurred_at(), None);
    assert_eq!(envelope.metadata, None);
    assert_eq!(written, original);
}

#[test]
fn extra_fields_are_ignored() {
    let mut original = docs_flavour(
        "version.promoted",
        serde_json::from_str::<Value>(DOCS_EXAMPLE).unwrap()["data"].clone(),
    );
    original["attempt"] = json!(2);
    original["data"]["promotedBy"]["avatar"] = json!("https://x/a.png");
    let (event, lines) = warnings(|| parse(&original));
    assert!(matches!(event, PromptReportsEvent::VersionPromoted(..)));
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
fn unknown_type_comes_through_whole() {
    assert_unknown(
        &docs_flavour("folder.archived", json!({"folderId": "f"})),
        "folder.archived",
        "unknown PromptReports event type",
    );
}

#[test]
fn version_promoted_with_a_changed_shape_is_unknown() {
    let data = serde_json::from_str::<Value>(DOCS_EXAMPLE).unwrap()["data"].clone();
    let mut missing = data.clone();
    missing.as_object_mut().unwrap().remove("newStage");
    assert_unknown(
        &docs_flavour("version.promoted", missing),
        "version.promoted",
        "missing field `newStage`",
    );
    let mut retyped = data;
    retyped["versionNumber"] = json!("5");
    assert_unknown(
        &docs_flavour("version.promoted", retyped),
        "version.promoted",
        "invalid type: string \"5\"",
    );
}

#[test]
fn broken_envelope_is_unknown() {
    let mut no_id = docs_flavour("prompt.created", json!({}));
    no_id.as_object_mut().unwrap().remove("id");
    assert_unknown(&no_id, "prompt.created", "missing field `id`");

    let mut no_data = docs_flavour("prompt.created", json!({}));
    no_data.as_object_mut().unwrap().remove("data");
    assert_unknown(&no_data, "prompt.created", "missing field `data`");

    let mut bad_time = api_flavour("prompt.created", json!({}));
    bad_time["createdAt"] = json!(1_705_314_600);
    assert_unknown(&bad_time, "prompt.created", "1705314600");
}

#[test]
fn not_an_object_is_an_error() {
    for bad in ["[]", "\"x\"", "0", "null"] {
        assert!(
            serde_json::from_str::<PromptReportsEvent>(bad).is_err(),
            "{bad}"
        );
    }
}
