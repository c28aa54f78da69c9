//! The scenario's parties as Phone.com sees them: one account, users as
//! extensions with a device each, outside numbers and the account's numbers
//! as DIDs.
//!
//! Phone.com ids are numbers. A user's `id` is its extension id (declare it
//! in the scenario to choose it); device ids and the account id come from
//! the seed, like every other generated value.

use std::collections::BTreeSet;

use super::RenderError;
use crate::catalog::phonecom::{Participant, ParticipantId, ParticipantType};
use crate::sim::{Directory, Fakes, Party, Tenant, User};

/// The SIP domain of devices, as in the documentation's example.
pub const SIP_DOMAIN: &str = "sip.phone.com";

/// The line a device registers on: one line per device in the simulation.
const DEVICE_LINE: u64 = 1;

/// Phone.com identities for a directory.
#[derive(Debug, Clone)]
pub struct PhonecomParties<'a> {
    /// The account every event belongs to.
    pub account_id: u64,
    directory: &'a Directory,
    seed: u64,
}

impl<'a> PhonecomParties<'a> {
    /// The identities for `directory` under `seed`.
    pub fn new(directory: &'a Directory, seed: u64) -> Self {
        Self {
            account_id: account_id(seed),
            directory,
            seed,
        }
    }

    /// The party with this handle.
    pub fn party(&self, handle: &str) -> Result<Party<'a>, RenderError> {
        self.directory
            .party(handle)
            .ok_or_else(|| RenderError::UnknownParty(handle.to_string()))
    }

    /// A user's device: the phone that rings and answers.
    pub fn device(&self, user: &User) -> Result<Participant, RenderError> {
        let device_id = Fakes::new(self.seed, &format!("phonecom/device/{}", user.handle))
            .number(100_000..=999_999);
        Ok(Participant {
            kind: ParticipantType::Device,
            id: ParticipantId::Number(u64::from(device_id)),
            line: Some(DEVICE_LINE),
            domain: Some(SIP_DOMAIN.to_string()),
            extension_id: Some(extension_id(user)),
            extension: Some(extension_number(user)?),
        })
    }

    /// A user as an extension (the calling side of a leg it placed).
    pub fn extension(&self, user: &User) -> Result<Participant, RenderError> {
        Ok(Participant {
            kind: ParticipantType::Extension,
            id: ParticipantId::Number(extension_id(user)),
            line: None,
            domain: None,
            extension_id: Some(extension_id(user)),
            extension: Some(extension_number(user)?),
        })
    }

    /// The phone number a user is reached on from outside: its tenant's
    /// main number (the account's DID).
    pub fn did_of_user(&self, user: &User) -> String {
        self.directory
            .tenant_of(user)
            .map(|tenant| tenant.number.clone())
            .unwrap_or_default()
    }

    /// A tenant: the account's main number, in Phone.com's words.
    pub fn tenant(&self, handle: &str) -> Option<&'a Tenant> {
        self.directory.tenants.get(handle)
    }

    /// The extension ids of the users among `handles`.
    pub fn extension_ids<'h>(&self, handles: impl IntoIterator<Item = &'h str>) -> BTreeSet<u64> {
        handles
            .into_iter()
            .filter_map(|handle| self.directory.users.get(handle))
            .map(extension_id)
            .collect()
    }
}

/// A DID participant.
pub fn did(number: &str) -> Participant {
    Participant {
        kind: ParticipantType::Did,
        id: ParticipantId::PhoneNumber(number.to_string()),
        line: None,
        domain: None,
        extension_id: None,
        extension: None,
    }
}

/// The account id a seed gives: seven digits, as Phone.com's are.
pub fn account_id(seed: u64) -> u64 {
    u64::from(Fakes::new(seed, "phonecom/account").number(1_000_000..=9_999_999))
}

/// A user's extension id: its `id`.
pub fn extension_id(user: &User) -> u64 {
    u64::from(user.id)
}

fn extension_number(user: &User) -> Result<u64, RenderError> {
    user.extension
        .parse()
        .map_err(|_| RenderError::ExtensionNotANumber {
            user: user.handle.clone(),
            extension: user.extension.clone(),
        })
}
