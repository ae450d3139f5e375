//! The catalogue of bug patterns.
