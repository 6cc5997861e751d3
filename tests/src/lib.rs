//! Conformance harness: one table of cases, run over real HTTP against every adapter.
//!
//! Each adapter module turns a [`ServerSpec`] into a server listening on `127.0.0.1:0`
//! ([`RunningServer`]); the cases in [`cases`] only speak HTTP to it, so the same table
//! proves that the axum and actix-web adapters behave identically.

pub mod actix_server;
pub mod axum_server;
pub mod cases;
pub mod client;
pub mod floor;
pub mod load;
pub mod signers;
pub mod spec;

pub use spec::{Behaviour, Extractor, Fault, Recorder, RunningServer, ServerSpec};

/// The README's Rust snippets, compiled (and the framework-free one run) as doctests of this
/// crate, which depends on both adapters.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeSnippets;
