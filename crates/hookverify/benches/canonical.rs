//! The PromptLayer canonical path against the obvious alternative.
//!
//! For two payloads (the PromptLayer docs example and a ~16 KiB table/skill event built
//! below), compares:
//! - `verify`: `Verifier::verify` with a PromptLayer signature over the canonical form, on
//!   a body that is not already canonical, so the raw-body HMAC fails and the canonical path
//!   runs: the real cost a user pays;
//! - `canonical_hmac`: `canonical_json` followed by HMAC-SHA256 (no raw-body attempt);
//! - `serde_json_hmac`: the baseline, `serde_json::from_slice::<Value>` + `serde_json::to_vec`
//!   + HMAC-SHA256 with a prepared key (serde_json does not even produce CPython's bytes);
//! - `raw_hmac`: HMAC-SHA256 of the body alone, the floor.
//!
//! Run: `cargo bench -p hookverify --bench canonical -- --warm-up-time 1 --measurement-time 3`.
//! The payloads are also written to `target/canonical-payloads/` (with the expected
//! signature) for `benches/canonical_cpython.py`, which times CPython on the same bytes.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hmac::{Hmac, Mac};
use hookverify::canonical::canonical_json;
use hookverify::{testing, Provider, Secret, SignedForm, Verifier};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const SECRET: &str = "whsec_canonical_bench_secret";

/// The docs example as a Python sender posts it: `json.dumps(payload)`, insertion order.
const DOCS_EXAMPLE: &str = r#"{"event_type": "prompt_template_label_moved", "details": {"prompt_template_id": 12, "prompt_template_name": "Hello", "prompt_template_version_number": 9, "old_prompt_template_version_number": 8, "prompt_template_label": "prod"}, "user_id": 1, "user_name": "John Doe", "user_email": "john.doe@example.com", "workspace_id": 1, "timestamp": "2023-12-01T22:05:57.924833"}"#;

/// A ~16 KiB `skill_collection_files_changed` delivery as CPython's `json.dumps` writes it
/// (insertion order, `ensure_ascii` escapes), with many paths, per-file metadata, unicode
/// names and floats. Deterministic.
fn large_payload() -> String {
    const TEAMS: [&str; 6] = [
        "caf\\u00e9-ops",
        "m\\u00fcnchen",
        "\\u6570\\u636e",
        "support",
        "s\\u00e3o-paulo",
        "growth",
    ];
    const KINDS: [&str; 5] = [
        "prompt.md",
        "tools.json",
        "eval.yaml",
        "README.md",
        "schema.py",
    ];
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let path = |i: usize, r: u64| {
        format!(
            "skills/{}/{}-{}/v{}/{}",
            TEAMS[i % TEAMS.len()],
            [
                "r\\u00e9sum\\u00e9",
                "triage",
                "summarize",
                "\\u7ffb\\u8bd1",
                "routing"
            ][(r % 5) as usize],
            i,
            r % 17,
            KINDS[(r / 7 % 5) as usize]
        )
    };
    let mut paths = Vec::new();
    for i in 0..110 {
        paths.push(format!("\"{}\"", path(i, next())));
    }
    let mut files = Vec::new();
    for i in 0..50 {
        let r = next();
        files.push(format!(
            "{{\"path\": \"{}\", \"size_bytes\": {}, \"sha256\": \"{:016x}{:016x}\", \"score\": {}, \"tokens\": {}, \"changed\": {}, \"reviewer\": {}}}",
            path(i, r),
            r % 200_000,
            next(),
            next(),
            (r % 10_000) as f64 / 10_000.0,
            r % 9000,
            if r % 3 == 0 { "true" } else { "false" },
            if r % 4 == 0 { "null".to_owned() } else { format!("\"Jos\\u00e9 {}\"", r % 100) }
        ));
    }
    let mut body = String::new();
    write!(
        body,
        "{{\"event_type\": \"skill_collection_files_changed\", \"details\": {{\"skill_collection_id\": \"sc_9f2c1e7a-5b3d-4c8e-a1f0-7d6b2e9c4a11\", \"source\": \"version_save\", \"affected_paths\": [{}], \"version_number\": 42, \"files\": [{}], \"metadata\": {{\"client\": {{\"name\": \"promptlayer-python\", \"version\": \"1.4.2\", \"python\": \"3.11.7\"}}, \"latency_ms\": 183.25, \"cost_usd\": 0.0031, \"ratio\": 1e-05, \"tags\": [\"prod\", \"\\u00e9t\\u00e9\", \"\\ud83d\\ude80 launch\"], \"retries\": 0, \"note\": \"Saved by \\\"Ren\\u00e9e\\\" \\u2014 see /docs\\n\"}}}}, \"user_id\": 1, \"user_name\": \"Jos\\u00e9 Mar\\u00eda\", \"user_email\": \"jose@example.com\", \"workspace_id\": 7, \"timestamp\": \"2025-11-03T09:14:27.513402\"}}",
        paths.join(", "),
        files.join(", ")
    )
    .unwrap();
    body
}

fn payload_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    target.join("canonical-payloads")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn bench_payload(c: &mut Criterion, name: &str, body: &str) {
    let secret = Secret::new(SECRET).unwrap();
    let verifier = Verifier::every_sender(secret.clone())
        .providers([Provider::PROMPTLAYER])
        .build();
    let signature = testing::sign(Provider::PROMPTLAYER, &secret, body.as_bytes()).unwrap();
    let headers = [(signature.name(), signature.value().to_owned())];
    let body_bytes = Bytes::from(body.to_owned());

    // The path under test really is the canonical one, and its bytes are CPython's
    // (the Python script checks the signature written here).
    let verified = verifier.verify(&headers[..], body_bytes.clone()).unwrap();
    assert_eq!(verified.signed_form(), SignedForm::Canonical);
    let canonical = canonical_json(body.as_bytes()).unwrap();
    assert_ne!(canonical, body.as_bytes());
    let dir = payload_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.json")), body).unwrap();
    std::fs::write(dir.join(format!("{name}.sig")), signature.value()).unwrap();
    std::fs::write(dir.join("secret"), SECRET).unwrap();

    let key = HmacSha256::new_from_slice(SECRET.as_bytes()).unwrap();
    let mut group = c.benchmark_group(format!("canonical/{name}"));
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("verify", |b| {
        b.iter(|| {
            verifier
                .verify(black_box(&headers[..]), black_box(body_bytes.clone()))
                .unwrap()
        });
    });
    group.bench_function("canonical_hmac", |b| {
        b.iter(|| {
            let canonical = canonical_json(black_box(body.as_bytes())).unwrap();
            let mut mac = key.clone();
            mac.update(&canonical);
            mac.finalize().into_bytes()
        });
    });
    group.bench_function("serde_json_hmac", |b| {
        b.iter(|| {
            let value: serde_json::Value =
                serde_json::from_slice(black_box(body.as_bytes())).unwrap();
            let bytes = serde_json::to_vec(&value).unwrap();
            let mut mac = key.clone();
            mac.update(&bytes);
            mac.finalize().into_bytes()
        });
    });
    group.bench_function("raw_hmac", |b| {
        b.iter(|| {
            let mut mac = key.clone();
            mac.update(black_box(body.as_bytes()));
            mac.finalize().into_bytes()
        });
    });
    group.finish();
    eprintln!(
        "{name}: {} bytes, canonical form {} bytes, canonical HMAC {}",
        body.len(),
        canonical.len(),
        hex(&{
            let mut mac = key.clone();
            mac.update(&canonical);
            mac.finalize().into_bytes()
        })
    );
}

/// The cost of refusing a forged signature, per sender: PromptLayer must rebuild the
/// canonical form before it can tell; a raw-body sender hashes the body once. The bodies
/// are the attacker's choice, so the most expensive to canonicalise are measured.
fn forged(c: &mut Criterion) {
    let secret = Secret::new(SECRET).unwrap();
    let verifier = Verifier::new(secret);
    let floats = format!("[{}]", vec!["1e-7"; 190_000].join(","));
    let mixed = format!(
        "[{}]",
        vec![r#"{"b": 1.5, "a": [12345678, "text \u00e9", true, null], "c": -0.0001}"#; 15_000]
            .join(", ")
    );
    // 17 significant digits: no shortcut applies, every number is parsed and formatted.
    let long_floats = format!(
        "[{}]",
        (0..45_000u64)
            .map(|i| format!("{:.16e}", 1.0 + (i as f64) * 1.234_567_890_123_457e-7))
            .collect::<Vec<_>>()
            .join(",")
    );
    // One object whose keys come in reverse order: every key is sorted.
    let keys = format!(
        "{{{}}}",
        (0..75_000u32)
            .rev()
            .map(|i| format!("\"k{i:07}\":0"))
            .collect::<Vec<_>>()
            .join(",")
    );
    // Strings of non-ASCII text, each character written as a `\u` escape.
    let escapes = format!("[{}]", vec![r#""éééééééééé""#; 45_000].join(","));
    for (name, body) in [
        ("floats_1mib", floats),
        ("mixed_1mib", mixed),
        ("long_floats_1mib", long_floats),
        ("reversed_keys_1mib", keys),
        ("non_ascii_1mib", escapes),
    ] {
        let body = Bytes::from(body);
        let mut group = c.benchmark_group(format!("forged/{name}"));
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.sample_size(20);
        for (sender, header, value) in [
            ("promptlayer", "x-promptlayer-signature", "0".repeat(64)),
            (
                "generic",
                "x-signature-256",
                format!("sha256={}", "0".repeat(64)),
            ),
        ] {
            let headers = [(header, value)];
            assert!(verifier.verify(&headers[..], body.clone()).is_err());
            group.bench_function(sender, |b| {
                b.iter(|| {
                    verifier
                        .verify(black_box(&headers[..]), body.clone())
                        .is_err()
                });
            });
        }
        group.finish();
    }
}

fn benches(c: &mut Criterion) {
    bench_payload(c, "docs_example", DOCS_EXAMPLE);
    bench_payload(c, "skill_files_16k", &large_payload());
    forged(c);
}

criterion_group!(canonical, benches);
criterion_main!(canonical);
