//! The cell behind each facade atomic: std's atomic, and on loom a loom atomic that
//! models it, so the `Ordering` of every access is honoured and weak-memory bugs show.
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
    /// The model, with the loom execution it belongs to.
    model: Mutex<Option<(u64, Arc<S::Model>)>>,
    /// The serial of the execution that made it (0: none).
    born: u64,
}

impl<S: Modelled> Atomic<S> {
    pub(crate) fn new(std: S) -> Self {
        let model = loom::modelling().map(|execution| (execution, Arc::new(S::model(std.current()))));
        Atomic { std, model: Mutex::new(model), born: crate::run::execution::serial() }
    }

    /// Runs one access: `on_std` on std's atomic, or on loom `on_model` on the model.
    /// Both closures are the same call; only one runs.
    #[inline]
    pub(crate) fn with<R>(&self, on_std: impl FnOnce(&S) -> R, on_model: impl FnOnce(&S::Model) -> R) -> R {
        crate::run::execution::used_primitive_of(self.born);
        if current() == Engine::Loom {
            if let Some(model) = self.model() {
                return loom::switching(|| on_model(&model));
            }
        }
        on_std(&self.std)
    }

    /// The model of the running loom execution, made on first use. Never held locked
    /// across the access itself, which may switch to another task.
    fn model(&self) -> Option<Arc<S::Model>> {
        let execution = loom::modelling()?;
        let mut slot = self.model.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match &*slot {
            Some((of, model)) if *of == execution => Some(model.clone()),
            _ => {
                let model = Arc::new(S::model(self.std.current()));
                *slot = Some((execution, model.clone()));
                Some(model)
            }
        }
    }

    /// Brings the model's value back into std's atomic and forgets the model.
    fn settle(&mut self) {
        let slot = self.model.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        if let Some((of, model)) = slot {
            if loom::modelling() == Some(of) {
                *self.std.get_mut() = S::value_of(&model);
            }
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
        fmt::Debug::fmt(&self.with(S::current, S::peek), f)
    }
}

/// A memory fence on the current engine.
pub(crate) fn fence(order: Ordering) {
    if current() == Engine::Loom && loom::modelling().is_some() {
        loom::switching(|| ::loom::sync::atomic::fence(order));
    } else {
        std_atomic::fence(order);
    }
}
