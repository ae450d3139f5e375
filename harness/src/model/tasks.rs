//! The tasks of one execution, numbered in spawn order, with what each is doing.

use std::fmt;
use std::panic::Location;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::spans::{Span, SpanStack};

/// A task of an execution. The body is task 0; spawned tasks count up in spawn order,
/// so ids are the same on every machine and every run of a schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct TaskId(pub usize);

impl TaskId {
    /// The scenario's body.
    pub const BODY: TaskId = TaskId(0);
}

impl std::fmt::Display for TaskId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// What a blocked task is waiting for, as the facade recorded it before returning `Pending`.
#[derive(Clone, Debug)]
pub(crate) struct Wait {
    /// The facade operation, e.g. `Mutex::lock`.
    pub(crate) operation: &'static str,
    /// Where the task awaits; for a `JoinHandle`, where its task was spawned (an `.await`
    /// has no caller's location to take).
    pub(crate) at: &'static Location<'static>,
    /// The primitive waited on, by the place it was created.
    pub(crate) resource: Option<Resource>,
    /// The task whose `JoinHandle` is awaited.
    pub(crate) awaits: Option<TaskId>,
}

impl Wait {
    /// `Mutex::lock on Mutex@src/bank.rs:12 at src/bank.rs:30:9`; for a `JoinHandle`,
    /// `JoinHandle::await for task #1 (spawned at src/bank.rs:20:5)`.
    pub(crate) fn describe(&self) -> String {
        let at = crate::model::paths::location(self.at);
        if let Some(task) = self.awaits {
            return format!("{} for task #{} (spawned at {at})", self.operation, task.0);
        }
        let on = self.resource.map(|resource| format!(" on {resource}")).unwrap_or_default();
        format!("{}{on} at {at}", self.operation)
    }
}

/// A facade primitive, named by its type and where it was created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Resource {
    pub(crate) kind: &'static str,
    pub(crate) created_at: &'static Location<'static>,
    /// Waiting for it blocks the thread that polls the task (`sync::blocking`), not just
    /// the task's future.
    pub(crate) blocks_thread: bool,
    /// Tells apart primitives created at the same place; never shown.
    id: u64,
}

impl Resource {
    pub(crate) fn new(kind: &'static str, created_at: &'static Location<'static>) -> Resource {
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Resource { kind, created_at, blocks_thread: false, id }
    }

    /// A primitive whose waits block the polling thread: a `sync::blocking` lock or condvar.
    pub(crate) fn blocking(kind: &'static str, created_at: &'static Location<'static>) -> Resource {
        Resource { blocks_thread: true, ..Resource::new(kind, created_at) }
    }

    /// A primitive made by a `const fn` (`Mutex::const_new`, for a `static`), which cannot
    /// count: it is told apart from others by where it was made.
    pub(crate) const fn new_const(kind: &'static str, created_at: &'static Location<'static>) -> Resource {
        Resource { kind, created_at, blocks_thread: false, id: 0 }
    }

    /// Whether `self` and `other` are the same primitive.
    pub(crate) fn same(&self, other: &Resource) -> bool {
        self.id == other.id && (self.id != 0 || std::ptr::eq(self.created_at, other.created_at))
    }
}

/// A task holds (part of) a lock or semaphore, acquired at `at`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hold {
    pub(crate) resource: Resource,
    pub(crate) task: TaskId,
    pub(crate) at: &'static Location<'static>,
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.kind, crate::model::paths::short(self.created_at))
    }
}

/// How a task's life went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    /// Not finished: runnable or blocked.
    Running,
    /// Returned.
    Finished,
    /// Panicked (the panic went to whoever awaits its handle).
    Panicked,
    /// Aborted, or dropped before it finished.
    Cancelled,
}

/// One task of the execution.
#[derive(Clone, Debug)]
pub(crate) struct TaskRecord {
    pub(crate) id: TaskId,
    pub(crate) name: Option<String>,
    /// The `spawn` call; `None` for the body.
    pub(crate) spawned_at: Option<&'static Location<'static>>,
    pub(crate) state: TaskState,
    pub(crate) waiting: Option<Wait>,
    /// The task's `JoinHandle` was dropped: nobody can await it any more.
    pub(crate) detached: bool,
    /// The task's panic (message, location), if it panicked.
    pub(crate) panic: Option<(String, Option<String>)>,
    /// Someone awaited the task's handle and got its result.
    pub(crate) panic_observed: bool,
    /// The task is being polled (not suspended at an `.await`).
    pub(crate) in_poll: bool,
    /// The task returned `Pending` at an operation's first poll for the scheduler to run
    /// another first (a preemption, not a wait).
    pub(crate) preempted: bool,
    /// The operation the task was preempted before has had its scheduling decision: the
    /// next first poll of an operation goes on without another one.
    pub(crate) past_point: bool,
    /// The data pointer of the waker the task's future is polled with (0 before its first
    /// poll): an operation polled with another one is polled by a user's own executor
    /// (`now_or_never`, `FuturesUnordered`), where a `Pending` would change what it sees.
    pub(crate) own_waker: usize,
    /// The `tracing` spans it is in, and was in where it last stopped.
    pub(crate) spans: SpanStack,
    /// When the task began its current wait (returned `Pending`, or blocked), on the
    /// virtual clock.
    pub(crate) waiting_since: Option<Duration>,
    /// Its longest wait so far, on the virtual clock.
    pub(crate) longest_wait: Duration,
    /// Since its last `Pending`, nothing holds its waker: it cannot be woken.
    pub(crate) unwakeable: Option<Unwakeable>,
    /// The task runs blocking code (`spawn_blocking`, `block_in_place`), as a thread of
    /// tokio's blocking pool: it may block, tokio's `blocking_*` methods included.
    pub(crate) blocking: bool,
    /// The operations it may still complete in this poll (tokio's coop budget); `None`
    /// while it runs `unconstrained`.
    pub(crate) budget: Option<u8>,
}

/// How a task that returned `Pending` was left with nothing that could wake it, as the
/// engine saw it happen (a lost wakeup, once nothing else wakes or ends the task).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Unwakeable {
    /// Its future returned `Pending` at `step` keeping no clone of the waker, unwoken;
    /// `after` is the index of its last event in the trace then.
    KeptNoWaker { step: usize, after: Option<usize> },
    /// The last clone of its waker kept by anyone was dropped unused at `step` by `by`,
    /// after `by`'s event `after`.
    WakerDropped { step: usize, by: TaskId, after: Option<usize> },
}

impl TaskRecord {
    /// The `tracing` spans the task is in, innermost first: while it is being polled,
    /// those it entered; while it is suspended, or after a panic, those it stopped in.
    pub(crate) fn spans(&self) -> impl Iterator<Item = &Span> {
        self.spans.current(self.in_poll && self.state == TaskState::Running)
    }

    fn new(id: TaskId, name: Option<String>, spawned_at: Option<&'static Location<'static>>) -> TaskRecord {
        TaskRecord {
            id,
            name,
            spawned_at,
            state: TaskState::Running,
            waiting: None,
            detached: false,
            panic: None,
            panic_observed: false,
            in_poll: false,
            preempted: false,
            past_point: false,
            own_waker: 0,
            waiting_since: None,
            longest_wait: Duration::ZERO,
            unwakeable: None,
            spans: SpanStack::default(),
            blocking: false,
            budget: Some(128),
        }
    }

    /// The task begins to wait at `now` (it may already be waiting).
    pub(crate) fn suspend(&mut self, now: Duration) {
        self.waiting_since.get_or_insert(now);
    }

    /// The task goes on at `now`: its wait, if any, is over.
    pub(crate) fn resume(&mut self, now: Duration) {
        if let Some(since) = self.waiting_since.take() {
            self.longest_wait = self.longest_wait.max(now.saturating_sub(since));
        }
    }

    /// The name to show: the given one, or the body's, or `task-N`.
    pub(crate) fn display_name(&self) -> String {
        self.label().to_string()
    }

    /// The name to show, made into a string only when it is shown.
    pub(crate) fn label(&self) -> TaskLabel {
        match (&self.name, self.id) {
            (Some(name), _) => TaskLabel::Named(name.clone()),
            (None, id) => TaskLabel::Unnamed(id),
        }
    }
}

/// A task's name as reports show it: the given one, or the body's (`main`), or `task-N`.
#[derive(Clone, Debug)]
pub(crate) enum TaskLabel {
    Named(String),
    Unnamed(TaskId),
}

impl fmt::Display for TaskLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskLabel::Named(name) => f.write_str(name),
            TaskLabel::Unnamed(TaskId::BODY) => f.write_str("main"),
            TaskLabel::Unnamed(TaskId(n)) => write!(f, "task-{n}"),
        }
    }
}

/// The tasks of one execution.
#[derive(Debug)]
pub(crate) struct TaskRegistry {
    tasks: Vec<TaskRecord>,
    /// The engine's task ids, mapped to ours.
    engine_keys: Vec<Option<TaskId>>,
}

impl Default for TaskRegistry {
    fn default() -> Self {
        TaskRegistry { tasks: vec![TaskRecord::new(TaskId::BODY, None, None)], engine_keys: Vec::new() }
    }
}

impl TaskRegistry {
    /// Empties the registry to the body alone, keeping its room.
    pub(crate) fn clear(&mut self) {
        self.tasks.clear();
        self.tasks.push(TaskRecord::new(TaskId::BODY, None, None));
        self.engine_keys.clear();
    }

    /// Registers a task being spawned and returns its id.
    pub(crate) fn spawn(&mut self, name: Option<String>, spawned_at: &'static Location<'static>) -> TaskId {
        let id = TaskId(self.tasks.len());
        self.tasks.push(TaskRecord::new(id, name, Some(spawned_at)));
        id
    }

    /// Learns the engine's id of a task, on the task's first poll.
    pub(crate) fn bind_engine_key(&mut self, key: usize, id: TaskId) {
        if self.engine_keys.len() <= key {
            self.engine_keys.resize(key + 1, None);
        }
        self.engine_keys[key] = Some(id);
    }

    /// The task of a recorded choice (`ExecutionState::choice_key`); `None` for the idle
    /// task, which is none of the scenario's.
    pub(crate) fn by_choice_key(&self, key: usize) -> Option<TaskId> {
        match key {
            0 => Some(TaskId::BODY),
            1 => None,
            key => Some(TaskId(key - 1)).filter(|task| task.0 < self.tasks.len()),
        }
    }

    /// Our id of the engine's task `key`.
    pub(crate) fn by_engine_key(&self, key: usize) -> Option<TaskId> {
        self.engine_keys.get(key).copied().flatten()
    }

    pub(crate) fn get(&self, id: TaskId) -> &TaskRecord {
        &self.tasks[id.0]
    }

    pub(crate) fn get_mut(&mut self, id: TaskId) -> &mut TaskRecord {
        &mut self.tasks[id.0]
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &TaskRecord> {
        self.tasks.iter()
    }

    /// Tasks that have not finished, panicked or been cancelled.
    pub(crate) fn alive(&self) -> impl Iterator<Item = &TaskRecord> {
        self.tasks.iter().filter(|task| task.state == TaskState::Running)
    }
}
