//! The built-in senders, one [`Scheme`] each.
//!
//! ```
//! use hookverify::senders::{GitHub, PromptLayer, StandardWebhooks};
//! use hookverify::{Secret, Verifier};
//!
//! let verifier = Verifier::builder()
//!     .sender(PromptLayer, Secret::new("pl_secret").unwrap())
//!     .sender(GitHub, [Secret::new("new").unwrap(), Secret::new("old").unwrap()])
//!     .sender(StandardWebhooks::default(), Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap())
//!     .build();
//! assert_eq!(verifier.providers().len(), 3);
//! ```

mod generic;
mod github;
mod header_value;
mod prism;
mod promptlayer;
mod promptreports;
mod standard_webhooks;
mod stripe;

pub use generic::Generic;
pub use github::GitHub;
pub use prism::Prism;
pub use promptlayer::PromptLayer;
pub use promptreports::PromptReports;
pub use standard_webhooks::StandardWebhooks;
pub use stripe::Stripe;

use std::sync::{Arc, LazyLock};

use crate::scheme::Scheme;
use crate::Provider;

/// Every built-in sender's scheme with its defaults, in [`Provider::ALL`] order.
pub(crate) static BUILT_IN: LazyLock<[Arc<dyn Scheme>; 7]> = LazyLock::new(|| {
    [
        Arc::new(PromptLayer),
        Arc::new(Prism),
        Arc::new(PromptReports),
        Arc::new(Generic),
        Arc::new(GitHub),
        Arc::new(StandardWebhooks::new()),
        Arc::new(Stripe::new()),
    ]
});

/// The built-in scheme of `provider`, with its defaults; `None` for a sender of your own.
///
/// ```
/// use hookverify::{senders, Provider};
///
/// let github = senders::built_in(Provider::GITHUB).unwrap();
/// assert_eq!(github.signature_headers(), ["x-hub-signature-256"]);
/// assert!(senders::built_in(Provider::new("acme")).is_none());
/// ```
#[must_use]
pub fn built_in(provider: Provider) -> Option<Arc<dyn Scheme>> {
    built_in_ref(provider).map(Arc::clone)
}

/// [`built_in`], borrowed from the process-wide defaults.
pub(crate) fn built_in_ref(provider: Provider) -> Option<&'static Arc<dyn Scheme>> {
    BUILT_IN.iter().find(|scheme| scheme.provider() == provider)
}
