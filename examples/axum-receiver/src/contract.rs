//! What both example receivers promise, in one file that each includes: where they listen,
//! their routes, and the senders' secrets from the environment: `HOOKVERIFY_SECRET` for every sender,
//! `HOOKVERIFY_SECRET_<SENDER>` (`PROMPTLAYER`, `PRISM`, `PROMPTREPORTS`, `GENERIC`,
//! `GITHUB`, `STANDARD_WEBHOOKS`, `STRIPE`) for one. None set at all: the public demo
//! secret for every sender, with a warning. Only some senders' own set: those senders
//! only; the others are refused (never the demo secret behind a real one).

use std::error::Error;

use hookverify::pipeline::WebhookConfig;
use hookverify::{senders, Provider, Secret};

/// Where a receiver listens when `HOOKVERIFY_ADDR` is unset.
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";

/// The webhook routes and the senders each accepts.
pub const ROUTES: [(&str, &[Provider]); 8] = [
    ("/webhooks/promptlayer", &[Provider::PROMPTLAYER]),
    ("/webhooks/prism", &[Provider::PRISM]),
    ("/webhooks/promptreports", &[Provider::PROMPTREPORTS]),
    ("/webhooks/generic", &[Provider::GENERIC]),
    ("/webhooks/github", &[Provider::GITHUB]),
    (
        "/webhooks/standard-webhooks",
        &[Provider::STANDARD_WEBHOOKS],
    ),
    ("/webhooks/stripe", &[Provider::STRIPE]),
    ("/webhooks", &Provider::ALL),
];

/// The deduplication namespace of every route: one event is one event on any route, and the
/// keys stay the same when a secret is rotated.
pub const NAMESPACE: &str = "receiver";

/// Used for every sender without a secret of its own when `HOOKVERIFY_SECRET` is unset;
/// never in production.
pub const DEMO_SECRET: &str = "hookverify-demo-secret";

/// The start-up error when `HOOKVERIFY_REDIS_URL` is set but Redis cannot be used, with
/// the error's causes: "unavailable" alone does not tell a refused connection from a wrong
/// password (neither the URL nor its password is repeated).
pub fn redis_unusable(error: &(dyn Error + 'static)) -> String {
    let mut message = format!("HOOKVERIFY_REDIS_URL: cannot use Redis: {error}");
    let mut cause = error.source();
    while let Some(error) = cause {
        // Some errors repeat their cause's text as their own.
        let text = error.to_string();
        if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = error.source();
    }
    message
}

/// One secret for every sender (or none), and the senders that have their own.
#[derive(Debug, Clone)]
pub struct Secrets {
    shared: Option<Secret>,
    own: Vec<(Provider, Secret)>,
}

impl Secrets {
    /// `secret` for every sender.
    #[must_use]
    pub fn one(secret: Secret) -> Self {
        Self {
            shared: Some(secret),
            own: Vec::new(),
        }
    }

    /// No shared secret: only the senders given their own with [`with`](Self::with) are
    /// accepted.
    #[must_use]
    pub fn per_sender() -> Self {
        Self {
            shared: None,
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
        let shared = match (shared, own.is_empty()) {
            (Some(secret), _) => Some(secret),
            (None, true) => {
                tracing::warn!(
                    "no HOOKVERIFY_SECRET nor HOOKVERIFY_SECRET_<SENDER> is set: every sender \
                     uses the public demo secret of the README; anyone can sign webhooks for \
                     this receiver"
                );
                Some(Secret::new(DEMO_SECRET)?)
            }
            (None, false) => {
                tracing::info!(
                    "HOOKVERIFY_SECRET is not set: only the senders with a \
                     HOOKVERIFY_SECRET_<SENDER> of their own are accepted"
                );
                None
            }
        };
        Ok(Self { shared, own })
    }

    /// The configuration of a route that accepts `providers`, each under its secrets (a
    /// sender with no secret at all is not accepted). Every route's keys are in
    /// [`NAMESPACE`], so copies of one event reaching two routes are one event whichever
    /// secrets the routes have.
    pub fn config(&self, providers: &[Provider]) -> WebhookConfig {
        let mut config = match &self.shared {
            Some(shared) => WebhookConfig::new(shared.clone()),
            None => WebhookConfig::builder(),
        }
        .providers(providers.iter().copied())
        .namespace(NAMESPACE);
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
    secret_from(name, std::env::var(name))
}

/// The secret variable `name` holds, given what reading it gave. Whitespace is part of a
/// secret (a sender may use any bytes), but a secret of whitespace alone is a mistake, and
/// whitespace around one usually is (a value pasted with its line break): refused, and
/// warned about, never shown.
fn secret_from(
    name: &str,
    value: Result<String, std::env::VarError>,
) -> Result<Option<Secret>, Box<dyn Error>> {
    match value {
        Ok(value) if !value.is_empty() && value.trim().is_empty() => {
            Err(format!("{name} is set but holds only whitespace").into())
        }
        Ok(value) => {
            if value.trim() != value {
                tracing::warn!(
                    "{name} starts or ends with whitespace, which is part of the secret: a \
                     sender's signatures verify only if its secret has it too"
                );
            }
            Secret::new(value)
                .map(Some)
                .map_err(|error| format!("{name} is set but unusable: {error}").into())
        }
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(format!("{name} is set but is not valid UTF-8").into())
        }
        Err(std::env::VarError::NotPresent) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use hookverify::pipeline::Pipeline;
    use hookverify::testing;

    use super::*;

    #[test]
    fn a_secret_of_whitespace_is_refused_and_whitespace_around_one_is_warned_about() {
        let refused = secret_from("HOOKVERIFY_SECRET", Ok(" \t\n".to_owned())).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "HOOKVERIFY_SECRET is set but holds only whitespace"
        );
        assert!(secret_from("HOOKVERIFY_SECRET", Ok(String::new())).is_err());
        assert!(
            secret_from("HOOKVERIFY_SECRET", Err(std::env::VarError::NotPresent))
                .unwrap()
                .is_none()
        );

        let (padded, logged) = warned(|| secret_from("HOOKVERIFY_SECRET", Ok("s3cret\n".into())));
        let padded = padded.unwrap().unwrap();
        let sign = |secret: &Secret| {
            testing::sign(Provider::GENERIC, secret, b"{}")
                .unwrap()
                .value()
                .to_owned()
        };
        let as_given = Secret::new("s3cret\n").unwrap();
        assert_eq!(sign(&padded), sign(&as_given), "kept as given");
        assert_eq!(logged.len(), 1, "{logged:?}");
        assert!(logged[0].contains("whitespace"), "{logged:?}");
        assert!(!logged[0].contains("s3cret"), "{logged:?}");

        let (_, logged) = warned(|| secret_from("HOOKVERIFY_SECRET", Ok("s3cret".into())));
        assert!(logged.is_empty(), "{logged:?}");
    }

    /// What `f` logged, line by line.
    fn warned<R>(f: impl FnOnce() -> R) -> (R, Vec<String>) {
        let (result, text) = crate::log_line::captured::lines(false, f);
        (result, text.lines().map(str::to_owned).collect())
    }

    #[test]
    fn an_unusable_redis_is_named_with_its_causes_once_each() {
        #[derive(Debug)]
        struct Layer(&'static str, Option<Box<Layer>>);
        impl std::fmt::Display for Layer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.0)
            }
        }
        impl Error for Layer {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                self.1
                    .as_deref()
                    .map(|cause| cause as &(dyn Error + 'static))
            }
        }
        let refused = Layer("Connection refused", None);
        let error = Layer(
            "store unavailable",
            Some(Box::new(Layer(
                "Connection refused",
                Some(Box::new(refused)),
            ))),
        );
        assert_eq!(
            redis_unusable(&error),
            "HOOKVERIFY_REDIS_URL: cannot use Redis: store unavailable: Connection refused"
        );
    }

    #[tokio::test]
    async fn without_a_shared_secret_only_the_senders_with_their_own_are_accepted() {
        let github = Secret::new("github-own").unwrap();
        let secrets = Secrets {
            shared: None,
            own: vec![(Provider::GITHUB, github.clone())],
        };
        let body = br#"{"id":"evt_1","type":"t","created":1,"data":{"object":{}}}"#;
        for (provider, secret, accepted) in [
            (Provider::GITHUB, &github, true),
            (Provider::STRIPE, &github, false),
            (Provider::STRIPE, &Secret::new(DEMO_SECRET).unwrap(), false),
        ] {
            let pipeline = Pipeline::new(secrets.config(&Provider::ALL));
            let headers = testing::sign(provider, secret, body)
                .unwrap()
                .into_headers();
            let outcome = pipeline.admit(&headers[..], body.to_vec()).await;
            assert_eq!(outcome.is_ok(), accepted, "{provider}");
        }
    }
}
