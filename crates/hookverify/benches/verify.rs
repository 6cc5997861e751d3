//! Placeholder; filled in with the verifier benchmarks.
fn main() {}
