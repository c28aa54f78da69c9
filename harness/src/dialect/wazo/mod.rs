//! The Wazo dialect: a timeline rendered as the messages Wazo's daemons
//! publish on the `xivo` exchange.
//!
//! Each domain event becomes the events wazo-calld, wazo-confd, wazo-auth, …
//! would publish for it, built from the catalog's typed structs so that
//! routing keys, `required_acl` and headers always come from the catalog's
//! templates ([`WazoMessage::encode`]). One module per event family:
//!
//! | module | renders |
//! |---|---|
//! | `calls` | channels → `call_created`/`call_updated`/`call_ended`, holds |
//! | `ami` | the AMI events Asterisk broadcasts for channels (`ami = true`), raw `ami` steps |
//! | `relocates` | `relocate_initiated` … `relocate_ended` |
//! | `conferences` | participants and recordings |
//! | `faxes` | outbound faxes, for everyone and for the sending user |
//! | `users` | users, their forwards and services |
//! | `voicemails` | voicemail messages |
//! | `auth` | tenants and external authentications |
//! | `cti` | agent statuses, call forms |
//! | `directory` | favorites |
//! | `plugins` | plugin install/uninstall progress |
//! | `service_registry` | services registering with Consul |
//! | `emit` | the escape hatch: any catalog event, its example with overrides |
//! | [`summary`] | the reverse: one line of words for a message, for live output |
//!
//! [`render`] is on the load generator's hot path (thousands of scenario
//! instances a second): documented examples are parsed once, nothing is
//! validated against a schema, and each message is serialised once, straight
//! from its typed data ([`WazoMessage::encode`]: no JSON tree in between).
//! [`render_checked`] adds a contract check of every message, for the
//! harness and tests.

mod ami;
mod auth;
mod calls;
mod conferences;
mod cti;
mod directory;
mod emit;
mod faxes;
mod plugins;
mod relocates;
mod service_registry;
pub mod summary;
mod users;
mod voicemails;

use std::collections::HashMap;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::catalog::wazo::{
    Addressing, EncodedMessage, MessageError, Profile, WazoEvent, WazoMessage,
};
use crate::contract::{self, Report};
use crate::sim::{Directory, DomainEvent, Party, Tenant, Timed, Timeline, User};
use crate::sink::Outgoing;

/// One rendered message: when it is sent (virtual clock) and which step caused it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The instant on the virtual clock.
    pub at: OffsetDateTime,
    /// The index of the scenario step that caused it (in `Scenario::steps`).
    pub step: usize,
    /// The message, ready for a sink.
    pub message: Outgoing,
}

/// Why a timeline could not be rendered. Each names the step (by index) and
/// says what is wrong in one sentence; [`RenderError::step`] gives the index
/// so that a caller holding the scenario can point at the file and line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// A handle the directory does not know (a step naming a party that
    /// was never declared; the simulation normally catches this).
    #[error("unknown {kind} \"{handle}\"")]
    UnknownHandle {
        /// The step.
        step: usize,
        /// What kind of handle (`user`, `tenant`, `agent`, `conference`, `party`).
        kind: &'static str,
        /// The handle.
        handle: String,
    },
    /// A value the Wazo document does not allow for a field.
    #[error("`{event}` cannot carry {field} \"{value}\": {expected}")]
    InvalidValue {
        /// The step.
        step: usize,
        /// The event being rendered.
        event: &'static str,
        /// The field.
        field: &'static str,
        /// The value given.
        value: String,
        /// What would be accepted.
        expected: String,
    },
    /// An `emit` or `ami` step that cannot become an event.
    #[error("cannot emit `{event}`: {reason}")]
    Emit {
        /// The step.
        step: usize,
        /// The event name given.
        event: String,
        /// Why.
        reason: String,
    },
    /// An `emit` step whose data, example plus overrides, does not fit the event's type.
    #[error("cannot emit `{event}`: its data does not fit the documented type ({cause})")]
    EmitData {
        /// The step.
        step: usize,
        /// The event name.
        event: String,
        /// What serde reported.
        cause: serde_json::Error,
    },
    /// The catalog could not build the message (a template missing its value).
    #[error("{}", with_causes(cause))]
    Message {
        /// The step.
        step: usize,
        /// What the catalog reported.
        cause: MessageError,
    },
    /// A rendered message departs from the contract ([`render_checked`] only).
    #[error("the rendered `{event}` does not conform to the Wazo document: {report}")]
    Contract {
        /// The step.
        step: usize,
        /// The event name.
        event: String,
        /// What the checker found.
        report: Report,
    },
}

impl RenderError {
    /// The index of the scenario step being rendered when it failed.
    pub fn step(&self) -> usize {
        match self {
            RenderError::UnknownHandle { step, .. }
            | RenderError::InvalidValue { step, .. }
            | RenderError::Emit { step, .. }
            | RenderError::EmitData { step, .. }
            | RenderError::Message { step, .. }
            | RenderError::Contract { step, .. } => *step,
        }
    }
}

/// `error: its cause: …`, the whole chain in one sentence.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

/// Renders `timeline` as the Wazo messages it causes in `profile`, in publishing order.
pub fn render(timeline: &Timeline, profile: Profile) -> Result<Vec<Rendered>, RenderError> {
    Renderer::new(timeline, profile, false).run()
}

/// [`render`], then checks every message against the profile's contract;
/// the first message that departs from it is an error naming the event.
pub fn render_checked(timeline: &Timeline, profile: Profile) -> Result<Vec<Rendered>, RenderError> {
    Renderer::new(timeline, profile, true).run()
}

/// The state of one rendering: where output goes and what AMI needs to remember.
pub(crate) struct Renderer<'t> {
    timeline: &'t Timeline,
    profile: Profile,
    check: bool,
    at: OffsetDateTime,
    step: usize,
    /// The bridge each channel is in, so AMI can say which bridge it left
    /// (the simulation clears it before reporting the change).
    bridges: HashMap<String, String>,
    /// The users in each conference room (by handle), for the
    /// `user_uuid:<uuid>` headers of current Wazo's participant events.
    conference_users: HashMap<String, Vec<Uuid>>,
    /// When each channel was answered, for wazo-calld's `answer_time`.
    answered_at: HashMap<String, OffsetDateTime>,
    out: Vec<Rendered>,
}

impl<'t> Renderer<'t> {
    fn new(timeline: &'t Timeline, profile: Profile, check: bool) -> Self {
        Self {
            timeline,
            profile,
            check,
            at: timeline
                .events
                .first()
                .map_or(crate::sim::DEFAULT_ANCHOR, |timed| timed.at),
            step: 0,
            bridges: HashMap::new(),
            conference_users: HashMap::new(),
            answered_at: HashMap::new(),
            // Calls, the bulk of most scenarios, give about one message per event.
            out: Vec::with_capacity(timeline.events.len() * 2),
        }
    }

    fn run(mut self) -> Result<Vec<Rendered>, RenderError> {
        for timed in &self.timeline.events {
            self.event(timed)?;
        }
        Ok(self.out)
    }

    fn event(&mut self, timed: &'t Timed) -> Result<(), RenderError> {
        self.at = timed.at;
        self.step = timed.step;
        match &timed.event {
            DomainEvent::Channel {
                call,
                channel,
                change,
            } => calls::channel(self, call, channel, *change),
            DomainEvent::Relocate { relocate, phase } => {
                relocates::relocate(self, relocate, *phase)
            }
            DomainEvent::Participant {
                participant,
                change,
            } => conferences::participant(self, participant, *change),
            DomainEvent::ConferenceRecord { conference, state } => {
                conferences::record(self, conference, *state)
            }
            DomainEvent::Fax { fax, change } => faxes::fax(self, fax, change),
            DomainEvent::AgentStatus { agent, logged_in } => {
                cti::agent_status(self, agent, *logged_in)
            }
            DomainEvent::CallForm { user, variables } => cti::call_form(self, user, variables),
            DomainEvent::UserCreated { user } => users::user(self, user, users::Change::Created),
            DomainEvent::UserEdited { user } => users::user(self, user, users::Change::Edited),
            DomainEvent::UserDeleted { user } => users::user(self, user, users::Change::Deleted),
            DomainEvent::UserForward {
                user,
                forward,
                enabled,
                destination,
            } => users::forward(self, user, *forward, *enabled, destination.as_deref()),
            DomainEvent::UserService {
                user,
                service,
                enabled,
            } => users::service(self, user, *service, *enabled),
            DomainEvent::Voicemail { message, change } => {
                voicemails::message(self, message, *change)
            }
            DomainEvent::PluginProgress {
                task,
                install,
                status,
            } => plugins::progress(self, *task, *install, status),
            DomainEvent::TenantCreated { tenant } => {
                auth::tenant(self, tenant, auth::TenantChange::Created)
            }
            DomainEvent::TenantUpdated { tenant, name } => {
                auth::tenant(self, tenant, auth::TenantChange::Updated(name))
            }
            DomainEvent::TenantDeleted { tenant } => {
                auth::tenant(self, tenant, auth::TenantChange::Deleted)
            }
            DomainEvent::ExternalAuth {
                user,
                service,
                change,
            } => auth::external_auth(self, user, service, *change),
            DomainEvent::Favorite {
                user,
                source,
                entry,
                added,
            } => directory::favorite(self, user, source, entry, *added),
            DomainEvent::ServiceRegistered { service } => {
                service_registry::registered(self, service)
            }
            DomainEvent::ServiceDeregistered { service } => {
                service_registry::deregistered(self, service)
            }
            DomainEvent::Ami { event, fields } => ami::raw(self, event, fields),
            DomainEvent::Emit { event, fields } => emit::emit(self, event, fields),
            // Phone.com only: Wazo's bus has no event for text messages, call
            // logs or recordings, so there is nothing to say.
            DomainEvent::TextMessage { .. }
            | DomainEvent::CallLogAvailable { .. }
            | DomainEvent::RecordingAvailable { .. }
            | DomainEvent::ApiError { .. } => Ok(()),
        }
    }

    /// The parties of the scenario.
    fn directory(&self) -> &'t Directory {
        &self.timeline.directory
    }

    /// When the scenario starts (its first event): when its users were created.
    fn start(&self) -> OffsetDateTime {
        self.timeline
            .events
            .first()
            .map_or(crate::sim::DEFAULT_ANCHOR, |timed| timed.at)
    }

    /// The platform's uuid: every message's `origin_uuid`.
    fn origin(&self) -> Uuid {
        self.timeline.directory.platform.uuid
    }

    /// The UTC offset timestamps are written with.
    fn offset(&self) -> time::UtcOffset {
        self.timeline.utc_offset
    }

    fn user(&self, handle: &str) -> Result<&'t User, RenderError> {
        self.directory()
            .users
            .get(handle)
            .ok_or_else(|| self.unknown("user", handle))
    }

    fn party(&self, handle: &str) -> Result<Party<'t>, RenderError> {
        self.directory()
            .party(handle)
            .ok_or_else(|| self.unknown("party", handle))
    }

    fn tenant(&self, handle: &str) -> Result<&'t Tenant, RenderError> {
        self.directory()
            .tenants
            .get(handle)
            .ok_or_else(|| self.unknown("tenant", handle))
    }

    fn unknown(&self, kind: &'static str, handle: &str) -> RenderError {
        RenderError::UnknownHandle {
            step: self.step,
            kind,
            handle: handle.to_owned(),
        }
    }

    fn invalid(
        &self,
        event: &'static str,
        field: &'static str,
        value: impl Into<String>,
        expected: impl Into<String>,
    ) -> RenderError {
        RenderError::InvalidValue {
            step: self.step,
            event,
            field,
            value: value.into(),
            expected: expected.into(),
        }
    }

    /// Addressed to everyone of `tenant` (tenant events).
    fn to_tenant(&self, tenant: &Tenant) -> Addressing {
        Addressing {
            tenant: Some(tenant.uuid),
            ..Addressing::default()
        }
    }

    /// Addressed to `user` (user events), in the user's tenant.
    fn to_user(&self, user: &User) -> Addressing {
        self.to_users(&user.tenant, vec![user.uuid])
    }

    /// Addressed to `users` of the tenant `tenant` (a handle).
    fn to_users(&self, tenant: &str, users: Vec<Uuid>) -> Addressing {
        Addressing {
            tenant: self
                .directory()
                .tenants
                .get(tenant)
                .map(|tenant| tenant.uuid),
            users,
            at: None,
        }
    }

    /// Addressed to the platform's first tenant (events whose daemon knows
    /// no more than the tenant, and services, which ignore it).
    fn to_platform(&self) -> Addressing {
        Addressing {
            tenant: self
                .directory()
                .tenants
                .values()
                .next()
                .map(|tenant| tenant.uuid),
            ..Addressing::default()
        }
    }

    /// Builds `event`'s message as the profile words it and appends it;
    /// nothing when the profile has no such event.
    fn publish<E: WazoEvent + ?Sized>(
        &mut self,
        event: &E,
        mut addressing: Addressing,
    ) -> Result<(), RenderError> {
        let message_error = |step, cause| RenderError::Message { step, cause };
        addressing.at = Some(self.at.to_offset(self.offset()));
        let Some(message) = WazoMessage::encode(event, self.origin(), self.profile, &addressing)
            .map_err(|cause| message_error(self.step, cause))?
        else {
            return Ok(());
        };
        if self.check {
            let decoded = message.decode().map_err(|source| {
                let name = message.name.clone();
                message_error(self.step, MessageError::Serialize { name, source })
            })?;
            let report = contract::check_wazo_as(&decoded.to_record(), self.profile);
            if !report.is_ok() {
                return Err(RenderError::Contract {
                    step: self.step,
                    event: message.name,
                    report,
                });
            }
        }
        let EncodedMessage {
            name,
            routing_key,
            headers,
            body,
            on_topic,
        } = message;
        self.out.push(Rendered {
            at: self.at,
            step: self.step,
            message: Outgoing {
                name,
                routing_key,
                headers,
                body,
                on_topic,
            },
        });
        Ok(())
    }
}

/// Wazo's timestamp format: milliseconds and a `-0500`-style offset, as in
/// the documented `creation_time` `2016-02-10T11:57:02.592-0500`.
pub(crate) const TIMESTAMP: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3][offset_hour sign:mandatory][offset_minute]"
);

/// `at` written the way Wazo writes timestamps, in `offset`.
pub(crate) fn timestamp(at: OffsetDateTime, offset: time::UtcOffset) -> String {
    // Formatting into a String cannot fail for this description: every
    // component exists on an OffsetDateTime and years stay 4-digit.
    at.to_offset(offset).format(TIMESTAMP).unwrap_or_default()
}

#[cfg(test)]
mod tests;
