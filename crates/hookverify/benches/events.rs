//! Typed event parsing against the untyped baseline.
//!
//! The PromptLayer example payload of the docs (providers.md), parsed from the same bytes
//! into `PromptLayerEvent` and into `serde_json::Value`, in the same run. The typed parse
//! buffers the body once (borrowing its strings), reads the typed shape from the buffer and
//! falls back to a `Value` only when the shape does not fit; the fallback is measured too.
//!
//! Run: `cargo bench -p hookverify --bench events -- --warm-up-time 1 --measurement-time 3`
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hookverify::events::PromptLayerEvent;
use serde_json::Value;

/// providers.md's PromptLayer example, byte for byte.
const DOCS_EXAMPLE: &[u8] = br#"{"event_type": "prompt_template_label_moved",
 "details": {"prompt_template_id": 12, "prompt_template_name": "Hello",
             "prompt_template_version_number": 9, "old_prompt_template_version_number": 8,
             "prompt_template_label": "prod"},
 "user_id": 1, "user_name": "John Doe", "user_email": "john.doe@example.com",
 "workspace_id": 1, "timestamp": "2023-12-01T22:05:57.924833"}"#;

/// The same body with an event type this version does not know: the rare fallback path.
const UNKNOWN_TYPE: &[u8] = br#"{"event_type": "prompt_template_starred",
 "details": {"prompt_template_id": 12, "prompt_template_name": "Hello",
             "prompt_template_version_number": 9, "old_prompt_template_version_number": 8,
             "prompt_template_label": "prod"},
 "user_id": 1, "user_name": "John Doe", "user_email": "john.doe@example.com",
 "workspace_id": 1, "timestamp": "2023-12-01T22:05:57.924833"}"#;

fn promptlayer(c: &mut Criterion) {
    // the typed parse must really produce the typed variant, or the comparison is void
    let event: PromptLayerEvent = serde_json::from_slice(DOCS_EXAMPLE).unwrap();
    assert!(matches!(
        event,
        PromptLayerEvent::PromptTemplateLabelMoved(..)
    ));
    let unknown: PromptLayerEvent = serde_json::from_slice(UNKNOWN_TYPE).unwrap();
    assert!(unknown.is_unknown());

    let mut group = c.benchmark_group("promptlayer_docs_example");
    group.throughput(Throughput::Bytes(DOCS_EXAMPLE.len() as u64));
    group.bench_function("value", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(DOCS_EXAMPLE)).unwrap());
    });
    group.bench_function("typed", |b| {
        b.iter(|| serde_json::from_slice::<PromptLayerEvent>(black_box(DOCS_EXAMPLE)).unwrap());
    });
    group.bench_function("typed_unknown_fallback", |b| {
        b.iter(|| serde_json::from_slice::<PromptLayerEvent>(black_box(UNKNOWN_TYPE)).unwrap());
    });
    group.finish();
}

criterion_group!(benches, promptlayer);
criterion_main!(benches);
