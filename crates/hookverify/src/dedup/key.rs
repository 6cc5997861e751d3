//! Deduplication keys.

use std::fmt;
use std::sync::Arc;

use crate::Verified;

/// A namespaced deduplication key, such as `generic:evt_1`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DedupKey(Arc<str>);

impl DedupKey {
    /// A key from its full text.
    #[must_use]
    pub fn new(key: impl Into<Arc<str>>) -> Self {
        Self(key.into())
    }

    /// The key's text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DedupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for DedupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user-supplied key function; `None` falls back to the provider's default key.
pub type CustomKeyFn = dyn Fn(&Verified) -> Option<String> + Send + Sync;

/// How deduplication keys are chosen.
#[derive(Clone, Default)]
pub struct KeyStrategy {
    custom: Option<Arc<CustomKeyFn>>,
    agent_execution_id: bool,
}

impl fmt::Debug for KeyStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyStrategy")
            .field("custom", &self.custom.is_some())
            .field("agent_execution_id", &self.agent_execution_id)
            .finish()
    }
}
