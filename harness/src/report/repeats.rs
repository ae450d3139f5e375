//! Repeats in a timeline: a spin loop or a livelock runs the same few events over and over
//! until the step limit. A timeline too long to show whole shows them once, then how many
//! times they came again, so that what led into the loop still fits.

use super::TimelineEvent;

/// The longest run of events folded as one block.
const MAX_BLOCK: usize = 8;
/// A block is folded when it comes at least this many times in a row.
const MIN_TIMES: usize = 3;

/// One row of a folded timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Row {
    /// The event at this index of the timeline.
    Event(usize),
    /// The `block` events above came `times` more times, from step `first` to step `last`.
    Again { block: usize, times: usize, first: usize, last: usize },
}

impl Row {
    /// The timeline's events the row stands for.
    pub(crate) fn events(self) -> usize {
        match self {
            Row::Event(_) => 1,
            Row::Again { block, times, .. } => block * times,
        }
    }
}

/// The same event, at another step: the same task, operation, place, values and time,
/// neither of them a preemption (a preemption is always shown).
fn same(a: &TimelineEvent, b: &TimelineEvent) -> bool {
    !a.preempted
        && !b.preempted
        && a.task == b.task
        && a.operation == b.operation
        && a.at == b.at
        && a.detail == b.detail
        && a.spans == b.spans
        && a.clock == b.clock
}

/// `events` as rows: each block of at most `MAX_BLOCK` events that comes `MIN_TIMES` times
/// or more in a row is shown once, then as one [`Row::Again`]; the block that covers the
/// most events wins, the shortest among equals.
pub(crate) fn fold(events: &[TimelineEvent]) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut start = 0;
    while start < events.len() {
        let mut best: Option<(usize, usize)> = None;
        for block in (1..=MAX_BLOCK).take_while(|block| start + block * MIN_TIMES <= events.len()) {
            let repeats = |times: usize| {
                start + (times + 1) * block <= events.len()
                    && (0..block).all(|k| same(&events[start + k], &events[start + times * block + k]))
            };
            let times = (1..).find(|&times| !repeats(times)).expect("a block ends");
            if times >= MIN_TIMES && best.is_none_or(|(best_block, best_times)| times * block > best_block * best_times)
            {
                best = Some((block, times));
            }
        }
        match best {
            Some((block, times)) => {
                rows.extend((start..start + block).map(Row::Event));
                let (first, last) = (events[start + block].step, events[start + times * block - 1].step);
                rows.push(Row::Again { block, times: times - 1, first, last });
                start += times * block;
            }
            None => {
                rows.push(Row::Event(start));
                start += 1;
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(step: usize, task: usize, operation: &str) -> TimelineEvent {
        TimelineEvent {
            step,
            task,
            operation: operation.to_string(),
            at: "a.rs:1".to_string(),
            detail: None,
            preempted: false,
            clock: None,
            spans: None,
        }
    }

    #[test]
    fn a_block_that_comes_three_times_or_more_is_shown_once() {
        let mut events = vec![event(0, 0, "spawn")];
        for round in 0..5 {
            events.push(event(1 + 2 * round, 1, "load"));
            events.push(event(2 + 2 * round, 1, "yield_now"));
        }
        events.push(event(11, 0, "end"));
        let rows = fold(&events);
        assert_eq!(
            rows,
            [
                Row::Event(0),
                Row::Event(1),
                Row::Event(2),
                Row::Again { block: 2, times: 4, first: 3, last: 10 },
                Row::Event(11),
            ]
        );
        assert_eq!(rows.iter().map(|row| row.events()).sum::<usize>(), events.len());
    }

    #[test]
    fn twice_is_no_repeat_and_a_preemption_is_always_shown() {
        let twice = [event(0, 1, "load"), event(1, 1, "load")];
        assert_eq!(fold(&twice), [Row::Event(0), Row::Event(1)]);
        let mut preempted = vec![event(0, 1, "load"), event(1, 1, "load"), event(2, 1, "load")];
        preempted[1].preempted = true;
        assert_eq!(fold(&preempted), [Row::Event(0), Row::Event(1), Row::Event(2)]);
        let mut other_values = vec![event(0, 1, "load"), event(1, 1, "load"), event(2, 1, "load")];
        other_values[2].detail = Some("1".into());
        assert_eq!(fold(&other_values), [Row::Event(0), Row::Event(1), Row::Event(2)]);
    }
}
