//! Advice for the panic tokio raises when the test calls it inside an execution: there is
//! no tokio runtime there, so `tokio::spawn`, `tokio::time::sleep` and their kind fail
//! with "there is no reactor running". The finding stays the panic it is; it gains a line
//! that says what to use instead.

/// The fragments of tokio 1.x's "no runtime" panic message (`Handle::current`).
const NO_RUNTIME: [&str; 2] = ["there is no reactor running", "must be called from the context of a Tokio 1.x runtime"];

/// What a panic finding says when its message is tokio's "no runtime" panic.
const ADVICE: &str = "tokio found no runtime: the test called tokio (tokio::spawn, tokio::time, ...) inside \
     racewright's execution, which is no tokio runtime; use racewright::spawn and racewright's primitives, or \
     racewright's tokio switch (README), so that racewright schedules them";

/// The detail a panic finding whose message is `message` gains, if any.
pub(crate) fn advice(message: &str) -> Option<&'static str> {
    NO_RUNTIME.iter().any(|fragment| message.contains(fragment)).then_some(ADVICE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tokio_s_no_runtime_panic_gets_advice() {
        assert!(
            advice("there is no reactor running, must be called from the context of a Tokio 1.x runtime").is_some()
        );
        let unwrapped =
            "called `Result::unwrap()` on an `Err` value: JoinError::Panic(Id(3), \"there is no reactor running\")";
        assert!(advice(unwrapped).is_some());
        assert!(advice("assertion `left == right` failed").is_none());
    }
}
