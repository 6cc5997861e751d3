//! `hookverify verify`: valid or not, and why not, in plain words.

use std::process::ExitCode;

use hookverify::explain::explain;
use hookverify::scheme::{SystemWallClock, WallClock};

use crate::cli::VerifyArgs;
use crate::input;
use crate::request::{self, Captured};
use crate::{output, Outcome};

pub(crate) fn run(args: &VerifyArgs) -> Outcome {
    let captured = match (&args.request, &args.headers, &args.body) {
        (Some(path), _, _) => request::parse_raw(&input::read(path)?)?,
        (None, Some(headers), Some(body)) => {
            if headers.as_os_str() == "-" && body.as_os_str() == "-" {
                return Err("standard input can be one of --headers and --body, not both".into());
            }
            let text = input::read(headers)?;
            Captured {
                headers: request::parse_header_lines(request::text_lines(&text).into_iter())?,
                body: input::read(body)?,
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
