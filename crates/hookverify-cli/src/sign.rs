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
    for (name, value) in signature.headers() {
        output::line(format_args!("{name}: {value}"));
    }
    Ok(ExitCode::SUCCESS)
}
