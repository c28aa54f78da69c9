//! wazo-auth tokens a scenario declares (`[tokens.<name>]`), for consumers of
//! the Wazo WebSocket (`switchboard run --websocket`). Every user also gets a
//! default token (the default user policy's ACL); these are the others: a
//! narrower ACL, a tenant admin, an `external_api` service, a short expiry.

use std::time::Duration;

use uuid::Uuid;

/// The purposes wazo-auth gives tokens.
pub use crate::websocketd::auth::PURPOSES;

/// A declared token. Absent fields take wazo-auth's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenSpec {
    /// The token id clients present; generated from the seed when absent.
    pub id: Option<String>,
    /// The user handle the token belongs to; none for a service token.
    pub user: Option<String>,
    /// The tenant handle; default the user's tenant (or the first tenant).
    pub tenant: Option<String>,
    /// The ACL; default the default user policy's.
    pub acl: Option<Vec<String>>,
    /// The session uuid (for `my_session`); generated when absent.
    pub session: Option<Uuid>,
    /// Lifetime from the start of the run; default 2 h (wazo-auth's default).
    pub expires: Option<Duration>,
    /// `user` (default), `internal` or `external_api`.
    pub purpose: Option<String>,
    /// A tenant administrator's token (`metadata.admin`).
    pub admin: bool,
}
