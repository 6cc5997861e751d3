//! `hookverify send`: realistic sample events, signed as their sender signs them.

use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use hookverify::samples;

use crate::cli::{SendArgs, SAMPLE_NUMBERS};
use crate::http_client::{http_url, Answer, HttpClient};
use crate::{output, Outcome};

pub(crate) async fn run(args: SendArgs) -> Outcome {
    let types = samples::event_types(args.sender);
    let event = match &args.event {
        Some(event) => types
            .iter()
            .copied()
            .find(|known| known == event)
            .ok_or_else(|| {
                format!(
                    "{} has no event type `{event}`; one of: {}",
                    args.sender,
                    types.join(", ")
                )
            })?,
        None => types.first().copied().ok_or("this sender has no samples")?,
    };
    if !(0.0..=1.0).contains(&args.duplicates) {
        return Err("--duplicates is a share between 0 and 1".into());
    }
    // Said once, before any send: with --count 100 it would otherwise be 100 failures.
    http_url(&args.url).map_err(|error| format!("sending to {} failed: {error}", args.url))?;
    let numbers = Plan::new(&args)?;
    // A secret this sender cannot sign with (a `whsec_` secret that is not base64) fails
    // every send alike: said once, before any.
    if let Some(sample) = samples::sample(args.sender, event, numbers.base) {
        sample.sign(&args.secret)?;
    }
    let client = HttpClient::new();
    let total = args.count;
    let sends = stream::iter(numbers)
        .map(|number| send_one(&client, &args, event, number))
        .buffer_unordered(args.concurrency.max(1));
    futures_util::pin_mut!(sends);
    let mut answers: Vec<Answer> = Vec::new();
    // Each distinct reason a send got no answer, with how many times.
    let mut failures: BTreeMap<String, usize> = BTreeMap::new();
    let mut failed = 0;
    while let Some(result) = sends.next().await {
        match result {
            Ok(answer) => answers.push(answer),
            Err(error) => {
                if total == 1 {
                    return Err(format!("sending to {} failed: {error}", args.url).into());
                }
                failed += 1;
                *failures.entry(error.to_string()).or_default() += 1;
            }
        }
        if total > 1 && std::io::stderr().is_terminal() {
            progress(answers.len() as u64 + failed, total);
        }
    }
    if total == 1 {
        let Some(answer) = answers.first() else {
            return Err("no answer".into());
        };
        output::line(format_args!("{}", answer.status));
        // The receiver's text, not its terminal control sequences.
        let body: String = String::from_utf8_lossy(&answer.body)
            .chars()
            .map(|c| {
                if c.is_control() && c != '\n' && c != '\t' {
                    '\u{fffd}'
                } else {
                    c
                }
            })
            .collect();
        if !body.is_empty() {
            output::line(format_args!("{body}"));
        }
        output::line(format_args!("{} ms", answer.latency.as_millis()));
        return Ok(exit(answer.status));
    }
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
    summary(&answers, &failures);
    if failed > 0 {
        // Not a refusal: the receiver could not be reached, or did not answer in time.
        return Ok(ExitCode::from(2));
    }
    let all_accepted = answers
        .iter()
        .all(|answer| exit(answer.status) == ExitCode::SUCCESS);
    Ok(if all_accepted {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The sample numbers to send, drawn as they are sent: new events, and with
/// `--duplicates` some repeated.
struct Plan {
    random: Random,
    /// The first new event's number; new events follow it.
    base: u64,
    /// New events planned so far.
    fresh: u64,
    /// Sends left.
    left: u64,
    duplicates: f64,
}

impl Plan {
    fn new(args: &SendArgs) -> Result<Self, String> {
        let mut random = Random::seeded();
        let base = match args.number {
            Some(number) => {
                // Past the last number, samples would start again from 0: events sent before.
                if number
                    .checked_add(args.count)
                    .is_none_or(|end| end > SAMPLE_NUMBERS)
                {
                    return Err(format!(
                        "--number {number} with --count {} passes the last sample, 2^40 - 1",
                        args.count
                    ));
                }
                number
            }
            // A fresh start with room for every send after it.
            None => (random.next() >> 24) % SAMPLE_NUMBERS.saturating_sub(args.count).max(1),
        };
        Ok(Self {
            random,
            base,
            fresh: 0,
            left: args.count.max(1),
            duplicates: args.duplicates,
        })
    }
}

impl Iterator for Plan {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        self.left = self.left.checked_sub(1)?;
        let repeat = self.fresh > 0 && self.random.share() < self.duplicates;
        let offset = if repeat {
            self.random.next() % self.fresh
        } else {
            self.fresh += 1;
            self.fresh - 1
        };
        Some(self.base.wrapping_add(offset) % SAMPLE_NUMBERS)
    }
}

async fn send_one(
    client: &HttpClient,
    args: &SendArgs,
    event: &str,
    number: u64,
) -> Result<Answer, Box<dyn std::error::Error + Send + Sync>> {
    let sample = samples::sample(args.sender, event, number).ok_or("no such sample")?;
    let mut headers: Vec<(String, String)> = sample
        .sign(&args.secret)
        .map_err(|error| error.to_string())?
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    headers.push(("content-type".to_owned(), "application/json".to_owned()));
    headers.push((
        "user-agent".to_owned(),
        format!("hookverify/{}", env!("CARGO_PKG_VERSION")),
    ));
    client
        .post(&args.url, &headers, Bytes::copy_from_slice(sample.body()))
        .await
}

fn exit(status: u16) -> ExitCode {
    if (200..300).contains(&status) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn progress(done: u64, total: u64) {
    const WIDTH: u64 = 40;
    let filled = done.min(total) * WIDTH / total.max(1);
    let bar = |count: u64, mark: &str| mark.repeat(usize::try_from(count).unwrap_or(0));
    eprint!(
        "\r[{}{}] {done}/{total}",
        bar(filled, "="),
        bar(WIDTH - filled, " ")
    );
    let _ = std::io::stderr().flush();
}

/// Statuses (with the answer's `status` or `error` field), the reasons sends got no answer,
/// and latency percentiles.
fn summary(answers: &[Answer], failures: &BTreeMap<String, usize>) {
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    for answer in answers {
        let detail = serde_json::from_slice::<serde_json::Value>(&answer.body)
            .ok()
            .and_then(|body| {
                body.get("status")
                    .or_else(|| body.get("error"))
                    .and_then(|value| value.as_str().map(str::to_owned))
            })
            .unwrap_or_default();
        *statuses
            .entry(format!("{} {detail}", answer.status).trim_end().to_owned())
            .or_default() += 1;
    }
    for (status, count) in &statuses {
        output::line(format_args!("{status}: {count}"));
    }
    for (reason, count) in failures {
        output::line(format_args!("no answer: {count} ({reason})"));
    }
    if answers.is_empty() {
        return;
    }
    let mut latencies: Vec<Duration> = answers.iter().map(|answer| answer.latency).collect();
    latencies.sort_unstable();
    let percentile = |p: usize| {
        latencies
            .get((latencies.len() * p / 100).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |latency| latency.as_secs_f64() * 1000.0)
    };
    output::line(format_args!(
        "latency p50 {:.1} ms, p99 {:.1} ms",
        percentile(50),
        percentile(99)
    ));
}

/// A small xorshift generator: which sends repeat, and a fresh starting sample.
struct Random(u64);

impl Random {
    fn seeded() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |since| since.as_nanos() as u64);
        Self(nanos | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn share(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}
