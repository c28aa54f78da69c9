//! The simulation proper: applies each step to the platform state and
//! records the domain events it causes.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use time::OffsetDateTime;

use super::SimError;
use super::calls::{Call, ChannelIds, EndedCall, Phase};
use super::clock::VirtualClock;
use super::directory::{Directory, Party};
use super::event::{
    ApiRequestError, CallInfo, CallRecording, Channel, ChannelChange, ChannelState, Direction,
    DomainEvent, Fax, FaxChange, MediaItem, Participant, ParticipantChange, Relocate,
    RelocatePhase, Role, Service, TextMessage, Timed, VoicemailChange, VoicemailMessage,
};
use super::fakes::Fakes;
use crate::scenario::{
    Action, FaxOutcome, HangupCause, Location, MediaSpec, MessageDirection, MessageKind, Step,
    Toggle, VoicemailFolder,
};

/// Bytes per second of a call recording: MP3 at 32 kbit/s, a common choice
/// for telephone-quality audio, so sizes grow with duration as real ones do.
const RECORDING_BYTES_PER_SECOND: u64 = 4_000;

/// The platform state while a scenario plays.
pub(crate) struct Engine<'a> {
    directory: &'a Directory,
    clock: VirtualClock,
    seed: u64,
    ids: ChannelIds,
    now: OffsetDateTime,
    step: usize,
    location: Location,
    calls: BTreeMap<String, Call>,
    ended_calls: BTreeMap<String, EndedCall>,
    calls_started: u64,
    text_messages: BTreeSet<String>,
    next_inbox_id: u64,
    recordings: u64,
    bridges_created: u64,
    relocates: u64,
    participants: BTreeMap<(String, String), Participant>,
    talking: BTreeSet<(String, String)>,
    recording: BTreeSet<String>,
    logged_in: BTreeSet<String>,
    voicemails: BTreeMap<(String, String), VoicemailMessage>,
    voicemails_left: u64,
    services: BTreeMap<String, Service>,
    tenant_names: BTreeMap<String, String>,
    events: Vec<Timed>,
}

type StepResult = Result<(), String>;

impl<'a> Engine<'a> {
    pub fn new(directory: &'a Directory, clock: VirtualClock, seed: u64) -> Self {
        let first_channel = u64::from(Fakes::new(seed, "asterisk").number(1..=60));
        Self {
            directory,
            clock,
            seed,
            ids: ChannelIds::starting_at(first_channel),
            now: clock.anchor(),
            step: 0,
            location: Location {
                file: String::new(),
                line: 0,
                column: 0,
            },
            calls: BTreeMap::new(),
            ended_calls: BTreeMap::new(),
            calls_started: 0,
            text_messages: BTreeSet::new(),
            next_inbox_id: u64::from(Fakes::new(seed, "inbox").number(10_000..=99_999)),
            recordings: 0,
            bridges_created: 0,
            relocates: 0,
            participants: BTreeMap::new(),
            talking: BTreeSet::new(),
            recording: BTreeSet::new(),
            logged_in: BTreeSet::new(),
            voicemails: BTreeMap::new(),
            voicemails_left: 0,
            services: BTreeMap::new(),
            tenant_names: directory
                .tenants
                .iter()
                .map(|(handle, tenant)| (handle.clone(), tenant.name.clone()))
                .collect(),
            events: Vec::new(),
        }
    }

    /// Applies every step and returns the events in time order.
    pub fn run(mut self, steps: &[Step]) -> Result<Vec<Timed>, SimError> {
        for (index, step) in steps.iter().enumerate() {
            self.step = index;
            self.location = step.location.clone();
            self.now = self.clock.at(step.at);
            self.apply(&step.action).map_err(|message| SimError {
                location: step.location.clone(),
                message,
            })?;
        }
        // Delayed outcomes (faxes, plugin progress) land after later steps;
        // a stable sort keeps the order of events sharing an instant.
        self.events.sort_by_key(|timed| timed.at);
        Ok(self.events)
    }

    fn emit(&mut self, event: DomainEvent) {
        self.emit_at(self.now, event);
    }

    fn emit_at(&mut self, at: OffsetDateTime, event: DomainEvent) {
        self.events.push(Timed {
            at,
            step: self.step,
            event,
        });
    }

    fn party(&self, handle: &str) -> Result<Party<'a>, String> {
        self.directory
            .party(handle)
            .ok_or_else(|| format!("unknown party \"{handle}\""))
    }

    fn apply(&mut self, action: &Action) -> StepResult {
        match action {
            Action::CallStart { call, from, to } => self.call_start(call, from, to),
            Action::CallRing { call, group } => self.call_ring(call, group),
            Action::CallAnswer { call, by } => self.call_answer(call, by.as_deref()),
            Action::CallHold { call, by } => self.call_hold(call, by.as_deref(), true),
            Action::CallResume { call, by } => self.call_hold(call, by.as_deref(), false),
            Action::CallTransfer { call, by, to } => self.call_transfer(call, by, to),
            Action::CallRelocate {
                call,
                by,
                completions,
            } => self.call_relocate(call, by, completions),
            Action::CallHangup { call, cause, by } => self.call_hangup(call, *cause, by.as_deref()),
            Action::CallFailover { call, to } => self.call_failover(call, to),
            Action::TextMessage {
                message,
                kind,
                direction,
                user,
                party,
                text,
                media,
            } => self.text_message(message, *kind, *direction, user, party, text, media),
            Action::CallLogAvailable { call } => {
                let ended = self.ended_call(call, "call_log.available")?;
                self.emit(DomainEvent::CallLogAvailable { call: ended.info });
                Ok(())
            }
            Action::RecordingAvailable { call, duration } => {
                self.recording_available(call, *duration)
            }
            Action::ConferenceJoin {
                conference,
                party,
                admin,
                muted,
                language,
            } => self.conference_join(conference, party, *admin, *muted, language),
            Action::ConferenceMute { conference, party } => {
                self.participant_mute(conference, party, true)
            }
            Action::ConferenceUnmute { conference, party } => {
                self.participant_mute(conference, party, false)
            }
            Action::ConferenceTalk {
                conference,
                party,
                state,
            } => self.participant_talk(conference, party, *state),
            Action::ConferenceRecord { conference, state } => {
                self.conference_record(conference, *state)
            }
            Action::ConferenceLeave { conference, party } => {
                self.conference_leave(conference, party)
            }
            Action::FaxSend {
                from,
                tenant,
                to,
                outcome,
                after,
            } => self.fax_send(from.as_deref(), tenant.as_deref(), to, outcome, *after),
            Action::AgentStatus { agent, logged_in } => self.agent_status(agent, *logged_in),
            Action::UserCreate { user } => {
                self.emit(DomainEvent::UserCreated { user: user.clone() });
                Ok(())
            }
            Action::UserEdit { user } => {
                self.emit(DomainEvent::UserEdited { user: user.clone() });
                Ok(())
            }
            Action::UserDelete { user } => {
                self.emit(DomainEvent::UserDeleted { user: user.clone() });
                Ok(())
            }
            Action::UserForward {
                user,
                forward,
                enabled,
                destination,
            } => {
                self.emit(DomainEvent::UserForward {
                    user: user.clone(),
                    forward: *forward,
                    enabled: *enabled,
                    destination: destination.clone(),
                });
                Ok(())
            }
            Action::UserService {
                user,
                service,
                enabled,
            } => {
                self.emit(DomainEvent::UserService {
                    user: user.clone(),
                    service: *service,
                    enabled: *enabled,
                });
                Ok(())
            }
            Action::VoicemailLeave {
                user,
                message,
                from,
                duration,
            } => self.voicemail_leave(user, message, from.as_deref(), *duration),
            Action::VoicemailMove {
                user,
                message,
                folder,
            } => self.voicemail_move(user, message, *folder),
            Action::VoicemailDelete { user, message } => self.voicemail_delete(user, message),
            Action::Plugin {
                plugin,
                install,
                statuses,
                every,
            } => {
                self.plugin(plugin, *install, statuses, *every);
                Ok(())
            }
            Action::TenantCreate { tenant } => {
                self.emit(DomainEvent::TenantCreated {
                    tenant: tenant.clone(),
                });
                Ok(())
            }
            Action::TenantUpdate { tenant, name } => {
                if let Some(name) = name {
                    self.tenant_names.insert(tenant.clone(), name.clone());
                }
                let name = self.tenant_names.get(tenant).cloned().unwrap_or_default();
                self.emit(DomainEvent::TenantUpdated {
                    tenant: tenant.clone(),
                    name,
                });
                Ok(())
            }
            Action::TenantDelete { tenant } => {
                self.emit(DomainEvent::TenantDeleted {
                    tenant: tenant.clone(),
                });
                Ok(())
            }
            Action::ExternalAuth {
                user,
                service,
                change,
            } => {
                self.emit(DomainEvent::ExternalAuth {
                    user: user.clone(),
                    service: service.clone(),
                    change: *change,
                });
                Ok(())
            }
            Action::Favorite {
                user,
                source,
                entry,
                added,
            } => {
                self.emit(DomainEvent::Favorite {
                    user: user.clone(),
                    source: source.clone(),
                    entry: entry.clone(),
                    added: *added,
                });
                Ok(())
            }
            Action::ServiceRegister {
                service,
                address,
                port,
                tags,
            } => {
                self.service_register(service, address.as_deref(), *port, tags.as_deref());
                Ok(())
            }
            Action::ServiceDeregister { service, tags } => {
                self.service_deregister(service, tags.as_deref());
                Ok(())
            }
            Action::CallForm { user, variables } => {
                self.emit(DomainEvent::CallForm {
                    user: user.clone(),
                    variables: variables.clone(),
                });
                Ok(())
            }
            Action::ApiError {
                method,
                url,
                status,
                error,
                body_size,
            } => {
                let uuid = Fakes::new(self.seed, &format!("api-error/{}", self.step)).uuid();
                self.emit(DomainEvent::ApiError {
                    error: ApiRequestError {
                        uuid,
                        method: method.clone(),
                        url: url.clone(),
                        status: *status,
                        error: error.clone(),
                        body_size: *body_size,
                    },
                });
                Ok(())
            }
            Action::Ami { event, fields } => {
                self.emit(DomainEvent::Ami {
                    event: event.clone(),
                    fields: fields.clone(),
                });
                Ok(())
            }
            Action::Emit { event, fields } => {
                self.emit(DomainEvent::Emit {
                    event: event.clone(),
                    fields: fields.clone(),
                });
                Ok(())
            }
        }
    }

    // ----- calls -----------------------------------------------------------

    fn new_channel(
        &mut self,
        party: Party<'_>,
        linked_id: Option<&str>,
        peer: &str,
        role: Role,
        state: ChannelState,
        dialed: &str,
    ) -> Channel {
        let (id, sequence) = self.ids.allocate(self.now);
        let endpoint = match party {
            Party::User(user) => user.line.as_str(),
            Party::External(_) => "trunk",
        };
        Channel {
            linked_id: linked_id.map_or_else(|| id.clone(), str::to_string),
            id,
            name: format!("PJSIP/{endpoint}-{sequence:08x}"),
            party: party.handle().to_string(),
            peer: Some(peer.to_string()),
            role,
            state,
            created_at: self.now,
            on_hold: false,
            bridge: None,
            talking_to: Vec::new(),
            dialed: dialed.to_string(),
        }
    }

    fn channel_event(&mut self, call: &CallInfo, channel: &Channel, change: ChannelChange) {
        self.emit(DomainEvent::Channel {
            call: call.clone(),
            channel: channel.clone(),
            change,
        });
    }

    fn active_call(&mut self, handle: &str) -> Result<Call, String> {
        self.calls.remove(handle).ok_or_else(|| {
            let active: Vec<&str> = self.calls.keys().map(String::as_str).collect();
            if active.is_empty() {
                format!("call \"{handle}\" is not in progress (no call is); start it with a call.start step")
            } else {
                format!(
                    "call \"{handle}\" is not in progress; calls in progress: {}",
                    active.join(", ")
                )
            }
        })
    }

    fn new_bridge(&mut self, call: &CallInfo) -> String {
        self.bridges_created += 1;
        Fakes::new(
            self.seed,
            &format!("bridge/{}/{}", call.uuid, self.bridges_created),
        )
        .uuid()
        .to_string()
    }

    fn call_start(&mut self, handle: &str, from: &str, to: &str) -> StepResult {
        if self.calls.contains_key(handle) {
            return Err(format!(
                "call \"{handle}\" is already in progress; give this call another handle or hang the first one up"
            ));
        }
        if from == to {
            return Err(format!("\"{from}\" cannot call itself"));
        }
        let caller = self.party(from)?;
        let callee = self.party(to)?;
        let direction = match (caller, callee) {
            (Party::User(_), Party::User(_)) => Direction::Internal,
            (Party::External(_), Party::User(_)) => Direction::Inbound,
            (Party::User(_), Party::External(_)) => Direction::Outbound,
            (Party::External(_), Party::External(_)) => {
                return Err(format!(
                    "\"{from}\" and \"{to}\" are both externals; a call on the platform needs a user on one side"
                ));
            }
        };
        self.calls_started += 1;
        let info = CallInfo {
            handle: handle.to_string(),
            uuid: Fakes::new(self.seed, &format!("call/{handle}/{}", self.calls_started)).uuid(),
            direction,
            from: from.to_string(),
            to: to.to_string(),
            started_at: self.now,
        };
        let channel = self.new_channel(
            caller,
            None,
            to,
            Role::Caller,
            ChannelState::Ring,
            callee.caller_id_number(),
        );
        self.channel_event(&info, &channel, ChannelChange::Created);
        self.calls.insert(
            handle.to_string(),
            Call {
                info,
                caller: channel,
                callee: None,
                also_ringing: Vec::new(),
                phase: Phase::Dialing,
                answered_at: None,
            },
        );
        Ok(())
    }

    /// Creates a channel of `call` for `handle`'s device and makes it ring
    /// (two events: created, then ringing), as Asterisk does when it dials.
    fn ringing_channel(&mut self, call: &Call, handle: &str) -> Result<Channel, String> {
        let party = self.party(handle)?;
        let dialed = party.caller_id_number().to_string();
        let caller_party = call.caller.party.clone();
        let linked_id = call.caller.linked_id.clone();
        let mut channel = self.new_channel(
            party,
            Some(&linked_id),
            &caller_party,
            Role::Callee,
            ChannelState::Down,
            &dialed,
        );
        self.channel_event(&call.info, &channel, ChannelChange::Created);
        channel.state = ChannelState::Ringing;
        self.channel_event(&call.info, &channel, ChannelChange::Ringing);
        Ok(channel)
    }

    /// Creates the callee channel for `callee` and makes it ring.
    fn ring(&mut self, call: &mut Call, callee: &str) -> StepResult {
        let channel = self.ringing_channel(call, callee)?;
        call.caller.peer = Some(callee.to_string());
        call.callee = Some(channel);
        call.phase = Phase::Ringing;
        Ok(())
    }

    fn call_ring(&mut self, handle: &str, group: &[String]) -> StepResult {
        let mut call = self.active_call(handle)?;
        let result = match call.phase {
            Phase::Dialing => {
                let callee = call.info.to.clone();
                self.ring(&mut call, &callee)
                    .and_then(|()| self.ring_group(&mut call, group))
            }
            Phase::Ringing => Err(format!("call \"{handle}\" is already ringing")),
            Phase::Up => Err(format!("call \"{handle}\" was already answered")),
        };
        self.calls.insert(handle.to_string(), call);
        result
    }

    /// Rings the devices of a ring group's other members beside the callee's.
    fn ring_group(&mut self, call: &mut Call, group: &[String]) -> StepResult {
        for member in group {
            let ringing = call.parties().contains(&member.as_str());
            if ringing {
                return Err(format!(
                    "\"{member}\" is already on call \"{}\"; a ring group lists other parties",
                    call.info.handle
                ));
            }
            let channel = self.ringing_channel(call, member)?;
            call.also_ringing.push(channel);
        }
        Ok(())
    }

    /// Ends the ring group's other channels with `cause`.
    fn stop_ring_group(&mut self, call: &mut Call, cause: HangupCause) {
        for channel in std::mem::take(&mut call.also_ringing) {
            self.channel_event(&call.info, &channel, ChannelChange::HungUp(cause));
        }
    }

    fn call_answer(&mut self, handle: &str, by: Option<&str>) -> StepResult {
        let mut call = self.active_call(handle)?;
        let result = self
            .pick_answerer(&mut call, by)
            .and_then(|()| self.answer(&mut call));
        if result.is_ok() {
            // The others stop ringing once one member has answered.
            self.stop_ring_group(&mut call, HangupCause::NoAnswer);
        }
        self.calls.insert(handle.to_string(), call);
        result
    }

    /// Makes the ring group member `by` the callee, so that it is the one who answers.
    fn pick_answerer(&mut self, call: &mut Call, by: Option<&str>) -> StepResult {
        let Some(by) = by else { return Ok(()) };
        if call
            .callee
            .as_ref()
            .is_some_and(|callee| callee.party == by)
        {
            return Ok(());
        }
        let Some(position) = call
            .also_ringing
            .iter()
            .position(|channel| channel.party == by)
        else {
            let ringing: Vec<&str> = call
                .callee
                .iter()
                .chain(&call.also_ringing)
                .map(|channel| channel.party.as_str())
                .collect();
            return Err(format!(
                "\"{by}\" is not ringing on call \"{}\"; ringing: {}",
                call.info.handle,
                if ringing.is_empty() {
                    "nobody".to_string()
                } else {
                    ringing.join(", ")
                }
            ));
        };
        let answerer = call.also_ringing.remove(position);
        if let Some(previous) = call.callee.replace(answerer) {
            call.also_ringing.insert(0, previous);
        }
        Ok(())
    }

    fn answer(&mut self, call: &mut Call) -> StepResult {
        let handle = call.info.handle.clone();
        if call.phase == Phase::Dialing {
            return Err(format!(
                "call \"{handle}\" is not ringing yet; add a call.ring step before answering"
            ));
        }
        if call.phase == Phase::Up {
            return Err(format!("call \"{handle}\" was already answered"));
        }
        let Some(mut callee) = call.callee.take() else {
            return Err(format!("call \"{handle}\" has no callee channel"));
        };
        callee.state = ChannelState::Up;
        self.channel_event(&call.info, &callee, ChannelChange::Answered);
        if call.caller.state != ChannelState::Up {
            call.caller.state = ChannelState::Up;
            let caller = call.caller.clone();
            self.channel_event(&call.info, &caller, ChannelChange::Answered);
        }
        let bridge = self.new_bridge(&call.info);
        self.bridge(&call.info, &mut call.caller, &mut callee, &bridge);
        call.callee = Some(callee);
        call.phase = Phase::Up;
        call.answered_at = Some(self.now);
        Ok(())
    }

    /// Puts two channels in `bridge`, the callee side reported first as
    /// Asterisk does when the answering channel joins.
    fn bridge(&mut self, info: &CallInfo, first: &mut Channel, second: &mut Channel, bridge: &str) {
        first.bridge = Some(bridge.to_string());
        first.talking_to = vec![second.id.clone()];
        first.peer = Some(second.party.clone());
        second.bridge = Some(bridge.to_string());
        second.talking_to = vec![first.id.clone()];
        second.peer = Some(first.party.clone());
        self.channel_event(info, second, ChannelChange::Bridged);
        self.channel_event(info, first, ChannelChange::Bridged);
    }

    fn call_hold(&mut self, handle: &str, by: Option<&str>, hold: bool) -> StepResult {
        let mut call = self.active_call(handle)?;
        let result = self.hold(&mut call, by, hold);
        self.calls.insert(handle.to_string(), call);
        result
    }

    fn hold(&mut self, call: &mut Call, by: Option<&str>, hold: bool) -> StepResult {
        let handle = call.info.handle.clone();
        let verb = if hold { "held" } else { "resumed" };
        if call.phase != Phase::Up {
            return Err(format!(
                "call \"{handle}\" is not answered; only an answered call can be {verb}"
            ));
        }
        let parties = call.parties().join(", ");
        let by = by.map_or_else(
            || {
                call.callee
                    .as_ref()
                    .map(|callee| callee.party.clone())
                    .unwrap_or_default()
            },
            str::to_string,
        );
        let info = call.info.clone();
        let Some(channel) = call.channel_of_mut(&by) else {
            return Err(format!(
                "\"{by}\" is not on call \"{handle}\"; its parties are: {parties}"
            ));
        };
        if channel.on_hold == hold {
            return Err(if hold {
                format!("call \"{handle}\" is already on hold by \"{by}\"")
            } else {
                format!("call \"{handle}\" is not on hold by \"{by}\"; hold it first")
            });
        }
        channel.on_hold = hold;
        let channel = channel.clone();
        let change = if hold {
            ChannelChange::Held
        } else {
            ChannelChange::Resumed
        };
        self.channel_event(&info, &channel, change);
        Ok(())
    }

    fn call_transfer(&mut self, handle: &str, by: &str, to: &str) -> StepResult {
        let mut call = self.active_call(handle)?;
        let result = self.transfer(&mut call, by, to);
        self.calls.insert(handle.to_string(), call);
        result
    }

    fn transfer(&mut self, call: &mut Call, by: &str, to: &str) -> StepResult {
        let handle = call.info.handle.clone();
        if call.phase != Phase::Up {
            return Err(format!(
                "call \"{handle}\" is not answered; only an answered call can be transferred"
            ));
        }
        let Some(mut transferer) = call.callee.take_if(|callee| callee.party == by) else {
            return Err(format!(
                "\"{by}\" is not the callee of call \"{handle}\"; the simulation transfers on the callee's side (blind transfer)"
            ));
        };
        if call.caller.party == to {
            call.callee = Some(transferer);
            return Err(format!("\"{to}\" is already on call \"{handle}\""));
        }
        transferer.talking_to.clear();
        transferer.bridge = None;
        self.channel_event(
            &call.info,
            &transferer,
            ChannelChange::HungUp(HangupCause::Answered),
        );
        call.caller.talking_to.clear();
        call.caller.bridge = None;
        let caller = call.caller.clone();
        self.channel_event(&call.info, &caller, ChannelChange::Unbridged);
        self.ring(call, to)
    }

    fn call_relocate(&mut self, handle: &str, by: &str, completions: &[String]) -> StepResult {
        let mut call = self.active_call(handle)?;
        let result = self.relocate(&mut call, by, completions);
        self.calls.insert(handle.to_string(), call);
        result
    }

    fn relocate(&mut self, call: &mut Call, by: &str, completions: &[String]) -> StepResult {
        let handle = call.info.handle.clone();
        if call.phase != Phase::Up {
            return Err(format!(
                "call \"{handle}\" is not answered; only an answered call can be relocated"
            ));
        }
        let parties = call.parties().join(", ");
        let initiator_is_caller = call.caller.party == by;
        let Some(callee) = call.callee.take() else {
            return Err(format!("call \"{handle}\" has no callee channel"));
        };
        let (mut initiator, mut relocated) = if initiator_is_caller {
            (call.caller.clone(), callee)
        } else if callee.party == by {
            (callee, call.caller.clone())
        } else {
            call.callee = Some(callee);
            return Err(format!(
                "\"{by}\" is not on call \"{handle}\"; its parties are: {parties}"
            ));
        };
        let party = self.party(by)?;
        let dialed = party.caller_id_number().to_string();
        let linked_id = relocated.linked_id.clone();
        let mut recipient = self.new_channel(
            party,
            Some(&linked_id),
            &relocated.party,
            Role::Callee,
            ChannelState::Down,
            &dialed,
        );
        self.relocates += 1;
        let relocate = Relocate {
            uuid: Fakes::new(self.seed, &format!("relocate/{}", self.relocates)).uuid(),
            initiator: by.to_string(),
            relocated_call: relocated.id.clone(),
            initiator_call: initiator.id.clone(),
            recipient_call: recipient.id.clone(),
            completions: completions.to_vec(),
        };
        let info = call.info.clone();
        self.channel_event(&info, &recipient, ChannelChange::Created);
        self.emit(DomainEvent::Relocate {
            relocate: relocate.clone(),
            phase: RelocatePhase::Initiated,
        });
        recipient.state = ChannelState::Ringing;
        self.channel_event(&info, &recipient, ChannelChange::Ringing);
        recipient.state = ChannelState::Up;
        self.channel_event(&info, &recipient, ChannelChange::Answered);
        self.emit(DomainEvent::Relocate {
            relocate: relocate.clone(),
            phase: RelocatePhase::Answered,
        });
        initiator.bridge = None;
        initiator.talking_to.clear();
        self.channel_event(
            &info,
            &initiator,
            ChannelChange::HungUp(HangupCause::Answered),
        );
        let bridge = self.new_bridge(&info);
        self.bridge(&info, &mut relocated, &mut recipient, &bridge);
        self.emit(DomainEvent::Relocate {
            relocate: relocate.clone(),
            phase: RelocatePhase::Completed,
        });
        self.emit(DomainEvent::Relocate {
            relocate,
            phase: RelocatePhase::Ended,
        });
        if initiator_is_caller {
            call.caller = recipient;
            call.callee = Some(relocated);
        } else {
            call.caller = relocated;
            call.callee = Some(recipient);
        }
        Ok(())
    }

    fn call_hangup(&mut self, handle: &str, cause: HangupCause, by: Option<&str>) -> StepResult {
        let mut call = self.active_call(handle)?;
        if let Err(message) = self.hangup(&mut call, cause, by) {
            self.calls.insert(handle.to_string(), call);
            return Err(message);
        }
        self.ended_calls.insert(
            handle.to_string(),
            EndedCall {
                info: call.info,
                answered_at: call.answered_at,
                ended_at: self.now,
            },
        );
        Ok(())
    }

    fn call_failover(&mut self, handle: &str, to: &str) -> StepResult {
        let mut call = self.active_call(handle)?;
        let result = self.failover(&mut call, to);
        self.calls.insert(handle.to_string(), call);
        result
    }

    /// The ringing callee gives up its turn: its channel ends unanswered and
    /// `to` rings instead, on the same call.
    fn failover(&mut self, call: &mut Call, to: &str) -> StepResult {
        let handle = call.info.handle.clone();
        if call.phase != Phase::Ringing {
            return Err(format!(
                "call \"{handle}\" is not ringing; only a ringing call can fail over (add a call.ring step, or hang it up)"
            ));
        }
        if call.parties().contains(&to) {
            return Err(format!(
                "\"{to}\" is already on call \"{handle}\"; fail over to another party"
            ));
        }
        let Some(unanswered) = call.callee.take() else {
            return Err(format!("call \"{handle}\" has no callee channel"));
        };
        self.channel_event(
            &call.info,
            &unanswered,
            ChannelChange::HungUp(HangupCause::NoAnswer),
        );
        self.stop_ring_group(call, HangupCause::NoAnswer);
        self.ring(call, to)
    }

    fn ended_call(&self, handle: &str, action: &str) -> Result<EndedCall, String> {
        if self.calls.contains_key(handle) {
            return Err(format!(
                "call \"{handle}\" is still in progress; {action} comes after its call.hangup step"
            ));
        }
        self.ended_calls.get(handle).cloned().ok_or_else(|| {
            format!("no call \"{handle}\" has ended; {action} needs a call started and hung up before it")
        })
    }

    fn recording_available(&mut self, handle: &str, duration: Option<Duration>) -> StepResult {
        let ended = self.ended_call(handle, "recording.available")?;
        let Some(answered_at) = ended.answered_at else {
            return Err(format!(
                "call \"{handle}\" was never answered, so nothing was recorded"
            ));
        };
        let duration_seconds = match duration {
            Some(duration) => duration.as_secs(),
            None => (ended.ended_at - answered_at)
                .whole_seconds()
                .unsigned_abs(),
        };
        self.recordings += 1;
        let recording = CallRecording {
            uuid: Fakes::new(self.seed, &format!("recording/{}", self.recordings)).uuid(),
            duration_seconds,
            size: duration_seconds * RECORDING_BYTES_PER_SECOND,
        };
        self.emit(DomainEvent::RecordingAvailable {
            call: ended.info,
            recording,
        });
        Ok(())
    }

    #[allow(clippy::too_many_arguments)] // One per argument of the step.
    fn text_message(
        &mut self,
        handle: &str,
        kind: MessageKind,
        direction: MessageDirection,
        user: &str,
        party: &str,
        text: &str,
        media: &[MediaSpec],
    ) -> StepResult {
        if !self.text_messages.insert(handle.to_string()) {
            return Err(format!(
                "message \"{handle}\" was already sent or received; give this one another handle"
            ));
        }
        match (kind, media.is_empty()) {
            (MessageKind::Sms, false) => {
                return Err(
                    "an SMS has no attachments; use mms.receive / mms.send for `media`".into(),
                );
            }
            (MessageKind::Mms, true) => {
                return Err("an MMS needs at least one attachment in `media`".into());
            }
            _ => {}
        }
        let mut fakes = Fakes::new(self.seed, &format!("message/{handle}"));
        let uuid = fakes.uuid();
        let media = media
            .iter()
            .map(|item| {
                let (url, thumbnail) = match &item.url {
                    Some(url) => (url.clone(), item.thumbnail.clone()),
                    None => {
                        let folder = format!("https://media.example.com/mms/{}", fakes.uuid());
                        let url = format!("{folder}/{}", item.filename);
                        let thumbnail = item.thumbnail.clone().or_else(|| {
                            item.mime_type
                                .starts_with("image/")
                                .then(|| format!("{folder}/{}", thumbnail_name(&item.filename)))
                        });
                        (url, thumbnail)
                    }
                };
                MediaItem {
                    url,
                    mime_type: item.mime_type.clone(),
                    size: item.size,
                    filename: item.filename.clone(),
                    thumbnail,
                }
            })
            .collect();
        let inbox_id = self.next_inbox_id;
        self.next_inbox_id += 1;
        self.emit(DomainEvent::TextMessage {
            message: TextMessage {
                handle: handle.to_string(),
                uuid,
                kind,
                direction,
                user: user.to_string(),
                party: party.to_string(),
                inbox_id,
                text: text.to_string(),
                media,
            },
        });
        Ok(())
    }

    fn hangup(&mut self, call: &mut Call, cause: HangupCause, by: Option<&str>) -> StepResult {
        let handle = call.info.handle.clone();
        let answered = call.phase == Phase::Up;
        match (cause, answered) {
            (HangupCause::Answered, false) => {
                return Err(format!(
                    "call \"{handle}\" was not answered; use cause \"no_answer\", \"busy\", \"cancelled\" or \"failed\""
                ));
            }
            (
                HangupCause::Busy
                | HangupCause::NoAnswer
                | HangupCause::Cancelled
                | HangupCause::Failed,
                true,
            ) => {
                return Err(format!(
                    "call \"{handle}\" was answered; use cause \"answered\""
                ));
            }
            (HangupCause::NoAnswer, false) if call.phase == Phase::Dialing => {
                return Err(format!(
                    "call \"{handle}\" never rang; add a call.ring step, or use cause \"busy\" or \"cancelled\""
                ));
            }
            _ => {}
        }
        if by.is_some() && !answered {
            return Err(
                "`by` only applies to cause \"answered\"; the cause says who hangs up first".into(),
            );
        }
        let mut caller = call.caller.clone();
        let callee = call.callee.clone();
        let info = call.info.clone();
        let change = ChannelChange::HungUp(cause);
        match cause {
            HangupCause::Answered => {
                let by = by.unwrap_or(&caller.party).to_string();
                let Some(mut callee) = callee else {
                    return Err(format!("call \"{handle}\" has no callee channel"));
                };
                let (first, second) = if caller.party == by {
                    (&mut caller, &mut callee)
                } else if callee.party == by {
                    (&mut callee, &mut caller)
                } else {
                    let parties = call.parties().join(", ");
                    return Err(format!(
                        "\"{by}\" is not on call \"{handle}\"; its parties are: {parties}"
                    ));
                };
                self.channel_event(&info, first, change);
                second.talking_to.clear();
                second.bridge = None;
                self.channel_event(&info, second, change);
            }
            HangupCause::Busy | HangupCause::NoAnswer | HangupCause::Failed => {
                if let Some(mut callee) = callee {
                    if cause == HangupCause::Busy {
                        callee.state = ChannelState::Busy;
                    }
                    self.channel_event(&info, &callee, change);
                }
                // A busy callee says nothing of the others: they were not answered.
                let others = if cause == HangupCause::Busy {
                    HangupCause::NoAnswer
                } else {
                    cause
                };
                self.stop_ring_group(call, others);
                self.channel_event(&info, &caller, change);
            }
            HangupCause::Cancelled => {
                self.channel_event(&info, &caller, change);
                if let Some(callee) = callee {
                    self.channel_event(&info, &callee, change);
                }
                self.stop_ring_group(call, cause);
            }
        }
        Ok(())
    }

    // ----- conferences -----------------------------------------------------

    fn participant(&self, conference: &str, party: &str) -> Result<Participant, String> {
        self.participants
            .get(&(conference.to_string(), party.to_string()))
            .cloned()
            .ok_or_else(|| {
                format!("\"{party}\" is not in conference \"{conference}\"; add a conference.join step first")
            })
    }

    fn store_participant(&mut self, participant: &Participant, change: ParticipantChange) {
        self.participants.insert(
            (participant.conference.clone(), participant.party.clone()),
            participant.clone(),
        );
        self.emit(DomainEvent::Participant {
            participant: participant.clone(),
            change,
        });
    }

    fn conference_join(
        &mut self,
        conference: &str,
        party: &str,
        admin: bool,
        muted: bool,
        language: &str,
    ) -> StepResult {
        if self.participant(conference, party).is_ok() {
            return Err(format!(
                "\"{party}\" is already in conference \"{conference}\""
            ));
        }
        let (call_id, _) = self.ids.allocate(self.now);
        let participant = Participant {
            conference: conference.to_string(),
            party: party.to_string(),
            call_id,
            joined_at: self.now,
            muted,
            admin,
            language: language.to_string(),
        };
        self.store_participant(&participant, ParticipantChange::Joined);
        Ok(())
    }

    fn participant_mute(&mut self, conference: &str, party: &str, mute: bool) -> StepResult {
        let mut participant = self.participant(conference, party)?;
        if participant.muted == mute {
            let state = if mute { "already muted" } else { "not muted" };
            return Err(format!(
                "\"{party}\" is {state} in conference \"{conference}\""
            ));
        }
        participant.muted = mute;
        let change = if mute {
            ParticipantChange::Muted
        } else {
            ParticipantChange::Unmuted
        };
        self.store_participant(&participant, change);
        Ok(())
    }

    fn participant_talk(&mut self, conference: &str, party: &str, state: Toggle) -> StepResult {
        let participant = self.participant(conference, party)?;
        let key = (conference.to_string(), party.to_string());
        let change = match state {
            Toggle::Started if !self.talking.insert(key.clone()) => {
                return Err(format!(
                    "\"{party}\" is already talking in conference \"{conference}\""
                ));
            }
            Toggle::Stopped if !self.talking.remove(&key) => {
                return Err(format!(
                    "\"{party}\" is not talking in conference \"{conference}\""
                ));
            }
            Toggle::Started => ParticipantChange::TalkStarted,
            Toggle::Stopped => ParticipantChange::TalkStopped,
        };
        self.emit(DomainEvent::Participant {
            participant,
            change,
        });
        Ok(())
    }

    fn conference_record(&mut self, conference: &str, state: Toggle) -> StepResult {
        match state {
            Toggle::Started if !self.recording.insert(conference.to_string()) => {
                return Err(format!(
                    "conference \"{conference}\" is already being recorded"
                ));
            }
            Toggle::Stopped if !self.recording.remove(conference) => {
                return Err(format!("conference \"{conference}\" is not being recorded"));
            }
            _ => {}
        }
        self.emit(DomainEvent::ConferenceRecord {
            conference: conference.to_string(),
            state,
        });
        Ok(())
    }

    fn conference_leave(&mut self, conference: &str, party: &str) -> StepResult {
        let participant = self.participant(conference, party)?;
        let key = (conference.to_string(), party.to_string());
        self.participants.remove(&key);
        self.talking.remove(&key);
        self.emit(DomainEvent::Participant {
            participant,
            change: ParticipantChange::Left,
        });
        Ok(())
    }

    // ----- faxes, agents, voicemail, plugins, services ---------------------

    fn fax_send(
        &mut self,
        from: Option<&str>,
        tenant: Option<&str>,
        to: &str,
        outcome: &FaxOutcome,
        after: Duration,
    ) -> StepResult {
        let user = from.and_then(|handle| self.directory.users.get(handle));
        let tenant_handle = tenant
            .map(str::to_string)
            .or_else(|| user.map(|user| user.tenant.clone()))
            .or_else(|| self.directory.tenants.keys().next().cloned())
            .unwrap_or_default();
        let Some(tenant) = self.directory.tenants.get(&tenant_handle) else {
            return Err(format!("unknown tenant \"{tenant_handle}\""));
        };
        let caller_id = match user {
            Some(user) => format!("{} <{}>", user.name, user.extension),
            None => format!("{} <{}>", tenant.name, tenant.number),
        };
        let (call_id, _) = self.ids.allocate(self.now);
        let fax = Fax {
            id: call_id.clone(),
            call_id,
            user: from.map(str::to_string),
            tenant: tenant_handle.clone(),
            extension: to.to_string(),
            context: tenant.internal_context.clone(),
            caller_id,
        };
        self.emit(DomainEvent::Fax {
            fax: fax.clone(),
            change: FaxChange::Created,
        });
        let change = match outcome {
            FaxOutcome::Success => FaxChange::Succeeded,
            FaxOutcome::Failure { reason } => FaxChange::Failed {
                reason: reason.clone(),
            },
        };
        self.emit_at(self.now + after, DomainEvent::Fax { fax, change });
        Ok(())
    }

    fn agent_status(&mut self, agent: &str, logged_in: bool) -> StepResult {
        let changed = if logged_in {
            self.logged_in.insert(agent.to_string())
        } else {
            self.logged_in.remove(agent)
        };
        if !changed {
            let state = if logged_in {
                "already logged in"
            } else {
                "not logged in"
            };
            return Err(format!("agent \"{agent}\" is {state}"));
        }
        self.emit(DomainEvent::AgentStatus {
            agent: agent.to_string(),
            logged_in,
        });
        Ok(())
    }

    fn voicemail_leave(
        &mut self,
        user: &str,
        message: &str,
        from: Option<&str>,
        duration: Duration,
    ) -> StepResult {
        let key = (user.to_string(), message.to_string());
        if self.voicemails.contains_key(&key) {
            return Err(format!(
                "voicemail message \"{message}\" of \"{user}\" already exists; give it another handle"
            ));
        }
        let (caller_id_name, caller_id_num) = match from {
            Some(handle) => {
                let party = self.party(handle)?;
                (
                    party.caller_id_name().to_string(),
                    party.caller_id_number().to_string(),
                )
            }
            None => ("Unknown".to_string(), "unknown".to_string()),
        };
        self.voicemails_left += 1;
        let voicemail = VoicemailMessage {
            user: user.to_string(),
            id: format!("{}-{:08}", self.now.unix_timestamp(), self.voicemails_left),
            left_at: self.now,
            caller_id_num,
            caller_id_name,
            duration_seconds: duration.as_secs(),
            folder: VoicemailFolder::Inbox,
        };
        self.voicemails.insert(key, voicemail.clone());
        self.emit(DomainEvent::Voicemail {
            message: voicemail,
            change: VoicemailChange::Created,
        });
        Ok(())
    }

    fn voicemail(&self, user: &str, message: &str) -> Result<VoicemailMessage, String> {
        self.voicemails
            .get(&(user.to_string(), message.to_string()))
            .cloned()
            .ok_or_else(|| {
                format!("\"{user}\" has no voicemail message \"{message}\"; leave it with a voicemail.leave step first")
            })
    }

    fn voicemail_move(&mut self, user: &str, message: &str, folder: VoicemailFolder) -> StepResult {
        let mut voicemail = self.voicemail(user, message)?;
        voicemail.folder = folder;
        self.voicemails
            .insert((user.to_string(), message.to_string()), voicemail.clone());
        self.emit(DomainEvent::Voicemail {
            message: voicemail,
            change: VoicemailChange::Updated,
        });
        Ok(())
    }

    fn voicemail_delete(&mut self, user: &str, message: &str) -> StepResult {
        let voicemail = self.voicemail(user, message)?;
        self.voicemails
            .remove(&(user.to_string(), message.to_string()));
        self.emit(DomainEvent::Voicemail {
            message: voicemail,
            change: VoicemailChange::Deleted,
        });
        Ok(())
    }

    fn plugin(&mut self, plugin: &str, install: bool, statuses: &[String], every: Duration) {
        let verb = if install { "install" } else { "uninstall" };
        let task = Fakes::new(self.seed, &format!("plugin/{plugin}/{verb}")).uuid();
        let mut at = self.now;
        for status in statuses {
            self.emit_at(
                at,
                DomainEvent::PluginProgress {
                    task,
                    install,
                    status: status.clone(),
                },
            );
            at += every;
        }
    }

    fn service(&mut self, name: &str) -> Service {
        if let Some(service) = self.services.get(name) {
            return service.clone();
        }
        let mut fakes = Fakes::new(self.seed, &format!("service/{name}"));
        Service {
            name: name.to_string(),
            id: fakes.uuid(),
            address: fakes.private_address(),
            port: well_known_port(name),
            tags: vec![name.to_string(), self.directory.platform.uuid.to_string()],
        }
    }

    fn service_register(
        &mut self,
        name: &str,
        address: Option<&str>,
        port: Option<u16>,
        tags: Option<&[String]>,
    ) {
        let mut service = self.service(name);
        if let Some(address) = address {
            service.address = address.to_string();
        }
        if let Some(port) = port {
            service.port = port;
        }
        if let Some(tags) = tags {
            service.tags = tags.to_vec();
        }
        self.services.insert(name.to_string(), service.clone());
        self.emit(DomainEvent::ServiceRegistered { service });
    }

    fn service_deregister(&mut self, name: &str, tags: Option<&[String]>) {
        let mut service = self.service(name);
        self.services.remove(name);
        if let Some(tags) = tags {
            service.tags = tags.to_vec();
        }
        self.emit(DomainEvent::ServiceDeregistered { service });
    }
}

/// The port a Wazo service listens on by default.
fn well_known_port(service: &str) -> u16 {
    match service {
        "wazo-auth" => 9497,
        "wazo-confd" => 9486,
        "wazo-calld" => 9500,
        "wazo-dird" => 9489,
        "wazo-agentd" => 9493,
        "wazo-amid" => 9491,
        "wazo-webhookd" => 9300,
        "wazo-chatd" => 9304,
        "wazo-plugind" => 9503,
        _ => 9000,
    }
}

/// The name of an image's generated thumbnail, beside it as in Phone.com's
/// published `message.json` (`my-file.jpg` → `my-file_thumbnail.jpg`).
fn thumbnail_name(filename: &str) -> String {
    match filename.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => format!("{stem}_thumbnail.{extension}"),
        _ => format!("{filename}_thumbnail"),
    }
}
