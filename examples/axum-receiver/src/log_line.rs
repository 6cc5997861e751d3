//! The receivers' log line, one per event:
//!
//! ```text
//! 2026-11-29T23:40:01.123456Z  INFO axum_receiver: webhook processed provider="generic" event_type="user.created" dedup_key="receiver:generic:id:evt_1"
//! ```
//!
//! `tracing-subscriber`'s full format (time, level, the spans with their fields, target,
//! fields), written with fewer steps: a text field is copied between quotes (it goes
//! through `core::fmt` only when it holds a quote, a backslash or anything but printable
//! ASCII, which is then escaped as `Debug` escapes it), the time is laid out digit by
//! digit, and nothing is styled unless the log goes to a terminal. A busy receiver writes a
//! line per delivery, and the default format cost about as much as the event's handler.
//!
//! A sender chooses its event type, so a value must not be able to pass for anything else
//! on the line. Text is quoted as the default format quotes it, so `a b=c` cannot add a
//! field; line breaks, escape sequences, U+2028 and bidirectional overrides are escaped;
//! and control characters are escaped in every other value too, not only in the message
//! as the default format does, so a value cannot forge a second line.
//!
//! ```text
//! tracing_subscriber::fmt().with_ansi(ansi).event_format(LineFormat).fmt_fields(LineFields)
//! ```

use std::fmt::{self, Write as _};
use std::time::SystemTime;

use time::OffsetDateTime;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// Formats an event as one line (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct LineFormat;

/// Formats the fields of events and spans as `name=value`, the message first and bare.
#[derive(Debug, Clone, Copy, Default)]
pub struct LineFields;

impl<S, N> FormatEvent<S, N> for LineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let ansi = writer.has_ansi_escapes();
        write_time(&mut writer, SystemTime::now())?;
        writer.write_char(' ')?;
        let level = *event.metadata().level();
        if ansi {
            writer.write_str(colour(level))?;
            writer.write_str(level_text(level))?;
            writer.write_str("\x1b[0m ")?;
        } else {
            writer.write_str(level_text(level))?;
            writer.write_char(' ')?;
        }
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                writer.write_str(span.name())?;
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>() {
                    if !fields.is_empty() {
                        writer.write_char('{')?;
                        writer.write_str(fields)?;
                        writer.write_char('}')?;
                    }
                }
                writer.write_char(':')?;
            }
            writer.write_char(' ')?;
        }
        writer.write_str(event.metadata().target())?;
        writer.write_str(": ")?;
        ctx.format_fields(writer.by_ref(), event)?;
        writer.write_char('\n')
    }
}

impl<'writer> FormatFields<'writer> for LineFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = Visitor {
            writer,
            result: Ok(()),
            first: true,
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct Visitor<'writer> {
    writer: Writer<'writer>,
    result: fmt::Result,
    first: bool,
}

impl Visitor<'_> {
    /// Writes ` name=` (or nothing but the separator for the message), then the value.
    fn field(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'_>) -> fmt::Result) {
        let name = field.name();
        // The `log` crate's metadata, which the line already shows.
        if self.result.is_err() || name.starts_with("log.") {
            return;
        }
        self.result = (|| {
            if !std::mem::take(&mut self.first) {
                self.writer.write_char(' ')?;
            }
            if name != "message" {
                self.writer
                    .write_str(name.strip_prefix("r#").unwrap_or(name))?;
                self.writer.write_char('=')?;
            }
            value(&mut self.writer)
        })();
    }
}

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.field(field, |writer| Escaped(writer).write_str(value));
        } else {
            self.field(field, |writer| quoted(writer, value));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.field(field, |writer| write!(Escaped(writer), "{value:?}"));
    }
}

/// Passes text through, with control characters (line breaks, escape sequences) written
/// as escapes.
struct Escaped<'a, 'writer>(&'a mut Writer<'writer>);

impl fmt::Write for Escaped<'_, '_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        if !may_hold_control(text) {
            return self.0.write_str(text);
        }
        for ch in text.chars() {
            if ch.is_control() {
                write!(self.0, "{}", ch.escape_default())?;
            } else {
                self.0.write_char(ch)?;
            }
        }
        Ok(())
    }
}

/// `"text"`, escaped as `Debug` escapes a string when it holds anything but printable
/// ASCII other than `"` and `\\`.
fn quoted(writer: &mut Writer<'_>, text: &str) -> fmt::Result {
    // Byte by byte without stopping early, like `may_hold_control`.
    let plain = text.bytes().fold(true, |plain, byte| {
        plain & (0x20..0x7f).contains(&byte) & (byte != b'"') & (byte != b'\\')
    });
    if plain {
        writer.write_char('"')?;
        writer.write_str(text)?;
        writer.write_char('"')
    } else {
        write!(writer, "{text:?}")
    }
}

/// Whether `text` may hold a control character: a byte below 0x20, DEL, or 0xC2, which
/// starts the UTF-8 of U+0080 to U+00BF (the C1 controls among them). Byte by byte without
/// stopping early, which the compiler turns into wide compares: most lines have none, and
/// decoding every character to ask cost more than the rest of the line.
fn may_hold_control(text: &str) -> bool {
    text.bytes().fold(false, |found, byte| {
        found | (byte < 0x20) | (byte == 0x7f) | (byte == 0xc2)
    })
}

/// `2026-11-29T23:40:01.123456Z`, as the default format writes the time.
fn write_time(writer: &mut Writer<'_>, now: SystemTime) -> fmt::Result {
    let time = OffsetDateTime::from(now);
    let (year, month, day) = time.to_calendar_date();
    let (hour, minute, second, micro) = time.to_hms_micro();
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    digits(&mut text[0..4], u32::try_from(year).unwrap_or(0));
    digits(&mut text[5..7], u32::from(u8::from(month)));
    digits(&mut text[8..10], u32::from(day));
    digits(&mut text[11..13], u32::from(hour));
    digits(&mut text[14..16], u32::from(minute));
    digits(&mut text[17..19], u32::from(second));
    digits(&mut text[20..26], micro);
    writer.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
}

/// Writes `value`'s last `out.len()` decimal digits, zero-padded.
fn digits(out: &mut [u8], mut value: u32) {
    for digit in out.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

fn level_text(level: Level) -> &'static str {
    match level {
        Level::ERROR => "ERROR",
        Level::WARN => " WARN",
        Level::INFO => " INFO",
        Level::DEBUG => "DEBUG",
        Level::TRACE => "TRACE",
    }
}

/// The colour the default format gives each level on a terminal.
fn colour(level: Level) -> &'static str {
    match level {
        Level::ERROR => "\x1b[31m",
        Level::WARN => "\x1b[33m",
        Level::INFO => "\x1b[32m",
        Level::DEBUG => "\x1b[34m",
        Level::TRACE => "\x1b[35m",
    }
}

/// What the receivers log, captured in memory for their tests.
#[cfg(test)]
pub(crate) mod captured {
    use std::sync::{Arc, Mutex};

    use tracing::Level;
    use tracing_subscriber::fmt::MakeWriter;

    use super::{LineFields, LineFormat};

    /// Lines written to memory.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Lines {
        type Writer = Lines;
        fn make_writer(&'a self) -> Lines {
            self.clone()
        }
    }

    /// Runs `log` with the receivers' line format (debug and above, coloured if `ansi`)
    /// writing to memory: its result, and the text logged.
    pub(crate) fn lines<R>(ansi: bool, log: impl FnOnce() -> R) -> (R, String) {
        let lines = Lines::default();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(ansi)
            .event_format(LineFormat)
            .fmt_fields(LineFields)
            .with_max_level(Level::DEBUG)
            .with_writer(lines.clone())
            .finish();
        let result = tracing::subscriber::with_default(subscriber, log);
        let text = lines.0.lock().unwrap().clone();
        (result, String::from_utf8(text).unwrap())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn logged(ansi: bool, log: impl FnOnce()) -> String {
        captured::lines(ansi, log).1
    }

    /// The line without its time, which is checked apart.
    fn after_time(line: &str) -> &str {
        let (time, rest) = line.split_at(27);
        assert!(
            OffsetDateTime::parse(time, &time::format_description::well_known::Rfc3339).is_ok(),
            "{line}"
        );
        rest
    }

    #[test]
    fn a_line_has_the_time_level_target_message_and_fields() {
        let text = logged(false, || {
            let event_type = "user.created".to_owned();
            tracing::info!(
                provider = "generic",
                event_type = event_type.as_str(),
                attempt = 2,
                r#type = ?Some("debug"),
                "webhook processed"
            );
        });
        assert_eq!(
            after_time(&text),
            format!(
                "  INFO {}: webhook processed provider=\"generic\" event_type=\"user.created\" \
                 attempt=2 type=Some(\"debug\")\n",
                module_path!()
            )
        );
    }

    #[test]
    fn spans_and_their_fields_come_before_the_target() {
        let text = logged(false, || {
            let span = tracing::debug_span!("webhook", provider = "prism", key = 7);
            let _entered = span.enter();
            tracing::warn!(reason = "mismatch", "refused");
        });
        assert_eq!(
            after_time(&text),
            format!(
                "  WARN webhook{{provider=\"prism\" key=7}}: {}: refused reason=\"mismatch\"\n",
                module_path!()
            )
        );
    }

    #[test]
    fn control_characters_in_any_value_are_escaped_so_a_value_cannot_forge_a_line() {
        let text = logged(false, || {
            let forged = "a\n2026-01-01T00:00:00.000000Z  INFO forged: line\x1b[2J";
            tracing::info!(event_type = forged, shown = %forged, "webhook processed");
        });
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(
            text.contains(
                "event_type=\"a\\n2026-01-01T00:00:00.000000Z  INFO forged: line\\u{1b}[2J\""
            ),
            "{text}"
        );
        assert!(
            text.contains("shown=a\\n2026-01-01T00:00:00.000000Z  INFO forged: line\\u{1b}[2J"),
            "{text}"
        );
        assert!(!text.contains('\x1b'), "{text}");
    }

    #[test]
    fn c1_controls_are_escaped_and_other_text_is_kept() {
        let value = "caf\u{e9} \u{85}next \u{a0}\u{9f}";
        let text = logged(false, || {
            tracing::info!(event_type = value, shown = %value, "webhook processed");
        });
        // Text values as `Debug` writes them; others with only their controls escaped.
        assert!(
            text.contains(
                "event_type=\"caf\u{e9} \\u{85}next \\u{a0}\\u{9f}\" \
                 shown=caf\u{e9} \\u{85}next \u{a0}\\u{9f}\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_text_value_cannot_pass_for_another_field_or_an_escape() {
        let text = logged(false, || {
            tracing::info!(
                event_type = "x dedup_key=forged provider=\"github\"",
                literal = "a\\nb",
                separators = "\u{2028}\u{2029}\u{202e}",
                "webhook processed"
            );
        });
        assert!(
            text.contains(
                r#"event_type="x dedup_key=forged provider=\"github\"" literal="a\\nb" separators="\u{2028}\u{2029}\u{202e}""#
            ),
            "{text}"
        );
        assert!(
            !text.contains('\u{2028}') && !text.contains('\u{202e}'),
            "{text}"
        );
    }

    #[test]
    fn the_level_is_coloured_only_for_a_terminal() {
        let text = logged(true, || tracing::error!("failed"));
        assert_eq!(
            after_time(&text),
            format!(" \x1b[31mERROR\x1b[0m {}: failed\n", module_path!())
        );
    }

    #[test]
    fn the_time_is_laid_out_as_rfc_3339_in_utc_with_microseconds() {
        let mut text = String::new();
        for (since_epoch, expected) in [
            (Duration::ZERO, "1970-01-01T00:00:00.000000Z"),
            (
                Duration::new(1_795_910_401, 123_456_789),
                "2026-11-29T00:00:01.123456Z",
            ),
            (
                Duration::new(951_868_799, 999_999_999),
                "2000-02-29T23:59:59.999999Z",
            ),
        ] {
            text.clear();
            write_time(
                &mut Writer::new(&mut text),
                SystemTime::UNIX_EPOCH + since_epoch,
            )
            .unwrap();
            assert_eq!(text, expected);
        }
    }
}
