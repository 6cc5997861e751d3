//! One HTTP/1.1 client for `send` and the listener's replay.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// The largest answer read: a receiver answers a webhook with a few bytes.
const MAX_ANSWER: usize = 1024 * 1024;

/// An error and what caused it, one after the other: the client's own error names only the
/// stage that failed (`client error (Connect)`), its causes say why (`Connection refused`).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        text.push_str(": ");
        text.push_str(&next.to_string());
        cause = next.source();
    }
    text
}

/// What came back.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) latency: Duration,
}

/// A pooled client.
#[derive(Clone)]
pub(crate) struct HttpClient {
    client: Client<HttpConnector, Full<Bytes>>,
}

impl HttpClient {
    pub(crate) fn new() -> Self {
        Self {
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// POSTs `body` with `headers` to `url`.
    pub(crate) async fn post(
        &self,
        url: &str,
        headers: &[(String, String)],
        body: Bytes,
    ) -> Result<Answer, Box<dyn std::error::Error + Send + Sync>> {
        let uri: http::Uri = url.parse().map_err(|error| format!("not a URL: {error}"))?;
        match (uri.scheme_str(), uri.authority()) {
            (Some("http"), Some(_)) => {}
            (Some("https"), _) => {
                return Err("only http:// is spoken here, not https:// (TLS)".into())
            }
            _ => {
                return Err(
                    "not an http:// URL with a host, such as http://127.0.0.1:3000/webhooks".into(),
                )
            }
        }
        let mut request = http::Request::post(uri);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let request = request.body(Full::new(body))?;
        let started = Instant::now();
        let response = tokio::time::timeout(Duration::from_secs(60), self.client.request(request))
            .await
            .map_err(|_| "no answer within 60 s")?
            .map_err(|error| with_causes(&error))?;
        let status = response.status().as_u16();
        let (parts, body) = response.into_parts();
        let body = http_body_util::Limited::new(body, MAX_ANSWER)
            .collect()
            .await
            .map_err(|error| format!("reading the answer: {error}"))?
            .to_bytes();
        Ok(Answer {
            status,
            headers: parts.headers,
            body,
            latency: started.elapsed(),
        })
    }
}
