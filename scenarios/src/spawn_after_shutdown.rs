//! TODO

use crate::Variant;

/// TODO
pub async fn scenario(_variant: Variant) {}
