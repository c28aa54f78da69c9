//! The contract checker on messages that break the contract, one kind at a time,
//! with the exact JSON path of each violation.

use rstest::rstest;
use serde_json::{Value, json};
use switchboard::contract::{self, Dialect, DialectChoice, Violation};

const ORIGIN: &str = "ca7f87e9-c2c8-5fad-ba1b-c3140ebb9be3";
const USER: &str = "a1223fe6-bff8-4fb6-a982-f9157dea5094";

fn dnd(data: Value) -> Value {
    json!({"name": "users_services_dnd_updated", "origin_uuid": ORIGIN, "data": data})
}

fn dnd_record(routing_key: &str, acl: Option<&str>) -> Value {
    let mut body = dnd(json!({"user_uuid": USER, "enabled": true}));
    if let Some(acl) = acl {
        body["required_acl"] = json!(acl);
    }
    json!({"routing_key": routing_key, "body": body})
}

#[test]
fn a_conforming_record_has_no_violation() {
    let report = contract::check(&dnd_record(
        &format!("config.users.{USER}.services.dnd.updated"),
        Some(&format!("events.config.users.{USER}.services.dnd.updated")),
    ));
    assert_eq!(report.violations, vec![]);
    assert_eq!(report.dialect, Some(Dialect::Wazo));
    assert_eq!(report.event.as_deref(), Some("users_services_dnd_updated"));
}

#[test]
fn unknown_event() {
    let report =
        contract::check(&json!({"name": "call_exploded", "origin_uuid": ORIGIN, "data": {}}));
    assert_eq!(
        report.violations,
        vec![Violation::UnknownEvent {
            path: "/name".into(),
            name: "call_exploded".into(),
            profile: switchboard::catalog::wazo::Profile::Documented,
        }]
    );
    assert!(
        report.violations[0]
            .to_string()
            .contains("unknown event `call_exploded`")
    );
}

#[rstest]
fn removed_events_are_not_unknown(
    #[values(
        "chat_message_event",
        "chat_message_received",
        "chat_message_sent",
        "endpoint_status_update",
        "user_status_update"
    )]
    name: &str,
) {
    let report =
        contract::check(&json!({"body": {"name": name, "origin_uuid": ORIGIN, "data": {}}}));
    assert_eq!(
        report.violations,
        vec![Violation::RemovedEvent {
            path: "/body/name".into(),
            name: name.into(),
            removed_in: "19.05".into()
        }]
    );
    assert!(
        report.violations[0]
            .to_string()
            .contains("removed in 19.05")
    );
}

#[test]
fn routing_key_with_a_wrong_literal_segment() {
    let report = contract::check(&dnd_record(
        &format!("config.users.{USER}.services.dnd.deleted"),
        None,
    ));
    assert_eq!(
        report.violations,
        vec![Violation::RoutingKeyMismatch {
            path: "/routing_key".into(),
            template: "config.users.{user_uuid}.services.dnd.updated".into(),
            found: format!("config.users.{USER}.services.dnd.deleted"),
            reason: "segment 6 is `deleted` where the template has `updated`".into(),
        }]
    );
    let sentence = report.violations[0].to_string();
    assert!(
        sentence.contains("config.users.{user_uuid}.services.dnd.updated"),
        "{sentence}"
    );
}

#[test]
fn routing_key_that_disagrees_with_the_data() {
    let other = "00000000-0000-0000-0000-000000000001";
    let report = contract::check(&dnd_record(
        &format!("config.users.{other}.services.dnd.updated"),
        None,
    ));
    assert_eq!(
        report.violations,
        vec![Violation::RoutingKeyMismatch {
            path: "/routing_key".into(),
            template: "config.users.{user_uuid}.services.dnd.updated".into(),
            found: format!("config.users.{other}.services.dnd.updated"),
            reason: format!("{{user_uuid}} is `{other}` but /data/user_uuid is `{USER}`"),
        }]
    );
}

#[test]
fn routing_key_with_too_few_segments() {
    let report = contract::check(&dnd_record("config.users", None));
    assert!(matches!(
        &report.violations[..],
        [Violation::RoutingKeyMismatch { reason, .. }] if reason == "it has 2 segments, the template has 6"
    ));
}

#[test]
fn acl_that_does_not_match_its_template() {
    let report = contract::check(&dnd_record(
        &format!("config.users.{USER}.services.dnd.updated"),
        Some("events.config.users.*"),
    ));
    assert_eq!(
        report.violations,
        vec![Violation::AclMismatch {
            path: "/body/required_acl".into(),
            template: "events.config.users.{user_uuid}.services.dnd.updated".into(),
            found: "events.config.users.*".into(),
            reason: "it has 4 segments, the template has 7".into(),
        }]
    );
}

#[test]
fn missing_field() {
    let report = contract::check(&dnd(json!({"user_uuid": USER})));
    assert_eq!(
        report.violations,
        vec![Violation::MissingField {
            path: "/data/enabled".into()
        }]
    );
}

#[test]
fn extra_field() {
    let report = contract::check(&dnd(
        json!({"user_uuid": USER, "enabled": true, "colour": "red"}),
    ));
    assert_eq!(
        report.violations,
        vec![Violation::UnexpectedField {
            path: "/data/colour".into()
        }]
    );
}

#[test]
fn wrong_type() {
    let report = contract::check(&dnd(json!({"user_uuid": USER, "enabled": "yes"})));
    assert_eq!(
        report.violations,
        vec![Violation::WrongType {
            path: "/data/enabled".into(),
            expected: "a boolean".into(),
            found: "a string".into(),
        }]
    );
    assert_eq!(
        report.violations[0].to_string(),
        "/data/enabled: expected a boolean, found a string"
    );
}

#[test]
fn invalid_uuid() {
    let report = contract::check(&dnd(json!({"user_uuid": "not-a-uuid", "enabled": true})));
    assert!(matches!(
        &report.violations[..],
        [Violation::InvalidValue { path, reason }] if path == "/data/user_uuid" && reason.contains("uuid")
    ));
}

#[test]
fn several_violations_are_all_reported_with_nested_paths() {
    let message = json!({"body": {
        "name": "user_voicemail_message_created",
        "origin_uuid": ORIGIN,
        "data": {
            "user_uuid": USER,
            "voicemail_id": "one",
            "message_id": "1479226725-00000003",
            "message": {"id": "m", "caller_id_name": "Alice", "caller_id_num": "1001", "duration": 0,
                        "timestamp": 1, "folder": {"id": 1, "name": "inbox", "type": "trash"}, "read": true}
        }
    }});
    let mut paths: Vec<String> = contract::check(&message)
        .violations
        .iter()
        .map(|violation| violation.path().to_owned())
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        vec![
            "/body/data/message/folder/type",
            "/body/data/message/read",
            "/body/data/voicemail_id"
        ]
    );
}

#[test]
fn nullable_struct_reports_the_inner_problem() {
    let mut event: Value =
        serde_json::from_str(switchboard::catalog::phonecom::CALL_EXAMPLE).unwrap();
    event["data"]["first_leg"]["is_first"] = json!("yes");
    event["data"]["event_leg"]["state"] = json!("ringing");
    let report = contract::check(&event);
    assert_eq!(report.dialect, Some(Dialect::Phonecom));
    let mut paths: Vec<&str> = report.violations.iter().map(Violation::path).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        vec!["/data/event_leg/state", "/data/first_leg/is_first"],
        "{report}"
    );
}

#[test]
fn relocate_records_need_the_initiator_header() {
    use switchboard::catalog::wazo::DocumentedEvent;
    use switchboard::catalog::wazo::relocates::RelocateCompleted;
    let body: Value = serde_json::from_str(RelocateCompleted::SPEC.example.unwrap()).unwrap();
    let record = json!({"routing_key": "calls.relocate.completed", "headers": {"name": "relocate_completed"}, "body": body});
    let report = contract::check(&record);
    assert_eq!(
        report.violations,
        vec![Violation::HeaderMismatch {
            path: "/headers/user_uuid:b459e3c9-b0a9-43a6-86ff-b4f7d00f6737".into(),
            expected: "true (template `user_uuid:{initiator}`)".into(),
            found: None,
        }]
    );
}

#[test]
fn phonecom_unknown_data_type() {
    let mut event: Value =
        serde_json::from_str(switchboard::catalog::phonecom::CALL_EXAMPLE).unwrap();
    event["data_type"] = json!("fax");
    let report = contract::check(&event);
    assert_eq!(
        report.violations,
        vec![Violation::UnknownDataType {
            path: "/data_type".into(),
            data_type: "fax".into()
        }]
    );
}

#[test]
fn phonecom_version_and_envelope_fields() {
    let mut event: Value =
        serde_json::from_str(switchboard::catalog::phonecom::CALL_EXAMPLE).unwrap();
    event["version"] = json!("1.0.0");
    event.as_object_mut().unwrap().remove("listener_id");
    let report = contract::check_as(&event, DialectChoice::Phonecom);
    let mut paths: Vec<&str> = report.violations.iter().map(Violation::path).collect();
    paths.sort_unstable();
    assert_eq!(paths, vec!["/listener_id", "/version"], "{report}");
}

#[test]
fn unrecognised_and_non_object_messages() {
    assert_eq!(
        contract::check(&json!({"hello": 1})).violations,
        vec![Violation::UnrecognisedMessage]
    );
    assert_eq!(
        contract::check(&json!([1])).violations,
        vec![Violation::NotAnObject {
            path: "/".into(),
            found: "an array".into()
        }]
    );
}

#[test]
fn enum_values_are_listed() {
    let mut event: Value =
        serde_json::from_str(switchboard::catalog::phonecom::CALL_EXAMPLE).unwrap();
    event["data"]["event_leg"]["completion_status"] = json!("exploded");
    let report = contract::check(&event);
    assert_eq!(
        report.violations,
        vec![Violation::InvalidValue {
            path: "/data/event_leg/completion_status".into(),
            reason: r#""exploded" is not one of "success", "cancelled", "busy", "failed""#.into(),
        }]
    );
}

#[test]
fn acl_that_disagrees_with_the_data_or_is_null() {
    let other = "00000000-0000-0000-0000-000000000001";
    let key = format!("config.users.{USER}.services.dnd.updated");
    let report = contract::check(&dnd_record(
        &key,
        Some(&format!("events.config.users.{other}.services.dnd.updated")),
    ));
    assert!(matches!(
        &report.violations[..],
        [Violation::AclMismatch { reason, .. }] if reason == &format!("{{user_uuid}} is `{other}` but /data/user_uuid is `{USER}`")
    ));
    let mut record = dnd_record(&key, None);
    record["body"]["required_acl"] = Value::Null;
    let report = contract::check(&record);
    assert!(
        matches!(&report.violations[..], [Violation::AclMismatch { found, .. }] if found == "null")
    );
}

#[test]
fn record_keys_and_headers_are_checked() {
    let mut record = dnd_record(&format!("config.users.{USER}.services.dnd.updated"), None);
    record["exchange_type"] = json!("topic");
    record["headers"] = json!({"name": "call_created"});
    let report = contract::check(&record);
    assert_eq!(
        report.violations,
        vec![
            Violation::UnexpectedField {
                path: "/exchange_type".into()
            },
            Violation::HeaderMismatch {
                path: "/headers/name".into(),
                expected: r#""users_services_dnd_updated" (as in the body)"#.into(),
                found: Some(r#""call_created""#.into()),
            },
        ]
    );
}
