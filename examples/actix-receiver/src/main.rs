//! The actix-web example receiver: see the library's docs for the routes and the
//! environment.
//!
//! ```text
//! HOOKVERIFY_SECRET=whsec_... HOOKVERIFY_ADDR=127.0.0.1:3000 cargo run -p actix-receiver
//! ```

use actix_receiver::serve::{self, server, Limits};
use actix_receiver::{configure, logging, routes, EventLog, Secrets, Stores, DEFAULT_ADDR};
use actix_web::{web, App};

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _log = logging::init();

    let secrets = Secrets::from_env()?;
    let addr = std::env::var("HOOKVERIFY_ADDR").unwrap_or_else(|_| DEFAULT_ADDR.to_owned());

    // The middleware is built in each worker, as actix-web apps do; the memory store (or
    // Redis) and the event log are shared by all of them.
    let stores = Stores::from_env().await?;
    let events = web::Data::new(EventLog::default());
    let listener = serve::listener(&addr)?;
    // Served as `HttpServer` serves, over connections that read no further ahead of the
    // answers than the client reads them (`serve.rs`). A request refused before its body
    // was read is answered with `Connection: close` (a 413 after discarding up to 8 MiB
    // more of the body) and closed at once, as hyper does: actix-web's default lingers up
    // to 1 s per connection, holding its buffers, which under a flood of slow bodies passes
    // 100 MiB above idle; and with a linger under about half a second (actix-web takes the
    // deadline's time from a clock it updates every 500 ms), a client that goes silent
    // keeps the connection open until it closes it (RELIABILITY.md).
    let server = server(
        listener,
        move || {
            let routes = routes(&secrets, &stores.for_worker());
            App::new().configure(|cfg| configure(cfg, &routes, &events))
        },
        Limits::default(),
    )?;
    tracing::info!(addr = %addr, "actix-receiver listening");
    server.await?;
    Ok(())
}
