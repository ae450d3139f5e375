//! Turns what happened in an execution into findings.
//!
//! Each detector reads the execution's state (tasks, trace) and contributes
//! [`Failure`]s; none knows of another.

pub(crate) mod deadlock;
pub(crate) mod error_events;
pub(crate) mod leak;
pub(crate) mod panics;
pub(crate) mod step_limit;
pub(crate) mod unhandled_panic;

pub(crate) use crate::model::failure::{Failure, FailureKind, TaskRef};
