//! Every `RACEWRIGHT_*` environment variable is read here, and nowhere else.
//!
//! A variable that is set overrides the attribute; a malformed one is an error that
//! names the variable and what it accepts, never a silent default.

use std::fmt;
use std::time::Duration;

use super::config::EngineChoice;
use super::strategies::Strategy;

/// `RACEWRIGHT_ITERATIONS`: executions per engine, a positive integer.
pub const ITERATIONS: &str = "RACEWRIGHT_ITERATIONS";
/// `RACEWRIGHT_SEED`: a number, or `random` for a fresh seed each run.
pub const SEED: &str = "RACEWRIGHT_SEED";
/// `RACEWRIGHT_STRATEGY`: `portfolio`, `random`, `pct`, `dfs` or `pos`.
pub const STRATEGY: &str = "RACEWRIGHT_STRATEGY";
/// `RACEWRIGHT_BUDGET`: wall-clock seconds per test, a positive number.
pub const BUDGET: &str = "RACEWRIGHT_BUDGET";
/// `RACEWRIGHT_REPLAY`: a token from a report's replay line.
pub const REPLAY: &str = "RACEWRIGHT_REPLAY";
/// `RACEWRIGHT_ENGINE`: `shuttle`, `loom` or `all`.
pub const ENGINE: &str = "RACEWRIGHT_ENGINE";
/// Set by racewright for the child process that runs a test's loom exploration: where
/// the child writes its report. Not for users.
pub(crate) const LOOM_CHILD: &str = "RACEWRIGHT_LOOM_CHILD";

/// Where this process, a loom child, writes its report; `None` in any other process.
pub(crate) fn loom_child() -> Option<std::path::PathBuf> {
    std::env::var_os(LOOM_CHILD).filter(|path| !path.is_empty()).map(std::path::PathBuf::from)
}

/// The overrides found in the environment.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Overrides {
    pub(crate) iterations: Option<usize>,
    pub(crate) seed: Option<SeedChoice>,
    pub(crate) strategy: Option<StrategyName>,
    pub(crate) budget: Option<Duration>,
    /// Checked against the test when it runs (a token names its test).
    pub(crate) replay: Option<String>,
    pub(crate) engine: Option<EngineChoice>,
}

/// A seed from the environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SeedChoice {
    Fixed(u64),
    Random,
}

/// A strategy named in the environment; PCT keeps the attribute's depth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StrategyName(String);

impl StrategyName {
    pub(crate) fn resolve(&self, depth: usize) -> Strategy {
        Strategy::parse(&self.0, depth).expect("validated when read")
    }
}

/// A malformed `RACEWRIGHT_*` variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvError {
    variable: &'static str,
    value: String,
    accepted: &'static str,
}

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "racewright: {}={:?} is not valid; it accepts {}", self.variable, self.value, self.accepted)
    }
}

impl std::error::Error for EnvError {}

/// Reads the overrides from the process environment.
pub(crate) fn overrides() -> Result<Overrides, EnvError> {
    // A value that is not UTF-8 is kept, lossily, so that it is refused below, never ignored.
    overrides_from(|name| std::env::var_os(name).map(|value| value.to_string_lossy().into_owned()))
}

/// Reads the overrides through `lookup`, for tests.
pub(crate) fn overrides_from(lookup: impl Fn(&str) -> Option<String>) -> Result<Overrides, EnvError> {
    let read = |variable: &'static str| lookup(variable).filter(|value| !value.is_empty());
    let error = |variable, value: &str, accepted| EnvError { variable, value: value.to_string(), accepted };

    let iterations = match read(ITERATIONS) {
        None => None,
        Some(value) => match value.trim().parse::<usize>() {
            Ok(n) if n > 0 => Some(n),
            _ => return Err(error(ITERATIONS, &value, "a positive integer, e.g. 1000")),
        },
    };
    let seed = match read(SEED) {
        None => None,
        Some(value) if value.trim() == "random" => Some(SeedChoice::Random),
        Some(value) => match parse_u64(value.trim()) {
            Some(seed) => Some(SeedChoice::Fixed(seed)),
            None => return Err(error(SEED, &value, "an unsigned 64-bit number (decimal or 0x-hex), or `random`")),
        },
    };
    let strategy = match read(STRATEGY) {
        None => None,
        Some(value) => match Strategy::parse(value.trim(), Strategy::DEFAULT_DEPTH) {
            Ok(_) => Some(StrategyName(value.trim().to_string())),
            Err(_) => return Err(error(STRATEGY, &value, "`portfolio`, `random`, `pct`, `dfs` or `pos`")),
        },
    };
    let budget = match read(BUDGET) {
        None => None,
        Some(value) => match value.trim().parse::<f64>() {
            Ok(seconds) if seconds > 0.0 => match Duration::try_from_secs_f64(seconds) {
                Ok(budget) => Some(budget),
                Err(_) => return Err(error(BUDGET, &value, "a positive number of seconds, e.g. 30 or 2.5")),
            },
            _ => return Err(error(BUDGET, &value, "a positive number of seconds, e.g. 30 or 2.5")),
        },
    };
    // An empty token is a mistake (an unset shell variable), not a request to explore.
    let replay = match lookup(REPLAY) {
        Some(token) if token.trim().is_empty() => {
            return Err(error(REPLAY, &token, "a token from a report's replay line, e.g. v1.shuttle.…"));
        }
        token => token.map(|token| token.trim().to_string()),
    };
    let engine = match read(ENGINE) {
        None => None,
        Some(value) => match EngineChoice::parse(value.trim()) {
            Ok(engine) => Some(engine),
            Err(_) => return Err(error(ENGINE, &value, "`shuttle`, `loom` or `all`")),
        },
    };
    Ok(Overrides { iterations, seed, strategy, budget, replay, engine })
}

fn parse_u64(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Result<Overrides, EnvError> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        overrides_from(move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn unset_variables_override_nothing() {
        assert_eq!(env(&[]).unwrap(), Overrides::default());
    }

    #[test]
    fn well_formed_values_are_read() {
        let read =
            env(&[(ITERATIONS, "50"), (SEED, "0x10"), (STRATEGY, "pct"), (BUDGET, "2.5"), (ENGINE, "loom")]).unwrap();
        assert_eq!(read.engine, Some(EngineChoice::Loom));
        assert_eq!(read.iterations, Some(50));
        assert_eq!(read.seed, Some(SeedChoice::Fixed(16)));
        assert_eq!(read.strategy.unwrap().resolve(5), Strategy::Pct { depth: 5 });
        assert_eq!(read.budget, Some(Duration::from_millis(2500)));
        assert_eq!(env(&[(SEED, "random")]).unwrap().seed, Some(SeedChoice::Random));
    }

    #[test]
    fn malformed_values_name_the_variable_and_what_it_accepts() {
        for (variable, value, accepted) in [
            (ITERATIONS, "lots", "positive integer"),
            (ITERATIONS, "0", "positive integer"),
            (SEED, "-3", "`random`"),
            (STRATEGY, "bfs", "`portfolio`"),
            (BUDGET, "soon", "seconds"),
            (BUDGET, "1e30", "seconds"),
            (REPLAY, " ", "token"),
            (ENGINE, "tokio", "`shuttle`, `loom` or `all`"),
        ] {
            let message = env(&[(variable, value)]).unwrap_err().to_string();
            assert!(message.contains(variable), "{message}");
            assert!(message.contains(value), "{message}");
            assert!(message.contains(accepted), "{message}");
        }
    }
}
