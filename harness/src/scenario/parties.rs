//! The parties a scenario declares. Every field is optional: what is not
//! given is generated from the seed by the simulation ([`crate::sim`]).

use std::collections::BTreeMap;

use uuid::Uuid;

/// A tenant (`[tenants.<handle>]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantSpec {
    /// The tenant's uuid.
    pub uuid: Option<Uuid>,
    /// Its display name.
    pub name: Option<String>,
    /// Its slug (used in dialplan context names).
    pub slug: Option<String>,
}

/// A Wazo user (`[users.<handle>]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserSpec {
    /// The user's uuid.
    pub uuid: Option<Uuid>,
    /// The user's numeric id in wazo-confd.
    pub id: Option<u32>,
    /// The internal extension (e.g. `1001`).
    pub extension: Option<String>,
    /// The SIP endpoint name of the user's line (e.g. `m3ylhs`).
    pub line: Option<String>,
    /// The display name (`Caller ID` name).
    pub name: Option<String>,
    /// The tenant handle; the first tenant when absent.
    pub tenant: Option<String>,
}

/// An outside number (`[externals.<handle>]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExternalSpec {
    /// The E.164 number.
    pub number: Option<String>,
    /// The caller-id name.
    pub name: Option<String>,
}

/// A call-center agent (`[agents.<handle>]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentSpec {
    /// The agent's numeric id.
    pub id: Option<u32>,
    /// The agent number.
    pub number: Option<String>,
    /// The user the agent is, if any.
    pub user: Option<String>,
}

/// A conference room (`[conferences.<handle>]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConferenceSpec {
    /// The conference's numeric id.
    pub id: Option<u32>,
    /// Its name.
    pub name: Option<String>,
    /// The extension to dial to join.
    pub extension: Option<String>,
}

/// Everything a scenario declares, by handle. Maps are ordered so that
/// generation visits handles in a fixed order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartySpecs {
    /// Tenants by handle.
    pub tenants: BTreeMap<String, TenantSpec>,
    /// Users by handle.
    pub users: BTreeMap<String, UserSpec>,
    /// External numbers by handle.
    pub externals: BTreeMap<String, ExternalSpec>,
    /// Agents by handle.
    pub agents: BTreeMap<String, AgentSpec>,
    /// Conferences by handle.
    pub conferences: BTreeMap<String, ConferenceSpec>,
}
