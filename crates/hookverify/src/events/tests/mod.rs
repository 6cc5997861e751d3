//! Tests of the event types: round trips from the senders' documented payloads, and every
//! forward-compatibility case.

mod any;
mod generic;
mod prism;
mod promptlayer;
mod promptreports;

use std::fmt;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// Parses `body` as the real receivers do (from bytes) and returns the event and its
/// serialisation as a `Value`.
fn parse_and_write<T: DeserializeOwned + Serialize>(body: &Value) -> (T, Value) {
    let bytes = serde_json::to_vec(body).unwrap();
    let event: T = serde_json::from_slice(&bytes).unwrap();
    let written = serde_json::to_value(&event).unwrap();
    (event, written)
}

/// The warnings emitted while `f` runs, each as `level message field=value…`.
pub(crate) fn warnings<R>(f: impl FnOnce() -> R) -> (R, Vec<String>) {
    let subscriber = Capture::default();
    let lines = Arc::clone(&subscriber.lines);
    let result = tracing::subscriber::with_default(subscriber, f);
    let lines = lines.lock().unwrap().clone();
    (result, lines)
}

/// A minimal subscriber recording `WARN` events (the crate has no subscriber crate to use).
#[derive(Default)]
struct Capture {
    lines: Arc<Mutex<Vec<String>>>,
}

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        use fmt::Write;
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        use fmt::Write;
        let _ = write!(self.0, " {}={}", field.name(), value);
    }
}

impl Subscriber for Capture {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= Level::WARN
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = Line(event.metadata().level().to_string());
        event.record(&mut line);
        self.lines.lock().unwrap().push(line.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn the_capture_subscriber_sees_warnings() {
    let ((), lines) = warnings(|| tracing::warn!(event_type = "x", "hello"));
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with("WARN"), "{lines:?}");
    assert!(lines[0].contains("event_type=x"), "{lines:?}");
}
