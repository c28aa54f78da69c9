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
    let data = User {
        id: u64::from(user.id),
        uuid: user.uuid,
    };
    match change {
        Change::Created => r.publish(&UserCreated(data)),
        Change::Edited => r.publish(&UserEdited(data)),
        Change::Deleted => r.publish(&UserDeleted(data)),
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
    let data = Forward {
        user_uuid: r.user(handle)?.uuid,
        enabled,
        destination: destination.map(str::to_owned),
    };
    match kind {
        ForwardKind::Busy => r.publish(&UsersForwardsBusyUpdated(data)),
        ForwardKind::NoAnswer => r.publish(&UsersForwardsNoanswerUpdated(data)),
        ForwardKind::Unconditional => r.publish(&UsersForwardsUnconditionalUpdated(data)),
    }
}

/// A service (do not disturb, incoming call filter) switched on or off.
pub(super) fn service(
    r: &mut Renderer<'_>,
    handle: &str,
    kind: ServiceKind,
    enabled: bool,
) -> Result<(), RenderError> {
    let data = UserService {
        user_uuid: r.user(handle)?.uuid,
        enabled,
    };
    match kind {
        ServiceKind::Dnd => r.publish(&UsersServicesDndUpdated(data)),
        ServiceKind::IncallFilter => r.publish(&UsersServicesIncallfilterUpdated(data)),
    }
}
