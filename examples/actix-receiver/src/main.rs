//! The actix-web example receiver: see the library's docs for the routes and the
//! environment.
//!
//! ```text
//! HOOKVERIFY_SECRET=whsec_... HOOKVERIFY_ADDR=127.0.0.1:3000 cargo run -p actix-receiver
//! ```

use actix_receiver::{configure, logging, routes, EventLog, Secrets, Stores, DEFAULT_ADDR};
use actix_web::{web, App, HttpServer};

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _log = logging::init();

    let secrets = Secrets::from_env()?;
    let addr = std::env::var("HOOKVERIFY_ADDR").unwrap_or_else(|_| DEFAULT_ADDR.to_owned());

    // The middleware is built in each worker, as actix-web apps do; the memory store (or
    // Redis) and the event log are shared by all of them.
    let stores = Stores::from_env().await?;
    let events = web::Data::new(EventLog::default());
    let server = HttpServer::new(move || {
        let routes = routes(&secrets, &stores.for_worker());
        App::new().configure(|cfg| configure(cfg, &routes, &events))
    })
    // A connection refused before its body was read is closed (`Connection: close`); by
    // default actix-web then waits seconds for the client to close its side, holding the
    // connection's buffers, which a flood of slow bodies turns into memory. The answer is
    // already written when this starts.
    .client_disconnect_timeout(std::time::Duration::from_millis(100))
    .bind(&addr)?;
    tracing::info!(addr = %addr, "actix-receiver listening");
    server.run().await?;
    Ok(())
}
