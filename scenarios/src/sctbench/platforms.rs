//! The three platforms the programs run on: racewright's facade, raw shuttle, raw loom.

use std::future::Future;
use std::sync::PoisonError;

use futures::future::LocalBoxFuture;

use super::{Atomic, Condition, Lock, Platform};

/// Racewright's facade: `sync::blocking::{Mutex, Condvar}`, `sync::atomic::AtomicI64`,
/// `spawn`, `task::yield_now`. Run a program with `Scenario::run`.
pub struct Racewright;

/// Shuttle's own primitives: `shuttle::sync::{Mutex, Condvar}`, its `AtomicI64`,
/// `shuttle::future::{spawn, yield_now}`. Run a program with
/// `shuttle::future::block_on` inside a shuttle test.
pub struct RawShuttle;

/// Loom's own primitives: `loom::sync::{Mutex, Condvar}`, its `AtomicI64`; a task is a
/// loom thread. Run a program with [`RawLoom::block_on`] inside `loom::model`.
pub struct RawLoom;

impl Platform for Racewright {
    type Mutex<T: Send + 'static> = racewright::sync::blocking::Mutex<T>;
    type Condvar = racewright::sync::blocking::Condvar;
    type Atomic = racewright::sync::atomic::AtomicI64;

    #[track_caller]
    fn spawn<F: Future<Output = ()> + Send + 'static>(task: F) -> LocalBoxFuture<'static, ()> {
        let handle = racewright::spawn(task);
        // Not `resume_unwind`: racewright takes a panic that skips the panic hook for its own.
        Box::pin(async move { handle.await.expect("the task panicked") })
    }

    #[track_caller]
    fn yield_now() -> impl Future<Output = ()> + Send {
        racewright::task::yield_now()
    }
}

impl Platform for RawShuttle {
    type Mutex<T: Send + 'static> = shuttle::sync::Mutex<T>;
    type Condvar = shuttle::sync::Condvar;
    type Atomic = shuttle::sync::atomic::AtomicI64;

    #[track_caller]
    fn spawn<F: Future<Output = ()> + Send + 'static>(task: F) -> LocalBoxFuture<'static, ()> {
        // A panicking task fails shuttle's whole execution at once: joining cannot fail.
        let handle = shuttle::future::spawn(task);
        Box::pin(async move { handle.await.expect("shuttle fails the execution when a task panics") })
    }

    #[track_caller]
    fn yield_now() -> impl Future<Output = ()> + Send {
        shuttle::future::yield_now()
    }
}

impl Platform for RawLoom {
    type Mutex<T: Send + 'static> = loom::sync::Mutex<T>;
    type Condvar = loom::sync::Condvar;
    type Atomic = loom::sync::atomic::AtomicI64;

    #[track_caller]
    fn spawn<F: Future<Output = ()> + Send + 'static>(task: F) -> LocalBoxFuture<'static, ()> {
        let thread = loom::thread::spawn(move || RawLoom::block_on(task));
        Box::pin(async move { thread.join().expect("the thread panicked") })
    }

    async fn yield_now() {
        loom::thread::yield_now()
    }
}

impl RawLoom {
    /// Runs `future` on the calling loom thread. On this platform every wait blocks the
    /// thread and no future returns `Pending`, so polling until ready is enough.
    pub fn block_on<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
                return output;
            }
            loom::thread::yield_now();
        }
    }
}

/// `lock` that ignores poisoning: a poisoned mutex means a task panicked, and that panic
/// is the failure already.
macro_rules! lock {
    ($($mutex:ident)::+, $($guard:ident)::+) => {
        impl<T: Send + 'static> Lock<T> for $($mutex)::+<T> {
            type Guard<'a> = $($guard)::+<'a, T>;

            #[track_caller]
            fn new(value: T) -> Self {
                $($mutex)::+::new(value)
            }

            #[track_caller]
            fn lock(&self) -> Self::Guard<'_> {
                $($mutex)::+::lock(self).unwrap_or_else(PoisonError::into_inner)
            }
        }
    };
}

lock!(racewright::sync::blocking::Mutex, racewright::sync::blocking::MutexGuard);
lock!(shuttle::sync::Mutex, shuttle::sync::MutexGuard);
lock!(loom::sync::Mutex, loom::sync::MutexGuard);

macro_rules! condition {
    ($platform:ident, $($condvar:ident)::+, $($guard:ident)::+) => {
        impl Condition<$platform> for $($condvar)::+ {
            #[track_caller]
            fn new() -> Self {
                $($condvar)::+::new()
            }

            #[track_caller]
            fn wait<'a, T>(&self, guard: $($guard)::+<'a, T>) -> $($guard)::+<'a, T>
            where
                T: Send + 'static + 'a,
            {
                $($condvar)::+::wait(self, guard).unwrap_or_else(PoisonError::into_inner)
            }

            #[track_caller]
            fn notify_one(&self) {
                $($condvar)::+::notify_one(self)
            }

            #[track_caller]
            fn notify_all(&self) {
                $($condvar)::+::notify_all(self)
            }
        }
    };
}

condition!(Racewright, racewright::sync::blocking::Condvar, racewright::sync::blocking::MutexGuard);
condition!(RawShuttle, shuttle::sync::Condvar, shuttle::sync::MutexGuard);
condition!(RawLoom, loom::sync::Condvar, loom::sync::MutexGuard);

/// Every operation `SeqCst`: the programs' originals assume sequential consistency.
macro_rules! atomic {
    ($($atomic:ident)::+) => {
        impl Atomic for $($atomic)::+ {
            #[track_caller]
            fn new(value: i64) -> Self {
                $($atomic)::+::new(value)
            }

            #[track_caller]
            fn load(&self) -> i64 {
                $($atomic)::+::load(self, SEQ_CST)
            }

            #[track_caller]
            fn store(&self, value: i64) {
                $($atomic)::+::store(self, value, SEQ_CST)
            }

            #[track_caller]
            fn swap(&self, value: i64) -> i64 {
                $($atomic)::+::swap(self, value, SEQ_CST)
            }

            #[track_caller]
            fn compare_exchange(&self, current: i64, new: i64) -> Result<i64, i64> {
                $($atomic)::+::compare_exchange(self, current, new, SEQ_CST, SEQ_CST)
            }

            #[track_caller]
            fn fetch_add(&self, delta: i64) -> i64 {
                $($atomic)::+::fetch_add(self, delta, SEQ_CST)
            }
        }
    };
}

const SEQ_CST: std::sync::atomic::Ordering = std::sync::atomic::Ordering::SeqCst;

atomic!(racewright::sync::atomic::AtomicI64);
atomic!(shuttle::sync::atomic::AtomicI64);
atomic!(loom::sync::atomic::AtomicI64);
