//! The actions a scenario step can take, validated and typed.
//!
//! Handles (`"alice"`, `"c1"`, `"standup"`) are the names the scenario gives
//! to parties, calls, conferences and messages; they are resolved to data by
//! the simulation. Every handle here has been checked to exist.

use std::time::Duration;

use serde_json::{Map, Value};

pub use super::raw::EntryId;

/// How a call ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HangupCause {
    /// The call was answered and one side hung up.
    Answered,
    /// The callee was busy.
    Busy,
    /// Nobody answered before the timeout.
    NoAnswer,
    /// The caller gave up while it was ringing.
    Cancelled,
    /// The call could not be set up (an error on the way to the callee).
    Failed,
}

/// SMS or MMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// Text only.
    Sms,
    /// Text with attachments.
    Mms,
}

/// Whether a user received a text message or sent one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageDirection {
    /// From an outside number to the user (`*.receive`).
    Received,
    /// From the user to an outside number (`*.send`).
    Sent,
}

/// An MMS attachment as the scenario gives it; `url` is generated when absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaSpec {
    /// The file name.
    pub filename: String,
    /// Its MIME type.
    pub mime_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// Where it can be fetched.
    pub url: Option<String>,
    /// A thumbnail's URL.
    pub thumbnail: Option<String>,
}

/// A start/stop toggle (talking, recording).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toggle {
    /// Something begins.
    Started,
    /// Something ends.
    Stopped,
}

/// How an outbound fax ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaxOutcome {
    /// The recipient received it.
    Success,
    /// It failed, for the given reason.
    Failure {
        /// Why, as the fax stack says it (e.g. `recipient did not answer`).
        reason: String,
    },
}

/// The user forwards Wazo knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardKind {
    /// When the user is busy.
    Busy,
    /// When the user does not answer.
    NoAnswer,
    /// Always.
    Unconditional,
}

/// The user services Wazo knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceKind {
    /// Do not disturb.
    Dnd,
    /// Incoming call filtering.
    IncallFilter,
}

/// A voicemail folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoicemailFolder {
    /// New messages.
    Inbox,
    /// Messages already listened to.
    Old,
    /// Messages marked urgent.
    Urgent,
}

/// Which external-auth change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternalAuthChange {
    /// The user added an external authentication.
    Added,
    /// The user authorized the OAuth2 request.
    Authorized,
    /// The user removed it.
    Deleted,
}

/// What one step does. Each variant's fields are the step's arguments.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `call.start`: `from` dials `to`; the caller's channel is created.
    CallStart {
        /// The call's handle.
        call: String,
        /// The calling party (user or external).
        from: String,
        /// The called party (user or external).
        to: String,
    },
    /// `call.ring`: the callee's channel is created and rings; with a
    /// `group`, the devices of a ring group's other members ring too.
    CallRing {
        /// The call's handle.
        call: String,
        /// Other parties ringing at the same time (a ring group).
        group: Vec<String>,
    },
    /// `call.answer`: a ringing party answers (the callee unless `by` says
    /// which ring group member); both channels are bridged and the other
    /// members' channels stop ringing.
    CallAnswer {
        /// The call's handle.
        call: String,
        /// The ringing party who answers; the callee when absent.
        by: Option<String>,
    },
    /// `call.hold`: a party puts the call on hold.
    CallHold {
        /// The call's handle.
        call: String,
        /// The party who pressed hold; the callee when absent.
        by: Option<String>,
    },
    /// `call.resume`: a party takes the call off hold.
    CallResume {
        /// The call's handle.
        call: String,
        /// The party who resumed; the callee when absent.
        by: Option<String>,
    },
    /// `call.transfer`: `by` hands the call over to `to` (blind transfer).
    CallTransfer {
        /// The call's handle.
        call: String,
        /// The party who transfers and leaves the call.
        by: String,
        /// The new party, whose channel starts ringing.
        to: String,
    },
    /// `call.relocate`: a user moves their side of the call to another of their lines.
    CallRelocate {
        /// The call's handle.
        call: String,
        /// The user who relocates (the initiator).
        by: String,
        /// The relocate's completions (Wazo: `answer`, `api`).
        completions: Vec<String>,
    },
    /// `call.failover`: the ringing callee does not answer and the call moves
    /// on to `to` (a ring group's next member, a failover destination): the
    /// unanswered leg ends and a new one rings.
    CallFailover {
        /// The call's handle.
        call: String,
        /// The next party to ring.
        to: String,
    },
    /// `call.hangup`: the call ends.
    CallHangup {
        /// The call's handle.
        call: String,
        /// Why it ends.
        cause: HangupCause,
        /// The party who hangs up first; depends on the cause when absent.
        by: Option<String>,
    },
    /// `conference.join`: a party dials into a conference.
    ConferenceJoin {
        /// The conference's handle.
        conference: String,
        /// The joining party.
        party: String,
        /// Whether the participant is an administrator.
        admin: bool,
        /// Whether the participant joins muted.
        muted: bool,
        /// The participant's language (e.g. `en_US`).
        language: String,
    },
    /// `conference.mute`.
    ConferenceMute {
        /// The conference's handle.
        conference: String,
        /// The participant.
        party: String,
    },
    /// `conference.unmute`.
    ConferenceUnmute {
        /// The conference's handle.
        conference: String,
        /// The participant.
        party: String,
    },
    /// `conference.talk`: a participant starts or stops talking.
    ConferenceTalk {
        /// The conference's handle.
        conference: String,
        /// The participant.
        party: String,
        /// Started or stopped.
        state: Toggle,
    },
    /// `conference.record`: recording starts or stops.
    ConferenceRecord {
        /// The conference's handle.
        conference: String,
        /// Started or stopped.
        state: Toggle,
    },
    /// `conference.leave`: a participant hangs up.
    ConferenceLeave {
        /// The conference's handle.
        conference: String,
        /// The participant.
        party: String,
    },
    /// `fax.send`: an outbound fax, from a user or from the tenant (no user).
    FaxSend {
        /// The sending user, if any.
        from: Option<String>,
        /// The tenant sending when no user does; the user's tenant otherwise.
        tenant: Option<String>,
        /// The dialed number or extension.
        to: String,
        /// How it ends.
        outcome: FaxOutcome,
        /// How long after this step the outcome is known.
        after: Duration,
    },
    /// `agent.login` / `agent.logout`.
    AgentStatus {
        /// The agent's handle.
        agent: String,
        /// `true` for login.
        logged_in: bool,
    },
    /// `user.create`.
    UserCreate {
        /// The user's handle.
        user: String,
    },
    /// `user.edit`.
    UserEdit {
        /// The user's handle.
        user: String,
    },
    /// `user.delete`.
    UserDelete {
        /// The user's handle.
        user: String,
    },
    /// `user.forward`: a forward is changed.
    UserForward {
        /// The user's handle.
        user: String,
        /// Which forward.
        forward: ForwardKind,
        /// Its new state.
        enabled: bool,
        /// Where it forwards to.
        destination: Option<String>,
    },
    /// `user.service`: a service is switched.
    UserService {
        /// The user's handle.
        user: String,
        /// Which service.
        service: ServiceKind,
        /// Its new state.
        enabled: bool,
    },
    /// `voicemail.leave`: a caller leaves a message in a user's voicemail.
    VoicemailLeave {
        /// The mailbox owner.
        user: String,
        /// The message's handle.
        message: String,
        /// The caller, if known.
        from: Option<String>,
        /// The message length.
        duration: Duration,
    },
    /// `voicemail.move`: a message moves to another folder (e.g. listened to).
    VoicemailMove {
        /// The mailbox owner.
        user: String,
        /// The message's handle.
        message: String,
        /// The destination folder.
        folder: VoicemailFolder,
    },
    /// `voicemail.delete`.
    VoicemailDelete {
        /// The mailbox owner.
        user: String,
        /// The message's handle.
        message: String,
    },
    /// `plugin.install` / `plugin.uninstall`: a task reporting progress statuses.
    Plugin {
        /// The task's handle.
        plugin: String,
        /// `true` for install, `false` for uninstall.
        install: bool,
        /// The statuses reported, in order.
        statuses: Vec<String>,
        /// The time between two statuses.
        every: Duration,
    },
    /// `tenant.create`.
    TenantCreate {
        /// The tenant's handle.
        tenant: String,
    },
    /// `tenant.update`, optionally renaming.
    TenantUpdate {
        /// The tenant's handle.
        tenant: String,
        /// The new name.
        name: Option<String>,
    },
    /// `tenant.delete`.
    TenantDelete {
        /// The tenant's handle.
        tenant: String,
    },
    /// `external_auth.add|authorize|delete`.
    ExternalAuth {
        /// The user's handle.
        user: String,
        /// The external service (e.g. `google`, `microsoft`, `zoho`).
        service: String,
        /// What happened.
        change: ExternalAuthChange,
    },
    /// `favorite.add` / `favorite.delete`: a directory contact (un)marked favorite.
    Favorite {
        /// The user's handle.
        user: String,
        /// The directory source.
        source: String,
        /// The contact's id in that source.
        entry: EntryId,
        /// `true` for added.
        added: bool,
    },
    /// `service.register`: a platform service starts.
    ServiceRegister {
        /// The service name (e.g. `wazo-dird`).
        service: String,
        /// The advertised address; generated when absent.
        address: Option<String>,
        /// The advertised port; the service's usual port when absent.
        port: Option<u16>,
        /// Consul tags; `[service, platform uuid]` when absent.
        tags: Option<Vec<String>>,
    },
    /// `service.deregister`: a platform service stops.
    ServiceDeregister {
        /// The service name.
        service: String,
        /// Consul tags; as registered when absent.
        tags: Option<Vec<String>>,
    },
    /// `call_form`: a user submits a custom call form.
    CallForm {
        /// The user's handle.
        user: String,
        /// The form content.
        variables: Map<String, Value>,
    },
    /// `sms.receive|send`, `mms.receive|send`: a text message reaches or
    /// leaves a user's inbox. Phone.com only: Wazo's bus has no such event.
    TextMessage {
        /// The message's handle.
        message: String,
        /// SMS or MMS.
        kind: MessageKind,
        /// Received or sent by `user`.
        direction: MessageDirection,
        /// The user whose inbox holds it, or a tenant for a message received
        /// on its main number (no extension owns that inbox).
        user: String,
        /// The outside party at the other end.
        party: String,
        /// The text.
        text: String,
        /// The attachments (MMS only).
        media: Vec<MediaSpec>,
    },
    /// `call_log.available`: the call log of an ended call is ready.
    /// Phone.com only.
    CallLogAvailable {
        /// The call's handle.
        call: String,
    },
    /// `recording.available`: the recording of an ended, answered call is ready.
    /// Phone.com only.
    RecordingAvailable {
        /// The call's handle.
        call: String,
        /// Its length; the time the call was up when absent.
        duration: Option<Duration>,
    },
    /// `api.error`: a request to Phone.com's API returned an error.
    /// Phone.com only.
    ApiError {
        /// The HTTP method (`GET`).
        method: String,
        /// The path requested.
        url: String,
        /// The status answered (400–599).
        status: u16,
        /// The error's message; Phone.com's wording of the status when absent.
        error: Option<String>,
        /// The size of the request's body in bytes.
        body_size: u64,
    },
    /// `ami`: a raw AMI event.
    Ami {
        /// The AMI event name (e.g. `QueueMemberStatus`).
        event: String,
        /// Its fields.
        fields: Map<String, Value>,
    },
    /// `emit`: any catalog event by name, documented example with overrides.
    Emit {
        /// The catalog event name (e.g. `user_created`).
        event: String,
        /// Fields of `data` to override.
        fields: Map<String, Value>,
    },
}

/// An action name with the arguments it takes (required ones first).
#[derive(Debug)]
pub(crate) struct ActionSpec {
    pub name: &'static str,
    pub required: &'static [&'static str],
    pub optional: &'static [&'static str],
}

const fn spec(
    name: &'static str,
    required: &'static [&'static str],
    optional: &'static [&'static str],
) -> ActionSpec {
    ActionSpec {
        name,
        required,
        optional,
    }
}

/// Every action, the single source for validation, errors and documentation.
pub(crate) const ACTIONS: &[ActionSpec] = &[
    spec("call.start", &["call", "from", "to"], &[]),
    spec("call.ring", &["call"], &["group"]),
    spec("call.answer", &["call"], &["by"]),
    spec("call.hold", &["call"], &["by"]),
    spec("call.resume", &["call"], &["by"]),
    spec("call.transfer", &["call", "by", "to"], &[]),
    spec("call.relocate", &["call", "by"], &["completions"]),
    spec("call.failover", &["call", "to"], &[]),
    spec("call.hangup", &["call", "cause"], &["by"]),
    spec(
        "conference.join",
        &["conference", "party"],
        &["admin", "muted", "language"],
    ),
    spec("conference.mute", &["conference", "party"], &[]),
    spec("conference.unmute", &["conference", "party"], &[]),
    spec("conference.talk", &["conference", "party", "state"], &[]),
    spec("conference.record", &["conference", "state"], &[]),
    spec("conference.leave", &["conference", "party"], &[]),
    spec(
        "fax.send",
        &["to", "outcome"],
        &["from", "tenant", "reason", "after"],
    ),
    spec("agent.login", &["agent"], &[]),
    spec("agent.logout", &["agent"], &[]),
    spec("user.create", &["user"], &[]),
    spec("user.edit", &["user"], &[]),
    spec("user.delete", &["user"], &[]),
    spec(
        "user.forward",
        &["user", "forward", "enabled"],
        &["destination"],
    ),
    spec("user.service", &["user", "service", "enabled"], &[]),
    spec(
        "voicemail.leave",
        &["user", "message"],
        &["from", "duration"],
    ),
    spec("voicemail.move", &["user", "message", "folder"], &[]),
    spec("voicemail.delete", &["user", "message"], &[]),
    spec("plugin.install", &["plugin"], &["statuses", "every"]),
    spec("plugin.uninstall", &["plugin"], &["statuses", "every"]),
    spec("tenant.create", &["tenant"], &[]),
    spec("tenant.update", &["tenant"], &["name"]),
    spec("tenant.delete", &["tenant"], &[]),
    spec("external_auth.add", &["user", "service"], &[]),
    spec("external_auth.authorize", &["user", "service"], &[]),
    spec("external_auth.delete", &["user", "service"], &[]),
    spec("favorite.add", &["user", "entry"], &["source"]),
    spec("favorite.delete", &["user", "entry"], &["source"]),
    spec(
        "service.register",
        &["service"],
        &["address", "port", "tags"],
    ),
    spec("service.deregister", &["service"], &["tags"]),
    spec("call_form", &["user"], &["variables"]),
    spec("sms.receive", &["message", "from", "to", "text"], &[]),
    spec("sms.send", &["message", "from", "to", "text"], &[]),
    spec(
        "mms.receive",
        &["message", "from", "to", "media"],
        &["text"],
    ),
    spec("mms.send", &["message", "from", "to", "media"], &["text"]),
    spec("call_log.available", &["call"], &[]),
    spec("recording.available", &["call"], &["duration"]),
    spec(
        "api.error",
        &["url", "status"],
        &["method", "error", "body_size"],
    ),
    spec("ami", &["event"], &["fields"]),
    spec("emit", &["event"], &["fields"]),
];

/// The names of every action, for error messages and documentation.
pub fn action_names() -> Vec<&'static str> {
    ACTIONS.iter().map(|spec| spec.name).collect()
}

pub(crate) fn find_spec(name: &str) -> Option<&'static ActionSpec> {
    ACTIONS.iter().find(|spec| spec.name == name)
}
