//! wazo-auth events: external authentications and tenants.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{EventEntry, EventSpec, Family, documented_event};
use crate::catalog::template::Template;

/// A user's external authentication (an OAuth2 service such as `zoho`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserExternalAuth {
    /// The user's UUID.
    pub user_uuid: Uuid,
    /// The name of the external service.
    pub external_auth_name: String,
}

/// A tenant, as sent when it is created or updated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tenant {
    /// Current Wazo (`auth_tenant_added`): the tenant's slug.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    /// Current Wazo (`auth_tenant_added`): the tenant's domain names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_names: Option<Vec<String>>,
    /// The tenant's UUID.
    pub uuid: Uuid,
    /// The name of the tenant.
    pub name: String,
}

/// A deleted tenant: only its UUID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantDeleted {
    /// The tenant's UUID.
    pub uuid: Uuid,
}

const TENANT_UUID: &[(&str, &str)] = &[("tenant_uuid", "/data/uuid")];

documented_event! {
    /// `auth_user_external_auth_added`
    AuthUserExternalAuthAdded(UserExternalAuth) = EventSpec {
        name: "auth_user_external_auth_added",
        family: Family::Auth,
        description: "Sent when a user adds an external authentication to its account.",
        routing_key: Template::new("auth.users.{user_uuid}.external.{external_auth_name}.created"),
        required_acl: None,
        headers: &[],
        example: Some(include_str!("examples/auth_user_external_auth_added.json")),
    };
}

documented_event! {
    /// `auth_user_external_auth_authorized`
    AuthUserExternalAuthAuthorized(UserExternalAuth) = EventSpec {
        name: "auth_user_external_auth_authorized",
        family: Family::Auth,
        description: "Sent when a user authorizes an OAuth2 request on an external authentication plugin.",
        routing_key: Template::new("auth.users.{user_uuid}.external.{external_auth_name}.authorized"),
        required_acl: None,
        headers: &[],
        example: Some(include_str!("examples/auth_user_external_auth_authorized.json")),
    };
}

documented_event! {
    /// `auth_user_external_auth_deleted`
    AuthUserExternalAuthDeleted(UserExternalAuth) = EventSpec {
        name: "auth_user_external_auth_deleted",
        family: Family::Auth,
        description: "Sent when a user removes an external authentication from its account.",
        routing_key: Template::new("auth.users.{user_uuid}.external.{external_auth_name}.deleted"),
        required_acl: None,
        headers: &[],
        example: Some(include_str!("examples/auth_user_external_auth_deleted.json")),
    };
}

documented_event! {
    /// `auth_tenant_created`
    AuthTenantCreated(Tenant) = EventSpec {
        name: "auth_tenant_created",
        family: Family::Auth,
        description: "Published when a tenant is created.",
        routing_key: Template::new("auth.tenants.{tenant_uuid}.created").bind(TENANT_UUID),
        required_acl: None,
        headers: &[],
        example: Some(include_str!("examples/auth_tenant_created.json")),
    };
}

documented_event! {
    /// `auth_tenant_deleted`
    AuthTenantDeleted(TenantDeleted) = EventSpec {
        name: "auth_tenant_deleted",
        family: Family::Auth,
        description: "Published when a tenant is deleted.",
        routing_key: Template::new("auth.tenants.{tenant_uuid}.deleted").bind(TENANT_UUID),
        required_acl: None,
        headers: &[],
        example: Some(include_str!("examples/auth_tenant_deleted.json")),
    };
}

documented_event! {
    /// `auth_tenant_updated`
    AuthTenantUpdated(Tenant) = EventSpec {
        name: "auth_tenant_updated",
        family: Family::Auth,
        description: "Published when a tenant is updated.",
        routing_key: Template::new("auth.tenants.{tenant_uuid}.updated").bind(TENANT_UUID),
        required_acl: None,
        headers: &[],
        example: Some(include_str!("examples/auth_tenant_updated.json")),
    };
}

pub(super) fn entries() -> Vec<EventEntry> {
    vec![
        EventEntry::of::<AuthUserExternalAuthAdded>(),
        EventEntry::of::<AuthUserExternalAuthAuthorized>(),
        EventEntry::of::<AuthUserExternalAuthDeleted>(),
        EventEntry::of::<AuthTenantCreated>(),
        EventEntry::of::<AuthTenantDeleted>(),
        EventEntry::of::<AuthTenantUpdated>(),
    ]
}
