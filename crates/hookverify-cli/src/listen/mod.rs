//! `hookverify listen`: a local receiver with a live page of its deliveries.
//!
//! Every `POST` (outside the listener's own `/api/` paths) is a delivery: it is recorded,
//! verified with the same explanation engine as `hookverify verify`, and answered as a real
//! receiver would (200 when valid, 401 when not). `GET /` is a self-contained page that
//! shows the deliveries live, over Server-Sent Events (`GET /api/stream`), and replays one
//! (`POST /api/replay/{id}`).

mod inspect;
mod page;
mod payload;
mod replay;
mod server;
mod store;

pub(crate) use server::run;
