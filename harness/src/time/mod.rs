//! Virtual time: `sleep`, `sleep_until`, `timeout`, `interval`, `Instant`, with tokio's
//! signatures, on a clock per execution (tokio's clock outside a run).

pub(crate) mod timers;
