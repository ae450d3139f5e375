//! A small service's concurrency pieces, written only against `tokio::` (and the locks
//! real services use beside it, `std`'s and `parking_lot`'s), as a service would be.
//!
//! Its tests explore it with racewright through the tokio switch (`racewright-tokio`):
//! this crate's `Cargo.toml` names `tokio = { package = "racewright-tokio", .. }`, a normal
//! build is real tokio and nothing else, and `cargo test` turns on the switch's
//! `racewright` feature, so the same `tokio::sync` and `tokio::time` are racewright's.
//!
//! Each piece has a bug of a kind real ones have had, planted behind a constructor of its
//! own, which its tests show racewright finding; the pieces as written pass.
//! - [`Pool`]: wakes every waiter on a check-in; the planted bug loses a wakeup.
//! - [`BoundedPool`]: opens connections on demand up to a bound, and hands a returned one
//!   to one waiter with `Notify::notify_one` under its `parking_lot` lock; the planted bug
//!   opens more connections than the bound.
//! - [`Limiter`]: a rate limiter whose tasks share one refill `Sleep`, polled under its
//!   `std::sync::Mutex`; the planted bug leaves a task asleep forever.

mod bounded_pool;
mod limiter;
mod pool;

pub use bounded_pool::{BoundedPool, Connection};
pub use limiter::Limiter;
pub use pool::{Pool, Pooled, TimedOut};
