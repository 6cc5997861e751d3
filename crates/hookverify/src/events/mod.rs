//! Typed webhook events, one type per built-in sender and [`AnyEvent`] over all of them.
//!
//! ```
//! use hookverify::events::{AnyEvent, PromptLayerEvent};
//! use hookverify::Provider;
//!
//! let body = br#"{"event_type": "prompt_template_label_moved",
//!  "details": {"prompt_template_id": 12, "prompt_template_name": "Hello",
//!              "prompt_template_version_number": 9, "old_prompt_template_version_number": 8,
//!              "prompt_template_label": "prod"},
//!  "user_id": 1, "user_name": "John Doe", "user_email": "john.doe@example.com",
//!  "workspace_id": 1, "timestamp": "2023-12-01T22:05:57.924833"}"#;
//!
//! let event: PromptLayerEvent = serde_json::from_slice(body).unwrap();
//! match &event {
//!     PromptLayerEvent::PromptTemplateLabelMoved(envelope, details) => {
//!         assert_eq!(details.prompt_template_label, "prod");
//!         assert_eq!(details.old_prompt_template_version_number, 8);
//!         assert_eq!(envelope.user_name.as_deref(), Some("John Doe"));
//!         assert_eq!(envelope.timestamp.unix_timestamp(), 1_701_468_357);
//!     }
//!     other => panic!("unexpected {}", other.event_type()),
//! }
//!
//! // An event type this version does not know still comes through, whole.
//! let newer = br#"{"event_type": "prompt_template_starred", "details": {}}"#;
//! let event = AnyEvent::parse(Provider::PROMPTLAYER, newer).unwrap();
//! assert_eq!(event.event_type(), "prompt_template_starred");
//! assert!(event.raw().is_some());
//! ```
//!
//! # Shape
//! Each provider type is an enum with one variant per documented event type. Where the
//! provider has an envelope, the variant carries it beside the typed details
//! (`PromptLayerEvent::ReportFinished(envelope, details)`), so one `match` gives both;
//! `envelope()` reaches it without matching. Every enum has an `Unknown(Value)` variant
//! and `event_type()` (the wire name), `raw()` and `is_unknown()`.
//!
//! # Forward compatibility
//! The provider types implement `Deserialize` by hand and never fail on a JSON object: an
//! unknown event type, or a known type whose fields do not fit (a required field missing
//! or of another type, an unparseable timestamp), comes through as `Unknown` holding the
//! whole body, and a `tracing` warning names the type and the reason. Extra fields are
//! ignored; missing optional fields are `None`. Only a body that is not a JSON object is
//! an error. The body is buffered once (borrowing its strings) and read as the typed
//! shape from that buffer, so the rare fallback costs no second parse.
//!
//! # Serialization
//! Typed events serialise to the same field names they were read from; an `Unknown`
//! event serialises as it came. PromptLayer's `timestamp` is written in its naive UTC
//! form (`2023-12-01T22:05:57.924833`, no fraction when the microsecond is zero);
//! PromptReports' and the generic times as RFC 3339 in UTC (`2024-01-15T10:30:00Z`).
//! Nullable fields that the sender always includes (`user_name`, `error_message`, …) are
//! written as `null` when `None`; PromptReports' optional envelope fields are left out.
//! Fields a typed event does not model are not kept, so writing it back drops them: when the
//! exact bytes matter (forwarding, archiving), keep the verified body instead.

mod any;
mod content;
mod generic;
mod github;
mod open;
mod prism;
mod promptlayer;
mod promptreports;
mod standard_webhooks;
mod stripe;
mod timestamp;

#[cfg(test)]
pub(crate) mod tests;

pub use any::AnyEvent;
pub use generic::{GenericEvent, GenericPayload};
pub use github::GitHubEvent;
pub use prism::{PrismEvent, PrismRequest, PrismTestEvent, PRISM_EVENT_TYPES};
pub use promptlayer::{
    AgentRunFinishedDetails, DatasetVersionCreatedByFileDetails,
    DatasetVersionCreatedByFileFailedDetails, DatasetVersionCreatedFromFilterParamsDetails,
    LabelChangeType, PromptLayerEnvelope, PromptLayerEvent, PromptTemplateDeletedDetails,
    PromptTemplateLabelChangeDetails, PromptTemplateLabelDetails, PromptTemplateLabelMovedDetails,
    PromptTemplateNameChangedDetails, PromptTemplateVersionDetails, ReportFinishedDetails,
    SkillCollectionFilesChangedDetails, TableSheetCreatedFromFileDetails,
    TableSheetCreatedFromFileFailedDetails, TableSheetCreatedFromRequestHistoryDetails,
    TableSheetCreatedFromRequestHistoryFailedDetails, PROMPTLAYER_EVENT_TYPES,
};
pub use promptreports::{
    PromptReportsEnvelope, PromptReportsEvent, PromptReportsUser, VersionPromotedData,
    PROMPTREPORTS_EVENT_TYPES,
};
pub use standard_webhooks::{StandardWebhooksEvent, StandardWebhooksPayload};
pub use stripe::{StripeEvent, StripeEventData, StripePayload};

/// The sender whose deliveries the event type `T` describes, for the typed sender events;
/// `None` for any other type (which takes every sender's deliveries).
pub(crate) fn sender_of<T: 'static>() -> Option<crate::Provider> {
    use std::any::TypeId;
    let id = TypeId::of::<T>();
    [
        (
            TypeId::of::<PromptLayerEvent>(),
            crate::Provider::PROMPTLAYER,
        ),
        (TypeId::of::<PrismEvent>(), crate::Provider::PRISM),
        (
            TypeId::of::<PromptReportsEvent>(),
            crate::Provider::PROMPTREPORTS,
        ),
        (TypeId::of::<GenericEvent>(), crate::Provider::GENERIC),
        (
            TypeId::of::<StandardWebhooksEvent>(),
            crate::Provider::STANDARD_WEBHOOKS,
        ),
        (TypeId::of::<StripeEvent>(), crate::Provider::STRIPE),
    ]
    .into_iter()
    .find_map(|(type_id, provider)| (type_id == id).then_some(provider))
}
