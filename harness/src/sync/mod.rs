//! Synchronisation primitives with tokio's names and signatures.
//!
//! Inside an exploration every operation is a scheduling point and an event of the
//! trace; outside of one they behave as tokio's own.

pub mod atomic;
mod barrier;
pub mod blocking;
pub mod broadcast;
pub mod mpsc;
mod mutex;
mod notify;
mod once_cell;
mod once_value;
pub mod oneshot;
mod permits;
mod rwlock;
mod semaphore;
mod set_once;
mod wait_list;
pub mod watch;

#[cfg(test)]
mod tests;

pub use barrier::{Barrier, BarrierWaitResult};
pub use mutex::{MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard, TryLockError};
pub use notify::Notify;
pub use once_cell::{OnceCell, SetError};
pub use rwlock::{
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock, RwLockMappedWriteGuard,
    RwLockReadGuard, RwLockWriteGuard,
};
pub use semaphore::{AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError};
pub use set_once::{SetOnce, SetOnceError};

/// The named futures of the primitives, where tokio has them: `tokio::sync::futures`.
pub mod futures {
    pub use super::notify::{Notified, OwnedNotified};
}
