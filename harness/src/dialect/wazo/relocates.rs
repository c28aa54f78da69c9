//! Relocates: a user moving their side of a call to another device.

use super::{RenderError, Renderer};
use crate::catalog::wazo::relocates::{
    Completion, Relocate, RelocateAnswered, RelocateCompleted, RelocateEnded, RelocateInitiated,
};
use crate::sim::{self, RelocatePhase};

/// One phase of a relocate, as wazo-calld publishes it.
pub(super) fn relocate(
    r: &mut Renderer<'_>,
    relocate: &sim::Relocate,
    phase: RelocatePhase,
) -> Result<(), RenderError> {
    let event = match phase {
        RelocatePhase::Initiated => "relocate_initiated",
        RelocatePhase::Answered => "relocate_answered",
        RelocatePhase::Completed => "relocate_completed",
        RelocatePhase::Ended => "relocate_ended",
    };
    let initiator_user = r.user(&relocate.initiator)?;
    let initiator = initiator_user.uuid;
    let to = r.to_user(initiator_user);
    let completions = relocate
        .completions
        .iter()
        .map(|completion| match completion.as_str() {
            "answer" => Ok(Completion::Answer),
            "api" => Ok(Completion::Api),
            other => Err(r.invalid(event, "completion", other, "expected \"answer\" or \"api\"")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let data = Relocate {
        uuid: relocate.uuid,
        relocated_call: relocate.relocated_call.clone(),
        initiator_call: relocate.initiator_call.clone(),
        recipient_call: relocate.recipient_call.clone(),
        completions,
        initiator,
        // wazo-calld's default: 30 s for the recipient to answer.
        timeout: Some(30),
        auto_answer: None,
    };
    match phase {
        RelocatePhase::Initiated => r.publish(&RelocateInitiated(data), to),
        RelocatePhase::Answered => r.publish(&RelocateAnswered(data), to),
        RelocatePhase::Completed => r.publish(&RelocateCompleted(data), to),
        RelocatePhase::Ended => r.publish(&RelocateEnded(data), to),
    }
}
