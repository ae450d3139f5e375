//! racewright finds the concurrency bugs of async Rust code.
//!
//! Put `#[racewright::test]` on an async test written against racewright's
//! primitives (tokio's names and signatures); racewright runs it under a deterministic
//! scheduler that explores many interleavings of its tasks, and turns whatever goes
//! wrong (a failed assertion, a deadlock, a step-limit livelock, an `Err`) into one
//! readable report.
//!
//! ```
//! use racewright::sync::Mutex;
//! use std::sync::Arc;
//!
//! // What `#[racewright::test(expect = "panic")]` checks, spelled out.
//! let report = racewright::Scenario::new("doc::lost_update").run(|| async {
//!     let n = Arc::new(Mutex::new(0));
//!     let tasks: Vec<_> = (0..2)
//!         .map(|_| {
//!             let n = n.clone();
//!             racewright::spawn(async move {
//!                 let v = *n.lock().await;
//!                 racewright::task::yield_now().await;
//!                 *n.lock().await = v + 1;
//!             })
//!         })
//!         .collect();
//!     for t in tasks {
//!         t.await.unwrap();
//!     }
//!     assert_eq!(*n.lock().await, 2);
//! });
//! assert_eq!(report.failure().unwrap().kind(), racewright::FailureKind::Panic);
//! ```

pub mod cancel;
mod detect;
mod engine;
mod explore;
mod model;
mod report;
mod runtime;
mod select;
pub mod sync;
pub mod task;
pub mod time;
mod trace;

pub use explore::{EngineChoice, EnvError, Flavor, Policy, Scenario, Strategy, TestResult, TimeMode, check, env};
pub use model::failure::{Failure, FailureKind, TaskRef};
pub use model::metrics::Metrics;
pub use model::tasks::TaskState;
pub use racewright_macros::test;
pub use report::{EngineRun, Replayed, Report, StackFrame, TaskSummary, TimelineEvent};
pub use task::spawn;

/// Polls several futures concurrently on the current task and waits for all of them,
/// as `tokio::join!`. They share one task: a blocking call in one of them blocks all.
pub use futures::join;

#[doc(hidden)]
pub mod __private {
    pub use crate::explore::attribute;
    pub use crate::explore::breakpoint;
    pub use crate::explore::run_test;
    pub use crate::select::Select;
    pub use insta;
    pub use racewright_macros::__attribute_values as attribute_values;
    pub use tokio;
}
