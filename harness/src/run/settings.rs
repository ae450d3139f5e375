//! The settings an execution runs under, as the scenario chose them.

/// Whether a kind of finding fails the test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Policy {
    /// It is a failure (the default).
    #[default]
    Deny,
    /// It is tolerated.
    Allow,
}

/// When the virtual clock may move.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TimeMode {
    /// Only when every task is blocked: the clock jumps to the next deadline (the default).
    #[default]
    Idle,
    /// Also at any scheduling point, as the strategy chooses: models slow tasks, and
    /// explores the races between timeouts and the work they bound.
    Any,
}

/// What every execution of one exploration needs to know.
#[derive(Clone, Debug, Default)]
pub(crate) struct Settings {
    pub(crate) max_steps: usize,
    pub(crate) leaks: Policy,
    pub(crate) unhandled_panics: Policy,
    pub(crate) error_events: Policy,
    pub(crate) time: TimeMode,
    /// Whether facade operations go to the trace (the report's timeline).
    pub(crate) record_trace: bool,
}
