//! Synchronisation primitives with tokio's names and signatures.
//!
//! Inside an exploration every operation is a scheduling point and an event of the
//! trace; outside of one they behave as tokio's own.

pub mod mutex;
mod permits;

pub use mutex::{Mutex, MutexGuard, OwnedMutexGuard, TryLockError};
