//! The cost of each kind of operation, racewright against raw shuttle: where the gap of the
//! speed table comes from. Each operation is repeated in one task (the body, or spawned
//! tasks for a spawn), on one thread with random scheduling; its cost is the time per
//! execution with the repetitions less that of an empty execution, per repetition.

use std::time::Duration;

use racewright_scenarios::sctbench::{Atomic, Lock, Platform, Racewright, RawShuttle};

use crate::{ROUNDS, best_of_rounds, racewright_rate, raw_shuttle_rate};

/// One kind of operation.
#[derive(Clone, Copy)]
enum Operation {
    /// A store to an atomic (one scheduling point).
    AtomicStore,
    /// A blocking mutex taken and released.
    LockUnlock,
    /// A task spawned, run to its end, and awaited.
    SpawnJoin,
}

/// The operations of the table, how they are named there, and how many of each an
/// execution runs.
const OPERATIONS: [(Operation, &str, usize); 3] = [
    (Operation::AtomicStore, "atomic store", 100),
    (Operation::LockUnlock, "mutex lock and unlock", 100),
    (Operation::SpawnJoin, "spawn, run and join an empty task", 20),
];

/// Runs `operation` `times` times, on platform `P` (nothing for `None`).
async fn repeat<P: Platform>(operation: Option<Operation>, times: usize) {
    let Some(operation) = operation else { return };
    match operation {
        Operation::AtomicStore => {
            let atomic = P::Atomic::new(0);
            for i in 0..times {
                atomic.store(i as i64);
            }
        }
        Operation::LockUnlock => {
            let mutex = P::Mutex::new(0);
            for _ in 0..times {
                *mutex.lock() += 1;
            }
        }
        Operation::SpawnJoin => {
            for _ in 0..times {
                P::spawn(async {}).await;
            }
        }
    }
}

/// Seconds per execution of `repeat(operation, times)` on raw shuttle and on racewright
/// (one thread), measured for `time` each, `chunk` executions per exploration.
fn seconds_per_execution(operation: Option<Operation>, times: usize, time: Duration, chunk: usize) -> [f64; 2] {
    best_of_rounds(
        time,
        [
            &|time| {
                raw_shuttle_rate(time, chunk, move || shuttle::future::block_on(repeat::<RawShuttle>(operation, times)))
            },
            &|time| racewright_rate(time, chunk, 1, "operations", move || repeat::<Racewright>(operation, times)),
        ],
    )
    .map(|rate| 1.0 / rate)
}

/// Prints the table: an empty execution, then each operation.
pub fn operations(time: Duration, chunk: usize) {
    println!(
        "operations: time of one operation, repeated in one task, random scheduling, racewright with detectors and \
         trace on, for {time:?} each (the best of {ROUNDS} turns)"
    );
    println!("| operation                          | raw shuttle (ns) | racewright (ns) | ratio |");
    println!("|------------------------------------|-----------------:|----------------:|------:|");
    let row = |name: &str, [raw, racewright]: [f64; 2]| {
        println!("| {name:<34} | {:>16.0} | {:>15.0} | {:>5.2} |", raw * 1e9, racewright * 1e9, raw / racewright);
    };
    let empty = seconds_per_execution(None, 0, time, chunk);
    row("an execution of an empty body", empty);
    for (operation, name, times) in OPERATIONS {
        let [raw, racewright] = seconds_per_execution(Some(operation), times, time, chunk);
        let each = |total: f64, base: f64| (total - base) / times as f64;
        row(name, [each(raw, empty[0]), each(racewright, empty[1])]);
    }
    println!("ratios: raw shuttle's time / racewright's, same run");
    println!();
}
