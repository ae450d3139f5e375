//! How deep `safe_stack`'s bug is: the fewest preemptions of any schedule of the buggy
//! port that fails, found by a search over a model of its states, cheapest first, and
//! checked by replaying the schedule found on the port itself, over raw shuttle.
//!
//! The model (`Stack`, `Worker`) steps the port's tasks one atomic operation (or one
//! `yield_now`) at a time, as the schedulers do: each step is one scheduling decision.
//! A state is the stack's atomics and each task's place, round and locals; the search
//! orders states by the preemptions that reach them (switching away from a task that
//! could go on and is not yielding, as racewright counts them), then by steps, so the
//! first failing state it reaches has the fewest preemptions, and the fewest steps of
//! those. Two goals: the port's assertion (a task reads another's mark on the element it
//! owns), and, before it, two tasks owning one element.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::rc::Rc;

use racewright_scenarios::Variant;
use racewright_scenarios::sctbench::{self, RawShuttle, safe_stack};
use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

/// The end of a list, or a link taken by a popping task (the port's `NONE`).
const NONE: i8 = -1;
/// The port's pop-and-push rounds per task.
const ROUNDS: u8 = 2;
const TASKS: usize = safe_stack::TASKS;

/// Where a task is: before which operation of the port's code.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Place {
    /// `pop`: `count.load() > 1`.
    CheckCount,
    /// `pop`: `head.load()`.
    ReadHead,
    /// `pop`: `next[head].swap(NONE)`.
    TakeLink,
    /// `pop`: `head.compare_exchange(head, next)`.
    SwingHead,
    /// `pop`: `count.fetch_add(-1)`.
    Decrement,
    /// `pop`: `next[head].swap(next)`, the link put back after a failed swing.
    PutLinkBack,
    /// The caller's `yield_now` after a pop that found nothing.
    Yield,
    /// `values[element].store(id)`.
    Mark,
    /// `values[element].load()`, asserted to be the task's own mark.
    CheckMark,
    /// `push`: `head.load()`.
    PushReadHead,
    /// `push`: `next[element].store(head)`.
    PushLink,
    /// `push`: `head.compare_exchange(head, element)`.
    PushSwing,
    /// `push`: `count.fetch_add(1)`.
    Increment,
    Done,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Worker {
    place: Place,
    round: u8,
    /// The `head` its pop or push read.
    head: i8,
    /// The link its pop took.
    link: i8,
    /// The element it owns.
    element: i8,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Stack {
    head: i8,
    count: i8,
    next: [i8; TASKS],
    values: [i8; TASKS],
    workers: [Worker; TASKS],
}

impl Stack {
    /// The port's stack of `0, 1, 2`, top first, and its tasks before their first pop.
    fn new() -> Stack {
        let worker = Worker { place: Place::CheckCount, round: 0, head: 0, link: 0, element: 0 };
        Stack { head: 0, count: TASKS as i8, next: [1, 2, NONE], values: [0; TASKS], workers: [worker; TASKS] }
    }

    fn can_run(&self, task: usize) -> bool {
        self.workers[task].place != Place::Done
    }

    /// Task `task` runs its next operation; whether its assertion failed.
    fn step(&mut self, task: usize) -> bool {
        let mut worker = self.workers[task];
        let mut failed = false;
        worker.place = match worker.place {
            Place::CheckCount if self.count > 1 => Place::ReadHead,
            Place::CheckCount => Place::Yield,
            Place::ReadHead => {
                worker.head = self.head;
                Place::TakeLink
            }
            Place::TakeLink => {
                worker.link = std::mem::replace(&mut self.next[worker.head as usize], NONE);
                if worker.link < 0 { Place::Yield } else { Place::SwingHead }
            }
            Place::SwingHead if self.head == worker.head => {
                self.head = worker.link;
                Place::Decrement
            }
            Place::SwingHead => Place::PutLinkBack,
            Place::Decrement => {
                self.count -= 1;
                worker.element = worker.head;
                Place::Mark
            }
            Place::PutLinkBack => {
                self.next[worker.head as usize] = worker.link;
                Place::CheckCount
            }
            Place::Yield => Place::CheckCount,
            Place::Mark => {
                self.values[worker.element as usize] = task as i8;
                Place::CheckMark
            }
            Place::CheckMark => {
                failed = self.values[worker.element as usize] != task as i8;
                Place::PushReadHead
            }
            Place::PushReadHead => {
                worker.head = self.head;
                Place::PushLink
            }
            Place::PushLink => {
                self.next[worker.element as usize] = worker.head;
                Place::PushSwing
            }
            Place::PushSwing if self.head == worker.head => {
                self.head = worker.element;
                Place::Increment
            }
            Place::PushSwing => {
                worker.head = self.head;
                Place::PushLink
            }
            Place::Increment => {
                self.count += 1;
                worker.round += 1;
                if worker.round == ROUNDS { Place::Done } else { Place::CheckCount }
            }
            Place::Done => unreachable!("a finished task is never chosen"),
        };
        self.workers[task] = worker;
        failed
    }

    /// Two tasks own one element: they are between their pop and their push's swing.
    fn shared_element(&self) -> bool {
        let owning = |worker: &Worker| {
            matches!(
                worker.place,
                Place::Mark | Place::CheckMark | Place::PushReadHead | Place::PushLink | Place::PushSwing
            )
        };
        let owned: Vec<i8> = self.workers.iter().filter(|worker| owning(worker)).map(|worker| worker.element).collect();
        (1..owned.len()).any(|i| owned[..i].contains(&owned[i]))
    }

    /// The state, packed (each field offset to be non-negative).
    /// The state and the task that ran last, packed into 68 bits.
    fn key(&self, last: usize) -> u128 {
        let mut key = 0u128;
        let mut put = |value: i64, bits: u32| key = (key << bits) | (value as u128 & ((1 << bits) - 1));
        put(self.head as i64 + 1, 3);
        put(self.count as i64 + 1, 3);
        for i in 0..TASKS {
            put(self.next[i] as i64 + 1, 3);
            put(self.values[i] as i64, 2);
        }
        for worker in &self.workers {
            put(worker.place as i64, 4);
            put(worker.round as i64, 2);
            put(worker.head as i64 + 1, 3);
            put(worker.link as i64 + 1, 3);
            put(worker.element as i64 + 1, 3);
        }
        put(last as i64, 2);
        key
    }
}

/// What a searched state must meet: given the state, and whether the step into it failed
/// the port's assertion.
type Goal = fn(&Stack, bool) -> bool;

/// The schedule (the task of each step) with the fewest preemptions that reaches a state
/// where `goal` holds, and of those the fewest steps; its preemptions, and how many states
/// the search reached.
fn fewest_preemptions(goal: Goal) -> Option<(Vec<usize>, usize, usize)> {
    /// No task has run yet: the first choice is free.
    const NO_TASK: usize = TASKS;
    /// How a state was reached: its preemptions and steps, and the state and task before.
    struct Reached {
        cost: (usize, usize),
        from: Option<u128>,
        task: usize,
    }
    let mut reached: HashMap<u128, Reached> = HashMap::new();
    let mut queue = BinaryHeap::new();
    let start = Stack::new();
    reached.insert(start.key(NO_TASK), Reached { cost: (0, 0), from: None, task: NO_TASK });
    queue.push(Reverse(((0, 0), start, NO_TASK, false)));
    // States leave the queue in order of (preemptions, steps), so the first that meets the
    // goal as it leaves has the fewest preemptions, and the fewest steps of those.
    while let Some(Reverse((cost, stack, last, failed))) = queue.pop() {
        let key = stack.key(last);
        if reached[&key].cost < cost {
            continue;
        }
        if goal(&stack, failed) {
            let mut schedule = Vec::new();
            let mut at = &reached[&key];
            while let Some(from) = at.from {
                schedule.push(at.task);
                at = &reached[&from];
            }
            schedule.reverse();
            return Some((schedule, cost.0, reached.len()));
        }
        if failed {
            continue;
        }
        for task in (0..TASKS).filter(|task| stack.can_run(*task)) {
            let preempts =
                last != NO_TASK && last != task && stack.can_run(last) && stack.workers[last].place != Place::Yield;
            let next_cost = (cost.0 + usize::from(preempts), cost.1 + 1);
            let mut next = stack;
            let failed = next.step(task);
            let next_key = next.key(task);
            if reached.get(&next_key).is_some_and(|known| known.cost <= next_cost) {
                continue;
            }
            reached.insert(next_key, Reached { cost: next_cost, from: Some(key), task });
            queue.push(Reverse((next_cost, next, task, failed)));
        }
    }
    None
}

/// Shuttle's scheduler that runs the port's body whenever it can (it spawns the tasks and
/// joins them) and otherwise follows the model's schedule, one step per decision.
struct FollowModel {
    schedule: Vec<usize>,
    next: usize,
    started: [bool; TASKS],
    ran: bool,
    /// A step whose task could not run: the port and the model went apart.
    diverged: Rc<Cell<bool>>,
}

impl Scheduler for FollowModel {
    fn new_execution(&mut self) -> Option<Schedule> {
        (!std::mem::replace(&mut self.ran, true)).then(|| Schedule::new(0))
    }

    fn next_task(&mut self, runnable: &[&Task], _current: Option<TaskId>, _is_yielding: bool) -> Option<TaskId> {
        let body = TaskId::from(0);
        if runnable.iter().any(|task| task.id() == body) {
            return Some(body);
        }
        let Some(&task) = self.schedule.get(self.next) else {
            return runnable.first().map(|task| task.id());
        };
        let id = TaskId::from(task + 1);
        if !runnable.iter().any(|candidate| candidate.id() == id) {
            self.diverged.set(true);
            return runnable.first().map(|task| task.id());
        }
        // A task's first turn runs it to its first operation's scheduling point, no further.
        if std::mem::replace(&mut self.started[task], true) {
            self.next += 1;
        }
        Some(id)
    }

    fn next_u64(&mut self) -> u64 {
        0
    }
}

/// Replays `schedule` on the buggy port over raw shuttle: the panic's message, if it failed.
fn replay_on_raw_shuttle(schedule: &[usize]) -> Result<String, &'static str> {
    let diverged = Rc::new(Cell::new(false));
    let scheduler = FollowModel {
        schedule: schedule.to_vec(),
        next: 0,
        started: [false; TASKS],
        ran: false,
        diverged: diverged.clone(),
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        shuttle::Runner::new(scheduler, crate::shuttle_config())
            .run(|| shuttle::future::block_on(sctbench::run::<RawShuttle>("safe_stack", Variant::Buggy)));
    }));
    if diverged.get() {
        return Err("the port went otherwise than the model");
    }
    match outcome {
        Ok(()) => Err("passed"),
        Err(payload) => Ok(crate::panic_message(payload.as_ref()).to_string()),
    }
}

/// The depth table, from a child process (`--child depth`): shuttle prints the replay's
/// failure on stderr, which the child's drops.
pub(crate) fn depth() {
    println!("{}", crate::run_children(&[vec!["depth".to_string()]], 1)[0]);
    println!();
}

/// `--child depth`: the depth table on stdout.
pub(crate) fn child_depth() {
    std::panic::set_hook(Box::new(|_| {}));
    println!(
        "depth: the fewest preemptions of a failing schedule of safe_stack's buggy port (search of a model of its states, replayed on the port over raw shuttle)"
    );
    println!(
        "| goal                                   | steps | preemptions | states searched | the port over raw shuttle, following it |"
    );
    println!(
        "|----------------------------------------|------:|------------:|----------------:|-----------------------------------------|"
    );
    // Each goal, and whether its state shows on the port (a failed assertion does).
    let goals: [(&str, Goal, bool); 2] = [
        ("two tasks own one element", |stack, _| stack.shared_element(), false),
        ("a task reads another's mark (the bug)", |_, failed| failed, true),
    ];
    for (name, goal, observable) in goals {
        match fewest_preemptions(goal) {
            Some((schedule, preemptions, states)) => {
                let replayed = if observable {
                    match replay_on_raw_shuttle(&schedule) {
                        Ok(message) => format!("fails: {}", message.lines().next().unwrap_or_default()),
                        Err(why) => why.to_string(),
                    }
                } else {
                    "-".to_string()
                };
                println!("| {name:<38} | {:>5} | {preemptions:>11} | {states:>15} | {replayed} |", schedule.len());
            }
            None => println!("| {name:<38} |     - |           - |               - | unreachable |"),
        }
    }
}
