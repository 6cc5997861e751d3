//! Deliveries signed by each sender's own signing library (`tests/signers/`): octokit for
//! GitHub, stripe-node for Stripe, the `standardwebhooks` and `svix` Python packages.
//!
//! `.ci/run` installs them (`tests/signers/install.sh`). When a library is missing the
//! case says so loudly and skips; under `CI=true` it fails instead.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A sender whose own library signs in these tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    /// `@octokit/webhooks-methods` `sign`.
    GitHub,
    /// stripe-node `webhooks.generateTestHeaderString`.
    Stripe,
    /// The `standardwebhooks` Python package.
    StandardWebhooks,
    /// The `svix` Python package (its `svix-*` headers).
    Svix,
}

impl Signer {
    fn command(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Signer::GitHub => ("node", "sign.mjs", "github"),
            Signer::Stripe => ("node", "sign.mjs", "stripe"),
            Signer::StandardWebhooks => ("python3", "sign.py", "standard-webhooks"),
            Signer::Svix => ("python3", "sign.py", "svix"),
        }
    }
}

/// The headers `signer`'s library writes for `body`, signed with `secret` at `timestamp`
/// (Unix seconds) as message `id` (for the senders that sign them). `None` when the library
/// is not installed (after a loud message; a panic under `CI=true`).
pub fn sign(
    signer: Signer,
    secret: &str,
    body: &[u8],
    id: &str,
    timestamp: i64,
) -> Option<Vec<(String, String)>> {
    let (program, script, sender) = signer.command();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("signers");
    let body_file = dir.join(format!(
        ".body-{}-{}",
        std::process::id(),
        BODY_FILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let written = std::fs::File::create(&body_file).and_then(|mut file| file.write_all(body));
    if let Err(error) = written {
        return unavailable(signer, &format!("cannot write the body file: {error}"));
    }
    let mut command = Command::new(program);
    command
        .current_dir(&dir)
        .arg(script)
        .args(["--sender", sender, "--secret", secret])
        .args(["--timestamp", &timestamp.to_string()]);
    if program == "python3" {
        command.args(["--id", id]);
    }
    let output = command
        .arg("--body-file")
        .arg(&body_file)
        .stdin(Stdio::null())
        .output();
    let _ = std::fs::remove_file(&body_file);
    let output = match output {
        Ok(output) => output,
        Err(error) => return unavailable(signer, &format!("{program} could not start: {error}")),
    };
    if !output.status.success() {
        return unavailable(
            signer,
            &format!(
                "{program} {script} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line) {
        Ok(headers) => Some(
            headers
                .into_iter()
                .filter_map(|(name, value)| Some((name, value.as_str()?.to_owned())))
                .collect(),
        ),
        Err(error) => unavailable(signer, &format!("unreadable output {line:?}: {error}")),
    }
}

static BODY_FILES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn unavailable<T>(signer: Signer, why: &str) -> Option<T> {
    let message = format!(
        "the {signer:?} signing library is not usable ({why}); run tests/signers/install.sh"
    );
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{message}: the sender's own signatures cannot be checked on CI"
    );
    eprintln!("\n!!!!!!!!!! SKIPPED: {message} !!!!!!!!!!\n");
    None
}
