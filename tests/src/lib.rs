//! Integration tests of the whole harness live in `tests/`.
