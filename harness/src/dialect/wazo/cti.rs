//! CTI events: agents logging in and out, call forms submitted.

use serde_json::{Map, Value};

use super::{RenderError, Renderer};
use crate::catalog::wazo::cti::{
    AgentStatus, AgentStatusUpdate, AgentStatusUpdateEvent, CallFormResult, CallFormResultEvent,
};

/// An agent's login or logout.
pub(super) fn agent_status(
    r: &mut Renderer<'_>,
    agent: &str,
    logged_in: bool,
) -> Result<(), RenderError> {
    let agent = r
        .directory()
        .agents
        .get(agent)
        .ok_or_else(|| r.unknown("agent", agent))?;
    r.publish(&AgentStatusUpdateEvent(AgentStatusUpdate {
        agent_id: u64::from(agent.id),
        status: if logged_in {
            AgentStatus::LoggedIn
        } else {
            AgentStatus::LoggedOut
        },
        xivo_id: r.origin(),
    }))
}

/// A call form submitted by a user.
pub(super) fn call_form(
    r: &mut Renderer<'_>,
    user: &str,
    variables: &Map<String, Value>,
) -> Result<(), RenderError> {
    let user_id = u64::from(r.user(user)?.id);
    r.publish(&CallFormResultEvent(CallFormResult {
        user_id,
        variables: variables.clone(),
    }))
}
