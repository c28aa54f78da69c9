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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::harness::{PlayOptions, render_scenario};
    use crate::scenario::SourceFile;
    use crate::websocketd::auth::DEFAULT_USER_ACL;

    const SCENARIO: &str = r#"
name = "tokens"
[tenants.acme]
[tenants.other]
[users.alice]
tenant = "acme"
[users.bob]
tenant = "other"
[tokens.bob]
user = "bob"
acl = ["websocketd"]
[tokens.api]
tenant = "other"
purpose = "external_api"
expires = "5s"
id = "api-token"
"#;

    fn tokens(seed: u64) -> (Vec<NamedToken>, Directory) {
        let scenario = Scenario::parse(&SourceFile::new("t.toml", SCENARIO.to_owned())).unwrap();
        let options = PlayOptions {
            seed: Some(seed),
            ..PlayOptions::default()
        };
        let rendered = render_scenario(&scenario, &options).unwrap();
        (
            scenario_tokens(&scenario, &rendered.directory, seed),
            rendered.directory,
        )
    }

    #[test]
    fn users_get_defaults_and_declared_tokens_resolve_against_the_directory() {
        let (tokens, directory) = tokens(7);
        let names: Vec<&str> = tokens.iter().map(|named| named.name.as_str()).collect();
        assert_eq!(
            names,
            ["alice", "api", "bob"],
            "defaults first, then the declared by name; bob's replaces his default"
        );
        let alice = &tokens[0].token;
        assert_eq!(alice.user_uuid, directory.users["alice"].uuid);
        assert_eq!(alice.tenant_uuid, directory.tenants["acme"].uuid);
        assert_eq!(alice.acl.len(), DEFAULT_USER_ACL.len());
        let bob = &tokens[2].token;
        assert_eq!(bob.tenant_uuid, directory.tenants["other"].uuid);
        assert_eq!(bob.acl, ["websocketd"]);
        let api = &tokens[1].token;
        assert_eq!(api.id, "api-token");
        assert_eq!(api.purpose.as_deref(), Some("external_api"));
        assert_eq!(api.tenant_uuid, directory.tenants["other"].uuid);
        assert!(api.expires_at <= SystemTime::now() + Duration::from_secs(5));
        assert!(
            !directory
                .users
                .values()
                .any(|user| user.uuid == api.user_uuid)
        );
    }

    #[test]
    fn ids_and_sessions_follow_the_seed() {
        let ids = |seed| -> Vec<(String, uuid::Uuid)> {
            tokens(seed)
                .0
                .into_iter()
                .map(|named| (named.token.id, named.token.session_uuid))
                .collect()
        };
        assert_eq!(ids(7), ids(7));
        assert_ne!(ids(7), ids(8));
    }
}
