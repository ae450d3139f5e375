//! Shrinking: a failing schedule with fewer preemptions, and fewer steps, that still
//! fails the same way.
//!
//! Each candidate replays a prefix of the schedule, takes back one preemption (the
//! running task goes on instead), and completes without preempting, or follows the rest
//! of the old schedule where it still can (from the preempting step, or from the step
//! after it, or with the preempted task's next run of steps moved to where it was
//! preempted); or it leaves the preempting task's run of steps out there, the task taking
//! them when it is chosen next (a chain of preemptions, each task's first step of several,
//! shrinks to the one the bug needs). A candidate is kept when it fails with the same kind
//! and has fewer preemptions, or as many and fewer steps. The preemptions are tried from
//! the last to the first, the sweep going on from where one was taken back, and swept
//! again while a sweep takes one back. Bounded by counts, not time, so that every machine
//! shrinks alike.

use crate::detect::FailureKind;
use crate::run::execution::ExecutionState;

/// Runs one guided execution of (choices, randoms) and returns its state if it failed.
pub(crate) type Rerun<'a> = dyn Fn(Vec<usize>, Vec<u64>) -> Option<ExecutionState> + 'a;

/// Attempts at most this many candidates: a bug found with dozens of preemptions needs
/// hundreds, and a short execution replays in tens of microseconds (a long one is bounded
/// by the decisions below first).
const MAX_ATTEMPTS: usize = 1000;
/// Replays at most this many scheduling decisions in all: a long failing execution (a
/// step limit) gets fewer attempts. Counts, not time, bound shrinking, so that a slow
/// machine shrinks exactly as far as a fast one and reports stay the same everywhere.
const MAX_DECISIONS: usize = 2_000_000;

/// The smallest failing execution found from `failing` within the bounds above.
pub(crate) fn shrink(rerun: &Rerun<'_>, failing: ExecutionState) -> ExecutionState {
    let Some(kind) = failing.findings.first().map(|finding| finding.kind()) else { return failing };
    let mut best = failing;
    let mut attempts = 0;
    let mut decisions = 0;
    // Sweeps from the last preemption to the first; a preemption taken back keeps the
    // ones before it (their prefix is the same), so the sweep goes on from there.
    'sweeps: loop {
        let mut improved = false;
        let mut index = best.scheduler.preemptions.len();
        while index > 0 {
            index -= 1;
            let point = best.scheduler.preemptions[index].decision;
            let previous = match point.checked_sub(1).and_then(|index| best.scheduler.choices.get(index)) {
                Some(previous) => *previous,
                None => continue,
            };
            let prefix = &best.scheduler.choices[..point];
            let candidates = [
                // Take the preemption back and complete without preempting.
                [prefix, &[previous]].concat(),
                // Take it back and follow the rest of the old schedule where possible.
                [prefix, &[previous], &best.scheduler.choices[point + 1..]].concat(),
                // Let the preempted task take one more step first, then the old schedule: a
                // preemption at a point where the task was about to wait anyway (a join, a
                // lock) is then no switch at all.
                [prefix, &[previous], &best.scheduler.choices[point..]].concat(),
                // Run the preempted task's next stretch of steps where it was preempted,
                // the rest of the old schedule after it.
                resumed_at_once(&best.scheduler.choices, point),
                // Leave out the preempting task's stretch: the task runs those steps when it is
                // chosen next.
                without_stretch(&best.scheduler.choices, point),
            ];
            for (candidate_index, choices) in candidates.iter().enumerate() {
                // The same candidate twice (a task that never runs again) is run once.
                if candidates[..candidate_index].contains(choices) {
                    continue;
                }
                decisions += best.scheduler.choices.len();
                if attempts >= MAX_ATTEMPTS || decisions > MAX_DECISIONS {
                    break 'sweeps;
                }
                attempts += 1;
                if let Some(candidate) = rerun(choices.clone(), best.scheduler.randoms.clone()) {
                    if better(&candidate, &best, kind) {
                        best = candidate;
                        improved = true;
                        index = index.min(best.scheduler.preemptions.len());
                        break;
                    }
                }
            }
        }
        if !improved {
            break;
        }
    }
    best
}

/// `choices` with the next run of the task preempted at decision `point` (the steps it
/// took in a row when it ran again) moved to `point`: the preemption taken back, and
/// everything else in the old order.
fn resumed_at_once(choices: &[usize], point: usize) -> Vec<usize> {
    let preempted = choices[point - 1];
    let Some(start) = (point..choices.len()).find(|index| choices[*index] == preempted) else {
        return [&choices[..point], &[preempted]].concat();
    };
    let end = (start..choices.len()).find(|index| choices[*index] != preempted).unwrap_or(choices.len());
    [&choices[..point], &choices[start..end], &choices[point..start], &choices[end..]].concat()
}

/// `choices` without the stretch of steps the task chosen at decision `point` took in a
/// row from there.
fn without_stretch(choices: &[usize], point: usize) -> Vec<usize> {
    let preempting = choices[point];
    let end = (point..choices.len()).find(|index| choices[*index] != preempting).unwrap_or(choices.len());
    [&choices[..point], &choices[end..]].concat()
}

fn better(candidate: &ExecutionState, best: &ExecutionState, kind: FailureKind) -> bool {
    let same_kind = candidate.findings.first().is_some_and(|finding| finding.kind() == kind);
    let fewer = (candidate.scheduler.preemptions.len(), candidate.scheduler.choices.len())
        < (best.scheduler.preemptions.len(), best.scheduler.choices.len());
    same_kind && fewer
}

#[cfg(test)]
mod tests {
    use super::{resumed_at_once, without_stretch};

    #[test]
    fn the_preempting_tasks_run_is_left_out() {
        // Task 1 preempts 0 at decision 2 for two steps; then 2 runs, and 1 again.
        assert_eq!(without_stretch(&[0, 0, 1, 1, 2, 1], 2), [0, 0, 2, 1]);
        // The run reaches the end.
        assert_eq!(without_stretch(&[0, 1, 1], 1), [0]);
    }

    #[test]
    fn the_preempted_tasks_next_run_moves_to_where_it_was_preempted() {
        // Task 0 is preempted by 1 at decision 2 and runs again (twice) at decisions 4 and 5.
        assert_eq!(resumed_at_once(&[0, 0, 1, 2, 0, 0, 1], 2), [0, 0, 0, 0, 1, 2, 1]);
        // It never runs again: it goes on once, the old schedule is dropped.
        assert_eq!(resumed_at_once(&[0, 1, 1], 1), [0, 0]);
    }
}
