//! The command line: every subcommand and its options.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use hookverify::{Provider, Secret};

/// Send signed test webhooks, explain failing signatures, watch deliveries live.
#[derive(Debug, Parser)]
#[command(name = "hookverify", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print the header lines a sender would send with a body.
    Sign(SignArgs),
    /// Send a realistic sample event, signed as its sender signs it.
    Send(SendArgs),
    /// Say whether a captured delivery's signature is valid, and why not.
    Verify(VerifyArgs),
    /// A local receiver with a live web page of the deliveries it gets.
    Listen(ListenArgs),
    /// List the documented event types.
    Events(EventsArgs),
    /// Print one sample event's body, as its sender writes it.
    Sample(SampleArgs),
}

/// `--sender`: a built-in sender's name.
fn parse_sender(name: &str) -> Result<Provider, String> {
    Provider::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Provider::ALL
            .iter()
            .map(|provider| provider.name())
            .collect();
        format!("unknown sender `{name}`; one of: {}", names.join(", "))
    })
}

/// Where every `--secret` is read from when the option is not given: the command line is
/// visible to every user of the machine (`ps`), the environment only to the process's own.
/// The example receivers read the same variable.
const SECRET_ENV: &str = "HOOKVERIFY_SECRET";

/// `--id`, `--event`: a value that goes into a header line as it is.
fn parse_header_value(text: &str) -> Result<String, String> {
    if text.is_empty() || text.chars().any(char::is_control) {
        return Err(
            "must be non-empty and without control characters (a line break would \
                    start another header)"
                .to_owned(),
        );
    }
    Ok(text.to_owned())
}

/// `--count`: a whole number, at least 1.
fn at_least_one(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err("must be at least 1".to_owned()),
        Ok(count) => Ok(count),
        Err(_) => Err("not a whole number".to_owned()),
    }
}

/// Sample numbers are taken modulo this (`hookverify::samples::sample`).
pub(crate) const SAMPLE_NUMBERS: u64 = 1 << 40;

/// `--secret`: the secret as the sender's dashboard shows it.
fn parse_secret(text: &str) -> Result<Secret, String> {
    Secret::new(text).map_err(|error| match error {
        // Often an empty `HOOKVERIFY_SECRET`, which the user never typed as `--secret`.
        hookverify::SecretError::Empty => {
            format!("the secret is empty (from --secret, or else {SECRET_ENV})")
        }
        other => other.to_string(),
    })
}

#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    /// The sender: promptlayer, prism, promptreports, generic, github, standard-webhooks, stripe.
    #[arg(long, value_parser = parse_sender)]
    pub(crate) sender: Provider,
    /// The signing secret, as the sender shows it (default: `HOOKVERIFY_SECRET`, which
    /// keeps it out of the process list).
    #[arg(long, value_parser = parse_secret, env = SECRET_ENV, hide_env_values = true)]
    pub(crate) secret: Secret,
    /// The body to sign: a file, or `-` for standard input (default).
    #[arg(long, default_value = "-")]
    pub(crate) body: PathBuf,
    /// The delivery id, for senders that sign or send one (default: derived from the body).
    #[arg(long, value_parser = parse_header_value)]
    pub(crate) id: Option<String>,
    /// The signing time in Unix seconds, for senders that sign it (default: now; at most
    /// 12 digits, as receivers read it).
    #[arg(long, value_parser = clap::value_parser!(i64).range(0..1_000_000_000_000))]
    pub(crate) timestamp: Option<i64>,
    /// The event type, for senders that send it in a header (GitHub's `X-GitHub-Event`;
    /// default `ping`).
    #[arg(long, value_parser = parse_header_value)]
    pub(crate) event: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    /// Where to send, e.g. `http://127.0.0.1:3000/webhooks/promptlayer`.
    pub(crate) url: String,
    /// The sender: promptlayer, prism, promptreports, generic, github, standard-webhooks, stripe.
    #[arg(long, value_parser = parse_sender)]
    pub(crate) sender: Provider,
    /// The event type (default: the sender's first; see `hookverify events`).
    #[arg(long)]
    pub(crate) event: Option<String>,
    /// The signing secret (default: `HOOKVERIFY_SECRET`, which keeps it out of the
    /// process list).
    #[arg(long, value_parser = parse_secret, env = SECRET_ENV, hide_env_values = true)]
    pub(crate) secret: Secret,
    /// How many events to send (at least 1).
    #[arg(long, default_value_t = 1, value_parser = at_least_one)]
    pub(crate) count: u64,
    /// How many in flight at once (at least 1).
    #[arg(long, default_value_t = 1, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub(crate) concurrency: usize,
    /// The share of sends (0 to 1) that repeat an event already sent, as a sender's retry.
    #[arg(long, default_value_t = 0.0)]
    pub(crate) duplicates: f64,
    /// Which sample to send, below 2^40: the same number and type is the same event
    /// (default: a new one).
    #[arg(long, value_parser = clap::value_parser!(u64).range(..SAMPLE_NUMBERS))]
    pub(crate) number: Option<u64>,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// A secret to try; repeat for several (a rotation). Default: `HOOKVERIFY_SECRET`
    /// (one secret), which keeps it out of the process list.
    #[arg(
        long = "secret",
        value_parser = parse_secret,
        required = true,
        env = SECRET_ENV,
        hide_env_values = true
    )]
    pub(crate) secrets: Vec<Secret>,
    /// A raw HTTP request as captured (e.g. by `nc -l 4000 > request.http`), or `-` for
    /// standard input.
    #[arg(
        long,
        conflicts_with_all = ["headers", "body"],
        required_unless_present_any = ["headers", "body"]
    )]
    pub(crate) request: Option<PathBuf>,
    /// The request's headers, one `Name: value` per line (`-`: standard input).
    #[arg(long, requires = "body")]
    pub(crate) headers: Option<PathBuf>,
    /// The request's body, byte for byte (`-`: standard input).
    #[arg(long, requires = "headers")]
    pub(crate) body: Option<PathBuf>,
    /// The time to check signed timestamps against, Unix seconds (default: now).
    #[arg(long)]
    pub(crate) now: Option<i64>,
}

/// A local receiver with a live web page of the deliveries it gets, for local development.
///
/// It binds to loopback by default. Its page and API show every header and body it records,
/// so do not expose it beyond loopback.
#[derive(Debug, Args)]
pub(crate) struct ListenArgs {
    /// Where to listen; keep it a loopback address (the default).
    ///
    /// The listener is for local development: its page and API show every header and body
    /// it records (signatures, tokens and all) to whoever can reach them, so do not expose
    /// it beyond loopback (no 0.0.0.0, no public address). To take deliveries from a sender
    /// on the internet, forward them through a tunnel: deliveries are taken under any host
    /// name, while the page and its API answer only at the listener's own address
    /// (localhost, 127.0.0.1 or ::1, with its port).
    #[arg(long, default_value = "127.0.0.1:4000")]
    pub(crate) addr: String,
    /// A secret to verify deliveries with; repeat for several. Default: `HOOKVERIFY_SECRET`
    /// (one secret), which keeps it out of the process list.
    #[arg(long = "secret", value_parser = parse_secret, env = SECRET_ENV, hide_env_values = true)]
    pub(crate) secrets: Vec<Secret>,
}

#[derive(Debug, Args)]
pub(crate) struct EventsArgs {
    /// Only this sender's.
    #[arg(long, value_parser = parse_sender)]
    pub(crate) sender: Option<Provider>,
}

#[derive(Debug, Args)]
pub(crate) struct SampleArgs {
    /// The sender: promptlayer, prism, promptreports, generic, github, standard-webhooks, stripe.
    #[arg(value_parser = parse_sender)]
    pub(crate) sender: Provider,
    /// The event type.
    pub(crate) event: String,
    /// Which sample, below 2^40: the same number and type is the same event.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(..SAMPLE_NUMBERS))]
    pub(crate) number: u64,
}
