//! What a scenario asks of the exploration, and the settings each execution sees.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::strategies::Strategy;
pub(crate) use crate::run::settings::Settings;
pub use crate::run::settings::{Flavor, Policy, SwitchPoints, TimeMode};

/// Which engine, or engines, explore a scenario.
///
/// ```
/// use racewright::EngineChoice;
///
/// assert_eq!("all".parse::<EngineChoice>(), Ok(EngineChoice::All));
/// assert_eq!(EngineChoice::Loom.to_string(), "loom");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum EngineChoice {
    /// Shuttle samples interleavings with the chosen strategy (the default).
    #[default]
    Shuttle,
    /// Loom enumerates every interleaving within `preemption_bound` (DPOR), and models
    /// weak memory: what a `Relaxed` load may read. For small scenarios: at most
    /// 4 tasks besides the body.
    Loom,
    /// Shuttle, then loom when the scenario fits loom's limits.
    All,
}

impl EngineChoice {
    /// Parses an engine name as the attribute and `RACEWRIGHT_ENGINE` accept it.
    pub fn parse(name: &str) -> Result<EngineChoice, String> {
        match name {
            "shuttle" => Ok(EngineChoice::Shuttle),
            "loom" => Ok(EngineChoice::Loom),
            "all" => Ok(EngineChoice::All),
            other => Err(format!("unknown engine \"{other}\"; expected one of \"shuttle\", \"loom\", \"all\"")),
        }
    }
}

impl FromStr for EngineChoice {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        EngineChoice::parse(name)
    }
}

impl fmt::Display for EngineChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EngineChoice::Shuttle => "shuttle",
            EngineChoice::Loom => "loom",
            EngineChoice::All => "all",
        })
    }
}

/// The defaults of the `#[racewright::test]` attribute.
pub(crate) mod defaults {
    /// Executions per engine.
    pub(crate) const ITERATIONS: usize = 1000;
    /// Scheduling steps before an execution counts as a livelock.
    pub(crate) const MAX_STEPS: usize = 100_000;
    /// Preemptions per execution that loom explores.
    pub(crate) const PREEMPTION_BOUND: usize = 2;
    /// Executions loom may take when `iterations` is not given: its search is exhaustive,
    /// and a correct scenario of 3 or 4 tasks (a JoinSet fan-out, an actor with two
    /// clients, a pool of three workers) needs from hundreds to about 12 000 of them at
    /// bound 2. Shuttle's 1000 samples would cut those short, and an incomplete search is
    /// never a pass.
    pub(crate) const LOOM_ITERATIONS: usize = 100_000;
    /// How long an execution may go without a scheduling point. A step of a test is a few
    /// microseconds of its code between two racewright calls; ten seconds of none is a
    /// task that spins or blocks outside racewright's control, even on a slow machine.
    pub(crate) const STALL: std::time::Duration = std::time::Duration::from_secs(10);
    /// Values an unbounded queue may hold, and tasks that may be alive at once: far more
    /// than a test needs, far fewer than a program without backpressure reaches.
    pub(crate) const MAX_QUEUE: usize = 1000;
}

/// The configuration of [`Scenario`](crate::Scenario), before environment overrides.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) iterations: usize,
    /// `iterations` was given (by the attribute, the scenario or the environment).
    pub(crate) iterations_given: bool,
    pub(crate) seed: Option<u64>,
    pub(crate) strategy: Strategy,
    pub(crate) depth: usize,
    pub(crate) max_steps: usize,
    pub(crate) leaks: Policy,
    pub(crate) unhandled_panics: Policy,
    pub(crate) error_events: Policy,
    pub(crate) budget: Option<Duration>,
    /// How long an execution may go without a scheduling point before the watchdog gives
    /// it up as stuck.
    pub(crate) stall: Duration,
    pub(crate) time: TimeMode,
    pub(crate) flavor: Flavor,
    /// Where a task may be switched away from inside its poll: at every call, until an
    /// execution blocks outside racewright's control (then only where tasks return
    /// `Pending`, see `pipeline/shuttle.rs`).
    pub(crate) switch_points: SwitchPoints,
    pub(crate) lost_messages: Policy,
    pub(crate) max_queue: usize,
    pub(crate) record_trace: bool,
    pub(crate) engine: EngineChoice,
    pub(crate) preemption_bound: usize,
    /// Threads the exploration uses; `None` for the idle cores, when a probe finds that the
    /// executions leave each other alone. Never changes the verdict.
    pub(crate) threads: Option<usize>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            iterations: defaults::ITERATIONS,
            iterations_given: false,
            seed: None,
            strategy: Strategy::Portfolio,
            depth: Strategy::DEFAULT_DEPTH,
            max_steps: defaults::MAX_STEPS,
            leaks: Policy::Deny,
            unhandled_panics: Policy::Deny,
            error_events: Policy::Deny,
            budget: None,
            stall: defaults::STALL,
            time: TimeMode::Idle,
            flavor: Flavor::MultiThread,
            switch_points: SwitchPoints::EveryCall,
            lost_messages: Policy::Deny,
            max_queue: defaults::MAX_QUEUE,
            record_trace: true,
            engine: EngineChoice::Shuttle,
            preemption_bound: defaults::PREEMPTION_BOUND,
            threads: None,
        }
    }
}

impl Config {
    /// The executions loom may take: those given, or loom's own default.
    pub(crate) fn loom_iterations(&self) -> usize {
        if self.iterations_given { self.iterations } else { defaults::LOOM_ITERATIONS }
    }

    pub(crate) fn settings(&self) -> Settings {
        Settings {
            max_steps: self.max_steps,
            leaks: self.leaks,
            unhandled_panics: self.unhandled_panics,
            error_events: self.error_events,
            time: self.time,
            flavor: self.flavor,
            switch_points: self.switch_points,
            lost_messages: self.lost_messages,
            max_queue: self.max_queue,
            record_trace: self.record_trace,
        }
    }
}

/// The seed of a test that names none: the same for the same test path, on every machine.
pub(crate) fn seed_for(name: &str) -> u64 {
    // FNV-1a: stable across Rust versions, unlike `DefaultHasher`.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}
