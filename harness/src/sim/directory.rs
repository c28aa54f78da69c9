//! The parties of a scenario with every field filled: what was declared,
//! completed with data generated from the seed.

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use super::fakes::Fakes;
use crate::scenario::PartySpecs;

/// The platform that publishes the events (a Wazo stack, a Phone.com account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// The platform's uuid (Wazo's `origin_uuid` and `xivo_id`).
    pub uuid: Uuid,
}

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// The scenario's handle.
    pub handle: String,
    /// Its uuid.
    pub uuid: Uuid,
    /// Its name.
    pub name: String,
    /// Its slug.
    pub slug: String,
    /// Its main outside number.
    pub number: String,
    /// The dialplan context of its internal extensions.
    pub internal_context: String,
}

/// A user of the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The scenario's handle.
    pub handle: String,
    /// Its uuid.
    pub uuid: Uuid,
    /// Its numeric id.
    pub id: u32,
    /// Its extension.
    pub extension: String,
    /// The SIP endpoint name of its line.
    pub line: String,
    /// Its display name.
    pub name: String,
    /// Its tenant's handle.
    pub tenant: String,
    /// The id of its voicemail box.
    pub voicemail_id: u32,
}

/// A number outside the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct External {
    /// The scenario's handle.
    pub handle: String,
    /// Its E.164 number.
    pub number: String,
    /// Its caller-id name.
    pub name: String,
}

/// A call-center agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// The scenario's handle.
    pub handle: String,
    /// Its numeric id.
    pub id: u32,
    /// Its agent number.
    pub number: String,
    /// The user it is, if any.
    pub user: Option<String>,
}

/// A conference room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conference {
    /// The scenario's handle.
    pub handle: String,
    /// Its numeric id.
    pub id: u32,
    /// Its name.
    pub name: String,
    /// The extension to dial.
    pub extension: String,
}

/// Someone who can be on a call: a user or an external number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party<'a> {
    /// A user of the platform.
    User(&'a User),
    /// An outside number.
    External(&'a External),
}

impl Party<'_> {
    /// The handle.
    pub fn handle(&self) -> &str {
        match self {
            Party::User(user) => &user.handle,
            Party::External(external) => &external.handle,
        }
    }

    /// The caller-id name.
    pub fn caller_id_name(&self) -> &str {
        match self {
            Party::User(user) => &user.name,
            Party::External(external) => &external.name,
        }
    }

    /// The caller-id number: the extension of a user, the number of an external.
    pub fn caller_id_number(&self) -> &str {
        match self {
            Party::User(user) => &user.extension,
            Party::External(external) => &external.number,
        }
    }

    /// The user, when the party is one.
    pub fn user(&self) -> Option<&User> {
        match self {
            Party::User(user) => Some(user),
            Party::External(_) => None,
        }
    }
}

/// Every party of a scenario, complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directory {
    /// The publishing platform.
    pub platform: Platform,
    /// Tenants by handle (at least one: a default is generated when none is declared).
    pub tenants: BTreeMap<String, Tenant>,
    /// Users by handle.
    pub users: BTreeMap<String, User>,
    /// External numbers by handle.
    pub externals: BTreeMap<String, External>,
    /// Agents by handle.
    pub agents: BTreeMap<String, Agent>,
    /// Conferences by handle.
    pub conferences: BTreeMap<String, Conference>,
}

/// The handle of the tenant generated when a scenario declares none.
pub const DEFAULT_TENANT: &str = "default";

impl Directory {
    /// Completes `specs` with data generated from `seed`.
    pub fn generate(specs: &PartySpecs, seed: u64, platform_uuid: Option<Uuid>) -> Self {
        let platform = Platform {
            uuid: platform_uuid.unwrap_or_else(|| Fakes::new(seed, "platform").uuid()),
        };
        let mut tenant_specs = specs.tenants.clone();
        if tenant_specs.is_empty() {
            tenant_specs.insert(DEFAULT_TENANT.to_string(), Default::default());
        }
        let tenants: BTreeMap<String, Tenant> = tenant_specs
            .iter()
            .map(|(handle, spec)| {
                let mut fakes = Fakes::new(seed, &format!("tenant/{handle}"));
                let uuid = spec.uuid.unwrap_or_else(|| fakes.uuid());
                let slug = spec.slug.clone().unwrap_or_else(|| slugify(handle));
                let tenant = Tenant {
                    handle: handle.clone(),
                    uuid,
                    name: spec.name.clone().unwrap_or_else(|| handle.clone()),
                    number: fakes.e164_number(),
                    internal_context: format!("ctx-{slug}-internal-{}", fakes.uuid()),
                    slug,
                };
                (handle.clone(), tenant)
            })
            .collect();
        let first_tenant = tenants.keys().next().cloned().unwrap_or_default();

        let mut taken_extensions: BTreeSet<u32> = specs
            .users
            .values()
            .filter_map(|user| user.extension.as_deref()?.parse().ok())
            .collect();
        let mut taken_ids: BTreeSet<u32> =
            specs.users.values().filter_map(|user| user.id).collect();
        let users = specs
            .users
            .iter()
            .map(|(handle, spec)| {
                let mut fakes = Fakes::new(seed, &format!("user/{handle}"));
                let uuid = spec.uuid.unwrap_or_else(|| fakes.uuid());
                let name = spec.name.clone().unwrap_or_else(|| fakes.person_name());
                let line = spec.line.clone().unwrap_or_else(|| fakes.sip_username());
                let id = spec
                    .id
                    .unwrap_or_else(|| unique(&mut taken_ids, || fakes.number(1..=999)));
                let extension = spec.extension.clone().unwrap_or_else(|| {
                    unique(&mut taken_extensions, || fakes.number(1000..=1999)).to_string()
                });
                let user = User {
                    handle: handle.clone(),
                    uuid,
                    id,
                    extension,
                    line,
                    name,
                    tenant: spec.tenant.clone().unwrap_or_else(|| first_tenant.clone()),
                    voicemail_id: id,
                };
                (handle.clone(), user)
            })
            .collect();
        let externals = specs
            .externals
            .iter()
            .map(|(handle, spec)| {
                let mut fakes = Fakes::new(seed, &format!("external/{handle}"));
                let external = External {
                    handle: handle.clone(),
                    name: spec.name.clone().unwrap_or_else(|| fakes.person_name()),
                    number: spec.number.clone().unwrap_or_else(|| fakes.e164_number()),
                };
                (handle.clone(), external)
            })
            .collect();
        let mut taken_agent_ids: BTreeSet<u32> =
            specs.agents.values().filter_map(|agent| agent.id).collect();
        let agents = specs
            .agents
            .iter()
            .map(|(handle, spec)| {
                let mut fakes = Fakes::new(seed, &format!("agent/{handle}"));
                let id = spec
                    .id
                    .unwrap_or_else(|| unique(&mut taken_agent_ids, || fakes.number(1..=99)));
                let agent = Agent {
                    handle: handle.clone(),
                    id,
                    number: spec
                        .number
                        .clone()
                        .unwrap_or_else(|| format!("{}", 8000 + id)),
                    user: spec.user.clone(),
                };
                (handle.clone(), agent)
            })
            .collect();
        let mut taken_conference_ids: BTreeSet<u32> = specs
            .conferences
            .values()
            .filter_map(|conference| conference.id)
            .collect();
        let conferences = specs
            .conferences
            .iter()
            .map(|(handle, spec)| {
                let mut fakes = Fakes::new(seed, &format!("conference/{handle}"));
                let id = spec
                    .id
                    .unwrap_or_else(|| unique(&mut taken_conference_ids, || fakes.number(1..=20)));
                let conference = Conference {
                    handle: handle.clone(),
                    id,
                    name: spec.name.clone().unwrap_or_else(|| handle.clone()),
                    extension: spec
                        .extension
                        .clone()
                        .unwrap_or_else(|| format!("{}", 4000 + id)),
                };
                (handle.clone(), conference)
            })
            .collect();
        Self {
            platform,
            tenants,
            users,
            externals,
            agents,
            conferences,
        }
    }

    /// The user or external with this handle.
    pub fn party(&self, handle: &str) -> Option<Party<'_>> {
        self.users
            .get(handle)
            .map(Party::User)
            .or_else(|| self.externals.get(handle).map(Party::External))
    }

    /// The tenant of a user (the first tenant if the user's is unknown).
    pub fn tenant_of(&self, user: &User) -> Option<&Tenant> {
        self.tenants
            .get(&user.tenant)
            .or_else(|| self.tenants.values().next())
    }
}

/// Draws until the number is not taken, then takes it. After a bounded number
/// of draws it counts upwards instead, so a crowded range cannot loop forever.
fn unique(taken: &mut BTreeSet<u32>, mut draw: impl FnMut() -> u32) -> u32 {
    let mut candidate = draw();
    for _ in 0..64 {
        if !taken.contains(&candidate) {
            break;
        }
        candidate = draw();
    }
    while taken.contains(&candidate) {
        candidate = candidate.wrapping_add(1);
    }
    taken.insert(candidate);
    candidate
}

fn slugify(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::UserSpec;

    #[test]
    fn declared_fields_are_kept_and_the_rest_generated() {
        let mut specs = PartySpecs::default();
        specs.users.insert(
            "alice".into(),
            UserSpec {
                extension: Some("1001".into()),
                ..Default::default()
            },
        );
        specs.users.insert("carol".into(), UserSpec::default());
        let directory = Directory::generate(&specs, 3, None);
        let alice = &directory.users["alice"];
        assert_eq!(alice.extension, "1001");
        assert_eq!(alice.tenant, DEFAULT_TENANT);
        assert!(alice.name.contains(' '), "{}", alice.name);
        assert_ne!(directory.users["carol"].extension, "1001");
        assert_eq!(directory, Directory::generate(&specs, 3, None));
        assert_ne!(directory, Directory::generate(&specs, 4, None));
    }
}
