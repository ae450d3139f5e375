//! The HTML report: every failure of the catalogue gets a page that carries its report
//! and the state after each step; in a headless Chromium, the arrow keys step through the
//! abba deadlock, the lost update and the connection that drops its requests, and the
//! state panel shows who holds what, who waits on whom, and what each channel holds.
//!
//! The browser test needs Chromium (Debian: `apt-get install chromium`). Without it, it
//! prints how to install it and passes, unless `CI=true`: then it fails. It leaves the
//! pages, and a screenshot of the deadlock's, under `target/racewright/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use racewright::{FailureKind, Report, Scenario};
use racewright_scenarios::{Variant, catalogue};
use serde_json::Value;

/// The report of the buggy variant of the catalogue's entry `name`.
fn report_of(name: &str) -> Report {
    let entry = catalogue().into_iter().find(|entry| entry.name == name).expect("an entry of the catalogue");
    let run = entry.run;
    let report = entry.tuned(Scenario::new(format!("html_report::{name}"))).run(move || run(Variant::Buggy));
    assert_eq!(report.failure().map(|failure| failure.kind()), Some(entry.expected), "{report}");
    report
}

/// The JSON a page embeds in its `<script type="application/json" id="{id}">`.
fn embedded(page: &str, id: &str) -> Value {
    let open = format!("<script type=\"application/json\" id=\"{id}\">");
    let start = page.find(&open).unwrap_or_else(|| panic!("the page embeds #{id}")) + open.len();
    let end = start + page[start..].find("</script>").expect("the script element is closed");
    serde_json::from_str(&page[start..end]).unwrap_or_else(|error| panic!("#{id} is JSON: {error}"))
}

/// The status the page shows for each task after each step.
fn statuses(step: &Value) -> Vec<String> {
    step["state"]["tasks"].as_array().expect("tasks").iter().map(|task| task["status"].to_string()).collect()
}

#[test]
fn every_failure_of_the_catalogue_has_a_page_that_ends_where_its_report_does() {
    for entry in catalogue() {
        let report = report_of(entry.name);
        let page = report.to_html();
        let model: Value = serde_json::from_str(&report.to_json()).expect("the report's JSON");
        assert_eq!(embedded(&page, "rw-report"), model, "{}: the page carries the report's own JSON", entry.name);
        let view = embedded(&page, "rw-steps");
        let last = view["steps"].as_array().and_then(|steps| steps.last()).expect("steps");
        let shown = statuses(last);
        for task in model["tasks"].as_array().expect("tasks") {
            let id = task["id"].as_u64().expect("an id") as usize;
            let expected: &[&str] = match (task["state"].as_str().expect("a state"), task["blocked_in"].is_null()) {
                ("running", false) => &["\"blocked\""],
                // At a deadlock nothing can run: a task that waits on no racewright
                // primitive is pending (a lost wakeup), never ready.
                ("running", true) if entry.expected == FailureKind::Deadlock => &["\"pending\""],
                ("running", true) => &["\"running\"", "\"ready\"", "\"pending\""],
                ("finished", _) => &["\"finished\""],
                ("panicked", _) => &["\"panicked\""],
                ("cancelled", _) => &["\"cancelled\""],
                (other, _) => panic!("unknown task state {other}"),
            };
            assert!(
                expected.contains(&shown[id].as_str()),
                "{}: task #{id} ends {} in the report, {} on the page\n{report}",
                entry.name,
                task["state"],
                shown[id]
            );
        }
    }
}

#[test]
fn the_page_is_the_same_on_every_run() {
    assert_eq!(report_of("abba_deadlock").to_html(), report_of("abba_deadlock").to_html());
}

/// What the page's state panel showed after one key press.
#[derive(Debug, PartialEq)]
struct Shown {
    key: String,
    /// The position of the slider, from 1.
    step: usize,
    lines: Vec<String>,
}

impl Shown {
    fn lines(&self, kind: &str) -> Vec<&str> {
        self.lines.iter().filter_map(|line| line.strip_prefix(kind)?.strip_prefix(": ")).collect()
    }

    /// The status shown for each task, in id order.
    fn statuses(&self) -> Vec<String> {
        let status = |line: &&str| line.split(" | ").nth(1).unwrap_or_default().replace(' ', "_");
        self.lines("task").iter().map(|line| format!("\"{}\"", status(line))).collect()
    }
}

/// The pages' log of what was shown after each key, from a dump of the page's DOM.
fn log_of(dom: &str) -> Vec<Shown> {
    let start = dom.find("<ol id=\"rw-log\"").expect("the page has its log");
    let end = start + dom[start..].find("</ol>").expect("the log is closed");
    dom[start..end]
        .split("<li ")
        .skip(1)
        .map(|item| {
            let attribute = |name: &str| {
                let from = item.find(&format!("{name}=\"")).expect("the attribute") + name.len() + 2;
                item[from..from + item[from..].find('"').expect("a quoted value")].to_string()
            };
            let text = &item[item.find('>').expect("an element") + 1..item.find("</li>").expect("a closed item")];
            let text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&");
            Shown {
                key: attribute("data-key"),
                step: attribute("data-step").parse().expect("a number"),
                lines: text.lines().map(str::to_string).collect(),
            }
        })
        .collect()
}

/// How to run Chromium, or `None` (with a note) where it is not installed.
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"].into_iter().find_map(|name| {
        let output = Command::new(name).arg("--version").stderr(Stdio::null()).output().ok()?;
        output.status.success().then(|| PathBuf::from(name))
    });
    if found.is_none() {
        let how = "the HTML report's browser test needs Chromium: `apt-get update && apt-get install -y chromium` \
                   (Debian, Ubuntu), or put `chromium` on the PATH";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{how}");
        eprintln!("note: skipped: {how}");
    }
    found
}

/// Runs headless Chromium with `arguments`, and returns what it printed; fails after a minute.
fn run_chromium(chromium: &Path, profile: &Path, arguments: &[&str]) -> String {
    let mut child = Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(arguments)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    // Read as it comes: a DOM larger than the pipe's buffer would block Chromium's exit.
    let mut stdout = child.stdout.take().expect("chromium's stdout");
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut text).map(|_| text)
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("chromium runs") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().expect("chromium stops");
            panic!("chromium {arguments:?} did not finish in a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "chromium {arguments:?} failed: {status}");
    let text = reader.join().expect("the reader ends").expect("chromium's output");
    String::from_utf8(text).expect("chromium prints UTF-8")
}

/// A failure's page, written where `persist` writes it, with its steps.
struct Page {
    path: PathBuf,
    steps: Vec<Value>,
    seed: u64,
}

impl Page {
    fn of(report: &Report) -> Page {
        let text = report.persist().expect("the report is written under target/racewright");
        let path = text.with_extension("html");
        let page = std::fs::read_to_string(&path).expect("the HTML report is written beside the text");
        assert_eq!(page, report.to_html());
        let steps = embedded(&page, "rw-steps")["steps"].as_array().expect("steps").clone();
        Page { path: std::fs::canonicalize(path).expect("an absolute path"), steps, seed: report.seed() }
    }

    /// Opens the page, presses Home, Right to the last step, End, then Left back to the
    /// first, and returns what the page showed after each key.
    fn step_through(&self, chromium: &Path, profile: &Path) -> Vec<Shown> {
        let n = self.steps.len();
        let mut keys = vec!["Home"];
        keys.extend(std::iter::repeat_n("Right", n - 1));
        keys.push("End");
        keys.extend(std::iter::repeat_n("Left", n - 1));
        let address = format!("file://{}#steps={}", self.path.display(), keys.join(","));
        let dom = run_chromium(chromium, profile, &["--dump-dom", &address]);
        assert!(dom.contains(&format!(" seed {} ", self.seed)), "the verdict shows the seed, all its digits");
        let log = log_of(&dom);
        assert_eq!(log.len(), keys.len() + 1, "one entry when the page opens, one per key");
        // The page opens at the failure; the keys move one step, or to either end.
        let positions: Vec<usize> = log.iter().map(|shown| shown.step).collect();
        let mut expected = vec![n, 1];
        expected.extend(2..=n);
        expected.push(n);
        expected.extend((1..n).rev());
        assert_eq!(positions, expected, "{:?}", log.iter().map(|shown| &shown.key).collect::<Vec<_>>());
        // Each step shows the state Rust computed for it, forwards as backwards.
        for shown in &log {
            assert_eq!(shown.statuses(), statuses(&self.steps[shown.step - 1]), "at step {}:\n{shown:#?}", shown.step);
            let first = log.iter().find(|other| other.step == shown.step).expect("itself");
            assert_eq!(shown.lines, first.lines, "step {} shows the same going back", shown.step);
        }
        log
    }
}

/// What the state panel showed of the channel named `name`: its line, then the lines of
/// the messages it holds and of those it lost.
fn channel<'a>(shown: &'a Shown, name: &str) -> (&'a str, Vec<&'a str>) {
    let mut lines = shown.lines.iter().skip_while(|line| !line.starts_with(&format!("channel: {name}")));
    let head = lines.next().unwrap_or_else(|| panic!("no channel {name}: {shown:#?}"));
    let messages = lines.take_while(|line| !line.starts_with("channel: ")).map(String::as_str).collect();
    (head.strip_prefix("channel: ").expect("a channel line"), messages)
}

/// The first step at which task `task` did `what`, as the state panel's first line says.
fn after<'a>(log: &'a [Shown], task: &str, what: &str) -> &'a Shown {
    let now = format!("{task} {what} at ");
    log.iter()
        .find(|shown| shown.lines("now").first().is_some_and(|line| line.starts_with(&now)))
        .unwrap_or_else(|| panic!("no step where {task} did {what}: {log:#?}"))
}

#[test]
fn in_a_browser_the_arrow_keys_step_through_a_deadlock_and_a_lost_update() {
    let Some(chromium) = chromium() else { return };
    let profile = std::env::temp_dir().join(format!("racewright-html-report-{}", std::process::id()));

    let deadlock = report_of("abba_deadlock");
    let page = Page::of(&deadlock);
    let log = page.step_through(&chromium, &profile);
    for task in ["#0 main", "#1 transfer 0->1"] {
        let locked = after(&log, task, "Mutex::lock");
        assert!(
            locked.lines("hold").iter().any(|hold| hold.starts_with(&format!("{task} holds Mutex@abba_deadlock.rs:"))),
            "after {task}'s Mutex::lock the holds panel names it: {locked:#?}"
        );
    }
    let end = log.iter().find(|shown| shown.key == "End").expect("End was pressed");
    assert_eq!(end.statuses(), ["\"blocked\"", "\"blocked\""], "{end:#?}");
    assert_eq!(
        end.lines("failure"),
        ["here the execution failed: deadlock: all 2 unfinished tasks are blocked and nothing can wake them"]
    );
    let waits = end.lines("wait");
    assert_eq!(waits.len(), 2, "{end:#?}");
    assert!(waits[0].starts_with("#0 main waits in Mutex::lock for Mutex@abba_deadlock.rs:"), "{end:#?}");
    assert!(waits[0].contains(", held by #1 transfer 0->1 at "), "{end:#?}");
    assert!(waits[1].starts_with("#1 transfer 0->1 waits in Mutex::lock for Mutex@abba_deadlock.rs:"), "{end:#?}");
    assert!(waits[1].contains(", held by #0 main at "), "{end:#?}");
    assert!(end.lines("channel").is_empty(), "a page without channels shows none: {end:#?}");
    let home = &log[1];
    assert!(home.lines("wait").is_empty() && home.lines("hold").is_empty(), "nothing is held at the start: {home:#?}");
    assert!(home.lines("failure").is_empty(), "{home:#?}");

    let lost_update = report_of("lost_update");
    let log = Page::of(&lost_update).step_through(&chromium, &profile);
    for task in ["#1 task-1", "#2 task-2"] {
        let locked = after(&log, task, "Mutex::lock");
        assert_eq!(locked.lines("hold").len(), 1, "{locked:#?}");
        assert!(locked.lines("hold")[0].starts_with(&format!("{task} holds Mutex@lost_update.rs:")), "{locked:#?}");
        assert!(after(&log, task, "Mutex::unlock").lines("hold").is_empty(), "the unlock gives it back");
    }
    let end = log.iter().find(|shown| shown.key == "End").expect("End was pressed");
    assert_eq!(end.statuses(), ["\"panicked\"", "\"finished\"", "\"finished\""], "{end:#?}");
    assert!(end.lines("failure")[0].starts_with("here the execution failed: panic: assertion `left == right` failed"));
    assert!(log[1].lines("task")[2].contains("| not spawned |"), "task-2 is not spawned yet at the first step");

    // A picture of the deadlock's page, at its failure, for a person to look at.
    let screenshot = page.path.with_extension("png");
    let _ = std::fs::remove_file(&screenshot);
    let address = format!("file://{}", page.path.display());
    run_chromium(
        &chromium,
        &profile,
        &[&format!("--screenshot={}", screenshot.display()), "--window-size=1500,1000", &address],
    );
    let png = std::fs::read(&screenshot).expect("chromium wrote the screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000, "a PNG of the page");
    let _ = std::fs::remove_dir_all(&profile);
}

#[test]
fn in_a_browser_each_step_shows_what_the_channels_hold() {
    let Some(chromium) = chromium() else { return };
    let profile = std::env::temp_dir().join(format!("racewright-html-channels-{}", std::process::id()));
    // The connection breaks at the first request and returns, dropping its queue with the
    // second request in it.
    let report = report_of("connection_drops_requests");
    let log = Page::of(&report).step_through(&chromium, &profile);
    let model: Value = serde_json::from_str(&report.to_json()).expect("the report's JSON");
    let steps_of = |task: u64, operation: &str| -> Vec<u64> {
        let events = model["timeline"].as_array().expect("a timeline");
        let of = events.iter().filter(|event| event["task"] == task && event["operation"] == operation);
        of.map(|event| event["step"].as_u64().expect("a step")).collect()
    };
    let sends = steps_of(0, "mpsc::Sender::send");
    assert_eq!(sends.len(), 2, "{report}");
    let sent_by_main = |step: u64| format!("sent by #0 main at step {step}, at connection_drops_requests.rs:53");
    let requests = "mpsc::channel@connection_drops_requests.rs:48";

    // Made before the first send: empty. Each send queues a request, sent by main.
    assert_eq!(channel(&log[1], requests), (format!("{requests}, capacity 4: empty").as_str(), vec![]));
    let now = |shown: &&Shown, what: &str| shown.lines("now").first().is_some_and(|line| line.starts_with(what));
    let sent: Vec<&Shown> = log.iter().filter(|shown| now(shown, "#0 main mpsc::Sender::send sent at ")).collect();
    let (first, second) = (sent[0], sent.iter().rfind(|shown| shown.step != sent[0].step).expect("a second send"));
    let (line, messages) = channel(first, requests);
    assert_eq!(line, format!("{requests}, capacity 4: 1 message"), "{first:#?}");
    assert_eq!(messages, [format!("message: {}", sent_by_main(sends[0]))], "{first:#?}");
    // Main drops its sender right after the second send.
    let (line, messages) = channel(second, requests);
    let closed = format!("closed: #0 main dropped the last sender at step {}", sends[1]);
    assert_eq!(line, format!("{requests}, capacity 4: 2 messages; {closed}"), "{second:#?}");
    assert_eq!(messages, sends.iter().map(|step| format!("message: {}", sent_by_main(*step))).collect::<Vec<_>>());

    // The connection takes the first request; the second stays queued.
    let received = after(&log, "#1 connection", "mpsc::Receiver::recv got a value");
    let (line, messages) = channel(received, requests);
    assert_eq!(line, format!("{requests}, capacity 4: 1 message; {closed}"), "{received:#?}");
    assert_eq!(messages, [format!("message: {}", sent_by_main(sends[1]))], "{received:#?}");

    // It answers the first request and returns in the same step: its receiver goes with
    // the second request still queued, which is lost, and that request's answer sender too.
    let answered = after(&log, "#1 connection", "oneshot::Sender::send sent");
    let [answer] = steps_of(1, "oneshot::Sender::send")[..] else { panic!("one answer: {report}") };
    let (line, messages) = channel(answered, "oneshot::channel@connection_drops_requests.rs:52:");
    assert_eq!(line, "oneshot::channel@connection_drops_requests.rs:52: 1 message", "{answered:#?}");
    assert_eq!(
        messages,
        [format!("message: sent by #1 connection at step {answer}, at connection_drops_requests.rs:17")]
    );
    let end = log.iter().find(|shown| shown.key == "End").expect("End was pressed");
    for shown in [answered, end] {
        let (line, messages) = channel(shown, requests);
        let dropped = format!("#1 connection dropped the receiver at step {answer}");
        assert_eq!(line, format!("{requests}, capacity 4: empty; {closed}, {dropped}"), "{shown:#?}");
        assert_eq!(messages, [format!("lost: dropped unreceived: {}", sent_by_main(sends[1]))], "{shown:#?}");
        let (line, messages) = channel(shown, "oneshot::channel@connection_drops_requests.rs:52 (2)");
        let closed = format!("closed: #1 connection dropped the last sender at step {answer}");
        assert_eq!(line, format!("oneshot::channel@connection_drops_requests.rs:52 (2): empty; {closed}"));
        assert!(messages.is_empty(), "{shown:#?}");
    }
    // Main has received the answer by the end.
    let (line, _) = channel(end, "oneshot::channel@connection_drops_requests.rs:52:");
    assert_eq!(line, "oneshot::channel@connection_drops_requests.rs:52: empty", "{end:#?}");

    // A long queue lists its oldest messages, and says how many more there are.
    let report = Scenario::new("html_report::long_queue").run(|| async {
        let (tx, rx) = racewright::sync::mpsc::unbounded_channel();
        for n in 0..20 {
            tx.send(n).unwrap();
        }
        drop(rx);
        assert!(!tx.is_closed(), "the end");
    });
    let log = Page::of(&report).step_through(&chromium, &profile);
    let _ = std::fs::remove_dir_all(&profile);
    let queue = "mpsc::unbounded_channel@html_report.rs:";
    // The 19th send: the 20th drops the receiver in the same step.
    let mut sent: Vec<&Shown> = log.iter().filter(|shown| now(shown, "#0 main mpsc::UnboundedSender::send ")).collect();
    sent.sort_by_key(|shown| shown.step);
    sent.dedup_by_key(|shown| shown.step);
    let (line, messages) = channel(sent[18], queue);
    assert!(line.ends_with(": 19 messages"), "{:#?}", sent[18]);
    assert_eq!(messages.len(), 9, "{:#?}", sent[18]);
    assert_eq!(messages[8], "more: \u{2026} 11 more", "{:#?}", sent[18]);
    let end = log.iter().find(|shown| shown.key == "End").expect("End was pressed");
    let (_, messages) = channel(end, queue);
    assert_eq!(messages.len(), 9, "{end:#?}");
    assert!(messages[..8].iter().all(|line| line.starts_with("lost: dropped unreceived: sent by #0 main")));
    assert_eq!(messages[8], "more: \u{2026} 12 more dropped unreceived", "{end:#?}");
}
