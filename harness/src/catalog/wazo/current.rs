//! Current Wazo, as facts: one row per event of the `wazo` profile.
//!
//! Each row says how wazo-bus and the daemon that publishes the event word
//! it today: the name, the routing key and ACL templates, the audience
//! (which of wazo-bus's base classes the event derives from, and so which
//! `tenant_uuid` / `user_uuid:*` headers it carries), the attributes copied
//! into the headers, the daemon (and so the exchange) that publishes it, and
//! where its `data` departs from the document, field by field. The
//! repository path each row was read from stands beside it. wazo-bus at
//! [`WAZO_BUS_COMMIT`](super::WAZO_BUS_COMMIT) (`bus` below means
//! `wazo_bus/resources/` there), wazo-calld at
//! [`WAZO_CALLD_COMMIT`](super::WAZO_CALLD_COMMIT) (`calld`:
//! `wazo_calld/plugins/`), Wazo [`WAZO_RELEASE`](super::WAZO_RELEASE).
//!
//! The typed `data` of an event is a superset: the fields of the document
//! and those current Wazo adds. [`FieldFact`]s say, per profile, whether a
//! field is written and what the checker demands of it; fields without a
//! fact are as their Rust type says in both.

use super::Profile;
use crate::catalog::template::Template;

/// Which wazo-bus base class an event derives from: who it is addressed to,
/// said in headers (`wazo_bus/resources/common/event.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// `ServiceEvent`: no tenant, no user headers.
    Service,
    /// `TenantEvent`: `tenant_uuid`, and `user_uuid:*` = true.
    Tenant,
    /// `UserEvent`: `tenant_uuid`, and `user_uuid:<uuid>` = true when there is a user.
    User,
    /// `MultiUserEvent`: `tenant_uuid`, and one `user_uuid:<uuid>` = true per user.
    MultiUser,
}

/// The daemon that publishes an event, which decides the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Daemon {
    Calld,
    Confd,
    Amid,
    Agentd,
    Dird,
    Plugind,
    /// wazo-auth: still configured with `amqp: {exchange_name: xivo,
    /// exchange_type: topic}` (`wazo_auth/config.py`), so its events go to
    /// `xivo` and reach `wazo-headers` only through the binding between them.
    Auth,
    /// Any daemon registering itself with Consul (xivo-lib-python
    /// `xivo/consul_helpers.py`), on that daemon's own bus configuration.
    Registrar,
}

impl Daemon {
    /// Whether the daemon publishes on the topic exchange (`xivo`) rather
    /// than on `wazo-headers`.
    pub fn publishes_on_topic(self) -> bool {
        matches!(self, Daemon::Auth)
    }
}

/// The AMQP type an attribute header is written with (py-amqp's choice for
/// the Python value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HeaderKind {
    /// A Python `int`: a 32-bit `I`.
    Int,
    /// A Python `str`: a long string `S`.
    Text,
}

/// An instance attribute of the event class that wazo-bus copies into the
/// headers (and so into the body): `conference_id`, `forward_name`, …
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Attribute {
    /// The header's name.
    pub header: &'static str,
    /// Where its value is, in the envelope (`/data/conference_id`), or the
    /// value itself when it starts with `=` (`=busy`).
    pub value: &'static str,
    pub kind: HeaderKind,
}

/// Whether a field of `data` is written, and what the checker demands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// Not written; the checker rejects it.
    Absent,
    /// Not written; the checker accepts it (the document tolerates fields
    /// that newer servers send).
    Tolerated,
    /// Written when the model has a value; not required.
    Optional,
    /// Always written, `null` when the model has no value; required.
    Required,
    /// Always written; required and never null.
    RequiredNonNull,
}

impl Presence {
    /// Whether a rendering in this profile writes the field.
    pub fn written(self) -> bool {
        !matches!(self, Presence::Absent | Presence::Tolerated)
    }
}

/// One field of `data` whose treatment differs from its Rust type, per profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct FieldFact {
    /// A JSON pointer into `data` (`/reason_code`, `/message/voicemail`).
    pub field: &'static str,
    pub documented: Presence,
    pub wazo: Presence,
}

impl FieldFact {
    /// The presence in `profile`.
    pub fn presence(&self, profile: Profile) -> Presence {
        match profile {
            Profile::Documented => self.documented,
            Profile::Wazo => self.wazo,
        }
    }
}

/// How current Wazo words one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentSpec {
    /// The document's name for the event; `None` for events the document lacks.
    pub documented: Option<&'static str>,
    /// wazo-bus's name (the `name` header and body key).
    pub name: &'static str,
    /// The routing key, string values escaped as wazo-bus escapes them.
    pub routing_key: Template,
    /// `required_acl`: the class's own format, or `events.<routing key>`.
    pub required_acl: Template,
    pub audience: Audience,
    pub daemon: Daemon,
    /// Instance attributes copied into the headers.
    pub attributes: &'static [Attribute],
    /// Fields of `data` that differ between the profiles.
    pub fields: &'static [FieldFact],
    /// Where it was read: the wazo-bus class, then the daemon code that fills it.
    pub source: &'static str,
}

const fn row(
    documented: &'static str,
    name: &'static str,
    routing_key: Template,
    required_acl: Template,
    audience: Audience,
    daemon: Daemon,
    source: &'static str,
) -> CurrentSpec {
    CurrentSpec {
        documented: Some(documented),
        name,
        routing_key,
        required_acl,
        audience,
        daemon,
        attributes: &[],
        fields: &[],
        source,
    }
}

/// Both profiles write the field, only current Wazo requires it.
const fn added(field: &'static str) -> FieldFact {
    FieldFact {
        field,
        documented: Presence::Absent,
        wazo: Presence::Required,
    }
}

/// The document's field that current Wazo no longer sends.
const fn dropped(field: &'static str) -> FieldFact {
    FieldFact {
        field,
        documented: Presence::Optional,
        wazo: Presence::Absent,
    }
}

/// A field of the full model that the document tolerates and Wazo always sends.
const fn model(field: &'static str) -> FieldFact {
    FieldFact {
        field,
        documented: Presence::Tolerated,
        wazo: Presence::Required,
    }
}

/// A field neither profile has for this event (the type is shared with one that has it).
const fn foreign(field: &'static str) -> FieldFact {
    FieldFact {
        field,
        documented: Presence::Absent,
        wazo: Presence::Absent,
    }
}

const CONFERENCE_ID: &[Attribute] = &[Attribute {
    header: "conference_id",
    value: "/data/conference_id",
    kind: HeaderKind::Int,
}];
const RECORD_CONFERENCE_ID: &[Attribute] = &[Attribute {
    header: "conference_id",
    value: "/data/id",
    kind: HeaderKind::Int,
}];
const RECORD_CONFERENCE: &[(&str, &str)] = &[("conference_id", "/data/id")];
const TENANT_UUID: &[(&str, &str)] = &[("tenant_uuid", "/data/uuid")];
const CALL_ACL: Template = Template::new("events.calls.{user_uuid}");
const RELOCATE_ACL: Template = Template::new("events.relocates.{initiator}");
const VOICEMAIL_ACL: Template = Template::new("events.users.{user_uuid}.voicemails");

/// calld `calls/schemas.py` `CallSchema`: 23 keys, every one always dumped
/// (null when unknown). The document's example shows eight of them.
const CALL_MODEL: &[FieldFact] = &[
    model("/conversation_id"),
    model("/peer_caller_id_name"),
    model("/peer_caller_id_number"),
    model("/on_hold"),
    model("/muted"),
    model("/record_state"),
    model("/is_caller"),
    model("/is_video"),
    model("/dialed_extension"),
    model("/sip_call_id"),
    model("/line_id"),
    model("/answer_time"),
    model("/hangup_time"),
    model("/direction"),
    model("/parked"),
    // A channel without a user is published with `user_uuid` null by Wazo;
    // the document builds the ACL from it, so there it is never null.
    FieldFact {
        field: "/user_uuid",
        documented: Presence::RequiredNonNull,
        wazo: Presence::Required,
    },
];
const CALL_FIELDS: &[FieldFact] = &concat_facts::<17>(CALL_MODEL, &[foreign("/reason_code")]);
const CALL_ENDED_FIELDS: &[FieldFact] = &concat_facts::<17>(
    CALL_MODEL,
    // calld `calls/services.py::channel_destroyed_event`: ARI's hangup cause.
    &[added("/reason_code")],
);
/// calld `calls/bus_consume.py::_channel_hold`: `{call_id, user_uuid}`.
const HOLD_FIELDS: &[FieldFact] = &[added("/user_uuid")];
/// calld `conferences/schemas.py` `ParticipantSchema`, loaded from the AMI
/// event: no `answered_time` (nor `join_time`, which only the REST list has).
const PARTICIPANT_FIELDS: &[FieldFact] = &[
    dropped("/answered_time"),
    FieldFact {
        field: "/caller_id_number",
        documented: Presence::Tolerated,
        wazo: Presence::Required,
    },
    FieldFact {
        field: "/user_uuid",
        documented: Presence::Tolerated,
        wazo: Presence::Required,
    },
];
/// calld `faxes/notifier.py::notify_fax_created`: the request's IVR extension and wait time.
const FAX_CREATED_FIELDS: &[FieldFact] = &[added("/ivr_extension"), added("/wait_time")];
const FAX_RESULT_FIELDS: &[FieldFact] = &[foreign("/ivr_extension"), foreign("/wait_time")];
/// calld `relocates/relocate.py`: the object never has `auto_answer`.
const RELOCATE_FIELDS: &[FieldFact] = &[
    dropped("/auto_answer"),
    FieldFact {
        field: "/timeout",
        documented: Presence::Tolerated,
        wazo: Presence::Required,
    },
];
/// bus `user/event.py` `_BaseUserEvent`, filled by confd `plugins/user/notifier.py`.
const USER_FIELDS: &[FieldFact] = &[
    added("/subscription_type"),
    added("/created_at"),
    added("/tenant_uuid"),
];
/// bus `user/event.py` `UserForwardEditedEvent` / `UserServiceEditedEvent`.
const USER_SETTING_FIELDS: &[FieldFact] = &[added("/user_id"), added("/tenant_uuid")];
/// calld `voicemails/schemas.py` `UnifiedVoicemailMessageSchema`.
const VOICEMAIL_FIELDS: &[FieldFact] = &[
    added("/message/voicemail"),
    added("/message/empty"),
    added("/message/transcription"),
];
/// bus `auth/events.py` `TenantCreatedEvent`, from wazo-auth `services/tenant.py::new`.
const TENANT_ADDED_FIELDS: &[FieldFact] = &[added("/slug"), added("/domain_names")];
/// bus `agent/event.py` `AgentStatusUpdatedEvent`: `{agent_id, status}`.
const AGENT_STATUS_FIELDS: &[FieldFact] = &[FieldFact {
    field: "/xivo_id",
    documented: Presence::RequiredNonNull,
    wazo: Presence::Absent,
}];
/// wazo-amid `ami/parser.py`: every AMI header, `Event` included.
const AMI_FIELDS: &[FieldFact] = &[FieldFact {
    field: "/Event",
    documented: Presence::Tolerated,
    wazo: Presence::RequiredNonNull,
}];

/// Two fact lists as one, at compile time.
const fn concat_facts<const N: usize>(first: &[FieldFact], second: &[FieldFact]) -> [FieldFact; N] {
    let mut out = [foreign(""); N];
    let mut index = 0;
    while index < first.len() {
        out[index] = first[index];
        index += 1;
    }
    let mut other = 0;
    while other < second.len() {
        out[index + other] = second[other];
        other += 1;
    }
    assert!(index + other == N, "concat_facts: wrong length");
    out
}

/// The AMI row: wazo-amid publishes every AMI event as a `ServiceEvent`
/// named after it (bus `ami/event.py` `AMIEvent`; wazo-amid `bus/client.py`).
pub const AMI: CurrentSpec = CurrentSpec {
    attributes: &[],
    fields: AMI_FIELDS,
    ..row(
        "<AmiEvent>",
        "<AmiEvent>",
        Template::new("ami.{event_name}").bind(&[("event_name", "/name")]),
        Template::new("events.ami.{event_name}").bind(&[("event_name", "/name")]),
        Audience::Service,
        Daemon::Amid,
        "bus ami/event.py AMIEvent; wazo-amid wazo_amid/bus/client.py, ami/parser.py",
    )
};

/// Every event current Wazo publishes that the catalog knows, in the
/// document's order; `call_answered` is Wazo's own. The document's
/// `call_form_result` has no row: wazo-bus removed it in 2019 (xivo-bus
/// commit ca0d9ae1, "remove unused xivo-cti events").
pub const CURRENT: &[CurrentSpec] = &[
    CurrentSpec {
        fields: &[],
        ..row(
            "auth_user_external_auth_added",
            "auth_user_external_auth_added",
            Template::new("auth.users.{user_uuid}.external.{external_auth_name}.created"),
            Template::new("events.auth.users.{user_uuid}.external.{external_auth_name}.created"),
            Audience::User,
            Daemon::Auth,
            "bus auth/events.py UserExternalAuthAddedEvent; wazo-auth services/external_auth.py::create",
        )
    },
    row(
        "auth_user_external_auth_authorized",
        "auth_user_external_auth_authorized",
        Template::new("auth.users.{user_uuid}.external.{external_auth_name}.authorized"),
        Template::new("events.auth.users.{user_uuid}.external.{external_auth_name}.authorized"),
        Audience::User,
        Daemon::Auth,
        "bus auth/events.py UserExternalAuthAuthorizedEvent; wazo-auth services/external_auth.py",
    ),
    row(
        "auth_user_external_auth_deleted",
        "auth_user_external_auth_deleted",
        Template::new("auth.users.{user_uuid}.external.{external_auth_name}.deleted"),
        Template::new("events.auth.users.{user_uuid}.external.{external_auth_name}.deleted"),
        Audience::User,
        Daemon::Auth,
        "bus auth/events.py UserExternalAuthDeletedEvent; wazo-auth services/external_auth.py::delete",
    ),
    CurrentSpec {
        fields: TENANT_ADDED_FIELDS,
        ..row(
            "auth_tenant_created",
            "auth_tenant_added",
            Template::new("auth.tenants.{tenant_uuid}.created").bind(TENANT_UUID),
            Template::new("events.auth.tenants.{tenant_uuid}.created").bind(TENANT_UUID),
            Audience::Tenant,
            Daemon::Auth,
            "bus auth/events.py TenantCreatedEvent; wazo-auth services/tenant.py::new",
        )
    },
    row(
        "auth_tenant_deleted",
        "auth_tenant_deleted",
        Template::new("auth.tenants.{tenant_uuid}.deleted").bind(TENANT_UUID),
        Template::new("events.auth.tenants.{tenant_uuid}.deleted").bind(TENANT_UUID),
        Audience::Tenant,
        Daemon::Auth,
        "bus auth/events.py TenantDeletedEvent; wazo-auth services/tenant.py::delete",
    ),
    row(
        "auth_tenant_updated",
        "auth_tenant_updated",
        Template::new("auth.tenants.{tenant_uuid}.updated").bind(TENANT_UUID),
        Template::new("events.auth.tenants.{tenant_uuid}.updated").bind(TENANT_UUID),
        Audience::Tenant,
        Daemon::Auth,
        "bus auth/events.py TenantUpdatedEvent; wazo-auth services/tenant.py::update",
    ),
    CurrentSpec {
        fields: AGENT_STATUS_FIELDS,
        ..row(
            "agent_status_update",
            "agent_status_update",
            Template::new("status.agent"),
            Template::new("events.statuses.agents"),
            Audience::MultiUser,
            Daemon::Agentd,
            "bus agent/event.py AgentStatusUpdatedEvent; wazo-agentd service/action/login.py, logoff.py",
        )
    },
    CurrentSpec {
        fields: CALL_FIELDS,
        ..row(
            "call_created",
            "call_created",
            Template::new("calls.call.created"),
            CALL_ACL,
            Audience::User,
            Daemon::Calld,
            "bus calls/event.py CallCreatedEvent; calld calls/bus_consume.py::_relay_channel_created, calls/schemas.py CallSchema",
        )
    },
    CurrentSpec {
        fields: CALL_FIELDS,
        ..row(
            "call_updated",
            "call_updated",
            Template::new("calls.call.updated"),
            CALL_ACL,
            Audience::User,
            Daemon::Calld,
            "bus calls/event.py CallUpdatedEvent; calld calls/bus_consume.py (Newstate, BridgeEnter, BridgeLeave)",
        )
    },
    CurrentSpec {
        documented: None,
        fields: CALL_FIELDS,
        ..row(
            "",
            "call_answered",
            Template::new("calls.call.answered"),
            CALL_ACL,
            Audience::User,
            Daemon::Calld,
            "bus calls/event.py CallAnsweredEvent; calld calls/bus_consume.py::_relay_channel_answered (Newstate Up)",
        )
    },
    CurrentSpec {
        fields: CALL_ENDED_FIELDS,
        ..row(
            "call_ended",
            "call_ended",
            Template::new("calls.call.ended"),
            CALL_ACL,
            Audience::User,
            Daemon::Calld,
            "bus calls/event.py CallEndedEvent; calld calls/services.py::channel_destroyed_event",
        )
    },
    CurrentSpec {
        fields: HOLD_FIELDS,
        ..row(
            "call_held",
            "call_held",
            Template::new("calls.hold.created"),
            CALL_ACL,
            Audience::User,
            Daemon::Calld,
            "bus calls/event.py CallHeldEvent; calld calls/bus_consume.py::_channel_hold",
        )
    },
    CurrentSpec {
        fields: HOLD_FIELDS,
        ..row(
            "call_resumed",
            "call_resumed",
            Template::new("calls.hold.deleted"),
            CALL_ACL,
            Audience::User,
            Daemon::Calld,
            "bus calls/event.py CallResumedEvent; calld calls/bus_consume.py::_channel_unhold",
        )
    },
    CurrentSpec {
        attributes: CONFERENCE_ID,
        fields: PARTICIPANT_FIELDS,
        ..row(
            "conference_participant_joined",
            "conference_participant_joined",
            Template::new("conferences.{conference_id}.participants.joined"),
            Template::new("events.conferences.{conference_id}.participants.joined"),
            Audience::MultiUser,
            Daemon::Calld,
            "bus conference/event.py ConferenceParticipantJoinedEvent; calld conferences/bus_consume.py::_notify_participant_joined",
        )
    },
    CurrentSpec {
        attributes: CONFERENCE_ID,
        fields: PARTICIPANT_FIELDS,
        ..row(
            "conference_participant_left",
            "conference_participant_left",
            Template::new("conferences.{conference_id}.participants.left"),
            Template::new("events.conferences.{conference_id}.participants.left"),
            Audience::MultiUser,
            Daemon::Calld,
            "bus conference/event.py ConferenceParticipantLeftEvent; calld conferences/bus_consume.py::_notify_participant_left",
        )
    },
    CurrentSpec {
        attributes: CONFERENCE_ID,
        fields: PARTICIPANT_FIELDS,
        ..row(
            "conference_participant_muted",
            "conference_participant_muted",
            Template::new("conferences.{conference_id}.participants.mute"),
            Template::new("events.conferences.{conference_id}.participants.mute"),
            Audience::Tenant,
            Daemon::Calld,
            "bus conference/event.py ConferenceParticipantMutedEvent; calld conferences/bus_consume.py::_notify_participant_muted",
        )
    },
    CurrentSpec {
        attributes: CONFERENCE_ID,
        fields: PARTICIPANT_FIELDS,
        ..row(
            "conference_participant_unmuted",
            "conference_participant_unmuted",
            // `particpants` (sic): wazo-bus's own spelling.
            Template::new("conferences.{conference_id}.particpants.mute"),
            Template::new("events.conferences.{conference_id}.particpants.mute"),
            Audience::Tenant,
            Daemon::Calld,
            "bus conference/event.py ConferenceParticipantUnmutedEvent; calld conferences/bus_consume.py::_notify_participant_unmuted",
        )
    },
    CurrentSpec {
        attributes: RECORD_CONFERENCE_ID,
        ..row(
            "conference_record_started",
            "conference_record_started",
            Template::new("conferences.{conference_id}.record").bind(RECORD_CONFERENCE),
            Template::new("events.conferences.{conference_id}.record").bind(RECORD_CONFERENCE),
            Audience::Tenant,
            Daemon::Calld,
            "bus conference/event.py ConferenceRecordStartedEvent; calld conferences/bus_consume.py::_notify_record_started",
        )
    },
    CurrentSpec {
        attributes: RECORD_CONFERENCE_ID,
        ..row(
            "conference_record_stopped",
            "conference_record_stopped",
            Template::new("conferences.{conference_id}.record").bind(RECORD_CONFERENCE),
            Template::new("events.conferences.{conference_id}.record").bind(RECORD_CONFERENCE),
            Audience::Tenant,
            Daemon::Calld,
            "bus conference/event.py ConferenceRecordStoppedEvent; calld conferences/bus_consume.py::_notify_record_stopped",
        )
    },
    CurrentSpec {
        attributes: CONFERENCE_ID,
        fields: PARTICIPANT_FIELDS,
        ..row(
            "conference_participant_talk_started",
            "conference_participant_talk_started",
            Template::new("conferences.{conference_id}.participants.talk"),
            Template::new("events.conferences.{conference_id}.participants.talk"),
            Audience::MultiUser,
            Daemon::Calld,
            "bus conference/event.py ConferenceParticipantTalkStartedEvent; calld conferences/bus_consume.py::_notify_participant_talking",
        )
    },
    CurrentSpec {
        attributes: CONFERENCE_ID,
        fields: PARTICIPANT_FIELDS,
        ..row(
            "conference_participant_talk_stopped",
            "conference_participant_talk_stopped",
            Template::new("conferences.{conference_id}.participants.talk"),
            Template::new("events.conferences.{conference_id}.participants.talk"),
            Audience::MultiUser,
            Daemon::Calld,
            "bus conference/event.py ConferenceParticipantTalkStoppedEvent; calld conferences/bus_consume.py::_notify_participant_talking",
        )
    },
    row(
        "favorite_added",
        "favorite_added",
        Template::new("directory.{user_uuid}.favorite.created"),
        Template::new("events.directory.{user_uuid}.favorite.created"),
        Audience::User,
        Daemon::Dird,
        "bus directory/event.py FavoriteAddedEvent; wazo-dird plugins/favorites_service/plugin.py::new_favorite",
    ),
    row(
        "favorite_deleted",
        "favorite_deleted",
        Template::new("directory.{user_uuid}.favorite.deleted"),
        Template::new("events.directory.{user_uuid}.favorite.deleted"),
        Audience::User,
        Daemon::Dird,
        "bus directory/event.py FavoriteDeletedEvent; wazo-dird plugins/favorites_service/plugin.py::remove_favorite",
    ),
    CurrentSpec {
        fields: FAX_CREATED_FIELDS,
        ..row(
            "fax_outbound_created",
            "fax_outbound_created",
            Template::new("faxes.outbound.created"),
            Template::new("events.faxes.outbound.created"),
            Audience::Tenant,
            Daemon::Calld,
            "bus faxes/event.py FaxOutboundCreatedEvent; calld faxes/notifier.py::notify_fax_created",
        )
    },
    CurrentSpec {
        fields: FAX_CREATED_FIELDS,
        ..row(
            "fax_outbound_user_created",
            "fax_outbound_user_created",
            Template::new("faxes.outbound.users.{user_uuid}.created"),
            Template::new("events.faxes.outbound.users.{user_uuid}.created"),
            Audience::User,
            Daemon::Calld,
            "bus faxes/event.py FaxOutboundUserCreatedEvent; calld faxes/notifier.py::notify_fax_created",
        )
    },
    CurrentSpec {
        fields: FAX_RESULT_FIELDS,
        ..row(
            "fax_outbound_succeeded",
            "fax_outbound_succeeded",
            // The fax's id (a channel id such as 1455117604.42) escaped: 1455117604__DOT__42.
            Template::new("faxes.outbound.{id}.succeeded"),
            Template::new("events.faxes.outbound.{id}.succeeded"),
            Audience::Tenant,
            Daemon::Calld,
            "bus faxes/event.py FaxOutboundSucceededEvent; calld faxes/bus_consume.py::_fax_result",
        )
    },
    CurrentSpec {
        fields: FAX_RESULT_FIELDS,
        ..row(
            "fax_outbound_user_succeeded",
            "fax_outbound_user_succeeded",
            Template::new("faxes.outbound.users.{user_uuid}.succeeded"),
            Template::new("events.faxes.outbound.users.{user_uuid}.succeeded"),
            Audience::User,
            Daemon::Calld,
            "bus faxes/event.py FaxOutboundUserSucceededEvent; calld faxes/bus_consume.py::_fax_result",
        )
    },
    CurrentSpec {
        fields: FAX_RESULT_FIELDS,
        ..row(
            "fax_outbound_failed",
            "fax_outbound_failed",
            Template::new("faxes.outbound.{id}.failed"),
            Template::new("events.faxes.outbound.{id}.failed"),
            Audience::Tenant,
            Daemon::Calld,
            "bus faxes/event.py FaxOutboundFailedEvent; calld faxes/bus_consume.py::_fax_result",
        )
    },
    CurrentSpec {
        fields: FAX_RESULT_FIELDS,
        ..row(
            "fax_outbound_user_failed",
            "fax_outbound_user_failed",
            Template::new("faxes.outbound.users.{user_uuid}.failed"),
            Template::new("events.faxes.outbound.users.{user_uuid}.failed"),
            Audience::User,
            Daemon::Calld,
            "bus faxes/event.py FaxOutboundUserFailedEvent; calld faxes/bus_consume.py::_fax_result",
        )
    },
    row(
        "plugin_install_progress",
        "plugin_install_progress",
        Template::new("plugin.install.{uuid}.{status}"),
        Template::new("events.plugin.install.{uuid}.{status}"),
        Audience::Service,
        Daemon::Plugind,
        "bus plugins/events.py PluginInstallProgressEvent; wazo-plugind wazo_plugind/bus.py, tasks.py",
    ),
    row(
        "plugin_uninstall_progress",
        "plugin_uninstall_progress",
        Template::new("plugin.uninstall.{uuid}.{status}"),
        Template::new("events.plugin.uninstall.{uuid}.{status}"),
        Audience::Service,
        Daemon::Plugind,
        "bus plugins/events.py PluginUninstallProgressEvent; wazo-plugind wazo_plugind/bus.py, tasks.py",
    ),
    CurrentSpec {
        fields: RELOCATE_FIELDS,
        ..row(
            "relocate_initiated",
            "relocate_initiated",
            Template::new("calls.relocate.created"),
            RELOCATE_ACL,
            Audience::User,
            Daemon::Calld,
            "bus calls/event.py CallRelocateInitiatedEvent; calld relocates/notifier.py::initiated",
        )
    },
    CurrentSpec {
        fields: RELOCATE_FIELDS,
        ..row(
            "relocate_answered",
            "relocate_answered",
            Template::new("calls.relocate.edited"),
            RELOCATE_ACL,
            Audience::User,
            Daemon::Calld,
            "bus calls/event.py CallRelocateAnsweredEvent; calld relocates/state.py (recipient_answered)",
        )
    },
    CurrentSpec {
        fields: RELOCATE_FIELDS,
        ..row(
            "relocate_completed",
            "relocate_completed",
            Template::new("calls.relocate.edited"),
            RELOCATE_ACL,
            Audience::User,
            Daemon::Calld,
            "bus calls/event.py CallRelocateCompletedEvent; calld relocates/notifier.py::completed",
        )
    },
    CurrentSpec {
        fields: RELOCATE_FIELDS,
        ..row(
            "relocate_ended",
            "relocate_ended",
            Template::new("calls.relocate.deleted"),
            RELOCATE_ACL,
            Audience::User,
            Daemon::Calld,
            "bus calls/event.py CallRelocateEndedEvent; calld relocates/relocate.py::end",
        )
    },
    CurrentSpec {
        fields: USER_FIELDS,
        ..row(
            "user_created",
            "user_created",
            Template::new("config.user.created"),
            Template::new("events.config.user.created"),
            Audience::Tenant,
            Daemon::Confd,
            "bus user/event.py UserCreatedEvent; wazo-confd plugins/user/notifier.py::UserNotifier.created",
        )
    },
    CurrentSpec {
        fields: USER_FIELDS,
        ..row(
            "user_deleted",
            "user_deleted",
            Template::new("config.user.deleted"),
            Template::new("events.config.user.deleted"),
            Audience::Tenant,
            Daemon::Confd,
            "bus user/event.py UserDeletedEvent; wazo-confd plugins/user/notifier.py::UserNotifier.deleted",
        )
    },
    CurrentSpec {
        fields: USER_FIELDS,
        ..row(
            "user_edited",
            "user_edited",
            Template::new("config.user.edited"),
            Template::new("events.config.user.edited"),
            Audience::Tenant,
            Daemon::Confd,
            "bus user/event.py UserEditedEvent; wazo-confd plugins/user/notifier.py::UserNotifier.edited",
        )
    },
    user_setting(
        "users_forwards_busy_updated",
        "config.users.{user_uuid}.forwards.busy.updated",
        "events.config.users.{user_uuid}.forwards.busy.updated",
        FORWARD_BUSY,
    ),
    user_setting(
        "users_forwards_noanswer_updated",
        "config.users.{user_uuid}.forwards.noanswer.updated",
        "events.config.users.{user_uuid}.forwards.noanswer.updated",
        FORWARD_NOANSWER,
    ),
    user_setting(
        "users_forwards_unconditional_updated",
        "config.users.{user_uuid}.forwards.unconditional.updated",
        "events.config.users.{user_uuid}.forwards.unconditional.updated",
        FORWARD_UNCONDITIONAL,
    ),
    user_setting(
        "users_services_dnd_updated",
        "config.users.{user_uuid}.services.dnd.updated",
        "events.config.users.{user_uuid}.services.dnd.updated",
        SERVICE_DND,
    ),
    user_setting(
        "users_services_incallfilter_updated",
        "config.users.{user_uuid}.services.incallfilter.updated",
        "events.config.users.{user_uuid}.services.incallfilter.updated",
        SERVICE_INCALLFILTER,
    ),
    CurrentSpec {
        fields: &[],
        ..row(
            "service_registered_event",
            "service_registered",
            Template::new("service.registered.{service_name}"),
            Template::new("events.service.registered.{service_name}"),
            Audience::Service,
            Daemon::Registrar,
            "bus services/event.py ServiceRegisteredEvent; xivo-lib-python xivo/consul_helpers.py::NotifyingRegisterer.register",
        )
    },
    row(
        "service_deregistered_event",
        "service_deregistered",
        // `registered` (sic): wazo-bus uses the registered key for both.
        Template::new("service.registered.{service_name}"),
        Template::new("events.service.registered.{service_name}"),
        Audience::Service,
        Daemon::Registrar,
        "bus services/event.py ServiceDeregisteredEvent; xivo-lib-python xivo/consul_helpers.py::NotifyingRegisterer.deregister",
    ),
    voicemail(
        "user_voicemail_message_created",
        "voicemails.messages.created",
    ),
    voicemail(
        "user_voicemail_message_deleted",
        "voicemails.messages.deleted",
    ),
    voicemail(
        "user_voicemail_message_updated",
        "voicemails.messages.updated",
    ),
];

const fn attribute(header: &'static str, value: &'static str) -> Attribute {
    Attribute {
        header,
        value,
        kind: HeaderKind::Text,
    }
}

const FORWARD_BUSY: &[Attribute] = &[attribute("forward_name", "=busy")];
const FORWARD_NOANSWER: &[Attribute] = &[attribute("forward_name", "=noanswer")];
const FORWARD_UNCONDITIONAL: &[Attribute] = &[attribute("forward_name", "=unconditional")];
const SERVICE_DND: &[Attribute] = &[attribute("service_name", "=dnd")];
const SERVICE_INCALLFILTER: &[Attribute] = &[attribute("service_name", "=incallfilter")];

/// `users_forwards_<name>_updated` (bus `user/event.py` `UserForwardEditedEvent`,
/// `forward_name` header; wazo-confd `plugins/user/notifier.py::UserForwardNotifier`)
/// and `users_services_<name>_updated` (`UserServiceEditedEvent`, `service_name` header).
const fn user_setting(
    name: &'static str,
    routing_key: &'static str,
    required_acl: &'static str,
    attributes: &'static [Attribute],
) -> CurrentSpec {
    CurrentSpec {
        attributes,
        fields: USER_SETTING_FIELDS,
        ..row(
            name,
            name,
            Template::new(routing_key),
            Template::new(required_acl),
            Audience::User,
            Daemon::Confd,
            "bus user/event.py UserForwardEditedEvent, UserServiceEditedEvent; wazo-confd plugins/user/notifier.py",
        )
    }
}

/// `user_voicemail_message_*`: bus `voicemail/event.py`, filled by calld
/// `voicemails/bus_consume.py::_build_message`.
const fn voicemail(name: &'static str, routing_key: &'static str) -> CurrentSpec {
    CurrentSpec {
        fields: VOICEMAIL_FIELDS,
        ..row(
            name,
            name,
            Template::new(routing_key),
            VOICEMAIL_ACL,
            Audience::User,
            Daemon::Calld,
            "bus voicemail/event.py UserVoicemailMessage*Event; calld voicemails/bus_consume.py::_build_message, voicemails/schemas.py",
        )
    }
}

/// The row of the event the document calls `documented`.
pub fn by_documented_name(documented: &str) -> Option<&'static CurrentSpec> {
    CURRENT
        .iter()
        .find(|spec| spec.documented == Some(documented))
}

/// The row of the event current Wazo calls `name`.
pub fn by_name(name: &str) -> Option<&'static CurrentSpec> {
    CURRENT.iter().find(|spec| spec.name == name)
}
