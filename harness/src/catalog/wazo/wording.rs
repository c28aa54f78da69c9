//! How one profile words one event: the catalog's spec (the document) or
//! its row of current Wazo ([`super::current`]), as one value the encoder
//! and the checker read.

use super::current::{self, Attribute, Audience, CurrentSpec, FieldFact};
use super::{EventSpec, Profile};
use crate::catalog::template::Template;

/// One event in one profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wording {
    pub profile: Profile,
    /// The event's name in this profile; AMI events keep their own name.
    pub name: &'static str,
    pub routing_key: Template,
    /// The ACL; `None` where the document gives none.
    pub required_acl: Option<Template>,
    /// Header names whose value is `true` that the document lists (relocates).
    pub true_headers: &'static [Template],
    /// Who the event is addressed to, when current Wazo says so. The
    /// documented profile sends the same `tenant_uuid` and `user_uuid:*`
    /// headers: they harm no topic consumer and let header consumers (and
    /// the WebSocket) filter the documented traffic too.
    pub audience: Option<Audience>,
    /// Attributes wazo-bus copies into the headers (`wazo` only).
    pub attributes: &'static [Attribute],
    /// Fields of `data` that differ between the profiles.
    pub fields: &'static [FieldFact],
    /// Published on the topic exchange even in the `wazo` profile (wazo-auth).
    pub on_topic: bool,
    /// The row of current Wazo, when there is one.
    pub current: Option<&'static CurrentSpec>,
}

/// The row of current Wazo for a catalog spec.
pub fn current_row(spec: &EventSpec) -> Option<&'static CurrentSpec> {
    if spec.name == super::ami::entry().spec.name {
        return Some(&current::AMI);
    }
    current::by_documented_name(spec.name)
        .or_else(|| current::by_name(spec.name).filter(|row| row.documented.is_none()))
}

impl Wording {
    /// How `profile` words the event of `spec`; `None` when the profile has
    /// no such event (`call_form_result` in current Wazo, `call_answered`
    /// in the document).
    pub fn of(spec: &'static EventSpec, profile: Profile) -> Option<Self> {
        let row = current_row(spec);
        match profile {
            Profile::Documented => {
                if row.is_some_and(|row| row.documented.is_none()) {
                    return None;
                }
                Some(Wording {
                    profile,
                    name: spec.name,
                    routing_key: spec.routing_key,
                    required_acl: spec.required_acl,
                    true_headers: spec.headers,
                    audience: row.map(|row| row.audience),
                    attributes: &[],
                    fields: row.map_or(&[], |row| row.fields),
                    on_topic: true,
                    current: row,
                })
            }
            Profile::Wazo => {
                let row = row?;
                Some(Wording {
                    profile,
                    name: row.name,
                    routing_key: row.routing_key,
                    required_acl: Some(row.required_acl),
                    true_headers: &[],
                    audience: Some(row.audience),
                    attributes: row.attributes,
                    fields: row.fields,
                    on_topic: row.daemon.publishes_on_topic(),
                    current: Some(row),
                })
            }
        }
    }

    /// Whether the name stands for any AMI event.
    pub fn is_ami(&self) -> bool {
        self.name == super::ami::entry().spec.name
    }
}
