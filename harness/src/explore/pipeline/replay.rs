//! Replay tokens, and the scheduler that follows a recorded schedule.
//!
//! A token is readable: `v2.shuttle.1f2e3d4c.e17.p3.kdeadlock.0x4-2-1x2-i-0[.r9a,ff].c0123abcd`
//! is format version 2, the shuttle engine, a hash of the test's name, the failing
//! execution's number, the preemptions before shrinking, the kind of failure it ends in,
//! the choices, run-length encoded, as task ids in spawn order (`0` the body, `i` "let
//! time pass"), any random values the engine handed out, and a checksum of all that: a
//! token cut short or mistyped is refused, never replayed as something else. Only `a`-`z`,
//! `0`-`9`, `_`, `.`, `-` and `,`: no quoting needed.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

use crate::explore::config::SwitchPoints;
use crate::model::failure::FailureKind;
use crate::run::execution;

const VERSION: &str = "v2";
const ENGINE: &str = "shuttle";
/// The engine's part of a token whose exploration switched tasks only where they returned
/// `Pending` (after an execution blocked outside racewright's control).
const ENGINE_PENDING: &str = "shuttle_pending";

/// A failing execution, as the report hands it to the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    /// Hash of the scenario's name: a token replays only the test it came from.
    pub(crate) scenario: u32,
    /// The execution's number in the exploration that found it.
    pub(crate) execution: usize,
    /// Preemptions of the execution as found, before shrinking.
    pub(crate) found_preemptions: usize,
    /// The kind of failure the execution ends in.
    pub(crate) kind: FailureKind,
    /// Where its tasks could be switched away from: the engine's part says it
    /// (`shuttle`, or `shuttle_pending` where only at `Pending`).
    pub(crate) switch_points: SwitchPoints,
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
        let engine = match self.switch_points {
            SwitchPoints::EveryCall => ENGINE,
            SwitchPoints::Pending => ENGINE_PENDING,
        };
        let mut text = format!(
            "{VERSION}.{engine}.{:08x}.e{}.p{}.k{}.{}",
            self.scenario,
            self.execution,
            self.found_preemptions,
            self.kind,
            encode_choices(&self.choices)
        );
        if !self.randoms.is_empty() {
            let randoms: Vec<String> = self.randoms.iter().map(|value| format!("{value:x}")).collect();
            text.push_str(".r");
            text.push_str(&randoms.join(","));
        }
        let checksum = checksum(&text);
        format!("{text}.c{checksum:08x}")
    }

    /// Parses a token for the scenario `name`.
    pub(crate) fn decode(text: &str, name: &str) -> Result<Token, TokenError> {
        let corrupt = |what: &str| {
            TokenError(format!("the token is damaged ({what}); copy it again from the report's replay line"))
        };
        let text = text.trim();
        let parts: Vec<&str> = text.split('.').collect();
        match parts.first() {
            Some(&VERSION) => {}
            Some(version) if version.starts_with('v') => {
                return Err(TokenError(format!(
                    "the token is of format {version}, from another version of racewright; this one reads {VERSION}"
                )));
            }
            _ => return Err(corrupt("no version")),
        }
        // The checksum first: a token cut short must not read as a shorter schedule.
        let (body, sum) = text.rsplit_once(".c").ok_or_else(|| corrupt("no checksum: cut short?"))?;
        if u32::from_str_radix(sum, 16).ok() != Some(checksum(body)) || sum.len() != 8 {
            return Err(corrupt("its checksum does not match: cut short, or changed?"));
        }
        let parts: Vec<&str> = body.split('.').collect();
        if parts.len() < 7 || parts.len() > 8 {
            return Err(corrupt("wrong number of parts"));
        }
        let switch_points = match parts[1] {
            ENGINE => SwitchPoints::EveryCall,
            ENGINE_PENDING => SwitchPoints::Pending,
            other => return Err(TokenError(format!("the token is for the `{other}` engine, not `{ENGINE}`"))),
        };
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
        let kind = parts[5].strip_prefix('k').and_then(|kind| kind.parse().ok()).ok_or_else(|| corrupt("kind"))?;
        let choices = decode_choices(parts[6]).ok_or_else(|| corrupt("choices"))?;
        let randoms = match parts.get(7) {
            None => Vec::new(),
            Some(part) => part
                .strip_prefix('r')
                .ok_or_else(|| corrupt("random values"))?
                .split(',')
                .map(|value| u64::from_str_radix(value, 16).map_err(|_| corrupt("random values")))
                .collect::<Result<_, _>>()?,
        };
        Ok(Token { scenario, execution, found_preemptions, kind, switch_points, choices, randoms })
    }
}

/// FNV-1a, 32 bits: stable everywhere, and enough to tell a damaged token.
fn checksum(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |hash, byte| (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193))
}

/// Choice keys (`ExecutionState::choice_key`) as tokens show them: the body `0`, the idle
/// task `i`, spawned task `n` (key `n + 1`) as `n`.
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
pub(crate) enum Divergence {
    /// At `decision` (counted from 0) the task the schedule wanted could not run.
    Blocked {
        decision: usize,
        /// The task the schedule wanted, as a token symbol.
        wanted: String,
        /// The tasks that could run, as token symbols.
        runnable: Vec<String>,
    },
    /// The schedule ended after `decisions` decisions, and the execution went on.
    Ended { decisions: usize },
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

    /// Notes the first place the replay could not follow its schedule, when strict.
    fn note(&self, divergence: Divergence) {
        if let Some(first) = &self.divergence {
            let earlier = first.take();
            first.set(Some(earlier.unwrap_or(divergence)));
        }
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
            // Choices name tasks by their choice keys, the engine by its own ids.
            let engine_key = execution::with(|state| state.engine_key_of_choice(wanted)).flatten();
            if let Some(engine_key) = engine_key.filter(|key| can_run(*key)) {
                return Some(TaskId::from(engine_key));
            }
            let runnable = execution::with(|state| {
                runnable.iter().map(|task| symbol(state.choice_key(usize::from(task.id())))).collect()
            });
            self.note(Divergence::Blocked {
                decision: self.position - 1,
                wanted: symbol(wanted),
                runnable: runnable.unwrap_or_default(),
            });
        } else {
            self.note(Divergence::Ended { decisions: self.choices.len() });
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
            kind: FailureKind::StepLimit,
            switch_points: SwitchPoints::EveryCall,
            choices: vec![0, 0, 0, 2, 3, 3, 1, 0],
            randoms: vec![0x9a, 0xff],
        }
    }

    #[test]
    fn a_token_reads_back_as_written() {
        let text = token().encode();
        assert!(text.starts_with("v2.shuttle."), "{text}");
        assert!(text.contains(".e17.p3.kstep_limit.0x3-1-2x2-i-0.r9a,ff.c"), "{text}");
        assert_eq!(Token::decode(&text, "crate::test").unwrap(), token());
    }

    #[test]
    fn a_token_says_where_its_tasks_switched() {
        let pending = Token { switch_points: SwitchPoints::Pending, ..token() };
        let text = pending.encode();
        assert!(text.starts_with("v2.shuttle_pending."), "{text}");
        assert_eq!(Token::decode(&text, "crate::test").unwrap(), pending);
    }

    #[test]
    fn tokens_of_other_tests_versions_and_engines_are_refused_clearly() {
        let text = token().encode();
        let other_test = Token::decode(&text, "crate::other").unwrap_err().to_string();
        assert!(other_test.contains("another test"), "{other_test}");
        let other_version = Token::decode(&text.replacen("v2", "v9", 1), "crate::test").unwrap_err().to_string();
        assert!(other_version.contains("format v9"), "{other_version}");
        let other_engine = Token { ..token() }.encode().replacen("shuttle", "loom", 1);
        let other_engine = Token::decode(&other_engine, "crate::test").unwrap_err().to_string();
        assert!(other_engine.contains("checksum"), "{other_engine}");
        for damaged in [&text[..text.len() / 2], "v2.shuttle.zz", "nonsense", "v2.shuttle.00000000.e1.p0.0xq"] {
            let error = Token::decode(damaged, "crate::test").unwrap_err().to_string();
            assert!(error.contains("RACEWRIGHT_REPLAY"), "{error}");
        }
    }

    #[test]
    fn a_token_cut_anywhere_is_refused() {
        let text = token().encode();
        for end in 1..text.len() {
            let cut = &text[..end];
            assert!(Token::decode(cut, "crate::test").is_err(), "{cut} was accepted");
        }
        let tail_changed = text.replace(".0x3-1-2x2-i-0.", ".0x3-1-2x2-i.");
        assert!(Token::decode(&tail_changed, "crate::test").unwrap_err().to_string().contains("checksum"));
    }
}
