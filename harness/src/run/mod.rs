//! The runtime: the state of the running execution and the settings it runs under.
//!
//! Loom calls the same layer its `rt/`. It sits between the plain data it is made of
//! (`model/`, `trace/`) and everything that acts on an execution: the detectors read it,
//! the engines drive it, the facade records into it through the engine's seam. It never
//! calls an engine: what it needs to know of one (which task runs) is handed in when an
//! execution begins.

pub(crate) mod execution;
pub(crate) mod heartbeat;
pub(crate) mod settings;
