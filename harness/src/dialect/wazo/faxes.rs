//! Outbound faxes: each step is published for everyone and, when a user
//! sent the fax, once more for that user.

use uuid::Uuid;

use super::{RenderError, Renderer};
use crate::catalog::wazo::faxes::{
    FaxOutbound, FaxOutboundCreated, FaxOutboundFailed, FaxOutboundFailure, FaxOutboundSucceeded,
    FaxOutboundUserCreated, FaxOutboundUserFailed, FaxOutboundUserSucceeded,
};
use crate::sim::{Fax, FaxChange};

/// A fax being sent, received or failing.
pub(super) fn fax(r: &mut Renderer<'_>, fax: &Fax, change: &FaxChange) -> Result<(), RenderError> {
    let user_uuid: Option<Uuid> = match fax.user.as_deref() {
        Some(handle) => Some(r.user(handle)?.uuid),
        None => None,
    };
    let data = FaxOutbound {
        id: fax.id.clone(),
        call_id: fax.call_id.clone(),
        extension: fax.extension.clone(),
        context: fax.context.clone(),
        caller_id: fax.caller_id.clone(),
        user_uuid,
        tenant_uuid: r.tenant(&fax.tenant)?.uuid,
        ivr_extension: None,
        wait_time: None,
    };
    let tenant_wide = r.to_tenant(r.tenant(&fax.tenant)?);
    let to_user = match fax.user.as_deref() {
        Some(handle) => r.to_user(r.user(handle)?),
        None => tenant_wide.clone(),
    };
    let by_user = user_uuid.is_some();
    match change {
        FaxChange::Created => {
            r.publish(&FaxOutboundCreated(data.clone()), tenant_wide)?;
            if by_user {
                r.publish(&FaxOutboundUserCreated(data), to_user)?;
            }
        }
        FaxChange::Succeeded => {
            r.publish(&FaxOutboundSucceeded(data.clone()), tenant_wide)?;
            if by_user {
                r.publish(&FaxOutboundUserSucceeded(data), to_user)?;
            }
        }
        FaxChange::Failed { reason } => {
            let data = FaxOutboundFailure {
                id: data.id,
                call_id: data.call_id,
                extension: data.extension,
                context: data.context,
                caller_id: data.caller_id,
                user_uuid: data.user_uuid,
                tenant_uuid: data.tenant_uuid,
                error: reason.clone(),
            };
            r.publish(&FaxOutboundFailed(data.clone()), tenant_wide)?;
            if by_user {
                r.publish(&FaxOutboundUserFailed(data), to_user)?;
            }
        }
    }
    Ok(())
}
