//! Properties of the verifier: what `testing::sign` signs always verifies, and no single
//! change of signature or signed content ever does.
#![allow(clippy::expect_used, clippy::unwrap_used)] // test helpers fail loudly by design

use hookverify::{testing, Provider, Secret, Verifier, VerifyError};
use proptest::prelude::*;
use serde_json::{Map, Value};

const RAW_BODY_PROVIDERS: [Provider; 3] =
    [Provider::PRISM, Provider::PROMPTREPORTS, Provider::GENERIC];

fn secret() -> Secret {
    Secret::new("whsec_property_test").expect("secret")
}

fn provider() -> impl Strategy<Value = Provider> {
    prop::sample::select(Provider::ALL.to_vec())
}

fn raw_provider() -> impl Strategy<Value = Provider> {
    prop::sample::select(RAW_BODY_PROVIDERS.to_vec())
}

/// JSON values of every kind, with keys and strings drawn from all of Unicode.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Writes `value` as JSON with object members in reverse order and optional whitespace:
/// another byte sequence for the same parsed payload.
fn write_reordered(value: &Value, spaced: bool, out: &mut String) {
    let gap = if spaced { " \n\t" } else { "" };
    match value {
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                    out.push_str(gap);
                }
                write_reordered(item, spaced, out);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            out.push_str(gap);
            for (index, (key, item)) in members.iter().rev().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&Value::from(key.as_str()).to_string());
                out.push_str(gap);
                out.push(':');
                write_reordered(item, spaced, out);
            }
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// Verifies `body` with the headers of `signature`, its signature header's value replaced
/// by `header_value`.
fn verify(
    signature: &testing::TestSignature,
    header_value: &str,
    body: &[u8],
) -> Result<hookverify::Verified, VerifyError> {
    let headers = signature.headers_with_value(header_value);
    Verifier::new(secret()).verify(&headers[..], body.to_vec())
}

/// The senders whose signature header is one HMAC in hex.
const HEX_PROVIDERS: [Provider; 5] = [
    Provider::PROMPTLAYER,
    Provider::PRISM,
    Provider::PROMPTREPORTS,
    Provider::GENERIC,
    Provider::GITHUB,
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn signed_raw_bodies_verify(provider in raw_provider(), body in prop::collection::vec(any::<u8>(), 0..2048)) {
        let signature = testing::sign(provider, &secret(), &body).expect("raw providers sign any bytes");
        let verified = verify(&signature, signature.value(), &body).expect("what testing::sign signs verifies");
        prop_assert_eq!(verified.provider(), provider);
        prop_assert_eq!(verified.body().as_ref(), &body[..]);
    }

    #[test]
    fn signed_json_verifies_for_every_provider(provider in provider(), value in json_value()) {
        let body = serde_json::to_vec(&value).expect("serializable");
        let signature = testing::sign(provider, &secret(), &body).expect("JSON body");
        prop_assert!(verify(&signature, signature.value(), &body).is_ok());
    }

    #[test]
    fn any_single_byte_change_of_the_signature_fails(
        provider in provider(),
        value in json_value(),
        position in any::<prop::sample::Index>(),
        replacement in any::<u8>(),
    ) {
        let body = serde_json::to_vec(&value).expect("serializable");
        let signature = testing::sign(provider, &secret(), &body).expect("JSON body");
        let mut tampered = signature.value().as_bytes().to_vec();
        let at = position.index(tampered.len());
        // Changing a hex digit's case names the same byte, so it is not a change of signature.
        prop_assume!(!tampered[at].eq_ignore_ascii_case(&replacement));
        tampered[at] = replacement;
        let tampered = String::from_utf8_lossy(&tampered).into_owned();
        prop_assert!(verify(&signature, &tampered, &body).is_err());
    }

    #[test]
    fn any_single_byte_change_of_a_raw_body_fails(
        provider in raw_provider(),
        body in prop::collection::vec(any::<u8>(), 1..2048),
        position in any::<prop::sample::Index>(),
        replacement in any::<u8>(),
    ) {
        let signature = testing::sign(provider, &secret(), &body).expect("raw providers sign any bytes");
        let mut tampered = body.clone();
        let at = position.index(tampered.len());
        prop_assume!(tampered[at] != replacement);
        tampered[at] = replacement;
        let refused = matches!(verify(&signature, signature.value(), &tampered), Err(VerifyError::Mismatch { .. }));
        prop_assert!(refused);
    }

    #[test]
    fn promptlayer_ignores_whitespace_and_key_order(value in json_value(), spaced in any::<bool>()) {
        let signature = testing::sign(Provider::PROMPTLAYER, &secret(), &serde_json::to_vec(&value).expect("JSON"))
            .expect("JSON body");
        let mut wire = String::new();
        write_reordered(&value, spaced, &mut wire);
        prop_assert!(verify(&signature, signature.value(), wire.as_bytes()).is_ok(), "{}", wire);
    }

    #[test]
    fn promptlayer_refuses_any_change_of_the_payload(value in json_value(), key in any::<String>(), extra in json_value()) {
        let original = serde_json::to_vec(&value).expect("JSON");
        let signature = testing::sign(Provider::PROMPTLAYER, &secret(), &original).expect("JSON body");
        let changed = match value.clone() {
            Value::Object(mut members) => {
                members.insert(key, extra);
                Value::Object(members)
            }
            other => Value::Array(vec![other, extra]),
        };
        let changed_bytes = serde_json::to_vec(&changed).expect("JSON");
        prop_assume!(hookverify::canonical::canonical_json(&changed_bytes) != hookverify::canonical::canonical_json(&original));
        prop_assert!(verify(&signature, signature.value(), &changed_bytes).is_err());
    }

    #[test]
    fn arbitrary_header_values_never_panic(provider in provider(), value in prop::collection::vec(any::<u8>(), 0..200), body in prop::collection::vec(any::<u8>(), 0..256)) {
        let signature = testing::sign(provider, &secret(), b"{}").expect("JSON body");
        let value = String::from_utf8_lossy(&value).into_owned();
        let _ = verify(&signature, &value, &body);
    }
}

#[test]
fn malformed_headers_are_refused_with_their_reason() {
    let body = br#"{"id":"evt_1"}"#;
    for provider in HEX_PROVIDERS {
        let signature = testing::sign(provider, &secret(), body).expect("JSON body");
        let good = signature.value();
        let prefix = if good.starts_with("sha256=") {
            "sha256="
        } else {
            ""
        };
        let hex = &good[prefix.len()..];
        let truncated = &good[..good.len() - 1];
        let extended = format!("{good}0");
        let non_hex = format!("{prefix}{}", "z".repeat(64));
        let wrong_prefix = format!("sha1={hex}");
        let huge = "f".repeat(1 << 20);
        for bad in [
            truncated,
            extended.as_str(),
            "",
            non_hex.as_str(),
            wrong_prefix.as_str(),
            huge.as_str(),
        ] {
            let error = verify(&signature, bad, body).expect_err(bad);
            assert!(
                matches!(error, VerifyError::MalformedSignature { provider: p, .. } if p == provider),
                "{provider} {bad:.80}: {error:?}"
            );
        }
    }
}

#[test]
fn a_header_of_a_provider_not_allowed_is_named() {
    let body = br#"{"id":"evt_1"}"#;
    let signature = testing::sign(Provider::GENERIC, &secret(), body).expect("JSON body");
    let verifier = Verifier::every_sender(secret())
        .providers([Provider::PROMPTLAYER])
        .build();
    let error = verifier
        .verify(&[(signature.name(), signature.value())][..], body.to_vec())
        .expect_err("not allowed");
    assert_eq!(
        error,
        VerifyError::ProviderNotAllowed {
            provider: Provider::GENERIC
        }
    );
    let none: [(&str, &str); 0] = [];
    assert_eq!(
        verifier
            .verify(&none[..], body.to_vec())
            .expect_err("no header"),
        VerifyError::MissingSignature
    );
}

#[test]
fn fingerprint_is_the_first_secrets_tag_whichever_secret_matched() {
    let body = br#"{"id":"evt_1"}"#;
    let old = Secret::new("old").expect("secret");
    let new = Secret::new("new").expect("secret");
    let signed_old = testing::sign(Provider::GENERIC, &old, body).expect("JSON body");
    let signed_new = testing::sign(Provider::GENERIC, &new, body).expect("JSON body");
    let verifier = Verifier::every_sender(new).secret(old).build();
    let by_old = verifier
        .verify(
            &[(signed_old.name(), signed_old.value())][..],
            body.to_vec(),
        )
        .expect("old secret");
    let by_new = verifier
        .verify(
            &[(signed_new.name(), signed_new.value())][..],
            body.to_vec(),
        )
        .expect("new secret");
    assert_eq!((by_old.secret_index(), by_new.secret_index()), (1, 0));
    assert_eq!(by_old.fingerprint(), by_new.fingerprint());
    assert_eq!(
        format!("sha256={}", hex(&by_new.fingerprint())),
        signed_new.value()
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[test]
fn a_promptlayer_payload_has_one_fingerprint_whichever_form_was_signed() {
    use hmac::{Hmac, Mac};
    // Not in canonical form: keys unsorted, compact separators, a respelled float.
    let body = br#"{"event_type":"prompt_template_deleted","details":{"prompt_template_id":12},"weight":1.50}"#;
    let new = Secret::new("new").expect("secret");
    let verifier = Verifier::every_sender(new.clone())
        .secret(Secret::new("old").expect("secret"))
        .build();
    let verify = |value: &str| {
        verifier
            .verify(&[("x-promptlayer-signature", value)][..], body.to_vec())
            .expect("authentic")
    };
    let canonical = testing::sign(Provider::PROMPTLAYER, &new, body).expect("JSON body");
    let by_canonical = verify(canonical.value());
    let raw_tag = |secret: &str| {
        let mut mac =
            <Hmac<sha2::Sha256>>::new_from_slice(secret.as_bytes()).expect("any key length");
        mac.update(body);
        hex(&mac.finalize().into_bytes())
    };
    let by_raw = verify(&raw_tag("new"));
    let by_raw_old = verify(&raw_tag("old"));
    assert_eq!(
        (by_canonical.signed_form(), by_raw.signed_form()),
        (
            hookverify::SignedForm::Canonical,
            hookverify::SignedForm::RawBody
        )
    );
    assert_eq!(by_raw.fingerprint(), by_canonical.fingerprint());
    assert_eq!(by_raw_old.fingerprint(), by_canonical.fingerprint());
    assert_eq!(hex(&by_canonical.fingerprint()), canonical.value());
}
