//! `hookverify sign`: the header lines a sender sends with a body.

use std::process::ExitCode;

use hookverify::scheme::{SigningContext, SystemWallClock, WallClock};
use hookverify::{senders, testing, Provider};

use crate::cli::SignArgs;
use crate::input;
use crate::{output, Outcome};

pub(crate) fn run(args: &SignArgs) -> Outcome {
    let body = input::read(&args.body)?;
    let scheme = senders::built_in(args.sender).ok_or("not a built-in sender")?;
    let id = args
        .id
        .clone()
        .unwrap_or_else(|| testing::delivery_id(args.sender, &body));
    let timestamp = args
        .timestamp
        .unwrap_or_else(|| SystemWallClock.unix_time());
    if args.sender == Provider::GITHUB && !senders::GitHub::is_delivery_id(&id) {
        eprintln!(
            "hookverify: warning: `{id}` is not a GUID; receivers ignore such an \
             X-GitHub-Delivery and key the event by its body"
        );
    }
    let mut context = SigningContext::new(timestamp, id);
    if let Some(event) = &args.event {
        context = context.event_type(event.clone());
    }
    let signature = testing::sign_with(&*scheme, &args.secret, &body, &context)?;
    let headers = signature.headers();
    for (name, value) in &headers {
        output::line(format_args!("{name}: {value}"));
    }
    let timestamp = args.timestamp.map(|timestamp| timestamp.to_string());
    let given = [
        ("--id", args.id.as_deref(), "delivery id"),
        ("--timestamp", timestamp.as_deref(), "signing time"),
        ("--event", args.event.as_deref(), "event type header"),
    ];
    for (option, value, what) in given {
        if let Some(value) = value.filter(|value| !sent(&headers, value)) {
            eprintln!(
                "hookverify: warning: {option} `{value}` is not used: {} sends no {what}",
                args.sender
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether `value` went out in one of the header lines: as a whole value, or as one of
/// its comma-separated `key=value` items (Stripe's `t=`).
fn sent(headers: &[(&str, &str)], value: &str) -> bool {
    headers.iter().any(|(_, header)| {
        *header == value
            || header
                .split(',')
                .any(|item| item.split_once('=').is_some_and(|(_, item)| item == value))
    })
}
