//! Standard output, which a reader may stop reading (`| head`, `| grep -q`).

use std::fmt;
use std::io::{self, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set when standard output failed for another reason than its reader going away.
static FAILED: AtomicBool = AtomicBool::new(false);

/// Whether some output could not be written (a full disk, an I/O error): the command then
/// exits 2, as for a usage error, since what it printed is incomplete.
pub(crate) fn failed() -> bool {
    FAILED.load(Ordering::Relaxed)
}

/// Writes `text` and a newline to standard output (see [`bytes`]).
pub(crate) fn line(text: fmt::Arguments<'_>) {
    bytes(format!("{text}\n").as_bytes());
}

/// Writes `text` to standard output as it is (see [`bytes`]).
pub(crate) fn text(text: fmt::Arguments<'_>) {
    bytes(text.to_string().as_bytes());
}

/// Writes `data` to standard output. A reader that has gone away ends the output, not the
/// command, whose exit code still says what it found; any other failure to write is said
/// on standard error and makes the command exit 2 (see [`failed`]).
pub(crate) fn bytes(data: &[u8]) {
    let mut stdout = io::stdout().lock();
    if let Err(error) = stdout.write_all(data).and_then(|()| stdout.flush()) {
        if error.kind() != io::ErrorKind::BrokenPipe && !FAILED.swap(true, Ordering::Relaxed) {
            eprintln!("hookverify: cannot write the output: {error}");
        }
    }
}

/// An error and what caused it, one after the other: an error's own text often names only
/// the stage that failed (`client error (Connect)`, `the secret is not a key of this
/// sender`), its causes say why (`Connection refused`, `a \`whsec_\` secret must be
/// followed by base64`).
pub(crate) fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        text.push_str(": ");
        text.push_str(&next.to_string());
        cause = next.source();
    }
    text
}
