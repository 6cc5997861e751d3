//! `hookverify`: send a signed test event as a real sender would, explain why a signature
//! is refused, and watch deliveries arrive.
//!
//! ```text
//! hookverify send http://127.0.0.1:3000/webhooks --sender promptlayer --secret whsec_...
//! hookverify verify --secret whsec_... --request captured.http
//! hookverify listen --addr 127.0.0.1:4000 --secret whsec_...
//! ```

mod cli;
mod events;
mod http_client;
mod input;
mod listen;
mod output;
mod request;
mod send;
mod sign;
mod verify;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Sign(args) => sign::run(&args),
        Command::Send(args) => runtime().and_then(|runtime| runtime.block_on(send::run(args))),
        Command::Verify(args) => verify::run(&args),
        Command::Listen(args) => runtime().and_then(|runtime| runtime.block_on(listen::run(args))),
        Command::Events(args) => events::list(&args),
        Command::Sample(args) => events::sample(&args),
    };
    match outcome {
        Ok(_) if output::failed() => ExitCode::from(2),
        Ok(code) => code,
        Err(error) => {
            eprintln!("hookverify: {}", output::with_causes(&*error));
            ExitCode::from(2)
        }
    }
}

/// What a command returns: its exit code, or a usage error (exit code 2).
pub(crate) type Outcome = Result<ExitCode, Box<dyn std::error::Error>>;

fn runtime() -> Result<tokio::runtime::Runtime, Box<dyn std::error::Error>> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
