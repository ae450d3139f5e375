//! A test's loom exploration runs in a child process: the test binary again, filtered to
//! that one test, told by `RACEWRIGHT_LOOM_CHILD` to explore on loom and write its report
//! to a file.
//!
//! Loom aborts the process on some failures (a deadlock it finds itself, a panic while
//! it unwinds: loom#291). In a child, that takes only the child: the parent reads the
//! report the child wrote before it died, or says the child died and shows what it
//! printed, and the other tests of the binary go on.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::origin::Origin;
use crate::detect::{Failure, FailureKind};
use crate::explore::env;
use crate::report::Report;

/// Runs the test of `origin` in a child process and returns the report of its loom
/// exploration; `blank` is the report of an exploration that found nothing, for when the
/// child could not say more.
pub(crate) fn run(origin: &Origin, blank: &dyn Fn() -> Report) -> Report {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "racewright-loom-{}-{}.json",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_file(&path);
    let output = std::env::current_exe().and_then(|binary| {
        Command::new(binary)
            .args([origin.test.as_str(), "--exact", "--nocapture", "--test-threads", "1"])
            .env(env::LOOM_CHILD, &path)
            .stdin(Stdio::null())
            .output()
    });
    let written = std::fs::read_to_string(&path);
    let _ = std::fs::remove_file(&path);
    let output = match output {
        Ok(output) => output,
        Err(error) => return failed(blank, format!("could not start the loom child process: {error}"), None),
    };
    let printed = tail(&String::from_utf8_lossy(&output.stdout), &String::from_utf8_lossy(&output.stderr));
    match written.map_err(|error| error.to_string()).and_then(|text| Report::from_json(&text)) {
        Ok(report) if output.status.success() => report,
        // The child wrote its last words, then loom aborted it.
        Ok(report) => report.note(format!("the loom child process ended with {}", output.status)),
        Err(_) if output.status.success() => failed(
            blank,
            format!(
                "the loom child process ran no test named `{}` (the test binary must be libtest's, and the test \
                 named as libtest names it)",
                origin.test
            ),
            None,
        ),
        Err(_) => died(blank, output.status.to_string(), &printed),
    }
}

/// In the child: hands the report to the parent and ends the process.
pub(crate) fn serve(path: &Path, report: Report) -> ! {
    write(path, &report);
    std::process::exit(0)
}

/// Writes `report` where the parent reads it.
pub(crate) fn write(path: &Path, report: &Report) {
    let partial = PathBuf::from(format!("{}.partial", path.display()));
    let written = std::fs::write(&partial, report.to_json()).and_then(|()| std::fs::rename(&partial, path));
    if let Err(error) = written {
        eprintln!("racewright: the loom child could not write its report to {}: {error}", path.display());
    }
}

/// The report of a child that died before it could write one.
fn died(blank: &dyn Fn() -> Report, status: String, printed: &str) -> Report {
    let kind = if printed.contains("deadlock") {
        Some(FailureKind::Deadlock)
    } else if printed.contains("Model exceeded maximum number of branches") {
        Some(FailureKind::StepLimit)
    } else {
        None
    };
    let message = format!("the loom child process died ({status}) before it could report");
    let failure = kind.map(|kind| {
        printed.lines().fold(
            Failure::new(kind, format!("{message}; loom found a {kind} and aborted (loom#291)")),
            |failure, line| failure.detail(line),
        )
    });
    failed(blank, format!("{message}; it printed:\n{printed}"), failure)
}

fn failed(blank: &dyn Fn() -> Report, error: String, failure: Option<Failure>) -> Report {
    match failure {
        Some(failure) => blank().with_finding(failure),
        None => blank().note(error),
    }
}

/// The last lines the child printed, for a report.
fn tail(stdout: &str, stderr: &str) -> String {
    const LINES: usize = 12;
    let lines: Vec<&str> = stdout.lines().chain(stderr.lines()).filter(|line| !line.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(LINES)..].join("\n")
}
