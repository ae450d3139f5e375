//! Atomics with std's API (`std::sync::atomic`), whose every access is explored.
//!
//! Each operation but `into_inner` and `get_mut` is a scheduling point, so the
//! scheduler may run another task between a `load` and the `store` that follows it:
//! the lost updates of a load-then-store are found as a race on an async `Mutex` is.
//! Each is also an event of the trace, loads included (a race reads as its loads and
//! stores, so the timeline would lose the story without them), with the value read or
//! written.
//!
//! On the shuttle engine racewright explores interleavings, not weak memory: the tasks
//! take turns on one thread, so every ordering behaves as `SeqCst`, and
//! `compare_exchange_weak` never fails spuriously. On the loom engine (`engine = "loom"`)
//! each atomic is modelled by a loom atomic that keeps its `Ordering`s: a load may read
//! any store they allow, so a bug that needs a `Relaxed` reordering is found there.
//! Outside an exploration these are std's atomics.
//!
//! **Shared state must use these, not `std::sync::atomic`'s.** racewright cannot see a
//! std atomic: its accesses are no scheduling points, and on loom no loom objects, so
//! nothing is explored between them. On shuttle a race through one is still found where
//! another racewright call (an `.await` on a racewright primitive, a `yield_now`) splits
//! the racy steps; on loom it is missed, and the test passes: loom reorders only what
//! touches the same loom object. Such a pass carries the report's note "only one
//! interleaving was possible". `ci/clippy.toml` in racewright's repository is a clippy
//! configuration that flags std's atomics (and locks, and threads) in the code under test.
//!
//! ```
//! # racewright::check(|| async {
//! use racewright::sync::atomic::{AtomicUsize, Ordering};
//! use std::sync::Arc;
//!
//! let hits = Arc::new(AtomicUsize::new(0));
//! let task = racewright::spawn({
//!     let hits = hits.clone();
//!     async move { hits.fetch_add(1, Ordering::Relaxed) }
//! });
//! hits.fetch_add(1, Ordering::Relaxed);
//! task.await.unwrap();
//! assert_eq!(hits.load(Ordering::Relaxed), 2);
//! # });
//! ```

use std::fmt;
use std::sync::atomic as std_atomic;

pub use std::sync::atomic::Ordering;

use crate::engine;
use crate::engine::atomic::Modelled as _;

/// A memory fence, as `std::sync::atomic::fence`, and a scheduling point.
///
/// # Panics
/// If `order` is `Relaxed`, as std's.
#[track_caller]
pub fn fence(order: Ordering) {
    let at = engine::begin_preemptive();
    engine::atomic::fence(order);
    engine::record_with("fence", at, || format!("{order:?}"));
}

/// Calls `$method` on the atomic the engine uses: std's, or its loom model; `$order`s are
/// the access's orderings.
macro_rules! on {
    ($atomic:expr, [$($order:expr),*], $method:ident($($arg:expr),*)) => {
        $atomic.with(&[$($order),*], |a| a.$method($($arg),*), |model| model.$method($($arg),*))
    };
}

/// Runs one operation `act` on `atomic` as a scheduling point and an event of the trace,
/// `detail` saying what it did (only formatted inside an exploration).
#[track_caller]
fn explored<A: ?Sized, R>(
    operation: &'static str,
    act: impl FnOnce(&A) -> R,
    atomic: &A,
    detail: impl FnOnce(&R) -> String,
) -> R {
    engine::run_preemptive(operation, || act(atomic), detail)
}

/// How a `compare_exchange` went, for the trace.
fn exchanged<T>(result: &Result<T, T>, new: String, show: impl Fn(&T) -> String) -> String {
    match result {
        Ok(previous) => format!("{} -> {new}", show(previous)),
        Err(found) => format!("found {}, unchanged", show(found)),
    }
}

/// The operations every atomic has: `$show` renders a value for the trace.
macro_rules! atomic_common {
    ($name:ident $(<$t:ident>)?, $std:ty, $value:ty, $show:expr) => {
        impl $(<$t>)? $name $(<$t>)? {
            /// A new atomic holding `value`.
            ///
            /// Not `const`, unlike std's: on the loom engine the atomic's model is made here,
            /// before the atomic is shared, as loom requires. A static needs a `LazyLock`.
            pub fn new(value: $value) -> Self {
                $name { inner: engine::atomic::Atomic::new(<$std>::new(value)) }
            }

            /// Loads the value.
            ///
            /// # Panics
            /// If `order` is `Release` or `AcqRel`, as std's.
            #[track_caller]
            pub fn load(&self, order: Ordering) -> $value {
                explored(concat!(stringify!($name), "::load"), |a| on!(a, [order], load(order)), &self.inner, |v| $show(v))
            }

            /// Stores `value`.
            ///
            /// # Panics
            /// If `order` is `Acquire` or `AcqRel`, as std's.
            #[track_caller]
            pub fn store(&self, value: $value, order: Ordering) {
                let store = |a: &engine::atomic::Atomic<$std>| {
                    a.with(&[order], |a| a.store(value, order), |model| <$std>::store_model(model, value, order))
                };
                explored(concat!(stringify!($name), "::store"), store, &self.inner, |()| $show(&value))
            }

            /// Stores `value` and returns the previous value.
            #[track_caller]
            pub fn swap(&self, value: $value, order: Ordering) -> $value {
                explored(concat!(stringify!($name), "::swap"), |a| on!(a, [order], swap(value, order)), &self.inner, |previous| {
                    format!("{} -> {}", $show(previous), $show(&value))
                })
            }

            /// Stores `new` if the value is `current`; returns the previous value, `Ok` if
            /// it was `current`.
            #[track_caller]
            pub fn compare_exchange(
                &self,
                current: $value,
                new: $value,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$value, $value> {
                explored(
                    concat!(stringify!($name), "::compare_exchange"),
                    |a| on!(a, [success, failure], compare_exchange(current, new, success, failure)),
                    &self.inner,
                    |result| exchanged(result, $show(&new), $show),
                )
            }

            /// As [`compare_exchange`](Self::compare_exchange); std's may fail spuriously,
            /// this one does not inside an exploration.
            #[track_caller]
            pub fn compare_exchange_weak(
                &self,
                current: $value,
                new: $value,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$value, $value> {
                explored(
                    concat!(stringify!($name), "::compare_exchange_weak"),
                    |a| on!(a, [success, failure], compare_exchange_weak(current, new, success, failure)),
                    &self.inner,
                    |result| exchanged(result, $show(&new), $show),
                )
            }

            /// Applies `f` to the value until it returns `None` or a compare-exchange of its
            /// result succeeds, as std's: the load and each attempt are scheduling points, so
            /// another task may change the value in between and `f` runs again.
            #[track_caller]
            pub fn fetch_update<F>(&self, set_order: Ordering, fetch_order: Ordering, mut f: F) -> Result<$value, $value>
            where
                F: FnMut($value) -> Option<$value>,
            {
                let operation = concat!(stringify!($name), "::fetch_update");
                let mut previous = explored(operation, |a| on!(a, [fetch_order], load(fetch_order)), &self.inner, |v| $show(v));
                while let Some(next) = f(previous) {
                    match explored(
                        operation,
                        |a| on!(a, [set_order, fetch_order], compare_exchange_weak(previous, next, set_order, fetch_order)),
                        &self.inner,
                        |result| exchanged(result, $show(&next), $show),
                    ) {
                        Ok(value) => return Ok(value),
                        Err(value) => previous = value,
                    }
                }
                Err(previous)
            }

            /// The value, consuming the atomic.
            pub fn into_inner(self) -> $value {
                self.inner.into_inner()
            }

            /// A mutable reference to the value: `&mut self` proves nobody else accesses it.
            pub fn get_mut(&mut self) -> &mut $value {
                self.inner.get_mut()
            }
        }

        impl $(<$t>)? Default for $name $(<$t>)? {
            fn default() -> Self {
                $name { inner: engine::atomic::Atomic::new(<$std>::default()) }
            }
        }

        impl $(<$t>)? From<$value> for $name $(<$t>)? {
            fn from(value: $value) -> Self {
                $name::new(value)
            }
        }

        /// Not a scheduling point: printing is not an access the program races on.
        impl $(<$t>)? fmt::Debug for $name $(<$t>)? {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.inner, f)
            }
        }
    };
}

/// A read-modify-write operation `fetch_$op`.
macro_rules! fetch_op {
    ($name:ident, $value:ty, $method:ident, $doc:literal) => {
        #[doc = $doc]
        #[track_caller]
        pub fn $method(&self, value: $value, order: Ordering) -> $value {
            explored(
                concat!(stringify!($name), "::", stringify!($method)),
                |a| on!(a, [order], $method(value, order)),
                &self.inner,
                |previous| format!("{value} (was {previous})"),
            )
        }
    };
}

/// An integer atomic.
macro_rules! atomic_int {
    ($name:ident, $std:ident, $int:ty) => {
        #[doc = concat!("An integer shared between tasks, as `std::sync::atomic::", stringify!($std), "`.")]
        ///
        /// Each access is a scheduling point and an event of the trace (see the module's docs).
        pub struct $name {
            inner: engine::atomic::Atomic<std_atomic::$std>,
        }

        atomic_common!($name, std_atomic::$std, $int, |v: &$int| v.to_string());

        impl $name {
            fetch_op!($name, $int, fetch_add, "Adds `value` (wrapping on overflow); returns the previous value.");
            fetch_op!($name, $int, fetch_sub, "Subtracts `value` (wrapping on overflow); returns the previous value.");
            fetch_op!($name, $int, fetch_and, "Bitwise \"and\" with `value`; returns the previous value.");
            fetch_op!($name, $int, fetch_nand, "Bitwise \"nand\" with `value`; returns the previous value.");
            fetch_op!($name, $int, fetch_or, "Bitwise \"or\" with `value`; returns the previous value.");
            fetch_op!($name, $int, fetch_xor, "Bitwise \"xor\" with `value`; returns the previous value.");
            fetch_op!(
                $name,
                $int,
                fetch_max,
                "Stores the maximum of the value and `value`; returns the previous value."
            );
            fetch_op!(
                $name,
                $int,
                fetch_min,
                "Stores the minimum of the value and `value`; returns the previous value."
            );
        }
    };
}

atomic_int!(AtomicUsize, AtomicUsize, usize);
atomic_int!(AtomicIsize, AtomicIsize, isize);
atomic_int!(AtomicU8, AtomicU8, u8);
atomic_int!(AtomicU16, AtomicU16, u16);
atomic_int!(AtomicU32, AtomicU32, u32);
atomic_int!(AtomicU64, AtomicU64, u64);
atomic_int!(AtomicI8, AtomicI8, i8);
atomic_int!(AtomicI16, AtomicI16, i16);
atomic_int!(AtomicI32, AtomicI32, i32);
atomic_int!(AtomicI64, AtomicI64, i64);

/// A boolean shared between tasks, as `std::sync::atomic::AtomicBool`.
///
/// Each access is a scheduling point and an event of the trace (see the module's docs).
///
/// ```
/// # racewright::check(|| async {
/// use racewright::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
///
/// // Whoever swaps first does the one-time work.
/// let claimed = Arc::new(AtomicBool::new(false));
/// let task = racewright::spawn({
///     let claimed = claimed.clone();
///     async move { !claimed.swap(true, Ordering::AcqRel) }
/// });
/// let mine = !claimed.swap(true, Ordering::AcqRel);
/// let theirs = task.await.unwrap();
/// assert!(mine != theirs);
/// # });
/// ```
pub struct AtomicBool {
    inner: engine::atomic::Atomic<std_atomic::AtomicBool>,
}

atomic_common!(AtomicBool, std_atomic::AtomicBool, bool, |v: &bool| v.to_string());

impl AtomicBool {
    fetch_op!(AtomicBool, bool, fetch_and, "Logical \"and\" with `value`; returns the previous value.");
    fetch_op!(AtomicBool, bool, fetch_nand, "Logical \"nand\" with `value`; returns the previous value.");
    fetch_op!(AtomicBool, bool, fetch_or, "Logical \"or\" with `value`; returns the previous value.");
    fetch_op!(AtomicBool, bool, fetch_xor, "Logical \"xor\" with `value`; returns the previous value.");

    /// Logical "not"; returns the previous value.
    #[track_caller]
    pub fn fetch_not(&self, order: Ordering) -> bool {
        // Loom's `AtomicBool` has no `fetch_not`; xor with `true` is the same.
        let not = |a: &engine::atomic::Atomic<std_atomic::AtomicBool>| {
            a.with(&[order], |a| a.fetch_not(order), |model| model.fetch_xor(true, order))
        };
        explored("AtomicBool::fetch_not", not, &self.inner, |previous| format!("(was {previous})"))
    }
}

/// A raw pointer shared between tasks, as `std::sync::atomic::AtomicPtr`.
///
/// Each access is a scheduling point and an event of the trace; the trace shows a
/// pointer as `null` or `non-null` only, since addresses differ from run to run.
pub struct AtomicPtr<T> {
    inner: engine::atomic::Atomic<std_atomic::AtomicPtr<T>>,
}

atomic_common!(AtomicPtr<T>, std_atomic::AtomicPtr<T>, *mut T, |p: &*mut T| if p.is_null() {
    "null".to_string()
} else {
    "non-null".to_string()
});

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{FailureKind, Scenario};

    #[test]
    fn outside_a_run_they_are_std_atomics() {
        let n = AtomicUsize::new(5);
        assert_eq!(n.fetch_add(2, Ordering::SeqCst), 5);
        assert_eq!(n.fetch_sub(1, Ordering::SeqCst), 7);
        assert_eq!(n.swap(10, Ordering::SeqCst), 6);
        assert_eq!(n.compare_exchange(3, 4, Ordering::SeqCst, Ordering::SeqCst), Err(10));
        assert_eq!(n.compare_exchange_weak(10, 4, Ordering::SeqCst, Ordering::SeqCst), Ok(10));
        assert_eq!(n.fetch_max(9, Ordering::SeqCst), 4);
        assert_eq!(n.fetch_min(1, Ordering::SeqCst), 9);
        assert_eq!(n.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| Some(v * 3)), Ok(1));
        assert_eq!(n.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |_| None), Err(3));
        assert_eq!(n.fetch_or(0b100, Ordering::SeqCst), 3);
        assert_eq!(n.fetch_and(0b110, Ordering::SeqCst), 7);
        assert_eq!(n.fetch_xor(0b010, Ordering::SeqCst), 6);
        assert_eq!(n.fetch_nand(0, Ordering::SeqCst), 4);
        assert_eq!(n.into_inner(), usize::MAX);

        let mut i = AtomicI8::from(-3);
        *i.get_mut() -= 1;
        assert_eq!(i.load(Ordering::Relaxed), -4);
        assert_eq!(format!("{i:?}"), "-4");
        assert_eq!(AtomicU64::default().into_inner(), 0);

        let b = AtomicBool::default();
        assert!(!b.fetch_not(Ordering::SeqCst));
        assert!(b.fetch_and(false, Ordering::SeqCst));
        assert!(!b.load(Ordering::SeqCst));

        let mut value = 7;
        let p = AtomicPtr::new(std::ptr::null_mut());
        assert!(p.swap(&mut value, Ordering::SeqCst).is_null());
        // SAFETY: the pointer is `value`'s, which is alive.
        assert_eq!(unsafe { *p.load(Ordering::SeqCst) }, 7);
        fence(Ordering::SeqCst);
    }

    #[test]
    fn shared_across_threads_outside_a_run() {
        let count = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let count = count.clone();
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|thread| thread.join().unwrap());
        assert_eq!(count.load(Ordering::Relaxed), 4000);
    }

    /// Two tasks that each load and then store an increment.
    async fn racy_increments(atomic_rmw: bool) -> usize {
        let n = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                let n = n.clone();
                crate::spawn(async move {
                    if atomic_rmw {
                        n.fetch_add(1, Ordering::SeqCst);
                    } else {
                        let v = n.load(Ordering::SeqCst);
                        n.store(v + 1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        n.load(Ordering::SeqCst)
    }

    #[test]
    fn a_load_then_store_loses_an_update_and_the_trace_shows_it() {
        let report = Scenario::new("atomic::lost_update").iterations(200).run(|| async {
            assert_eq!(racy_increments(false).await, 2);
        });
        let failure = report.failure().expect("some interleaving loses an update");
        assert_eq!(failure.kind(), FailureKind::Panic);
        let rendered = report.to_string();
        assert!(rendered.contains("AtomicUsize::load"), "{rendered}");
        assert!(rendered.contains("AtomicUsize::store"), "{rendered}");
    }

    #[test]
    fn fetch_add_never_loses_one() {
        let report = Scenario::new("atomic::fetch_add").iterations(200).run(|| async {
            assert_eq!(racy_increments(true).await, 2);
        });
        assert!(report.failure().is_none(), "{report}");
    }

    #[test]
    fn fetch_update_retries_when_another_task_interferes() {
        let report = Scenario::new("atomic::fetch_update").iterations(200).run(|| async {
            let n = Arc::new(AtomicU32::new(1));
            let task = crate::spawn({
                let n = n.clone();
                async move { n.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| Some(v * 2)).unwrap() }
            });
            n.fetch_add(1, Ordering::SeqCst);
            task.await.unwrap();
            let v = n.load(Ordering::SeqCst);
            // (1 + 1) * 2 or 1 * 2 + 1, never a doubling lost.
            assert!(v == 4 || v == 3, "{v}");
        });
        assert!(report.failure().is_none(), "{report}");
    }
}
