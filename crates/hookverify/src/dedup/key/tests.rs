//! Each provider's key, the fallbacks, the opt-in agent key and custom keys. The bodies are
//! parsed with `Document::parse`, as the pipeline does.

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::*;
use crate::canonical::canonical_json;
use crate::SignedForm;

fn verified(provider: Provider, body: &str) -> Verified {
    Verified {
        scheme: std::sync::Arc::clone(crate::senders::built_in_ref(provider).unwrap()),
        provider,
        body: Bytes::copy_from_slice(body.as_bytes()),
        fingerprint: [0; 32],
        signed_form: SignedForm::RawBody,
        secret_index: 0,
        document: None,
        delivery_id: None,
        event_type: None,
    }
}

fn key_with(strategy: &KeyStrategy, provider: Provider, body: &str) -> String {
    let verified = verified(provider, body);
    let document = Document::parse(verified.body()).unwrap();
    let key = strategy.key_for("ns", &verified, &document);
    let key = key.as_str().strip_prefix("ns:").expect("namespaced");
    key.to_owned()
}

fn key(provider: Provider, body: &str) -> String {
    key_with(&KeyStrategy::default(), provider, body)
}

fn raw_hash(body: &str) -> String {
    hex(&Sha256::digest(body.as_bytes()))
}

fn canonical_hash(body: &str) -> String {
    hex(&Sha256::digest(canonical_json(body.as_bytes()).unwrap()))
}

#[test]
fn promptreports_and_generic_use_the_id() {
    let body =
        r#"{"id":"evt_1","type":"prompt.created","timestamp":"2025-01-01T00:00:00Z","data":{}}"#;
    assert_eq!(key(Provider::PROMPTREPORTS, body), "promptreports:id:evt_1");
    let body = r#"{"id": "evt_9", "type": "user.created", "data": {"id": "inner"}}"#;
    assert_eq!(key(Provider::GENERIC, body), "generic:id:evt_9");
}

#[test]
fn ids_may_be_numbers_or_escaped_strings() {
    assert_eq!(
        key(Provider::GENERIC, r#"{"id": 12345}"#),
        "generic:id:12345"
    );
    assert_eq!(key(Provider::GENERIC, r#"{"id": 1.50}"#), "generic:id:1.50");
    assert_eq!(
        key(
            Provider::GENERIC,
            r#"{"id": 123456789012345678901234567890}"#
        ),
        "generic:id:123456789012345678901234567890"
    );
    assert_eq!(
        key(Provider::GENERIC, r#"{"id": "evt\u005f\u00e9"}"#),
        "generic:id:evt_\u{e9}"
    );
    // Duplicate members: the last one wins, as in `json.loads`.
    assert_eq!(
        key(Provider::GENERIC, r#"{"id": "a", "id": "b"}"#),
        "generic:id:b"
    );
}

#[test]
fn prism_uses_request_id_and_event() {
    let completed = r#"{"request_id": "req_1", "model": "gpt", "event": "request.completed"}"#;
    let errored = r#"{"request_id": "req_1", "model": "gpt", "event": "error.occurred"}"#;
    assert_eq!(
        key(Provider::PRISM, completed),
        "prism:id:req_1:request.completed"
    );
    assert_eq!(
        key(Provider::PRISM, errored),
        "prism:id:req_1:error.occurred"
    );
}

#[test]
fn raw_body_providers_fall_back_to_the_body_hash() {
    let test_event = r#"{"event": "test", "webhook_id": "w1"}"#;
    assert_eq!(
        key(Provider::PRISM, test_event),
        "prism:sha256:39435c6356df6c2a3b3f81f09ecb5e88d1f212c2dc5106ffa3cf35634b446e8f"
    );
    for body in [
        r#"{"type": "x"}"#,
        r#"{"id": null}"#,
        r#"{"id": ""}"#,
        r#"{"id": true}"#,
        r#"{"id": {"nested": 1}}"#,
        r#"[1, 2]"#,
    ] {
        assert_eq!(
            key(Provider::GENERIC, body),
            format!("generic:sha256:{}", raw_hash(body))
        );
        assert_eq!(
            key(Provider::PROMPTREPORTS, body),
            format!("promptreports:sha256:{}", raw_hash(body))
        );
    }
    let no_event = r#"{"request_id": "req_1"}"#;
    assert_eq!(
        key(Provider::PRISM, no_event),
        format!("prism:sha256:{}", raw_hash(no_event))
    );
}

#[test]
fn promptlayer_hashes_the_canonical_form() {
    // CPython: json.dumps(payload, sort_keys=True) is
    // {"details": {"report_id": 1, "report_name": "r"}, "event_type": "report_finished"}
    let body = r#"{"event_type":"report_finished","details":{"report_name":"r","report_id":1}}"#;
    assert_eq!(
        key(Provider::PROMPTLAYER, body),
        "promptlayer:sha256:3dcf1938b2665f3b4dd97cbcc6b1e497f0729dd5c94bf3aab8242fe5dffcbeaf"
    );
    // The same payload in another key order and spacing is the same event.
    let reordered =
        r#"{"details": {"report_id": 1, "report_name": "r"}, "event_type": "report_finished"}"#;
    assert_eq!(
        key(Provider::PROMPTLAYER, reordered),
        key(Provider::PROMPTLAYER, body)
    );
    assert_eq!(
        key(Provider::PROMPTLAYER, body),
        format!("promptlayer:sha256:{}", canonical_hash(body))
    );
}

#[test]
fn agent_execution_id_is_opt_in() {
    let body = r#"{"event_type": "agent_run_finished", "details": {"agent_name": "a", "agent_id": 3, "agent_execution_id": 991}}"#;
    let hashed = format!("promptlayer:sha256:{}", canonical_hash(body));
    assert_eq!(key(Provider::PROMPTLAYER, body), hashed);

    let agents = KeyStrategy::default().agent_execution_id(true);
    assert_eq!(
        key_with(&agents, Provider::PROMPTLAYER, body),
        "promptlayer:agent_execution:991"
    );
    let string_id =
        r#"{"event_type": "agent_run_finished", "details": {"agent_execution_id": "ex-1"}}"#;
    assert_eq!(
        key_with(&agents, Provider::PROMPTLAYER, string_id),
        "promptlayer:agent_execution:ex-1"
    );

    // Only for that event type, and only when the id is there.
    let other = r#"{"event_type": "report_finished", "details": {"agent_execution_id": 991}}"#;
    assert_eq!(
        key_with(&agents, Provider::PROMPTLAYER, other),
        format!("promptlayer:sha256:{}", canonical_hash(other))
    );
    let missing = r#"{"event_type": "agent_run_finished", "details": {"agent_id": 3}}"#;
    assert_eq!(
        key_with(&agents, Provider::PROMPTLAYER, missing),
        format!("promptlayer:sha256:{}", canonical_hash(missing))
    );
    // The option concerns PromptLayer only.
    assert_eq!(
        key_with(&agents, Provider::GENERIC, r#"{"id": "e"}"#),
        "generic:id:e"
    );
}

#[test]
fn custom_keys_override_and_stay_namespaced() {
    let strategy = KeyStrategy::custom(|verified| {
        let value: serde_json::Value = verified.json().ok()?;
        value.get("delivery")?.as_str().map(str::to_owned)
    })
    .agent_execution_id(true);
    assert_eq!(
        key_with(
            &strategy,
            Provider::GENERIC,
            r#"{"id": "e", "delivery": "d1"}"#
        ),
        "generic:custom:d1"
    );
    assert_eq!(
        key_with(&strategy, Provider::PRISM, r#"{"delivery": "d1"}"#),
        "prism:custom:d1"
    );
    let agent = r#"{"event_type": "agent_run_finished", "details": {"agent_execution_id": 7}, "delivery": "d2"}"#;
    assert_eq!(
        key_with(&strategy, Provider::PROMPTLAYER, agent),
        "promptlayer:custom:d2"
    );
    // `None` and empty keys fall back to the provider's key.
    assert_eq!(
        key_with(&strategy, Provider::GENERIC, r#"{"id": "e"}"#),
        "generic:id:e"
    );
    assert_eq!(
        key_with(
            &strategy,
            Provider::GENERIC,
            r#"{"id": "e", "delivery": ""}"#
        ),
        "generic:id:e"
    );
    let agent = r#"{"event_type": "agent_run_finished", "details": {"agent_execution_id": 7}}"#;
    assert_eq!(
        key_with(&strategy, Provider::PROMPTLAYER, agent),
        "promptlayer:agent_execution:7"
    );

    let replaced = strategy.with_custom(|_| Some("fixed".to_owned()));
    assert_eq!(
        key_with(&replaced, Provider::GENERIC, r#"{"id": "e"}"#),
        "generic:custom:fixed"
    );
}

#[test]
fn strategy_debug_hides_the_function() {
    let strategy = KeyStrategy::custom(|_| None);
    assert_eq!(
        format!("{strategy:?}"),
        "KeyStrategy { custom: true, agent_execution_id: false }"
    );
}

#[test]
fn parts_are_escaped_so_keys_cannot_collide() {
    let one = r#"{"request_id": "r1:request", "event": "completed"}"#;
    let two = r#"{"request_id": "r1", "event": "request:completed"}"#;
    assert_eq!(key(Provider::PRISM, one), "prism:id:r1%3Arequest:completed");
    assert_eq!(key(Provider::PRISM, two), "prism:id:r1:request%3Acompleted");
    // An id that spells a fallback key is not that fallback.
    let spelled = format!(r#"{{"id": "sha256:{}"}}"#, raw_hash("{}"));
    assert_eq!(
        key(Provider::GENERIC, &spelled),
        format!("generic:id:sha256%3A{}", raw_hash("{}"))
    );
    assert_eq!(
        key(Provider::GENERIC, r#"{"id": "100%"}"#),
        "generic:id:100%25"
    );
}

#[test]
fn the_namespace_comes_first_escaped() {
    let verified = verified(Provider::GENERIC, r#"{"id": "e"}"#);
    let document = Document::parse(verified.body()).unwrap();
    let keys = KeyStrategy::default();
    assert_eq!(
        keys.key_for("billing", &verified, &document).as_str(),
        "billing:generic:id:e"
    );
    assert_eq!(
        keys.key_for("a:b", &verified, &document).as_str(),
        "a%3Ab:generic:id:e"
    );
    assert_ne!(
        keys.key_for("one", &verified, &document),
        keys.key_for("two", &verified, &document)
    );
}

#[test]
fn a_part_keeps_its_text_around_each_escape() {
    for (part, escaped) in [
        ("", ""),
        ("plain", "plain"),
        (":", "%3A"),
        ("%%", "%25%25"),
        ("é:ü%ß", "é%3Aü%25ß"),
        (":a:", "%3Aa%3A"),
        ("%3A", "%253A"),
        ("日本:語", "日本%3A語"),
    ] {
        let mut key = String::from("ns:");
        push_part(&mut key, part);
        assert_eq!(key, format!("ns:{escaped}"), "{part}");
    }
}
