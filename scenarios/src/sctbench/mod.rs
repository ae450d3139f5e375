//! Programs of SCTBench, the benchmark of systematic concurrency testing tools
//! (Thomson, Donaldson, Betts: "Concurrency Testing Using Controlled Schedulers: An
//! Empirical Study", TOPC 2016), reduced to their bug and ported as async tasks.
//!
//! Each program is written once, against [`Platform`]: the handful of primitives the
//! C originals use (a blocking mutex and condition variable, sequentially consistent
//! atomics, spawning, yielding). [`Racewright`] serves them with racewright's facade,
//! [`RawShuttle`] with shuttle's own primitives and [`RawLoom`] with loom's, so that the
//! search benchmark (`benches/search.rs`) explores the same program on each and compares
//! them execution for execution. A thread of the original is a spawned task; `main` is
//! the scenario's body.
//!
//! Every program has a buggy variant (the bug SCTBench's version has) and a fixed one,
//! which no interleaving can break.

pub mod bluetooth_driver;
pub mod dining_philosophers;
mod platforms;
pub mod reorder;
pub mod safe_stack;
pub mod twostage;
pub mod work_steal_queue;

pub use platforms::{Racewright, RawLoom, RawShuttle};

use std::future::Future;
use std::ops::DerefMut;

use futures::future::LocalBoxFuture;

/// The primitives a ported program may use. Every operation is a scheduling point on
/// both platforms, as every synchronisation operation is a visible event for SCTBench's
/// tools.
pub trait Platform: 'static {
    /// A blocking mutex, as `std::sync::Mutex` (`pthread_mutex_t`).
    type Mutex<T: Send + 'static>: Lock<T>;
    /// A condition variable for [`Platform::Mutex`] (`pthread_cond_t`).
    type Condvar: Condition<Self>;
    /// A sequentially consistent `i64` cell (`std::atomic<long>`, or a `volatile` word).
    type Atomic: Atomic;

    /// Runs `task` as a new task; the returned future waits for it to finish, and
    /// panics if it panicked. Boxed, so that the handles of different tasks
    /// have one type, on every platform alike.
    fn spawn<F: Future<Output = ()> + Send + 'static>(task: F) -> LocalBoxFuture<'static, ()>;

    /// Lets the other tasks run (`sched_yield`).
    fn yield_now() -> impl Future<Output = ()> + Send;
}

/// A blocking mutex.
pub trait Lock<T>: Send + Sync + 'static {
    /// What `lock` returns: the data, until it is dropped.
    type Guard<'a>: DerefMut<Target = T>
    where
        Self: 'a;
    /// A new, unlocked mutex.
    fn new(value: T) -> Self;
    /// Blocks the task until the mutex is free, and takes it.
    fn lock(&self) -> Self::Guard<'_>;
}

/// A condition variable of platform `P`.
pub trait Condition<P: Platform + ?Sized>: Send + Sync + 'static {
    /// A condition variable nobody waits on.
    fn new() -> Self;
    /// Releases `guard`'s mutex, blocks until notified, and takes the mutex again.
    fn wait<'a, T>(&self, guard: <P::Mutex<T> as Lock<T>>::Guard<'a>) -> <P::Mutex<T> as Lock<T>>::Guard<'a>
    where
        T: Send + 'static + 'a;
    /// Wakes one waiting task, if any.
    fn notify_one(&self);
    /// Wakes every waiting task.
    fn notify_all(&self);
}

/// A sequentially consistent atomic `i64`: every operation is one indivisible step.
pub trait Atomic: Send + Sync + 'static {
    /// A cell holding `value`.
    fn new(value: i64) -> Self;
    /// Reads the value.
    fn load(&self) -> i64;
    /// Writes `value`.
    fn store(&self, value: i64);
    /// Writes `value` and returns the previous value.
    fn swap(&self, value: i64) -> i64;
    /// Writes `new` if the value is `current`: `Ok(current)`, or `Err(actual)`.
    fn compare_exchange(&self, current: i64, new: i64) -> Result<i64, i64>;
    /// Adds `delta` and returns the previous value.
    fn fetch_add(&self, delta: i64) -> i64;
}

/// One program of the benchmark.
#[derive(Clone, Copy)]
pub struct Program {
    /// Its name, as the benchmark's tables print it.
    pub name: &'static str,
    /// The SCTBench program it reduces.
    pub original: &'static str,
    /// How the buggy variant fails: `panic` or `deadlock`.
    pub fails_with: racewright::FailureKind,
}

/// Every program, in the order of the benchmark's tables. The benchmark runs each with
/// `run!`-style dispatch on its platform: see `benches/search.rs`.
pub const PROGRAMS: [Program; 6] = [
    Program {
        name: "reorder",
        original: "concurrent-software-benchmarks/reorder_5_bad.c",
        fails_with: racewright::FailureKind::Panic,
    },
    Program {
        name: "twostage",
        original: "concurrent-software-benchmarks/twostage_bad.c",
        fails_with: racewright::FailureKind::Panic,
    },
    Program {
        name: "work_steal_queue",
        original: "chess/WorkStealQueue.cpp",
        fails_with: racewright::FailureKind::Panic,
    },
    Program { name: "safe_stack", original: "safestack/SafeStack.cpp", fails_with: racewright::FailureKind::Panic },
    Program {
        name: "dining_philosophers",
        original: "inspect_examples/philosopher.c",
        fails_with: racewright::FailureKind::Deadlock,
    },
    Program {
        name: "bluetooth_driver",
        original: "concurrent-software-benchmarks/bluetooth_driver_bad.c",
        fails_with: racewright::FailureKind::Panic,
    },
];

/// Runs program `name`'s `variant` on platform `P`: the one dispatch from a name to a
/// program, for the benchmark and the tests.
///
/// # Panics
/// If `name` is not in [`PROGRAMS`].
pub fn run<P: Platform>(name: &str, variant: crate::Variant) -> LocalBoxFuture<'static, ()> {
    match name {
        "reorder" => Box::pin(reorder::program::<P>(variant)),
        "twostage" => Box::pin(twostage::program::<P>(variant)),
        "work_steal_queue" => Box::pin(work_steal_queue::program::<P>(variant)),
        "safe_stack" => Box::pin(safe_stack::program::<P>(variant)),
        "dining_philosophers" => Box::pin(dining_philosophers::program::<P>(variant)),
        "bluetooth_driver" => Box::pin(bluetooth_driver::program::<P>(variant)),
        other => panic!("no SCTBench program is called {other}"),
    }
}
