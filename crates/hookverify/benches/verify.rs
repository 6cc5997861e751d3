//! Raw-body verification against the physical limit of the work: HMAC-SHA256 over the same
//! bytes with the key schedule already prepared. A naive verifier (key setup per call, hex
//! string comparison) is measured as a second baseline.
//!
//! Run: `cargo bench -p hookverify --bench verify`
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hmac::{Hmac, Mac};
use hookverify::{testing, Provider, Secret, Verifier};
use sha2::Sha256;

const SECRET: &str = "whsec_benchmark_secret_0123456789abcdef";

fn body_of(len: usize) -> Bytes {
    // JSON-looking bytes, as a real body; the content does not change the cost.
    let mut body = Vec::with_capacity(len);
    body.extend_from_slice(br#"{"id":"evt_bench","type":"user.created","data":{"blob":""#);
    while body.len() < len - 3 {
        body.push(b'a' + (body.len() % 26) as u8);
    }
    body.extend_from_slice(b"\"}}");
    body.truncate(len);
    Bytes::from(body)
}

fn naive_verify(secret: &[u8], header: &str, body: &[u8]) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    header.strip_prefix("sha256=") == Some(hex.as_str())
}

fn raw_body(c: &mut Criterion) {
    let secret = Secret::new(SECRET).unwrap();
    let verifier = Verifier::new(secret.clone());
    let prepared = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();

    let mut group = c.benchmark_group("raw_body_verify");
    for len in [1024usize, 64 * 1024, 1024 * 1024] {
        let body = body_of(len);
        let signature = testing::sign(Provider::GENERIC, &secret, &body).unwrap();
        let mut headers = http::HeaderMap::new();
        headers.insert(signature.name(), signature.value().parse().unwrap());
        headers.insert("content-type", "application/json".parse().unwrap());
        headers.insert("user-agent", "bench".parse().unwrap());
        assert!(verifier.verify(&headers, body.clone()).is_ok());
        assert!(naive_verify(SECRET.as_bytes(), signature.value(), &body));

        group.throughput(Throughput::Bytes(len as u64));
        group.bench_with_input(
            BenchmarkId::new("baseline_prepared_hmac", len),
            &body,
            |b, body| {
                b.iter(|| {
                    let mut mac = prepared.clone();
                    mac.update(black_box(body));
                    black_box(mac.finalize().into_bytes())
                });
            },
        );
        group.bench_with_input(BenchmarkId::new("hookverify", len), &body, |b, body| {
            b.iter(|| black_box(verifier.verify(black_box(&headers), body.clone()).is_ok()));
        });
        group.bench_with_input(BenchmarkId::new("naive", len), &body, |b, body| {
            b.iter(|| {
                black_box(naive_verify(
                    SECRET.as_bytes(),
                    black_box(signature.value()),
                    body,
                ))
            });
        });
    }
    group.finish();
}

/// Finding the signature header among a request's headers: the part of the overhead over the
/// baseline that does not depend on the body.
fn header_detection(c: &mut Criterion) {
    let secret = Secret::new(SECRET).unwrap();
    let verifier = Verifier::new(secret.clone());
    let signature = testing::sign(Provider::GENERIC, &secret, b"{}").unwrap();
    let mut headers = http::HeaderMap::new();
    for (name, value) in [
        ("host", "example.com"),
        ("user-agent", "bench"),
        ("content-type", "application/json"),
        ("content-length", "1024"),
        ("accept", "*/*"),
        ("x-request-id", "4bf92f3577b34da6"),
    ] {
        headers.insert(name, value.parse().unwrap());
    }
    headers.insert(signature.name(), signature.value().parse().unwrap());
    c.bench_function("header_detection/generic_among_7", |b| {
        b.iter(|| black_box(verifier.detect(black_box(&headers)).is_ok()));
    });
}

criterion_group!(benches, raw_body, header_detection);
criterion_main!(benches);
