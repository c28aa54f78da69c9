//! wazo-confd's user events: users, their forwards and their services.

use super::{RenderError, Renderer};
use crate::catalog::wazo::forwards::{
    Forward, UsersForwardsBusyUpdated, UsersForwardsNoanswerUpdated,
    UsersForwardsUnconditionalUpdated,
};
use crate::catalog::wazo::user_services::{
    UserService, UsersServicesDndUpdated, UsersServicesIncallfilterUpdated,
};
use crate::catalog::wazo::users::{User, UserCreated, UserDeleted, UserEdited};
use crate::scenario::{ForwardKind, ServiceKind};

/// What happened to a user.
#[derive(Debug, Clone, Copy)]
pub(super) enum Change {
    Created,
    Edited,
    Deleted,
}

/// A user created, edited or deleted.
pub(super) fn user(r: &mut Renderer<'_>, handle: &str, change: Change) -> Result<(), RenderError> {
    let user = r.user(handle)?;
    let tenant = r.tenant(&user.tenant)?;
    let data = User {
        id: u64::from(user.id),
        uuid: user.uuid,
        // wazo-confd `plugins/user/notifier.py`: the database's defaults
        // and creation time (a naive UTC datetime, Python's `str()` of it).
        subscription_type: Some(0),
        created_at: Some(created_at(r.start())),
        tenant_uuid: Some(tenant.uuid),
    };
    let to = r.to_tenant(tenant);
    match change {
        Change::Created => r.publish(&UserCreated(data), to),
        Change::Edited => r.publish(&UserEdited(data), to),
        Change::Deleted => r.publish(&UserDeleted(data), to),
    }
}

/// A forward switched on or off.
pub(super) fn forward(
    r: &mut Renderer<'_>,
    handle: &str,
    kind: ForwardKind,
    enabled: bool,
    destination: Option<&str>,
) -> Result<(), RenderError> {
    let user = r.user(handle)?;
    let data = Forward {
        user_id: Some(u64::from(user.id)),
        tenant_uuid: Some(r.tenant(&user.tenant)?.uuid),
        user_uuid: user.uuid,
        enabled,
        destination: destination.map(str::to_owned),
    };
    let to = r.to_user(user);
    match kind {
        ForwardKind::Busy => r.publish(&UsersForwardsBusyUpdated(data), to),
        ForwardKind::NoAnswer => r.publish(&UsersForwardsNoanswerUpdated(data), to),
        ForwardKind::Unconditional => r.publish(&UsersForwardsUnconditionalUpdated(data), to),
    }
}

/// A service (do not disturb, incoming call filter) switched on or off.
pub(super) fn service(
    r: &mut Renderer<'_>,
    handle: &str,
    kind: ServiceKind,
    enabled: bool,
) -> Result<(), RenderError> {
    let user = r.user(handle)?;
    let data = UserService {
        user_id: Some(u64::from(user.id)),
        tenant_uuid: Some(r.tenant(&user.tenant)?.uuid),
        user_uuid: user.uuid,
        enabled,
    };
    let to = r.to_user(user);
    match kind {
        ServiceKind::Dnd => r.publish(&UsersServicesDndUpdated(data), to),
        ServiceKind::IncallFilter => r.publish(&UsersServicesIncallfilterUpdated(data), to),
    }
}

/// Python's `str()` of a naive UTC datetime, as wazo-confd writes `created_at`.
fn created_at(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    at.format(time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:6]"
    ))
    .unwrap_or_default()
}
