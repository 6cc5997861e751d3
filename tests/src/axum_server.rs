//! axum test server (being written).
