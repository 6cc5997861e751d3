//! What every open-ended event type shares: a typed envelope when the body is in it, the
//! whole body otherwise.

/// Implements, for `enum $event { Known($payload), Unknown(Value) }` whose payload has an
/// `event_type` field read from `type`: the accessors, `Serialize` (the payload, or the body
/// as it came) and a `Deserialize` that never fails on a JSON object.
macro_rules! known_or_unknown {
    ($event:ident, $payload:ty, $sender:literal) => {
        impl $event {
            /// The `type`; for [`Unknown`](Self::Unknown) the body's `type` string, or
            /// `unknown`.
            #[must_use]
            pub fn event_type(&self) -> &str {
                match self {
                    Self::Known(payload) => &payload.event_type,
                    Self::Unknown(raw) => raw
                        .get("type")
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or("unknown"),
                }
            }

            /// The typed envelope, unless [`Unknown`](Self::Unknown).
            #[must_use]
            pub fn payload(&self) -> Option<&$payload> {
                match self {
                    Self::Known(payload) => Some(payload),
                    Self::Unknown(_) => None,
                }
            }

            /// The whole body, for [`Unknown`](Self::Unknown); `None` for a typed event.
            #[must_use]
            pub fn raw(&self) -> Option<&serde_json::Value> {
                match self {
                    Self::Unknown(raw) => Some(raw),
                    Self::Known(_) => None,
                }
            }

            /// Parses a body: straight into the payload when it fits, as nearly every
            /// delivery does (no buffering of the document first), else through
            /// `Deserialize`. The same event either way, except that members the payload
            /// does not model are skipped unchecked: a body whose only fault is there (a
            /// lone surrogate escape, a number beyond `f64`, both of which Python's
            /// `json.loads` accepts) is the typed event here, where buffering it first
            /// would be an error.
            pub(crate) fn from_body(body: &[u8]) -> Result<Self, serde_json::Error> {
                if body.trim_ascii_start().starts_with(b"{") {
                    if let Ok(payload) = serde_json::from_slice::<$payload>(body) {
                        return Ok(Self::Known(payload));
                    }
                }
                serde_json::from_slice(body)
            }

            /// Whether this is [`Unknown`](Self::Unknown).
            #[must_use]
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl serde::Serialize for $event {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    Self::Known(payload) => payload.serialize(serializer),
                    Self::Unknown(raw) => raw.serialize(serializer),
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $event {
            /// Never fails on a JSON object (see the type's docs); anything else is an error.
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                use $crate::events::content::{self, Content};
                let body = content::object(deserializer, "a webhook event object")?;
                match content::read::<$payload>(&body) {
                    Ok(payload) => Ok(Self::Known(payload)),
                    Err(error) => {
                        let members = body.as_map().unwrap_or_default();
                        let event_type = content::member(members, "type").and_then(Content::as_str);
                        content::warn_unknown($sender, event_type, Some(&error));
                        Ok(Self::Unknown(body.into_value()))
                    }
                }
            }
        }
    };
}

pub(crate) use known_or_unknown;
