//! Timestamps as the senders write them.
//!
//! Parsing is lenient and shared by every provider: RFC 3339 (`…Z`, `…+02:00`, any number
//! of fraction digits), or a naive ISO 8601 date-time as Python's `isoformat()` writes it
//! (`2023-12-01T22:05:57` or `2023-12-01T22:05:57.924833`, `T` or a space between date and
//! time), which is taken as UTC. Every parsed value is converted to UTC.
//!
//! Writing depends on the sender: PromptLayer's naive form ([`naive_utc`]) or RFC 3339
//! ([`rfc3339`]).

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};
use time::format_description::well_known::{Iso8601, Rfc3339};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

const NAIVE_PARSE: &[BorrowedFormatItem<'_>] = format_description!(
    "[year]-[month]-[day][first [T] [t] [ ]][hour]:[minute]:[second][optional [.[subsecond]]]"
);
const NAIVE_SECONDS: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
const NAIVE_MICROS: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]");

/// Parses a sender's timestamp (see the module docs), in UTC.
pub(crate) fn parse(s: &str) -> Option<OffsetDateTime> {
    let parsed = OffsetDateTime::parse(s, &Rfc3339)
        .or_else(|_| PrimitiveDateTime::parse(s, NAIVE_PARSE).map(PrimitiveDateTime::assume_utc))
        .or_else(|_| OffsetDateTime::parse(s, &Iso8601::PARSING))
        .ok()?;
    parsed.checked_to_offset(UtcOffset::UTC)
}

/// Writes `at` in UTC the way Python's `datetime.isoformat()` writes a naive date-time:
/// `YYYY-MM-DDTHH:MM:SS`, plus `.ffffff` (six digits, truncated to microseconds) when the
/// microsecond is not zero. No offset.
pub(crate) fn format_naive_utc(at: OffsetDateTime) -> Option<String> {
    let utc = at.checked_to_offset(UtcOffset::UTC)?;
    let format = if utc.microsecond() == 0 {
        NAIVE_SECONDS
    } else {
        NAIVE_MICROS
    };
    // `[subsecond digits:6]` truncates the nanoseconds.
    utc.format(format).ok()
}

struct TimestampVisitor;

impl Visitor<'_> for TimestampVisitor {
    type Value = OffsetDateTime;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an ISO 8601 timestamp, naive (taken as UTC) or with an offset")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        parse(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
    }
}

fn deserialize_any_form<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
    d.deserialize_str(TimestampVisitor)
}

/// Serde `with` module: lenient parse; writes PromptLayer's naive UTC form.
pub(crate) mod naive_utc {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(at: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        match format_naive_utc(*at) {
            Some(text) => s.serialize_str(&text),
            None => Err(serde::ser::Error::custom(
                "timestamp out of range for the naive UTC form",
            )),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        deserialize_any_form(d)
    }
}

/// Serde `with` module: lenient parse; writes RFC 3339 in UTC (`…Z`).
pub(crate) mod rfc3339 {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(at: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        at.checked_to_offset(UtcOffset::UTC)
            .and_then(|utc| utc.format(&Rfc3339).ok())
            .map_or_else(
                || {
                    Err(serde::ser::Error::custom(
                        "timestamp out of range for RFC 3339",
                    ))
                },
                |text| s.serialize_str(&text),
            )
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        deserialize_any_form(d)
    }

    /// The same, for an `Option` field (absent or `null` is `None`).
    pub(crate) mod option {
        use super::*;

        pub(crate) fn serialize<S: Serializer>(
            at: &Option<OffsetDateTime>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => super::serialize(at, s),
                None => s.serialize_none(),
            }
        }

        pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<OffsetDateTime>, D::Error> {
            struct OptionVisitor;
            impl<'de> Visitor<'de> for OptionVisitor {
                type Value = Option<OffsetDateTime>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("an ISO 8601 timestamp or null")
                }
                fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                    Ok(None)
                }
                fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                    Ok(None)
                }
                fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                    deserialize_any_form(d).map(Some)
                }
            }
            d.deserialize_option(OptionVisitor)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn parses_python_naive_forms_as_utc() {
        assert_eq!(
            parse("2023-12-01T22:05:57.924833"),
            Some(datetime!(2023-12-01 22:05:57.924833 UTC))
        );
        assert_eq!(
            parse("2023-12-01T22:05:57"),
            Some(datetime!(2023-12-01 22:05:57 UTC))
        );
        assert_eq!(
            parse("2023-12-01 22:05:57.5"),
            Some(datetime!(2023-12-01 22:05:57.5 UTC))
        );
    }

    #[test]
    fn parses_explicit_offsets_and_converts_to_utc() {
        assert_eq!(
            parse("2023-12-01T22:05:57Z"),
            Some(datetime!(2023-12-01 22:05:57 UTC))
        );
        assert_eq!(
            parse("2023-12-01T22:05:57.924833+00:00"),
            Some(datetime!(2023-12-01 22:05:57.924833 UTC))
        );
        let shifted = parse("2023-12-02T00:05:57+02:00").unwrap();
        assert_eq!(shifted, datetime!(2023-12-01 22:05:57 UTC));
        assert_eq!(shifted.offset(), UtcOffset::UTC);
    }

    #[test]
    fn rejects_what_is_not_a_timestamp() {
        for bad in [
            "",
            "yesterday",
            "2023-12-01",
            "2023-13-01T00:00:00",
            "1701468357",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn writes_the_naive_form_like_isoformat() {
        let micros = datetime!(2023-12-01 22:05:57.924833 UTC);
        assert_eq!(
            format_naive_utc(micros).as_deref(),
            Some("2023-12-01T22:05:57.924833")
        );
        let whole = datetime!(2023-12-01 22:05:57 UTC);
        assert_eq!(
            format_naive_utc(whole).as_deref(),
            Some("2023-12-01T22:05:57")
        );
        // sub-microsecond precision is truncated, as Python cannot hold it
        let nanos = datetime!(2023-12-01 22:05:57.000000999 UTC);
        assert_eq!(
            format_naive_utc(nanos).as_deref(),
            Some("2023-12-01T22:05:57")
        );
        // another offset is written in UTC
        let shifted = datetime!(2023-12-02 00:05:57 +02:00);
        assert_eq!(
            format_naive_utc(shifted).as_deref(),
            Some("2023-12-01T22:05:57")
        );
    }
}
