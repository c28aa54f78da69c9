//! Tokens, the store the server validates them against, and the expiry
//! schedule: the part of wazo-auth that wazo-websocketd relies on
//! (`GET /0.1/token/<id>?scope=websocketd`, `wazo_websocketd/auth.py`).
//!
//! There is no wazo-auth here: a [`TokenStore`] holds the tokens a test or a
//! scenario declares, and a lookup fails (close 4002 at connection, 4003 on a
//! periodic check) exactly when wazo-auth would answer 404 or 403: unknown or
//! expired token, or an ACL that does not grant the `websocketd` scope.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use uuid::Uuid;

use super::acl::AccessCheck;

/// The scope wazo-websocketd asks wazo-auth to check on every lookup.
pub const WEBSOCKETD_SCOPE: &str = "websocketd";

/// How long a token lives when nothing says otherwise: wazo-auth's default
/// `expiration` (7 200 s).
pub const DEFAULT_EXPIRATION: Duration = Duration::from_secs(7_200);

/// The ACL of wazo-auth's `wazo_default_user_policy`, which every user gets:
/// wazo-platform/wazo-auth-keys, `etc/wazo-auth/conf.d/50-wazo-default.yml`
/// (the `default_user_policy` wazo-auth applies to users).
pub const DEFAULT_USER_ACL: &[&str] = &[
    "agentd.users.me.#",
    "auth.users.me.external.#",
    "auth.users.me.password.update",
    "auth.users.me.sessions.*.delete",
    "auth.users.me.sessions.read",
    "auth.users.me.tokens.*.delete",
    "auth.users.me.tokens.read",
    "call-logd.users.me.#",
    "calld.lines.*.presences.read",
    "calld.parkings.#",
    "calld.switchboards.#",
    "calld.transfers.*.complete.update",
    "calld.transfers.*.delete",
    "calld.transfers.*.read",
    "calld.users.me.#",
    "calld.users.me.conferences.*.participants.read",
    "chatd.users.*.presences.read",
    "chatd.users.me.presences.update",
    "chatd.users.me.rooms.#",
    "chatd.users.presences.read",
    "confd.infos.read",
    "confd.users.me.#.read",
    "confd.users.me.forwards.*",
    "confd.users.me.forwards.*.*",
    "confd.users.me.funckeys.*",
    "confd.users.me.funckeys.*.*",
    "confd.users.me.meetings.#",
    "confd.users.me.read",
    "confd.users.me.services.*.*",
    "confd.users.me.update",
    "confd.users.me.blocklist.*",
    "dird.#.me.read",
    "dird.backends.*.sources.*.contacts.read",
    "dird.directories.*.sources.read",
    "dird.directories.favorites.#",
    "dird.directories.lookup.*.headers.read",
    "dird.directories.lookup.*.read",
    "dird.directories.personal.*.read",
    "dird.graphql.me",
    "dird.personal.#",
    "events.auth.users.me.external.#",
    "events.auth.users.me.sessions.my_session.expire_soon",
    "events.call_log.user.me.created",
    "events.calls.me",
    "events.chat.message.*.me",
    "events.chat.message.*.me.*",
    "events.chatd.users.*.presences.updated",
    "events.chatd.users.me.rooms.#",
    "events.conferences.users.me.#",
    "events.config.users.me.#",
    "events.directory.me.#",
    "events.faxes.outbound.users.me.*",
    "events.parkings.#",
    "events.statuses.*",
    "events.switchboards.#",
    "events.transfers.me",
    "events.users.me.#",
    "events.voicemails.global.messages.#",
    "webhookd.users.me.subscriptions.#",
    "websocketd",
];

/// The default user ACL as owned strings.
pub fn default_user_acl() -> Vec<String> {
    DEFAULT_USER_ACL
        .iter()
        .map(|entry| (*entry).to_owned())
        .collect()
}

/// A wazo-auth token, reduced to the fields wazo-websocketd reads:
/// `token`, `acl`, `session_uuid`, `utc_expires_at` and `metadata`'s `uuid`,
/// `tenant_uuid`, `purpose` and `admin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token id clients present (`?token=`, `X-Auth-Token`).
    pub id: String,
    /// `metadata.uuid`: the user (or service) the token belongs to.
    pub user_uuid: Uuid,
    /// `metadata.tenant_uuid`.
    pub tenant_uuid: Uuid,
    /// The ACL entries granted.
    pub acl: Vec<String>,
    /// `session_uuid`, substituted for `my_session` in ACLs.
    pub session_uuid: Uuid,
    /// `utc_expires_at`.
    pub expires_at: SystemTime,
    /// `metadata.purpose`: `user` for users; `external_api` and `internal`
    /// tokens see every user of their tenant.
    pub purpose: Option<String>,
    /// `metadata.admin`: a tenant administrator sees every user of the tenant.
    pub admin: bool,
}

impl Token {
    /// A user's token as wazo-auth issues it by default: purpose `user`, the
    /// default user policy's ACL, a fresh session, [`DEFAULT_EXPIRATION`].
    pub fn for_user(id: impl Into<String>, user_uuid: Uuid, tenant_uuid: Uuid) -> Self {
        Self {
            id: id.into(),
            user_uuid,
            tenant_uuid,
            acl: default_user_acl(),
            session_uuid: Uuid::new_v4(),
            expires_at: SystemTime::now() + DEFAULT_EXPIRATION,
            purpose: Some("user".to_owned()),
            admin: false,
        }
    }

    /// The same token with another ACL.
    #[must_use]
    pub fn with_acl<I, S>(mut self, acl: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.acl = acl.into_iter().map(Into::into).collect();
        self
    }

    /// The same token expiring `after` from now.
    #[must_use]
    pub fn expiring_in(mut self, after: Duration) -> Self {
        self.expires_at = SystemTime::now() + after;
        self
    }

    /// The compiled ACL of this token.
    pub fn access(&self) -> AccessCheck {
        AccessCheck::new(
            &self.user_uuid.to_string(),
            &self.session_uuid.to_string(),
            &self.acl,
        )
    }
}

/// Why a token lookup failed (wazo-auth's 404 or 403).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No such token (never issued, or revoked).
    #[error("token {0:?} is unknown")]
    Unknown(String),
    /// The token's `utc_expires_at` has passed.
    #[error("token {0:?} has expired")]
    Expired(String),
    /// The token's ACL does not grant the `websocketd` scope.
    #[error("token {0:?} does not grant the websocketd ACL")]
    Forbidden(String),
}

/// The tokens the server accepts. Cloning shares the store: tests issue and
/// revoke tokens while sessions are open.
#[derive(Debug, Clone, Default)]
pub struct TokenStore {
    tokens: Arc<Mutex<HashMap<String, Token>>>,
}

impl TokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) `token`.
    pub fn insert(&self, token: Token) {
        self.lock().insert(token.id.clone(), token);
    }

    /// Removes the token `id`, as `DELETE /token/<id>` does; true if it existed.
    pub fn revoke(&self, id: &str) -> bool {
        self.lock().remove(id).is_some()
    }

    /// Every token, sorted by id.
    pub fn tokens(&self) -> Vec<Token> {
        let mut tokens: Vec<Token> = self.lock().values().cloned().collect();
        tokens.sort_by(|a, b| a.id.cmp(&b.id));
        tokens
    }

    /// `GET /0.1/token/<id>?scope=websocketd`: the token if it exists, has not
    /// expired and grants the scope.
    pub fn validate(&self, id: &str) -> Result<Token, AuthError> {
        let token = self
            .lock()
            .get(id)
            .cloned()
            .ok_or_else(|| AuthError::Unknown(id.to_owned()))?;
        if token.expires_at <= SystemTime::now() {
            return Err(AuthError::Expired(id.to_owned()));
        }
        if !token.access().matches(Some(WEBSOCKETD_SCOPE)) {
            return Err(AuthError::Forbidden(id.to_owned()));
        }
        Ok(token)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Token>> {
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// When the server re-validates a session's token (`auth_check_strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpiryStrategy {
    /// wazo-websocketd's default: the next check's delay follows the current
    /// token's remaining lifetime ([`dynamic_check_delay`]).
    #[default]
    Dynamic,
    /// A check at a fixed interval (`auth_check_static_interval`).
    Static(Duration),
}

impl ExpiryStrategy {
    /// How long to wait before checking `token` again.
    pub fn next_check(&self, token: &Token, now: SystemTime) -> Duration {
        match self {
            Self::Dynamic => dynamic_check_delay(token.expires_at, now),
            Self::Static(interval) => *interval,
        }
    }
}

/// The dynamic strategy's delay before the next check, from the token's
/// remaining lifetime: expired → 15 s; under 15 s → that; up to 80 s → at most
/// 60 s; up to 16 h → three quarters of it (whole seconds); beyond → 12 h.
pub fn dynamic_check_delay(expires_at: SystemTime, now: SystemTime) -> Duration {
    let remaining = match expires_at.duration_since(now) {
        Ok(remaining) if !remaining.is_zero() => remaining,
        _ => return Duration::from_secs(15),
    };
    let seconds = remaining.as_secs_f64();
    if seconds < 15.0 {
        remaining
    } else if seconds <= 80.0 {
        remaining.min(Duration::from_secs(60))
    } else if seconds <= 57_600.0 {
        // Python's int(0.75 * delta): truncated to whole seconds.
        Duration::from_secs((0.75 * seconds) as u64)
    } else {
        Duration::from_secs(43_200)
    }
}

/// Why a `--token` specification was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenSpecError {
    /// A part without `=` (other than `admin`).
    #[error(
        "token part \"{0}\" is not KEY=VALUE; keys are id, user, tenant, acl, session, expires, purpose, admin"
    )]
    NotKeyValue(String),
    /// A key the specification does not know.
    #[error(
        "unknown token key \"{0}\"; keys are id, user, tenant, acl, session, expires, purpose, admin"
    )]
    UnknownKey(String),
    /// A value of the wrong form.
    #[error("bad token {key} \"{value}\": {reason}")]
    BadValue {
        /// The key.
        key: &'static str,
        /// The value as written.
        value: String,
        /// What was expected.
        reason: String,
    },
}

/// Reads `id=T,user=U,tenant=U,acl=A,acl=B,session=U,expires=1h,purpose=P,admin`:
/// every part optional (a fresh id and user, `default_tenant`, the default
/// user policy's ACL unless `acl` is given, a fresh session,
/// [`DEFAULT_EXPIRATION`], purpose `user`, not admin).
pub fn parse_token_spec(text: &str, default_tenant: Uuid) -> Result<Token, TokenSpecError> {
    let mut token = Token::for_user(Uuid::new_v4().to_string(), Uuid::new_v4(), default_tenant);
    let mut acl: Vec<String> = Vec::new();
    let uuid = |key: &'static str, value: &str| {
        value
            .parse::<Uuid>()
            .map_err(|error| TokenSpecError::BadValue {
                key,
                value: value.to_owned(),
                reason: error.to_string(),
            })
    };
    for part in text
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
    {
        let (key, value) = match part.split_once('=') {
            Some((key, value)) => (key.trim(), value.trim()),
            None if part == "admin" => ("admin", "true"),
            None => return Err(TokenSpecError::NotKeyValue(part.to_owned())),
        };
        match key {
            "id" if !value.is_empty() => token.id = value.to_owned(),
            "id" => {
                return Err(TokenSpecError::BadValue {
                    key: "id",
                    value: String::new(),
                    reason: "a token id cannot be empty".into(),
                });
            }
            "user" => token.user_uuid = uuid("user", value)?,
            "tenant" => token.tenant_uuid = uuid("tenant", value)?,
            "session" => token.session_uuid = uuid("session", value)?,
            "acl" => acl.push(value.to_owned()),
            "expires" => {
                let after =
                    humantime::parse_duration(value).map_err(|error| TokenSpecError::BadValue {
                        key: "expires",
                        value: value.to_owned(),
                        reason: format!("{error}; expected e.g. \"30s\" or \"2h\""),
                    })?;
                token.expires_at = SystemTime::now() + after;
            }
            "purpose" if PURPOSES.contains(&value) => token.purpose = Some(value.to_owned()),
            "purpose" => {
                return Err(TokenSpecError::BadValue {
                    key: "purpose",
                    value: value.to_owned(),
                    reason: format!("purposes are {}", PURPOSES.join(", ")),
                });
            }
            "admin" => {
                token.admin = value.parse().map_err(|_| TokenSpecError::BadValue {
                    key: "admin",
                    value: value.to_owned(),
                    reason: "expected true or false".into(),
                })?;
            }
            other => return Err(TokenSpecError::UnknownKey(other.to_owned())),
        }
    }
    if !acl.is_empty() {
        token.acl = acl;
    }
    Ok(token)
}

/// The purposes wazo-auth gives tokens.
pub const PURPOSES: [&str; 3] = ["user", "internal", "external_api"];

#[cfg(test)]
mod tests {
    use super::*;

    fn delay(seconds: f64) -> Duration {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let expires_at = if seconds >= 0.0 {
            now + Duration::from_secs_f64(seconds)
        } else {
            now - Duration::from_secs_f64(-seconds)
        };
        dynamic_check_delay(expires_at, now)
    }

    /// The delays of wazo-websocketd's unit tests (`tests/test_auth.py`).
    #[rstest::rstest]
    #[case(-10.0, 15.0)]
    #[case(0.0, 15.0)]
    #[case(4.0, 4.0)]
    #[case(10.0, 10.0)]
    #[case(70.0, 60.0)]
    #[case(80.0, 60.0)]
    #[case(100.0, 75.0)]
    #[case(101.0, 75.0)]
    #[case(57_600.0, 43_200.0)]
    #[case(86_400.0, 43_200.0)]
    fn dynamic_delays(#[case] remaining: f64, #[case] expected: f64) {
        assert_eq!(delay(remaining), Duration::from_secs_f64(expected));
    }

    #[test]
    fn validation_answers_as_wazo_auth() {
        let store = TokenStore::new();
        let user = Uuid::new_v4();
        let tenant = Uuid::new_v4();
        store.insert(Token::for_user("ok", user, tenant));
        store.insert(Token::for_user("no-scope", user, tenant).with_acl(["events.#"]));
        store.insert(Token::for_user("hash", user, tenant).with_acl(["#"]));
        let mut old = Token::for_user("old", user, tenant);
        old.expires_at = SystemTime::now() - Duration::from_secs(1);
        store.insert(old);

        assert_eq!(store.validate("ok").unwrap().user_uuid, user);
        assert!(store.validate("hash").is_ok());
        assert_eq!(
            store.validate("no-scope"),
            Err(AuthError::Forbidden("no-scope".into()))
        );
        assert_eq!(store.validate("old"), Err(AuthError::Expired("old".into())));
        assert_eq!(
            store.validate("nope"),
            Err(AuthError::Unknown("nope".into()))
        );
        assert!(store.revoke("ok"));
        assert_eq!(store.validate("ok"), Err(AuthError::Unknown("ok".into())));
    }

    #[test]
    fn token_specs_fill_in_wazo_auths_defaults() {
        let tenant = Uuid::new_v4();
        let token = parse_token_spec("id=abc, user=00000000-0000-4000-8000-000000000001, acl=events.#, acl=websocketd, expires=30s, purpose=internal, admin", tenant).unwrap();
        assert_eq!(token.id, "abc");
        assert_eq!(token.user_uuid, Uuid::from_u128(0x4000_8000_0000_0000_0001));
        assert_eq!(token.tenant_uuid, tenant);
        assert_eq!(token.acl, ["events.#", "websocketd"]);
        assert_eq!(token.purpose.as_deref(), Some("internal"));
        assert!(token.admin);
        assert!(token.expires_at <= SystemTime::now() + Duration::from_secs(30));
        let default = parse_token_spec("", tenant).unwrap();
        assert_eq!(default.acl, default_user_acl());
        assert_eq!(default.purpose.as_deref(), Some("user"));
        for (bad, message) in [
            ("user=nope", "bad token user \"nope\""),
            ("scope=x", "unknown token key \"scope\""),
            ("lonely", "token part \"lonely\" is not KEY=VALUE"),
            ("purpose=root", "purposes are user, internal, external_api"),
            ("expires=soon", "bad token expires \"soon\""),
            ("id=", "a token id cannot be empty"),
        ] {
            let error = parse_token_spec(bad, tenant).unwrap_err().to_string();
            assert!(error.contains(message), "{bad}: {error}");
        }
    }

    #[test]
    fn the_default_user_policy_grants_the_users_own_call_events() {
        let user = Uuid::new_v4();
        let token = Token::for_user("t", user, Uuid::new_v4());
        let access = token.access();
        assert!(access.matches(Some(&format!("events.calls.{user}"))));
        assert!(access.matches(Some(&format!("events.users.{user}.services.dnd.updated"))));
        assert!(!access.matches(Some(&format!("events.calls.{}", Uuid::new_v4()))));
        assert!(!access.matches(Some("events.call_created")));
    }
}
