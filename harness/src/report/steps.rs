//! The failing execution step by step: after each row of the timeline, where each task
//! is, who holds what, who waits on whom, and what each channel holds.
//!
//! Computed from the report's model alone (its timeline and state changes), so the HTML
//! report's slider and a text "state at step N" tell the same story.

use std::collections::VecDeque;
use std::fmt;

use serde::Serialize;

use super::{Change, Report, StateChange, TimelineEvent};
use crate::model::tasks::TaskState;
use crate::trace::Closing;

/// One row of the step-by-step view, an event of the timeline or a task starting to
/// wait, with the state of the execution after it.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Step {
    /// The scheduling step.
    pub(crate) step: usize,
    /// The task that acted (or that an engine event, a timer firing, was for).
    pub(crate) task: usize,
    /// What happened: `Mutex::lock`, `spawn task #1 "worker"`, `blocked in Mutex::lock on Mutex@a.rs:3`.
    pub(crate) what: String,
    /// The row is a task starting to wait, not an operation of the timeline.
    pub(crate) blocked: bool,
    /// Where, `file:line`; empty for what the engine did.
    pub(crate) at: String,
    /// The task got to run here by preempting another that could have gone on.
    pub(crate) preempted: bool,
    /// The state after it.
    pub(crate) state: State,
}

/// The state of the execution between two rows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct State {
    /// The virtual time, once the clock has moved.
    pub(crate) clock: Option<String>,
    /// Every task of the execution, spawned yet or not, by id.
    pub(crate) tasks: Vec<Position>,
    /// Locks and permits taken and not given back, in the order they were taken.
    pub(crate) holds: Vec<Hold>,
    /// The blocked tasks, what each waits on and who holds it.
    pub(crate) waits: Vec<Waiting>,
    /// The channels made so far, in the order they were made, with what each holds.
    pub(crate) channels: Vec<Channel>,
}

/// Where a task is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Position {
    pub(crate) id: usize,
    pub(crate) name: String,
    pub(crate) status: Status,
    /// Its last row: the operation (with its detail), or what it started waiting in.
    pub(crate) last: Option<String>,
    /// Where that was, `file:line`.
    pub(crate) at: Option<String>,
    /// Its async stack, a line per frame, as the text report shows it: known for the
    /// state after the last row (the report's end, or where a replay stopped), and only
    /// for a task in a `tracing` span.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) stack: Vec<String>,
}

/// How a task stands after a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Status {
    /// Not spawned yet.
    NotSpawned,
    /// It acted in this row.
    Running,
    /// Alive, and neither waiting nor suspended: spawned and not polled yet, or woken.
    Ready,
    /// Returned `Pending` without waiting on a racewright primitive: it yielded, or awaits
    /// a future of its own (which, at a deadlock, nothing will wake).
    Pending,
    /// Waiting on a racewright primitive, a timer or a handle (see [`State::waits`]).
    Blocked,
    Finished,
    Panicked,
    Cancelled,
}

/// A task holds (part of) a lock or semaphore.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Hold {
    /// `Mutex@file:line`.
    pub(crate) resource: String,
    pub(crate) task: usize,
    /// Where it was taken, `file:line`.
    pub(crate) at: String,
}

/// A blocked task: an edge of the wait-for graph to each holder of what it waits on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Waiting {
    pub(crate) task: usize,
    /// The operation it waits in, e.g. `Mutex::lock`.
    pub(crate) operation: String,
    /// The primitive, when it is one.
    pub(crate) on: Option<String>,
    /// Where it waits, `file:line`.
    pub(crate) at: String,
    /// The tasks holding `on`, by id.
    pub(crate) held_by: Vec<usize>,
}

/// The messages of a channel a state lists, the oldest first: a channel that grew without
/// bound would otherwise be copied whole into every row.
const MESSAGES_SHOWN: usize = 8;

/// A channel and what it holds (the values themselves are the program's, and not shown).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Channel {
    /// `mpsc::channel@file:line`.
    pub(crate) channel: String,
    /// How many messages it holds at most, where that is a bound to show.
    pub(crate) capacity: Option<usize>,
    /// How many messages it holds.
    pub(crate) held: usize,
    /// The oldest of them, the next to be received, at most [`MESSAGES_SHOWN`].
    pub(crate) messages: Vec<Message>,
    /// How it closed so far, each way once, in order.
    pub(crate) closed: Vec<Closed>,
    /// How many messages were dropped with its receiver, never received.
    pub(crate) lost: usize,
    /// The first of them, at most [`MESSAGES_SHOWN`].
    pub(crate) lost_messages: Vec<Message>,
}

/// A message put into a channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Message {
    /// The task that sent it.
    pub(crate) task: usize,
    /// The step it was sent at.
    pub(crate) step: usize,
    /// Where, `file:line`.
    pub(crate) at: String,
}

/// A channel closing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Closed {
    pub(crate) how: Closing,
    /// The task that closed it (dropped the last sender, or the receiver).
    pub(crate) task: usize,
    pub(crate) step: usize,
}

/// The last `n` rows of the report's failing execution (all of them with `usize::MAX`),
/// each with the state after it, computed from the start all the same; and how many
/// rows came before them.
pub(crate) fn last_steps(report: &Report, n: usize) -> (usize, Vec<Step>) {
    let mut replay = Replay::new(report, n);
    let mut changes = report.changes.iter().peekable();
    for (index, event) in report.timeline.iter().enumerate() {
        while let Some(change) = changes.next_if(|change| change.after <= index) {
            replay.change(change, index.checked_sub(1).map(|previous| &report.timeline[previous]), Some(event));
        }
        replay.event(event);
    }
    for change in changes {
        replay.change(change, report.timeline.last(), None);
    }
    replay.finish()
}

/// A task as the replay knows it.
#[derive(Clone)]
struct Task {
    name: String,
    life: Life,
    last: Option<(String, String)>,
    wait: Option<Wait>,
    /// Returned `Pending` without a wait, and not polled since.
    suspended: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Life {
    Unborn,
    Alive,
    Ended(TaskState),
}

/// A channel as the replay knows it: every message it holds, every one it lost.
struct Queue {
    channel: String,
    capacity: Option<usize>,
    messages: VecDeque<Message>,
    closed: Vec<Closed>,
    lost: Vec<Message>,
}

impl Queue {
    /// The channel as a state shows it.
    fn shown(&self) -> Channel {
        Channel {
            channel: self.channel.clone(),
            capacity: self.capacity,
            held: self.messages.len(),
            messages: self.messages.iter().take(MESSAGES_SHOWN).cloned().collect(),
            closed: self.closed.clone(),
            lost: self.lost.len(),
            lost_messages: self.lost.iter().take(MESSAGES_SHOWN).cloned().collect(),
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
struct Wait {
    operation: String,
    on: Option<String>,
    at: String,
}

/// The state, built up change by change; a row's state is taken when the next row opens.
struct Replay {
    tasks: Vec<Task>,
    holds: Vec<Hold>,
    channels: Vec<Queue>,
    clock: Option<String>,
    /// The last rows whose state is known, at most `keep`.
    done: VecDeque<Step>,
    keep: usize,
    /// Rows left out before `done`.
    skipped: usize,
    /// The row whose state is still building.
    open: Option<Step>,
    /// Changes that belong to the next row: a hold recorded just before its operation (a
    /// blocking lock's), a task polled again (it acts in the next row), a message sent or
    /// received by the operation of the next row.
    deferred: Vec<StateChange>,
    /// Each task's async stack at the end, as the text report shows it.
    stacks: Vec<Vec<String>>,
}

impl Replay {
    fn new(report: &Report, keep: usize) -> Replay {
        let spawned: Vec<usize> =
            report.changes.iter().filter(|change| change.change == Change::Spawned).map(|change| change.task).collect();
        let tasks = report
            .tasks
            .iter()
            .map(|task| Task {
                name: task.task.name.clone(),
                life: if spawned.contains(&task.task.id) { Life::Unborn } else { Life::Alive },
                last: None,
                wait: None,
                suspended: false,
            })
            .collect();
        Replay {
            tasks,
            holds: Vec::new(),
            channels: Vec::new(),
            clock: None,
            done: VecDeque::new(),
            keep,
            skipped: 0,
            open: None,
            deferred: Vec::new(),
            stacks: report.tasks.iter().map(|task| task.stack_lines(&report.tasks)).collect(),
        }
    }

    fn task(&mut self, id: usize) -> &mut Task {
        if id >= self.tasks.len() {
            let unknown =
                Task { name: format!("task-{id}"), life: Life::Alive, last: None, wait: None, suspended: false };
            self.tasks.resize(id + 1, unknown);
        }
        &mut self.tasks[id]
    }

    fn event(&mut self, event: &TimelineEvent) {
        // A wait the task gave up in the same poll, before anything else happened (a
        // `select!` branch that waits while another is ready), was never a stop: no row.
        let resumed =
            self.deferred.iter().any(|deferred| deferred.task == event.task && deferred.change == Change::Resumed);
        if !resumed
            && self.open.as_ref().is_some_and(|row| row.task == event.task && row.blocked && row.step == event.step)
        {
            self.open = None;
        }
        let what = event.what();
        self.open_row(Step {
            step: event.step,
            task: event.task,
            what: what.clone(),
            blocked: false,
            at: event.at.clone(),
            preempted: event.preempted,
            state: State::default(),
        });
        if event.clock.is_some() {
            self.clock = event.clock.clone();
        }
        let task = self.task(event.task);
        // Whatever a task does, it no longer waits; an ended task stays ended (its panic is
        // an event recorded before the end).
        task.wait = None;
        task.suspended = false;
        if task.life == Life::Unborn {
            task.life = Life::Alive;
        }
        task.last = Some((what, event.at.clone()));
    }

    fn change(&mut self, change: &StateChange, previous: Option<&TimelineEvent>, next: Option<&TimelineEvent>) {
        if change.clock.is_some() {
            self.clock = change.clock.clone();
        }
        let site = match &change.change {
            Change::Blocked { operation, on, at } => {
                self.blocked(change, Wait { operation: operation.clone(), on: on.clone(), at: at.clone() });
                return;
            }
            Change::Resumed => {
                self.deferred.push(change.clone());
                return;
            }
            Change::ChannelOpened { .. }
            | Change::Sent { .. }
            | Change::Taken { .. }
            | Change::ChannelClosed { .. } => {
                // A channel changes inside an operation, just before the operation's event
                // (a send, a receive), or in a drop after the task's last event of the step.
                if next.is_some_and(|next| next.task == change.task && next.step == change.step) {
                    self.deferred.push(change.clone());
                } else {
                    self.apply(change);
                }
                return;
            }
            Change::Acquired { at, .. } | Change::Released { at, .. } => Some(at),
            Change::Spawned | Change::Suspended | Change::Ended { .. } => None,
        };
        // A hold belongs to the row of the operation that took or gave it back, which the
        // primitive records just before or just after it.
        let of_operation = |event: Option<&TimelineEvent>| {
            event.is_some_and(|event| event.task == change.task && Some(&event.at) == site)
        };
        if !of_operation(previous) && of_operation(next) {
            self.deferred.push(change.clone());
        } else {
            self.apply(change);
        }
    }

    fn blocked(&mut self, change: &StateChange, wait: Wait) {
        // Woken and waiting again on the same thing, without doing anything in between
        // (a wakeup that found the lock taken again): still the same wait.
        if self.task(change.task).wait.as_ref() == Some(&wait) {
            self.deferred.retain(|deferred| !(deferred.task == change.task && deferred.change == Change::Resumed));
            return;
        }
        // Waits that replace each other before anything else happens (the branches of a
        // `select!`, a timeout around a lock) are one row: the last.
        if self.open.as_ref().is_some_and(|row| row.task == change.task && row.blocked) {
            self.open = None;
        }
        let what = match &wait.on {
            Some(on) => format!("blocked in {} on {on}", wait.operation),
            None => format!("blocked in {}", wait.operation),
        };
        self.open_row(Step {
            step: change.step,
            task: change.task,
            what: what.clone(),
            blocked: true,
            at: wait.at.clone(),
            preempted: false,
            state: State::default(),
        });
        let task = self.task(change.task);
        task.last = Some((what, wait.at.clone()));
        task.wait = Some(wait);
    }

    fn apply(&mut self, change: &StateChange) {
        let task = change.task;
        match &change.change {
            Change::Spawned => self.task(task).life = Life::Alive,
            Change::Acquired { resource, at } => {
                self.holds.push(Hold { resource: resource.clone(), task, at: at.clone() });
            }
            Change::Released { resource, at } => {
                let same = |hold: &Hold| &hold.resource == resource && &hold.at == at;
                let position = self
                    .holds
                    .iter()
                    .position(|hold| same(hold) && hold.task == task)
                    .or_else(|| self.holds.iter().position(same));
                if let Some(position) = position {
                    self.holds.remove(position);
                }
            }
            Change::Suspended => self.task(task).suspended = true,
            Change::Resumed => {
                let task = self.task(task);
                task.wait = None;
                task.suspended = false;
            }
            Change::Ended { state } => {
                let task = self.task(task);
                task.life = Life::Ended(*state);
                task.wait = None;
            }
            Change::ChannelOpened { channel, capacity } => self.channel(channel).capacity = *capacity,
            Change::Sent { channel, at, len } => {
                let messages = &mut self.channel(channel).messages;
                messages.push_back(Message { task, step: change.step, at: at.clone() });
                let overwritten = messages.len().saturating_sub(*len);
                messages.drain(..overwritten);
            }
            Change::Taken { channel, len } => {
                let messages = &mut self.channel(channel).messages;
                let taken = messages.len().saturating_sub(*len);
                messages.drain(..taken);
            }
            Change::ChannelClosed { channel, how } => {
                let channel = self.channel(channel);
                if !channel.closed.iter().any(|closed| closed.how == *how) {
                    channel.closed.push(Closed { how: *how, task, step: change.step });
                }
                if *how == Closing::ReceiverDropped {
                    let lost = std::mem::take(&mut channel.messages);
                    channel.lost.extend(lost);
                }
            }
            Change::Blocked { .. } => unreachable!("a wait opens a row of its own"),
        }
    }

    /// The channel named `name`, known from here on.
    fn channel(&mut self, name: &str) -> &mut Queue {
        let position = match self.channels.iter().position(|channel| channel.channel == name) {
            Some(position) => position,
            None => {
                self.channels.push(Queue {
                    channel: name.to_string(),
                    capacity: None,
                    messages: VecDeque::new(),
                    closed: Vec::new(),
                    lost: Vec::new(),
                });
                self.channels.len() - 1
            }
        };
        &mut self.channels[position]
    }

    fn open_row(&mut self, row: Step) {
        self.close_row();
        for change in std::mem::take(&mut self.deferred) {
            self.apply(&change);
        }
        self.open = Some(row);
    }

    fn close_row(&mut self) {
        if let Some(mut row) = self.open.take() {
            row.state = self.state(&row);
            self.done.push_back(row);
            if self.done.len() > self.keep {
                self.done.pop_front();
                self.skipped += 1;
            }
        }
    }

    fn state(&self, row: &Step) -> State {
        let tasks = self
            .tasks
            .iter()
            .enumerate()
            .map(|(id, task)| Position {
                id,
                name: task.name.clone(),
                status: match task.life {
                    Life::Unborn => Status::NotSpawned,
                    Life::Ended(TaskState::Panicked) => Status::Panicked,
                    Life::Ended(TaskState::Cancelled) => Status::Cancelled,
                    Life::Ended(_) => Status::Finished,
                    Life::Alive if task.wait.is_some() => Status::Blocked,
                    // A timer firing is the engine's doing: it wakes the task, it does not run it.
                    Life::Alive if row.task == id && !row.blocked && !row.at.is_empty() => Status::Running,
                    Life::Alive if task.suspended => Status::Pending,
                    Life::Alive => Status::Ready,
                },
                last: task.last.as_ref().map(|(what, _)| what.clone()),
                at: task.last.as_ref().map(|(_, at)| at.clone()),
                stack: Vec::new(),
            })
            .collect();
        let waits = self
            .tasks
            .iter()
            .enumerate()
            .filter(|(_, task)| task.life == Life::Alive)
            .filter_map(|(id, task)| {
                let wait = task.wait.as_ref()?;
                let mut held_by: Vec<usize> = Vec::new();
                for hold in self.holds.iter().filter(|hold| Some(&hold.resource) == wait.on.as_ref()) {
                    if !held_by.contains(&hold.task) {
                        held_by.push(hold.task);
                    }
                }
                Some(Waiting {
                    task: id,
                    operation: wait.operation.clone(),
                    on: wait.on.clone(),
                    at: wait.at.clone(),
                    held_by,
                })
            })
            .collect();
        let channels = self.channels.iter().map(Queue::shown).collect();
        State { clock: self.clock.clone(), tasks, holds: self.holds.clone(), waits, channels }
    }

    fn finish(mut self) -> (usize, Vec<Step>) {
        self.close_row();
        // The last row's state is the report's end, where the stacks are known.
        if let Some(last) = self.done.back_mut() {
            for (task, stack) in last.state.tasks.iter_mut().zip(self.stacks) {
                task.stack = stack;
            }
        }
        (self.skipped, self.done.into())
    }
}

impl Status {
    /// The status in a word, as the views show it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::NotSpawned => "not spawned",
            Status::Running => "running",
            Status::Ready => "ready",
            Status::Pending => "pending",
            Status::Blocked => "blocked",
            Status::Finished => "finished",
            Status::Panicked => "panicked",
            Status::Cancelled => "cancelled",
        }
    }
}

impl State {
    fn task(&self, id: usize) -> String {
        match self.tasks.get(id) {
            Some(task) => format!("#{id} \"{}\"", task.name),
            None => format!("#{id}"),
        }
    }
}

/// The state at a step as text: what a "state at step N" printout shows.
impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = &self.state;
        let at = if self.at.is_empty() { String::new() } else { format!(" at {}", self.at) };
        writeln!(f, "after step {}: {} {}{at}", self.step, state.task(self.task), self.what)?;
        if let Some(clock) = &state.clock {
            writeln!(f, "  virtual time {clock}")?;
        }
        writeln!(f, "  tasks:")?;
        for task in &state.tasks {
            write!(f, "    {:<4} {:<14} {:<11}", format!("#{}", task.id), task.name, task.status.as_str())?;
            if let (Some(last), Some(at)) = (&task.last, &task.at) {
                write!(f, " {last}")?;
                if !at.is_empty() {
                    write!(f, " at {at}")?;
                }
            }
            writeln!(f)?;
            if !task.stack.is_empty() {
                writeln!(f, "         stack:")?;
                for line in &task.stack {
                    writeln!(f, "           {line}")?;
                }
            }
        }
        if !state.holds.is_empty() {
            writeln!(f, "  holds:")?;
            for hold in &state.holds {
                writeln!(f, "    {} holds {} (acquired at {})", state.task(hold.task), hold.resource, hold.at)?;
            }
        }
        if !state.waits.is_empty() {
            writeln!(f, "  waits:")?;
            for wait in &state.waits {
                write!(f, "    {} waits in {}", state.task(wait.task), wait.operation)?;
                if let Some(on) = &wait.on {
                    write!(f, " for {on}")?;
                }
                if !wait.held_by.is_empty() {
                    let holders: Vec<String> = wait.held_by.iter().map(|task| state.task(*task)).collect();
                    write!(f, ", held by {}", holders.join(", "))?;
                }
                writeln!(f, " at {}", wait.at)?;
            }
        }
        if !state.channels.is_empty() {
            writeln!(f, "  channels:")?;
            for channel in &state.channels {
                write!(f, "    {}", channel.channel)?;
                if let Some(capacity) = channel.capacity {
                    write!(f, ", capacity {capacity}")?;
                }
                match channel.held {
                    0 => write!(f, ": empty")?,
                    1 => write!(f, ": 1 message")?,
                    n => write!(f, ": {n} messages")?,
                }
                for (index, closed) in channel.closed.iter().enumerate() {
                    let how = match closed.how {
                        Closing::SendersDropped => "dropped the last sender",
                        Closing::ReceiverClosed => "closed it",
                        Closing::ReceiverDropped => "dropped the receiver",
                    };
                    let lead = if index == 0 { "; closed: " } else { ", " };
                    write!(f, "{lead}{} {how} at step {}", state.task(closed.task), closed.step)?;
                }
                writeln!(f)?;
                for message in &channel.messages {
                    writeln!(f, "      sent by {}", message.describe(state))?;
                }
                if channel.held > channel.messages.len() {
                    writeln!(f, "      ... {} more", channel.held - channel.messages.len())?;
                }
                for message in &channel.lost_messages {
                    writeln!(f, "      dropped unreceived: sent by {}", message.describe(state))?;
                }
                if channel.lost > channel.lost_messages.len() {
                    writeln!(f, "      ... {} more dropped unreceived", channel.lost - channel.lost_messages.len())?;
                }
            }
        }
        Ok(())
    }
}

impl Message {
    /// `#0 "main" at step 3, at src/a.rs:12`.
    fn describe(&self, state: &State) -> String {
        format!("{} at step {}, at {}", state.task(self.task), self.step, self.at)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::sync::Mutex;
    use crate::{FailureKind, Scenario};

    /// Fails the execution, so that it has a report.
    fn the_end() {
        panic!("the end");
    }

    fn steps(report: &Report) -> Vec<Step> {
        let (skipped, steps) = last_steps(report, usize::MAX);
        assert_eq!(skipped, 0);
        steps
    }

    fn status(step: &Step, task: usize) -> Status {
        step.state.tasks[task].status
    }

    fn row<'a>(steps: &'a [Step], task: usize, what: &str) -> &'a Step {
        steps
            .iter()
            .find(|step| step.task == task && step.what == what)
            .unwrap_or_else(|| panic!("no {what} by #{task}"))
    }

    /// Two tasks take two locks in opposite orders.
    async fn abba() {
        let (a, b) = (Arc::new(Mutex::new(0)), Arc::new(Mutex::new(0)));
        let other = crate::spawn({
            let (a, b) = (a.clone(), b.clone());
            async move {
                let _b = b.lock().await;
                crate::task::yield_now().await;
                let _a = a.lock().await;
            }
        });
        {
            let _a = a.lock().await;
            crate::task::yield_now().await;
            let _b = b.lock().await;
        }
        other.await.unwrap();
    }

    #[test]
    fn at_a_deadlock_every_task_waits_for_what_another_holds() {
        let report = Scenario::new("steps::abba").run(abba);
        assert_eq!(report.failure().map(|failure| failure.kind()), Some(FailureKind::Deadlock), "{report}");
        let steps = steps(&report);
        let last = steps.last().expect("the deadlock has steps");
        assert!(last.blocked, "the last row is a task starting to wait:\n{last}");
        assert_eq!([status(last, 0), status(last, 1)], [Status::Blocked, Status::Blocked], "{last}");
        assert_eq!(last.state.holds.len(), 2, "{last}");
        assert_eq!(last.state.waits.len(), 2, "{last}");
        for wait in &last.state.waits {
            let other = 1 - wait.task;
            assert_eq!(wait.operation, "Mutex::lock");
            assert_eq!(wait.held_by, [other], "#{} waits for #{other}:\n{last}", wait.task);
            let held = last.state.holds.iter().find(|hold| hold.task == other).expect("the other task holds a lock");
            assert_eq!(wait.on.as_ref(), Some(&held.resource), "{last}");
        }
        // The state agrees with the report's own account of the end.
        for task in report.tasks() {
            assert_eq!(task.blocked_in.is_some(), status(last, task.task.id) == Status::Blocked, "{last}");
        }
    }

    #[test]
    fn a_lock_is_held_from_the_row_that_takes_it_to_the_row_that_gives_it_back() {
        let report = Scenario::new("steps::holds").run(|| async {
            let count = Mutex::new(0);
            *count.lock().await += 1;
            let blocking = crate::sync::blocking::Mutex::new(0);
            *blocking.lock().unwrap() += 1;
            the_end();
        });
        let steps = steps(&report);
        let holders = |what: &str| -> Vec<String> {
            row(&steps, 0, what).state.holds.iter().map(|hold| hold.resource.clone()).collect()
        };
        assert_eq!(holders("Mutex::lock").len(), 1, "{}", row(&steps, 0, "Mutex::lock"));
        assert!(holders("Mutex::lock")[0].starts_with("Mutex@harness/src/report/steps.rs:"));
        assert_eq!(holders("Mutex::unlock"), Vec::<String>::new());
        // A blocking lock records its hold before its operation: the hold still shows at
        // the operation's row, not at the row before.
        assert_eq!(holders("blocking::Mutex::lock acquired").len(), 1);
        assert_eq!(holders("blocking::Mutex::unlock"), Vec::<String>::new());
        let last = steps.last().expect("steps");
        assert_eq!(status(last, 0), Status::Panicked, "{last}");
    }

    #[test]
    fn a_task_is_not_spawned_before_its_spawn_and_finished_after_its_end() {
        let report = Scenario::new("steps::lifetimes").run(|| async {
            crate::task::yield_now().await;
            let worker = crate::spawn(async { crate::task::yield_now().await });
            worker.await.unwrap();
            the_end();
        });
        let steps = steps(&report);
        assert_eq!(status(&steps[0], 1), Status::NotSpawned, "{}", steps[0]);
        let spawn = steps.iter().position(|step| step.what.starts_with("spawn task #1")).expect("a spawn row");
        assert_eq!(status(&steps[spawn], 1), Status::Ready, "{}", steps[spawn]);
        let joined = row(&steps, 0, "JoinHandle::await task #1 finished");
        assert_eq!(status(joined, 1), Status::Finished, "{joined}");
        assert_eq!(status(joined, 0), Status::Running, "{joined}");
    }

    #[test]
    fn the_clock_shows_the_virtual_time_once_a_timer_fired() {
        let report = Scenario::new("steps::clock").run(|| async {
            crate::time::sleep(Duration::from_millis(250)).await;
            the_end();
        });
        let steps = steps(&report);
        let sleeping = steps.iter().find(|step| step.blocked).expect("the body waits for its timer");
        assert_eq!(sleeping.what, "blocked in time::sleep");
        assert_eq!(sleeping.state.clock, None);
        assert_eq!(status(sleeping, 0), Status::Blocked);
        let fired = row(&steps, 0, "timer fired t=250ms");
        assert_eq!(fired.state.clock.as_deref(), Some("250ms"));
        assert_eq!(status(fired, 0), Status::Ready, "a timer wakes its task; it does not run it");
    }

    /// The channels after `step`, by name.
    fn channel<'a>(step: &'a Step, name: &str) -> &'a Channel {
        step.state
            .channels
            .iter()
            .find(|channel| channel.channel.starts_with(name))
            .unwrap_or_else(|| panic!("no channel {name} after the row:\n{step}"))
    }

    fn senders(channel: &Channel) -> Vec<(usize, usize)> {
        channel.messages.iter().map(|message| (message.task, message.step)).collect()
    }

    #[test]
    fn a_channel_holds_what_was_sent_until_it_is_received_or_dropped_with_its_receiver() {
        let report = Scenario::new("steps::channel").run(|| async {
            let (tx, mut rx) = crate::sync::mpsc::channel(2);
            let producer = crate::spawn(async move {
                tx.send(1).await.unwrap();
                tx.send(2).await.unwrap();
            });
            producer.await.unwrap();
            rx.recv().await;
            drop(rx);
            the_end();
        });
        let steps = steps(&report);
        // Made before the spawn, in the same step: there from the first row, empty.
        let empty = channel(&steps[0], "mpsc::channel@harness/src/report/steps.rs:");
        assert_eq!((empty.capacity, empty.held, empty.closed.len()), (Some(2), 0, 0), "{}", steps[0]);
        let sends: Vec<&Step> = steps.iter().filter(|step| step.what == "mpsc::Sender::send sent").collect();
        assert_eq!(sends.len(), 2);
        // A message shows from the row of its send on, not before.
        let before = &steps[steps.iter().position(|step| std::ptr::eq(step, sends[0])).expect("a row") - 1];
        assert!(channel(before, "mpsc::channel@").messages.is_empty(), "{before}");
        let first = channel(sends[0], "mpsc::channel@");
        assert_eq!(senders(first), [(1, sends[0].step)], "{}", sends[0]);
        assert!(first.messages[0].at.starts_with("harness/src/report/steps.rs:"), "{}", sends[0]);
        // The producer's end drops the last sender, in the step of its second send.
        let full = channel(sends[1], "mpsc::channel@");
        assert_eq!(senders(full), [(1, sends[0].step), (1, sends[1].step)], "{}", sends[1]);
        assert_eq!(full.closed, [Closed { how: Closing::SendersDropped, task: 1, step: sends[1].step }]);
        // The receive takes the oldest, in its own row.
        let received = row(&steps, 0, "mpsc::Receiver::recv got a value");
        let before = &steps[steps.iter().position(|step| std::ptr::eq(step, received)).expect("a row") - 1];
        assert_eq!(channel(before, "mpsc::channel@").held, 2, "{before}");
        assert_eq!(senders(channel(received, "mpsc::channel@")), [(1, sends[1].step)], "{received}");
        // Dropping the receiver loses what it holds.
        let last = steps.last().expect("steps");
        let dropped = channel(last, "mpsc::channel@");
        assert!(dropped.messages.is_empty(), "{last}");
        assert_eq!(dropped.lost_messages, [Message { task: 1, step: sends[1].step, at: full.messages[1].at.clone() }]);
        assert_eq!((dropped.held, dropped.lost), (0, 1));
        assert_eq!(dropped.closed[1].how, Closing::ReceiverDropped, "{last}");
        let text = last.to_string();
        let line = format!(
            "    {}, capacity 2: empty; closed: #1 \"task-1\" dropped the last sender at step {}, #0 \"main\" dropped \
             the receiver at step {}\n      dropped unreceived: sent by #1 \"task-1\" at step {}, at {}\n",
            dropped.channel, sends[1].step, dropped.closed[1].step, sends[1].step, full.messages[1].at
        );
        assert!(text.contains(&format!("  channels:\n{line}")), "{text}");
        // A loom child hands its report over as JSON: the channels survive it.
        let read_back = Report::from_json(&report.to_json()).expect("the report reads back");
        assert_eq!(self::steps(&read_back).last().map(|step| &step.state), Some(&last.state));
    }

    #[test]
    fn a_long_queue_lists_its_oldest_messages() {
        let report = Scenario::new("steps::long_queue").run(|| async {
            let (tx, rx) = crate::sync::mpsc::unbounded_channel();
            for n in 0..20 {
                tx.send(n).unwrap();
            }
            drop(rx);
            the_end();
        });
        let steps = steps(&report);
        let sends: Vec<&Step> =
            steps.iter().filter(|step| step.what.starts_with("mpsc::UnboundedSender::send")).collect();
        assert_eq!(sends.len(), 20);
        let full = channel(sends[19], "mpsc::unbounded_channel@");
        assert_eq!((full.capacity, full.held), (None, 20), "{}", sends[19]);
        let oldest: Vec<usize> = sends[..MESSAGES_SHOWN].iter().map(|step| step.step).collect();
        assert_eq!(full.messages.iter().map(|message| message.step).collect::<Vec<_>>(), oldest);
        let text = sends[19].to_string();
        assert!(text.contains(": 20 messages\n"), "{text}");
        assert!(text.contains(&format!("\n      ... {} more\n", 20 - MESSAGES_SHOWN)), "{text}");
        let last = steps.last().expect("steps");
        let dropped = channel(last, "mpsc::unbounded_channel@");
        assert_eq!((dropped.held, dropped.lost, dropped.lost_messages.len()), (0, 20, MESSAGES_SHOWN), "{last}");
        assert!(last.to_string().contains(&format!("      ... {} more dropped unreceived\n", 20 - MESSAGES_SHOWN)));
    }

    #[test]
    fn oneshot_watch_and_broadcast_channels_show_what_they_hold() {
        let report = Scenario::new("steps::channels").run(|| async {
            let (reply, response) = crate::sync::oneshot::channel();
            reply.send(1).unwrap();
            response.await.unwrap();
            let (state, _watching) = crate::sync::watch::channel(0);
            state.send(1).unwrap();
            let (events, mut listener) = crate::sync::broadcast::channel(1);
            events.send(1).unwrap();
            events.send(2).unwrap();
            listener.recv().await.unwrap_err();
            listener.recv().await.unwrap();
            the_end();
        });
        let steps = steps(&report);
        let sent = row(&steps, 0, "oneshot::Sender::send sent");
        let oneshot = channel(sent, "oneshot::channel@");
        assert_eq!((oneshot.capacity, senders(oneshot)), (None, vec![(0, sent.step)]), "{sent}");
        assert!(oneshot.closed.is_empty(), "a sender dropped after sending closes nothing: {sent}");
        let received = row(&steps, 0, "oneshot::Receiver::await got the value");
        assert!(channel(received, "oneshot::channel@").messages.is_empty(), "{received}");
        // A watch channel holds its first value from the start, and then the last one sent.
        let replaced = row(&steps, 0, "watch::Sender::send sent");
        assert_eq!(senders(channel(replaced, "watch::channel@")), [(0, replaced.step)], "{replaced}");
        // A broadcast channel keeps its last `capacity` values: the second overwrote the
        // first, which the listener missed; once it has the second, nothing is held.
        let overwritten = steps.iter().rfind(|step| step.what == "broadcast::Sender::send sent to 1").expect("sends");
        let broadcast = channel(overwritten, "broadcast::channel@");
        assert_eq!((broadcast.capacity, senders(broadcast)), (Some(1), vec![(0, overwritten.step)]), "{overwritten}");
        let got = row(&steps, 0, "broadcast::Receiver::recv got a value");
        assert!(channel(got, "broadcast::channel@").messages.is_empty(), "{got}");
    }

    #[test]
    fn a_sender_waiting_for_room_waits_on_the_channel_the_contents_name() {
        let report = Scenario::new("steps::full").run(|| async {
            let (tx, _rx) = crate::sync::mpsc::channel(1);
            tx.send(1).await.unwrap();
            let _ = crate::time::timeout(Duration::from_millis(1), tx.send(2)).await;
            the_end();
        });
        let steps = steps(&report);
        let waiting = steps.iter().find(|step| step.blocked && step.what.contains("Sender::send")).expect("a wait");
        let full = channel(waiting, "mpsc::channel@");
        assert_eq!(waiting.what, format!("blocked in mpsc::Sender::send on {}", full.channel), "{waiting}");
        assert_eq!(waiting.state.channels.len(), 1, "{waiting}");
    }

    #[test]
    fn the_last_rows_have_the_state_computed_from_the_start() {
        let report = Scenario::new("steps::abba").run(abba);
        let all = steps(&report);
        let (skipped, last) = last_steps(&report, 2);
        assert_eq!(skipped, all.len() - 2);
        assert_eq!(
            last.iter().map(|step| &step.state).collect::<Vec<_>>(),
            [&all[all.len() - 2].state, &all[all.len() - 1].state]
        );
    }

    #[test]
    fn the_steps_survive_the_report_s_json() {
        // A loom child process hands its report over as JSON.
        let report = Scenario::new("steps::abba").run(abba);
        let read_back = Report::from_json(&report.to_json()).expect("the report reads back");
        let states = |report: &Report| steps(report).into_iter().map(|step| step.state).collect::<Vec<_>>();
        assert_eq!(states(&read_back), states(&report));
    }

    #[test]
    fn the_state_at_a_step_reads_as_text() {
        let report = Scenario::new("steps::abba").run(abba);
        let text = steps(&report).last().expect("steps").to_string();
        assert!(text.starts_with("after step "), "{text}");
        assert!(text.contains("blocked in Mutex::lock on Mutex@harness/src/report/steps.rs:"), "{text}");
        assert!(text.contains("  holds:\n    #"), "{text}");
        assert!(text.contains(" waits in Mutex::lock for Mutex@harness/src/report/steps.rs:"), "{text}");
        assert!(text.contains(", held by #"), "{text}");
    }
}
