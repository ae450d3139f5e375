//! The body's own failure: an assertion or panic that reached it, or an `Err` it returned.

use super::{BodyFailure, Failure, FailureKind, Moment, TaskRef};
use crate::model::tasks::TaskId;
use crate::run::execution::ExecutionState;

pub(crate) fn detect(state: &ExecutionState, moment: &Moment<'_>) -> Vec<Failure> {
    let Moment::BodyEnded(Err(failure)) = moment else { return Vec::new() };
    let finding = match failure {
        BodyFailure::Err(error) => Failure::new(FailureKind::Error, format!("the test returned Err: {error}")),
        BodyFailure::Panicked { message, location } => {
            Failure::new(FailureKind::Panic, message.clone()).at(location.clone())
        }
    };
    vec![finding.in_task(TaskRef::of(state.tasks.get(TaskId::BODY)))]
}
