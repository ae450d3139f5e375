//! Outside an exploration the facade runs on tokio, as the code under test would in
//! production.

use super::TaskFuture;

/// Spawns on the ambient tokio runtime, with tokio's own error when there is none.
#[track_caller]
pub(crate) fn spawn(future: TaskFuture) -> tokio::task::JoinHandle<()> {
    tokio::spawn(future)
}
