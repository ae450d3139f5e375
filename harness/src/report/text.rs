//! The text form of a report: what a failing test prints and what snapshots pin.

use std::fmt::{self, Write as _};

use super::Report;

/// The timeline shows at most this many of the last events.
const TIMELINE_ROWS: usize = 60;
/// A timeline cell is cut to this width.
const CELL_WIDTH: usize = 40;

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
    if !report.tasks.is_empty() {
        writeln!(f)?;
        writeln!(f, "tasks:")?;
        for task in &report.tasks {
            let spawned =
                task.spawned_at.as_deref().map(|at| format!("spawned at {at}")).unwrap_or("the test body".into());
            let state = format!("{:?}", task.state).to_lowercase();
            write!(f, "  {:<4} {:<14} {:<10} {spawned}", format!("#{}", task.task.id), task.task.name, state)?;
            if let Some(blocked) = &task.blocked_in {
                write!(f, "; blocked in {blocked}")?;
            }
            writeln!(f)?;
        }
    }
    if !report.timeline.is_empty() {
        writeln!(f)?;
        timeline(report, f)?;
    }
    if let Some(replay) = &report.replay {
        writeln!(f)?;
        writeln!(f, "replay:")?;
        writeln!(f, "  {}", replay.command)?;
    }
    Ok(())
}

fn verdict(report: &Report, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let outcome = match report.failure() {
        Some(failure) => format!("FAILED ({})", failure.kind()),
        None if report.harness_error.is_some() => "ERROR".to_string(),
        None if report.limit.is_some() => "INCOMPLETE".to_string(),
        None => "passed".to_string(),
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

fn timeline(report: &Report, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let columns = report.tasks.len().max(1);
    let skipped = report.timeline.len().saturating_sub(TIMELINE_ROWS);
    writeln!(
        f,
        "timeline (one column per task{}):",
        if skipped > 0 { format!(", last {TIMELINE_ROWS} events") } else { String::new() }
    )?;
    let mut header = format!("  {:>5} ", "step");
    for task in &report.tasks {
        let _ = write!(header, "| {:<CELL_WIDTH$} ", cut(&format!("#{} {}", task.task.id, task.task.name)));
    }
    writeln!(f, "{header}| where")?;
    if skipped > 0 {
        writeln!(f, "  {:>5} | ... {skipped} earlier events", "")?;
    }
    let mut previous_task = None;
    for event in &report.timeline[skipped..] {
        // Consecutive events of one task fold into one row group: the step shows once.
        let step = if previous_task == Some(event.task) && !event.preempted {
            String::new()
        } else if event.preempted {
            format!("»{}", event.step)
        } else {
            event.step.to_string()
        };
        previous_task = Some(event.task);
        let mut row = format!("  {step:>5} ");
        let cell = match &event.detail {
            Some(detail) => format!("{} {detail}", event.operation),
            None => event.operation.clone(),
        };
        for column in 0..columns {
            let text = if column == event.task { cut(&cell) } else { String::new() };
            let _ = write!(row, "| {text:<CELL_WIDTH$} ");
        }
        writeln!(f, "{row}| {}", event.at)?;
    }
    if report.timeline.iter().any(|event| event.preempted) {
        writeln!(f, "  (» the scheduler preempted a task that could have gone on)")?;
    }
    Ok(())
}

fn cut(text: &str) -> String {
    if text.chars().count() <= CELL_WIDTH {
        text.to_string()
    } else {
        let kept: String = text.chars().take(CELL_WIDTH - 1).collect();
        format!("{kept}…")
    }
}

fn indent_continuation(text: &str, indent: &str) -> String {
    text.replace('\n', &format!("\n{indent}"))
}
