//! `hookverify send`: realistic sample events, signed as their sender signs them.

use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Write as _};
use std::process::ExitCode;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use hookverify::samples;

use crate::cli::SendArgs;
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
    let numbers = plan(&args);
    let client = HttpClient::new();
    let total = numbers.len();
    let sends = stream::iter(numbers)
        .map(|number| send_one(&client, &args, event, number))
        .buffer_unordered(args.concurrency.max(1));
    futures_util::pin_mut!(sends);
    let mut answers: Vec<Answer> = Vec::with_capacity(total);
    let mut failures = 0usize;
    while let Some(result) = sends.next().await {
        match result {
            Ok(answer) => answers.push(answer),
            Err(error) => {
                failures += 1;
                if total == 1 {
                    return Err(format!("sending to {} failed: {error}", args.url).into());
                }
            }
        }
        if total > 1 && std::io::stderr().is_terminal() {
            progress(answers.len() + failures, total);
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
        output::line(format_args!("{body}"));
        output::line(format_args!("{} ms", answer.latency.as_millis()));
        return Ok(exit(answer.status));
    }
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
    summary(&answers, failures);
    let all_accepted = failures == 0
        && answers
            .iter()
            .all(|answer| exit(answer.status) == ExitCode::SUCCESS);
    Ok(if all_accepted {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The sample numbers to send: new events, and with `--duplicates` some repeated.
fn plan(args: &SendArgs) -> Vec<u64> {
    let mut random = Random::seeded();
    let base = args.number.unwrap_or_else(|| random.next() >> 24);
    let mut numbers: Vec<u64> = Vec::new();
    for index in 0..args.count.max(1) {
        let repeat = !numbers.is_empty() && random.share() < args.duplicates;
        let number = if repeat {
            numbers[(random.next() % numbers.len() as u64) as usize]
        } else {
            base.wrapping_add(index)
        };
        numbers.push(number);
    }
    numbers
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

fn progress(done: usize, total: usize) {
    const WIDTH: usize = 40;
    let filled = done * WIDTH / total.max(1);
    eprint!(
        "\r[{}{}] {done}/{total}",
        "=".repeat(filled),
        " ".repeat(WIDTH - filled)
    );
    let _ = std::io::stderr().flush();
}

/// Statuses (with the answer's `status` or `error` field) and latency percentiles.
fn summary(answers: &[Answer], failures: usize) {
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
    if failures > 0 {
        output::line(format_args!("no answer: {failures}"));
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
