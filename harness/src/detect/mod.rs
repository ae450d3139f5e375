//! Turns what happened in an execution into findings.
//!
//! Each detector is a file with one `detect` function that reads the execution's state
//! at a [`Moment`] and returns its findings; none knows of another. The engines call
//! [`judge`], the one entry point, at each moment; a new detector is a new file and a
//! line in [`DETECTORS`]. The findings that are not judged at a moment are built here
//! too: ERROR events (`error_events`, a `tracing` layer), a lock taken twice
//! (`deadlock::relocked`), loom's own verdicts (`engine_verdicts`) and a replay that
//! does not run the same way again (`nondeterminism`). `outside_runtime` adds advice to
//! the panic tokio raises when the test calls it where there is no tokio runtime.

pub(crate) mod blocking_in_async;
pub(crate) mod body;
pub(crate) mod deadlock;
pub(crate) mod engine_verdicts;
pub(crate) mod error_events;
pub(crate) mod leak;
pub(crate) mod lost_messages;
pub(crate) mod lost_wakeup;
pub(crate) mod nondeterminism;
pub(crate) mod outside_runtime;
pub(crate) mod step_limit;
pub(crate) mod unbounded_growth;
pub(crate) mod unhandled_panic;

pub(crate) use crate::model::failure::{Failure, FailureKind, TaskRef};

use crate::model::tasks::TaskId;
use crate::run::execution::ExecutionState;

/// When an execution is judged.
pub(crate) enum Moment<'a> {
    /// The body has returned (or panicked): its outcome.
    BodyEnded(&'a Result<(), BodyFailure>),
    /// Nothing can run and no timer is pending, while the body has not returned.
    Stuck,
    /// The body has returned and every other task has finished or is blocked.
    Settled,
    /// The execution took more scheduling steps than `max_steps`.
    StepLimit,
    /// `task`'s future just returned `Pending`.
    Pending { task: TaskId },
    /// The running task is about to block its thread in a blocking primitive (its wait says
    /// which).
    BlockingWait { task: TaskId },
    /// A queue grew past `max_queue`.
    Grew(Growth),
    /// A racewright future of `task` is about to return `Pending` in `operation` at `at`:
    /// an `.await` of the task's code (the task itself may go on, in a `join!`).
    Awaiting { task: TaskId, operation: &'static str, at: &'static std::panic::Location<'static> },
}

/// What grew.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Growth {
    /// A channel or a `JoinSet`.
    Queue(crate::model::tasks::Resource),
    /// The set of live tasks.
    Tasks,
}

/// Why the body did not return `Ok(())`.
pub(crate) enum BodyFailure {
    /// It returned `Err`, with the error's `Debug` form.
    Err(String),
    /// It panicked: the message and where.
    Panicked { message: String, location: Option<String> },
}

/// A detector: the findings it sees in `state` at `moment`.
type Detector = fn(&ExecutionState, &Moment<'_>) -> Vec<Failure>;

/// A set of kinds of [`Moment`], one bit each: the moments a detector reads. Each detector
/// is called only at the moments it reads.
#[derive(Clone, Copy)]
struct Moments(u8);

impl Moments {
    const BODY_ENDED: Moments = Moments(1);
    const STUCK: Moments = Moments(1 << 1);
    const SETTLED: Moments = Moments(1 << 2);
    const STEP_LIMIT: Moments = Moments(1 << 3);
    const PENDING: Moments = Moments(1 << 4);
    const BLOCKING_WAIT: Moments = Moments(1 << 5);
    const GREW: Moments = Moments(1 << 6);
    const AWAITING: Moments = Moments(1 << 7);
    /// Nothing else can happen: the body is stuck, or it returned and the rest settled.
    const AT_THE_END: Moments = Moments::STUCK.and(Moments::SETTLED);

    const fn and(self, other: Moments) -> Moments {
        Moments(self.0 | other.0)
    }

    fn contains(self, other: Moments) -> bool {
        self.0 & other.0 == other.0
    }
}

impl Moment<'_> {
    fn kind(&self) -> Moments {
        match self {
            Moment::BodyEnded(_) => Moments::BODY_ENDED,
            Moment::Stuck => Moments::STUCK,
            Moment::Settled => Moments::SETTLED,
            Moment::StepLimit => Moments::STEP_LIMIT,
            Moment::Pending { .. } => Moments::PENDING,
            Moment::BlockingWait { .. } => Moments::BLOCKING_WAIT,
            Moment::Grew(_) => Moments::GREW,
            Moment::Awaiting { .. } => Moments::AWAITING,
        }
    }
}

/// Every detector, with the moments it reads, in the order their findings are listed (a
/// panic nobody saw leads the deadlock or leak it caused).
const DETECTORS: &[(Detector, Moments)] = &[
    (body::detect, Moments::BODY_ENDED),
    (unhandled_panic::detect, Moments::AT_THE_END),
    (lost_wakeup::detect, Moments::AT_THE_END),
    (leak::detect, Moments::SETTLED),
    (deadlock::detect, Moments::STUCK),
    (step_limit::detect, Moments::STEP_LIMIT),
    (blocking_in_async::detect, Moments::PENDING.and(Moments::AWAITING).and(Moments::BLOCKING_WAIT)),
    (lost_messages::detect, Moments::SETTLED),
    (unbounded_growth::detect, Moments::GREW),
];

/// The detectors of each kind of moment (by the kind's bit), in [`DETECTORS`]' order:
/// [`judge`] runs at every `Pending` and await point, where only one of them reads.
const BY_MOMENT: [Readers; 8] = readers_by_moment();

/// The detectors that read one kind of moment.
#[derive(Clone, Copy)]
struct Readers {
    detectors: [Option<Detector>; DETECTORS.len()],
    count: usize,
}

const fn readers_by_moment() -> [Readers; 8] {
    let mut table = [Readers { detectors: [None; DETECTORS.len()], count: 0 }; 8];
    let mut bit = 0;
    while bit < 8 {
        let readers = &mut table[bit];
        let mut index = 0;
        while index < DETECTORS.len() {
            let (detect, moments) = DETECTORS[index];
            if moments.0 & (1 << bit) != 0 {
                readers.detectors[readers.count] = Some(detect);
                readers.count += 1;
            }
            index += 1;
        }
        bit += 1;
    }
    table
}

/// Judges the execution at `moment`: every finding is recorded and ends the execution.
/// Returns how many there were; none once the execution has been judged and is ending.
pub(crate) fn judge(state: &mut ExecutionState, moment: Moment<'_>) -> usize {
    if state.stopping {
        return 0;
    }
    let kind = moment.kind();
    if cfg!(debug_assertions) {
        for (detect, moments) in DETECTORS {
            if !moments.contains(kind) {
                debug_assert!(
                    detect(state, &moment).is_empty(),
                    "a detector found something at a moment it does not read"
                );
            }
        }
    }
    // No allocation unless something is found.
    let readers = &BY_MOMENT[kind.0.trailing_zeros() as usize];
    let mut findings: Vec<Failure> = Vec::new();
    for detect in readers.detectors[..readers.count].iter().flatten() {
        findings.append(&mut detect(state, &moment));
    }
    let found = findings.len();
    for finding in findings {
        state.fail(finding);
    }
    found
}

/// `task`'s last operation that happened at a place in the code (a facade call or a
/// `tracing` event), as `Mutex::lock` and its `file:line:column`: near where it awaits.
pub(crate) fn last_operation(state: &ExecutionState, task: TaskId) -> Option<(String, String)> {
    let event = state.trace.last_of(task)?;
    Some((event.operation.to_string(), event.at.full()?))
}
