//! `--profile`: which version of the Wazo platform messages follow, spelled
//! and explained once for every command that takes it.

use clap::ValueEnum;

use crate::catalog::wazo::Profile;
use crate::contract::ProfileChoice;

/// The help of `--profile` on commands that publish (`run`, `check`, `load`).
pub const PUBLISH_HELP: &str = "Which Wazo to reproduce: documented (the message bus document as \
written: exchange xivo, topic) or wazo (current Wazo 26.08, wazo-bus 4c47e71c: the wazo-headers \
headers exchange bound from xivo, the full header set, bodies that copy every header beside data, \
wazo-bus's names, keys and ACLs; `switchboard catalog errata` lists the differences)";

/// The help of `--profile` on commands that check (`validate`, `tap`).
pub const CHECK_HELP: &str = "Which Wazo to check against: auto (each message against the \
profile it matches, saying where it departs from the other), documented (the message bus \
document) or wazo (current Wazo 26.08, wazo-bus 4c47e71c)";

/// A profile to publish with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ProfileArg {
    /// The Wazo message bus document as written.
    #[default]
    Documented,
    /// Current Wazo (26.08, wazo-bus 4c47e71c).
    Wazo,
}

impl From<ProfileArg> for Profile {
    fn from(profile: ProfileArg) -> Self {
        match profile {
            ProfileArg::Documented => Profile::Documented,
            ProfileArg::Wazo => Profile::Wazo,
        }
    }
}

/// A profile to check against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum CheckProfileArg {
    /// The profile each message matches best.
    #[default]
    Auto,
    /// The Wazo message bus document.
    Documented,
    /// Current Wazo (26.08, wazo-bus 4c47e71c).
    Wazo,
}

impl From<CheckProfileArg> for ProfileChoice {
    fn from(profile: CheckProfileArg) -> Self {
        match profile {
            CheckProfileArg::Auto => ProfileChoice::Auto,
            CheckProfileArg::Documented => ProfileChoice::Documented,
            CheckProfileArg::Wazo => ProfileChoice::Wazo,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::wazo::{WAZO_BUS_COMMIT, WAZO_RELEASE};

    /// The help text names the release and commit the catalog reproduces.
    #[test]
    fn help_names_the_release_and_commit() {
        let named = format!("Wazo {WAZO_RELEASE}, wazo-bus {}", &WAZO_BUS_COMMIT[..8]);
        assert!(PUBLISH_HELP.contains(&named), "{PUBLISH_HELP}");
        assert!(CHECK_HELP.contains(&named), "{CHECK_HELP}");
    }
}
