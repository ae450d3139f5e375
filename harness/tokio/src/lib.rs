//! tokio in your builds, racewright's explored tokio in your tests.
//!
//! Code written against `tokio::` is explored by racewright without a line of it
//! changed: rename the dependency, and turn the `racewright` feature on for tests only.
//!
//! ```toml
//! [dependencies]
//! # was: tokio = { version = "1", features = ["full"] }
//! tokio = { package = "racewright-tokio", version = "0.1", features = ["full"] }
//!
//! [dev-dependencies]
//! # tests see racewright's facade under the same `tokio::` paths
//! tokio = { package = "racewright-tokio", version = "0.1", features = ["full", "racewright"] }
//! racewright = "0.1"
//! ```
//!
//! In a normal build (`cargo build`, `cargo run`, your binary in production) this crate is
//! `pub use tokio::*;` and nothing else: real tokio, every feature forwarded, no
//! racewright code compiled in. Cargo turns a dev-dependency's features on only for the
//! targets that use dev-dependencies (tests, examples, benches), so in `cargo test` the
//! `racewright` feature is on, and `tokio::sync`, `tokio::task`, `tokio::time`,
//! `tokio::spawn`, `tokio::select!` and `tokio::join!` are racewright's: a
//! `#[racewright::test]` explores the interleavings of your crate's own code. Outside an
//! exploration racewright's primitives run on a real tokio runtime, so your plain
//! `#[tokio::test]` tests keep running as before. What racewright does not model (`io`,
//! `net`, `fs`, `process`, `signal`, `runtime`, `#[tokio::main]`) stays tokio's.
//!
//! In CI, run both builds: `cargo test` (explored), and `cargo build` or `cargo test
//! --release` of the binaries you ship, which never contain racewright (check with
//! `cargo tree -e normal`).

pub use ::tokio::*;

#[cfg(feature = "racewright")]
pub use ::racewright::{join, select, spawn, sync, task, time};
