//! Profiles: which version of the Wazo platform a message is worded for.
//!
//! One scenario, one simulation, one renderer; the profile decides the
//! wording. [`Profile::Documented`] is the Wazo message bus document as
//! written (the seed this project was built from). [`Profile::Wazo`] is what
//! a current Wazo publishes through the `wazo-bus` library, read from
//! Wazo's own code: the `wazo-headers` headers exchange, the full header
//! set, bodies that copy every header beside `data`, and the event names,
//! routing keys, ACLs and data fields wazo-bus and the daemons define
//! ([`super::current`] holds those facts, one row per event, with the
//! repository path each was read from).

use serde::Serialize;

/// The Wazo release whose wire format [`Profile::Wazo`] reproduces.
pub const WAZO_RELEASE: &str = "26.08";
/// The wazo-bus commit the event classes were read from (wazo-platform/wazo-bus).
pub const WAZO_BUS_COMMIT: &str = "4c47e71cb072267c4cb10485189256a2ba9c03b6";
/// The wazo-calld commit the call, conference, relocate and fax payloads were read from.
pub const WAZO_CALLD_COMMIT: &str = "07b6704d281109b29f1e69ac8c590dea81b69071";

/// Which version of the platform a message is worded for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// The Wazo message bus document as written: exchange `xivo` (topic),
    /// body `{name, origin_uuid, required_acl?, data}`, transient delivery.
    #[default]
    Documented,
    /// Current Wazo (wazo-bus): exchange `wazo-headers` (headers) bound to
    /// `xivo`, every header copied into the body, persistent delivery.
    Wazo,
}

impl Profile {
    /// Every profile, documented first.
    pub const ALL: [Profile; 2] = [Profile::Documented, Profile::Wazo];

    /// The profile's name as the command line spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Documented => "documented",
            Profile::Wazo => "wazo",
        }
    }

    /// Who says so, for reports: "the document" or "Wazo 26.08 (wazo-bus)".
    pub fn authority(self) -> String {
        match self {
            Profile::Documented => "the Wazo message bus document".to_owned(),
            Profile::Wazo => format!("Wazo {WAZO_RELEASE} (wazo-bus {})", &WAZO_BUS_COMMIT[..8]),
        }
    }

    /// The other profile.
    pub fn other(self) -> Profile {
        match self {
            Profile::Documented => Profile::Wazo,
            Profile::Wazo => Profile::Documented,
        }
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Profile {
    type Err = UnknownProfile;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|profile| profile.as_str() == text)
            .ok_or_else(|| UnknownProfile(text.to_owned()))
    }
}

/// A profile name that is neither `documented` nor `wazo`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown profile '{0}': expected documented or wazo")]
pub struct UnknownProfile(pub String);
