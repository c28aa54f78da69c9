//! wazo-auth's events: tenants and users' external authentications.

use super::{RenderError, Renderer};
use crate::catalog::wazo::auth::{
    AuthTenantCreated, AuthTenantDeleted, AuthTenantUpdated, AuthUserExternalAuthAdded,
    AuthUserExternalAuthAuthorized, AuthUserExternalAuthDeleted, Tenant, TenantDeleted,
    UserExternalAuth,
};
use crate::scenario::ExternalAuthChange;

/// What happened to a tenant; an update carries the name afterwards.
#[derive(Debug, Clone, Copy)]
pub(super) enum TenantChange<'a> {
    Created,
    Updated(&'a str),
    Deleted,
}

/// A tenant created, updated or deleted.
pub(super) fn tenant(
    r: &mut Renderer<'_>,
    handle: &str,
    change: TenantChange<'_>,
) -> Result<(), RenderError> {
    let tenant = r.tenant(handle)?;
    let to = r.to_tenant(tenant);
    match change {
        // wazo-auth `services/tenant.py::new` adds the slug and the domain
        // names; the document's event has neither.
        TenantChange::Created => r.publish(
            &AuthTenantCreated(Tenant {
                uuid: tenant.uuid,
                name: tenant.name.clone(),
                slug: Some(tenant.slug.clone()),
                domain_names: Some(Vec::new()),
            }),
            to,
        ),
        TenantChange::Updated(name) => r.publish(
            &AuthTenantUpdated(Tenant {
                uuid: tenant.uuid,
                name: name.to_owned(),
                slug: None,
                domain_names: None,
            }),
            to,
        ),
        TenantChange::Deleted => {
            r.publish(&AuthTenantDeleted(TenantDeleted { uuid: tenant.uuid }), to)
        }
    }
}

/// An external authentication added, authorized or removed.
pub(super) fn external_auth(
    r: &mut Renderer<'_>,
    user: &str,
    service: &str,
    change: ExternalAuthChange,
) -> Result<(), RenderError> {
    let user = r.user(user)?;
    let to = r.to_user(user);
    let data = UserExternalAuth {
        user_uuid: user.uuid,
        external_auth_name: service.to_owned(),
    };
    match change {
        ExternalAuthChange::Added => r.publish(&AuthUserExternalAuthAdded(data), to),
        ExternalAuthChange::Authorized => r.publish(&AuthUserExternalAuthAuthorized(data), to),
        ExternalAuthChange::Deleted => r.publish(&AuthUserExternalAuthDeleted(data), to),
    }
}
