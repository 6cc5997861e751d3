//! Regression tests for vulnerabilities found in other webhook libraries, so that none of
//! them can appear here.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use hookverify::{testing, Provider, Secret, Verifier, VerifyError};

const BODY: &[u8] = br#"{"id":"evt_1","type":"user.created","data":{}}"#;

fn secret() -> Secret {
    Secret::new("whsec_peer_vulnerabilities").unwrap()
}

/// svix, CVE-2024-21491: a signature compared as a prefix accepted a truncated one. Every
/// truncation of a valid signature, down to nothing, must be refused.
#[test]
fn a_truncated_signature_is_refused() {
    let verifier = Verifier::new(secret());
    for provider in Provider::ALL {
        let signature = testing::sign(provider, &secret(), BODY).unwrap();
        let value = signature.value();
        assert!(verifier
            .verify(&signature.headers()[..], BODY.to_vec())
            .is_ok());
        for cut in 0..value.len() {
            let truncated = &value[..cut];
            let verdict =
                verifier.verify(&signature.headers_with_value(truncated)[..], BODY.to_vec());
            assert!(
                verdict.is_err(),
                "{provider}: a signature cut to {cut} characters was accepted"
            );
        }
        // And a valid signature with more appended is not a match either.
        let longer = format!("{value}00");
        assert!(verifier
            .verify(&signature.headers_with_value(&longer)[..], BODY.to_vec())
            .is_err());
    }
}

/// octokit/webhooks, CVE-2023-50728: a malformed signature header crashed the verifier.
/// Every malformed value must be a clean refusal.
#[test]
fn malformed_signature_headers_are_refused_not_crashes() {
    let verifier = Verifier::new(secret());
    let long = "a".repeat(1 << 20);
    let values: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"sha256=".to_vec(),
        b"sha256".to_vec(),
        b"=".to_vec(),
        b"sha1=abc".to_vec(),
        b"sha256=zz".to_vec(),
        "sha256=é".as_bytes().to_vec(),
        b"\xff\xfe\x00".to_vec(),
        vec![b'0'; 63],
        vec![b'0'; 65],
        long.into_bytes(),
        b" sha256=00".to_vec(),
    ];
    for provider in Provider::ALL {
        let signed = testing::sign(provider, &secret(), BODY).unwrap();
        for name in provider.header_names() {
            for value in &values {
                // The sender's other headers (ids, timestamps) stay valid.
                let mut headers: Vec<(&str, &[u8])> = signed
                    .headers()
                    .into_iter()
                    .filter(|(other, _)| !provider.header_names().contains(other))
                    .map(|(other, own)| (other, own.as_bytes()))
                    .collect();
                headers.push((*name, value.as_slice()));
                let verdict = verifier.verify(&headers[..], BODY.to_vec());
                assert!(
                    matches!(
                        verdict,
                        Err(VerifyError::MalformedSignature { .. } | VerifyError::Mismatch { .. })
                    ),
                    "{name}: {:?} -> {verdict:?}",
                    String::from_utf8_lossy(&value[..value.len().min(16)])
                );
            }
        }
    }
}
