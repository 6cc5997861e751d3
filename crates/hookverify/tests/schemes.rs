//! Each signing scheme against its published vectors and its edges: tolerance windows,
//! several signatures in one header, rotation, secrets kept to their own sender, a valid
//! signature next to a forged one, a sender of one's own, deduplication keys, hostile
//! headers, and how Standard Webhooks secrets decode. Expected signatures are computed
//! here with `hmac`/`sha2` directly, never with the library's own signer alone.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly by design

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use hookverify::dedup::MemoryStore;
use hookverify::pipeline::{Pipeline, Rejection, WebhookConfig};
use hookverify::scheme::{
    hex_tag, KeyFields, NaturalKey, Scheme, SignError, Signature, SignatureHeader, SigningContext,
};
use hookverify::senders::{
    Generic, GitHub, Prism, PromptLayer, PromptReports, StandardWebhooks, Stripe,
};
use hookverify::{
    testing, HeaderSource, MalformedReason, Provider, Secret, SecretError, Verified, Verifier,
    VerifyError,
};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// HMAC-SHA256 of the concatenated `parts` under `key`, computed independently of the crate.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn secret(text: &str) -> Secret {
    Secret::new(text).unwrap()
}

/// Headers as owned pairs, for the slice `HeaderSource`.
fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

fn malformed(provider: Provider, reason: MalformedReason) -> VerifyError {
    VerifyError::MalformedSignature { provider, reason }
}

/// A JSON body with an `id`, as Stripe, Generic and PromptReports name their events.
const EVENT_BODY: &[u8] = br#"{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","type":"payment_intent.succeeded","data":{"amount":2000}}"#;
const EVENT_ID: &str = "evt_1NG8Du2eZvKYlo2CUI79vXWy";

/// A time to sign at, for the tests that need no particular one.
const T0: i64 = 1_700_000_000;

// Standard Webhooks: the specification's own test vector.
const SW_KEY: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SW_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const SW_TS: i64 = 1_614_265_330;
const SW_BODY: &[u8] = br#"{"test": 2432232314}"#;
const SW_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
const SW_WRONG: &str = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";

fn sw_verifier(now: i64) -> Verifier {
    Verifier::builder()
        .sender(StandardWebhooks::new(), secret(SW_KEY))
        .clock(move || now)
        .build()
}

/// The three Standard Webhooks headers, under the `webhook-` or the `svix-` names.
fn sw_headers(family: &str, id: &str, timestamp: &str, signature: &str) -> Vec<(String, String)> {
    vec![
        (format!("{family}-id"), id.to_owned()),
        (format!("{family}-timestamp"), timestamp.to_owned()),
        (format!("{family}-signature"), signature.to_owned()),
    ]
}

/// The spec's key, decoded as its reference libraries decode it.
fn sw_key_bytes() -> Vec<u8> {
    BASE64.decode(&SW_KEY["whsec_".len()..]).unwrap()
}

/// `v1,<base64>` over `{id}.{timestamp}.{body}` under raw key bytes `key`.
fn sw_sign(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> String {
    let tag = hmac_sha256(
        key,
        &[id.as_bytes(), b".", timestamp.as_bytes(), b".", body],
    );
    format!("v1,{}", BASE64.encode(tag))
}

/// `t=<t>,v1=<hex>` over `{t}.{body}` keyed with the whole secret text as given.
fn stripe_header(secret_text: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "t={timestamp},v1={}",
        stripe_v1(secret_text, timestamp, body)
    )
}

fn stripe_v1(secret_text: &str, timestamp: i64, body: &[u8]) -> String {
    let t = timestamp.to_string();
    hex(&hmac_sha256(
        secret_text.as_bytes(),
        &[t.as_bytes(), b".", body],
    ))
}

/// Signs `EVENT_BODY` with `scheme` at `signed_at` and verifies it on a clock at `now`.
fn verify_at<S: Scheme + Clone>(
    scheme: &S,
    signing_secret: &Secret,
    signed_at: i64,
    now: i64,
) -> Result<Verified, VerifyError> {
    let context = SigningContext::new(signed_at, "msg_tolerance");
    let signature = testing::sign_with(scheme, signing_secret, EVENT_BODY, &context).unwrap();
    Verifier::builder()
        .sender(scheme.clone(), signing_secret.clone())
        .clock(move || now)
        .build()
        .verify(&signature.headers()[..], EVENT_BODY.to_vec())
}

/// A pipeline of its own (own store, fixed namespace) for `config`.
fn pipeline(config: WebhookConfig) -> Pipeline {
    Pipeline::new(config.dedup_store(MemoryStore::new()).namespace("schemes"))
}

// ---------------------------------------------------------------------------------------
// 1. Published vectors
// ---------------------------------------------------------------------------------------

/// GitHub's documentation: "Validating webhook deliveries", secret `It's a Secret to
/// Everybody`, payload `Hello, World!`.
#[test]
fn github_documented_vector_verifies_with_its_delivery_and_event_headers() {
    let verifier = Verifier::builder()
        .sender(GitHub, secret("It's a Secret to Everybody"))
        .build();
    let headers = [
        (
            "X-Hub-Signature-256",
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        ),
        ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
        ("X-GitHub-Event", "issues"),
    ];
    let verified = verifier
        .verify(&headers[..], b"Hello, World!".to_vec())
        .unwrap();
    assert_eq!(verified.provider(), Provider::GITHUB);
    assert_eq!(
        verified.delivery_id(),
        Some("72d3162e-cc78-11e3-81ab-4c9367dc0958")
    );
    assert_eq!(verified.header_event_type(), Some("issues"));
    assert_eq!(verified.body().as_ref(), b"Hello, World!");
    // One bit of the body changed: refused.
    assert_eq!(
        verifier
            .verify(&headers[..], b"Hello, World?".to_vec())
            .unwrap_err(),
        VerifyError::Mismatch {
            provider: Provider::GITHUB
        }
    );
}

/// The legacy SHA-1 `X-Hub-Signature` (here its true value for the documented vector) is
/// not a signature this crate accepts: alone, it is no signature at all.
#[test]
fn github_sha1_signature_alone_is_missing_signature() {
    let sha1 = [(
        "X-Hub-Signature",
        "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59",
    )];
    let body = b"Hello, World!".to_vec();
    let github_only = Verifier::builder()
        .sender(GitHub, secret("It's a Secret to Everybody"))
        .build();
    assert_eq!(
        github_only.verify(&sha1[..], body.clone()).unwrap_err(),
        VerifyError::MissingSignature
    );
    let every = Verifier::new(secret("It's a Secret to Everybody"));
    assert_eq!(
        every.verify(&sha1[..], body).unwrap_err(),
        VerifyError::MissingSignature
    );
}

#[test]
fn standard_webhooks_spec_vector_verifies() {
    let headers = sw_headers("webhook", SW_ID, &SW_TS.to_string(), SW_SIGNATURE);
    let verified = sw_verifier(SW_TS)
        .verify(&headers[..], SW_BODY.to_vec())
        .unwrap();
    assert_eq!(verified.provider(), Provider::STANDARD_WEBHOOKS);
    assert_eq!(verified.delivery_id(), Some(SW_ID));
    assert_eq!(verified.secret_index(), 0);
    // The test's own computation agrees with the published value.
    assert_eq!(
        sw_sign(&sw_key_bytes(), SW_ID, &SW_TS.to_string(), SW_BODY),
        SW_SIGNATURE
    );
    // And so does the crate's signer.
    let signed = testing::sign_with(
        &StandardWebhooks::new(),
        &secret(SW_KEY),
        SW_BODY,
        &SigningContext::new(SW_TS, SW_ID),
    )
    .unwrap();
    assert_eq!(signed.value(), SW_SIGNATURE);
}

#[test]
fn standard_webhooks_spec_vector_under_svix_header_names_verifies() {
    let headers = sw_headers("svix", SW_ID, &SW_TS.to_string(), SW_SIGNATURE);
    let verified = sw_verifier(SW_TS)
        .verify(&headers[..], SW_BODY.to_vec())
        .unwrap();
    assert_eq!(verified.provider(), Provider::STANDARD_WEBHOOKS);
    assert_eq!(verified.delivery_id(), Some(SW_ID));
}

#[test]
fn standard_webhooks_wrong_signature_is_a_mismatch() {
    for family in ["webhook", "svix"] {
        let headers = sw_headers(family, SW_ID, &SW_TS.to_string(), SW_WRONG);
        assert_eq!(
            sw_verifier(SW_TS)
                .verify(&headers[..], SW_BODY.to_vec())
                .unwrap_err(),
            VerifyError::Mismatch {
                provider: Provider::STANDARD_WEBHOOKS
            },
            "{family}"
        );
    }
}

#[test]
fn standard_webhooks_tampered_body_id_or_timestamp_is_a_mismatch() {
    let verifier = sw_verifier(SW_TS);
    let mismatch = VerifyError::Mismatch {
        provider: Provider::STANDARD_WEBHOOKS,
    };
    let ts = SW_TS.to_string();
    let good = sw_headers("webhook", SW_ID, &ts, SW_SIGNATURE);
    assert_eq!(
        verifier
            .verify(&good[..], br#"{"test": 2432232315}"#.to_vec())
            .unwrap_err(),
        mismatch
    );
    let other_id = sw_headers("webhook", "msg_p5jXN8AQM9LWM0D4loKWxJel", &ts, SW_SIGNATURE);
    assert_eq!(
        verifier
            .verify(&other_id[..], SW_BODY.to_vec())
            .unwrap_err(),
        mismatch
    );
    // One second later is inside the window, but it is not the signed timestamp.
    let other_ts = sw_headers("webhook", SW_ID, &(SW_TS + 1).to_string(), SW_SIGNATURE);
    assert_eq!(
        verifier
            .verify(&other_ts[..], SW_BODY.to_vec())
            .unwrap_err(),
        mismatch
    );
}

#[test]
fn standard_webhooks_bare_v1_prefix_or_other_version_is_no_signature() {
    let ts = SW_TS.to_string();
    let valid_tag = &SW_SIGNATURE["v1,".len()..];
    for value in [
        "v1,".to_owned(),
        format!("v2,{valid_tag}"),
        valid_tag.to_owned(),
        format!("v1={valid_tag}"),
    ] {
        let headers = sw_headers("webhook", SW_ID, &ts, &value);
        assert_eq!(
            sw_verifier(SW_TS)
                .verify(&headers[..], SW_BODY.to_vec())
                .unwrap_err(),
            malformed(Provider::STANDARD_WEBHOOKS, MalformedReason::NoSignature),
            "{value:?}"
        );
    }
}

#[test]
fn standard_webhooks_each_missing_header_is_refused() {
    let ts = SW_TS.to_string();
    for family in ["webhook", "svix"] {
        let full = sw_headers(family, SW_ID, &ts, SW_SIGNATURE);
        let without = |suffix: &str| -> Vec<(String, String)> {
            full.iter()
                .filter(|(name, _)| *name != format!("{family}-{suffix}"))
                .cloned()
                .collect()
        };
        let verifier = sw_verifier(SW_TS);
        let id_name: &'static str = if family == "webhook" {
            "webhook-id"
        } else {
            "svix-id"
        };
        let ts_name: &'static str = if family == "webhook" {
            "webhook-timestamp"
        } else {
            "svix-timestamp"
        };
        assert_eq!(
            verifier
                .verify(&without("id")[..], SW_BODY.to_vec())
                .unwrap_err(),
            malformed(
                Provider::STANDARD_WEBHOOKS,
                MalformedReason::MissingHeader { name: id_name }
            )
        );
        assert_eq!(
            verifier
                .verify(&without("timestamp")[..], SW_BODY.to_vec())
                .unwrap_err(),
            malformed(
                Provider::STANDARD_WEBHOOKS,
                MalformedReason::MissingHeader { name: ts_name }
            )
        );
        assert_eq!(
            verifier
                .verify(&without("signature")[..], SW_BODY.to_vec())
                .unwrap_err(),
            VerifyError::MissingSignature
        );
    }
}

/// A `svix-signature` is read with `svix-id` and `svix-timestamp` only: the families do
/// not mix (as in Svix's own libraries, which take all three from one family).
#[test]
fn standard_webhooks_header_families_do_not_mix() {
    let headers = owned(&[
        ("webhook-id", SW_ID),
        ("webhook-timestamp", "1614265330"),
        ("svix-signature", SW_SIGNATURE),
    ]);
    assert_eq!(
        sw_verifier(SW_TS)
            .verify(&headers[..], SW_BODY.to_vec())
            .unwrap_err(),
        malformed(
            Provider::STANDARD_WEBHOOKS,
            MalformedReason::MissingHeader { name: "svix-id" }
        )
    );
}

#[test]
fn standard_webhooks_timestamp_outside_the_window_is_refused() {
    let headers = sw_headers("webhook", SW_ID, &SW_TS.to_string(), SW_SIGNATURE);
    for now in [SW_TS + 301, SW_TS - 301, SW_TS + 86_400] {
        assert_eq!(
            sw_verifier(now)
                .verify(&headers[..], SW_BODY.to_vec())
                .unwrap_err(),
            VerifyError::OutsideTolerance {
                provider: Provider::STANDARD_WEBHOOKS,
                timestamp: SW_TS,
                now,
            }
        );
    }
}

/// The spec's invalid timestamps (and an empty and an exponent one), each correctly signed
/// as text: refused for the timestamp itself, not for the signature.
#[test]
fn standard_webhooks_unparseable_timestamps_are_refused() {
    let key = sw_key_bytes();
    for timestamp in ["161426533.0", "invalid timestamp", "-161426533", "", "1e9"] {
        let signature = sw_sign(&key, SW_ID, timestamp, SW_BODY);
        let headers = sw_headers("webhook", SW_ID, timestamp, &signature);
        let expected = if timestamp.is_empty() {
            // An empty header is no header.
            MalformedReason::MissingHeader {
                name: "webhook-timestamp",
            }
        } else {
            MalformedReason::InvalidTimestamp
        };
        assert_eq!(
            sw_verifier(SW_TS)
                .verify(&headers[..], SW_BODY.to_vec())
                .unwrap_err(),
            malformed(Provider::STANDARD_WEBHOOKS, expected),
            "{timestamp:?}"
        );
    }
}

/// The spec's multi-signature case: `v1,<bad> v2,<bad> <valid> v1,<bad>`.
#[test]
fn standard_webhooks_valid_signature_among_invalid_and_other_versions_passes() {
    let bad = &SW_WRONG["v1,".len()..];
    let value = format!("v1,{bad} v2,{bad} {SW_SIGNATURE} v1,{bad}");
    for family in ["webhook", "svix"] {
        let headers = sw_headers(family, SW_ID, &SW_TS.to_string(), &value);
        let verified = sw_verifier(SW_TS)
            .verify(&headers[..], SW_BODY.to_vec())
            .unwrap();
        assert_eq!(verified.provider(), Provider::STANDARD_WEBHOOKS, "{family}");
    }
}

/// Svix's own test vector.
#[test]
fn svix_published_vector_verifies() {
    let key = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    let id = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    let timestamp = 1_649_367_553_i64;
    let body = br#"{"email":"test@example.com","username":"test_user"}"#;
    let expected = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";
    let verifier = Verifier::builder()
        .sender(StandardWebhooks::new(), secret(key))
        .clock(move || timestamp)
        .build();
    for family in ["svix", "webhook"] {
        let headers = sw_headers(family, id, &timestamp.to_string(), expected);
        let verified = verifier.verify(&headers[..], body.to_vec()).unwrap();
        assert_eq!(verified.provider(), Provider::STANDARD_WEBHOOKS);
        assert_eq!(verified.delivery_id(), Some(id));
    }
    let key_bytes = BASE64.decode(&key["whsec_".len()..]).unwrap();
    assert_eq!(
        sw_sign(&key_bytes, id, &timestamp.to_string(), body),
        expected
    );
}

/// Stripe publishes no vector: the header is computed here from its documentation
/// (HMAC-SHA256 keyed with the whole `whsec_` text, over `{t}.{body}`).
#[test]
fn stripe_signature_matches_independent_computation_and_verifies() {
    let key = "whsec_test_5f0c1a2b3c4d5e6f";
    let expected = stripe_header(key, T0, EVENT_BODY);
    let signed = testing::sign_with(
        &Stripe::new(),
        &secret(key),
        EVENT_BODY,
        &SigningContext::new(T0, "unused"),
    )
    .unwrap();
    assert_eq!(signed.name(), "stripe-signature");
    assert_eq!(signed.value(), expected);
    assert_eq!(
        signed.headers(),
        vec![("stripe-signature", expected.as_str())]
    );

    let verifier = Verifier::builder()
        .sender(Stripe::new(), secret(key))
        .clock(|| T0)
        .build();
    let headers = [("Stripe-Signature", expected.as_str())];
    let verified = verifier.verify(&headers[..], EVENT_BODY.to_vec()).unwrap();
    assert_eq!(verified.provider(), Provider::STRIPE);
    assert_eq!(verified.body().as_ref(), EVENT_BODY);

    // The key is the whole secret text, `whsec_` included.
    let t = T0.to_string();
    let tail = &key["whsec_".len()..];
    let wrong = format!(
        "t={T0},v1={}",
        hex(&hmac_sha256(
            tail.as_bytes(),
            &[t.as_bytes(), b".", EVENT_BODY]
        ))
    );
    assert_eq!(
        verifier
            .verify(
                &[("stripe-signature", wrong.as_str())][..],
                EVENT_BODY.to_vec()
            )
            .unwrap_err(),
        VerifyError::Mismatch {
            provider: Provider::STRIPE
        }
    );
}

// ---------------------------------------------------------------------------------------
// 2. Tolerance edges
// ---------------------------------------------------------------------------------------

fn assert_tolerance_edges<S: Scheme + Clone>(scheme: &S, provider: Provider, seconds: i64) {
    let key = secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    // Exactly at the edge, either way: accepted.
    for now in [T0 + seconds, T0 - seconds, T0] {
        let verified = verify_at(scheme, &key, T0, now)
            .unwrap_or_else(|error| panic!("{provider}: now {now}: {error}"));
        assert_eq!(verified.provider(), provider);
    }
    // One second past it, either way: refused, saying when and against what.
    for now in [T0 + seconds + 1, T0 - seconds - 1] {
        assert_eq!(
            verify_at(scheme, &key, T0, now).unwrap_err(),
            VerifyError::OutsideTolerance {
                provider,
                timestamp: T0,
                now,
            },
            "{provider}: now {now}"
        );
    }
}

#[test]
fn standard_webhooks_accepts_exactly_300_seconds_and_refuses_301() {
    assert_tolerance_edges(&StandardWebhooks::new(), Provider::STANDARD_WEBHOOKS, 300);
}

#[test]
fn stripe_accepts_exactly_300_seconds_and_refuses_301() {
    assert_tolerance_edges(&Stripe::new(), Provider::STRIPE, 300);
}

#[test]
fn custom_tolerance_moves_the_edge() {
    let ten = Duration::from_secs(10);
    assert_tolerance_edges(
        &StandardWebhooks::new().tolerance(ten),
        Provider::STANDARD_WEBHOOKS,
        10,
    );
    assert_tolerance_edges(&Stripe::new().tolerance(ten), Provider::STRIPE, 10);
    // What the default accepts, the tighter window refuses.
    let key = secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    assert!(verify_at(&Stripe::new(), &key, T0, T0 + 300).is_ok());
    assert!(matches!(
        verify_at(&Stripe::new().tolerance(ten), &key, T0, T0 + 300),
        Err(VerifyError::OutsideTolerance { .. })
    ));
    // A wider one accepts what the default refuses.
    let hour = Duration::from_secs(3600);
    assert!(verify_at(&StandardWebhooks::new(), &key, T0, T0 + 3600).is_err());
    assert!(verify_at(
        &StandardWebhooks::new().tolerance(hour),
        &key,
        T0,
        T0 + 3600
    )
    .is_ok());
}

/// The signature is checked before the time: a forgery out of the window is a forgery.
#[test]
fn forged_signature_outside_the_window_is_a_mismatch_not_a_tolerance_error() {
    let verifier = Verifier::builder()
        .sender(Stripe::new(), secret("whsec_real"))
        .clock(|| T0 + 10_000)
        .build();
    let forged = stripe_header("whsec_forger", T0, EVENT_BODY);
    assert_eq!(
        verifier
            .verify(
                &[("stripe-signature", forged.as_str())][..],
                EVENT_BODY.to_vec()
            )
            .unwrap_err(),
        VerifyError::Mismatch {
            provider: Provider::STRIPE
        }
    );
}

// ---------------------------------------------------------------------------------------
// 3. Several signatures in one header
// ---------------------------------------------------------------------------------------

fn stripe_verify(value: &str, key: &str) -> Result<Verified, VerifyError> {
    Verifier::builder()
        .sender(Stripe::new(), secret(key))
        .clock(|| T0)
        .build()
        .verify(&[("stripe-signature", value)][..], EVENT_BODY.to_vec())
}

/// async-stripe checked only the last `v1`: a secret roll's first signature was refused.
#[test]
fn stripe_first_of_several_v1_signatures_valid_passes() {
    let key = "whsec_stripe_multi";
    let valid = stripe_v1(key, T0, EVENT_BODY);
    let bad1 = stripe_v1("whsec_other_1", T0, EVENT_BODY);
    let bad2 = stripe_v1("whsec_other_2", T0, EVENT_BODY);
    let header = format!("t={T0},v1={valid},v1={bad1},v1={bad2}");
    assert_eq!(
        stripe_verify(&header, key).unwrap().provider(),
        Provider::STRIPE
    );
    // Without the valid one, the rest are a mismatch: the pass above is the first's doing.
    let header = format!("t={T0},v1={bad1},v1={bad2}");
    assert_eq!(
        stripe_verify(&header, key).unwrap_err(),
        VerifyError::Mismatch {
            provider: Provider::STRIPE
        }
    );
}

#[test]
fn stripe_middle_of_several_v1_signatures_valid_passes() {
    let key = "whsec_stripe_multi";
    let valid = stripe_v1(key, T0, EVENT_BODY);
    let bad1 = stripe_v1("whsec_other_1", T0, EVENT_BODY);
    let bad2 = stripe_v1("whsec_other_2", T0, EVENT_BODY);
    for header in [
        format!("t={T0},v1={bad1},v1={valid},v1={bad2}"),
        format!("t={T0},v1={bad1},v1={bad2},v1={valid}"),
        // Other schemes and unknown items in between are ignored.
        format!("t={T0},v0={bad1},v1={valid},v2=whatever,x=1"),
        // The `t` need not come first, and spaces around items are tolerated.
        format!("v1={bad1}, v1={valid} , t={T0}"),
    ] {
        assert_eq!(
            stripe_verify(&header, key).unwrap().provider(),
            Provider::STRIPE,
            "{header}"
        );
    }
}

#[test]
fn stripe_v0_signature_alone_is_no_signature() {
    let key = "whsec_stripe_v0";
    // The exact HMAC a `v1` would carry, labelled `v0`: not a version verified here.
    let valid = stripe_v1(key, T0, EVENT_BODY);
    assert_eq!(
        stripe_verify(&format!("t={T0},v0={valid}"), key).unwrap_err(),
        malformed(Provider::STRIPE, MalformedReason::NoSignature)
    );
    // Nor is a `v1` that is not 64 hex digits.
    assert_eq!(
        stripe_verify(&format!("t={T0},v1={}", &valid[..63]), key).unwrap_err(),
        malformed(Provider::STRIPE, MalformedReason::NoSignature)
    );
}

#[test]
fn stripe_two_timestamps_are_refused() {
    let key = "whsec_stripe_two_t";
    let valid = stripe_v1(key, T0, EVENT_BODY);
    for header in [
        format!("t={T0},t={T0},v1={valid}"),
        format!("t={},t={T0},v1={valid}", T0 - 1),
        format!("t={T0},v1={valid},t={}", T0 + 1),
    ] {
        assert_eq!(
            stripe_verify(&header, key).unwrap_err(),
            malformed(Provider::STRIPE, MalformedReason::InvalidTimestamp),
            "{header}"
        );
    }
    // And no timestamp at all.
    assert_eq!(
        stripe_verify(&format!("v1={valid}"), key).unwrap_err(),
        malformed(Provider::STRIPE, MalformedReason::InvalidTimestamp)
    );
}

#[test]
fn standard_webhooks_valid_signature_first_middle_or_last_passes() {
    let key = sw_key_bytes();
    let ts = SW_TS.to_string();
    let bad1 = sw_sign(b"other key one", SW_ID, &ts, SW_BODY);
    let bad2 = sw_sign(b"other key two", SW_ID, &ts, SW_BODY);
    let valid = sw_sign(&key, SW_ID, &ts, SW_BODY);
    for value in [
        format!("{valid} {bad1} {bad2}"),
        format!("{bad1} {valid} {bad2}"),
        format!("{bad1} {bad2} {valid}"),
    ] {
        let headers = sw_headers("webhook", SW_ID, &ts, &value);
        let verified = sw_verifier(SW_TS)
            .verify(&headers[..], SW_BODY.to_vec())
            .unwrap_or_else(|error| panic!("{value}: {error}"));
        assert_eq!(verified.provider(), Provider::STANDARD_WEBHOOKS);
    }
    let headers = sw_headers("webhook", SW_ID, &ts, &format!("{bad1} {bad2}"));
    assert_eq!(
        sw_verifier(SW_TS)
            .verify(&headers[..], SW_BODY.to_vec())
            .unwrap_err(),
        VerifyError::Mismatch {
            provider: Provider::STANDARD_WEBHOOKS
        }
    );
}

// ---------------------------------------------------------------------------------------
// 4. Rotation
// ---------------------------------------------------------------------------------------

fn assert_rotation<S: Scheme + Clone>(scheme: &S, provider: Provider) {
    let new = secret("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD");
    let old = secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    let stranger = secret("whsec_dGhpcyBpcyBub3QgY29uZmlndXJlZA==");
    let verifier = Verifier::builder()
        .sender(scheme.clone(), [new.clone(), old.clone()])
        .clock(|| T0)
        .build();
    let context = SigningContext::new(T0, "msg_rotation");
    for (signing, index) in [(&new, 0), (&old, 1)] {
        let signature = testing::sign_with(scheme, signing, EVENT_BODY, &context).unwrap();
        let verified = verifier
            .verify(&signature.headers()[..], EVENT_BODY.to_vec())
            .unwrap_or_else(|error| panic!("{provider}: secret {index}: {error}"));
        assert_eq!(verified.provider(), provider);
        assert_eq!(verified.secret_index(), index, "{provider}");
    }
    let signature = testing::sign_with(scheme, &stranger, EVENT_BODY, &context).unwrap();
    assert_eq!(
        verifier
            .verify(&signature.headers()[..], EVENT_BODY.to_vec())
            .unwrap_err(),
        VerifyError::Mismatch { provider },
        "{provider}"
    );
}

#[test]
fn stripe_rotation_accepts_new_and_old_secret_and_says_which() {
    assert_rotation(&Stripe::new(), Provider::STRIPE);
}

#[test]
fn every_built_in_sender_rotates_and_says_which_secret_matched() {
    assert_rotation(&StandardWebhooks::new(), Provider::STANDARD_WEBHOOKS);
    assert_rotation(&GitHub, Provider::GITHUB);
    assert_rotation(&Generic, Provider::GENERIC);
    assert_rotation(&Prism, Provider::PRISM);
    assert_rotation(&PromptReports, Provider::PROMPTREPORTS);
    // PromptLayer's canonical form is hashed under every secret in one pass.
    assert_rotation(&PromptLayer, Provider::PROMPTLAYER);
}

// ---------------------------------------------------------------------------------------
// 5. Secret isolation
// ---------------------------------------------------------------------------------------

#[test]
fn promptlayer_and_prism_secrets_verify_only_their_own_sender() {
    let pl = secret("pl_secret_for_promptlayer");
    let prism = secret("prism_secret_for_prism");
    let verifier = Verifier::builder()
        .sender(PromptLayer, pl.clone())
        .sender(Prism, prism.clone())
        .build();
    let context = SigningContext::new(T0, "unused");

    let pl_with_prism = testing::sign_with(&PromptLayer, &prism, EVENT_BODY, &context).unwrap();
    assert_eq!(pl_with_prism.name(), "x-promptlayer-signature");
    assert_eq!(
        verifier
            .verify(&pl_with_prism.headers()[..], EVENT_BODY.to_vec())
            .unwrap_err(),
        VerifyError::Mismatch {
            provider: Provider::PROMPTLAYER
        }
    );
    let prism_with_pl = testing::sign_with(&Prism, &pl, EVENT_BODY, &context).unwrap();
    assert_eq!(
        verifier
            .verify(&prism_with_pl.headers()[..], EVENT_BODY.to_vec())
            .unwrap_err(),
        VerifyError::Mismatch {
            provider: Provider::PRISM
        }
    );

    let pl_own = testing::sign_with(&PromptLayer, &pl, EVENT_BODY, &context).unwrap();
    assert_eq!(
        verifier
            .verify(&pl_own.headers()[..], EVENT_BODY.to_vec())
            .unwrap()
            .provider(),
        Provider::PROMPTLAYER
    );
    let prism_own = testing::sign_with(&Prism, &prism, EVENT_BODY, &context).unwrap();
    assert_eq!(
        verifier
            .verify(&prism_own.headers()[..], EVENT_BODY.to_vec())
            .unwrap()
            .provider(),
        Provider::PRISM
    );
}

/// A sender given its own secret on top of `every_sender` no longer takes the shared one,
/// and its secret serves no other sender.
#[test]
fn a_sender_with_its_own_secret_ignores_the_shared_one() {
    let shared = secret("shared_secret_for_everyone");
    let own = secret("whsec_stripe_only");
    let verifier = Verifier::every_sender(shared.clone())
        .sender(Stripe::new(), own.clone())
        .clock(|| T0)
        .build();
    let context = SigningContext::new(T0, "unused");
    let stripe_shared = testing::sign_with(&Stripe::new(), &shared, EVENT_BODY, &context).unwrap();
    assert_eq!(
        verifier
            .verify(&stripe_shared.headers()[..], EVENT_BODY.to_vec())
            .unwrap_err(),
        VerifyError::Mismatch {
            provider: Provider::STRIPE
        }
    );
    let generic_own = testing::sign_with(&Generic, &own, EVENT_BODY, &context).unwrap();
    assert_eq!(
        verifier
            .verify(&generic_own.headers()[..], EVENT_BODY.to_vec())
            .unwrap_err(),
        VerifyError::Mismatch {
            provider: Provider::GENERIC
        }
    );
    let stripe_own = testing::sign_with(&Stripe::new(), &own, EVENT_BODY, &context).unwrap();
    assert!(verifier
        .verify(&stripe_own.headers()[..], EVENT_BODY.to_vec())
        .is_ok());
    let generic_shared = testing::sign_with(&Generic, &shared, EVENT_BODY, &context).unwrap();
    assert!(verifier
        .verify(&generic_shared.headers()[..], EVENT_BODY.to_vec())
        .is_ok());
}

// ---------------------------------------------------------------------------------------
// 6. A valid signature next to a forged one
// ---------------------------------------------------------------------------------------

#[test]
fn valid_generic_signature_next_to_forged_promptlayer_one_verifies_as_generic() {
    let pl = secret("pl_secret_forged_next");
    let generic = secret("generic_secret_forged_next");
    let zeros = "0".repeat(64);
    let valid = testing::sign_with(
        &Generic,
        &generic,
        EVENT_BODY,
        &SigningContext::new(T0, "unused"),
    )
    .unwrap();
    let headers = owned(&[
        ("X-PromptLayer-Signature", zeros.as_str()),
        ("X-Signature-256", valid.value()),
    ]);
    // Whichever sender is configured first.
    for verifier in [
        Verifier::builder()
            .sender(PromptLayer, pl.clone())
            .sender(Generic, generic.clone())
            .build(),
        Verifier::builder()
            .sender(Generic, generic.clone())
            .sender(PromptLayer, pl.clone())
            .build(),
    ] {
        let verified = verifier.verify(&headers[..], EVENT_BODY.to_vec()).unwrap();
        assert_eq!(verified.provider(), Provider::GENERIC, "{verifier:?}");
    }
    // The forged header alone is refused as PromptLayer's mismatch, and with both forged
    // the first configured sender's reason is given.
    let verifier = Verifier::builder()
        .sender(PromptLayer, pl)
        .sender(Generic, generic)
        .build();
    let forged_only = owned(&[("X-PromptLayer-Signature", zeros.as_str())]);
    assert_eq!(
        verifier
            .verify(&forged_only[..], EVENT_BODY.to_vec())
            .unwrap_err(),
        VerifyError::Mismatch {
            provider: Provider::PROMPTLAYER
        }
    );
    let both_forged = owned(&[
        ("X-PromptLayer-Signature", zeros.as_str()),
        ("X-Signature-256", format!("sha256={zeros}").as_str()),
    ]);
    assert_eq!(
        verifier
            .verify(&both_forged[..], EVENT_BODY.to_vec())
            .unwrap_err(),
        VerifyError::Mismatch {
            provider: Provider::PROMPTLAYER
        }
    );
}

#[test]
fn valid_stripe_signature_next_to_forged_github_one_verifies_as_stripe() {
    let key = secret("whsec_shared_for_all");
    let verifier = Verifier::every_sender(key).clock(|| T0).build();
    let stripe = stripe_header("whsec_shared_for_all", T0, EVENT_BODY);
    let forged_github = format!("sha256={}", "0".repeat(64));
    let headers = owned(&[
        ("X-Hub-Signature-256", forged_github.as_str()),
        ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
        ("Stripe-Signature", stripe.as_str()),
    ]);
    let verified = verifier.verify(&headers[..], EVENT_BODY.to_vec()).unwrap();
    assert_eq!(verified.provider(), Provider::STRIPE);
    // The forged GitHub header's delivery id is not taken over.
    assert_eq!(verified.delivery_id(), None);
    // A malformed (not merely wrong) header of another sender does not block either.
    let headers = owned(&[
        ("X-Hub-Signature-256", "sha1=nonsense"),
        ("Stripe-Signature", stripe.as_str()),
    ]);
    assert_eq!(
        verifier
            .verify(&headers[..], EVENT_BODY.to_vec())
            .unwrap()
            .provider(),
        Provider::STRIPE
    );
}

// ---------------------------------------------------------------------------------------
// 7. A sender of one's own
// ---------------------------------------------------------------------------------------

const ACME: Provider = Provider::new("acme");

/// Acme signs `{delivery}.{body}`: `X-Acme-Signature: <hex>`, `X-Acme-Delivery: <id>`.
#[derive(Debug, Clone, Copy)]
struct Acme;

impl Scheme for Acme {
    fn provider(&self) -> Provider {
        ACME
    }

    fn signature_headers(&self) -> &'static [&'static str] {
        &["x-acme-signature"]
    }

    fn read_signature(
        &self,
        header: SignatureHeader<'_>,
        headers: &dyn HeaderSource,
    ) -> Result<Signature, MalformedReason> {
        let tag = hex_tag(header.value())?;
        let id = headers
            .header("x-acme-delivery")
            .and_then(|value| std::str::from_utf8(value).ok())
            .filter(|id| !id.is_empty())
            .ok_or(MalformedReason::MissingHeader {
                name: "x-acme-delivery",
            })?;
        Ok(Signature::new(tag)
            .signed_prefix(format!("{id}."))
            .delivery_id(id))
    }

    fn natural_key(&self, fields: &KeyFields<'_>) -> Option<NaturalKey> {
        Some(NaturalKey::new("id", [fields.delivery_id()?]))
    }
}

fn acme_headers(key: &str, id: &str, body: &[u8]) -> Vec<(String, String)> {
    let tag = hex(&hmac_sha256(key.as_bytes(), &[id.as_bytes(), b".", body]));
    owned(&[("X-Acme-Signature", tag.as_str()), ("X-Acme-Delivery", id)])
}

#[test]
fn own_scheme_verifies_its_signed_prefix_and_delivery_id() {
    let verifier = Verifier::builder()
        .sender(Acme, secret("acme_secret"))
        .build();
    let headers = acme_headers("acme_secret", "dlv_42", EVENT_BODY);
    let verified = verifier.verify(&headers[..], EVENT_BODY.to_vec()).unwrap();
    assert_eq!(verified.provider(), ACME);
    assert_eq!(verified.provider().name(), "acme");
    assert_eq!(verified.delivery_id(), Some("dlv_42"));

    // The id is signed: moved to another delivery id, the signature no longer matches.
    let mut moved = headers.clone();
    moved[1].1 = "dlv_43".to_owned();
    assert_eq!(
        verifier
            .verify(&moved[..], EVENT_BODY.to_vec())
            .unwrap_err(),
        VerifyError::Mismatch { provider: ACME }
    );
    // Without its id header, the scheme's own reason.
    assert_eq!(
        verifier
            .verify(&headers[..1], EVENT_BODY.to_vec())
            .unwrap_err(),
        malformed(
            ACME,
            MalformedReason::MissingHeader {
                name: "x-acme-delivery"
            }
        )
    );
    // Without its signature header, nothing to verify.
    assert_eq!(
        verifier
            .verify(&headers[1..], EVENT_BODY.to_vec())
            .unwrap_err(),
        VerifyError::MissingSignature
    );
    // It implements no `sign`: the test helper says so rather than signing wrongly.
    assert_eq!(
        testing::sign_with(
            &Acme,
            &secret("acme_secret"),
            EVENT_BODY,
            &SigningContext::new(T0, "dlv_42")
        )
        .unwrap_err(),
        SignError::Unsupported { provider: ACME }
    );
}

#[test]
fn own_scheme_is_refused_for_another_secret() {
    let verifier = Verifier::builder()
        .sender(Acme, secret("acme_secret"))
        .build();
    let headers = acme_headers("not_acme_secret", "dlv_42", EVENT_BODY);
    assert_eq!(
        verifier
            .verify(&headers[..], EVENT_BODY.to_vec())
            .unwrap_err(),
        VerifyError::Mismatch { provider: ACME }
    );
}

#[tokio::test]
async fn own_scheme_natural_key_reaches_the_pipeline() {
    let pipeline = pipeline(WebhookConfig::builder().sender(Acme, secret("acme_secret")));
    let headers = acme_headers("acme_secret", "dlv_42", EVENT_BODY);
    let admitted = pipeline
        .admit(&headers[..], EVENT_BODY.to_vec())
        .await
        .unwrap();
    let key = admitted.delivery().dedup_key().as_str();
    assert!(key.ends_with(":acme:id:dlv_42"), "{key}");
    assert_eq!(key, "schemes:acme:id:dlv_42");
    assert_eq!(admitted.delivery().provider(), ACME);
    assert_eq!(admitted.delivery().delivery_id(), Some("dlv_42"));

    // A `:` in the id is escaped, so parts cannot run together.
    let headers = acme_headers("acme_secret", "a:b", EVENT_BODY);
    let admitted = pipeline
        .admit(&headers[..], EVENT_BODY.to_vec())
        .await
        .unwrap();
    assert_eq!(
        admitted.delivery().dedup_key().as_str(),
        "schemes:acme:id:a%3Ab"
    );

    // Another secret: 401.
    let headers = acme_headers("not_acme_secret", "dlv_44", EVENT_BODY);
    let rejection = pipeline
        .admit(&headers[..], EVENT_BODY.to_vec())
        .await
        .unwrap_err();
    assert_eq!(rejection.status(), 401);
    assert!(matches!(
        rejection,
        Rejection::Unauthenticated(VerifyError::Mismatch { provider: ACME })
    ));
}

// ---------------------------------------------------------------------------------------
// 8. Deduplication keys through the pipeline
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn github_dedup_key_is_the_delivery_guid() {
    let key = secret("github_secret");
    let guid = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
    let pipeline = pipeline(WebhookConfig::builder().sender(GitHub, key.clone()));
    let signature = testing::sign_with(
        &GitHub,
        &key,
        EVENT_BODY,
        &SigningContext::new(T0, guid).event_type("push"),
    )
    .unwrap();
    let admitted = pipeline
        .admit(&signature.headers()[..], EVENT_BODY.to_vec())
        .await
        .unwrap();
    let delivery = admitted.delivery();
    assert_eq!(
        delivery.dedup_key().as_str(),
        format!("schemes:github:delivery:{guid}")
    );
    assert_eq!(delivery.delivery_id(), Some(guid));
    assert_eq!(delivery.header_event_type(), Some("push"));
}

#[tokio::test]
async fn standard_webhooks_dedup_key_is_the_message_id() {
    let pipeline = pipeline(
        WebhookConfig::builder()
            .sender(StandardWebhooks::new(), secret(SW_KEY))
            .clock(|| SW_TS),
    );
    let headers = sw_headers("webhook", SW_ID, &SW_TS.to_string(), SW_SIGNATURE);
    let admitted = pipeline
        .admit(&headers[..], SW_BODY.to_vec())
        .await
        .unwrap();
    assert_eq!(
        admitted.delivery().dedup_key().as_str(),
        format!("schemes:standard-webhooks:id:{SW_ID}")
    );
}

#[tokio::test]
async fn stripe_dedup_key_is_the_event_id() {
    let pipeline = pipeline(
        WebhookConfig::builder()
            .sender(Stripe::new(), secret("whsec_stripe_dedup"))
            .clock(|| T0),
    );
    let header = stripe_header("whsec_stripe_dedup", T0, EVENT_BODY);
    let admitted = pipeline
        .admit(
            &[("Stripe-Signature", header.as_str())][..],
            EVENT_BODY.to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(
        admitted.delivery().dedup_key().as_str(),
        format!("schemes:stripe:id:{EVENT_ID}")
    );
}

/// Svix retries a message with the same id, re-signed at the time of the retry: a
/// different signature header, the same event.
#[tokio::test]
async fn standard_webhooks_retry_resigned_later_is_a_duplicate() {
    let key = secret(SW_KEY);
    let scheme = StandardWebhooks::new();
    let pipeline = pipeline(
        WebhookConfig::builder()
            .sender(scheme, key.clone())
            .clock(|| SW_TS + 60),
    );
    let first =
        testing::sign_with(&scheme, &key, SW_BODY, &SigningContext::new(SW_TS, SW_ID)).unwrap();
    let retry = testing::sign_with(
        &scheme,
        &key,
        SW_BODY,
        &SigningContext::new(SW_TS + 60, SW_ID),
    )
    .unwrap();
    assert_ne!(first.value(), retry.value());

    let admitted = pipeline
        .admit(&first.headers()[..], SW_BODY.to_vec())
        .await
        .unwrap();
    let (delivery, runner) = admitted.into_parts();
    assert!(runner.is_claimed());
    let status = runner
        .run(
            move || async move {
                assert_eq!(delivery.provider(), Provider::STANDARD_WEBHOOKS);
                200
            },
            |status| *status == 200,
        )
        .await
        .unwrap();
    assert_eq!(status, 200);

    let again = pipeline
        .admit(&retry.headers()[..], SW_BODY.to_vec())
        .await
        .unwrap_err();
    assert_eq!(again.status(), 200);
    assert!(
        matches!(again, Rejection::Duplicate { same_body: true }),
        "{again:?}"
    );

    // The key is the id, not the body: another message with the same body is new.
    let other = testing::sign_with(
        &scheme,
        &key,
        SW_BODY,
        &SigningContext::new(SW_TS + 60, "msg_another_message"),
    )
    .unwrap();
    assert!(pipeline
        .admit(&other.headers()[..], SW_BODY.to_vec())
        .await
        .is_ok());
}

// ---------------------------------------------------------------------------------------
// 9. Hostile headers
// ---------------------------------------------------------------------------------------

const MIB: usize = 1 << 20;

fn repeat_to(unit: &str, bytes: usize) -> String {
    unit.repeat(bytes / unit.len())
}

#[test]
fn mebibyte_standard_webhooks_header_of_short_entries_is_no_signature() {
    let value = repeat_to("v1,AAAA ", MIB);
    let headers = sw_headers("webhook", SW_ID, &SW_TS.to_string(), &value);
    assert_eq!(
        sw_verifier(SW_TS)
            .verify(&headers[..], SW_BODY.to_vec())
            .unwrap_err(),
        malformed(Provider::STANDARD_WEBHOOKS, MalformedReason::NoSignature)
    );
}

#[test]
fn mebibyte_standard_webhooks_header_of_well_formed_entries_is_too_many_signatures() {
    // 44 characters of base64 for 32 zero bytes: each entry decodes, none matches.
    let entry = format!("v1,{}= ", "A".repeat(43));
    let value = repeat_to(&entry, MIB);
    let headers = sw_headers("webhook", SW_ID, &SW_TS.to_string(), &value);
    assert_eq!(
        sw_verifier(SW_TS)
            .verify(&headers[..], SW_BODY.to_vec())
            .unwrap_err(),
        malformed(
            Provider::STANDARD_WEBHOOKS,
            MalformedReason::TooManySignatures
        )
    );
    // Sixteen are still read, and the valid one among them found.
    let bad = format!("v1,{}=", "A".repeat(43));
    let mut entries = vec![bad; 15];
    entries.push(SW_SIGNATURE.to_owned());
    let headers = sw_headers("webhook", SW_ID, &SW_TS.to_string(), &entries.join(" "));
    assert!(sw_verifier(SW_TS)
        .verify(&headers[..], SW_BODY.to_vec())
        .is_ok());
}

#[test]
fn mebibyte_stripe_header_of_v1_entries_is_refused() {
    let verifier = Verifier::every_sender(secret("whsec_hostile"))
        .clock(|| T0)
        .build();
    // Empty `v1=` entries after a timestamp: no signature.
    let empty = format!("t={T0},{}", repeat_to("v1=,", MIB));
    assert_eq!(
        verifier
            .verify(
                &[("stripe-signature", empty.as_str())][..],
                EVENT_BODY.to_vec()
            )
            .unwrap_err(),
        malformed(Provider::STRIPE, MalformedReason::NoSignature)
    );
    // Well-formed ones: too many, found before the missing timestamp matters.
    let full = repeat_to(&format!("v1={},", "0".repeat(64)), MIB);
    assert_eq!(
        verifier
            .verify(
                &[("stripe-signature", full.as_str())][..],
                EVENT_BODY.to_vec()
            )
            .unwrap_err(),
        malformed(Provider::STRIPE, MalformedReason::TooManySignatures)
    );
    // Empty entries without any timestamp: the timestamp is what is missing.
    let bare = repeat_to("v1=,", MIB);
    assert_eq!(
        verifier
            .verify(
                &[("stripe-signature", bare.as_str())][..],
                EVENT_BODY.to_vec()
            )
            .unwrap_err(),
        malformed(Provider::STRIPE, MalformedReason::InvalidTimestamp)
    );
    // Sixteen well-formed ones are still read, and the valid last one found.
    let key = "whsec_hostile";
    let mut header = format!("t={T0}");
    for _ in 0..15 {
        header.push_str(&format!(",v1={}", "0".repeat(64)));
    }
    header.push_str(&format!(",v1={}", stripe_v1(key, T0, EVENT_BODY)));
    assert!(verifier
        .verify(
            &[("stripe-signature", header.as_str())][..],
            EVENT_BODY.to_vec()
        )
        .is_ok());
}

// ---------------------------------------------------------------------------------------
// 10. Standard Webhooks secrets
// ---------------------------------------------------------------------------------------

/// The reference libraries decode with Python's lenient `b64decode`, which skips every
/// character outside the base64 alphabet: such a secret is the same key.
#[test]
fn whsec_secret_with_stray_characters_decodes_like_python() {
    let headers = sw_headers("webhook", SW_ID, &SW_TS.to_string(), SW_SIGNATURE);
    // base64.b64decode(s + "==") is the same 24 bytes for each of these.
    for text in [
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "whsec_MfKQ9r8GKYqr!TwjUPD8ILPZIo2LaLaSw",
        "whsec_MfKQ 9r8G-KYqr_TwjU.PD8I\nLPZIo2LaLaSw",
        "whsec_!MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw!",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw==",
    ] {
        let verifier = Verifier::builder()
            .sender(StandardWebhooks::new(), secret(text))
            .clock(|| SW_TS)
            .build();
        let verified = verifier
            .verify(&headers[..], SW_BODY.to_vec())
            .unwrap_or_else(|error| panic!("{text:?}: {error}"));
        assert_eq!(verified.provider(), Provider::STANDARD_WEBHOOKS);
        let signed = testing::sign_with(
            &StandardWebhooks::new(),
            &secret(text),
            SW_BODY,
            &SigningContext::new(SW_TS, SW_ID),
        )
        .unwrap();
        assert_eq!(signed.value(), SW_SIGNATURE, "{text:?}");
    }
}

/// Without `whsec_`, the secret's bytes are the key as given, not base64-decoded.
#[test]
fn secret_without_whsec_prefix_is_the_raw_key() {
    let raw = "my-raw-standard-webhooks-key";
    let ts = SW_TS.to_string();
    let signature = sw_sign(raw.as_bytes(), SW_ID, &ts, SW_BODY);
    let headers = sw_headers("webhook", SW_ID, &ts, &signature);
    let verifier = Verifier::builder()
        .sender(StandardWebhooks::new(), secret(raw))
        .clock(|| SW_TS)
        .build();
    assert!(verifier.verify(&headers[..], SW_BODY.to_vec()).is_ok());

    // The spec's key text without its prefix is 32 bytes of text, not the 24 decoded ones.
    let verifier = Verifier::builder()
        .sender(
            StandardWebhooks::new(),
            secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        )
        .clock(|| SW_TS)
        .build();
    let spec = sw_headers("webhook", SW_ID, &ts, SW_SIGNATURE);
    assert_eq!(
        verifier.verify(&spec[..], SW_BODY.to_vec()).unwrap_err(),
        VerifyError::Mismatch {
            provider: Provider::STANDARD_WEBHOOKS
        }
    );
    // Raw bytes that are not text work too.
    let bytes = [0u8, 0xff, 0x10, 0x80];
    let signature = sw_sign(&bytes, SW_ID, &ts, SW_BODY);
    let headers = sw_headers("webhook", SW_ID, &ts, &signature);
    let verifier = Verifier::builder()
        .sender(
            StandardWebhooks::new(),
            Secret::from_bytes(bytes.to_vec()).unwrap(),
        )
        .clock(|| SW_TS)
        .build();
    assert!(verifier.verify(&headers[..], SW_BODY.to_vec()).is_ok());
}

/// A `whsec_` secret with nothing decodable is not a key: signing says so, and a verifier
/// configured with it accepts nothing (rather than keying with the empty string).
#[test]
fn whsec_secret_that_is_not_base64_is_unusable() {
    for text in ["whsec_", "whsec_!!!!", "whsec_abcde", "whsec_===="] {
        assert!(
            matches!(
                testing::sign_with(
                    &StandardWebhooks::new(),
                    &secret(text),
                    SW_BODY,
                    &SigningContext::new(SW_TS, SW_ID),
                ),
                Err(SignError::Secret(SecretError::Malformed { .. }))
            ),
            "{text:?}"
        );
        let verifier = Verifier::builder()
            .sender(StandardWebhooks::new(), secret(text))
            .clock(|| SW_TS)
            .build();
        let ts = SW_TS.to_string();
        for key in [&b""[..], text.as_bytes()] {
            let signature = sw_sign(key, SW_ID, &ts, SW_BODY);
            let headers = sw_headers("webhook", SW_ID, &ts, &signature);
            assert_eq!(
                verifier.verify(&headers[..], SW_BODY.to_vec()).unwrap_err(),
                VerifyError::Mismatch {
                    provider: Provider::STANDARD_WEBHOOKS
                },
                "{text:?}"
            );
        }
    }
}

/// CPython's `b64decode` stops at `=` only where it completes a quantum; any other `=` is
/// skipped like every other stray character: `b64decode("ab=cd==")` is `69 b7 1d`, and
/// so is `b64decode("a=bcd==")`.
#[test]
fn whsec_secret_with_an_inner_pad_decodes_like_python() {
    let python_key = [0x69_u8, 0xb7, 0x1d];
    let ts = SW_TS.to_string();
    let signature = sw_sign(&python_key, SW_ID, &ts, SW_BODY);
    let headers = sw_headers("webhook", SW_ID, &ts, &signature);
    for text in ["whsec_ab=cd", "whsec_a=bcd"] {
        let verifier = Verifier::builder()
            .sender(StandardWebhooks::new(), secret(text))
            .clock(|| SW_TS)
            .build();
        assert!(
            verifier.verify(&headers[..], SW_BODY.to_vec()).is_ok(),
            "{text:?}"
        );
    }
}

/// `.providers(..)` is an allow-list, whatever the order of the builder's calls.
#[test]
fn providers_is_an_allow_list_applied_at_build() {
    let s = secret("allow-list");
    let body = br#"{"id":"evt_allow"}"#;
    let github = testing::sign(Provider::GITHUB, &s, body).unwrap();
    let stripe_only_first = Verifier::builder()
        .providers([Provider::STRIPE])
        .sender(GitHub, s.clone())
        .build();
    assert_eq!(stripe_only_first.providers(), &[] as &[Provider]);
    assert!(matches!(
        stripe_only_first.verify(&github.headers()[..], body.to_vec()),
        Err(VerifyError::ProviderNotAllowed { provider }) if provider == Provider::GITHUB
    ));
    let then_added = Verifier::every_sender(s.clone())
        .providers([Provider::STRIPE, Provider::GITHUB])
        .sender(GitHub, s)
        .build();
    assert_eq!(
        then_added.providers(),
        &[Provider::GITHUB, Provider::STRIPE]
    );
    assert!(then_added
        .verify(&github.headers()[..], body.to_vec())
        .is_ok());
}

/// A scheme with a tolerance whose headers claim no timestamp is refused: its mistake
/// fails closed rather than checking no freshness at all.
#[test]
fn a_tolerance_without_a_claimed_timestamp_fails_closed() {
    #[derive(Debug)]
    struct Forgetful;
    impl Scheme for Forgetful {
        fn provider(&self) -> Provider {
            Provider::new("forgetful")
        }
        fn signature_headers(&self) -> &'static [&'static str] {
            &["x-forgetful-signature"]
        }
        fn read_signature(
            &self,
            header: SignatureHeader<'_>,
            _headers: &dyn HeaderSource,
        ) -> Result<Signature, MalformedReason> {
            Ok(Signature::new(hookverify::scheme::hex_tag(header.value())?))
        }
        fn timestamp_tolerance(&self) -> Option<Duration> {
            Some(Duration::from_secs(300))
        }
    }
    let s = secret("forgetful");
    let body = b"{}";
    let verifier = Verifier::builder().sender(Forgetful, s.clone()).build();
    let tag = testing::hmac_hex(&s, body);
    let error = verifier
        .verify(
            &[("x-forgetful-signature", tag.as_str())][..],
            body.to_vec(),
        )
        .unwrap_err();
    assert_eq!(
        error,
        malformed(
            Provider::new("forgetful"),
            MalformedReason::InvalidTimestamp
        )
    );
}

/// A secret whose key comes out empty would verify what anyone can sign: it is not used.
#[test]
fn a_secret_that_makes_an_empty_key_is_not_used() {
    #[derive(Debug)]
    struct Emptying;
    impl Scheme for Emptying {
        fn provider(&self) -> Provider {
            Provider::new("emptying")
        }
        fn signature_headers(&self) -> &'static [&'static str] {
            &["x-emptying-signature"]
        }
        fn read_signature(
            &self,
            header: SignatureHeader<'_>,
            _headers: &dyn HeaderSource,
        ) -> Result<Signature, MalformedReason> {
            Ok(Signature::new(hookverify::scheme::hex_tag(header.value())?))
        }
        fn hmac_key<'s>(
            &self,
            _secret: &'s [u8],
        ) -> Result<std::borrow::Cow<'s, [u8]>, hookverify::SecretError> {
            Ok(std::borrow::Cow::Borrowed(&[]))
        }
    }
    let body = b"{}";
    let forged = hex(&hmac_sha256(b"", &[body]));
    let verifier = Verifier::builder()
        .sender(Emptying, secret("anything"))
        .build();
    assert!(matches!(
        verifier.verify(
            &[("x-emptying-signature", forged.as_str())][..],
            body.to_vec()
        ),
        Err(VerifyError::Mismatch { .. })
    ));
}

/// GitHub's delivery header is not signed: only a GUID is taken as the key, anything else
/// falls back to the body's hash (so a long forged value cannot fill the store).
#[tokio::test]
async fn github_takes_only_a_guid_as_its_delivery_id() {
    let s = secret("github-guid");
    let body = br#"{"zen":"Keep it logically awesome."}"#;
    let signature = testing::sign(Provider::GITHUB, &s, body).unwrap();
    let pipeline = pipeline(WebhookConfig::builder().sender(GitHub, s.clone()));
    let long = "a".repeat(4000);
    for (delivery, hashed) in [
        ("72d3162e-cc78-11e3-81ab-4c9367dc0958", false),
        ("not-a-guid", true),
        (long.as_str(), true),
    ] {
        let headers = [
            (
                "x-hub-signature-256".to_owned(),
                signature.value().to_owned(),
            ),
            ("x-github-delivery".to_owned(), delivery.to_owned()),
        ];
        let verified = Verifier::builder()
            .sender(GitHub, s.clone())
            .build()
            .verify(&headers[..], body.to_vec())
            .unwrap();
        assert_eq!(verified.delivery_id().is_none(), hashed, "{delivery:.40}");
        let admitted = pipeline.admit(&headers[..], body.to_vec()).await;
        if let Ok(admitted) = admitted {
            let key = admitted.delivery().dedup_key().as_str().to_owned();
            assert_eq!(key.contains(":github:sha256:"), hashed, "{key}");
            let (_, runner) = admitted.into_parts();
            runner.settle(false).await;
        }
    }
}

#[test]
fn a_sender_with_two_header_names_verifies_under_either_whichever_is_forged() {
    let key = "prism-secret";
    let verifier = Verifier::builder().sender(Prism, secret(key)).build();
    let body = br#"{"request_id":"r1","event":"request.completed"}"#;
    let good = format!("sha256={}", hex(&hmac_sha256(key.as_bytes(), &[body])));
    let forged = format!("sha256={}", "0".repeat(64));
    for (agentcc, prism) in [(&good, &forged), (&forged, &good)] {
        let headers = owned(&[
            ("x-agentcc-signature", agentcc.as_str()),
            ("x-prism-signature", prism.as_str()),
        ]);
        assert!(
            verifier.verify(&headers, body.to_vec()).is_ok(),
            "agentcc {agentcc}, prism {prism}"
        );
    }
    // Both forged: still refused, with the preferred header's reason.
    let headers = owned(&[
        ("x-agentcc-signature", forged.as_str()),
        ("x-prism-signature", forged.as_str()),
    ]);
    assert!(matches!(
        verifier.verify(&headers, body.to_vec()),
        Err(VerifyError::Mismatch { .. })
    ));
}
