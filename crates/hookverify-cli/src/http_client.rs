//! One HTTP/1.1 client for `send` and the listener's replay.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::output::with_causes;

/// The most of an answer kept: a receiver answers a webhook with a few bytes.
const MAX_ANSWER: usize = 1024 * 1024;

/// The longest a whole exchange may take, the answer's body included.
const ANSWER_TIME: Duration = Duration::from_secs(60);

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
        let uri = http_url(url)?;
        let mut request = http::Request::post(uri);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let request = request.body(Full::new(body))?;
        let started = Instant::now();
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|error| with_causes(&error))?;
            let (parts, mut body) = response.into_parts();
            // At most MAX_ANSWER bytes are kept; the rest is not read.
            let mut kept = Vec::new();
            while kept.len() < MAX_ANSWER {
                let Some(frame) = body.frame().await else {
                    break;
                };
                let frame = frame
                    .map_err(|error| format!("reading the answer: {}", with_causes(&error)))?;
                if let Ok(data) = frame.into_data() {
                    let room = MAX_ANSWER - kept.len();
                    kept.extend_from_slice(data.get(..room.min(data.len())).unwrap_or_default());
                }
            }
            Ok::<_, String>(Answer {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body: Bytes::from(kept),
                latency: started.elapsed(),
            })
        };
        Ok(tokio::time::timeout(ANSWER_TIME, exchange)
            .await
            .map_err(|_| format!("no whole answer within {} s", ANSWER_TIME.as_secs()))??)
    }
}

/// `url` when it is an absolute `http://` URL with a host: the only kind spoken here.
pub(crate) fn http_url(url: &str) -> Result<http::Uri, String> {
    let uri: http::Uri = url.parse().map_err(|error| format!("not a URL: {error}"))?;
    match (uri.scheme_str(), uri.authority()) {
        (Some("http"), Some(authority)) => {
            // `http` keeps a port it cannot read (`:99999`) as none at all, and the client
            // would then connect to port 80.
            // After any `user@`, the host, then the port: found by position, not by
            // searching for the host's text, which the port may also contain (`9:99999`).
            let host_and_port = authority
                .as_str()
                .rsplit_once('@')
                .map_or(authority.as_str(), |(_, rest)| rest);
            let after_host = host_and_port
                .get(authority.host().len()..)
                .unwrap_or_default();
            if let Some(port) = after_host.strip_prefix(':') {
                if !port.is_empty() && !matches!(port.parse::<u16>(), Ok(1..)) {
                    return Err(format!("`{port}` is not a port (1 to 65535)"));
                }
            }
            Ok(uri)
        }
        (Some("https"), _) => Err("only http:// is spoken here, not https:// (TLS)".to_owned()),
        _ => {
            Err("not an http:// URL with a host, such as http://127.0.0.1:3000/webhooks".to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_out_of_range_is_refused_not_dropped() {
        for url in [
            "http://127.0.0.1:99999/x",
            "http://127.0.0.1:65536/x",
            "http://127.0.0.1:0/x",
            "http://[::1]:70000/x",
            "http://9:99999/x",
            "http://127:99127/x",
            "http://h@9:99999/x",
            "http://0:99990/",
        ] {
            let error = http_url(url).unwrap_err();
            assert!(error.contains("is not a port"), "{url}: {error}");
        }
        for url in [
            "http://127.0.0.1:3000/x",
            "http://127.0.0.1/x",
            "http://[::1]:8080/x",
            "http://[::1]/x",
            "http://localhost:65535",
            "http://user@example.com:80/x",
            "http://9:9/x",
            "http://host:/x",
        ] {
            assert!(http_url(url).is_ok(), "{url}");
        }
    }
}
