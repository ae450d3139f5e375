//! Search power and speed of racewright against raw shuttle and raw loom, on the SCTBench
//! programs of `racewright_scenarios::sctbench`, each written once and run on each.
//!
//! `cargo bench -p racewright-scenarios --bench search` prints six tables:
//! 1. detection: executions until the first failure of each buggy program, over many
//!    seeds (median, 90th percentile, seeds that missed within the budget), for raw
//!    shuttle's random, PCT(3), URW and DFS schedulers and racewright's strategies, and
//!    one search of loom's DPOR (preemption bound 2), raw and racewright's, of each
//!    program loom can model (at most 4 tasks besides the body);
//! 2. speed: executions per second of the fixed programs, raw shuttle's random
//!    scheduler against racewright's random strategy (detectors and trace on) on one
//!    thread and on two (`Scenario::threads(2)`), with ratios;
//! 3. loom: executions and searches per second of loom's exhaustive search (preemption
//!    bounds 2 and 3) of a small fixed program, raw loom against racewright on loom;
//! 4. operations: the time of one atomic store, one lock and unlock, one spawn and join,
//!    and of an empty execution, raw shuttle against racewright (`search/operations.rs`);
//! 5. memory: the peak resident set of a long racewright run, against raw shuttle's;
//! 6. depth: the fewest preemptions of a failing schedule of `safe_stack`'s buggy port,
//!    which no searcher finds on most seeds (`search/depth.rs`).
//!
//! How executions are counted. Raw shuttle: the test function counts its own calls, the
//! failing one included. Racewright: each search runs on one thread, so its executions
//! run one after the other, lane after lane, and the lanes after the failing one never
//! start: `Report::executions()` is the number of executions that ran, the failing one
//! included. The report's verdict (`execution N of M`) numbers the failing execution by the
//! executions that ran up to it; a second table shows that number, which must match.
//!
//! Each detection row runs in a child process (the bench binary again, `--child ...`),
//! `BENCH_SEARCH_JOBS` at a time, with its stderr dropped: raw shuttle prints every
//! failure it finds there.
//!
//! Knobs (environment variables; numbers):
//! - `BENCH_SEARCH_SEEDS`: seeds per detection row (default 100: with 30, a median moves
//!   by a fifth from one set of seeds to another);
//! - `BENCH_SEARCH_BUDGET`: executions per seed before it counts as a miss (default 10000);
//! - `BENCH_SEARCH_MILLIS`: time per speed measurement, in milliseconds (default 2000);
//! - `BENCH_SEARCH_CHUNK`: executions per exploration of the speed table (default 2000);
//! - `BENCH_SEARCH_RSS_EXECUTIONS`: executions of the memory run (default 100000);
//! - `BENCH_SEARCH_JOBS`: detection rows run at once (default 2);
//! - `BENCH_SEARCH_SECTIONS`: which tables, e.g. `detection,speed` (default all six:
//!   `detection,speed,loom,operations,memory,depth`).
//!
//! The machine is shared and noisy: read the ratios, not the absolute times.

mod common;
#[path = "search/depth.rs"]
mod depth;
#[path = "search/operations.rs"]
mod operations;

use std::future::Future;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{explorations_per_second, knob};
use racewright::{EngineChoice, Scenario, Strategy};
use racewright_scenarios::Variant;
use racewright_scenarios::sctbench::{self, PROGRAMS, Program, Racewright, RawLoom, RawShuttle};

/// Who searches: one of raw shuttle's schedulers, or one of racewright's strategies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Searcher {
    RawRandom,
    RawPct,
    RawUrw,
    RawDfs,
    Racewright(Strategy),
    /// Loom's DPOR within `LOOM_BOUND` preemptions: one deterministic search.
    RawLoom,
    RacewrightLoom,
}

const SEARCHERS: [Searcher; 12] = [
    Searcher::RawRandom,
    Searcher::RawPct,
    Searcher::RawUrw,
    Searcher::RawDfs,
    Searcher::Racewright(Strategy::Portfolio),
    Searcher::Racewright(Strategy::Random),
    Searcher::Racewright(Strategy::Pct { depth: 3 }),
    Searcher::Racewright(Strategy::Pos),
    Searcher::Racewright(Strategy::Urw),
    Searcher::Racewright(Strategy::Dfs),
    Searcher::RawLoom,
    Searcher::RacewrightLoom,
];

impl Searcher {
    fn name(self) -> String {
        match self {
            Searcher::RawRandom => "raw shuttle random".into(),
            Searcher::RawPct => "raw shuttle pct(3)".into(),
            Searcher::RawUrw => "raw shuttle urw".into(),
            Searcher::RawDfs => "raw shuttle dfs".into(),
            Searcher::Racewright(strategy) => format!("racewright {strategy}"),
            Searcher::RawLoom => format!("raw loom (bound {LOOM_BOUND})"),
            Searcher::RacewrightLoom => format!("racewright loom (bound {LOOM_BOUND})"),
        }
    }

    /// The name on a child's command line.
    fn arg(self) -> String {
        match self {
            Searcher::RawRandom => "raw-random".into(),
            Searcher::RawPct => "raw-pct".into(),
            Searcher::RawUrw => "raw-urw".into(),
            Searcher::RawDfs => "raw-dfs".into(),
            Searcher::Racewright(Strategy::Pct { .. }) => "pct".into(),
            Searcher::Racewright(strategy) => strategy.to_string(),
            Searcher::RawLoom => "raw-loom".into(),
            Searcher::RacewrightLoom => "loom".into(),
        }
    }

    fn from_arg(arg: &str) -> Searcher {
        SEARCHERS.into_iter().find(|searcher| searcher.arg() == arg).unwrap_or_else(|| panic!("no searcher {arg}"))
    }

    /// DFS and loom's DPOR are deterministic: one search, whatever the seed.
    fn seeded(self) -> bool {
        !matches!(
            self,
            Searcher::RawDfs | Searcher::Racewright(Strategy::Dfs) | Searcher::RawLoom | Searcher::RacewrightLoom
        )
    }

    /// Whether it is one of loom's, which model at most `MAX_LOOM_TASKS` tasks.
    fn loom(self) -> bool {
        matches!(self, Searcher::RawLoom | Searcher::RacewrightLoom)
    }

    /// Whether its report names the failing execution (racewright's).
    fn racewright(self) -> bool {
        matches!(self, Searcher::Racewright(_) | Searcher::RacewrightLoom)
    }
}

/// The outcome of one search of a buggy program.
#[derive(Clone, Copy, Debug)]
enum Outcome {
    /// No failure within the budget.
    Missed,
    /// The first failure, after this many executions (the failing one included).
    Found {
        executions: usize,
        /// The execution the report's verdict names (racewright only).
        verdict: Option<usize>,
        /// The failure was not of the program's kind.
        other_kind: bool,
    },
}

impl Outcome {
    fn encode(self) -> String {
        match self {
            Outcome::Missed => "-".into(),
            Outcome::Found { executions, verdict, other_kind } => format!(
                "{executions}{}{}",
                verdict.map(|n| format!("@{n}")).unwrap_or_default(),
                if other_kind { "!" } else { "" }
            ),
        }
    }

    fn decode(token: &str) -> Outcome {
        if token == "-" {
            return Outcome::Missed;
        }
        let other_kind = token.ends_with('!');
        let token = token.trim_end_matches('!');
        let (executions, verdict) = match token.split_once('@') {
            Some((executions, verdict)) => (executions, Some(verdict.parse().expect("a verdict number"))),
            None => (token, None),
        };
        Outcome::Found { executions: executions.parse().expect("a count"), verdict, other_kind }
    }
}

/// The message of a caught panic (empty when it is neither a `String` nor a `&str`).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or_default()
}

fn shuttle_config() -> shuttle::Config {
    let mut config = shuttle::Config::new();
    config.failure_persistence = shuttle::FailurePersistence::None;
    config.silence_warnings = true;
    config
}

/// One raw shuttle search of `program`'s `variant`; the executions it ran, and whether
/// one failed.
fn raw_search(program: &'static str, variant: Variant, searcher: Searcher, seed: u64, budget: usize) -> Outcome {
    use shuttle::scheduler::{DfsScheduler, PctScheduler, RandomScheduler, UrwRandomScheduler};
    let executions = Arc::new(AtomicUsize::new(0));
    let test = {
        let executions = executions.clone();
        move || {
            executions.fetch_add(1, Ordering::Relaxed);
            shuttle::future::block_on(sctbench::run::<RawShuttle>(program, variant));
        }
    };
    let config = shuttle_config();
    let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match searcher {
        Searcher::RawRandom => {
            shuttle::Runner::new(RandomScheduler::new_from_seed(seed, budget), config).run(test);
        }
        Searcher::RawPct => {
            shuttle::Runner::new(PctScheduler::new_from_seed(seed, 3, budget), config).run(test);
        }
        Searcher::RawUrw => {
            shuttle::Runner::new(UrwRandomScheduler::new_from_seed(seed, budget), config).run(test);
        }
        Searcher::RawDfs => {
            shuttle::Runner::new(DfsScheduler::new(Some(budget), false), config).run(test);
        }
        Searcher::Racewright(_) | Searcher::RawLoom | Searcher::RacewrightLoom => {
            unreachable!("not a raw shuttle searcher")
        }
    }))
    .is_err();
    let executions = executions.load(Ordering::Relaxed);
    if failed { Outcome::Found { executions, verdict: None, other_kind: false } } else { Outcome::Missed }
}

/// A racewright scenario of `program`'s `variant`.
fn racewright_run(scenario: Scenario, program: &'static str, variant: Variant) -> racewright::Report {
    scenario.run(move || sctbench::run::<Racewright>(program, variant))
}

/// One racewright search of `program`'s buggy variant, on one thread.
fn racewright_search(program: &Program, strategy: Strategy, seed: u64, budget: usize) -> Outcome {
    let scenario = Scenario::new(format!("sctbench::{}", program.name))
        .iterations(budget)
        .seed(seed)
        .strategy(strategy)
        .threads(1);
    racewright_detect(program, scenario)
}

/// What `scenario`, a racewright search of `program`'s buggy variant, found.
fn racewright_detect(program: &Program, scenario: Scenario) -> Outcome {
    let report = racewright_run(scenario, program.name, Variant::Buggy);
    match report.failure() {
        None => Outcome::Missed,
        Some(failure) => Outcome::Found {
            executions: report.executions(),
            verdict: report.failing_execution(),
            other_kind: failure.kind() != program.fails_with,
        },
    }
}

/// Tasks loom models besides the body (racewright's loom engine: `loom::MAX_THREADS - 1`).
const MAX_LOOM_TASKS: usize = loom::MAX_THREADS - 1;

/// One raw loom search of `program`'s buggy variant within `LOOM_BOUND` preemptions; a
/// search past `budget` executions counts as a miss.
fn raw_loom_detect(program: &Program, budget: usize) -> Outcome {
    let executions = Arc::new(AtomicUsize::new(0));
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(LOOM_BOUND);
    builder.max_permutations = Some(budget);
    let counter = executions.clone();
    let name = program.name;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        builder.check(move || {
            counter.fetch_add(1, Ordering::Relaxed);
            RawLoom::block_on(sctbench::run::<RawLoom>(name, Variant::Buggy));
        })
    }));
    let executions = executions.load(Ordering::Relaxed);
    match result {
        Err(payload) if executions <= budget => {
            let message = panic_message(payload.as_ref());
            // Loom's own verdicts: a livelock past its branch limit, or every thread blocked.
            let kind = if message.starts_with("Model exceeded maximum number of branches") {
                racewright::FailureKind::StepLimit
            } else if message.contains("deadlock") {
                racewright::FailureKind::Deadlock
            } else {
                racewright::FailureKind::Panic
            };
            Outcome::Found { executions, verdict: None, other_kind: kind != program.fails_with }
        }
        _ => Outcome::Missed,
    }
}

/// One racewright-on-loom search of `program`'s buggy variant within `LOOM_BOUND`
/// preemptions.
fn racewright_loom_detect(program: &Program, budget: usize) -> Outcome {
    let scenario = Scenario::new(format!("sctbench::{}", program.name))
        .engine(EngineChoice::Loom)
        .preemption_bound(LOOM_BOUND)
        .iterations(budget);
    racewright_detect(program, scenario)
}

/// Whether loom can model `program` (at most `MAX_LOOM_TASKS` tasks besides the body):
/// racewright's loom engine says so as a limit in the first execution of its fixed variant.
fn fits_loom(program: &Program) -> bool {
    let scenario = Scenario::new(format!("sctbench::{}", program.name)).engine(EngineChoice::Loom).iterations(1);
    let report = racewright_run(scenario, program.name, Variant::Fixed);
    !report.limit().is_some_and(|limit| limit.contains("tasks"))
}

fn program_named(name: &str) -> &'static Program {
    PROGRAMS.iter().find(|program| program.name == name).unwrap_or_else(|| panic!("no program {name}"))
}

/// `--child detect <program> <searcher> <seeds> <budget>`: one detection row, one
/// outcome per seed on stdout.
fn child_detect(args: &[String]) {
    let program = program_named(&args[0]);
    let searcher = Searcher::from_arg(&args[1]);
    let seeds: u64 = args[2].parse().expect("seeds");
    let budget: usize = args[3].parse().expect("budget");
    // Raw shuttle's failures are panics; keep stderr quiet even when it is shown.
    std::panic::set_hook(Box::new(|_| {}));
    let seeds = if searcher.seeded() { seeds } else { 1 };
    let outcomes: Vec<String> = (0..seeds)
        .map(|seed| match searcher {
            Searcher::Racewright(strategy) => racewright_search(program, strategy, seed, budget),
            Searcher::RawLoom => raw_loom_detect(program, budget),
            Searcher::RacewrightLoom => racewright_loom_detect(program, budget),
            raw => raw_search(program.name, Variant::Buggy, raw, seed, budget),
        })
        .map(Outcome::encode)
        .collect();
    println!("{}", outcomes.join(" "));
}

/// Runs the bench binary as a child for each job, `jobs` at a time; their stdouts, in order.
fn run_children(commands: &[Vec<String>], jobs: usize) -> Vec<String> {
    let exe = std::env::current_exe().expect("the bench binary's path");
    let next = AtomicUsize::new(0);
    let outputs = std::sync::Mutex::new(vec![String::new(); commands.len()]);
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some(args) = commands.get(index) else { break };
                    let output = Command::new(&exe)
                        .arg("--child")
                        .args(args)
                        .stderr(Stdio::null())
                        .output()
                        .expect("the bench binary runs");
                    assert!(output.status.success(), "child {args:?} failed: {}", output.status);
                    outputs.lock().unwrap()[index] = String::from_utf8_lossy(&output.stdout).trim().to_string();
                }
            });
        }
    });
    outputs.into_inner().unwrap()
}

/// Nearest-rank percentile of found counts, misses counting as infinitely many.
fn percentile(sorted: &[Option<usize>], fraction: f64) -> Option<usize> {
    let rank = ((fraction * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// One cell of the detection table.
fn cell(outcomes: &[Outcome], budget: usize) -> String {
    let mut counts: Vec<Option<usize>> = outcomes
        .iter()
        .map(|outcome| match outcome {
            Outcome::Missed => None,
            Outcome::Found { executions, .. } => Some(*executions),
        })
        .collect();
    counts.sort_by_key(|count| count.unwrap_or(usize::MAX));
    let show = |count: Option<usize>| count.map_or(format!(">{budget}"), |count| count.to_string());
    let misses = counts.iter().filter(|count| count.is_none()).count();
    let other = outcomes.iter().filter(|outcome| matches!(outcome, Outcome::Found { other_kind: true, .. })).count();
    if counts.len() == 1 {
        return format!("{}{}", show(counts[0]), if other > 0 { " (other kind)" } else { "" });
    }
    let other = if other > 0 { format!(", {other} other kind") } else { String::new() };
    format!("{} / {} ({misses} missed{other})", show(percentile(&counts, 0.5)), show(percentile(&counts, 0.9)))
}

/// The median of the verdicts' execution numbers, where the searches found something.
fn verdict_median(outcomes: &[Outcome]) -> Option<usize> {
    let mut verdicts: Vec<usize> = outcomes
        .iter()
        .filter_map(|outcome| match outcome {
            Outcome::Found { verdict, .. } => *verdict,
            Outcome::Missed => None,
        })
        .collect();
    verdicts.sort_unstable();
    (!verdicts.is_empty()).then(|| verdicts[(verdicts.len() - 1) / 2])
}

fn detection(seeds: u64, budget: usize, jobs: usize) {
    let fits: Vec<bool> = PROGRAMS.iter().map(fits_loom).collect();
    let mut commands = Vec::new();
    for (program, fits) in PROGRAMS.iter().zip(&fits) {
        for searcher in SEARCHERS.into_iter().filter(|searcher| *fits || !searcher.loom()) {
            commands.push(vec![
                "detect".to_string(),
                program.name.to_string(),
                searcher.arg(),
                seeds.to_string(),
                budget.to_string(),
            ]);
        }
    }
    let mut outputs = run_children(&commands, jobs).into_iter();
    // Each program's row of outcomes, `None` where loom cannot model it.
    let outcomes: Vec<Option<Vec<Outcome>>> = PROGRAMS
        .iter()
        .zip(&fits)
        .flat_map(|(_, fits)| SEARCHERS.into_iter().map(move |searcher| *fits || !searcher.loom()))
        .map(|ran| {
            ran.then(|| {
                let line = outputs.next().expect("a child's outcomes");
                line.split_whitespace().map(Outcome::decode).collect()
            })
        })
        .collect();

    println!(
        "detection: executions to the first failure of each buggy program, {seeds} seeds (DFS and loom: one \
         search), at most {budget} executions each"
    );
    println!("cells: median / 90th percentile (seeds that missed); a count includes the failing execution");
    println!();
    print!("| searcher                  |");
    for program in &PROGRAMS {
        print!(" {:^30} |", program.name);
    }
    println!();
    print!("|---------------------------|");
    for _ in &PROGRAMS {
        print!("{}|", "-".repeat(32));
    }
    println!();
    for (row, searcher) in SEARCHERS.into_iter().enumerate() {
        print!("| {:<25} |", searcher.name());
        for column in 0..PROGRAMS.len() {
            let shown = match &outcomes[column * SEARCHERS.len() + row] {
                Some(outcomes) => cell(outcomes, budget),
                None => format!("n/a (over {MAX_LOOM_TASKS} tasks)"),
            };
            print!(" {shown:>30} |");
        }
        println!();
    }
    println!();
    println!("racewright's verdict (`execution N of M`), median: the executions that ran, as above");
    print!("| searcher                  |");
    for program in &PROGRAMS {
        print!(" {:^30} |", program.name);
    }
    println!();
    print!("|---------------------------|");
    for _ in &PROGRAMS {
        print!("{}|", "-".repeat(32));
    }
    println!();
    for (row, searcher) in SEARCHERS.into_iter().enumerate().filter(|(_, searcher)| searcher.racewright()) {
        print!("| {:<25} |", searcher.name());
        for column in 0..PROGRAMS.len() {
            let median = outcomes[column * SEARCHERS.len() + row].as_deref().and_then(verdict_median);
            print!(" {:>30} |", median.map_or("-".to_string(), |n| format!("execution {n}")));
        }
        println!();
    }
    println!();
}

/// Executions per second of raw shuttle's random scheduler running `test`, `chunk`
/// executions per exploration, for `time`.
fn raw_shuttle_rate(time: Duration, chunk: usize, test: impl Fn() + Clone + Send + Sync + 'static) -> f64 {
    let mut seed = 0;
    explorations_per_second(time, || {
        seed += 1;
        let scheduler = shuttle::scheduler::RandomScheduler::new_from_seed(seed, chunk);
        shuttle::Runner::new(scheduler, shuttle_config()).run(test.clone())
    })
    .0
}

/// Executions per second of racewright's random strategy on `threads` threads exploring
/// `body`, which must pass, `chunk` executions per exploration, for `time`.
fn racewright_rate<F, Fut>(time: Duration, chunk: usize, threads: usize, name: &str, body: F) -> f64
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let mut seed = 0;
    explorations_per_second(time, || {
        seed += 1;
        let scenario = Scenario::new(name).iterations(chunk).seed(seed).strategy(Strategy::Random).threads(threads);
        let report = scenario.run(body.clone());
        assert!(report.failure().is_none(), "{name} failed:\n{report}");
        report.executions()
    })
    .0
}

/// How many turns the columns of a row of the speed, loom and operations tables take, each
/// measured for its share of the time, the best of its turns kept: a slower spell of this shared machine then falls on
/// one turn of every column, not on one column.
const ROUNDS: u32 = 4;

/// The best of `ROUNDS` turns of each of `measures`, taken in turn, `time` in all for each.
fn best_of_rounds<const N: usize>(time: Duration, measures: [&dyn Fn(Duration) -> f64; N]) -> [f64; N] {
    let mut best = [0.0_f64; N];
    for _ in 0..ROUNDS {
        for (best, measure) in best.iter_mut().zip(&measures) {
            *best = best.max(measure(time / ROUNDS));
        }
    }
    best
}

/// Executions per second of `program`'s fixed variant: raw shuttle, racewright on one
/// thread, racewright on two.
fn speed_of(program: &'static str, time: Duration, chunk: usize) -> [f64; 3] {
    let name = format!("sctbench::{program}");
    let body = move || sctbench::run::<Racewright>(program, Variant::Fixed);
    best_of_rounds(
        time,
        [
            &|time| {
                raw_shuttle_rate(time, chunk, move || {
                    shuttle::future::block_on(sctbench::run::<RawShuttle>(program, Variant::Fixed));
                })
            },
            &|time| racewright_rate(time, chunk, 1, &name, body),
            &|time| racewright_rate(time, chunk, 2, &name, body),
        ],
    )
}

fn speed(time: Duration, chunk: usize) {
    println!(
        "speed: executions/s of each fixed program, random scheduling, racewright with detectors and trace on, \
         for {time:?} each (the best of {ROUNDS} turns)"
    );
    println!("| program              | raw shuttle | racewright, 1 thread | ratio | racewright, 2 threads | ratio |");
    println!("|----------------------|------------:|---------------------:|------:|----------------------:|------:|");
    for program in &PROGRAMS {
        let [raw, one, two] = speed_of(program.name, time, chunk);
        println!(
            "| {:<20} | {raw:>11.0} | {one:>20.0} | {:>5.2} | {two:>21.0} | {:>5.2} |",
            program.name,
            one / raw,
            two / raw
        );
    }
    println!();
}

/// The program of the loom table: small enough for loom's exhaustive search.
const LOOM_PROGRAM: &str = "bluetooth_driver";

/// The preemption bound of the loom table's searches (and of the profiles' loom runs).
const LOOM_BOUND: usize = 2;

/// One exhaustive raw loom search of the fixed loom program within `bound` preemptions;
/// the executions it ran.
fn raw_loom_search(bound: usize) -> usize {
    let executions = Arc::new(AtomicUsize::new(0));
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(bound);
    let counter = executions.clone();
    builder.check(move || {
        counter.fetch_add(1, Ordering::Relaxed);
        RawLoom::block_on(sctbench::run::<RawLoom>(LOOM_PROGRAM, Variant::Fixed));
    });
    executions.load(Ordering::Relaxed)
}

/// One exhaustive racewright-on-loom search of the fixed loom program within `bound`
/// preemptions; the executions it ran.
fn racewright_loom_search(bound: usize) -> usize {
    let scenario = Scenario::new(format!("sctbench::{LOOM_PROGRAM}"))
        .engine(EngineChoice::Loom)
        .preemption_bound(bound)
        .iterations(1_000_000);
    let report = racewright_run(scenario, LOOM_PROGRAM, Variant::Fixed);
    assert!(report.failure().is_none() && report.exhaustive(), "{report}");
    report.executions()
}

/// A raw loom search of a body that does nothing: one execution, what a search costs
/// whatever it explores.
fn raw_loom_empty_search() -> usize {
    loom::model::Builder::new().check(|| {});
    1
}

/// A racewright-on-loom search of a body that does nothing.
fn racewright_loom_empty_search() -> usize {
    let report = Scenario::new("sctbench::empty").engine(EngineChoice::Loom).run(|| async {});
    assert!(report.failure().is_none() && report.executions() == 1, "{report}");
    1
}

/// Raw loom and racewright on loom, whole exhaustive searches side by side, at preemption
/// bounds 2 and 3: per execution, and per search, which is what a loom test waits for
/// (the two engines need not run as many executions to exhaust one bound). A search costs
/// a fixed part too (racewright's: setting up, handing the search to the exploring thread
/// and the report back), measured on a body that does nothing: the last column leaves it
/// out of the time per execution.
fn loom_speed(time: Duration) {
    const PROGRAM: &str = LOOM_PROGRAM;
    println!(
        "loom: {PROGRAM}, fixed, exhaustive searches within a preemption bound, for {time:?} each (the best of {ROUNDS} \
         turns)"
    );
    let [raw_fixed, fixed] = best_of_rounds(
        time,
        [&|time| explorations_per_second(time, raw_loom_empty_search).0, &|time| {
            explorations_per_second(time, racewright_loom_empty_search).0
        }],
    )
    .map(|searches| 1.0 / searches);
    println!(
        "| bound | engine                         | executions per search | executions/s | per execution | searches/s | per search | per execution, fixed cost aside |"
    );
    println!(
        "|------:|--------------------------------|----------------------:|-------------:|--------------:|-----------:|-----------:|--------------------------------:|"
    );
    for bound in [LOOM_BOUND, LOOM_BOUND + 1] {
        // Executions per search are the same each time: the search is exhaustive.
        let raw_each = raw_loom_search(bound);
        let each = racewright_loom_search(bound);
        let [raw, on] = best_of_rounds(
            time,
            [&|time| explorations_per_second(time, || raw_loom_search(bound)).0, &|time| {
                explorations_per_second(time, || racewright_loom_search(bound)).0
            }],
        );
        let (raw_searches, searches) = (raw / raw_each as f64, on / each as f64);
        // Seconds per execution once the search's fixed cost is taken out.
        let raw_marginal = (1.0 / raw_searches - raw_fixed) / raw_each as f64;
        let marginal = (1.0 / searches - fixed) / each as f64;
        println!(
            "| {bound:>5} | raw loom (threads, loom sync)  | {raw_each:>21} | {raw:>12.0} | {:>13.2} | {raw_searches:>10.0} | {:>10.2} | {:>31.2} |",
            1.0, 1.0, 1.0
        );
        println!(
            "| {bound:>5} | racewright on loom             | {each:>21} | {on:>12.0} | {:>13.2} | {searches:>10.0} | {:>10.2} | {:>31.2} |",
            on / raw,
            searches / raw_searches,
            raw_marginal / marginal
        );
    }
    println!(
        "ratios: racewright on loom / raw loom, same run; fixed cost of a search: raw loom {:.0} us, racewright on loom {:.0} us",
        raw_fixed * 1e6,
        fixed * 1e6
    );
    println!();
}

/// Runs whole `search`es until at least `executions` ran; the executions that ran.
fn searches_until(executions: usize, search: impl Fn() -> usize) -> usize {
    let mut ran = 0;
    while ran < executions {
        ran += search();
    }
    ran
}

/// The peak resident set of this process, in KiB (`VmHWM`).
fn peak_rss_kib() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).expect("a VmHWM line");
    line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).expect("VmHWM in kB")
}

/// The program of the memory run: the biggest, so that its executions weigh the most.
const MEMORY_PROGRAM: &str = "dining_philosophers";

/// `--child memory <engine> <executions> [<program>]`: runs the fixed memory program (or
/// `program`) with random scheduling (`raw`, `racewright`), or whole exhaustive searches
/// of the loom table's program (`raw_loom`, `racewright_loom`), prints the executions that
/// ran and the peak resident set. Also the driver of the callgrind profiles (see
/// BENCHMARKS.md).
fn child_memory(args: &[String]) {
    let executions: usize = args[1].parse().expect("executions");
    let program = args.get(2).map_or(MEMORY_PROGRAM, |name| program_named(name).name);
    let ran = match args[0].as_str() {
        "none" => 0,
        "raw" => {
            let test = || shuttle::future::block_on(sctbench::run::<RawShuttle>(program, Variant::Fixed));
            let scheduler = shuttle::scheduler::RandomScheduler::new_from_seed(1, executions);
            shuttle::Runner::new(scheduler, shuttle_config()).run(test)
        }
        "racewright" => {
            let scenario = Scenario::new(format!("sctbench::{program}"))
                .iterations(executions)
                .seed(1)
                .strategy(Strategy::Random)
                .threads(1);
            let report = racewright_run(scenario, program, Variant::Fixed);
            assert!(report.failure().is_none(), "{report}");
            report.executions()
        }
        // Whole exhaustive searches of the loom table's program, until `executions` ran.
        "raw_loom" => searches_until(executions, || raw_loom_search(LOOM_BOUND)),
        "racewright_loom" => searches_until(executions, || racewright_loom_search(LOOM_BOUND)),
        other => panic!("no engine {other}"),
    };
    println!("{ran} {}", peak_rss_kib());
}

fn memory(executions: usize) {
    let runs = [
        ("nothing (the bench binary, started)", "none", 0),
        ("raw shuttle random", "raw", executions),
        ("racewright random, 1 thread", "racewright", executions / 100),
        ("racewright random, 1 thread", "racewright", executions),
    ];
    let commands: Vec<Vec<String>> = runs
        .iter()
        .map(|(_, engine, executions)| vec!["memory".to_string(), engine.to_string(), executions.to_string()])
        .collect();
    // One at a time: nothing else should weigh on the machine while they run.
    let outputs = run_children(&commands, 1);
    println!("memory: peak resident set (VmHWM) of a child process exploring the fixed {MEMORY_PROGRAM}");
    println!("| run                                   | executions | peak RSS (MiB) |");
    println!("|---------------------------------------|-----------:|---------------:|");
    for ((name, _, _), output) in runs.iter().zip(outputs) {
        let mut fields = output.split_whitespace().map(|field| field.parse::<usize>().expect("a number"));
        let (ran, kib) = (fields.next().expect("executions"), fields.next().expect("VmHWM"));
        println!("| {name:<37} | {ran:>10} | {:>14.1} |", kib as f64 / 1024.0);
    }
    println!();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(position) = args.iter().position(|arg| arg == "--child") {
        let rest = &args[position + 1..];
        match rest[0].as_str() {
            "detect" => child_detect(&rest[1..]),
            "memory" => child_memory(&rest[1..]),
            "depth" => depth::child_depth(),
            other => panic!("no child section {other}"),
        }
        return;
    }
    // `cargo bench` passes `--bench`; anything else (`cargo test --benches`) only checks
    // that the benchmark runs, quickly.
    let quick = !args.iter().any(|arg| arg == "--bench");
    let sections =
        std::env::var("BENCH_SEARCH_SECTIONS").unwrap_or("detection,speed,loom,operations,memory,depth".into());
    let sections: Vec<&str> = sections.split(',').map(str::trim).collect();
    let millis = if quick { 20 } else { knob("BENCH_SEARCH_MILLIS", 2000) };
    let time = Duration::from_millis(millis as u64);
    let date = std::process::Command::new("date").arg("-u").arg("+%Y-%m-%d").output();
    let date = date.map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string()).unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("search benchmark, {date}, {cores} cores");
    println!();
    if sections.contains(&"detection") {
        let seeds = if quick { 2 } else { knob("BENCH_SEARCH_SEEDS", 100) } as u64;
        let budget = if quick { 200 } else { knob("BENCH_SEARCH_BUDGET", 10_000) };
        detection(seeds, budget, knob("BENCH_SEARCH_JOBS", 2));
    }
    if sections.contains(&"speed") {
        speed(time, if quick { 100 } else { knob("BENCH_SEARCH_CHUNK", 2000) });
    }
    if sections.contains(&"loom") {
        loom_speed(time);
    }
    if sections.contains(&"operations") {
        operations::operations(time, if quick { 100 } else { knob("BENCH_SEARCH_CHUNK", 2000) });
    }
    if sections.contains(&"depth") {
        depth::depth();
    }
    if sections.contains(&"memory") {
        memory(if quick { 1000 } else { knob("BENCH_SEARCH_RSS_EXECUTIONS", 100_000) });
    }
}
