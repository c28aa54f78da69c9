//! The `wazo` profile held against what current Wazo publishes, read from
//! its code: one row per event, each fact beside the repository path it was
//! read from (wazo-platform/wazo-bus at 4c47e71c, `bus` = `wazo_bus/resources/`;
//! wazo-platform/wazo-calld at 07b6704d, `calld` = `wazo_calld/plugins/`).
//!
//! Every shipped scenario is rendered with `--profile wazo`; for each row,
//! every message of that event must have the row's routing key and ACL
//! (as patterns), the row's audience headers, its attribute headers, and
//! exactly the row's `data` keys. Independently of the catalog's own table:
//! the facts here are written from the sources, not from the code under test.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use regex::Regex;
use rstest::rstest;
use serde_json::Value;
use switchboard::catalog::wazo::Profile;
use switchboard::dialect::wazo::render_checked;
use switchboard::scenario::Scenario;
use switchboard::sim::{SimOptions, simulate};

/// Who an event is addressed to (wazo-bus `resources/common/event.py`).
#[derive(Debug, Clone, Copy)]
enum Audience {
    /// `ServiceEvent`: no tenant_uuid, no user_uuid flags.
    Service,
    /// `TenantEvent`: tenant_uuid and `user_uuid:*` = true.
    Tenant,
    /// `UserEvent`: tenant_uuid and at most one `user_uuid:<uuid>` = true.
    User,
    /// `MultiUserEvent`: tenant_uuid and any number of `user_uuid:<uuid>` = true.
    Multi,
}

const UUID: &str = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

/// calld `calls/schemas.py` `CallSchema`: 23 keys, all always dumped.
const CALL: &[&str] = &[
    "bridges",
    "call_id",
    "caller_id_name",
    "caller_id_number",
    "conversation_id",
    "peer_caller_id_name",
    "peer_caller_id_number",
    "creation_time",
    "status",
    "on_hold",
    "muted",
    "record_state",
    "talking_to",
    "user_uuid",
    "is_caller",
    "is_video",
    "dialed_extension",
    "sip_call_id",
    "line_id",
    "answer_time",
    "hangup_time",
    "direction",
    "parked",
];
/// calld `conferences/schemas.py` `ParticipantSchema` (loaded from AMI) + conference_id.
const PARTICIPANT: &[&str] = &[
    "id",
    "caller_id_name",
    "caller_id_number",
    "muted",
    "admin",
    "language",
    "call_id",
    "user_uuid",
    "conference_id",
];
/// calld `faxes/notifier.py::notify_fax_created`.
const FAX_CREATED: &[&str] = &[
    "id",
    "call_id",
    "extension",
    "context",
    "caller_id",
    "ivr_extension",
    "wait_time",
    "user_uuid",
    "tenant_uuid",
];
/// calld `faxes/schemas.py` `FaxSchema` (succeeded).
const FAX_DONE: &[&str] = &[
    "id",
    "call_id",
    "extension",
    "context",
    "caller_id",
    "user_uuid",
    "tenant_uuid",
];
/// calld `relocates/schemas.py` `RelocateSchema` (the object has no auto_answer).
const RELOCATE: &[&str] = &[
    "uuid",
    "relocated_call",
    "initiator_call",
    "recipient_call",
    "completions",
    "initiator",
    "timeout",
];
/// bus `user/event.py` `_BaseUserEvent`.
const USER: &[&str] = &[
    "id",
    "uuid",
    "subscription_type",
    "created_at",
    "tenant_uuid",
];
/// bus `user/event.py` `UserForwardEditedEvent`.
const FORWARD: &[&str] = &[
    "user_id",
    "user_uuid",
    "tenant_uuid",
    "enabled",
    "destination",
];
/// bus `user/event.py` `UserServiceEditedEvent`.
const SERVICE: &[&str] = &["user_id", "user_uuid", "tenant_uuid", "enabled"];
/// bus `voicemail/event.py`, message from calld `voicemails/schemas.py`.
const VOICEMAIL: &[&str] = &["user_uuid", "voicemail_id", "message_id", "message"];

/// One event of current Wazo per case: name, routing key and ACL (patterns,
/// `{U}` a uuid), audience, attribute headers with their JSON type, and the
/// keys of `data` (`None`: open-ended).
#[rstest]
// bus auth/events.py TenantCreatedEvent; wazo-auth services/tenant.py::new (slug, domain_names)
#[case("auth_tenant_added", r"auth\.tenants\.{U}\.created", r"events\.auth\.tenants\.{U}\.created", Audience::Tenant, &[], Some(&["uuid", "name", "slug", "domain_names"][..]))]
// bus auth/events.py TenantUpdatedEvent / TenantDeletedEvent
#[case("auth_tenant_updated", r"auth\.tenants\.{U}\.updated", r"events\.auth\.tenants\.{U}\.updated", Audience::Tenant, &[], Some(&["uuid", "name"][..]))]
#[case("auth_tenant_deleted", r"auth\.tenants\.{U}\.deleted", r"events\.auth\.tenants\.{U}\.deleted", Audience::Tenant, &[], Some(&["uuid"][..]))]
// bus auth/events.py UserExternalAuth*Event; wazo-auth services/external_auth.py
#[case("auth_user_external_auth_added", r"auth\.users\.{U}\.external\.\w+\.created", r"events\.auth\.users\.{U}\.external\.\w+\.created", Audience::User, &[], Some(&["user_uuid", "external_auth_name"][..]))]
#[case("auth_user_external_auth_authorized", r"auth\.users\.{U}\.external\.\w+\.authorized", r"events\.auth\.users\.{U}\.external\.\w+\.authorized", Audience::User, &[], Some(&["user_uuid", "external_auth_name"][..]))]
#[case("auth_user_external_auth_deleted", r"auth\.users\.{U}\.external\.\w+\.deleted", r"events\.auth\.users\.{U}\.external\.\w+\.deleted", Audience::User, &[], Some(&["user_uuid", "external_auth_name"][..]))]
// bus agent/event.py AgentStatusUpdatedEvent (explicit ACL); wazo-agentd service/action/login.py
#[case("agent_status_update", r"status\.agent", r"events\.statuses\.agents", Audience::Multi, &[], Some(&["agent_id", "status"][..]))]
// bus calls/event.py Call*Event, ACL events.calls.{user_uuid} (None without a user)
#[case("call_created", r"calls\.call\.created", r"events\.calls\.({U}|None)", Audience::User, &[], Some(CALL))]
#[case("call_updated", r"calls\.call\.updated", r"events\.calls\.({U}|None)", Audience::User, &[], Some(CALL))]
#[case("call_answered", r"calls\.call\.answered", r"events\.calls\.({U}|None)", Audience::User, &[], Some(CALL))]
// calld calls/services.py::channel_destroyed_event adds reason_code
#[case("call_ended", r"calls\.call\.ended", r"events\.calls\.({U}|None)", Audience::User, &[], Some(&[CALL, &["reason_code"]].concat()[..]))]
// calld calls/bus_consume.py::_channel_hold: {call_id, user_uuid}
#[case("call_held", r"calls\.hold\.created", r"events\.calls\.({U}|None)", Audience::User, &[], Some(&["call_id", "user_uuid"][..]))]
#[case("call_resumed", r"calls\.hold\.deleted", r"events\.calls\.({U}|None)", Audience::User, &[], Some(&["call_id", "user_uuid"][..]))]
// bus conference/event.py: conference_id header (int); joined/left/talk multi-user, mute/record tenant
#[case("conference_participant_joined", r"conferences\.\d+\.participants\.joined", r"events\.conferences\.\d+\.participants\.joined", Audience::Multi, &[("conference_id", "integer")], Some(PARTICIPANT))]
#[case("conference_participant_left", r"conferences\.\d+\.participants\.left", r"events\.conferences\.\d+\.participants\.left", Audience::Multi, &[("conference_id", "integer")], Some(PARTICIPANT))]
#[case("conference_participant_muted", r"conferences\.\d+\.participants\.mute", r"events\.conferences\.\d+\.participants\.mute", Audience::Tenant, &[("conference_id", "integer")], Some(PARTICIPANT))]
// `particpants` (sic) in wazo-bus's ConferenceParticipantUnmutedEvent
#[case("conference_participant_unmuted", r"conferences\.\d+\.particpants\.mute", r"events\.conferences\.\d+\.particpants\.mute", Audience::Tenant, &[("conference_id", "integer")], Some(PARTICIPANT))]
#[case("conference_participant_talk_started", r"conferences\.\d+\.participants\.talk", r"events\.conferences\.\d+\.participants\.talk", Audience::Multi, &[("conference_id", "integer")], Some(PARTICIPANT))]
#[case("conference_participant_talk_stopped", r"conferences\.\d+\.participants\.talk", r"events\.conferences\.\d+\.participants\.talk", Audience::Multi, &[("conference_id", "integer")], Some(PARTICIPANT))]
#[case("conference_record_started", r"conferences\.\d+\.record", r"events\.conferences\.\d+\.record", Audience::Tenant, &[("conference_id", "integer")], Some(&["id"][..]))]
#[case("conference_record_stopped", r"conferences\.\d+\.record", r"events\.conferences\.\d+\.record", Audience::Tenant, &[("conference_id", "integer")], Some(&["id"][..]))]
// bus directory/event.py Favorite*Event; wazo-dird plugins/favorites_service/plugin.py
#[case("favorite_added", r"directory\.{U}\.favorite\.created", r"events\.directory\.{U}\.favorite\.created", Audience::User, &[], Some(&["xivo_uuid", "user_uuid", "source", "source_entry_id"][..]))]
#[case("favorite_deleted", r"directory\.{U}\.favorite\.deleted", r"events\.directory\.{U}\.favorite\.deleted", Audience::User, &[], Some(&["xivo_uuid", "user_uuid", "source", "source_entry_id"][..]))]
// bus faxes/event.py: the fax id escaped in the keys (1455117604.42 -> 1455117604__DOT__42)
#[case("fax_outbound_created", r"faxes\.outbound\.created", r"events\.faxes\.outbound\.created", Audience::Tenant, &[], Some(FAX_CREATED))]
#[case("fax_outbound_user_created", r"faxes\.outbound\.users\.{U}\.created", r"events\.faxes\.outbound\.users\.{U}\.created", Audience::User, &[], Some(FAX_CREATED))]
#[case("fax_outbound_succeeded", r"faxes\.outbound\.\d+__DOT__\d+\.succeeded", r"events\.faxes\.outbound\.\d+__DOT__\d+\.succeeded", Audience::Tenant, &[], Some(FAX_DONE))]
#[case("fax_outbound_user_succeeded", r"faxes\.outbound\.users\.{U}\.succeeded", r"events\.faxes\.outbound\.users\.{U}\.succeeded", Audience::User, &[], Some(FAX_DONE))]
#[case("fax_outbound_failed", r"faxes\.outbound\.\d+__DOT__\d+\.failed", r"events\.faxes\.outbound\.\d+__DOT__\d+\.failed", Audience::Tenant, &[], Some(&[FAX_DONE, &["error"]].concat()[..]))]
#[case("fax_outbound_user_failed", r"faxes\.outbound\.users\.{U}\.failed", r"events\.faxes\.outbound\.users\.{U}\.failed", Audience::User, &[], Some(&[FAX_DONE, &["error"]].concat()[..]))]
// bus plugins/events.py; wazo-plugind bus.py (statuses may hold a space, never escaped)
#[case("plugin_install_progress", r"plugin\.install\.{U}\.[a-z ]+", r"events\.plugin\.install\.{U}\.[a-z ]+", Audience::Service, &[], None)]
#[case("plugin_uninstall_progress", r"plugin\.uninstall\.{U}\.[a-z ]+", r"events\.plugin\.uninstall\.{U}\.[a-z ]+", Audience::Service, &[], None)]
// bus calls/event.py CallRelocate*Event: created / edited / edited / deleted
#[case("relocate_initiated", r"calls\.relocate\.created", r"events\.relocates\.{U}", Audience::User, &[], Some(RELOCATE))]
#[case("relocate_answered", r"calls\.relocate\.edited", r"events\.relocates\.{U}", Audience::User, &[], Some(RELOCATE))]
#[case("relocate_completed", r"calls\.relocate\.edited", r"events\.relocates\.{U}", Audience::User, &[], Some(RELOCATE))]
#[case("relocate_ended", r"calls\.relocate\.deleted", r"events\.relocates\.{U}", Audience::User, &[], Some(RELOCATE))]
// bus services/event.py; the deregistered key reuses `registered` (sic)
#[case("service_registered", r"service\.registered\.[\w-]+", r"events\.service\.registered\.[\w-]+", Audience::Service, &[], Some(&["service_name", "service_id", "address", "port", "tags"][..]))]
#[case("service_deregistered", r"service\.registered\.[\w-]+", r"events\.service\.registered\.[\w-]+", Audience::Service, &[], Some(&["service_name", "service_id", "tags"][..]))]
// bus user/event.py; wazo-confd plugins/user/notifier.py
#[case("user_created", r"config\.user\.created", r"events\.config\.user\.created", Audience::Tenant, &[], Some(USER))]
#[case("user_edited", r"config\.user\.edited", r"events\.config\.user\.edited", Audience::Tenant, &[], Some(USER))]
#[case("user_deleted", r"config\.user\.deleted", r"events\.config\.user\.deleted", Audience::Tenant, &[], Some(USER))]
#[case("users_forwards_busy_updated", r"config\.users\.{U}\.forwards\.busy\.updated", r"events\.config\.users\.{U}\.forwards\.busy\.updated", Audience::User, &[("forward_name", "string")], Some(FORWARD))]
#[case("users_forwards_noanswer_updated", r"config\.users\.{U}\.forwards\.noanswer\.updated", r"events\.config\.users\.{U}\.forwards\.noanswer\.updated", Audience::User, &[("forward_name", "string")], Some(FORWARD))]
#[case("users_forwards_unconditional_updated", r"config\.users\.{U}\.forwards\.unconditional\.updated", r"events\.config\.users\.{U}\.forwards\.unconditional\.updated", Audience::User, &[("forward_name", "string")], Some(FORWARD))]
#[case("users_services_dnd_updated", r"config\.users\.{U}\.services\.dnd\.updated", r"events\.config\.users\.{U}\.services\.dnd\.updated", Audience::User, &[("service_name", "string")], Some(SERVICE))]
#[case("users_services_incallfilter_updated", r"config\.users\.{U}\.services\.incallfilter\.updated", r"events\.config\.users\.{U}\.services\.incallfilter\.updated", Audience::User, &[("service_name", "string")], Some(SERVICE))]
// bus voicemail/event.py, explicit ACL events.users.{user_uuid}.voicemails
#[case("user_voicemail_message_created", r"voicemails\.messages\.created", r"events\.users\.{U}\.voicemails", Audience::User, &[], Some(VOICEMAIL))]
#[case("user_voicemail_message_updated", r"voicemails\.messages\.updated", r"events\.users\.{U}\.voicemails", Audience::User, &[], Some(VOICEMAIL))]
#[case("user_voicemail_message_deleted", r"voicemails\.messages\.deleted", r"events\.users\.{U}\.voicemails", Audience::User, &[], Some(VOICEMAIL))]
// bus ami/event.py AMIEvent: a service event named after the AMI event, data holds `Event`
#[case("Newchannel", r"ami\.Newchannel", r"events\.ami\.Newchannel", Audience::Service, &[], None)]
fn each_event_is_what_current_wazo_publishes(
    #[case] name: &str,
    #[case] key: &str,
    #[case] acl: &str,
    #[case] audience: Audience,
    #[case] attributes: &[(&str, &str)],
    #[case] data_keys: Option<&[&str]>,
) {
    let messages = rendered()
        .get(name)
        .unwrap_or_else(|| panic!("no shipped scenario publishes {name} with --profile wazo"));
    let pattern = |text: &str| Regex::new(&format!("^{}$", text.replace("{U}", UUID))).unwrap();
    let (key, acl) = (pattern(key), pattern(acl));
    for (routing_key, headers, body) in messages {
        assert!(
            key.is_match(routing_key),
            "{name}: routing key {routing_key}"
        );
        let required_acl = headers["required_acl"].as_str().unwrap_or_default();
        assert!(acl.is_match(required_acl), "{name}: ACL {required_acl}");
        assert_eq!(headers["name"], name);
        assert_eq!(headers["required_access"], format!("event.{name}"));
        assert!(headers["timestamp"].is_string(), "{name}: timestamp");
        let everyone = headers.get("user_uuid:*") == Some(&Value::Bool(true));
        let users = headers
            .keys()
            .filter(|key| key.starts_with("user_uuid:") && key.as_str() != "user_uuid:*")
            .count();
        let tenant = headers.get("tenant_uuid").and_then(Value::as_str);
        match audience {
            Audience::Service => assert!(!everyone && users == 0 && tenant.is_none(), "{name}"),
            Audience::Tenant => assert!(everyone && users == 0 && tenant.is_some(), "{name}"),
            Audience::User => assert!(!everyone && users <= 1 && tenant.is_some(), "{name}"),
            Audience::Multi => assert!(!everyone && tenant.is_some(), "{name}"),
        }
        for (header, kind) in attributes {
            let value = &headers[*header];
            let found = match value {
                Value::Number(number) if number.is_i64() => "integer",
                Value::String(_) => "string",
                _ => "other",
            };
            assert_eq!(found, *kind, "{name}: header {header} = {value}");
            assert_eq!(
                &body[*header], value,
                "{name}: {header} copied into the body"
            );
        }
        // Every header is copied into the body, and the body holds nothing else but data.
        let body = body.as_object().unwrap();
        for (header, value) in headers {
            assert_eq!(body.get(header), Some(value), "{name}: header {header}");
        }
        assert_eq!(body.len(), headers.len() + 1, "{name}: {body:?}");
        if let Some(expected) = data_keys {
            let found: BTreeSet<&str> = body["data"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let expected: BTreeSet<&str> = expected.iter().copied().collect();
            assert_eq!(found, expected, "{name}: data keys");
        }
    }
}

/// Every event the catalog's `wazo` profile knows is covered by a row above
/// or published by no shipped scenario: none is left unchecked.
#[test]
fn every_current_event_is_published_by_a_shipped_scenario() {
    let published: BTreeSet<&str> = rendered().keys().map(String::as_str).collect();
    for row in switchboard::catalog::wazo::current::CURRENT {
        assert!(
            published.contains(row.name),
            "{} is published by no shipped scenario with --profile wazo",
            row.name
        );
    }
    // The document's call_form_result is gone from current Wazo.
    assert!(!published.contains("call_form_result"));
    assert!(!published.contains("auth_tenant_created"));
}

/// `(routing key, headers, body)` of one rendered message.
type Message = (String, serde_json::Map<String, Value>, Value);
/// Rendered messages by event name.
type Rendered = BTreeMap<String, Vec<Message>>;

/// Every message the shipped scenarios render with `--profile wazo`, by event name.
fn rendered() -> &'static Rendered {
    static RENDERED: OnceLock<Rendered> = OnceLock::new();
    RENDERED.get_or_init(|| {
        let mut by_name = Rendered::new();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|ext| ext != "toml") {
                continue;
            }
            let scenario = Scenario::load(&path).unwrap();
            let timeline = simulate(&scenario, &SimOptions::default()).unwrap();
            for rendered in render_checked(&timeline, Profile::Wazo).unwrap() {
                let message = rendered.message;
                let body: Value = serde_json::from_slice(&message.body).unwrap();
                by_name.entry(message.name).or_default().push((
                    message.routing_key,
                    message.headers,
                    body,
                ));
            }
        }
        by_name
    })
}
