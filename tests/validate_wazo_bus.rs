//! Messages shaped as wazo-bus publishes them (`tests/fixtures/wazo_bus.jsonl`,
//! written from wazo-bus's event classes and the daemons' payloads and test
//! constants: XIVO_UUID 08c56466-…, tenants ffffffff-… and 404afda0-…, conference
//! 4001) validate under `--profile wazo` and `auto`, and every kind of
//! departure is caught with its JSON path.

use std::process::Command;

use rstest::rstest;
use serde_json::{Value, json};
use switchboard::catalog::wazo::Profile;
use switchboard::contract::{self, Violation};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/wazo_bus.jsonl");

fn fixtures() -> Vec<Value> {
    std::fs::read_to_string(FIXTURES)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The fixture of event `name`.
fn fixture(name: &str) -> Value {
    fixtures()
        .into_iter()
        .find(|record| record["body"]["name"] == name)
        .unwrap_or_else(|| panic!("no fixture for {name}"))
}

fn validate(profile: &str) -> (i32, Value) {
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args([
            "validate",
            "--format",
            "json",
            "--profile",
            profile,
            FIXTURES,
        ])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap();
    (output.status.code().unwrap(), report)
}

#[test]
fn wazo_bus_traffic_conforms_to_the_wazo_profile_and_auto_says_so() {
    let (code, report) = validate("wazo");
    assert_eq!(code, 0, "{report:#}");
    let (code, report) = validate("auto");
    assert_eq!(code, 0, "{report:#}");
    let messages = report["reports"].as_array().unwrap();
    assert_eq!(messages.len(), fixtures().len());
    for message in messages {
        assert_eq!(message["profile"], "wazo", "{message:#}");
        assert!(!message["departures"].as_array().unwrap().is_empty());
    }
    // The document rejects every one of them: the body carries the headers.
    let (code, _) = validate("documented");
    assert_eq!(code, 1);
}

#[test]
fn auto_names_what_the_document_calls_a_renamed_event() {
    let report = contract::check_wazo_auto(&fixture("auth_tenant_added"));
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.profile, Some(Profile::Wazo));
    assert!(
        report.departures[0].contains(
            "name auth_tenant_added, the Wazo message bus document says auth_tenant_created"
        ),
        "{report}"
    );
    assert!(
        report.to_string().contains("matches Wazo 26.08"),
        "{report}"
    );
}

#[test]
fn documented_messages_match_the_document_under_auto() {
    let documented = json!({
        "routing_key": "calls.hold.created",
        "body": {"name": "call_held", "origin_uuid": "08c56466-8f29-45c7-9856-92bf1ba89b92",
                 "data": {"call_id": "1455117604.43"}}
    });
    let report = contract::check_wazo_auto(&documented);
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.profile, Some(Profile::Documented));
}

/// One departure per case: the fixture, a change, the path reported.
#[rstest]
#[case::header_not_in_body("call_created", &[("/body/timestamp", None)], "/body/timestamp")]
#[case::header_differs_from_body("call_created", &[("/headers/name", Some(json!("call_updated")))], "/headers/name")]
#[case::extra_header("call_created", &[("/headers/x-extra", Some(json!(1)))], "/headers/x-extra")]
#[case::required_access("call_created", &[("/body/required_access", Some(json!("event.call"))), ("/headers/required_access", Some(json!("event.call")))], "/body/required_access")]
#[case::acl_of_another_user("call_created", &[("/body/required_acl", Some(json!("events.calls.00000000-0000-4000-8000-000000000000"))), ("/headers/required_acl", Some(json!("events.calls.00000000-0000-4000-8000-000000000000")))], "/body/required_acl")]
#[case::routing_key("call_created", &[("/routing_key", Some(json!("calls.call.updated")))], "/routing_key")]
#[case::unescaped_fax_key("fax_outbound_succeeded", &[("/routing_key", Some(json!("faxes.outbound.1455117604.42.succeeded")))], "/routing_key")]
#[case::missing_model_key("call_created", &[("/body/data/parked", None)], "/body/data/parked")]
#[case::wrong_type("call_created", &[("/body/data/line_id", Some(json!("2")))], "/body/data/line_id")]
#[case::unknown_data_field("call_held", &[("/body/data/muted", Some(json!(false)))], "/body/data/muted")]
#[case::documented_only_field("conference_participant_joined", &[("/body/data/answered_time", Some(json!(3)))], "/body/data/answered_time")]
#[case::attribute_type("conference_participant_joined", &[("/body/conference_id", Some(json!("4001"))), ("/headers/conference_id", Some(json!("4001")))], "/body/conference_id")]
#[case::attribute_value("conference_participant_joined", &[("/body/conference_id", Some(json!(4002))), ("/headers/conference_id", Some(json!(4002)))], "/body/conference_id")]
#[case::tenant_event_without_everyone("user_created", &[("/body/user_uuid:*", None), ("/headers/user_uuid:*", None)], "/body")]
#[case::user_flag_not_true("call_created", &[("/body/user_uuid:68b884c3-515b-4acf-9034-c77896877acb", Some(json!(false))), ("/headers/user_uuid:68b884c3-515b-4acf-9034-c77896877acb", Some(json!(false)))], "/body/user_uuid:68b884c3-515b-4acf-9034-c77896877acb")]
#[case::service_event_with_tenant("service_registered", &[("/body/tenant_uuid", Some(json!("ffffffff-ffff-ffff-ffff-ffffffffffff"))), ("/headers/tenant_uuid", Some(json!("ffffffff-ffff-ffff-ffff-ffffffffffff")))], "/body")]
#[case::missing_tenant("call_created", &[("/body/tenant_uuid", None), ("/headers/tenant_uuid", None)], "/body/tenant_uuid")]
#[case::nested_field("user_voicemail_message_created", &[("/body/data/message/voicemail/accesstype", None)], "/body/data/message/voicemail/accesstype")]
#[case::ami_without_event("Hangup", &[("/body/data/Event", None)], "/body/data/Event")]
#[case::documented_name("auth_tenant_added", &[("/body/name", Some(json!("auth_tenant_created"))), ("/headers/name", Some(json!("auth_tenant_created")))], "/body/name")]
#[case::removed_event("call_held", &[("/body/name", Some(json!("call_form_result"))), ("/headers/name", Some(json!("call_form_result")))], "/body/name")]
fn each_departure_is_caught_with_its_path(
    #[case] event: &str,
    #[case] changes: &[(&str, Option<Value>)],
    #[case] path: &str,
) {
    let mut record = fixture(event);
    assert!(contract::check_wazo_as(&record, Profile::Wazo).is_ok());
    for (pointer, value) in changes {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let object = record.pointer_mut(parent).unwrap().as_object_mut().unwrap();
        match value {
            Some(value) => {
                object.insert(key.to_owned(), value.clone());
            }
            None => {
                object.remove(key);
            }
        }
    }
    let report = contract::check_wazo_as(&record, Profile::Wazo);
    assert!(
        report
            .violations
            .iter()
            .any(|violation| violation.path() == path),
        "expected a violation at {path}, got {report}"
    );
    if event == "call_held" && path == "/body/name" {
        assert!(
            matches!(report.violations[0], Violation::RemovedEvent { .. }),
            "{report}"
        );
    }
}
