//! Exploration strategies: which schedules to try, behind shuttle's `Scheduler` trait.

mod pct;
mod portfolio;
mod pos;
mod random;
mod urw;

use std::fmt;
use std::str::FromStr;

use shuttle::scheduler::{DfsScheduler, Scheduler};

use pct::Pct;
use portfolio::Portfolio;
use pos::Pos;
use random::RandomWalk;
use urw::Urw;

/// How executions are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Strategy {
    /// URW, POS, random walks and PCT of depth 3 take turns, one execution each, in a fixed
    /// pattern: URW five eighths of the executions, POS a quarter, random and PCT a sixteenth
    /// each. A good default for unknown bugs: no member's blind spot survives, and the same
    /// seed gives the same executions.
    Portfolio,
    /// A uniformly random runnable task at every step.
    Random,
    /// Probabilistic Concurrency Testing (Burckhardt et al., ASPLOS 2010): finds a bug of
    /// depth `depth` with a probability bounded from below at every execution.
    Pct {
        /// The number of ordering constraints the bug needs (priority change points + 1).
        depth: usize,
    },
    /// Depth-first enumeration of schedules: exhaustive for small scenarios.
    Dfs,
    /// Partial Order Sampling (Yuan et al., CAV 2018): random priorities per step, so
    /// runs where one task gets far ahead are sampled as often as any other.
    Pos,
    /// Uniform Random Walk (Zhao et al., ASPLOS 2025): each runnable task weighed by the
    /// steps it still has to take, so every interleaving is about equally likely.
    Urw,
}

impl Strategy {
    /// The PCT depth used when none is given.
    pub const DEFAULT_DEPTH: usize = 3;

    /// The scheduler that realises this strategy.
    pub(crate) fn scheduler(self, seed: u64, iterations: usize) -> Box<dyn Scheduler> {
        match self {
            Strategy::Portfolio => Box::new(Portfolio::new(seed, iterations)),
            Strategy::Random => Box::new(RandomWalk::new(seed, iterations)),
            Strategy::Pct { depth } => Box::new(Pct::new(seed, depth, iterations)),
            // Random data (`select!`'s branch order) is fixed per execution: DFS enumerates
            // schedules, not data, and a replay hands the recorded values back.
            Strategy::Dfs => Box::new(DfsScheduler::new(Some(iterations), true)),
            Strategy::Pos => Box::new(Pos::new(seed, iterations)),
            Strategy::Urw => Box::new(Urw::new(seed, iterations)),
        }
    }

    /// Parses a strategy name as the attribute and `RACEWRIGHT_STRATEGY` accept it.
    pub fn parse(name: &str, depth: usize) -> Result<Strategy, String> {
        match name {
            "portfolio" => Ok(Strategy::Portfolio),
            "random" => Ok(Strategy::Random),
            "pct" => Ok(Strategy::Pct { depth }),
            "dfs" => Ok(Strategy::Dfs),
            "pos" => Ok(Strategy::Pos),
            "urw" => Ok(Strategy::Urw),
            other => Err(format!(
                "unknown strategy \"{other}\"; expected one of \"portfolio\", \"random\", \"pct\", \"dfs\", \"pos\", \"urw\""
            )),
        }
    }
}

impl FromStr for Strategy {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Strategy::parse(name, Strategy::DEFAULT_DEPTH)
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Strategy::Portfolio => f.write_str("portfolio"),
            Strategy::Random => f.write_str("random"),
            Strategy::Pct { depth } => write!(f, "pct(depth {depth})"),
            Strategy::Dfs => f.write_str("dfs"),
            Strategy::Pos => f.write_str("pos"),
            Strategy::Urw => f.write_str("urw"),
        }
    }
}
