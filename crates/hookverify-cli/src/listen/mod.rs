//! `hookverify listen`: a local receiver with a live page of its deliveries.
//!
//! Every `POST` (outside the listener's own `/api/` paths) is a delivery: it is recorded,
//! verified with the same explanation engine as `hookverify verify`, and answered as a real
//! receiver would (200 when valid, 401 when not). `GET /` is a self-contained page that
//! shows the deliveries live, over Server-Sent Events (`GET /api/stream`), and replays one
//! (`POST /api/replay/{id}`, answered with the new delivery's id). Every delivery is
//! answered with its id in `x-hookverify-delivery`.
//!
//! # For local development only
//!
//! The listener binds to loopback (`127.0.0.1:4000`) by default, and should stay there: its
//! page and API show every header and body it records (signatures, tokens, payloads) to
//! whoever can reach them, so do not expose it beyond loopback. What it does to stay a
//! local tool:
//!
//! - The page and its API answer only connections from this machine (a loopback peer),
//!   even when the listener is bound beyond loopback (it then says so at start), and only
//!   requests addressed to the listener by its own name (its bound address, or
//!   `localhost`, `127.0.0.1` or `[::1]` with its port), refusing any other with 403: a site
//!   that rebinds its own name to this machine cannot read them. Deliveries are taken from
//!   anyone under any name, so that a tunnel can forward them; but a proxy or tunnel on
//!   this machine is itself a connection from this machine, and whoever reaches it reaches
//!   the page: let it forward deliveries only (`POST`, not `/api/` paths, not `GET`).
//! - A replay is made only at the page's request: not from another origin, and only with
//!   the `x-hookverify-page` header, which a form on another site cannot send.
//! - What it keeps is bounded: the last 200 deliveries of at most 64 MiB together, each
//!   body at most 1 MiB (a larger one is answered 413 and not recorded), and each payload
//!   shown at most 2 MiB indented or 256 KiB as received (the rest is cut, and the page
//!   says so; a replay sends the whole body).
//! - Explaining a delivery (every sender, body variant and secret, over up to 1 MiB) runs
//!   on a blocking thread, not the async ones that serve the page.

mod inspect;
mod page;
mod payload;
mod replay;
mod server;
mod store;

pub(crate) use server::run;

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    #[test]
    fn help_says_it_is_a_local_tool() {
        let mut cli = crate::cli::Cli::command();
        let listen = cli.find_subcommand_mut("listen").unwrap();
        let help = listen.render_long_help().to_string();
        for said in [
            "local development",
            "do not expose it beyond loopback",
            "every header and body",
            "[default: 127.0.0.1:4000]",
        ] {
            assert!(
                help.contains(said),
                "`listen --help` does not say {said:?}:\n{help}"
            );
        }
    }
}
