//! Every `RACEWRIGHT_*` environment variable is read here, and nowhere else.
//!
//! A variable that is set overrides the attribute; a malformed one is an error that
//! names the variable and what it accepts, never a silent default. A `RACEWRIGHT_*` name
//! racewright does not read (in any case: names are upper case) is an error too, naming
//! the closest one it reads: a misspelt override is never silently ignored.

use std::fmt;
use std::time::Duration;

use super::config::EngineChoice;
use super::strategies::Strategy;

/// `RACEWRIGHT_ITERATIONS`: executions per engine, a positive integer.
pub const ITERATIONS: &str = "RACEWRIGHT_ITERATIONS";
/// `RACEWRIGHT_SEED`: a number, or `random` for a fresh seed each run.
pub const SEED: &str = "RACEWRIGHT_SEED";
/// `RACEWRIGHT_STRATEGY`: a strategy's name, as the attribute takes it (`portfolio`, `urw`...).
pub const STRATEGY: &str = "RACEWRIGHT_STRATEGY";
/// `RACEWRIGHT_BUDGET`: wall-clock seconds per test, a positive number.
pub const BUDGET: &str = "RACEWRIGHT_BUDGET";
/// `RACEWRIGHT_STALL`: seconds an execution may go without a scheduling point before the
/// watchdog gives it up as stuck, a positive number (default 10).
pub const STALL: &str = "RACEWRIGHT_STALL";
/// `RACEWRIGHT_REPLAY`: a token from a report's replay line.
pub const REPLAY: &str = "RACEWRIGHT_REPLAY";
/// `RACEWRIGHT_STOP_AT`: with `RACEWRIGHT_REPLAY`, a step of the report's timeline where
/// the replay stops, with the state there printed.
pub const STOP_AT: &str = "RACEWRIGHT_STOP_AT";
/// `RACEWRIGHT_ENGINE`: `shuttle`, `loom` or `all`.
pub const ENGINE: &str = "RACEWRIGHT_ENGINE";
/// `RACEWRIGHT_REGRESSIONS`: `on` (replay the kept failing schedules first, keep new
/// ones), `replay-only` (replay, keep nothing new) or `off` (neither).
pub const REGRESSIONS: &str = "RACEWRIGHT_REGRESSIONS";
/// Set by racewright for the child process that runs a test's loom exploration: where
/// the child writes its report. Not for users.
pub(crate) const LOOM_CHILD: &str = "RACEWRIGHT_LOOM_CHILD";

/// The variables a user sets, in the order the README lists them.
const USER_VARIABLES: [&str; 9] = [ITERATIONS, SEED, STRATEGY, BUDGET, STALL, ENGINE, REPLAY, STOP_AT, REGRESSIONS];
/// Names set for racewright's own processes, valid but never suggested: the loom child's,
/// and those of this repository's benchmark (`scenarios/benches/exploration.rs`) and
/// tests that run their own binary again (`tests/tests/watchdog.rs`, `outside_world.rs`),
/// whose processes run scenarios too.
const INTERNAL_VARIABLES: [&str; 3] = [LOOM_CHILD, "RACEWRIGHT_BENCH_ITERATIONS", "RACEWRIGHT_WATCHDOG_CHILD"];
const PREFIX: &str = "RACEWRIGHT_";

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
    pub(crate) stall: Option<Duration>,
    /// Checked against the test when it runs (a token names its test).
    pub(crate) replay: Option<String>,
    /// The step where the replay stops; never without `replay`.
    pub(crate) stop_at: Option<usize>,
    pub(crate) engine: Option<EngineChoice>,
    pub(crate) regressions: Option<Regressions>,
}

/// What is done with a test's regression file (`explore/regressions.rs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Regressions {
    /// Replay the kept schedules first; keep the schedule of a new failure.
    #[default]
    On,
    /// Replay the kept schedules; write nothing.
    ReplayOnly,
    /// Neither read nor write the file.
    Off,
}

impl Regressions {
    /// From the environment, checked when the scenario started (`overrides`).
    pub(crate) fn from_env() -> Regressions {
        overrides().ok().and_then(|overrides| overrides.regressions).unwrap_or_default()
    }
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

/// A malformed `RACEWRIGHT_*` variable, or one racewright does not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvError(Problem);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Problem {
    Malformed {
        variable: &'static str,
        value: String,
        accepted: String,
    },
    Unknown {
        variable: String,
        closest: &'static str,
    },
    /// `variable` means nothing without `needs`.
    Alone {
        variable: &'static str,
        value: String,
        needs: &'static str,
        why: &'static str,
    },
}

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Problem::Malformed { variable, value, accepted } => {
                write!(f, "racewright: {variable}={value:?} is not valid; it accepts {accepted}")
            }
            Problem::Unknown { variable, closest } => {
                let case = if variable.eq_ignore_ascii_case(closest) { " (names are upper case)" } else { "" };
                write!(
                    f,
                    "racewright: unknown variable {variable}; did you mean {closest}{case}? racewright reads {}",
                    USER_VARIABLES.join(", ")
                )
            }
            Problem::Alone { variable, value, needs, why } => {
                write!(f, "racewright: {variable}={value:?} needs {needs}: {why}")
            }
        }
    }
}

impl std::error::Error for EnvError {}

/// Reads the overrides from the process environment.
pub(crate) fn overrides() -> Result<Overrides, EnvError> {
    // A name or value that is not UTF-8 is kept, lossily, so that it is refused below, never ignored.
    let variables: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(name, value)| {
            let name = name.to_string_lossy();
            is_racewright_name(&name).then(|| (name.into_owned(), value.to_string_lossy().into_owned()))
        })
        .collect();
    overrides_from(&variables)
}

/// Reads the overrides from `variables` (name, value), the `RACEWRIGHT_*` part of an
/// environment.
fn overrides_from(variables: &[(String, String)]) -> Result<Overrides, EnvError> {
    if let Some((unknown, _)) = variables.iter().find(|(name, _)| {
        is_racewright_name(name)
            && !USER_VARIABLES.contains(&name.as_str())
            && !INTERNAL_VARIABLES.contains(&name.as_str())
    }) {
        return Err(EnvError(Problem::Unknown { variable: unknown.clone(), closest: closest(unknown) }));
    }
    let lookup = |variable: &str| variables.iter().find(|(name, _)| name == variable).map(|(_, value)| value.clone());
    let read = |variable: &'static str| lookup(variable).filter(|value| !value.is_empty());
    let error = |variable, value: &str, accepted: &str| {
        EnvError(Problem::Malformed { variable, value: value.to_string(), accepted: accepted.to_string() })
    };

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
            Err(_) => return Err(error(STRATEGY, &value, &accepted("strategy"))),
        },
    };
    let seconds = |variable: &'static str, example: &'static str| match read(variable) {
        None => Ok(None),
        Some(value) => match value.trim().parse::<f64>().ok().filter(|seconds| *seconds > 0.0) {
            Some(seconds) => {
                Duration::try_from_secs_f64(seconds).map(Some).map_err(|_| error(variable, &value, example))
            }
            None => Err(error(variable, &value, example)),
        },
    };
    let budget = seconds(BUDGET, "a positive number of seconds, e.g. 30 or 2.5")?;
    let stall = seconds(STALL, "a positive number of seconds, e.g. 10 or 0.5")?;
    // An empty token is a mistake (an unset shell variable), not a request to explore.
    let replay = match lookup(REPLAY) {
        Some(token) if token.trim().is_empty() => {
            return Err(error(REPLAY, &token, "a token from a report's replay line, e.g. v2.shuttle.…"));
        }
        token => token.map(|token| token.trim().to_string()),
    };
    let stop_at = match read(STOP_AT) {
        None => None,
        Some(value) => match value.trim().parse::<usize>() {
            Ok(step) => Some(step),
            Err(_) => return Err(error(STOP_AT, &value, "a step number of the report's timeline, e.g. 12")),
        },
    };
    if let (Some(_), None) = (stop_at, &replay) {
        return Err(EnvError(Problem::Alone {
            variable: STOP_AT,
            value: read(STOP_AT).unwrap_or_default(),
            needs: REPLAY,
            why: "it stops the replay of a failing execution at that step; set RACEWRIGHT_REPLAY to the token of \
                  the report's replay line. A loom report has no token (loom cannot run one execution of its \
                  search alone), so a failure only loom found cannot be stopped at a step",
        }));
    }
    let engine = match read(ENGINE) {
        None => None,
        Some(value) => match EngineChoice::parse(value.trim()) {
            Ok(engine) => Some(engine),
            Err(_) => return Err(error(ENGINE, &value, "`shuttle`, `loom` or `all`")),
        },
    };
    let regressions = match read(REGRESSIONS) {
        None => None,
        Some(value) => match value.trim() {
            "on" => Some(Regressions::On),
            "replay-only" => Some(Regressions::ReplayOnly),
            "off" => Some(Regressions::Off),
            _ => return Err(error(REGRESSIONS, &value, "`on`, `replay-only` or `off`")),
        },
    };
    Ok(Overrides { iterations, seed, strategy, budget, stall, replay, stop_at, engine, regressions })
}

/// Whether `name` is in racewright's namespace: `RACEWRIGHT_` in any case.
fn is_racewright_name(name: &str) -> bool {
    name.get(..PREFIX.len()).is_some_and(|prefix| prefix.eq_ignore_ascii_case(PREFIX))
}

/// The user variable closest to `name` by edit distance, ignoring case.
fn closest(name: &str) -> &'static str {
    let name = name.to_ascii_uppercase();
    USER_VARIABLES.into_iter().min_by_key(|known| edit_distance(&name, known)).expect("the list is not empty")
}

/// Levenshtein distance: the fewest insertions, deletions and substitutions of characters
/// that turn `a` into `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    // `row[j]`: the distance between the prefix of `a` read so far and `b[..j]`.
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, b_char) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(a_char != *b_char);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

fn parse_u64(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// The names an attribute argument accepts, for an error: `` `a`, `b` or `c` ``.
fn accepted(argument: &str) -> String {
    let names = super::attribute::VALUES
        .iter()
        .find(|(name, _)| *name == argument)
        .map(|(_, names)| *names)
        .unwrap_or_default();
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Result<Overrides, EnvError> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        overrides_from(&pairs)
    }

    #[test]
    fn unset_variables_override_nothing() {
        assert_eq!(env(&[]).unwrap(), Overrides::default());
    }

    #[test]
    fn well_formed_values_are_read() {
        let read = env(&[
            (ITERATIONS, "50"),
            (SEED, "0x10"),
            (STRATEGY, "pct"),
            (BUDGET, "2.5"),
            (STALL, "0.5"),
            (ENGINE, "loom"),
            (REGRESSIONS, "replay-only"),
        ])
        .unwrap();
        assert_eq!(read.regressions, Some(Regressions::ReplayOnly));
        assert_eq!(read.engine, Some(EngineChoice::Loom));
        assert_eq!(read.iterations, Some(50));
        assert_eq!(read.seed, Some(SeedChoice::Fixed(16)));
        assert_eq!(read.strategy.unwrap().resolve(5), Strategy::Pct { depth: 5 });
        assert_eq!(read.budget, Some(Duration::from_millis(2500)));
        assert_eq!(read.stall, Some(Duration::from_millis(500)));
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
            (STALL, "0", "seconds"),
            (STALL, "never", "seconds"),
            (REPLAY, " ", "token"),
            (ENGINE, "tokio", "`shuttle`, `loom` or `all`"),
            (REGRESSIONS, "no", "`on`, `replay-only` or `off`"),
            (STOP_AT, "middle", "step number"),
            (STOP_AT, "-1", "step number"),
        ] {
            let message = env(&[(variable, value)]).unwrap_err().to_string();
            assert!(message.contains(variable), "{message}");
            assert!(message.contains(value), "{message}");
            assert!(message.contains(accepted), "{message}");
        }
    }

    #[test]
    fn a_step_to_stop_at_is_read_with_a_token_and_refused_without_one() {
        let read = env(&[(REPLAY, "v2.token"), (STOP_AT, " 12 ")]).unwrap();
        assert_eq!((read.replay.as_deref(), read.stop_at), (Some("v2.token"), Some(12)));
        let alone = env(&[(STOP_AT, "12")]).unwrap_err().to_string();
        assert!(alone.contains("RACEWRIGHT_STOP_AT=\"12\" needs RACEWRIGHT_REPLAY"), "{alone}");
        assert!(alone.contains("loom"), "{alone}");
    }

    #[test]
    fn a_misspelt_name_is_an_error_naming_the_closest_one_and_the_accepted_ones() {
        for (misspelt, closest) in [
            ("RACEWRIGHT_ITERATION", ITERATIONS),
            ("racewright_iterations", ITERATIONS),
            ("Racewright_Seed", SEED),
            ("RACEWRIGHT_STRATEGIE", STRATEGY),
            ("RACEWRIGHT_REPLAY_TOKEN", REPLAY),
            ("RACEWRIGHT_ENGNE", ENGINE),
            ("RACEWRIGHT_BUDGET_SECS", BUDGET),
            ("RACEWRIGHT_STOPAT", STOP_AT),
        ] {
            let message = env(&[(misspelt, "5")]).unwrap_err().to_string();
            assert!(message.contains(&format!("unknown variable {misspelt}; did you mean {closest}")), "{message}");
            for accepted in USER_VARIABLES {
                assert!(message.contains(accepted), "{message}");
            }
            assert!(!message.contains(LOOM_CHILD), "internal names are not offered: {message}");
        }
        assert!(env(&[("racewright_iterations", "5")]).unwrap_err().to_string().contains("(names are upper case)"));
    }

    #[test]
    fn every_name_racewright_or_its_repository_sets_is_accepted() {
        for name in USER_VARIABLES.into_iter().chain(INTERNAL_VARIABLES) {
            let value = match name {
                STRATEGY => "pct",
                ENGINE => "loom",
                REPLAY => "v1.token",
                REGRESSIONS => "off",
                _ => "1",
            };
            // A step to stop at goes with a token.
            assert!(env(&[(name, value), (REPLAY, "v1.token")]).is_ok(), "{name}");
        }
        // Only the prefix is racewright's.
        assert!(env(&[("RACEWRIGHTS_ITERATION", "5"), ("MY_RACEWRIGHT_X", "1")]).is_ok());
    }

    #[test]
    fn edit_distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(edit_distance("SEED", "SEED"), 0);
        assert_eq!(edit_distance("SED", "SEED"), 1);
        assert_eq!(edit_distance("SEEDS", "SEED"), 1);
        assert_eq!(edit_distance("SEAD", "SEED"), 1);
        assert_eq!(edit_distance("", "SEED"), 4);
        assert_eq!(edit_distance("KITTEN", "SITTING"), 3);
    }
}
