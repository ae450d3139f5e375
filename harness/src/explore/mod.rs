//! Exploration: the scenario's configuration (with environment overrides), the
//! strategies, and the loop that runs executions until one fails.

pub mod attribute;
pub(crate) mod config;
pub mod env;
mod pipeline;
pub(crate) mod strategies;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;

use crate::detect::FailureKind;
use crate::engine::Body;
use crate::report::Report;
use config::Config;
pub use config::{EngineChoice, Flavor, Policy, SwitchPoints, TimeMode};
pub use env::EnvError;
pub use pipeline::breakpoint;
pub use strategies::Strategy;

/// A concurrency test, configured: what `#[racewright::test]` expands to.
///
/// ```
/// use racewright::{FailureKind, Scenario, Strategy};
///
/// let report = Scenario::new("doc::counter")
///     .iterations(200)
///     .strategy(Strategy::Pct { depth: 2 })
///     .run(|| async {
///         let a = racewright::spawn(async { 1 });
///         assert_eq!(a.await.unwrap(), 1);
///     });
/// assert!(report.failure().is_none());
/// ```
#[derive(Clone, Debug)]
pub struct Scenario {
    name: String,
    config: Config,
    origin: Option<pipeline::origin::Origin>,
    replay: Option<String>,
    stop_at: Option<usize>,
}

impl Scenario {
    /// A scenario with the attribute's defaults; `name` is the test's path.
    pub fn new(name: impl Into<String>) -> Scenario {
        Scenario { name: name.into(), config: Config::default(), origin: None, replay: None, stop_at: None }
    }

    /// Executions to explore (default 1000). On loom, the most executions its exhaustive
    /// search may take (default 100 000, enough for typical scenarios of 3 or 4 tasks at
    /// the default bound): one that needs more is incomplete, never a pass.
    pub fn iterations(mut self, iterations: usize) -> Self {
        self.config.iterations = iterations.max(1);
        self.config.iterations_given = true;
        self
    }

    /// The seed of the random strategies (default: derived from the name).
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = Some(seed);
        self
    }

    /// The exploration strategy (default: portfolio).
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        if let Strategy::Pct { depth } = strategy {
            self.config.depth = depth;
        }
        self.config.strategy = strategy;
        self
    }

    /// The PCT depth, kept when `RACEWRIGHT_STRATEGY=pct` overrides the strategy (default 3).
    pub fn depth(mut self, depth: usize) -> Self {
        self.config.depth = depth.max(1);
        if let Strategy::Pct { .. } = self.config.strategy {
            self.config.strategy = Strategy::Pct { depth: self.config.depth };
        }
        self
    }

    /// Scheduling steps before an execution counts as a livelock (default 100 000). On
    /// loom it is also loom's branch limit per execution.
    pub fn max_steps(mut self, max_steps: usize) -> Self {
        self.config.max_steps = max_steps.max(1);
        self
    }

    /// Which engine explores the scenario (default: shuttle). Loom explores every
    /// interleaving within the preemption bound, and weak memory; `All` runs shuttle, then
    /// loom when the scenario fits loom's limits (at most 4 tasks besides the body).
    ///
    /// ```
    /// use racewright::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    /// use racewright::{EngineChoice, FailureKind, Scenario};
    /// use std::sync::Arc;
    ///
    /// // A flag published with `Relaxed`: only loom sees the stale data behind it.
    /// let report = Scenario::new("doc::publication").engine(EngineChoice::Loom).run(|| async {
    ///     let (data, ready) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
    ///     let writer = racewright::spawn({
    ///         let (data, ready) = (data.clone(), ready.clone());
    ///         async move {
    ///             data.store(42, Ordering::Relaxed);
    ///             ready.store(true, Ordering::Relaxed);
    ///         }
    ///     });
    ///     if ready.load(Ordering::Relaxed) {
    ///         assert_eq!(data.load(Ordering::Relaxed), 42);
    ///     }
    ///     writer.await.unwrap();
    /// });
    /// assert_eq!(report.failure().unwrap().kind(), FailureKind::Panic);
    /// ```
    pub fn engine(mut self, engine: EngineChoice) -> Self {
        self.config.engine = engine;
        self
    }

    /// The preemptions per execution loom explores (default 2): every interleaving with at
    /// most this many is tried. Higher finds deeper bugs, in many more executions.
    pub fn preemption_bound(mut self, bound: usize) -> Self {
        self.config.preemption_bound = bound;
        self
    }

    /// Whether a task alive at the end is a failure (default: deny).
    pub fn leaks(mut self, policy: Policy) -> Self {
        self.config.leaks = policy;
        self
    }

    /// Whether a task panic nobody observed is a failure (default: deny).
    pub fn unhandled_panics(mut self, policy: Policy) -> Self {
        self.config.unhandled_panics = policy;
        self
    }

    /// Whether an ERROR-level `tracing` event is a failure (default: deny).
    pub fn error_events(mut self, policy: Policy) -> Self {
        self.config.error_events = policy;
        self
    }

    /// When the virtual clock may move (default: only when every task is blocked).
    pub fn time(mut self, mode: TimeMode) -> Self {
        self.config.time = mode;
        self
    }

    /// How many threads poll the tasks (default: one per task, `MultiThread`). With
    /// `CurrentThread` one thread polls them all, as tokio's current-thread runtime (the
    /// default of `#[tokio::test]`): a task runs until it returns `Pending`, and a
    /// blocking wait (a contended `sync::blocking` lock, `Condvar::wait`) blocks every
    /// task, which is a `blocking_in_async` finding. Shuttle only.
    pub fn flavor(mut self, flavor: Flavor) -> Self {
        self.config.flavor = flavor;
        self
    }

    /// Where a task may be switched away from inside its poll (default: at every racewright
    /// call, `EveryCall`, until an execution blocks on a lock racewright cannot see). With
    /// `Pending`, only where tasks return `Pending`, as tokio suspends them, from the start:
    /// for code that calls tokio while it holds a `std` or `parking_lot` lock. Shuttle only.
    pub fn switch_points(mut self, switch_points: SwitchPoints) -> Self {
        self.config.switch_points = switch_points;
        self
    }

    /// Whether a channel dropped with messages nobody received is a failure (default: deny).
    pub fn lost_messages(mut self, policy: Policy) -> Self {
        self.config.lost_messages = policy;
        self
    }

    /// The most values an unbounded channel or a `JoinSet` may hold, and the most tasks
    /// that may be alive at once (default 1000): past it, the program has no backpressure,
    /// an `unbounded_growth` finding.
    pub fn max_queue(mut self, bound: usize) -> Self {
        self.config.max_queue = bound.max(1);
        self
    }

    /// Whether facade operations are recorded for the report's timeline (default: on).
    /// Off, failures are still found and described, without a timeline; the benchmark
    /// measures what recording costs.
    pub fn record_trace(mut self, record: bool) -> Self {
        self.config.record_trace = record;
        self
    }

    /// Explores on this many threads. The executions are dealt to a fixed number of lanes,
    /// so the verdict and the report are the same whatever the number: only the speed
    /// changes. By default the lanes use the cores that no other exploration of the process
    /// uses, when a probe finds that the scenario's executions leave each other alone (one
    /// execution, run twice with the same choices, goes the same way both times and uses
    /// only racewright primitives it made); executions that share state (a `static`, a
    /// thread-local, a primitive the closure captured) explore on one thread, with a note. `threads(1)` keeps a scenario on one thread; a larger number
    /// declares that its executions share nothing, and skips the probe.
    pub fn threads(mut self, threads: usize) -> Self {
        self.config.threads = Some(threads.max(1));
        self
    }

    /// Wall-clock time after which no new execution starts (default: none).
    pub fn budget(mut self, budget: Duration) -> Self {
        self.config.budget = Some(budget);
        self
    }

    /// Replays the one execution of a report's replay token instead of exploring, as
    /// `RACEWRIGHT_REPLAY` does (which wins over this).
    pub fn replay(mut self, token: impl Into<String>) -> Self {
        self.replay = Some(token.into());
        self
    }

    /// Stops the replay (of [`Scenario::replay`]'s token) at `step` of its timeline, as
    /// `RACEWRIGHT_STOP_AT` does (which wins over this): the report is then the execution
    /// up to that step, with the state there (where each task is, with its async stack;
    /// who holds what; who waits on whom; the virtual time), not a verdict. Racewright
    /// calls `racewright_breakpoint` there, with the execution paused, for a debugger.
    ///
    /// ```
    /// use racewright::Scenario;
    /// use racewright::sync::Mutex;
    /// use std::sync::Arc;
    ///
    /// async fn lost_update() {
    ///     let n = Arc::new(Mutex::new(0));
    ///     let task = racewright::spawn({
    ///         let n = n.clone();
    ///         async move {
    ///             let read = *n.lock().await;
    ///             racewright::task::yield_now().await;
    ///             *n.lock().await = read + 1;
    ///         }
    ///     });
    ///     let read = *n.lock().await;
    ///     racewright::task::yield_now().await;
    ///     *n.lock().await = read + 1;
    ///     task.await.unwrap();
    ///     assert_eq!(*n.lock().await, 2);
    /// }
    ///
    /// let found = Scenario::new("doc::stop_at").run(lost_update);
    /// let token = found.replay().expect("the lost update is found").token.clone();
    /// let stopped = Scenario::new("doc::stop_at").replay(token).stop_at(3).run(lost_update);
    /// assert_eq!(stopped.stopped_at(), Some(3));
    /// assert!(stopped.to_string().contains("stopped at step 3"));
    /// ```
    pub fn stop_at(mut self, step: usize) -> Self {
        self.stop_at = Some(step);
        self
    }

    /// Where the test lives, for the replay command of its report. The attribute sets it.
    #[doc(hidden)]
    pub fn __origin(
        mut self,
        package: &str,
        crate_name: &str,
        manifest_dir: &str,
        module_path: &str,
        function: &str,
    ) -> Self {
        let target = (crate_name != package.replace('-', "_")).then(|| crate_name.to_string());
        let inner = module_path.split_once("::").map(|(_, inner)| format!("{inner}::")).unwrap_or_default();
        self.origin = Some(pipeline::origin::Origin {
            package: package.to_string(),
            target,
            test: format!("{inner}{function}"),
            manifest_dir: Some(std::path::PathBuf::from(manifest_dir)),
        });
        self
    }

    /// The scenario's name, the test's path.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Applies the `RACEWRIGHT_*` overrides of the environment.
    pub fn with_env_overrides(mut self) -> Result<Self, EnvError> {
        let overrides = env::overrides()?;
        if let Some(iterations) = overrides.iterations {
            self.config.iterations = iterations;
            self.config.iterations_given = true;
        }
        match overrides.seed {
            Some(env::SeedChoice::Fixed(seed)) => self.config.seed = Some(seed),
            Some(env::SeedChoice::Random) => self.config.seed = Some(fresh_seed()),
            None => {}
        }
        if let Some(strategy) = overrides.strategy {
            self.config.strategy = strategy.resolve(self.config.depth);
        }
        if let Some(budget) = overrides.budget {
            self.config.budget = Some(budget);
        }
        if let Some(stall) = overrides.stall {
            self.config.stall = stall;
        }
        if overrides.replay.is_some() {
            self.replay = overrides.replay;
        }
        if overrides.stop_at.is_some() {
            self.stop_at = overrides.stop_at;
        }
        if let Some(engine) = overrides.engine {
            self.config.engine = engine;
        }
        Ok(self)
    }

    /// Explores the body's interleavings and reports the first failure found.
    ///
    /// `body` makes the scenario's future, once per execution. Environment overrides
    /// apply.
    ///
    /// # Panics
    /// If a `RACEWRIGHT_*` variable is malformed or unknown: the message names it and what
    /// it accepts, and the panic points at the caller.
    #[track_caller]
    pub fn run<F, Fut>(&self, body: F) -> Report
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future + 'static,
        Fut::Output: TestResult,
    {
        let scenario = match self.clone().with_env_overrides() {
            Ok(scenario) => scenario,
            Err(error) => panic!("{error}"),
        };
        scenario.explore(body)
    }

    fn explore<F, Fut>(self, body: F) -> Report
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future + 'static,
        Fut::Output: TestResult,
    {
        let body: Body = Arc::new(move || body().map(TestResult::into_outcome).boxed_local());
        let replay = match (self.replay.as_deref(), self.stop_at) {
            (Some(token), stop_at) => Some(pipeline::Replaying { token, stop_at }),
            (None, Some(step)) => panic!(
                "racewright: Scenario::stop_at({step}) stops a replay: give the token of a report's replay line with \
                 Scenario::replay (or RACEWRIGHT_REPLAY)"
            ),
            (None, None) => None,
        };
        pipeline::run(&self.name, &self.config, self.origin.as_ref(), body, replay)
    }
}

/// What a test body may return: `()`, or `Result<(), E: Debug>` whose `Err` is a
/// failure of kind [`FailureKind::Error`].
pub trait TestResult {
    /// `Err` with the error's `Debug` form on failure.
    fn into_outcome(self) -> Result<(), String>;
}

impl TestResult for () {
    fn into_outcome(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: std::fmt::Debug> TestResult for Result<(), E> {
    fn into_outcome(self) -> Result<(), String> {
        self.map_err(|error| format!("{error:?}"))
    }
}

/// Runs `body` with the default configuration and panics with the report if any
/// execution fails.
///
/// ```
/// racewright::check(|| async {
///     let (tx, rx) = racewright::sync::oneshot::channel();
///     racewright::spawn(async move { tx.send(7).unwrap() });
///     assert_eq!(rx.await.unwrap(), 7);
/// });
/// ```
#[track_caller]
pub fn check<F, Fut>(body: F)
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future + 'static,
    Fut::Output: TestResult,
{
    let location = std::panic::Location::caller();
    let name = format!("{}:{}", crate::model::paths::relative(location.file()), location.line());
    let report = Scenario::new(name).run(body);
    if report.failure().is_some() || report.harness_error().is_some() {
        panic!("{report}");
    }
}

/// Runs a `#[racewright::test]`: the attribute expands to a call of this. Returns the
/// report of a test that passed, for its snapshot. A failure panics at the caller, so
/// `cargo test` points at the test, not into racewright.
#[doc(hidden)]
#[track_caller]
pub fn run_test<F, Fut>(scenario: Scenario, expect: Option<FailureKind>, body: F) -> Report
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future + 'static,
    Fut::Output: TestResult,
{
    let scenario_origin = scenario.origin.clone();
    let report = scenario.run(body);
    if let Some(error) = report.harness_error() {
        panic!("racewright internal error (a bug of racewright, not of the test): {error}\n\n{report}");
    }
    let verdict = match expect {
        // A stopped replay is no verdict: it shows the state at its step.
        _ if report.stopped_at().is_some() => Err(format!("{report}")),
        None if report.failure().is_some() => Err(format!("{report}")),
        None if report.limit().is_some() => {
            Err(format!("racewright: the exploration could not give its answer, which is not a pass\n\n{report}"))
        }
        None => Ok(()),
        Some(kind) if report.failures().iter().any(|failure| failure.kind() == kind) => Ok(()),
        Some(kind) => Err(format!(
            "racewright: expected a failure of kind `{kind}`, but {}\n\n{report}",
            match report.failure() {
                None => format!("none of {} executions failed", report.executions()),
                Some(failure) => format!("found `{}` instead", failure.kind()),
            }
        )),
    };
    if let Err(message) = verdict {
        // Loom's reruns have no token: its search is deterministic, and finds the failure again.
        let kept = report.replay().filter(|replay| !replay.token.is_empty() && report.stopped_at().is_none());
        if let (Some(origin), Some(replay)) = (&scenario_origin, kept) {
            pipeline::regressions::save(origin, &replay.token);
        }
        let written = report
            .persist()
            .map(|path| {
                let html = path.with_extension("html");
                format!("\n(report written to {}; step through it in {})", path.display(), html.display())
            })
            .unwrap_or_default();
        panic!("{message}{written}");
    }
    if !report.notes().is_empty() {
        announce_notes(&report);
    }
    report
}

/// Says on the process's stderr what a passing test's exploration could not vouch for:
/// the report of a pass is not printed, and `cargo test` captures what a test prints.
fn announce_notes(report: &Report) {
    use std::io::Write as _;
    let mut text = format!("racewright: `{}` passed, but:", report.test());
    for note in report.notes() {
        text.push_str(&format!("\n  note: {note}"));
    }
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

fn fresh_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}
