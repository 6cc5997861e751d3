//! PromptReports events: `{"id", "type", "timestamp" | "createdAt", "apiVersion"?, "data",
//! "metadata"?}`.

use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use super::content::{self, Content};
use super::timestamp;

/// The fields every PromptReports event carries besides its type and data.
///
/// The sender's docs show two envelopes: `{"id", "type", "timestamp", "data", "metadata"}`
/// and `{"id", "type", "apiVersion", "createdAt", "data"}`. Both are accepted, and each
/// optional field is written back only when present, so either flavour round-trips. Times
/// are parsed leniently (RFC 3339, or naive ISO 8601 taken as UTC) and written as RFC 3339
/// in UTC (`2024-01-15T10:30:00Z`; fraction digits only when not zero).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptReportsEnvelope {
    /// The event id: the deduplication key ("events may be delivered more than once").
    pub id: String,
    /// `timestamp`, in the first flavour.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "timestamp::rfc3339::option"
    )]
    pub timestamp: Option<OffsetDateTime>,
    /// `createdAt`, in the API page's flavour.
    #[serde(
        rename = "createdAt",
        default,
        skip_serializing_if = "Option::is_none",
        with = "timestamp::rfc3339::option"
    )]
    pub created_at: Option<OffsetDateTime>,
    /// `apiVersion`, in the API page's flavour.
    #[serde(
        rename = "apiVersion",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub api_version: Option<String>,
    /// Additional context (folder and so on), when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

impl PromptReportsEnvelope {
    /// When the event happened: `timestamp`, else `createdAt`.
    #[must_use]
    pub fn occurred_at(&self) -> Option<OffsetDateTime> {
        self.timestamp.or(self.created_at)
    }
}

/// A PromptReports user, as in `promotedBy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptReportsUser {
    /// The user id, e.g. `usr_ghi012`.
    pub id: String,
    /// The user's name; written as `null` when `None`.
    pub name: Option<String>,
    /// The user's email; written as `null` when `None`.
    pub email: Option<String>,
}

/// The `data` of `version.promoted`, the one kind whose shape the docs give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionPromotedData {
    /// `promptId`.
    pub prompt_id: String,
    /// `promptName`.
    pub prompt_name: String,
    /// `versionId`.
    pub version_id: String,
    /// `versionNumber`.
    pub version_number: i64,
    /// `previousStage`, e.g. `staging`; `None` when `null` or absent (written as `null`).
    pub previous_stage: Option<String>,
    /// `newStage`, e.g. `production`.
    pub new_stage: String,
    /// `promotedBy`; `None` when `null` or absent (written as `null`).
    pub promoted_by: Option<PromptReportsUser>,
}

/// Writes an OffsetDateTime as RFC 3339.
struct Rfc3339Out(OffsetDateTime);

impl Serialize for Rfc3339Out {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        timestamp::rfc3339::serialize(&self.0, serializer)
    }
}

fn serialize_event<S: Serializer, D: Serialize + ?Sized>(
    serializer: S,
    event_type: &str,
    envelope: &PromptReportsEnvelope,
    data: &D,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(None)?;
    map.serialize_entry("id", &envelope.id)?;
    map.serialize_entry("type", event_type)?;
    if let Some(api_version) = &envelope.api_version {
        map.serialize_entry("apiVersion", api_version)?;
    }
    if let Some(at) = envelope.timestamp {
        map.serialize_entry("timestamp", &Rfc3339Out(at))?;
    }
    if let Some(at) = envelope.created_at {
        map.serialize_entry("createdAt", &Rfc3339Out(at))?;
    }
    map.serialize_entry("data", data)?;
    if let Some(metadata) = &envelope.metadata {
        map.serialize_entry("metadata", metadata)?;
    }
    map.end()
}

macro_rules! promptreports_events {
    ($( $(#[$doc:meta])* $variant:ident($wire:literal, $data:ty), )*) => {
        /// A PromptReports webhook event.
        ///
        /// Each documented `type` is a variant carrying the [`PromptReportsEnvelope`] and
        /// the event's `data`: typed where the docs give its shape (`version.promoted`),
        /// otherwise a `serde_json::Value`.
        ///
        /// ```
        /// use hookverify::events::PromptReportsEvent;
        ///
        /// let body = br#"{"id": "evt_1", "type": "evaluation.completed",
        ///     "createdAt": "2024-01-15T10:30:00.000Z", "data": {"score": 0.9}}"#;
        /// let event: PromptReportsEvent = serde_json::from_slice(body).unwrap();
        /// match &event {
        ///     PromptReportsEvent::EvaluationCompleted(envelope, data) => {
        ///         assert_eq!(envelope.id, "evt_1");
        ///         assert_eq!(data["score"], 0.9);
        ///     }
        ///     other => panic!("unexpected {}", other.event_type()),
        /// }
        /// ```
        ///
        /// Deserializing never fails on a JSON object: an unknown `type`, or a known one
        /// whose fields do not fit, comes through as [`Unknown`](Self::Unknown) with the
        /// whole body, after a `tracing` warning. Serializing writes the same field names
        /// back, an `Unknown` event as it came.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum PromptReportsEvent {
            $( $(#[$doc])* $variant(PromptReportsEnvelope, $data), )*
            /// An unknown `type`, or a known one whose shape did not fit: the whole body.
            Unknown(Value),
        }

        /// The wire names of the event types [`PromptReportsEvent`] has variants for.
        pub const PROMPTREPORTS_EVENT_TYPES: &[&str] = &[$($wire),*];

        impl PromptReportsEvent {
            /// The wire name, e.g. `version.promoted`; for [`Unknown`](Self::Unknown) the
            /// body's `type` string, or `unknown`.
            #[must_use]
            pub fn event_type(&self) -> &str {
                match self {
                    $( Self::$variant(..) => $wire, )*
                    Self::Unknown(raw) => raw.get("type").and_then(Value::as_str).unwrap_or("unknown"),
                }
            }

            /// The id, time, version and metadata; `None` for [`Unknown`](Self::Unknown).
            #[must_use]
            pub fn envelope(&self) -> Option<&PromptReportsEnvelope> {
                match self {
                    $( Self::$variant(envelope, _) => Some(envelope), )*
                    Self::Unknown(_) => None,
                }
            }

            fn typed(
                event_type: &str,
                body: &Content<'_>,
                members: &[(std::borrow::Cow<'_, str>, Content<'_>)],
            ) -> Result<Option<Self>, de::value::Error> {
                let data = || {
                    content::member(members, "data")
                        .ok_or_else(|| de::Error::missing_field("data"))
                };
                let envelope = || content::read::<PromptReportsEnvelope>(body);
                Ok(Some(match event_type {
                    $( $wire => Self::$variant(envelope()?, content::read(data()?)?), )*
                    _ => return Ok(None),
                }))
            }
        }

        impl Serialize for PromptReportsEvent {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $( Self::$variant(envelope, data) =>
                        serialize_event(serializer, $wire, envelope, data), )*
                    Self::Unknown(raw) => raw.serialize(serializer),
                }
            }
        }
    };
}

promptreports_events! {
    /// `prompt.created`: a prompt was added to a folder.
    PromptCreated("prompt.created", Value),
    /// `prompt.updated`: draft changes were saved.
    PromptUpdated("prompt.updated", Value),
    /// `version.created`: a version was saved from a draft.
    VersionCreated("version.created", Value),
    /// `version.promoted`: a version moved to another stage.
    VersionPromoted("version.promoted", VersionPromotedData),
    /// `evaluation.started`: a batch evaluation started.
    EvaluationStarted("evaluation.started", Value),
    /// `evaluation.completed`: an evaluation finished.
    EvaluationCompleted("evaluation.completed", Value),
    /// `approval.requested`: someone requested promotion approval.
    ApprovalRequested("approval.requested", Value),
    /// `approval.completed`: an approver accepted or rejected a request.
    ApprovalCompleted("approval.completed", Value),
    /// `report.completed` (listed on the API page only).
    ReportCompleted("report.completed", Value),
}

impl PromptReportsEvent {
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

impl<'de> Deserialize<'de> for PromptReportsEvent {
    /// Never fails on a JSON object (see the type's docs); anything else is an error.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let body = content::object(deserializer, "a PromptReports event object")?;
        let members = body.as_map().unwrap_or_default();
        let event_type = content::member(members, "type").and_then(Content::as_str);
        let outcome = match event_type {
            Some(event_type) => Self::typed(event_type, &body, members),
            None => Ok(None),
        };
        match outcome {
            Ok(Some(event)) => return Ok(event),
            Ok(None) => content::warn_unknown("PromptReports", event_type, None),
            Err(error) => content::warn_unknown("PromptReports", event_type, Some(&error)),
        }
        Ok(Self::Unknown(body.into_value()))
    }
}
