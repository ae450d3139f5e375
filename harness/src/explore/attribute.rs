//! The values the string arguments of `#[racewright::test]` accept, and what each means.
//!
//! The attribute's expansion calls these functions with the string it checked, so the
//! mapping from a name to a setting lives here only. The macro keeps the list of names
//! for its compile errors (a proc-macro crate cannot use this library); the test
//! `harness/tests/attribute_values.rs` fails when the two lists differ.

use std::str::FromStr;

use crate::explore::{Flavor, Policy, SwitchPoints, TimeMode};

/// Every string argument and the values it accepts, as the runtime parses them.
pub const VALUES: &[(&str, &[&str])] = &[
    ("strategy", &["portfolio", "random", "pct", "dfs", "pos", "urw"]),
    ("engine", &["shuttle", "loom", "all"]),
    ("time", &["idle", "any"]),
    ("flavor", &["multi_thread", "current_thread"]),
    ("switch_points", &["every_call", "pending"]),
    ("policy", &["deny", "allow"]),
    (
        "expect",
        &[
            "panic",
            "deadlock",
            "leak",
            "unhandled_panic",
            "error",
            "step_limit",
            "nondeterminism",
            "lost_wakeup",
            "blocking_in_async",
            "lost_messages",
            "unbounded_growth",
        ],
    ),
];

/// The value of a string argument that the attribute accepted.
///
/// # Panics
/// If the attribute accepted a name this library does not know: a bug of racewright
/// (the macro and the library disagree), never of the test.
pub fn value<T: FromStr<Err = String>>(argument: &str, name: &str) -> T {
    name.parse().unwrap_or_else(|error| {
        panic!(
            "racewright bug: #[racewright::test] accepted {argument} = \"{name}\", which the library rejects: {error}"
        )
    })
}

/// The value of `table` named `name`; the error names `what` and every accepted name.
fn one_of<T: Copy>(what: &str, name: &str, table: &[(&str, T)]) -> Result<T, String> {
    table.iter().find(|(known, _)| *known == name).map(|(_, value)| *value).ok_or_else(|| {
        let accepted: Vec<String> = table.iter().map(|(known, _)| format!("\"{known}\"")).collect();
        format!("unknown {what} \"{name}\"; expected one of {}", accepted.join(", "))
    })
}

impl FromStr for Policy {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        one_of("policy", name, &[("deny", Policy::Deny), ("allow", Policy::Allow)])
    }
}

impl FromStr for TimeMode {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        one_of("time mode", name, &[("idle", TimeMode::Idle), ("any", TimeMode::Any)])
    }
}

impl FromStr for Flavor {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        one_of("flavor", name, &[("multi_thread", Flavor::MultiThread), ("current_thread", Flavor::CurrentThread)])
    }
}

impl FromStr for SwitchPoints {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        one_of("switch points", name, &[("every_call", SwitchPoints::EveryCall), ("pending", SwitchPoints::Pending)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explore::{EngineChoice, Strategy};
    use crate::model::failure::FailureKind;

    #[test]
    fn every_listed_value_parses_and_no_other() {
        for (argument, names) in VALUES {
            for name in *names {
                let parsed = match *argument {
                    "strategy" => name.parse::<Strategy>().map(drop),
                    "engine" => name.parse::<EngineChoice>().map(drop),
                    "time" => name.parse::<TimeMode>().map(drop),
                    "flavor" => name.parse::<Flavor>().map(drop),
                    "switch_points" => name.parse::<SwitchPoints>().map(drop),
                    "policy" => name.parse::<Policy>().map(drop),
                    "expect" => name.parse::<FailureKind>().map(drop),
                    other => panic!("no parser for `{other}`"),
                };
                assert!(parsed.is_ok(), "{argument} = \"{name}\": {parsed:?}");
            }
        }
        let kinds = VALUES.iter().find(|(argument, _)| *argument == "expect").map(|(_, names)| names.len());
        assert_eq!(kinds, Some(FailureKind::ALL.len()), "every failure kind can be expected");
        assert!("sometimes".parse::<Policy>().is_err() && "never".parse::<TimeMode>().is_err());
    }
}
