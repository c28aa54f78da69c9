//! Domain events: what happened on the platform, independent of how any
//! platform says it. Dialects ([`crate::dialect`]) render them.
//!
//! Call events carry snapshots of the call and channel *after* the change,
//! so a renderer never has to replay state: a Wazo `call_updated` is the
//! channel snapshot, a Phone.com leg is the same snapshot seen as a leg.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::scenario::{
    EntryId, ExternalAuthChange, ForwardKind, HangupCause, MessageDirection, MessageKind,
    ServiceKind, Toggle, VoicemailFolder,
};

/// A domain event and when it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Timed {
    /// The instant, on the virtual clock.
    pub at: OffsetDateTime,
    /// The index of the scenario step that caused it.
    pub step: usize,
    /// What happened.
    pub event: DomainEvent,
}

/// Which way a call goes, seen from the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From an outside number to a user.
    Inbound,
    /// From a user to an outside number.
    Outbound,
    /// Between two users.
    Internal,
}

/// A call as a whole: who called whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallInfo {
    /// The scenario's handle.
    pub handle: String,
    /// A platform-neutral unique id of the call.
    pub uuid: Uuid,
    /// Which way it goes.
    pub direction: Direction,
    /// The calling party's handle.
    pub from: String,
    /// The called party's handle (the original callee, even after a transfer).
    pub to: String,
    /// When the caller's channel was created.
    pub started_at: OffsetDateTime,
}

/// The state of a channel, as Asterisk names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelState {
    /// Created, nothing happening yet.
    Down,
    /// The caller's side while it is dialing.
    Ring,
    /// The callee's phone is ringing.
    Ringing,
    /// Answered.
    Up,
    /// The callee is busy.
    Busy,
}

/// Which side of the call a channel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The channel that placed the call (the first leg).
    Caller,
    /// A channel that was called.
    Callee,
}

/// One channel (a leg of a call) after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// Asterisk-style unique id: `<epoch seconds>.<sequence>`.
    pub id: String,
    /// Asterisk channel name, e.g. `PJSIP/m3ylhs-0000002a`.
    pub name: String,
    /// The id of the call's first channel (Asterisk's `Linkedid`), shared
    /// by every channel of one conversation.
    pub linked_id: String,
    /// The handle of the party the channel belongs to.
    pub party: String,
    /// The handle of the party at the other end, if any.
    pub peer: Option<String>,
    /// Which side it is.
    pub role: Role,
    /// Its state.
    pub state: ChannelState,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// Whether it is on hold.
    pub on_hold: bool,
    /// The bridge it is in, once answered.
    pub bridge: Option<String>,
    /// The channels it talks to (ids), once bridged.
    pub talking_to: Vec<String>,
    /// The number or extension that was dialed to reach the callee.
    pub dialed: String,
}

/// What changed on a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelChange {
    /// It was created.
    Created,
    /// It started ringing.
    Ringing,
    /// It was answered.
    Answered,
    /// It joined a bridge with its peer.
    Bridged,
    /// It left its bridge (its peer went away, e.g. a transfer).
    Unbridged,
    /// Its phone put the call on hold.
    Held,
    /// Its phone resumed the call.
    Resumed,
    /// It hung up.
    HungUp(HangupCause),
}

/// A relocate (Wazo: a user moves their side of a call to another line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relocate {
    /// The relocate's uuid.
    pub uuid: Uuid,
    /// The initiating user's handle.
    pub initiator: String,
    /// The channel that stays (the other party's).
    pub relocated_call: String,
    /// The initiator's original channel.
    pub initiator_call: String,
    /// The initiator's new channel.
    pub recipient_call: String,
    /// The completions (`answer`, `api`).
    pub completions: Vec<String>,
}

/// The phase of a relocate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelocatePhase {
    /// The recipient channel is being called.
    Initiated,
    /// The recipient answered.
    Answered,
    /// The relocated channel is now bridged with the recipient.
    Completed,
    /// The relocate is over.
    Ended,
}

/// A conference participant after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    /// The conference's handle.
    pub conference: String,
    /// The party's handle.
    pub party: String,
    /// The participant's channel id.
    pub call_id: String,
    /// When the participant joined.
    pub joined_at: OffsetDateTime,
    /// Whether muted.
    pub muted: bool,
    /// Whether an administrator.
    pub admin: bool,
    /// Language.
    pub language: String,
}

/// What happened to a conference participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParticipantChange {
    /// Joined.
    Joined,
    /// Muted.
    Muted,
    /// Unmuted.
    Unmuted,
    /// Started talking.
    TalkStarted,
    /// Stopped talking.
    TalkStopped,
    /// Left.
    Left,
}

/// An outbound fax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fax {
    /// The fax id (Wazo uses the call's id).
    pub id: String,
    /// The channel id of the fax call.
    pub call_id: String,
    /// The sending user's handle, if a user sent it.
    pub user: Option<String>,
    /// The sending tenant's handle.
    pub tenant: String,
    /// The dialed number.
    pub extension: String,
    /// The dialplan context it was sent from.
    pub context: String,
    /// The caller id presented, `Name <number>`.
    pub caller_id: String,
}

/// What happened to a fax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaxChange {
    /// It is being sent.
    Created,
    /// It was received.
    Succeeded,
    /// It failed.
    Failed {
        /// Why.
        reason: String,
    },
}

/// A voicemail message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoicemailMessage {
    /// The mailbox owner's handle.
    pub user: String,
    /// The message id (`<epoch>-<sequence>`).
    pub id: String,
    /// When it was left.
    pub left_at: OffsetDateTime,
    /// The caller's number.
    pub caller_id_num: String,
    /// The caller's name.
    pub caller_id_name: String,
    /// Its length in seconds.
    pub duration_seconds: u64,
    /// The folder it is in.
    pub folder: VoicemailFolder,
}

/// What happened to a voicemail message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoicemailChange {
    /// Left.
    Created,
    /// Moved or marked.
    Updated,
    /// Deleted.
    Deleted,
}

/// A platform service (Consul registration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Its name, e.g. `wazo-dird`.
    pub name: String,
    /// Its Consul id.
    pub id: Uuid,
    /// Its advertised address.
    pub address: String,
    /// Its advertised port.
    pub port: u16,
    /// Its Consul tags.
    pub tags: Vec<String>,
}

/// An SMS or MMS in a user's inbox (Phone.com only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextMessage {
    /// The scenario's handle.
    pub handle: String,
    /// Its unique id.
    pub uuid: Uuid,
    /// SMS or MMS.
    pub kind: MessageKind,
    /// Received or sent by the user.
    pub direction: MessageDirection,
    /// The user whose inbox holds it.
    pub user: String,
    /// The outside party at the other end.
    pub party: String,
    /// Its position in the inbox (counts up from a seeded start).
    pub inbox_id: u64,
    /// The text.
    pub text: String,
    /// The attachments, each with a URL.
    pub media: Vec<MediaItem>,
}

/// A request to Phone.com's API that returned an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRequestError {
    /// The event object's id, from the seed.
    pub uuid: Uuid,
    /// The HTTP method.
    pub method: String,
    /// The path requested.
    pub url: String,
    /// The status answered.
    pub status: u16,
    /// The error's message, if the scenario gives one.
    pub error: Option<String>,
    /// The request body's size in bytes.
    pub body_size: u64,
}

/// An MMS attachment, complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaItem {
    /// Where it can be fetched.
    pub url: String,
    /// Its MIME type.
    pub mime_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// The file name.
    pub filename: String,
    /// A thumbnail's URL.
    pub thumbnail: Option<String>,
}

/// A call recording (Phone.com only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecording {
    /// Its unique id.
    pub uuid: Uuid,
    /// Its length in seconds.
    pub duration_seconds: u64,
    /// Its size in bytes.
    pub size: u64,
}

/// Something that happened on the platform.
///
/// Most variants are things both platforms publish. The ones marked
/// *Phone.com only* (text messages, call logs, recordings) have no word on
/// Wazo's bus: the Wazo dialect skips them.
#[derive(Debug, Clone, PartialEq)]
pub enum DomainEvent {
    /// A channel of a call changed; `channel` is its state afterwards.
    Channel {
        /// The call.
        call: CallInfo,
        /// The channel after the change.
        channel: Channel,
        /// What changed.
        change: ChannelChange,
    },
    /// A relocate moved on.
    Relocate {
        /// The relocate.
        relocate: Relocate,
        /// Its new phase.
        phase: RelocatePhase,
    },
    /// A conference participant changed.
    Participant {
        /// The participant after the change.
        participant: Participant,
        /// What changed.
        change: ParticipantChange,
    },
    /// A conference recording started or stopped.
    ConferenceRecord {
        /// The conference's handle.
        conference: String,
        /// Started or stopped.
        state: Toggle,
    },
    /// A fax changed.
    Fax {
        /// The fax.
        fax: Fax,
        /// What changed.
        change: FaxChange,
    },
    /// An agent logged in or out.
    AgentStatus {
        /// The agent's handle.
        agent: String,
        /// Logged in afterwards.
        logged_in: bool,
    },
    /// A user was created.
    UserCreated {
        /// The user's handle.
        user: String,
    },
    /// A user was edited.
    UserEdited {
        /// The user's handle.
        user: String,
    },
    /// A user was deleted.
    UserDeleted {
        /// The user's handle.
        user: String,
    },
    /// A user's forward changed.
    UserForward {
        /// The user's handle.
        user: String,
        /// Which forward.
        forward: ForwardKind,
        /// Enabled afterwards.
        enabled: bool,
        /// Its destination, if any.
        destination: Option<String>,
    },
    /// A user's service changed.
    UserService {
        /// The user's handle.
        user: String,
        /// Which service.
        service: ServiceKind,
        /// Enabled afterwards.
        enabled: bool,
    },
    /// A voicemail message changed.
    Voicemail {
        /// The message after the change.
        message: VoicemailMessage,
        /// What changed.
        change: VoicemailChange,
    },
    /// A plugin task reported progress.
    PluginProgress {
        /// The task's uuid.
        task: Uuid,
        /// Install (`true`) or uninstall.
        install: bool,
        /// The status reported.
        status: String,
    },
    /// A tenant was created.
    TenantCreated {
        /// The tenant's handle.
        tenant: String,
    },
    /// A tenant was updated; `name` is its name afterwards.
    TenantUpdated {
        /// The tenant's handle.
        tenant: String,
        /// Its name afterwards.
        name: String,
    },
    /// A tenant was deleted.
    TenantDeleted {
        /// The tenant's handle.
        tenant: String,
    },
    /// A user's external authentication changed.
    ExternalAuth {
        /// The user's handle.
        user: String,
        /// The external service.
        service: String,
        /// What happened.
        change: ExternalAuthChange,
    },
    /// A directory favorite was added or removed.
    Favorite {
        /// The user's handle.
        user: String,
        /// The directory source.
        source: String,
        /// The contact's id.
        entry: EntryId,
        /// Added (`true`) or removed.
        added: bool,
    },
    /// A service registered (started).
    ServiceRegistered {
        /// The service.
        service: Service,
    },
    /// A service deregistered (stopped).
    ServiceDeregistered {
        /// The service.
        service: Service,
    },
    /// A user submitted a call form.
    CallForm {
        /// The user's handle.
        user: String,
        /// The form content.
        variables: Map<String, Value>,
    },
    /// Phone.com only: an SMS or MMS was received or sent.
    TextMessage {
        /// The message.
        message: TextMessage,
    },
    /// Phone.com only: the call log of an ended call is available.
    CallLogAvailable {
        /// The call.
        call: CallInfo,
    },
    /// Phone.com only: the recording of a call is available.
    RecordingAvailable {
        /// The call recorded.
        call: CallInfo,
        /// The recording.
        recording: CallRecording,
    },
    /// Phone.com only: a request to the platform's API returned an error.
    ApiError {
        /// The request and its answer.
        error: ApiRequestError,
    },
    /// A raw AMI event.
    Ami {
        /// The AMI event name.
        event: String,
        /// Its fields.
        fields: Map<String, Value>,
    },
    /// A dialect event by name (the escape hatch).
    Emit {
        /// The event name.
        event: String,
        /// Overrides of its data fields.
        fields: Map<String, Value>,
    },
}
