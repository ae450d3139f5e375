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
mod run;
pub mod runtime;
mod select;
pub mod sync;
pub mod task;
pub mod time;
mod trace;

pub use explore::{
    EngineChoice, EnvError, Flavor, Policy, Scenario, Strategy, SwitchPoints, TestResult, TimeMode, check, env,
};
pub use model::failure::{Failure, FailureKind, TaskRef};
pub use model::metrics::Metrics;
pub use model::tasks::TaskState;
pub use racewright_macros::test;
pub use report::{EngineRun, Replayed, Report, StackFrame, TaskPanic, TaskSummary, TimelineEvent};
pub use task::spawn;

/// Polls several futures (or `IntoFuture` values) concurrently on the current task and
/// waits for all of them: tokio's `join!` itself. They share one task: a blocking call in
/// one of them blocks all. Each poll starts with the next future in turn, so that one that
/// is always ready cannot starve the others (`join!(biased; ..)` polls them in the order
/// written).
///
/// ```
/// # racewright::check(|| async {
/// let (a, b) = racewright::join!(async { 1 }, racewright::spawn(async { 2 }));
/// assert_eq!((a, b.unwrap()), (1, 2));
/// # });
/// ```
pub use tokio::join;
/// Pins values on the stack, as `tokio::pin!` (tokio's own).
pub use tokio::pin;
/// Like [`join!`], for futures of `Result`s: returns the first `Err` at once (dropping the
/// others), or all the `Ok` values: tokio's `try_join!` itself.
///
/// ```
/// # racewright::check(|| async {
/// let both: Result<(u8, u8), &str> = racewright::try_join!(async { Ok(1) }, async { Ok(2) });
/// assert_eq!(both, Ok((1, 2)));
/// let failed: Result<(u8, u8), &str> = racewright::try_join!(async { Ok(1) }, async { Err("no") });
/// assert_eq!(failed, Err("no"));
/// # });
/// ```
pub use tokio::try_join;

#[doc(hidden)]
pub mod __private {
    pub use crate::explore::attribute;
    pub use crate::explore::breakpoint;
    pub use crate::explore::run_test;
    pub use crate::select::Select;
    pub use insta;
    pub use racewright_macros::__attribute_values as attribute_values;
    pub use racewright_macros::__select_pattern as select_pattern;
    pub use tokio;
}
