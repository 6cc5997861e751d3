//! The senders' secrets from the environment: `HOOKVERIFY_SECRET` for every sender,
//! `HOOKVERIFY_SECRET_<SENDER>` (`PROMPTLAYER`, `PRISM`, `PROMPTREPORTS`, `GENERIC`,
//! `GITHUB`, `STANDARD_WEBHOOKS`, `STRIPE`) for one; neither set: the public demo secret,
//! with a warning.

use std::error::Error;

use hookverify::pipeline::WebhookConfig;
use hookverify::{senders, Provider, Secret};

/// Used for every sender without a secret of its own when `HOOKVERIFY_SECRET` is unset;
/// never in production.
pub const DEMO_SECRET: &str = "hookverify-demo-secret";

/// One secret for every sender, and the senders that have their own.
#[derive(Debug, Clone)]
pub struct Secrets {
    shared: Secret,
    own: Vec<(Provider, Secret)>,
}

impl Secrets {
    /// `secret` for every sender.
    #[must_use]
    pub fn one(secret: Secret) -> Self {
        Self {
            shared: secret,
            own: Vec::new(),
        }
    }

    /// `provider` signs with `secret` instead of the shared one.
    #[must_use]
    pub fn with(mut self, provider: Provider, secret: Secret) -> Self {
        self.own.retain(|(own, _)| *own != provider);
        self.own.push((provider, secret));
        self
    }

    /// From the environment (see the module docs).
    ///
    /// # Errors
    /// When a variable is set but empty or not UTF-8.
    pub fn from_env() -> Result<Self, Box<dyn Error>> {
        let shared = read("HOOKVERIFY_SECRET")?;
        let mut own = Vec::new();
        for provider in Provider::ALL {
            let name = format!(
                "HOOKVERIFY_SECRET_{}",
                provider.name().to_ascii_uppercase().replace('-', "_")
            );
            if let Some(secret) = read(&name)? {
                own.push((provider, secret));
            }
        }
        let shared = match shared {
            Some(secret) => secret,
            None => {
                tracing::warn!(
                    secret = DEMO_SECRET,
                    "HOOKVERIFY_SECRET is not set: senders without a secret of their own use the \
                     public demo secret; anyone can sign webhooks for them"
                );
                Secret::new(DEMO_SECRET)?
            }
        };
        Ok(Self { shared, own })
    }

    /// The configuration of a route that accepts `providers`, each under its secrets.
    pub fn config(&self, providers: &[Provider]) -> WebhookConfig {
        let mut config =
            WebhookConfig::new(self.shared.clone()).providers(providers.iter().copied());
        for (provider, secret) in &self.own {
            if let (true, Some(scheme)) =
                (providers.contains(provider), senders::built_in(*provider))
            {
                config = config.sender(scheme, secret.clone());
            }
        }
        config
    }
}

fn read(name: &str) -> Result<Option<Secret>, Box<dyn Error>> {
    match std::env::var(name) {
        Ok(value) => Secret::new(value)
            .map(Some)
            .map_err(|error| format!("{name} is set but unusable: {error}").into()),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(format!("{name} is set but is not valid UTF-8").into())
        }
        Err(std::env::VarError::NotPresent) => Ok(None),
    }
}
