//! Header values as the senders write them: `sha256=<hex>` and bare hex tags, and plain text.

use crate::scheme::{hex_tag, Tag};
use crate::signature::{encode_hex, hmac};
use crate::MalformedReason;

/// `sha256=` then 64 hex digits.
pub(super) fn prefixed(value: &[u8]) -> Result<Tag, MalformedReason> {
    let hex = value
        .strip_prefix(b"sha256=")
        .ok_or(MalformedReason::MissingPrefix)?;
    hex_tag(hex)
}

/// The `sha256=<hex>` value of `signed` under `key`.
pub(super) fn sign_prefixed(key: &[u8], signed: &[u8]) -> String {
    format!("sha256={}", encode_hex(&hmac(key, &[signed])))
}

/// The bare hex value of `signed` under `key`.
pub(super) fn sign_bare(key: &[u8], signed: &[u8]) -> String {
    encode_hex(&hmac(key, &[signed]))
}

/// The first value of `name`, as text.
pub(super) fn text<'h>(headers: &'h dyn crate::HeaderSource, name: &str) -> Option<&'h str> {
    std::str::from_utf8(headers.header(name)?)
        .ok()
        .map(str::trim)
        .filter(|text| !text.is_empty())
}
