//! The cell behind each facade atomic: std's atomic, and on loom a loom atomic that
//! models it, so the `Ordering` of every access is honoured and weak-memory bugs show.
//! A `SeqCst` access is made sequentially consistent, which loom alone does not do
//! ([`loom::sequentially_consistent`]).
//!
//! The model is made at construction, inside a loom execution: loom requires every access
//! to happen after the atomic's creation, which construction, before the atomic is
//! shared, guarantees. An atomic that outlives its execution (a lazily made static) gets
//! a model made at its first access in the next one, from the value it holds; loom may
//! then call an access from another task a causality violation. `get_mut` and
//! `into_inner` copy the model's value back.

use std::fmt;
use std::sync::atomic::{self as std_atomic, Ordering};
use std::sync::{Arc, Mutex};

use super::{Engine, current, loom};

/// A std atomic type and the loom type that models it.
pub(crate) trait Modelled {
    type Value: Copy;
    type Model;
    fn model(value: Self::Value) -> Self::Model;
    /// The model's value, read with exclusive access.
    fn value_of(model: &Self::Model) -> Self::Value;
    /// The model's value, as a `Relaxed` load (for `Debug`).
    fn peek(model: &Self::Model) -> Self::Value;
    /// Stores `value` in the model. A `SeqCst` store is a `Release` swap: loom may order a
    /// plain store between the read and the write of a concurrent read-modify-write, which
    /// then overwrites a value it never read (loom#254). A swap cannot land there, and
    /// `Release` keeps it from acquiring what a store would not.
    fn store_model(model: &Self::Model, value: Self::Value, order: Ordering);
    fn current(&self) -> Self::Value;
    fn get_mut(&mut self) -> &mut Self::Value;
}

macro_rules! modelled {
    ($($std:ident $(<$t:ident>)? => $value:ty),* $(,)?) => {$(
        impl $(<$t>)? Modelled for std_atomic::$std $(<$t>)? {
            type Value = $value;
            type Model = ::loom::sync::atomic::$std $(<$t>)?;
            fn model(value: $value) -> Self::Model {
                ::loom::sync::atomic::$std::new(value)
            }
            fn value_of(model: &Self::Model) -> $value {
                // SAFETY: the caller has exclusive access to the atomic (`&mut self`).
                unsafe { model.unsync_load() }
            }
            fn peek(model: &Self::Model) -> $value {
                model.load(Ordering::Relaxed)
            }
            fn store_model(model: &Self::Model, value: $value, order: Ordering) {
                match order {
                    Ordering::SeqCst => drop(model.swap(value, Ordering::Release)),
                    _ => model.store(value, order),
                }
            }
            fn current(&self) -> $value {
                self.load(Ordering::Relaxed)
            }
            fn get_mut(&mut self) -> &mut $value {
                std_atomic::$std::get_mut(self)
            }
        }
    )*};
}

modelled!(
    AtomicBool => bool, AtomicUsize => usize, AtomicIsize => isize,
    AtomicU8 => u8, AtomicU16 => u16, AtomicU32 => u32, AtomicU64 => u64,
    AtomicI8 => i8, AtomicI16 => i16, AtomicI32 => i32, AtomicI64 => i64,
    AtomicPtr<T> => *mut T,
);

/// A facade atomic's storage: std's atomic, and its loom model while a loom execution uses it.
pub(crate) struct Atomic<S: Modelled> {
    std: S,
    /// The model made with the atomic inside a loom execution, with that execution: read
    /// in place, as most atomics live and die in one execution.
    born_model: Option<(u64, S::Model)>,
    /// The model of an atomic that outlived the execution it was made in, made at its first
    /// access in a later one, with that execution.
    late_model: Mutex<Option<(u64, Arc<S::Model>)>>,
    /// The serial of the execution that made it (0: none).
    born: u64,
}

impl<S: Modelled> Atomic<S> {
    pub(crate) fn new(std: S) -> Self {
        let born_model = loom::modelling().map(|execution| (execution, S::model(std.current())));
        Atomic { std, born_model, late_model: Mutex::new(None), born: crate::run::execution::serial() }
    }

    /// Runs one access with orderings `orders`: `on_std` on std's atomic, or on loom
    /// `on_model` on the model. Both closures are the same call; only one runs.
    #[inline]
    pub(crate) fn with<R>(
        &self,
        orders: &[Ordering],
        on_std: impl FnOnce(&S) -> R,
        on_model: impl FnOnce(&S::Model) -> R,
    ) -> R {
        crate::run::execution::used_primitive_of(self.born);
        if current() == Engine::Loom {
            if let Some(execution) = loom::modelling() {
                let seq_cst = orders.contains(&Ordering::SeqCst);
                return match &self.born_model {
                    Some((of, model)) if *of == execution => on_loom(seq_cst, || on_model(model)),
                    _ => {
                        let model = self.late_model(execution);
                        on_loom(seq_cst, || on_model(&model))
                    }
                };
            }
        }
        on_std(&self.std)
    }

    /// The model of loom execution `execution` for an atomic made before it, made on first
    /// use. Never held locked across the access itself, which may switch to another task.
    fn late_model(&self, execution: u64) -> Arc<S::Model> {
        let mut slot = self.late_model.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match &*slot {
            Some((of, model)) if *of == execution => model.clone(),
            _ => {
                let model = Arc::new(S::model(self.std.current()));
                *slot = Some((execution, model.clone()));
                model
            }
        }
    }

    /// Brings the model's value back into std's atomic and forgets the model.
    fn settle(&mut self) {
        let execution = loom::modelling();
        let late = self.late_model.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        let value = match (self.born_model.take(), late) {
            (_, Some((of, model))) if Some(of) == execution => Some(S::value_of(&model)),
            (Some((of, model)), _) if Some(of) == execution => Some(S::value_of(&model)),
            _ => None,
        };
        if let Some(value) = value {
            *self.std.get_mut() = value;
        }
    }

    pub(crate) fn get_mut(&mut self) -> &mut S::Value {
        self.settle();
        self.std.get_mut()
    }

    pub(crate) fn into_inner(mut self) -> S::Value {
        self.settle();
        *self.std.get_mut()
    }
}

impl<S: Modelled + Default> Default for Atomic<S> {
    fn default() -> Self {
        Atomic::new(S::default())
    }
}

impl<S: Modelled> fmt::Debug for Atomic<S>
where
    S::Value: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.with(&[], S::current, S::peek), f)
    }
}

/// Runs a loom access: a `SeqCst` one as [`loom::sequentially_consistent`] makes it.
fn on_loom<R>(seq_cst: bool, access: impl FnOnce() -> R) -> R {
    if seq_cst { loom::sequentially_consistent(access) } else { loom::switching(access) }
}

/// A memory fence on the current engine.
pub(crate) fn fence(order: Ordering) {
    if current() == Engine::Loom && loom::modelling().is_some() {
        loom::switching(|| ::loom::sync::atomic::fence(order));
        if order == Ordering::SeqCst {
            loom::fenced();
        }
    } else {
        std_atomic::fence(order);
    }
}
