//! The catalog against its own documentation: every entry's example parses into the
//! typed struct, validates against the derived schema, round-trips, and its routing
//! key and ACL render from the templates.

use rstest::rstest;
use serde_json::{Value, json};
use switchboard::catalog::phonecom;
use switchboard::catalog::wazo::{self, EventEntry, Lookup, WazoMessage};
use switchboard::catalog::{Template, errata};
use switchboard::contract;
use uuid::Uuid;

/// Every event name the Wazo document lists (issue 2), in its order.
const DOCUMENTED_EVENTS: &[&str] = &[
    "auth_user_external_auth_added",
    "auth_user_external_auth_authorized",
    "auth_user_external_auth_deleted",
    "auth_tenant_created",
    "auth_tenant_deleted",
    "auth_tenant_updated",
    "call_form_result",
    "agent_status_update",
    "call_created",
    "call_updated",
    "call_ended",
    "call_held",
    "call_resumed",
    "conference_participant_joined",
    "conference_participant_left",
    "conference_participant_muted",
    "conference_participant_unmuted",
    "conference_record_started",
    "conference_record_stopped",
    "conference_participant_talk_started",
    "conference_participant_talk_stopped",
    "favorite_added",
    "favorite_deleted",
    "fax_outbound_created",
    "fax_outbound_user_created",
    "fax_outbound_succeeded",
    "fax_outbound_user_succeeded",
    "fax_outbound_failed",
    "fax_outbound_user_failed",
    "plugin_install_progress",
    "plugin_uninstall_progress",
    "relocate_initiated",
    "relocate_answered",
    "relocate_completed",
    "relocate_ended",
    "user_created",
    "user_deleted",
    "user_edited",
    "users_forwards_busy_updated",
    "users_forwards_noanswer_updated",
    "users_forwards_unconditional_updated",
    "users_services_dnd_updated",
    "users_services_incallfilter_updated",
    "service_registered_event",
    "service_deregistered_event",
    "user_voicemail_message_created",
    "user_voicemail_message_updated",
    "user_voicemail_message_deleted",
];

/// The events whose section shows one example for several events: each borrows the
/// data of the section's example.
const SHARES_EXAMPLE_OF: &[(&str, &str)] = &[
    ("call_updated", "call_created"),
    ("call_ended", "call_created"),
    (
        "conference_participant_left",
        "conference_participant_joined",
    ),
    (
        "conference_participant_unmuted",
        "conference_participant_muted",
    ),
    ("conference_record_stopped", "conference_record_started"),
    (
        "conference_participant_talk_stopped",
        "conference_participant_talk_started",
    ),
    ("fax_outbound_user_created", "fax_outbound_created"),
    ("fax_outbound_user_succeeded", "fax_outbound_succeeded"),
    ("fax_outbound_user_failed", "fax_outbound_failed"),
    ("relocate_initiated", "relocate_completed"),
    ("relocate_answered", "relocate_completed"),
    ("relocate_ended", "relocate_completed"),
    (
        "users_forwards_noanswer_updated",
        "users_forwards_busy_updated",
    ),
    (
        "users_forwards_unconditional_updated",
        "users_forwards_busy_updated",
    ),
    (
        "users_services_incallfilter_updated",
        "users_services_dnd_updated",
    ),
    (
        "user_voicemail_message_updated",
        "user_voicemail_message_created",
    ),
    (
        "user_voicemail_message_deleted",
        "user_voicemail_message_created",
    ),
];

fn entry(name: &str) -> &'static EventEntry {
    match wazo::lookup(name) {
        Lookup::Documented(entry) => entry,
        other => panic!("{name} is not a documented event: {other:?}"),
    }
}

/// The documented example of `name`, or the example of its section with its name.
fn example_of(name: &str) -> Value {
    if let Some(example) = entry(name).example() {
        return example.unwrap();
    }
    let (_, source) = SHARES_EXAMPLE_OF
        .iter()
        .find(|(event, _)| *event == name)
        .unwrap_or_else(|| panic!("{name} has no example and borrows none"));
    let mut example = entry(source).example().unwrap().unwrap();
    example["name"] = json!(name);
    // The borrowed ACL belongs to the source event: render this event's own.
    if let Some(object) = example.as_object_mut() {
        object.remove("required_acl");
    }
    example
}

#[test]
fn the_catalog_has_exactly_the_documented_events() {
    let names: Vec<&str> = wazo::entries().iter().map(EventEntry::name).collect();
    assert_eq!(names, DOCUMENTED_EVENTS);
}

#[test]
fn every_event_without_an_example_borrows_its_sections() {
    let without: Vec<&str> = wazo::entries()
        .iter()
        .filter(|entry| entry.spec.example.is_none())
        .map(EventEntry::name)
        .collect();
    let borrowing: Vec<&str> = SHARES_EXAMPLE_OF.iter().map(|(event, _)| *event).collect();
    assert_eq!(without, borrowing);
}

#[rstest]
fn documented_example_conforms(
    #[values(
        "auth_user_external_auth_added",
        "auth_user_external_auth_authorized",
        "auth_user_external_auth_deleted",
        "auth_tenant_created",
        "auth_tenant_deleted",
        "auth_tenant_updated",
        "call_form_result",
        "agent_status_update",
        "call_created",
        "call_updated",
        "call_ended",
        "call_held",
        "call_resumed",
        "conference_participant_joined",
        "conference_participant_left",
        "conference_participant_muted",
        "conference_participant_unmuted",
        "conference_record_started",
        "conference_record_stopped",
        "conference_participant_talk_started",
        "conference_participant_talk_stopped",
        "favorite_added",
        "favorite_deleted",
        "fax_outbound_created",
        "fax_outbound_user_created",
        "fax_outbound_succeeded",
        "fax_outbound_user_succeeded",
        "fax_outbound_failed",
        "fax_outbound_user_failed",
        "plugin_install_progress",
        "plugin_uninstall_progress",
        "relocate_initiated",
        "relocate_answered",
        "relocate_completed",
        "relocate_ended",
        "user_created",
        "user_deleted",
        "user_edited",
        "users_forwards_busy_updated",
        "users_forwards_noanswer_updated",
        "users_forwards_unconditional_updated",
        "users_services_dnd_updated",
        "users_services_incallfilter_updated",
        "service_registered_event",
        "service_deregistered_event",
        "user_voicemail_message_created",
        "user_voicemail_message_updated",
        "user_voicemail_message_deleted"
    )]
    name: &str,
) {
    let entry = entry(name);
    let example = example_of(name);
    assert_eq!(example["name"], json!(name));

    // Deserialises into the typed struct and re-serialises to the same JSON.
    let round_trip = entry.decode_data(&example["data"]).unwrap();
    assert_eq!(
        round_trip, example["data"],
        "{name}: data does not round-trip"
    );

    // Validates against the derived schema (a bare envelope: the schema check only).
    let report = contract::check_wazo(&example);
    assert!(report.is_ok(), "{name}: {report}");

    // The routing key and ACL render from the templates with the example's data...
    let routing_key = entry.spec.routing_key.render(&example).unwrap();
    let acl = entry
        .spec
        .required_acl
        .map(|acl: Template| acl.render(&example).unwrap());
    // ...equal the documented ones where the example shows them...
    if let Some(documented) = example.get("required_acl") {
        assert_eq!(
            Some(documented),
            acl.as_ref().map(|acl| json!(acl)).as_ref(),
            "{name}: ACL"
        );
    }
    // ...and a record carrying them conforms, headers included.
    let mut headers = serde_json::Map::new();
    for header in entry.spec.headers {
        headers.insert(header.render(&example).unwrap(), json!(true));
    }
    let record = json!({"routing_key": routing_key, "headers": headers, "body": example});
    let report = contract::check_wazo(&record);
    assert!(report.is_ok(), "{name}: {report}");
}

#[rstest]
#[case::tenant(
    "auth_tenant_created",
    "auth.tenants.a1e05585-1421-4397-bd59-9cf9725888e9.created"
)]
#[case::conference("conference_participant_joined", "conferences.1.participants.joined")]
#[case::record("conference_record_started", "conferences.1.record")]
#[case::relocate("relocate_completed", "calls.relocate.completed")]
#[case::service("service_registered_event", "service.registered.wazo-dird")]
#[case::plugin(
    "plugin_install_progress",
    "plugin.install.8e58d2a7-cfed-4c2e-ac72-14e0b5c26dc2.completed"
)]
#[case::forward(
    "users_forwards_busy_updated",
    "config.users.a1223fe6-bff8-4fb6-a982-f9157dea5094.forwards.busy.updated"
)]
fn routing_keys_render_from_the_example(#[case] name: &str, #[case] expected: &str) {
    let example = entry(name).example().unwrap().unwrap();
    assert_eq!(
        entry(name).spec.routing_key.render(&example).unwrap(),
        expected
    );
}

#[test]
fn relocate_acl_and_header_come_from_the_initiator() {
    let example = entry("relocate_completed").example().unwrap().unwrap();
    let spec = entry("relocate_completed").spec;
    assert_eq!(
        spec.required_acl.unwrap().render(&example).unwrap(),
        "events.relocates.b459e3c9-b0a9-43a6-86ff-b4f7d00f6737"
    );
    assert_eq!(
        spec.headers[0].render(&example).unwrap(),
        "user_uuid:b459e3c9-b0a9-43a6-86ff-b4f7d00f6737"
    );
}

#[test]
fn ami_example_conforms_and_renders_its_key() {
    let example: Value = serde_json::from_str(wazo::ami::SPEC.example.unwrap()).unwrap();
    let entry = wazo::ami::entry();
    assert_eq!(
        entry.decode_data(&example["data"]).unwrap(),
        example["data"]
    );
    assert_eq!(
        entry.spec.routing_key.render(&example).unwrap(),
        "ami.QueueMemberStatus"
    );
    let record = json!({"routing_key": "ami.QueueMemberStatus", "body": example});
    let report = contract::check_wazo(&record);
    assert!(report.is_ok(), "{report}");
}

#[test]
fn messages_built_from_typed_events_conform() {
    for name in DOCUMENTED_EVENTS {
        let example = example_of(name);
        let entry = entry(name);
        // Rebuild the message the way a publisher would, from the typed data.
        let data = entry.decode_data(&example["data"]).unwrap();
        let event = Rebuilt { entry, data };
        let origin = Uuid::from_u128(0xca7f87e9_c2c8_5fad_ba1b_c3140ebb9be3);
        let message = WazoMessage::new(&event, origin).unwrap();
        let report = contract::check_wazo(&message.to_record());
        assert!(report.is_ok(), "{name}: {report}");
        assert_eq!(message.body["data"], example["data"]);
        if entry.spec.required_acl.is_some() {
            assert_eq!(
                message.headers["required_acl"],
                message.body["required_acl"]
            );
        }
    }
}

/// A catalog event rebuilt from an entry and a data value, to exercise
/// `WazoMessage::new` over every entry without naming each type.
struct Rebuilt {
    entry: &'static EventEntry,
    data: Value,
}

impl wazo::WazoEvent for Rebuilt {
    fn spec(&self) -> &'static wazo::EventSpec {
        self.entry.spec
    }

    fn data_json(&self) -> Result<Value, serde_json::Error> {
        Ok(self.data.clone())
    }
}

#[test]
fn every_schema_is_derived_and_strict() {
    for entry in wazo::entries() {
        let schema = entry.data_schema();
        let schema = schema.as_value();
        assert_eq!(schema["type"], json!("object"), "{}", entry.name());
        assert_eq!(
            schema["additionalProperties"],
            json!(false),
            "{}",
            entry.name()
        );
    }
}

#[test]
fn phonecom_example_conforms_and_round_trips() {
    let example: Value = serde_json::from_str(phonecom::CALL_EXAMPLE).unwrap();
    let entry = phonecom::data_type("call").unwrap();
    assert_eq!(
        entry.decode_data(&example["data"]).unwrap(),
        example["data"]
    );
    let typed: phonecom::Envelope<phonecom::Call> =
        serde_json::from_value(example.clone()).unwrap();
    assert_eq!(serde_json::to_value(&typed).unwrap(), example);
    assert_eq!(typed.data.first_leg.as_ref().unwrap().state, None);
    assert_eq!(
        typed.data.event_leg.state,
        Some(phonecom::LegState::Completed)
    );
    let report = contract::check_phonecom(&example);
    assert!(report.is_ok(), "{report}");
}

#[test]
fn errata_name_only_catalogued_events() {
    let known = |name: &str| {
        name == wazo::ami::SPEC.name
            || DOCUMENTED_EVENTS.contains(&name)
            || phonecom::data_type(name).is_some()
    };
    for erratum in errata() {
        for event in erratum.events {
            assert!(
                known(event),
                "erratum {} names unknown event {event}",
                erratum.id
            );
        }
    }
    // The contradictions issue 2 calls out are all recorded.
    for id in [
        "favorites-xivo-id",
        "forwards-example-not-json",
        "conference-talk-data",
        "conference-descriptions-copied",
        "fax-failed-description",
        "service-name-placeholder",
        "voicemail-section-title",
        "call-acl-user-uuid",
        "phonecom-call-uuid-not-uuid",
    ] {
        assert!(
            errata().iter().any(|erratum| erratum.id == id),
            "missing erratum {id}"
        );
    }
}

#[test]
fn phonecom_envelopes_built_from_typed_data_conform() {
    let example: phonecom::Envelope<phonecom::Call> =
        serde_json::from_str(phonecom::CALL_EXAMPLE).unwrap();
    let rebuilt = phonecom::Envelope::new(
        example.uuid,
        example.listener_id,
        example.context.clone(),
        example.timestamp_ns,
        example.tags.clone(),
        example.data_object_uuid,
        example.data.clone(),
    );
    assert_eq!(rebuilt, example);
    let recording = phonecom::Envelope::new(
        Uuid::from_u128(1),
        1000,
        example.context.clone(),
        1_593_029_665_343_497_000,
        vec!["recording".into()],
        Uuid::from_u128(2),
        phonecom::Recording {
            uuid: Uuid::from_u128(2).to_string(),
            kind: phonecom::RecordingType::Call,
            size: 2048,
            duration: 12,
        },
    );
    let value = serde_json::to_value(&recording).unwrap();
    assert_eq!(value["data_type"], json!("recording"));
    assert_eq!(value["timestamp"], json!(1_593_029_665_u64));
    let report = contract::check(&value);
    assert!(report.is_ok(), "{report}");
}

/// Every routing key, ACL and header template in one reviewed file: a change to
/// any of them shows up as a snapshot diff.
#[test]
fn templates_snapshot() {
    let rows: Vec<Value> = std::iter::once(wazo::ami::entry())
        .chain(wazo::entries())
        .map(|entry| {
            json!({
                "name": entry.name(),
                "family": entry.spec.family.as_str(),
                "routing_key": entry.spec.routing_key.as_str(),
                "routing_key_values": entry.spec.routing_key.placeholders().iter()
                    .map(|placeholder| format!("{placeholder} <- {}", entry.spec.routing_key.pointer(placeholder)))
                    .collect::<Vec<_>>(),
                "required_acl": entry.spec.required_acl.map(|acl| acl.as_str()),
                "headers": entry.spec.headers.iter().map(|header| header.as_str()).collect::<Vec<_>>(),
                "data_type": entry.data_type,
            })
        })
        .collect();
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_json_snapshot!("catalog_templates", rows);
    });
}
