//! The axum example receiver: see the library's docs for the routes and the environment.
//!
//! ```text
//! HOOKVERIFY_SECRET=whsec_... HOOKVERIFY_ADDR=127.0.0.1:3000 cargo run -p axum-receiver
//! ```
//!
//! Ctrl-C or SIGTERM stops it gracefully: it stops accepting, finishes the requests in
//! flight (up to 10 s), then waits (up to 25 s) for handlers whose senders hung up.

use axum_receiver::serve::{serve, Limits};
use axum_receiver::{app, logging, store, EventLog, Secrets, DEFAULT_ADDR};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _log = logging::init();

    let secrets = Secrets::from_env()?;
    let addr = std::env::var("HOOKVERIFY_ADDR").unwrap_or_else(|_| DEFAULT_ADDR.to_owned());
    let app = app(&secrets, &store().await?, EventLog::default());

    let listener = tokio::net::TcpListener::bind(&addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "axum-receiver listening");
    serve(listener, app, stop_requested(), Limits::default()).await;
    // Handlers whose senders hung up run on after their connections closed: let them finish,
    // or their events run again from the start on the senders' retries.
    let cut_short = hookverify::pipeline::wait_for_handlers(HANDLER_GRACE).await;
    if cut_short > 0 {
        tracing::warn!(
            cut_short,
            "stopping with webhook handlers still running; their claims run out and their \
             senders' retries run them again"
        );
    }
    Ok(())
}

/// How long handlers that outlived their requests get to finish once the server stopped.
const HANDLER_GRACE: std::time::Duration = std::time::Duration::from_secs(25);

/// Ctrl-C, or SIGTERM (what a container runtime or systemd sends).
async fn stop_requested() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("stopping: finishing the requests in flight and their handlers");
}
