//! `hookverify verify`: valid or not, and why not, in plain words.

use std::process::ExitCode;

use hookverify::explain::explain;
use hookverify::scheme::{SystemWallClock, WallClock};

use crate::cli::VerifyArgs;
use crate::request::{self, Captured};
use crate::{output, Outcome};

pub(crate) fn run(args: &VerifyArgs) -> Outcome {
    let captured = match (&args.request, &args.headers, &args.body) {
        (Some(path), _, _) => {
            let raw = std::fs::read(path)
                .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
            request::parse_raw(&raw)?
        }
        (None, Some(headers), Some(body)) => {
            let text = std::fs::read(headers)
                .map_err(|error| format!("cannot read {}: {error}", headers.display()))?;
            Captured {
                headers: request::parse_header_lines(request::text_lines(&text).into_iter())?,
                body: std::fs::read(body)
                    .map_err(|error| format!("cannot read {}: {error}", body.display()))?,
            }
        }
        _ => return Err("give --request FILE, or --headers FILE and --body FILE".into()),
    };
    let now = args.now.unwrap_or_else(|| SystemWallClock.unix_time());
    let explanation = explain(
        &args.secrets,
        &captured.headers,
        &captured.body,
        &move || now,
    );
    output::text(format_args!("{explanation}"));
    Ok(if explanation.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
