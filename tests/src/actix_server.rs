//! actix-web test server (being written).
