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

/// How many threads poll the tasks, as tokio's runtime flavors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Flavor {
    /// Every task as if on a worker thread of its own (the default): a blocking wait
    /// blocks only the task that waits, and tasks may be preempted anywhere.
    #[default]
    MultiThread,
    /// One thread polls every task, as tokio's current-thread runtime (the default of
    /// `#[tokio::test]`): a task runs until it returns `Pending`, and a blocking wait
    /// blocks every task, which is a `blocking_in_async` finding.
    CurrentThread,
}

/// Where the scheduler may switch away from a task inside its poll (`Flavor::MultiThread`,
/// shuttle).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SwitchPoints {
    /// At every racewright call, synchronous ones (`notify_one`, `try_send`, ...) too: the
    /// finest interleavings (the default). An execution that blocks on a lock racewright
    /// cannot see, held by a task switched away from inside such a call, makes the test
    /// explored again with [`SwitchPoints::Pending`].
    #[default]
    EveryCall,
    /// Only where a task returns `Pending` (an operation's first poll yields for it), as
    /// tokio suspends a task: what the task holds in its poll (a `std` or `parking_lot`
    /// guard) is let go before another task runs. A synchronous call runs with the code
    /// around it, up to the task's next `Pending`.
    Pending,
}

/// What every execution of one exploration needs to know.
#[derive(Clone, Debug, Default)]
pub(crate) struct Settings {
    pub(crate) max_steps: usize,
    pub(crate) leaks: Policy,
    pub(crate) unhandled_panics: Policy,
    pub(crate) error_events: Policy,
    pub(crate) time: TimeMode,
    pub(crate) flavor: Flavor,
    pub(crate) switch_points: SwitchPoints,
    pub(crate) lost_messages: Policy,
    /// The most values an unbounded channel or a `JoinSet` may hold, and the most tasks
    /// that may be alive at once, before it is an `unbounded_growth` finding.
    pub(crate) max_queue: usize,
    /// Whether facade operations go to the trace (the report's timeline).
    pub(crate) record_trace: bool,
}
