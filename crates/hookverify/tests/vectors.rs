//! Every known-answer vector (computed with CPython by `tests/vectors/make_vectors.py`)
//! through the core verifier.
#![allow(clippy::expect_used, clippy::unwrap_used)] // test helpers fail loudly by design

use hookverify::{Provider, Secret, Verifier};
use serde_json::Value;

fn vectors_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(vectors_dir().join("vectors.json")).expect("vectors.json");
    let vectors: Value = serde_json::from_str(&text).expect("vectors.json is JSON");
    vectors["cases"].as_array().expect("cases").clone()
}

fn headers_of(case: &Value) -> Vec<(String, String)> {
    case["headers"]
        .as_object()
        .expect("headers")
        .iter()
        .map(|(name, value)| {
            (
                name.clone(),
                value.as_str().expect("header value").to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_vector_verifies_as_cpython_says() {
    let cases = cases();
    assert!(
        cases.len() >= 23,
        "the vector file lost cases: {}",
        cases.len()
    );
    for case in &cases {
        let name = case["name"].as_str().expect("name");
        let secret = Secret::new(case["secret"].as_str().expect("secret")).expect("secret");
        let body = case["body"].as_str().expect("body").as_bytes().to_vec();
        let expected_valid = case["valid"].as_bool().expect("valid");
        let provider = Provider::from_name(case["provider"].as_str().expect("provider"))
            .expect("known provider");

        let result = Verifier::new(secret.clone()).verify(&headers_of(case), body.clone());
        assert_eq!(
            result.is_ok(),
            expected_valid,
            "{name}: {result:?} ({})",
            case["why"]
        );
        if let Ok(verified) = result {
            assert_eq!(verified.provider(), provider, "{name}");
        }

        // Restricted to its own provider, the verdict is the same.
        let own = Verifier::every_sender(secret).providers([provider]).build();
        assert_eq!(
            own.verify(&headers_of(case), body).is_ok(),
            expected_valid,
            "{name} (own provider only)"
        );
    }
}

#[test]
fn a_rotated_out_secret_still_verifies_when_configured_second() {
    for case in cases()
        .iter()
        .filter(|case| case["valid"].as_bool() == Some(true))
    {
        let name = case["name"].as_str().expect("name");
        let secret = Secret::new(case["secret"].as_str().expect("secret")).expect("secret");
        let body = case["body"].as_str().expect("body").as_bytes().to_vec();
        let verifier = Verifier::every_sender(Secret::new("the-new-secret").expect("secret"))
            .secret(secret)
            .build();
        let verified = verifier
            .verify(&headers_of(case), body)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(verified.secret_index(), 1, "{name}");
    }
}

/// The vector file is what its generator prints under CPython: the known answers are
/// CPython's, not ours.
#[test]
fn vector_file_is_reproduced_by_its_generator() {
    let dir = vectors_dir();
    let output = match std::process::Command::new("python3")
        .arg(dir.join("make_vectors.py"))
        .output()
    {
        Ok(output) => output,
        Err(error) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("python3 is required under CI=true to regenerate the vectors: {error}");
            }
            eprintln!("\n*** SKIPPED: python3 not found ({error}); the vectors were not regenerated ***\n");
            return;
        }
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let generated: Value = serde_json::from_slice(&output.stdout).expect("generator prints JSON");
    let stored: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("vectors.json")).expect("vectors.json"),
    )
    .expect("JSON");
    assert_eq!(
        generated["cases"], stored["cases"],
        "tests/vectors/vectors.json differs from its generator's output"
    );
}
