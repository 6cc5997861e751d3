//! PromptLayer's events: `{"event_type", "details", user and workspace fields, "timestamp"}`.

use serde::de::{self, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use super::content::{self, Content};
use super::timestamp;

/// The fields every PromptLayer event carries besides its type and details.
///
/// `timestamp` is parsed from Python's naive `isoformat()` (with or without microseconds,
/// taken as UTC; an explicit `Z` or offset is accepted too and converted to UTC), and
/// written back in the naive form: `2023-12-01T22:05:57.924833`, or `2023-12-01T22:05:57`
/// when the microsecond is zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptLayerEnvelope {
    /// The PromptLayer user whose action caused the event.
    pub user_id: i64,
    /// That user's name; `None` when `null` or absent (added in late 2025). Written as `null`.
    pub user_name: Option<String>,
    /// That user's email; `None` when `null` or absent (added in late 2025). Written as `null`.
    pub user_email: Option<String>,
    /// The workspace the event belongs to.
    pub workspace_id: i64,
    /// When the event happened, in UTC.
    #[serde(with = "timestamp::naive_utc")]
    pub timestamp: OffsetDateTime,
}

/// Details of `prompt_template_version_created` and `prompt_template_updated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptTemplateVersionDetails {
    /// The prompt template.
    pub prompt_template_id: i64,
    /// Its name.
    pub prompt_template_name: String,
    /// The version created (or, for `prompt_template_updated`, the template's version).
    pub prompt_template_version_number: i64,
}

/// Details of `prompt_template_name_changed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptTemplateNameChangedDetails {
    /// The prompt template.
    pub prompt_template_id: i64,
    /// Its new name.
    pub prompt_template_name: String,
    /// Its name before the change.
    pub old_prompt_template_name: String,
}

/// Details of `prompt_template_deleted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptTemplateDeletedDetails {
    /// The prompt template.
    pub prompt_template_id: i64,
    /// Its name.
    pub prompt_template_name: String,
}

/// Details of `prompt_template_label_created` and `prompt_template_label_deleted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptTemplateLabelDetails {
    /// The prompt template.
    pub prompt_template_id: i64,
    /// Its name.
    pub prompt_template_name: String,
    /// The version the label points (or pointed) at.
    pub prompt_template_version_number: i64,
    /// The release label, e.g. `prod`.
    pub prompt_template_label: String,
}

/// Details of `prompt_template_label_moved`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptTemplateLabelMovedDetails {
    /// The prompt template.
    pub prompt_template_id: i64,
    /// Its name.
    pub prompt_template_name: String,
    /// The version the label now points at.
    pub prompt_template_version_number: i64,
    /// The version the label pointed at before.
    pub old_prompt_template_version_number: i64,
    /// The release label, e.g. `prod`.
    pub prompt_template_label: String,
}

/// What a label change request asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LabelChangeType {
    /// `"move"`: point the label at another version.
    Move,
    /// `"deletion"`: delete the label.
    Deletion,
    /// Any other value, kept as sent.
    Other(String),
}

impl LabelChangeType {
    /// The wire value: `move`, `deletion`, or the other value as sent.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Move => "move",
            Self::Deletion => "deletion",
            Self::Other(other) => other,
        }
    }
}

impl Serialize for LabelChangeType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for LabelChangeType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Ok(match text.as_ref() {
            "move" => Self::Move,
            "deletion" => Self::Deletion,
            _ => Self::Other(text.into_owned()),
        })
    }
}

/// Details of `prompt_template_label_change_requested`, `_approved` and `_denied`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptTemplateLabelChangeDetails {
    /// The prompt template.
    pub prompt_template_id: i64,
    /// Its name.
    pub prompt_template_name: String,
    /// The release label the change concerns.
    pub prompt_template_label: String,
    /// `move` or `deletion`.
    pub change_type: LabelChangeType,
}

/// Details of `agent_run_finished`. It "may fire multiple times for the same execution":
/// `agent_execution_id` is the deduplication key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRunFinishedDetails {
    /// The agent (workflow) name.
    pub agent_name: String,
    /// The agent.
    pub agent_id: i64,
    /// The run.
    pub agent_execution_id: i64,
}

/// Details of `report_finished`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportFinishedDetails {
    /// The evaluation report.
    pub report_id: i64,
    /// Its name.
    pub report_name: String,
}

/// Details of `dataset_version_created_by_file`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetVersionCreatedByFileDetails {
    /// The dataset.
    pub dataset_id: i64,
    /// The version created.
    pub dataset_version_number: i64,
}

/// Details of `dataset_version_created_by_file_failed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetVersionCreatedByFileFailedDetails {
    /// The dataset.
    pub dataset_id: i64,
    /// Why the file could not be processed.
    pub error_message: String,
}

/// Details of `dataset_version_created_from_filter_params`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetVersionCreatedFromFilterParamsDetails {
    /// The dataset.
    pub dataset_id: i64,
    /// Rows in the new version.
    pub rows_added: i64,
    /// The version created.
    pub dataset_version_number: i64,
}

/// Details of `table_sheet_created_from_file`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSheetCreatedFromFileDetails {
    /// The import operation.
    pub operation_id: i64,
    /// The table (a UUID string).
    pub table_id: String,
    /// The sheet created (a UUID string).
    pub sheet_id: String,
    /// Where the rows came from: `file`.
    pub source: String,
    /// The uploaded file's name.
    pub file_name: String,
    /// Rows imported.
    pub rows_added: i64,
    /// Rows in the sheet.
    pub row_count: i64,
}

/// Details of `table_sheet_created_from_file_failed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSheetCreatedFromFileFailedDetails {
    /// The import operation.
    pub operation_id: i64,
    /// The table (a UUID string).
    pub table_id: String,
    /// The sheet (a UUID string).
    pub sheet_id: String,
    /// Where the rows were to come from: `file`.
    pub source: String,
    /// The uploaded file's name.
    pub file_name: String,
    /// Why the import failed.
    pub error_message: String,
}

/// Details of `table_sheet_created_from_request_history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSheetCreatedFromRequestHistoryDetails {
    /// The import operation.
    pub operation_id: i64,
    /// The table (a UUID string).
    pub table_id: String,
    /// The sheet created (a UUID string).
    pub sheet_id: String,
    /// Where the rows came from: `request_logs`.
    pub source: String,
    /// Rows imported.
    pub rows_added: i64,
    /// Rows in the sheet.
    pub row_count: i64,
}

/// Details of `table_sheet_created_from_request_history_failed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSheetCreatedFromRequestHistoryFailedDetails {
    /// The import operation.
    pub operation_id: i64,
    /// The table (a UUID string).
    pub table_id: String,
    /// The sheet (a UUID string).
    pub sheet_id: String,
    /// Where the rows were to come from: `request_logs`.
    pub source: String,
    /// Why the import failed.
    pub error_message: String,
}

/// Details of `skill_collection_files_changed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillCollectionFilesChangedDetails {
    /// The skill collection (a string id).
    pub skill_collection_id: String,
    /// What changed the files: `version_save` (other values are undocumented).
    pub source: String,
    /// The paths that changed.
    pub affected_paths: Vec<String>,
    /// The collection's version after the change.
    pub version_number: i64,
}

/// Writes a typed event: `event_type`, `details`, then the envelope's fields.
#[derive(Serialize)]
struct WireOut<'a, D> {
    event_type: &'a str,
    details: &'a D,
    #[serde(flatten)]
    envelope: &'a PromptLayerEnvelope,
}

macro_rules! promptlayer_events {
    ($( $(#[$doc:meta])* $variant:ident($wire:literal, $details:ty), )*) => {
        /// A PromptLayer webhook event.
        ///
        /// Each documented `event_type` is a variant carrying the shared
        /// [`PromptLayerEnvelope`] and that type's details, so a handler matches once and
        /// has both:
        ///
        /// ```
        /// use hookverify::events::PromptLayerEvent;
        ///
        /// let body = br#"{"event_type": "report_finished",
        ///     "details": {"report_id": 7, "report_name": "nightly"},
        ///     "user_id": 1, "workspace_id": 2, "timestamp": "2024-05-01T10:00:00"}"#;
        /// let event: PromptLayerEvent = serde_json::from_slice(body).unwrap();
        /// match &event {
        ///     PromptLayerEvent::ReportFinished(envelope, details) => {
        ///         assert_eq!((details.report_id, envelope.workspace_id), (7, 2));
        ///     }
        ///     other => panic!("unexpected {}", other.event_type()),
        /// }
        /// ```
        ///
        /// Deserializing never fails on a JSON object: an event type this version does not
        /// know, or a known type whose fields do not fit (a missing or retyped required
        /// field, an unparseable envelope), comes through as [`Unknown`](Self::Unknown)
        /// with the whole JSON value, after a `tracing` warning naming the type and the
        /// reason. Unknown fields are ignored. Serializing writes the same field names
        /// back (an `Unknown` event as it came), the timestamp in PromptLayer's naive form.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum PromptLayerEvent {
            $( $(#[$doc])* $variant(PromptLayerEnvelope, $details), )*
            /// An event type this version does not know, or a known type whose shape did
            /// not fit: the whole body as sent.
            Unknown(Value),
        }

        /// The wire names of the event types [`PromptLayerEvent`] has variants for.
        pub const PROMPTLAYER_EVENT_TYPES: &[&str] = &[$($wire),*];

        impl PromptLayerEvent {
            /// The wire name, e.g. `prompt_template_label_moved`; for
            /// [`Unknown`](Self::Unknown) the body's `event_type` string, or `unknown`.
            #[must_use]
            pub fn event_type(&self) -> &str {
                match self {
                    $( Self::$variant(..) => $wire, )*
                    Self::Unknown(raw) => raw
                        .get("event_type")
                        .and_then(Value::as_str)
                        .unwrap_or("unknown"),
                }
            }

            /// The user, workspace and time of the event; `None` for
            /// [`Unknown`](Self::Unknown).
            #[must_use]
            pub fn envelope(&self) -> Option<&PromptLayerEnvelope> {
                match self {
                    $( Self::$variant(envelope, _) => Some(envelope), )*
                    Self::Unknown(_) => None,
                }
            }

            /// Reads the typed variant for `event_type`; `Ok(None)` for a type not listed.
            fn typed(
                event_type: &str,
                body: &Content<'_>,
                members: &[(std::borrow::Cow<'_, str>, Content<'_>)],
            ) -> Result<Option<Self>, serde::de::value::Error> {
                let details = || {
                    content::member(members, "details")
                        .ok_or_else(|| de::Error::missing_field("details"))
                };
                let envelope = || content::read::<PromptLayerEnvelope>(body);
                Ok(Some(match event_type {
                    $( $wire => Self::$variant(envelope()?, content::read(details()?)?), )*
                    _ => return Ok(None),
                }))
            }
        }

        impl Serialize for PromptLayerEvent {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $( Self::$variant(envelope, details) => WireOut {
                        event_type: $wire,
                        details,
                        envelope,
                    }
                    .serialize(serializer), )*
                    Self::Unknown(raw) => raw.serialize(serializer),
                }
            }
        }
    };
}

promptlayer_events! {
    /// `prompt_template_version_created`: a new version of a prompt template.
    PromptTemplateVersionCreated("prompt_template_version_created", PromptTemplateVersionDetails),
    /// `prompt_template_name_changed`: a prompt template was renamed.
    PromptTemplateNameChanged("prompt_template_name_changed", PromptTemplateNameChangedDetails),
    /// `prompt_template_deleted`: a prompt template was deleted.
    PromptTemplateDeleted("prompt_template_deleted", PromptTemplateDeletedDetails),
    /// `prompt_template_label_created`: a release label was created.
    PromptTemplateLabelCreated("prompt_template_label_created", PromptTemplateLabelDetails),
    /// `prompt_template_label_deleted`: a release label was deleted.
    PromptTemplateLabelDeleted("prompt_template_label_deleted", PromptTemplateLabelDetails),
    /// `prompt_template_label_moved`: a release label moved to another version.
    PromptTemplateLabelMoved("prompt_template_label_moved", PromptTemplateLabelMovedDetails),
    /// `prompt_template_label_change_requested`: a label change awaits approval.
    PromptTemplateLabelChangeRequested(
        "prompt_template_label_change_requested",
        PromptTemplateLabelChangeDetails
    ),
    /// `prompt_template_label_change_approved`: a label change was approved.
    PromptTemplateLabelChangeApproved(
        "prompt_template_label_change_approved",
        PromptTemplateLabelChangeDetails
    ),
    /// `prompt_template_label_change_denied`: a label change was denied.
    PromptTemplateLabelChangeDenied(
        "prompt_template_label_change_denied",
        PromptTemplateLabelChangeDetails
    ),
    /// `prompt_template_updated`: a snippet the template imports changed.
    PromptTemplateUpdated("prompt_template_updated", PromptTemplateVersionDetails),
    /// `agent_run_finished`: an agent (workflow) run completed; may fire more than once
    /// per execution.
    AgentRunFinished("agent_run_finished", AgentRunFinishedDetails),
    /// `report_finished`: an evaluation report completed.
    ReportFinished("report_finished", ReportFinishedDetails),
    /// `dataset_version_created_by_file`: a dataset version was created from an upload.
    DatasetVersionCreatedByFile(
        "dataset_version_created_by_file",
        DatasetVersionCreatedByFileDetails
    ),
    /// `dataset_version_created_by_file_failed`: processing an uploaded file failed.
    DatasetVersionCreatedByFileFailed(
        "dataset_version_created_by_file_failed",
        DatasetVersionCreatedByFileFailedDetails
    ),
    /// `dataset_version_created_from_filter_params`: a dataset version was created from
    /// filter parameters.
    DatasetVersionCreatedFromFilterParams(
        "dataset_version_created_from_filter_params",
        DatasetVersionCreatedFromFilterParamsDetails
    ),
    /// `table_sheet_created_from_file`: a table sheet was created from a file.
    TableSheetCreatedFromFile("table_sheet_created_from_file", TableSheetCreatedFromFileDetails),
    /// `table_sheet_created_from_file_failed`: creating a sheet from a file failed.
    TableSheetCreatedFromFileFailed(
        "table_sheet_created_from_file_failed",
        TableSheetCreatedFromFileFailedDetails
    ),
    /// `table_sheet_created_from_request_history`: a sheet was created from request logs.
    TableSheetCreatedFromRequestHistory(
        "table_sheet_created_from_request_history",
        TableSheetCreatedFromRequestHistoryDetails
    ),
    /// `table_sheet_created_from_request_history_failed`: creating a sheet from request
    /// logs failed.
    TableSheetCreatedFromRequestHistoryFailed(
        "table_sheet_created_from_request_history_failed",
        TableSheetCreatedFromRequestHistoryFailedDetails
    ),
    /// `skill_collection_files_changed`: files of a skill collection changed.
    SkillCollectionFilesChanged(
        "skill_collection_files_changed",
        SkillCollectionFilesChangedDetails
    ),
}

impl PromptLayerEvent {
    /// The whole body, for [`Unknown`](Self::Unknown); `None` for a typed event.
    #[must_use]
    pub fn raw(&self) -> Option<&Value> {
        match self {
            Self::Unknown(raw) => Some(raw),
            _ => None,
        }
    }

    /// Whether this is [`Unknown`](Self::Unknown).
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Unknown(_))
    }
}

impl<'de> Deserialize<'de> for PromptLayerEvent {
    /// Never fails on a JSON object (see the type's docs); anything else is an error.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let body = content::object(deserializer, "a PromptLayer event object")?;
        let members = body.as_map().unwrap_or_default();
        let event_type = content::member(members, "event_type").and_then(Content::as_str);
        let outcome = match event_type {
            Some(event_type) => Self::typed(event_type, &body, members),
            None => Ok(None),
        };
        match outcome {
            Ok(Some(event)) => return Ok(event),
            Ok(None) => content::warn_unknown("PromptLayer", event_type, None),
            Err(error) => content::warn_unknown("PromptLayer", event_type, Some(&error)),
        }
        Ok(Self::Unknown(body.into_value()))
    }
}
