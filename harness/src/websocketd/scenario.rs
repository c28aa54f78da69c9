//! The tokens of a scenario run: a default token per user (the default user
//! policy, as wazo-auth issues one at login) and the `[tokens.NAME]` the
//! scenario declares, resolved against the simulated directory. Token ids,
//! sessions and service users are drawn from the seed, so a rerun gives a
//! consumer the same tokens.

use std::time::SystemTime;

use super::auth::{DEFAULT_EXPIRATION, Token, default_user_acl};
use super::server::{DEFAULT_MASTER_TENANT, Options};
use crate::provision::AmqpUrl;
use crate::scenario::Scenario;
use crate::sim::{Directory, Fakes};

/// A token and the name a scenario (or a user handle) gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedToken {
    /// The user handle for default tokens; the `[tokens.NAME]` name otherwise.
    pub name: String,
    /// The token.
    pub token: Token,
}

/// Every token of a run of `scenario` with `seed`: users' defaults first (by
/// handle), then the declared ones (a declared name equal to a user handle
/// replaces that user's default). The scenario has been validated, so every
/// handle it names exists in `directory`.
pub fn scenario_tokens(scenario: &Scenario, directory: &Directory, seed: u64) -> Vec<NamedToken> {
    let now = SystemTime::now();
    let first_tenant = directory.tenants.values().next().map(|tenant| tenant.uuid);
    let mut tokens: Vec<NamedToken> = directory
        .users
        .values()
        .map(|user| {
            let mut fakes = Fakes::new(seed, &format!("websocketd-token:{}", user.handle));
            let tenant = directory
                .tenants
                .get(&user.tenant)
                .map(|tenant| tenant.uuid)
                .or(first_tenant)
                .unwrap_or_default();
            let mut token = Token::for_user(fakes.uuid().to_string(), user.uuid, tenant);
            token.session_uuid = fakes.uuid();
            NamedToken {
                name: user.handle.clone(),
                token,
            }
        })
        .collect();
    for (name, spec) in &scenario.tokens {
        let mut fakes = Fakes::new(seed, &format!("websocketd-token:{name}"));
        let user = spec
            .user
            .as_ref()
            .and_then(|handle| directory.users.get(handle));
        let id = spec.id.clone().unwrap_or_else(|| fakes.uuid().to_string());
        let session = spec.session.unwrap_or_else(|| fakes.uuid());
        let service_user = fakes.uuid();
        let tenant = spec
            .tenant
            .as_ref()
            .and_then(|handle| directory.tenants.get(handle))
            .map(|tenant| tenant.uuid)
            .or_else(|| {
                user.and_then(|user| directory.tenants.get(&user.tenant))
                    .map(|tenant| tenant.uuid)
            })
            .or(first_tenant)
            .unwrap_or_default();
        let token = Token {
            id,
            user_uuid: user.map_or(service_user, |user| user.uuid),
            tenant_uuid: tenant,
            acl: spec.acl.clone().unwrap_or_else(default_user_acl),
            session_uuid: session,
            expires_at: now + spec.expires.unwrap_or(DEFAULT_EXPIRATION),
            purpose: Some(spec.purpose.clone().unwrap_or_else(|| "user".to_owned())),
            admin: spec.admin,
        };
        tokens.retain(|named| named.name != *name);
        tokens.push(NamedToken {
            name: name.clone(),
            token,
        });
    }
    tokens
}

impl Options {
    /// The server for a scenario run on `broker`: the directory's platform
    /// uuid as origin, a master tenant distinct from the scenario's tenants,
    /// and every token of [`scenario_tokens`].
    pub fn for_scenario(broker: AmqpUrl, directory: &Directory, tokens: &[NamedToken]) -> Self {
        let mut options = Self::new(broker);
        options.origin_uuid = directory.platform.uuid;
        options.master_tenant = DEFAULT_MASTER_TENANT;
        for named in tokens {
            options.tokens.insert(named.token.clone());
        }
        options
    }
}
