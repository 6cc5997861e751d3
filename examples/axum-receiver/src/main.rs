//! The axum example receiver: see the library's docs for the routes and the environment.
//!
//! ```text
//! HOOKVERIFY_SECRET=whsec_... HOOKVERIFY_ADDR=127.0.0.1:3000 cargo run -p axum-receiver
//! ```

use axum_receiver::{app, store, EventLog, Secrets, DEFAULT_ADDR};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        // Plain lines when the log goes to a file or a pipe: colour codes break log readers.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();

    let secrets = Secrets::from_env()?;
    let addr = std::env::var("HOOKVERIFY_ADDR").unwrap_or_else(|_| DEFAULT_ADDR.to_owned());
    let app = app(&secrets, &store().await?, EventLog::default());

    let listener = tokio::net::TcpListener::bind(&addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "axum-receiver listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            if let Err(error) = tokio::signal::ctrl_c().await {
                tracing::error!(%error, "cannot listen for Ctrl-C; stop the process another way");
                std::future::pending::<()>().await;
            }
            tracing::info!("Ctrl-C: finishing the requests in flight, then stopping");
        })
        .await?;
    Ok(())
}
