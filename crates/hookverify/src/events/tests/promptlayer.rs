use serde_json::{json, Value};
use time::macros::datetime;

use super::{parse_and_write, warnings};
use crate::events::{LabelChangeType, PromptLayerEvent, PROMPTLAYER_EVENT_TYPES};

/// The example payload of providers.md / the PromptLayer docs, byte for byte.
const DOCS_EXAMPLE: &str = r#"{"event_type": "prompt_template_label_moved",
 "details": {"prompt_template_id": 12, "prompt_template_name": "Hello",
             "prompt_template_version_number": 9, "old_prompt_template_version_number": 8,
             "prompt_template_label": "prod"},
 "user_id": 1, "user_name": "John Doe", "user_email": "john.doe@example.com",
 "workspace_id": 1, "timestamp": "2023-12-01T22:05:57.924833"}"#;

fn body(event_type: &str, details: Value) -> Value {
    let mut body = json!({
        "event_type": event_type,
        "details": null,
        "user_id": 1,
        "user_name": "John Doe",
        "user_email": "john.doe@example.com",
        "workspace_id": 1,
        "timestamp": "2023-12-01T22:05:57.924833",
    });
    body["details"] = details;
    body
}

fn parse(body: &Value) -> PromptLayerEvent {
    serde_json::from_slice(&serde_json::to_vec(body).unwrap()).unwrap()
}

/// One test per documented event type: the docs' details fields parse into the expected
/// variant, and the event writes back exactly the JSON it was read from.
macro_rules! round_trip {
    ($($event_type:ident: $variant:ident $details:tt,)*) => {
        $(
            #[test]
            fn $event_type() {
                let wire = stringify!($event_type);
                let original = body(wire, json!($details));
                let (event, written): (PromptLayerEvent, Value) = parse_and_write(&original);
                assert!(
                    matches!(event, PromptLayerEvent::$variant(..)),
                    "{wire} parsed as {event:?}"
                );
                assert_eq!(event.event_type(), wire);
                assert_eq!(event.raw(), None);
                let envelope = event.envelope().unwrap();
                assert_eq!(envelope.timestamp, datetime!(2023-12-01 22:05:57.924833 UTC));
                assert_eq!(written, original);
            }
        )*

        #[test]
        fn every_documented_type_has_a_round_trip_test() {
            let tested = [$(stringify!($event_type)),*];
            assert_eq!(tested.len(), 20);
            assert_eq!(PROMPTLAYER_EVENT_TYPES, tested);
        }
    };
}

round_trip! {
    prompt_template_version_created: PromptTemplateVersionCreated {
        "prompt_template_id": 12, "prompt_template_name": "Hello",
        "prompt_template_version_number": 9
    },
    prompt_template_name_changed: PromptTemplateNameChanged {
        "prompt_template_id": 12, "prompt_template_name": "Hello v2",
        "old_prompt_template_name": "Hello"
    },
    prompt_template_deleted: PromptTemplateDeleted {
        "prompt_template_id": 12, "prompt_template_name": "Hello"
    },
    prompt_template_label_created: PromptTemplateLabelCreated {
        "prompt_template_id": 12, "prompt_template_name": "Hello",
        "prompt_template_version_number": 9, "prompt_template_label": "prod"
    },
    prompt_template_label_deleted: PromptTemplateLabelDeleted {
        "prompt_template_id": 12, "prompt_template_name": "Hello",
        "prompt_template_version_number": 9, "prompt_template_label": "prod"
    },
    prompt_template_label_moved: PromptTemplateLabelMoved {
        "prompt_template_id": 12, "prompt_template_name": "Hello",
        "prompt_template_version_number": 9, "old_prompt_template_version_number": 8,
        "prompt_template_label": "prod"
    },
    prompt_template_label_change_requested: PromptTemplateLabelChangeRequested {
        "prompt_template_id": 12, "prompt_template_name": "Hello",
        "prompt_template_label": "prod", "change_type": "move"
    },
    prompt_template_label_change_approved: PromptTemplateLabelChangeApproved {
        "prompt_template_id": 12, "prompt_template_name": "Hello",
        "prompt_template_label": "prod", "change_type": "deletion"
    },
    prompt_template_label_change_denied: PromptTemplateLabelChangeDenied {
        "prompt_template_id": 12, "prompt_template_name": "Hello",
        "prompt_template_label": "prod", "change_type": "move"
    },
    prompt_template_updated: PromptTemplateUpdated {
        "prompt_template_id": 12, "prompt_template_name": "Hello",
        "prompt_template_version_number": 10
    },
    agent_run_finished: AgentRunFinished {
        "agent_name": "Support triage", "agent_id": 31, "agent_execution_id": 4551
    },
    report_finished: ReportFinished {
        "report_id": 88, "report_name": "Nightly regression"
    },
    dataset_version_created_by_file: DatasetVersionCreatedByFile {
        "dataset_id": 5, "dataset_version_number": 3
    },
    dataset_version_created_by_file_failed: DatasetVersionCreatedByFileFailed {
        "dataset_id": 5, "error_message": "CSV header row is missing"
    },
    dataset_version_created_from_filter_params: DatasetVersionCreatedFromFilterParams {
        "dataset_id": 5, "rows_added": 120, "dataset_version_number": 4
    },
    table_sheet_created_from_file: TableSheetCreatedFromFile {
        "operation_id": 901, "table_id": "0b7f3a52-5d7e-4c1e-9a55-2f4c7d1e8b10",
        "sheet_id": "6f1d2c3b-8a9e-4f5d-b6c7-1e2d3c4b5a69", "source": "file",
        "file_name": "cases.csv", "rows_added": 250, "row_count": 250
    },
    table_sheet_created_from_file_failed: TableSheetCreatedFromFileFailed {
        "operation_id": 902, "table_id": "0b7f3a52-5d7e-4c1e-9a55-2f4c7d1e8b10",
        "sheet_id": "6f1d2c3b-8a9e-4f5d-b6c7-1e2d3c4b5a69", "source": "file",
        "file_name": "cases.csv", "error_message": "unsupported encoding"
    },
    table_sheet_created_from_request_history: TableSheetCreatedFromRequestHistory {
        "operation_id": 903, "table_id": "0b7f3a52-5d7e-4c1e-9a55-2f4c7d1e8b10",
        "sheet_id": "6f1d2c3b-8a9e-4f5d-b6c7-1e2d3c4b5a69", "source": "request_logs",
        "rows_added": 40, "row_count": 290
    },
    table_sheet_created_from_request_history_failed: TableSheetCreatedFromRequestHistoryFailed {
        "operation_id": 904, "table_id": "0b7f3a52-5d7e-4c1e-9a55-2f4c7d1e8b10",
        "sheet_id": "6f1d2c3b-8a9e-4f5d-b6c7-1e2d3c4b5a69", "source": "request_logs",
        "error_message": "no requests matched"
    },
    skill_collection_files_changed: SkillCollectionFilesChanged {
        "skill_collection_id": "sc_8f2e", "source": "version_save",
        "affected_paths": ["skills/triage.md", "skills/refund.md"], "version_number": 6
    },
}

#[test]
fn docs_example_parses_into_typed_fields() {
    let event: PromptLayerEvent = serde_json::from_str(DOCS_EXAMPLE).unwrap();
    let PromptLayerEvent::PromptTemplateLabelMoved(envelope, details) = &event else {
        panic!("parsed as {event:?}");
    };
    assert_eq!(details.prompt_template_id, 12);
    assert_eq!(details.prompt_template_name, "Hello");
    assert_eq!(details.prompt_template_version_number, 9);
    assert_eq!(details.old_prompt_template_version_number, 8);
    assert_eq!(details.prompt_template_label, "prod");
    assert_eq!(envelope.user_id, 1);
    assert_eq!(envelope.user_name.as_deref(), Some("John Doe"));
    assert_eq!(envelope.user_email.as_deref(), Some("john.doe@example.com"));
    assert_eq!(envelope.workspace_id, 1);
    assert_eq!(
        envelope.timestamp,
        datetime!(2023-12-01 22:05:57.924833 UTC)
    );
    // written back with the same names and the same naive timestamp
    let written = serde_json::to_value(&event).unwrap();
    assert_eq!(
        written,
        serde_json::from_str::<Value>(DOCS_EXAMPLE).unwrap()
    );
    let text = serde_json::to_string(&event).unwrap();
    assert!(
        text.starts_with(r#"{"event_type":"prompt_template_label_moved","details":{"#),
        "{text}"
    );
    assert!(
        text.contains(r#""timestamp":"2023-12-01T22:05:57.924833""#),
        "{text}"
    );
}

#[test]
fn label_change_type_keeps_an_undocumented_value() {
    let original = body(
        "prompt_template_label_change_requested",
        json!({"prompt_template_id": 1, "prompt_template_name": "a",
               "prompt_template_label": "prod", "change_type": "rename"}),
    );
    let (event, written): (PromptLayerEvent, Value) = parse_and_write(&original);
    let PromptLayerEvent::PromptTemplateLabelChangeRequested(_, details) = &event else {
        panic!("parsed as {event:?}");
    };
    assert_eq!(details.change_type, LabelChangeType::Other("rename".into()));
    assert_eq!(written, original);
}

#[test]
fn timestamp_without_microseconds_round_trips() {
    let mut original = body(
        "report_finished",
        json!({"report_id": 1, "report_name": "r"}),
    );
    original["timestamp"] = json!("2023-12-01T22:05:57");
    let (event, written): (PromptLayerEvent, Value) = parse_and_write(&original);
    assert_eq!(
        event.envelope().unwrap().timestamp,
        datetime!(2023-12-01 22:05:57 UTC)
    );
    assert_eq!(written, original);
}

#[test]
fn timestamp_with_an_explicit_offset_is_converted_to_utc() {
    for (sent, expected, written) in [
        (
            "2023-12-01T22:05:57Z",
            datetime!(2023-12-01 22:05:57 UTC),
            "2023-12-01T22:05:57",
        ),
        (
            "2023-12-01T22:05:57.924833+00:00",
            datetime!(2023-12-01 22:05:57.924833 UTC),
            "2023-12-01T22:05:57.924833",
        ),
        (
            "2023-12-02T00:05:57.5+02:00",
            datetime!(2023-12-01 22:05:57.5 UTC),
            "2023-12-01T22:05:57.500000",
        ),
    ] {
        let mut original = body(
            "report_finished",
            json!({"report_id": 1, "report_name": "r"}),
        );
        original["timestamp"] = json!(sent);
        let (event, out): (PromptLayerEvent, Value) = parse_and_write(&original);
        let envelope = event.envelope().unwrap();
        assert_eq!(envelope.timestamp, expected, "{sent}");
        assert!(envelope.timestamp.offset().is_utc(), "{sent}");
        assert_eq!(out["timestamp"], written, "{sent}");
    }
}

#[test]
fn null_user_name_and_email_are_none_and_written_as_null() {
    let mut original = body(
        "report_finished",
        json!({"report_id": 1, "report_name": "r"}),
    );
    original["user_name"] = Value::Null;
    original["user_email"] = Value::Null;
    let (event, written): (PromptLayerEvent, Value) = parse_and_write(&original);
    let envelope = event.envelope().unwrap();
    assert_eq!(envelope.user_name, None);
    assert_eq!(envelope.user_email, None);
    assert_eq!(written, original);
}

#[test]
fn older_deliveries_without_user_name_and_email_parse() {
    let mut original = body(
        "report_finished",
        json!({"report_id": 1, "report_name": "r"}),
    );
    let object = original.as_object_mut().unwrap();
    object.remove("user_name");
    object.remove("user_email");
    let (event, written): (PromptLayerEvent, Value) = parse_and_write(&original);
    assert!(matches!(event, PromptLayerEvent::ReportFinished(..)));
    assert_eq!(event.envelope().unwrap().user_name, None);
    // documented: a missing nullable field is written back as null
    assert_eq!(written["user_name"], Value::Null);
    assert_eq!(written["user_email"], Value::Null);
}

#[test]
fn extra_fields_are_ignored() {
    let mut original = body(
        "report_finished",
        json!({"report_id": 1, "report_name": "r", "report_url": "https://x"}),
    );
    original["request_origin"] = json!({"ip": "10.0.0.1"});
    let (event, lines) = warnings(|| parse(&original));
    let PromptLayerEvent::ReportFinished(_, details) = &event else {
        panic!("parsed as {event:?}");
    };
    assert_eq!(details.report_id, 1);
    assert!(lines.is_empty(), "{lines:?}");
}

#[test]
fn details_before_event_type_parse_too() {
    // the canonical (sorted) form puts "details" before "event_type"
    let text = r#"{"details": {"report_id": 3, "report_name": "r"}, "event_type": "report_finished",
        "timestamp": "2024-02-29T00:00:00", "user_email": null, "user_id": 9,
        "user_name": null, "workspace_id": 4}"#;
    let event: PromptLayerEvent = serde_json::from_str(text).unwrap();
    assert!(matches!(event, PromptLayerEvent::ReportFinished(_, ref d) if d.report_id == 3));
}

#[test]
fn escaped_strings_are_unescaped() {
    let text = r#"{"event_type": "prompt_template_deleted",
        "details": {"prompt_template_id": 1, "prompt_template_name": "say \"hi\" \u00e9\ud83d\ude00"},
        "user_id": 1, "workspace_id": 1, "timestamp": "2023-12-01T22:05:57"}"#;
    let event: PromptLayerEvent = serde_json::from_str(text).unwrap();
    let PromptLayerEvent::PromptTemplateDeleted(_, details) = &event else {
        panic!("parsed as {event:?}");
    };
    assert_eq!(details.prompt_template_name, "say \"hi\" \u{e9}\u{1f600}");
    // and from a reader, where nothing can be borrowed
    let from_reader: PromptLayerEvent = serde_json::from_reader(text.as_bytes()).unwrap();
    assert_eq!(from_reader, event);
}

fn assert_unknown(original: &Value, expected_type: &str, reason: &str) {
    let (event, lines) = warnings(|| parse(original));
    assert!(event.is_unknown(), "expected Unknown, got {event:?}");
    assert_eq!(event.raw(), Some(original));
    assert_eq!(event.event_type(), expected_type);
    assert_eq!(event.envelope(), None);
    assert_eq!(serde_json::to_value(&event).unwrap(), *original);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("WARN"), "{lines:?}");
    assert!(
        lines[0].contains(&format!("event_type={expected_type}"))
            || (expected_type == "unknown" && lines[0].contains("event_type=")),
        "{lines:?}"
    );
    assert!(lines[0].contains(reason), "{lines:?} lacks {reason:?}");
}

#[test]
fn unknown_event_type_comes_through_whole() {
    // `prompt_template_created` existed until 2024
    let original = body(
        "prompt_template_created",
        json!({"prompt_template_id": 12, "prompt_template_name": "Hello"}),
    );
    assert_unknown(
        &original,
        "prompt_template_created",
        "unknown PromptLayer event type",
    );
}

#[test]
fn known_type_missing_a_required_detail_is_unknown() {
    let original = body(
        "prompt_template_label_moved",
        json!({"prompt_template_id": 12, "prompt_template_name": "Hello",
               "prompt_template_version_number": 9, "prompt_template_label": "prod"}),
    );
    assert_unknown(
        &original,
        "prompt_template_label_moved",
        "missing field `old_prompt_template_version_number`",
    );
}

#[test]
fn known_type_with_a_retyped_detail_is_unknown() {
    let original = body(
        "agent_run_finished",
        json!({"agent_name": "a", "agent_id": 1, "agent_execution_id": "exec_7f"}),
    );
    assert_unknown(
        &original,
        "agent_run_finished",
        "invalid type: string \"exec_7f\"",
    );
}

#[test]
fn known_type_whose_details_are_not_an_object_is_unknown() {
    let original = body("report_finished", json!(["report", 1]));
    assert_unknown(&original, "report_finished", "error=");
    let mut no_details = body("report_finished", json!({}));
    no_details.as_object_mut().unwrap().remove("details");
    assert_unknown(&no_details, "report_finished", "missing field `details`");
}

#[test]
fn unparseable_envelope_is_unknown() {
    let mut bad_time = body(
        "report_finished",
        json!({"report_id": 1, "report_name": "r"}),
    );
    bad_time["timestamp"] = json!("last tuesday");
    assert_unknown(&bad_time, "report_finished", "last tuesday");

    let mut no_user = body(
        "report_finished",
        json!({"report_id": 1, "report_name": "r"}),
    );
    no_user.as_object_mut().unwrap().remove("user_id");
    assert_unknown(&no_user, "report_finished", "missing field `user_id`");
}

#[test]
fn missing_or_non_string_event_type_is_unknown() {
    let mut missing = body(
        "report_finished",
        json!({"report_id": 1, "report_name": "r"}),
    );
    missing.as_object_mut().unwrap().remove("event_type");
    assert_unknown(&missing, "unknown", "event_type=<missing>");

    let mut number = body(
        "report_finished",
        json!({"report_id": 1, "report_name": "r"}),
    );
    number["event_type"] = json!(7);
    assert_unknown(&number, "unknown", "event_type=<missing>");

    assert_unknown(&json!({}), "unknown", "event_type=<missing>");
}

#[test]
fn only_a_body_that_is_not_an_object_is_an_error() {
    for bad in [
        "[]",
        "\"report_finished\"",
        "1",
        "null",
        "true",
        "",
        "{",
        "{\"a\": }",
    ] {
        assert!(
            serde_json::from_str::<PromptLayerEvent>(bad).is_err(),
            "{bad:?} parsed"
        );
    }
    let error = serde_json::from_str::<PromptLayerEvent>("[1]").unwrap_err();
    assert!(
        error.to_string().contains("a PromptLayer event object"),
        "{error}"
    );
}
