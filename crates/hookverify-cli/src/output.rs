//! Standard output, which a reader may stop reading (`| head`, `| grep -q`).

use std::fmt;
use std::io::{self, Write as _};

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
/// on standard error.
pub(crate) fn bytes(data: &[u8]) {
    let mut stdout = io::stdout().lock();
    if let Err(error) = stdout.write_all(data).and_then(|()| stdout.flush()) {
        if error.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("hookverify: cannot write the output: {error}");
        }
    }
}
