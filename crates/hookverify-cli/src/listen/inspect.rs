//! What a delivery is: who sent it, which event, and whether its signature verifies, in
//! the explanation engine's plain words (the same as `hookverify verify`).

use hookverify::events::AnyEvent;
use hookverify::explain::{explain, Finding};
use hookverify::{Provider, Secret};

use super::store::Verdict;

/// What was found about one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Inspection {
    /// The senders whose signature headers are present.
    pub(crate) senders: Vec<String>,
    /// The event type, when one could be read.
    pub(crate) event_type: Option<String>,
    /// Valid or not.
    pub(crate) verdict: Verdict,
    /// One plain-words line per finding.
    pub(crate) explanation: Vec<String>,
}

/// The line said when the listener has no secret to verify with.
pub(crate) const NO_SECRET: &str =
    "no secret given: start `hookverify listen` with --secret to verify signatures";

/// Inspects a delivery's `headers` (names lowercase) and `body` against `secrets`, with
/// signed timestamps checked against `now` (Unix seconds).
pub(crate) fn inspect(
    secrets: &[Secret],
    headers: &[(String, String)],
    body: &[u8],
    now: i64,
) -> Inspection {
    let explanation = explain(secrets, headers, body, &move || now);
    let senders = explanation.senders();
    let provider = explanation.valid().or_else(|| senders.first().copied());
    let (verdict, lines) = if secrets.is_empty() {
        // Only what is known without a secret: the headers found, and why nothing verified.
        let mut lines: Vec<String> = explanation
            .findings()
            .iter()
            .filter(|finding| {
                matches!(finding, Finding::Header { .. } | Finding::NoSignatureHeader)
            })
            .map(ToString::to_string)
            .collect();
        lines.push(NO_SECRET.to_owned());
        (Verdict::Invalid, lines)
    } else {
        let verdict = if explanation.is_valid() {
            Verdict::Valid
        } else {
            Verdict::Invalid
        };
        let lines = explanation
            .findings()
            .iter()
            .map(ToString::to_string)
            .collect();
        (verdict, lines)
    };
    Inspection {
        senders: senders
            .iter()
            .map(|sender| sender.name().to_owned())
            .collect(),
        event_type: event_type(provider, headers, body),
        verdict,
        explanation: lines,
    }
}

/// The event type: GitHub's `x-github-event` header, the sender's own event model, or for
/// an unknown sender a top-level `type` / `event_type` / `event` string.
fn event_type(
    provider: Option<Provider>,
    headers: &[(String, String)],
    body: &[u8],
) -> Option<String> {
    match provider {
        Some(Provider::GITHUB) => headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("x-github-event"))
            .map(|(_, value)| value.clone()),
        Some(provider) => AnyEvent::parse(provider, body)
            .ok()
            .map(|event| event.event_type().to_owned()),
        None => {
            let value: serde_json::Value = serde_json::from_slice(body).ok()?;
            ["type", "event_type", "event"]
                .iter()
                .find_map(|key| value.get(key)?.as_str().map(str::to_owned))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hookverify::samples;

    fn signed(secret: &Secret) -> (Vec<(String, String)>, Vec<u8>) {
        let sample = samples::sample(Provider::GENERIC, "user.created", 1).unwrap();
        let headers = sample
            .sign(secret)
            .unwrap()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        (headers, sample.body().to_vec())
    }

    fn now() -> i64 {
        use hookverify::scheme::{SystemWallClock, WallClock};
        SystemWallClock.unix_time()
    }

    #[test]
    fn valid_and_refused_are_explained() {
        let right = Secret::new("whsec_right").unwrap();
        let wrong = Secret::new("whsec_wrong").unwrap();
        let (headers, body) = signed(&right);

        let valid = inspect(std::slice::from_ref(&right), &headers, &body, now());
        assert_eq!(valid.verdict, Verdict::Valid);
        assert_eq!(valid.senders, ["generic"]);
        assert_eq!(valid.event_type.as_deref(), Some("user.created"));

        let refused = inspect(&[wrong], &headers, &body, now());
        assert_eq!(refused.verdict, Verdict::Invalid);
        assert_eq!(refused.event_type.as_deref(), Some("user.created"));
        assert!(
            refused
                .explanation
                .iter()
                .any(|line| line.contains("secret")),
            "{:?}",
            refused.explanation
        );
    }

    #[test]
    fn without_a_secret_it_says_so() {
        let (headers, body) = signed(&Secret::new("whsec_any").unwrap());
        let inspection = inspect(&[], &headers, &body, now());
        assert_eq!(inspection.verdict, Verdict::Invalid);
        assert_eq!(inspection.senders, ["generic"]);
        assert_eq!(
            inspection.explanation.last().map(String::as_str),
            Some(NO_SECRET)
        );
    }

    #[test]
    fn an_unsigned_body_still_has_its_type() {
        let inspection = inspect(
            &[Secret::new("k").unwrap()],
            &[],
            br#"{"event_type":"ping"}"#,
            0,
        );
        assert!(inspection.senders.is_empty());
        assert_eq!(inspection.event_type.as_deref(), Some("ping"));
        assert_eq!(inspection.verdict, Verdict::Invalid);
    }
}
