//! Stepping: a replay stopped at a step of its timeline (`RACEWRIGHT_STOP_AT`) prints the
//! state there (holds, waits, stacks, channel contents), the same state the HTML report shows after that step; a step that is no
//! number, past the end, or without a replay token is an error.

use std::process::Command;

use racewright::{FailureKind, Report, Scenario};
use racewright_scenarios::{Variant, abba_deadlock, connection_drops_requests, reply_before_register};
use serde_json::Value;

/// The test the child processes below run: the catalogue's abba deadlock, as a user's test.
#[racewright::test(expect = "deadlock")]
async fn abba_is_caught() {
    abba_deadlock::scenario(Variant::Buggy).await
}

/// The scenario `abba_is_caught` explores, run from code: the same name and settings, so
/// the same failure and the same token.
fn abba() -> Report {
    let report = Scenario::new("stepping::abba_is_caught").run(|| abba_deadlock::scenario(Variant::Buggy));
    assert_eq!(report.failure().map(|failure| failure.kind()), Some(FailureKind::Deadlock), "{report}");
    report
}

fn token(report: &Report) -> String {
    report.replay().expect("a shuttle failure has a replay token").token.clone()
}

/// The step of the first event of `task` whose operation is `operation`.
fn step_of(report: &Report, task: u64, operation: &str) -> usize {
    let model: Value = serde_json::from_str(&report.to_json()).expect("the report's JSON");
    let events = model["timeline"].as_array().expect("a timeline");
    let event = events
        .iter()
        .find(|event| event["task"] == task && event["operation"] == operation)
        .unwrap_or_else(|| panic!("no {operation} by #{task}:\n{report}"));
    event["step"].as_u64().expect("a step") as usize
}

/// The lines of `text` under its `title:` line, indented more than it.
fn section<'a>(text: &'a str, title: &str) -> Vec<&'a str> {
    let mut lines = text.lines().skip_while(|line| line.trim() != title);
    let Some(head) = lines.next() else { return Vec::new() };
    let indent = head.len() - head.trim_start().len();
    lines.take_while(|line| line.len() - line.trim_start().len() > indent).map(str::trim).collect()
}

#[test]
fn a_replay_stopped_in_the_middle_shows_who_holds_what_there() {
    let found = abba();
    // Each side has taken its first lock: the worker's comes second, after the body's yield.
    let step = step_of(&found, 1, "Mutex::lock");
    let stopped = Scenario::new("stepping::abba_is_caught")
        .replay(token(&found))
        .stop_at(step)
        .run(|| abba_deadlock::scenario(Variant::Buggy));
    assert_eq!(stopped.stopped_at(), Some(step));
    assert!(stopped.failure().is_none(), "nothing has failed yet at step {step}:\n{stopped}");
    let text = stopped.to_string();
    assert!(text.starts_with(&format!("racewright: STOPPED at step {step}: stepping::abba_is_caught\n")), "{text}");
    assert!(text.contains(&format!("stopped at step {step}, before the scheduler's next choice")), "{text}");
    let holds = section(&text, "holds:");
    assert_eq!(holds.len(), 2, "each task holds one account:\n{text}");
    assert!(holds.iter().any(|hold| hold.starts_with("#0 \"main\" holds Mutex@scenarios/src/abba_deadlock.rs:19")));
    assert!(
        holds.iter().any(|hold| hold.starts_with("#1 \"transfer 0->1\" holds Mutex@scenarios/src/abba_deadlock.rs:18"))
    );
    assert!(section(&text, "waits:").is_empty(), "nobody waits yet:\n{text}");
    // The timeline ends at the step, and the replay line says how to take the next one.
    let model: Value = serde_json::from_str(&stopped.to_json()).unwrap();
    let last = model["timeline"].as_array().and_then(|events| events.last()).expect("events");
    assert_eq!(last["step"].as_u64(), Some(step as u64), "{text}");
    assert!(text.contains(&format!("next step: RACEWRIGHT_STOP_AT={} RACEWRIGHT_REPLAY=", step + 1)), "{text}");
}

#[test]
fn stopped_at_the_end_the_state_is_the_deadlock() {
    let found = abba();
    // The last step where something happened: the second task starts to wait.
    let model: Value = serde_json::from_str(&found.to_json()).unwrap();
    let steps =
        ["timeline", "changes"].map(|part| model[part].as_array().expect(part).iter().map(|row| row["step"].as_u64()));
    let step = steps.into_iter().flatten().flatten().max().expect("steps") as usize;
    let stop = |step: usize| {
        Scenario::new("stepping::abba_is_caught")
            .replay(token(&found))
            .stop_at(step)
            .run(|| abba_deadlock::scenario(Variant::Buggy))
            .to_string()
    };
    let text = stop(step);
    let waits = section(&text, "waits:");
    assert_eq!(waits.len(), 2, "{text}");
    let main_waits = "#0 \"main\" waits in Mutex::lock for Mutex@scenarios/src/abba_deadlock.rs:18, held by #1";
    let worker_waits =
        "#1 \"transfer 0->1\" waits in Mutex::lock for Mutex@scenarios/src/abba_deadlock.rs:19, held by #0";
    assert!(waits.iter().any(|wait| wait.starts_with(main_waits)), "{text}");
    assert!(waits.iter().any(|wait| wait.starts_with(worker_waits)), "{text}");
    // The next step is the scheduler's last: nothing can run, and it finds the deadlock.
    let next = format!("next step: RACEWRIGHT_STOP_AT={} ", step + 1);
    assert!(text.contains(&next), "{text}");
    let last = stop(step + 1);
    assert!(last.contains(&format!("stopped at step {}, where the execution ended", step + 1)), "{last}");
    assert!(last.contains("\ndeadlock: all 2 unfinished tasks are blocked"), "{last}");
    assert!(!last.contains("next step"), "there is none:\n{last}");
}

#[test]
fn the_stopped_state_of_a_task_in_spans_shows_its_async_stack() {
    let run = || reply_before_register::scenario(Variant::Buggy);
    let found = Scenario::new("stepping::reply_before_register").run(run);
    assert_eq!(found.failure().map(|failure| failure.kind()), Some(FailureKind::Leak), "{found}");
    // Where the server drops the reply, the warmer has sent its request and not registered.
    let step = step_of(&found, 2, "WARN");
    let stopped = Scenario::new("stepping::reply_before_register").replay(token(&found)).stop_at(step).run(run);
    let text = stopped.to_string();
    let tasks = section(&text, "tasks:");
    let warmer = tasks.iter().position(|line| line.starts_with("#1   warmer")).expect("the warmer's line");
    assert_eq!(tasks[warmer + 1], "stack:", "{text}");
    assert!(tasks[warmer + 2].starts_with("in call{id=1} at scenarios/src/reply_before_register.rs:"), "{text}");
    assert!(tasks[warmer + 3].starts_with("in warm_cache{key=\"config\"} at "), "{text}");
    // The warning is logged with the span it was emitted in.
    let model: Value = serde_json::from_str(&stopped.to_json()).unwrap();
    let events = model["timeline"].as_array().expect("events");
    let warning = events.iter().find(|event| event["operation"] == "WARN").expect("the warning");
    assert_eq!(warning["spans"], "serve", "{text}");
    assert!(text.contains("| WARN serve: nobody waits "), "{text}");
}

/// The steps of the events of `task` whose operation is `operation`.
fn steps_of(report: &Report, task: u64, operation: &str) -> Vec<usize> {
    let model: Value = serde_json::from_str(&report.to_json()).expect("the report's JSON");
    let events = model["timeline"].as_array().expect("a timeline");
    let of = events.iter().filter(|event| event["task"] == task && event["operation"] == operation);
    of.map(|event| event["step"].as_u64().expect("a step") as usize).collect()
}

#[test]
fn the_stopped_state_shows_what_each_channel_holds() {
    let run = || connection_drops_requests::scenario(Variant::Buggy);
    let found = Scenario::new("stepping::connection_drops_requests").run(run);
    assert_eq!(found.failure().map(|failure| failure.kind()), Some(FailureKind::LostMessages), "{found}");
    let stop = |step: usize| {
        Scenario::new("stepping::connection_drops_requests").replay(token(&found)).stop_at(step).run(run).to_string()
    };
    let [first, second] = steps_of(&found, 0, "mpsc::Sender::send")[..] else { panic!("two requests: {found}") };
    let requests = "mpsc::channel@scenarios/src/connection_drops_requests.rs:48, capacity 4";
    let sent =
        |step: usize| format!("sent by #0 \"main\" at step {step}, at scenarios/src/connection_drops_requests.rs:53");
    let closed = format!("closed: #0 \"main\" dropped the last sender at step {second}");

    // After the first send, one request is queued.
    let text = stop(first);
    let channels = section(&text, "channels:");
    assert_eq!(channels[..2], [format!("{requests}: 1 message"), sent(first)], "{text}");
    // After the second, both are, and the client has dropped its sender.
    let text = stop(second);
    let channels = section(&text, "channels:");
    assert_eq!(channels[..3], [format!("{requests}: 2 messages; {closed}"), sent(first), sent(second)], "{text}");
    // The connection answers the first and returns, dropping the second with its receiver.
    let [answered] = steps_of(&found, 1, "oneshot::Sender::send")[..] else { panic!("one answer: {found}") };
    let text = stop(answered);
    let channels = section(&text, "channels:");
    let dropped = format!("#1 \"connection\" dropped the receiver at step {answered}");
    let lost = format!("dropped unreceived: {}", sent(second));
    assert_eq!(channels[..2], [format!("{requests}: empty; {closed}, {dropped}"), lost], "{text}");
    let answer = "oneshot::channel@scenarios/src/connection_drops_requests.rs:52: 1 message";
    let by_connection =
        format!("sent by #1 \"connection\" at step {answered}, at scenarios/src/connection_drops_requests.rs:17");
    assert_eq!(channels[2..4], [answer.to_string(), by_connection], "{text}");
}

/// Runs `abba_is_caught` in a child process (this test binary, filtered to it) with the
/// environment `vars`; returns whether it passed, and what it printed.
fn child(vars: &[(&str, String)]) -> (bool, String) {
    let mut command = Command::new(std::env::current_exe().expect("the test binary"));
    command.args(["--exact", "abba_is_caught", "--test-threads=1"]);
    for name in ["RACEWRIGHT_REPLAY", "RACEWRIGHT_STOP_AT"] {
        command.env_remove(name);
    }
    command.envs(vars.iter().map(|(name, value)| (name, value)));
    let output = command.output().expect("the test binary runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

#[test]
fn the_environment_stops_a_test_s_replay_and_prints_the_state() {
    let found = abba();
    let step = step_of(&found, 1, "Mutex::lock");
    let (passed, text) = child(&[("RACEWRIGHT_REPLAY", token(&found)), ("RACEWRIGHT_STOP_AT", step.to_string())]);
    assert!(!passed, "a stopped replay is no verdict, not a pass:\n{text}");
    assert!(text.contains(&format!("racewright: STOPPED at step {step}: stepping::abba_is_caught")), "{text}");
    assert!(text.contains("#1 \"transfer 0->1\" holds Mutex@scenarios/src/abba_deadlock.rs:18"), "{text}");
    assert!(text.contains(&format!("stepping__abba_is_caught.step-{step}.txt")), "the report is kept apart: {text}");
}

#[test]
fn a_bad_step_is_an_error_that_says_what_is_wrong() {
    let found = abba();
    let (passed, text) = child(&[("RACEWRIGHT_REPLAY", token(&found)), ("RACEWRIGHT_STOP_AT", "middle".into())]);
    assert!(!passed && text.contains("RACEWRIGHT_STOP_AT=\"middle\" is not valid; it accepts a step number"), "{text}");

    let (passed, text) = child(&[("RACEWRIGHT_STOP_AT", "3".into())]);
    assert!(!passed && text.contains("RACEWRIGHT_STOP_AT=\"3\" needs RACEWRIGHT_REPLAY"), "{text}");

    let (passed, text) = child(&[("RACEWRIGHT_REPLAY", token(&found)), ("RACEWRIGHT_STOP_AT", "100000".into())]);
    assert!(!passed && text.contains("RACEWRIGHT_STOP_AT=100000 is past the end of the token's execution"), "{text}");
}

#[test]
fn a_step_without_a_token_is_an_error_from_code_too() {
    let error = std::panic::catch_unwind(|| {
        Scenario::new("stepping::no_token").stop_at(3).run(|| abba_deadlock::scenario(Variant::Buggy))
    })
    .expect_err("there is nothing to stop");
    let message = error.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("Scenario::stop_at(3) stops a replay"), "{message}");
}
