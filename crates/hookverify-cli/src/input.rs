//! Reading an input given on the command line: a file, or `-` for standard input.

use std::io::Read as _;
use std::path::Path;

/// The bytes of `path`, or of standard input when `path` is `-`.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, String> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|error| format!("cannot read standard input: {error}"))?;
        Ok(bytes)
    } else {
        std::fs::read(path).map_err(|error| format!("cannot read {}: {error}", path.display()))
    }
}
