//! The sample events: every documented event type of every built-in sender.

use super::json::{Json, Style};
use super::Sample;
use crate::events::{PRISM_EVENT_TYPES, PROMPTLAYER_EVENT_TYPES, PROMPTREPORTS_EVENT_TYPES};
use crate::scheme::{SigningContext, SystemWallClock, WallClock};
use crate::Provider;

const GENERIC_EVENT_TYPES: &[&str] = &["user.created", "user.deleted", "payment.succeeded"];
const GITHUB_EVENT_TYPES: &[&str] = &["ping", "push", "issues", "pull_request", "release"];
const STANDARD_WEBHOOKS_EVENT_TYPES: &[&str] = &["user.created", "user.deleted", "email.sent"];
const STRIPE_EVENT_TYPES: &[&str] = &[
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "customer.created",
    "invoice.paid",
    "charge.refunded",
];

/// The event types a sample exists for: every type the sender documents (for GitHub,
/// Standard Webhooks, Stripe and the generic template, whose types are open-ended, the
/// common ones).
#[must_use]
pub fn event_types(provider: Provider) -> &'static [&'static str] {
    match provider {
        Provider::PROMPTLAYER => PROMPTLAYER_EVENT_TYPES,
        Provider::PRISM => PRISM_EVENT_TYPES,
        Provider::PROMPTREPORTS => PROMPTREPORTS_EVENT_TYPES,
        Provider::GENERIC => GENERIC_EVENT_TYPES,
        Provider::GITHUB => GITHUB_EVENT_TYPES,
        Provider::STANDARD_WEBHOOKS => STANDARD_WEBHOOKS_EVENT_TYPES,
        Provider::STRIPE => STRIPE_EVENT_TYPES,
        _ => &[],
    }
}

/// Sample number `n` of `provider`'s `event_type`: a realistic body, serialized as the
/// sender serializes it (PromptLayer and Prism: Python's `json.dumps`; Stripe: indented;
/// the others compact), with ids derived from `n` and the type so that the same `n` and
/// type is the same event, and samples that differ in either are different events (`n` is
/// taken modulo 2^40). `None` for a type not in [`event_types`].
#[must_use]
pub fn sample(provider: Provider, event_type: &str, n: u64) -> Option<Sample> {
    let types = event_types(provider);
    let index = types.iter().position(|known| *known == event_type)?;
    let event_type = *types.get(index)?;
    // Most senders' ids do not name the type: without the type's index in them, sample 5 of
    // `invoice.paid` would be a duplicate of sample 5 of `payment_intent.succeeded`. At most
    // 46 bits, so every id fits the 12 hex digits of a UUID's last group.
    let n = (n % (1 << 40)) * TYPES_PER_SENDER + u64::try_from(index).ok()?;
    let now = SystemWallClock.unix_time();
    let (body, style, delivery_id) = match provider {
        Provider::PROMPTLAYER => (promptlayer(event_type, n), Style::Python, String::new()),
        Provider::PRISM => (prism(event_type, n), Style::Python, String::new()),
        Provider::PROMPTREPORTS => (promptreports(event_type, n), Style::Compact, String::new()),
        Provider::GENERIC => (generic(event_type, n), Style::Compact, String::new()),
        Provider::GITHUB => (github(event_type, n), Style::Compact, guid(n)),
        Provider::STANDARD_WEBHOOKS => (
            standard_webhooks(event_type, n),
            Style::Compact,
            format!("msg_2Lh9KRb0pzN5GhqRKRs{n:08}"),
        ),
        Provider::STRIPE => (stripe(event_type, n), Style::Pretty, String::new()),
        _ => return None,
    };
    Some(Sample {
        provider,
        event_type,
        body: body.write(style).into_bytes(),
        context: SigningContext::new(now, delivery_id).event_type(event_type),
    })
}

/// More than any sender has event types: see [`sample`].
const TYPES_PER_SENDER: u64 = 64;

fn int(n: u64) -> Json {
    Json::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

fn guid(n: u64) -> String {
    format!("72d3162e-cc78-11e3-81ab-{n:012x}")
}

fn promptlayer(event_type: &'static str, n: u64) -> Json {
    let template = || {
        vec![
            ("prompt_template_id", int(n)),
            ("prompt_template_name", Json::str("Welcome email")),
        ]
    };
    let details: Vec<(&'static str, Json)> = match event_type {
        "prompt_template_version_created" | "prompt_template_updated" => {
            let mut details = template();
            details.push(("prompt_template_version_number", Json::Int(9)));
            details
        }
        "prompt_template_name_changed" => {
            let mut details = template();
            details.push(("old_prompt_template_name", Json::str("Welcome mail")));
            details
        }
        "prompt_template_deleted" => template(),
        "prompt_template_label_created" | "prompt_template_label_deleted" => {
            let mut details = template();
            details.push(("prompt_template_version_number", Json::Int(9)));
            details.push(("prompt_template_label", Json::str("prod")));
            details
        }
        "prompt_template_label_moved" => {
            let mut details = template();
            details.push(("prompt_template_version_number", Json::Int(9)));
            details.push(("old_prompt_template_version_number", Json::Int(8)));
            details.push(("prompt_template_label", Json::str("prod")));
            details
        }
        "prompt_template_label_change_requested"
        | "prompt_template_label_change_approved"
        | "prompt_template_label_change_denied" => {
            let mut details = template();
            details.push(("prompt_template_label", Json::str("prod")));
            details.push(("change_type", Json::str("move")));
            details
        }
        "agent_run_finished" => vec![
            ("agent_name", Json::str("Support triage")),
            ("agent_id", Json::Int(12)),
            ("agent_execution_id", int(n)),
        ],
        "report_finished" => vec![
            ("report_id", int(n)),
            ("report_name", Json::str("Weekly évaluation")),
        ],
        "dataset_version_created_by_file" => vec![
            ("dataset_id", int(n)),
            ("dataset_version_number", Json::Int(3)),
        ],
        "dataset_version_created_by_file_failed" => vec![
            ("dataset_id", int(n)),
            (
                "error_message",
                Json::str("row 12: missing column \"input\""),
            ),
        ],
        "dataset_version_created_from_filter_params" => vec![
            ("dataset_id", int(n)),
            ("rows_added", Json::Int(250)),
            ("dataset_version_number", Json::Int(4)),
        ],
        "table_sheet_created_from_file" => table_sheet(n, "file", true, None),
        "table_sheet_created_from_file_failed" => {
            table_sheet(n, "file", false, Some("the file is empty"))
        }
        "table_sheet_created_from_request_history" => table_sheet(n, "request_logs", true, None),
        "table_sheet_created_from_request_history_failed" => {
            table_sheet(n, "request_logs", false, Some("no requests matched"))
        }
        "skill_collection_files_changed" => vec![
            ("skill_collection_id", Json::str(format!("sc_{n}"))),
            ("source", Json::str("version_save")),
            (
                "affected_paths",
                Json::Array(vec![
                    Json::str("skills/search.md"),
                    Json::str("skills/é.md"),
                ]),
            ),
            ("version_number", Json::Int(2)),
        ],
        _ => template(),
    };
    Json::Object(vec![
        ("event_type", Json::str(event_type)),
        ("details", Json::Object(details)),
        ("user_id", Json::Int(1)),
        ("user_name", Json::str("John Doe")),
        ("user_email", Json::str("john.doe@example.com")),
        ("workspace_id", Json::Int(1)),
        ("timestamp", Json::str("2025-06-01T12:00:00.123456")),
    ])
}

fn table_sheet(
    n: u64,
    source: &'static str,
    succeeded: bool,
    error: Option<&'static str>,
) -> Vec<(&'static str, Json)> {
    let mut details = vec![
        ("operation_id", int(n)),
        (
            "table_id",
            Json::str("0b6f5a9e-2c1d-4f7a-9a53-6a1f7e2b9c11"),
        ),
        (
            "sheet_id",
            Json::str(format!("5f2d8c1a-7b3e-4d6f-8e9a-{n:012x}")),
        ),
        ("source", Json::str(source)),
    ];
    if source == "file" {
        details.push(("file_name", Json::str("contacts.csv")));
    }
    if succeeded {
        details.push(("rows_added", Json::Int(120)));
        details.push(("row_count", Json::Int(120)));
    }
    if let Some(error) = error {
        details.push(("error_message", Json::str(error)));
    }
    details
}

fn prism(event_type: &'static str, n: u64) -> Json {
    if event_type == "test" {
        return Json::Object(vec![
            ("event", Json::str("test")),
            (
                "webhook_id",
                Json::str(format!("8a6c2d1e-0f3b-4b7a-9c55-{n:012x}")),
            ),
            ("message", Json::str("This is a test event from Agentcc.")),
        ]);
    }
    let error = event_type == "error.occurred";
    Json::Object(vec![
        ("request_id", Json::str(format!("req_{n:08}"))),
        ("model", Json::str("gpt-4o")),
        ("resolved_model", Json::str("gpt-4o-2024-08-06")),
        ("provider", Json::str("openai")),
        ("latency_ms", Json::Int(812)),
        ("input_tokens", Json::Int(120)),
        ("output_tokens", Json::Int(48)),
        ("total_tokens", Json::Int(168)),
        ("status_code", Json::Int(if error { 502 } else { 200 })),
        ("is_error", Json::Bool(error)),
        (
            "error_message",
            if error {
                Json::str("upstream timeout")
            } else {
                Json::Null
            },
        ),
        ("cache_hit", Json::Bool(false)),
        (
            "guardrail_triggered",
            Json::Bool(event_type == "guardrail.triggered"),
        ),
        ("cost", Json::Float("0.00126")),
        ("event", Json::str(event_type)),
    ])
}

fn promptreports(event_type: &'static str, n: u64) -> Json {
    Json::Object(vec![
        ("id", Json::str(format!("evt_pr_{n:08}"))),
        ("type", Json::str(event_type)),
        ("timestamp", Json::str("2025-06-01T12:00:00Z")),
        (
            "data",
            Json::Object(vec![
                ("promptId", Json::str(format!("prm_{n}"))),
                ("promptName", Json::str("Customer Support Response")),
                ("versionId", Json::str("ver_def456")),
                ("versionNumber", Json::Int(5)),
                ("previousStage", Json::str("staging")),
                ("newStage", Json::str("production")),
                (
                    "promotedBy",
                    Json::Object(vec![
                        ("id", Json::str("usr_ghi012")),
                        ("name", Json::str("Jane Smith")),
                        ("email", Json::str("jane@example.com")),
                    ]),
                ),
            ]),
        ),
        (
            "metadata",
            Json::Object(vec![
                ("folderId", Json::str("fld_jkl345")),
                ("folderName", Json::str("Production Prompts")),
            ]),
        ),
    ])
}

fn generic(event_type: &'static str, n: u64) -> Json {
    Json::Object(vec![
        ("id", Json::str(format!("evt_{n:08}"))),
        ("type", Json::str(event_type)),
        ("created_at", Json::str("2025-06-01T12:00:00Z")),
        (
            "data",
            Json::Object(vec![
                ("user_id", Json::str(format!("u_{n}"))),
                ("email", Json::str("ada@example.com")),
            ]),
        ),
    ])
}

fn github(event_type: &'static str, n: u64) -> Json {
    let repository = Json::Object(vec![
        ("id", Json::Int(1_296_269)),
        ("name", Json::str("Hello-World")),
        ("full_name", Json::str("octocat/Hello-World")),
        ("private", Json::Bool(false)),
    ]);
    let sender = Json::Object(vec![
        ("login", Json::str("octocat")),
        ("id", Json::Int(1)),
        ("type", Json::str("User")),
    ]);
    let mut body = match event_type {
        "ping" => vec![
            ("zen", Json::str("Design for failure.")),
            ("hook_id", int(n)),
            (
                "hook",
                Json::Object(vec![
                    ("type", Json::str("Repository")),
                    ("id", int(n)),
                    ("active", Json::Bool(true)),
                    ("events", Json::Array(vec![Json::str("push")])),
                ]),
            ),
        ],
        "push" => vec![
            ("ref", Json::str("refs/heads/main")),
            (
                "before",
                Json::str("6113728f27ae82c7b1a177c8d03f9e96e0adf246"),
            ),
            ("after", Json::str(format!("{n:040x}"))),
            (
                "commits",
                Json::Array(vec![Json::Object(vec![
                    ("id", Json::str(format!("{n:040x}"))),
                    ("message", Json::str("Fix the webhook handler")),
                ])]),
            ),
        ],
        "issues" => vec![
            ("action", Json::str("opened")),
            (
                "issue",
                Json::Object(vec![
                    ("number", int(n)),
                    ("title", Json::str("Webhooks arrive twice")),
                    ("state", Json::str("open")),
                ]),
            ),
        ],
        "pull_request" => vec![
            ("action", Json::str("opened")),
            ("number", int(n)),
            (
                "pull_request",
                Json::Object(vec![
                    ("number", int(n)),
                    ("title", Json::str("Deduplicate deliveries")),
                    ("state", Json::str("open")),
                ]),
            ),
        ],
        _ => vec![
            ("action", Json::str("published")),
            (
                "release",
                Json::Object(vec![("id", int(n)), ("tag_name", Json::str("v1.0.0"))]),
            ),
        ],
    };
    body.push(("repository", repository));
    body.push(("sender", sender));
    Json::Object(body)
}

fn standard_webhooks(event_type: &'static str, n: u64) -> Json {
    Json::Object(vec![
        ("type", Json::str(event_type)),
        ("timestamp", Json::str("2025-06-01T12:00:00.344522Z")),
        (
            "data",
            Json::Object(vec![
                ("id", Json::str(format!("user_{n}"))),
                ("email", Json::str("ada@example.com")),
                ("first_name", Json::str("Ada")),
            ]),
        ),
    ])
}

fn stripe(event_type: &'static str, n: u64) -> Json {
    let object = match event_type.split('.').next().unwrap_or_default() {
        "payment_intent" => Json::Object(vec![
            ("id", Json::str(format!("pi_3Oq{n:010}"))),
            ("object", Json::str("payment_intent")),
            ("amount", Json::Int(2000)),
            ("currency", Json::str("usd")),
            (
                "status",
                Json::str(if event_type.ends_with("failed") {
                    "requires_payment_method"
                } else {
                    "succeeded"
                }),
            ),
        ]),
        "customer" => Json::Object(vec![
            ("id", Json::str(format!("cus_{n:010}"))),
            ("object", Json::str("customer")),
            ("email", Json::str("ada@example.com")),
        ]),
        "invoice" => Json::Object(vec![
            ("id", Json::str(format!("in_{n:010}"))),
            ("object", Json::str("invoice")),
            ("amount_paid", Json::Int(4900)),
            ("currency", Json::str("usd")),
        ]),
        _ => Json::Object(vec![
            ("id", Json::str(format!("ch_{n:010}"))),
            ("object", Json::str("charge")),
            ("amount_refunded", Json::Int(2000)),
            ("refunded", Json::Bool(true)),
        ]),
    };
    Json::Object(vec![
        ("id", Json::str(format!("evt_1Oq{n:010}"))),
        ("object", Json::str("event")),
        ("api_version", Json::str("2024-06-20")),
        // Fixed by the sample number: a retry of an event is the same body.
        (
            "created",
            Json::Int(1_717_243_200 + i64::try_from(n % 1_000_000).unwrap_or(0)),
        ),
        ("data", Json::Object(vec![("object", object)])),
        ("livemode", Json::Bool(false)),
        ("pending_webhooks", Json::Int(1)),
        (
            "request",
            Json::Object(vec![("id", Json::Null), ("idempotency_key", Json::Null)]),
        ),
        ("type", Json::str(event_type)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::AnyEvent;

    #[test]
    fn every_sample_is_its_senders_typed_event_of_its_type() {
        for provider in Provider::ALL {
            assert!(!event_types(provider).is_empty(), "{provider}");
            for event_type in event_types(provider) {
                let sample = sample(provider, event_type, 7).unwrap();
                let event = AnyEvent::parse(provider, sample.body()).unwrap();
                if provider != Provider::GITHUB {
                    assert_eq!(event.event_type(), *event_type, "{provider}");
                    assert!(!event.is_unknown(), "{provider} {event_type} is not typed");
                }
                assert_eq!(sample.context().event_type_name(), *event_type);
            }
        }
        assert!(sample(Provider::GITHUB, "no_such_event", 1).is_none());
    }

    #[test]
    fn bodies_are_written_as_each_sender_writes_them() {
        let pl = sample(Provider::PROMPTLAYER, "report_finished", 1).unwrap();
        let text = String::from_utf8(pl.body().to_vec()).unwrap();
        assert!(
            text.starts_with(r#"{"event_type": "report_finished", "details": {"#),
            "{text}"
        );
        assert!(
            text.contains(r#"\u00e9"#),
            "Python escapes non-ASCII: {text}"
        );
        let stripe = sample(Provider::STRIPE, "customer.created", 1).unwrap();
        assert!(stripe.body().starts_with(b"{\n  \"id\": \"evt_"));
        let generic = sample(Provider::GENERIC, "user.created", 1).unwrap();
        assert!(generic.body().starts_with(b"{\"id\":\"evt_"));
    }

    #[test]
    fn the_number_makes_the_event() {
        let one = sample(Provider::GENERIC, "user.created", 1).unwrap();
        let again = sample(Provider::GENERIC, "user.created", 1).unwrap();
        let two = sample(Provider::GENERIC, "user.created", 2).unwrap();
        assert_eq!(one.body(), again.body());
        assert_ne!(one.body(), two.body());
    }

    #[test]
    fn the_same_number_of_two_types_is_two_events() {
        for provider in Provider::ALL {
            let types = event_types(provider);
            assert!(types.len() as u64 <= TYPES_PER_SENDER, "{provider}");
            let mut seen = std::collections::HashSet::new();
            for event_type in types {
                let sample = sample(provider, event_type, 5).unwrap();
                let body: serde_json::Value = serde_json::from_slice(sample.body()).unwrap();
                // What a receiver keys the event by: the delivery id the sender sends in a
                // header, the body's id, or (PromptLayer, Prism) the body itself.
                let id = match (sample.context().delivery_id(), body.get("id")) {
                    ("", Some(id)) => id.to_string(),
                    ("", None) => body.to_string(),
                    (delivery, _) => delivery.to_owned(),
                };
                assert!(seen.insert(id.clone()), "{provider} {event_type}: {id}");
            }
        }
    }

    #[test]
    fn any_number_makes_well_formed_uuids() {
        let prism = sample(Provider::PRISM, "test", u64::MAX).unwrap();
        let body: serde_json::Value = serde_json::from_slice(prism.body()).unwrap();
        let uuid = body["webhook_id"].as_str().unwrap();
        assert_eq!(uuid.len(), 36, "{uuid}");
    }
}
