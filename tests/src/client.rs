//! The HTTP client the cases use (being written).
