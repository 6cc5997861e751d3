//! `hookverify events` and `hookverify sample`.

use std::process::ExitCode;

use hookverify::{samples, Provider};

use crate::cli::{EventsArgs, SampleArgs};
use crate::{output, Outcome};

/// Lists the event types of one sender, or of all, one `sender event` per line.
pub(crate) fn list(args: &EventsArgs) -> Outcome {
    let senders: Vec<Provider> = match args.sender {
        Some(sender) => vec![sender],
        None => Provider::ALL.to_vec(),
    };
    for sender in senders {
        for event in samples::event_types(sender) {
            output::line(format_args!("{sender} {event}"));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints one sample's body, byte for byte as the sender writes it (no newline added, so
/// that `hookverify sample S T > body.json` is the body a sender would post).
pub(crate) fn sample(args: &SampleArgs) -> Outcome {
    let sample = samples::sample(args.sender, &args.event, args.number).ok_or_else(|| {
        format!(
            "{} has no event type `{}`; see `hookverify events --sender {}`",
            args.sender, args.event, args.sender
        )
    })?;
    output::bytes(sample.body());
    Ok(ExitCode::SUCCESS)
}
