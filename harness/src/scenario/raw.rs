//! The scenario file as written: serde structures that keep the span of
//! every value, so validation can point at the exact place at fault.
//!
//! Nothing here is checked beyond TOML types; [`super::build`] turns these
//! into a validated [`super::Scenario`].

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;
use uuid::Uuid;

/// The top level of a scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScenario {
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: String,
    pub seed: Option<u64>,
    #[serde(default)]
    pub ami: bool,
    pub utc_offset: Option<Spanned<String>>,
    pub origin_uuid: Option<Uuid>,
    pub phonecom: Option<RawPhonecom>,
    #[serde(default)]
    pub tenants: BTreeMap<String, RawTenant>,
    #[serde(default)]
    pub users: BTreeMap<String, RawUser>,
    #[serde(default)]
    pub externals: BTreeMap<String, RawExternal>,
    #[serde(default)]
    pub agents: BTreeMap<String, RawAgent>,
    #[serde(default)]
    pub conferences: BTreeMap<String, RawConference>,
    #[serde(default)]
    pub tokens: BTreeMap<String, Spanned<RawToken>>,
    #[serde(default)]
    pub steps: Vec<Spanned<RawStep>>,
}

/// `[phonecom]`: the spacing of leg steps in the Phone.com dialect.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPhonecom {
    pub connecting_delay: Option<Spanned<String>>,
    pub completed_gap: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawToken {
    pub id: Option<String>,
    pub user: Option<Spanned<String>>,
    pub tenant: Option<Spanned<String>>,
    pub acl: Option<Vec<String>>,
    pub session: Option<Uuid>,
    pub expires: Option<Spanned<String>>,
    pub purpose: Option<Spanned<String>>,
    #[serde(default)]
    pub admin: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTenant {
    pub uuid: Option<Uuid>,
    pub name: Option<String>,
    pub slug: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUser {
    pub uuid: Option<Uuid>,
    pub id: Option<u32>,
    pub extension: Option<String>,
    pub line: Option<String>,
    pub name: Option<String>,
    pub tenant: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExternal {
    pub number: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAgent {
    pub id: Option<u32>,
    pub number: Option<String>,
    pub user: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConference {
    pub id: Option<u32>,
    pub name: Option<String>,
    pub extension: Option<String>,
}

/// A source-entry id in a directory: wazo-dird uses integers for its
/// internal source and strings for others, so both are accepted.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum EntryId {
    /// A numeric id (internal sources).
    Number(i64),
    /// A textual id (external sources).
    Text(String),
}

/// One `[[steps]]` table: the union of every action's arguments. Which ones
/// an action accepts is checked in [`super::build`], so a misplaced argument
/// is reported with its own location.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStep {
    pub at: Option<Spanned<String>>,
    pub action: Spanned<String>,
    pub call: Option<Spanned<String>>,
    pub from: Option<Spanned<String>>,
    pub to: Option<Spanned<String>>,
    pub by: Option<Spanned<String>>,
    pub party: Option<Spanned<String>>,
    pub user: Option<Spanned<String>>,
    pub agent: Option<Spanned<String>>,
    pub conference: Option<Spanned<String>>,
    pub tenant: Option<Spanned<String>>,
    pub cause: Option<Spanned<String>>,
    pub state: Option<Spanned<String>>,
    pub admin: Option<Spanned<bool>>,
    pub muted: Option<Spanned<bool>>,
    pub language: Option<Spanned<String>>,
    pub outcome: Option<Spanned<String>>,
    pub reason: Option<Spanned<String>>,
    pub after: Option<Spanned<String>>,
    pub forward: Option<Spanned<String>>,
    pub service: Option<Spanned<String>>,
    pub enabled: Option<Spanned<bool>>,
    pub destination: Option<Spanned<String>>,
    pub message: Option<Spanned<String>>,
    pub folder: Option<Spanned<String>>,
    pub duration: Option<Spanned<String>>,
    pub plugin: Option<Spanned<String>>,
    pub statuses: Option<Spanned<Vec<String>>>,
    pub every: Option<Spanned<String>>,
    pub name: Option<Spanned<String>>,
    pub source: Option<Spanned<String>>,
    pub entry: Option<Spanned<EntryId>>,
    pub address: Option<Spanned<String>>,
    pub port: Option<Spanned<u16>>,
    pub tags: Option<Spanned<Vec<String>>>,
    pub event: Option<Spanned<String>>,
    pub fields: Option<Spanned<toml::Table>>,
    pub variables: Option<Spanned<toml::Table>>,
    pub completions: Option<Spanned<Vec<String>>>,
    pub text: Option<Spanned<String>>,
    pub media: Option<Spanned<Vec<RawMedia>>>,
    pub group: Option<Spanned<Vec<Spanned<String>>>>,
    pub method: Option<Spanned<String>>,
    pub url: Option<Spanned<String>>,
    pub status: Option<Spanned<u16>>,
    pub error: Option<Spanned<String>>,
    pub body_size: Option<Spanned<u64>>,
}

/// One MMS attachment as written (`media = [{ filename = "…", type = "…", size = … }]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMedia {
    pub filename: String,
    #[serde(rename = "type")]
    pub mime_type: String,
    pub size: u64,
    pub url: Option<String>,
    pub thumbnail: Option<String>,
}

/// Lists the arguments present in a step, with their spans, so validation
/// can reject the ones the action does not take.
macro_rules! present_arguments {
    ($step:expr, $($field:ident),* $(,)?) => {{
        let mut present = Vec::new();
        $(
            if let Some(value) = &$step.$field {
                present.push((stringify!($field), value.span()));
            }
        )*
        present
    }};
}

impl RawStep {
    /// Every argument given (excluding `at` and `action`), in declaration order.
    pub fn present_arguments(&self) -> Vec<(&'static str, std::ops::Range<usize>)> {
        present_arguments!(
            self,
            call,
            from,
            to,
            by,
            party,
            user,
            agent,
            conference,
            tenant,
            cause,
            state,
            admin,
            muted,
            language,
            outcome,
            reason,
            after,
            forward,
            service,
            enabled,
            destination,
            message,
            folder,
            duration,
            plugin,
            statuses,
            every,
            name,
            source,
            entry,
            address,
            port,
            tags,
            event,
            fields,
            variables,
            completions,
            text,
            media,
            group,
            method,
            url,
            status,
            error,
            body_size,
        )
    }
}
