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
    if let Some(parsed) = parse_common(s.as_bytes()) {
        return Some(parsed);
    }
    let parsed = PrimitiveDateTime::parse(s, NAIVE_PARSE)
        .map(PrimitiveDateTime::assume_utc)
        .or_else(|_| OffsetDateTime::parse(s, &Rfc3339))
        .or_else(|_| OffsetDateTime::parse(s, &Iso8601::PARSING))
        .ok()?;
    parsed.checked_to_offset(UtcOffset::UTC)
}

/// The forms every sender here actually writes, parsed without a format description:
/// `YYYY-MM-DD(T| )HH:MM:SS`, an optional fraction of 1 to 9 digits, then nothing (UTC),
/// `Z`, or `±HH:MM`. Anything else (or an invalid date) is left to the general parsers.
fn parse_common(b: &[u8]) -> Option<OffsetDateTime> {
    fn digits(b: &[u8]) -> Option<u32> {
        b.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    }
    fn two(b: &[u8], at: usize) -> Option<u8> {
        u8::try_from(digits(b.get(at..at + 2)?)?).ok()
    }

    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let year = i32::try_from(digits(&b[0..4])?).ok()?;
    let month = time::Month::try_from(two(b, 5)?).ok()?;
    let date = time::Date::from_calendar_date(year, month, two(b, 8)?).ok()?;
    let (hour, minute, second) = (two(b, 11)?, two(b, 14)?, two(b, 17)?);

    let mut rest = &b[19..];
    let mut nanos = 0u32;
    if let Some(fraction) = rest.strip_prefix(b".") {
        let len = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 || len > 9 {
            return None;
        }
        nanos = digits(&fraction[..len])? * 10u32.pow(u32::try_from(9 - len).ok()?);
        rest = &fraction[len..];
    }
    let time = time::Time::from_hms_nano(hour, minute, second, nanos).ok()?;

    let offset = match rest {
        [] | [b'Z' | b'z'] => UtcOffset::UTC,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hours = i8::try_from(digits(&[*h1, *h2])?).ok()?;
            let minutes = i8::try_from(digits(&[*m1, *m2])?).ok()?;
            if hours > 23 {
                return None;
            }
            let sign = if *sign == b'-' { -1 } else { 1 };
            UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()?
        }
        _ => return None,
    };
    PrimitiveDateTime::new(date, time)
        .assume_offset(offset)
        .checked_to_offset(UtcOffset::UTC)
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
    fn the_fast_path_agrees_with_the_general_parsers() {
        for text in [
            "2023-12-01T22:05:57",
            "2023-12-01T22:05:57.9",
            "2023-12-01T22:05:57.924833",
            "2023-12-01T22:05:57.123456789",
            "2023-12-01 22:05:57.5",
            "2024-02-29T23:59:59Z",
            "2024-01-15T10:30:00.000Z",
            "2023-12-02T00:05:57+02:00",
            "2023-12-01T20:05:57.25-02:00",
            "0001-01-01T00:00:00",
            "9999-12-31T23:59:59.999999",
        ] {
            let fast = parse_common(text.as_bytes());
            let general = OffsetDateTime::parse(text, &Rfc3339)
                .or_else(|_| {
                    PrimitiveDateTime::parse(text, NAIVE_PARSE).map(PrimitiveDateTime::assume_utc)
                })
                .ok()
                .and_then(|at| at.checked_to_offset(UtcOffset::UTC));
            assert!(fast.is_some(), "{text}");
            assert_eq!(fast, general, "{text}");
        }
        for text in [
            "2023-02-29T00:00:00",
            "2023-12-01T24:00:00",
            "2023-12-01T22:05:57.",
            "2023-12-01T22:05:57.1234567890",
            "2023-12-01T22:05:57+0200",
            "2023-12-01T22:05:57 UTC",
            "2023-12-01T22:05",
            "+2023-12-01T22:05:57",
            "2023-12-01T22:05:57+24:00",
        ] {
            assert_eq!(parse_common(text.as_bytes()), None, "{text}");
        }
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
