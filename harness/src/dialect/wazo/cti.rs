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
    // wazo-agentd addresses the users linked to the agent.
    let users: Vec<_> = agent
        .user
        .as_deref()
        .and_then(|handle| r.directory().users.get(handle))
        .into_iter()
        .collect();
    let tenant = users.first().map_or_else(
        || {
            r.directory()
                .tenants
                .keys()
                .next()
                .cloned()
                .unwrap_or_default()
        },
        |user| user.tenant.clone(),
    );
    let to = r.to_users(&tenant, users.iter().map(|user| user.uuid).collect());
    r.publish(
        &AgentStatusUpdateEvent(AgentStatusUpdate {
            agent_id: u64::from(agent.id),
            status: if logged_in {
                AgentStatus::LoggedIn
            } else {
                AgentStatus::LoggedOut
            },
            xivo_id: Some(r.origin()),
        }),
        to,
    )
}

/// A call form submitted by a user.
pub(super) fn call_form(
    r: &mut Renderer<'_>,
    user: &str,
    variables: &Map<String, Value>,
) -> Result<(), RenderError> {
    let user = r.user(user)?;
    let to = r.to_user(user);
    r.publish(
        &CallFormResultEvent(CallFormResult {
            user_id: u64::from(user.id),
            variables: variables.clone(),
        }),
        to,
    )
}
