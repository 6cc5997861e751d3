//! Replaying a recorded delivery to the listener itself: the same path, headers and body,
//! less the headers that belong to one connection.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The header a replay carries, naming the delivery it replays. The listener reads it and
/// leaves it out of the recorded headers.
pub(crate) const REPLAY_OF: &str = "x-hookverify-replay-of";

/// The header the listener answers every delivery with: the id it recorded it under, so
/// that a replay can say which delivery it became.
pub(crate) const DELIVERY_ID: &str = "x-hookverify-delivery";

/// Headers of one hop, not of the delivery: the client sets its own.
const HOP_BY_HOP: [&str; 10] = [
    "host",
    "content-length",
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "expect",
];

/// Where a replay of a delivery to `path` goes: the listener's own address (loopback when
/// it listens on every interface).
pub(crate) fn url(local: SocketAddr, path: &str) -> String {
    let mut target = local;
    match local.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => target.set_ip(Ipv4Addr::LOCALHOST.into()),
        IpAddr::V6(ip) if ip.is_unspecified() => target.set_ip(Ipv6Addr::LOCALHOST.into()),
        _ => {}
    }
    let path = if path.starts_with('/') { path } else { "/" };
    format!("http://{target}{path}")
}

/// The recorded `headers` to send again, marked as a replay of delivery `id`.
pub(crate) fn headers(recorded: &[(String, String)], id: u64) -> Vec<(String, String)> {
    recorded
        .iter()
        .filter(|(name, _)| {
            !HOP_BY_HOP.contains(&name.as_str()) && !name.eq_ignore_ascii_case(REPLAY_OF)
        })
        .cloned()
        .chain([(REPLAY_OF.to_owned(), id.to_string())])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goes_to_the_listener_itself() {
        let any: SocketAddr = "0.0.0.0:4000".parse().unwrap();
        assert_eq!(url(any, "/hooks?x=1"), "http://127.0.0.1:4000/hooks?x=1");
        let v6: SocketAddr = "[::]:4000".parse().unwrap();
        assert_eq!(url(v6, "/"), "http://[::1]:4000/");
        let bound: SocketAddr = "127.0.0.2:1".parse().unwrap();
        assert_eq!(url(bound, "/a"), "http://127.0.0.2:1/a");
    }

    #[test]
    fn leaves_out_the_hop_headers() {
        let recorded: Vec<(String, String)> = [
            ("host", "x"),
            ("content-length", "3"),
            ("x-signature-256", "sha256=ab"),
            ("connection", "close"),
            ("content-type", "application/json"),
            (REPLAY_OF, "1"),
        ]
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
        let names: Vec<(String, String)> = headers(&recorded, 7);
        assert_eq!(
            names,
            [
                ("x-signature-256".to_owned(), "sha256=ab".to_owned()),
                ("content-type".to_owned(), "application/json".to_owned()),
                (REPLAY_OF.to_owned(), "7".to_owned()),
            ]
        );
    }
}
