//! The text form of a report: what a failing test prints and what snapshots pin.

use std::fmt::{self, Write as _};

use super::repeats::{self, Row};
use super::{Report, TaskPanic, TaskSummary, TimelineEvent};
use crate::model::metrics::Metrics;
use crate::model::tasks::TaskState;

/// The timeline shows at most this many rows, the last ones: events, and folds of repeats.
const TIMELINE_ROWS: usize = 60;
/// The timeline's table fits a terminal this wide (the JSON form keeps every event whole).
const WIDTH: usize = 100;
/// The step column, `"  »123 "`.
const STEP_WIDTH: usize = 8;
/// A task's column is at most this wide, and at least the minimum: with more tasks than
/// fit, the timeline lists one event per row.
const MAX_CELL_WIDTH: usize = 40;
const MIN_CELL_WIDTH: usize = 24;
/// The task column of the one-row-per-event layout is at most this wide.
const MAX_TASK_LABEL: usize = 24;
/// An event's text wraps onto at most this many lines of its cell.
const CELL_LINES: usize = 3;
/// The indent of a wrapped cell's continuation lines.
const CONTINUATION: &str = "  ";

pub(super) fn render(report: &Report, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    verdict(report, f)?;
    if let Some(error) = &report.harness_error {
        writeln!(f)?;
        writeln!(f, "racewright internal error (a bug of racewright, not of the test):")?;
        writeln!(f, "  {error}")?;
    }
    for (index, failure) in report.findings.iter().enumerate() {
        writeln!(f)?;
        let lead = if index == 0 { "" } else { "also " };
        writeln!(f, "{lead}{}: {}", failure.kind(), indent_continuation(failure.message(), "  "))?;
        match (failure.location(), failure.task()) {
            (Some(location), Some(task)) => writeln!(f, "  at {location} in task {task}")?,
            (Some(location), None) => writeln!(f, "  at {location}")?,
            (None, Some(task)) => writeln!(f, "  in task {task}")?,
            (None, None) => {}
        }
        for detail in failure.details() {
            writeln!(f, "  - {detail}")?;
        }
    }
    // A stopped replay's tasks are in the state at its step, below.
    if !report.tasks.is_empty() && report.stopped.is_none() {
        writeln!(f)?;
        writeln!(f, "tasks:")?;
        for task in &report.tasks {
            let spawned =
                task.spawned_at.as_deref().map(|at| format!("spawned at {at}")).unwrap_or("the test body".into());
            // A task that has not finished is running, or blocked where it waits.
            let state = match (&task.blocked_in, task.state) {
                (Some(_), TaskState::Running) => "blocked".to_string(),
                (_, state) => format!("{state:?}").to_lowercase(),
            };
            write!(f, "  {:<4} {:<14} {:<10} {spawned}", format!("#{}", task.task.id), task.task.name, state)?;
            if let Some(blocked) = &task.blocked_in {
                write!(f, "; in {blocked}")?;
            }
            // Where a task panicked, unless the headline says it already.
            if let Some(panic) = task.panic.as_ref().filter(|panic| !said_by_headline(report, task, panic)) {
                match &panic.at {
                    Some(at) => write!(f, "; panicked at {at}: {}", panic.message)?,
                    None => write!(f, "; panicked: {}", panic.message)?,
                }
            }
            writeln!(f)?;
            stack(&task.stack_lines(&report.tasks), f)?;
        }
    }
    if report.executions > 0 {
        let whose = if report.failure().is_some() { "of the failing execution" } else { "over every execution" };
        writeln!(f)?;
        metrics(&report.metrics, whose, f)?;
    }
    if !report.timeline.is_empty() {
        writeln!(f)?;
        timeline(report, f)?;
    }
    if let Some(stop) = report.stopped {
        writeln!(f)?;
        stopped(report, stop, f)?;
    }
    if let Some(replay) = &report.replay {
        writeln!(f)?;
        writeln!(f, "replay:")?;
        writeln!(f, "  {}", replay.command)?;
        if let Some(stop) = report.stopped.filter(|stop| !stop.ended) {
            writeln!(f, "  next step: RACEWRIGHT_STOP_AT={} {}", stop.step + 1, replay.command)?;
        }
    }
    Ok(())
}

/// A task's async stack, under its line of the task list.
fn stack(lines: &[String], f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if lines.is_empty() {
        return Ok(());
    }
    writeln!(f, "       stack:")?;
    for line in lines {
        writeln!(f, "         {line}")?;
    }
    Ok(())
}

/// Rows of the metrics that list one entry each (queues, waits): the JSON has them all.
const METRIC_ROWS: usize = 6;

/// The metrics block: the most tasks alive at once, the longest queues, the longest waits.
pub(super) fn metrics(metrics: &Metrics, whose: &str, f: &mut impl fmt::Write) -> fmt::Result {
    writeln!(f, "metrics ({whose}):")?;
    writeln!(f, "  {:<22} {}", "most tasks at once", metrics.most_tasks)?;
    let mut queues: Vec<(&String, &usize)> = metrics.longest_queues.iter().collect();
    queues.sort_by_key(|(name, longest)| (std::cmp::Reverse(**longest), (*name).clone()));
    let queues: Vec<String> = queues.into_iter().map(|(name, longest)| format!("{longest:<5} {name}")).collect();
    rows(f, "longest queue", &queues)?;
    let mut waits: Vec<(&usize, &(String, std::time::Duration))> = metrics.longest_waits.iter().collect();
    waits.sort_by_key(|(id, (_, wait))| (std::cmp::Reverse(*wait), **id));
    let waits: Vec<String> = waits
        .into_iter()
        .map(|(id, (name, wait))| format!("{:<7} #{id} \"{name}\"", crate::model::timers::display(*wait)))
        .collect();
    rows(f, "longest virtual wait", &waits)
}

/// `label` and the first of `entries` on one line, the others under it, at most `METRIC_ROWS`.
fn rows(f: &mut impl fmt::Write, label: &str, entries: &[String]) -> fmt::Result {
    if entries.is_empty() {
        return writeln!(f, "  {label:<22} none");
    }
    for (index, entry) in entries.iter().take(METRIC_ROWS).enumerate() {
        let label = if index == 0 { label } else { "" };
        writeln!(f, "  {label:<22} {entry}")?;
    }
    if entries.len() > METRIC_ROWS {
        writeln!(f, "  {:<22} ... {} more (in the JSON report)", "", entries.len() - METRIC_ROWS)?;
    }
    Ok(())
}

/// The state where a replay stopped: after the last row of its timeline.
fn stopped(report: &Report, stop: super::Stop, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let why = if stop.ended { "where the execution ended" } else { "before the scheduler's next choice" };
    writeln!(f, "stopped at step {}, {why}; the state there:", stop.step)?;
    match super::steps::last_steps(report, 1).1.pop() {
        Some(last) => write!(f, "{last}"),
        None => writeln!(f, "  nothing has happened yet"),
    }
}

fn verdict(report: &Report, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let outcome = match (report.stopped_at(), report.failure()) {
        // A replay stopped at a step is no verdict.
        (Some(step), _) => format!("STOPPED at step {step}"),
        (None, Some(failure)) => format!("FAILED ({})", failure.kind()),
        (None, None) if report.harness_error.is_some() => "ERROR".to_string(),
        (None, None) if report.limit.is_some() => "INCOMPLETE".to_string(),
        (None, None) => "passed".to_string(),
    };
    writeln!(f, "racewright: {outcome}: {}", report.test)?;
    let executions = match report.failing_execution {
        Some(index) => format!("execution {index} of {}", report.iterations),
        None if report.exhaustive => format!("{} executions, every interleaving (exhaustive)", report.executions),
        None => format!("{} of {} executions", report.executions, report.iterations),
    };
    // Loom's search is not random: it has no seed.
    let seed = if report.engine == "loom" { String::new() } else { format!(" | seed {}", report.seed) };
    write!(f, "  engine {} | strategy {}{seed} | {executions}", report.engine, report.strategy)?;
    if report.out_of_time {
        write!(f, " (stopped by the time budget)")?;
    }
    writeln!(f)?;
    if let Some(limit) = &report.limit {
        writeln!(f, "  incomplete: {}", indent_continuation(limit, "    "))?;
    }
    for other in &report.also {
        writeln!(f, "  also {}: {}", other.engine, other.verdict)?;
    }
    for note in &report.notes {
        writeln!(f, "  note: {}", indent_continuation(note, "    "))?;
    }
    if let Some(replay) = &report.replay {
        let shrunk = if replay.found_preemptions > report.preemptions {
            format!(" (shrunk from {})", replay.found_preemptions)
        } else {
            String::new()
        };
        writeln!(f, "  preemptions {}{shrunk}", report.preemptions)?;
        if replay.kept {
            writeln!(f, "  replayed first: kept in racewright-regressions/ by an earlier run")?;
        }
    }
    Ok(())
}

/// Whether the report's headline is `task`'s `panic`.
fn said_by_headline(report: &Report, task: &TaskSummary, panic: &TaskPanic) -> bool {
    report.failure().is_some_and(|failure| {
        failure.task().is_some_and(|of| of.id == task.task.id) && failure.location() == panic.at.as_deref()
    })
}

fn timeline(report: &Report, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    // A timeline too long to show whole has its repeats folded first, so that a spin loop
    // leaves room for what led into it.
    let rows = if report.timeline.len() > TIMELINE_ROWS {
        repeats::fold(&report.timeline)
    } else {
        (0..report.timeline.len()).map(Row::Event).collect()
    };
    let folded = rows.iter().any(|row| matches!(row, Row::Again { .. }));
    let skipped_rows = rows.len().saturating_sub(TIMELINE_ROWS);
    let skipped: usize = rows[..skipped_rows].iter().map(|row| row.events()).sum();
    // Preemptions are never folded: each skipped one is a row of its own.
    let skipped_preemptions = rows[..skipped_rows]
        .iter()
        .filter(|row| matches!(row, Row::Event(index) if report.timeline[*index].preempted))
        .count();
    let rows = &rows[skipped_rows..];
    let events: Vec<&TimelineEvent> = (rows.iter())
        .filter_map(|row| match row {
            Row::Event(index) => Some(&report.timeline[*index]),
            Row::Again { .. } => None,
        })
        .collect();
    let places = Places::of(&events);
    let tasks: Vec<String> = report.tasks.iter().map(|task| format!("#{} {}", task.task.id, task.task.name)).collect();
    let layout = Layout::choose(&tasks, &events, &places);
    let mut title = String::from(match layout {
        Layout::Columns { .. } => "timeline (one column per task",
        Layout::Rows { .. } => "timeline (one row per event",
    });
    if let Some(step) = report.stopped_at() {
        let _ = write!(title, ", up to step {step}");
    }
    if skipped > 0 {
        let _ = write!(title, ", last {TIMELINE_ROWS} {}", if folded { "rows" } else { "events" });
    }
    if folded {
        title.push_str(", repeats folded");
    }
    if let Some(note) = &places.note {
        let _ = write!(title, "; {note}");
    }
    writeln!(f, "{title}):")?;
    writeln!(f, "{}", layout.header(&tasks, places.header))?;
    if skipped > 0 {
        let among = match skipped_preemptions {
            0 => String::new(),
            1 => ", 1 preemption among them".to_string(),
            n => format!(", {n} preemptions among them"),
        };
        writeln!(f, "  {:>5} | ... {skipped} earlier events{among}", "")?;
    }

    let mut previous_task = None;
    let mut shown = events.iter().zip(&places.cells);
    for row in rows {
        if let Row::Again { block, times, first, last } = *row {
            let what = if block == 1 { "event".to_string() } else { format!("{block} events") };
            writeln!(f, "  {:>5} | ... the {what} above again, {times} more times (steps {first} to {last})", "")?;
            previous_task = None;
            continue;
        }
        let Some((event, place)) = shown.next() else { break };
        // Consecutive events of one task fold into one row group: the step shows once.
        let step = if previous_task == Some(event.task) && !event.preempted {
            String::new()
        } else if event.preempted {
            format!("»{}", event.step)
        } else {
            event.step.to_string()
        };
        previous_task = Some(event.task);
        let text = event.what();
        let (Layout::Columns { cell_width: width } | Layout::Rows { cell_width: width, .. }) = layout;
        let lines = wrap(&text, width);
        for (index, line) in lines.iter().enumerate() {
            let (step, place) = if index == 0 { (step.as_str(), place.as_str()) } else { ("", "") };
            let mut row = format!("  {step:>5} ");
            match layout {
                Layout::Columns { .. } => {
                    for column in 0..tasks.len().max(1) {
                        let text = if column == event.task { line.as_str() } else { "" };
                        let _ = write!(row, "| {text:<width$} ");
                    }
                }
                Layout::Rows { task_width, .. } => {
                    // Like the step, the task shows where it changes.
                    let task = match tasks.get(event.task) {
                        _ if step.is_empty() => String::new(),
                        Some(task) => cut(task, task_width),
                        None => format!("#{}", event.task),
                    };
                    let _ = write!(row, "| {task:<task_width$} | {line:<width$} ");
                }
            }
            writeln!(f, "{}", format!("{row}| {place}").trim_end())?;
        }
    }
    if report.timeline.iter().any(|event| event.preempted) {
        writeln!(f, "  (» the scheduler preempted a task that could have gone on)")?;
    }
    Ok(())
}

/// How the timeline's table is laid out: one column per task while the cells stay readable
/// in `WIDTH`, one row per event (with the task named in a column) beyond.
#[derive(Clone, Copy)]
enum Layout {
    Columns { cell_width: usize },
    Rows { task_width: usize, cell_width: usize },
}

impl Layout {
    fn choose(tasks: &[String], events: &[&TimelineEvent], places: &Places) -> Layout {
        // Step, the cells with their separators, and the place column must fit in `WIDTH`.
        let fixed = STEP_WIDTH + "| ".len() + places.width();
        let columns = tasks.len().max(1);
        let cell_width = (WIDTH.saturating_sub(fixed) / columns).saturating_sub(" | ".len()).min(MAX_CELL_WIDTH);
        if cell_width >= MIN_CELL_WIDTH {
            return Layout::Columns { cell_width };
        }
        let task_width = tasks.iter().map(|task| task.chars().count()).max().unwrap_or(0).min(MAX_TASK_LABEL);
        let room = WIDTH.saturating_sub(fixed + task_width + 2 * " | ".len()).max(MIN_CELL_WIDTH);
        let longest = events.iter().flat_map(|event| event.what().lines().map(|line| line.chars().count()).max()).max();
        let longest = longest.unwrap_or(0);
        Layout::Rows { task_width, cell_width: room.min(longest.max("event".len())) }
    }

    fn header(self, tasks: &[String], place: &str) -> String {
        let mut header = format!("  {:>5} ", "step");
        match self {
            Layout::Columns { cell_width } => {
                for task in tasks {
                    let _ = write!(header, "| {:<cell_width$} ", cut(task, cell_width));
                }
            }
            Layout::Rows { task_width, cell_width } => {
                let _ = write!(header, "| {:<task_width$} | {:<cell_width$} ", "task", "event");
            }
        }
        format!("{header}| {place}")
    }
}

/// The timeline's last column: where each event happened, with what all of them share
/// said once in the title (the file when there is one, else the common directory).
struct Places {
    header: &'static str,
    note: Option<String>,
    cells: Vec<String>,
}

impl Places {
    fn of(events: &[&TimelineEvent]) -> Places {
        // Some events happen nowhere in the code (a timer firing): they have no place.
        let placed = || events.iter().map(|event| event.at.as_str()).filter(|at| !at.is_empty());
        let files: Vec<&str> = placed().map(|at| at.rsplit_once(':').map_or(at, |(file, _)| file)).collect();
        if let Some(first) = files.first().filter(|first| files.iter().all(|file| file == *first)) {
            let line = |at: &str| at.rsplit_once(':').map_or(String::new(), |(_, line)| line.to_string());
            return Places {
                header: "line",
                note: Some(format!("lines of {first}")),
                cells: events.iter().map(|event| line(&event.at)).collect(),
            };
        }
        // The longest directory prefix, up to a `/`, that every place shares.
        let first = files.first().copied().unwrap_or("");
        let mut common = first.rfind('/').map_or("", |end| &first[..=end]);
        for at in placed() {
            while !at.starts_with(common) {
                common = common[..common.len() - 1].rfind('/').map_or("", |end| &common[..=end]);
            }
        }
        Places {
            header: "where",
            note: (!common.is_empty()).then(|| format!("places under {common}")),
            cells: events.iter().map(|event| event.at.get(common.len()..).unwrap_or("").to_string()).collect(),
        }
    }

    fn width(&self) -> usize {
        self.cells.iter().map(|cell| cell.chars().count()).chain([self.header.len()]).max().unwrap_or(0)
    }
}

/// `text` in lines of at most `width` characters, broken after a space or `::` where it
/// can be, and at each line break of its own; at most `CELL_LINES` lines, the last cut with
/// `…`. Continuation lines are indented, so that they do not read as events of their own.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut rest: Vec<char> = text.trim_end().chars().collect();
    while !rest.is_empty() {
        let indent = if lines.is_empty() { "" } else { CONTINUATION };
        let room = width - indent.len();
        let line_break = rest.iter().position(|&c| c == '\n');
        if lines.len() + 1 == CELL_LINES || (rest.len() <= room && line_break.is_none()) {
            let last: String = rest.iter().map(|&c| if c == '\n' { ' ' } else { c }).collect();
            lines.push(format!("{indent}{}", cut(&last, room)));
            break;
        }
        let end = match line_break {
            Some(end) if end <= room => end,
            // Break at the last space, or after the last `::`, that fits; cut a word only
            // when that would leave most of the line empty.
            _ => {
                let breaks_after = |i: usize| rest[i] == ' ' || (i >= 2 && rest[i - 1] == ':' && rest[i - 2] == ':');
                ((room / 3).max(1)..=room).rev().find(|&i| breaks_after(i)).unwrap_or(room)
            }
        };
        let line: String = rest[..end].iter().collect();
        lines.push(format!("{indent}{}", line.trim_end()));
        rest.drain(..end);
        while matches!(rest.first(), Some(' ' | '\n')) {
            rest.remove(0);
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else {
        let kept: String = text.chars().take(width - 1).collect();
        format!("{kept}…")
    }
}

fn indent_continuation(text: &str, indent: &str) -> String {
    text.replace('\n', &format!("\n{indent}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_and_paths_and_indents_what_follows() {
        assert_eq!(wrap("JoinHandle::await task #1 finished", 24), ["JoinHandle::await task", "  #1 finished"]);
        assert_eq!(
            wrap("mpsc::UnboundedReceiver::recv got a value", 26),
            ["mpsc::UnboundedReceiver::", "  recv got a value"]
        );
        assert_eq!(wrap("short", 24), ["short"]);
        assert_eq!(wrap("", 24), [""]);
    }

    #[test]
    fn wrap_breaks_at_the_texts_own_line_breaks() {
        assert_eq!(wrap("failed\n  left: 1", 24), ["failed", "  left: 1"]);
        // What the last line cannot hold is cut, its breaks made spaces.
        assert_eq!(wrap("a\nb\nc\nd", 24), ["a", "  b", "  c d"]);
        assert_eq!(wrap("a\nb\nc\nd", 4), ["a", "  b", "  c…"]);
        assert_eq!(wrap("ends with a break\n", 24), ["ends with a break"]);
    }

    #[test]
    fn wrap_cuts_a_word_only_when_no_break_fits_and_stops_at_the_last_line() {
        let long = "x".repeat(100);
        let lines = wrap(&long, 24);
        assert_eq!(lines.len(), CELL_LINES);
        assert!(lines.iter().all(|line| line.chars().count() <= 24), "{lines:?}");
        assert!(lines[CELL_LINES - 1].ends_with('…'));
    }
}
