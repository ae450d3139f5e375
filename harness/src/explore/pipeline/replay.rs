//! Replay tokens, and the scheduler that follows a recorded schedule.
//!
//! A token is readable: `v1.shuttle.1f2e3d4c.e17.p3.0x4-2-1x2-i-0[.r9a,ff]` is format
//! version 1, the shuttle engine, a hash of the test's name, the failing execution's
//! number, the preemptions before shrinking, and the choices, run-length encoded, as
//! task ids in spawn order (`0` the body, `i` "let time pass"), then any random values
//! the engine handed out. Only `a`-`z`, `0`-`9`, `.`, `-` and `,`: no quoting needed.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

const VERSION: &str = "v1";
const ENGINE: &str = "shuttle";

/// A failing execution, as the report hands it to the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    /// Hash of the scenario's name: a token replays only the test it came from.
    pub(crate) scenario: u32,
    /// The execution's number in the exploration that found it.
    pub(crate) execution: usize,
    /// Preemptions of the execution as found, before shrinking.
    pub(crate) found_preemptions: usize,
    /// The scheduling choices, as the engine's task ids.
    pub(crate) choices: Vec<usize>,
    /// The random values handed out, in order.
    pub(crate) randoms: Vec<u64>,
}

/// Why a token cannot be replayed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenError(String);

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "racewright: RACEWRIGHT_REPLAY: {}", self.0)
    }
}

impl std::error::Error for TokenError {}

/// The hash a token carries for the scenario `name`.
pub(crate) fn scenario_hash(name: &str) -> u32 {
    let hash = crate::explore::config::seed_for(name);
    (hash ^ (hash >> 32)) as u32
}

impl Token {
    pub(crate) fn encode(&self) -> String {
        let mut text = format!(
            "{VERSION}.{ENGINE}.{:08x}.e{}.p{}.{}",
            self.scenario,
            self.execution,
            self.found_preemptions,
            encode_choices(&self.choices)
        );
        if !self.randoms.is_empty() {
            let randoms: Vec<String> = self.randoms.iter().map(|value| format!("{value:x}")).collect();
            text.push_str(".r");
            text.push_str(&randoms.join(","));
        }
        text
    }

    /// Parses a token for the scenario `name`.
    pub(crate) fn decode(text: &str, name: &str) -> Result<Token, TokenError> {
        let corrupt = |what: &str| {
            TokenError(format!("the token is damaged ({what}); copy it again from the report's replay line"))
        };
        let parts: Vec<&str> = text.trim().split('.').collect();
        match parts.first() {
            Some(&VERSION) => {}
            Some(version) if version.starts_with('v') => {
                return Err(TokenError(format!(
                    "the token is of format {version}, from another version of racewright; this one reads {VERSION}"
                )));
            }
            _ => return Err(corrupt("no version")),
        }
        if parts.len() < 6 || parts.len() > 7 {
            return Err(corrupt("wrong number of parts"));
        }
        if parts[1] != ENGINE {
            return Err(TokenError(format!("the token is for the `{}` engine, not `{ENGINE}`", parts[1])));
        }
        let scenario = u32::from_str_radix(parts[2], 16).map_err(|_| corrupt("test hash"))?;
        if scenario != scenario_hash(name) {
            return Err(TokenError(format!(
                "the token belongs to another test, not `{name}`; run the command of the report it came from"
            )));
        }
        let number = |part: &str, prefix: char| {
            part.strip_prefix(prefix).and_then(|n| n.parse::<usize>().ok()).ok_or_else(|| corrupt("header"))
        };
        let execution = number(parts[3], 'e')?;
        let found_preemptions = number(parts[4], 'p')?;
        let choices = decode_choices(parts[5]).ok_or_else(|| corrupt("choices"))?;
        let randoms = match parts.get(6) {
            None => Vec::new(),
            Some(part) => part
                .strip_prefix('r')
                .ok_or_else(|| corrupt("random values"))?
                .split(',')
                .map(|value| u64::from_str_radix(value, 16).map_err(|_| corrupt("random values")))
                .collect::<Result<_, _>>()?,
        };
        Ok(Token { scenario, execution, found_preemptions, choices, randoms })
    }
}

/// Engine task ids as tokens show them: the body `0`, the idle task `i`, spawned task
/// `n` (engine id `n + 1`) as `n`.
fn symbol(key: usize) -> String {
    match key {
        0 => "0".to_string(),
        1 => "i".to_string(),
        key => (key - 1).to_string(),
    }
}

fn key(symbol: &str) -> Option<usize> {
    match symbol {
        "i" => Some(1),
        "0" => Some(0),
        number => number.parse::<usize>().ok().filter(|n| *n > 0).map(|n| n + 1),
    }
}

fn encode_choices(choices: &[usize]) -> String {
    let mut runs: Vec<String> = Vec::new();
    let mut index = 0;
    while index < choices.len() {
        let length = choices[index..].iter().take_while(|key| **key == choices[index]).count();
        let symbol = symbol(choices[index]);
        runs.push(if length == 1 { symbol } else { format!("{symbol}x{length}") });
        index += length;
    }
    if runs.is_empty() { "-".to_string() } else { runs.join("-") }
}

fn decode_choices(text: &str) -> Option<Vec<usize>> {
    let mut choices = Vec::new();
    for run in text.split('-').filter(|run| !run.is_empty()) {
        let (symbol, length) = match run.split_once('x') {
            Some((symbol, length)) => (symbol, length.parse::<usize>().ok().filter(|n| *n > 0)?),
            None => (run, 1),
        };
        let key = key(symbol)?;
        choices.extend(std::iter::repeat_n(key, length));
    }
    Some(choices)
}

/// Where a replay could not follow its schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Divergence {
    /// The decision, counted from 0.
    pub(crate) decision: usize,
    /// The task the schedule wanted, as a token symbol.
    pub(crate) wanted: String,
    /// The tasks that could run, as token symbols.
    pub(crate) runnable: Vec<String>,
}

/// Follows a list of choices. Strict, it notes where the list cannot be followed (the
/// wanted task cannot run); either way it then goes on without preempting: the running
/// task if it can, else the first one that can.
pub(crate) struct Replay {
    choices: Vec<usize>,
    randoms: Vec<u64>,
    /// Invariant: `position <= choices.len()`.
    position: usize,
    random_position: usize,
    started: bool,
    divergence: Option<Rc<Cell<Option<Divergence>>>>,
}

impl Replay {
    /// A replay that notes, in `divergence`, the first choice it cannot follow.
    pub(crate) fn strict(choices: Vec<usize>, randoms: Vec<u64>, divergence: Rc<Cell<Option<Divergence>>>) -> Self {
        Replay { choices, randoms, position: 0, random_position: 0, started: false, divergence: Some(divergence) }
    }

    /// A replay that follows `choices` where it can and completes without preempting.
    pub(crate) fn guided(choices: Vec<usize>, randoms: Vec<u64>) -> Self {
        Replay { choices, randoms, position: 0, random_position: 0, started: false, divergence: None }
    }
}

impl Scheduler for Replay {
    fn new_execution(&mut self) -> Option<Schedule> {
        if std::mem::replace(&mut self.started, true) {
            return None;
        }
        Some(Schedule::new(0))
    }

    fn next_task(&mut self, runnable: &[&Task], current: Option<TaskId>, _is_yielding: bool) -> Option<TaskId> {
        let can_run = |key: usize| runnable.iter().any(|task| usize::from(task.id()) == key);
        if let Some(&wanted) = self.choices.get(self.position) {
            self.position += 1;
            if can_run(wanted) {
                return Some(TaskId::from(wanted));
            }
            if let Some(divergence) = &self.divergence {
                let first = divergence.take().unwrap_or(Divergence {
                    decision: self.position - 1,
                    wanted: symbol(wanted),
                    runnable: runnable.iter().map(|task| symbol(usize::from(task.id()))).collect(),
                });
                divergence.set(Some(first));
            }
        }
        let current = current.map(usize::from).filter(|key| can_run(*key));
        let fallback = current.or_else(|| runnable.iter().map(|task| usize::from(task.id())).min())?;
        Some(TaskId::from(fallback))
    }

    fn next_u64(&mut self) -> u64 {
        let value = self.randoms.get(self.random_position).copied().unwrap_or(0);
        self.random_position += 1;
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> Token {
        Token {
            scenario: scenario_hash("crate::test"),
            execution: 17,
            found_preemptions: 3,
            choices: vec![0, 0, 0, 2, 3, 3, 1, 0],
            randoms: vec![0x9a, 0xff],
        }
    }

    #[test]
    fn a_token_reads_back_as_written() {
        let text = token().encode();
        assert!(text.starts_with("v1.shuttle."), "{text}");
        assert!(text.ends_with(".e17.p3.0x3-1-2x2-i-0.r9a,ff"), "{text}");
        assert_eq!(Token::decode(&text, "crate::test").unwrap(), token());
    }

    #[test]
    fn tokens_of_other_tests_versions_and_engines_are_refused_clearly() {
        let text = token().encode();
        let other_test = Token::decode(&text, "crate::other").unwrap_err().to_string();
        assert!(other_test.contains("another test"), "{other_test}");
        let other_version = Token::decode(&text.replacen("v1", "v9", 1), "crate::test").unwrap_err().to_string();
        assert!(other_version.contains("format v9"), "{other_version}");
        let other_engine = Token::decode(&text.replacen("shuttle", "loom", 1), "crate::test").unwrap_err().to_string();
        assert!(other_engine.contains("`loom` engine"), "{other_engine}");
        for damaged in [&text[..text.len() / 2], "v1.shuttle.zz", "nonsense", "v1.shuttle.00000000.e1.p0.0xq"] {
            let error = Token::decode(damaged, "crate::test").unwrap_err().to_string();
            assert!(error.contains("RACEWRIGHT_REPLAY"), "{error}");
        }
    }
}
