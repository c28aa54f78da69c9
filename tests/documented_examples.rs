//! The Wazo rendering against the document itself:
//! - for each documented example, the message a shipped scenario renders for
//!   the matching action has the example's exact shape: the same keys at every
//!   level, the same JSON types, the same envelope fields;
//! - every event of the catalog is published by at least one shipped scenario.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use rstest::rstest;
use serde_json::Value;
use switchboard::catalog::wazo::{self, ami};
use switchboard::dialect::wazo::render_checked;
use switchboard::scenario::Scenario;
use switchboard::sim::{SimOptions, simulate};

/// Every message the shipped scenarios render, by event name, in the order
/// of the scenario files (sorted) and of their steps.
fn rendered() -> &'static BTreeMap<String, Vec<Value>> {
    static RENDERED: OnceLock<BTreeMap<String, Vec<Value>>> = OnceLock::new();
    RENDERED.get_or_init(|| {
        let mut files: Vec<_> =
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
                .collect();
        files.sort();
        let mut by_name: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for file in files {
            let scenario = Scenario::load(&file).unwrap();
            let timeline = simulate(&scenario, &SimOptions::default()).unwrap();
            for rendered in render_checked(&timeline, wazo::Profile::Documented).unwrap() {
                let body: Value = serde_json::from_slice(&rendered.message.body).unwrap();
                by_name.entry(rendered.message.name).or_default().push(body);
            }
        }
        by_name
    })
}

/// The examples, by event name (AMI's under its own name, `QueueMemberStatus`).
fn examples() -> BTreeMap<String, (Value, bool)> {
    let mut examples = BTreeMap::new();
    for entry in wazo::entries() {
        if let Some(example) = entry.example() {
            let has_acl = entry.spec.required_acl.is_some();
            examples.insert(entry.name().to_owned(), (example.unwrap(), has_acl));
        }
    }
    let ami: Value = serde_json::from_str(ami::SPEC.example.unwrap()).unwrap();
    examples.insert(ami["name"].as_str().unwrap().to_owned(), (ami, false));
    examples
}

/// Where `found` departs from the shape of `expected`, as JSON pointers.
fn shape_differences(expected: &Value, found: &Value, path: &str, out: &mut Vec<String>) {
    match (expected, found) {
        (Value::Object(expected), Value::Object(found)) => {
            let want: BTreeSet<&String> = expected.keys().collect();
            let have: BTreeSet<&String> = found.keys().collect();
            for key in want.difference(&have) {
                out.push(format!("{path}/{key}: missing"));
            }
            for key in have.difference(&want) {
                out.push(format!("{path}/{key}: not in the example"));
            }
            for key in want.intersection(&have) {
                shape_differences(&expected[*key], &found[*key], &format!("{path}/{key}"), out);
            }
        }
        (Value::Array(expected), Value::Array(found)) => {
            // Elements have one shape: compare the first of each, when both have one.
            if let (Some(expected), Some(found)) = (expected.first(), found.first()) {
                shape_differences(expected, found, &format!("{path}/0"), out);
            }
        }
        (expected, found) if kind(expected) != kind(found) => out.push(format!(
            "{path}: {} in the example, {} rendered",
            kind(expected),
            kind(found)
        )),
        _ => {}
    }
}

/// Whether the top-level fields of two `data` objects are null in the same places.
fn same_nulls(expected: &Value, found: &Value) -> bool {
    let Some(expected) = expected.as_object() else {
        return true;
    };
    expected
        .iter()
        .all(|(key, value)| value.is_null() == found.get(key).is_some_and(Value::is_null))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(number) if number.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[rstest]
#[case::queue_member_status("QueueMemberStatus")]
#[case::agent_status_update("agent_status_update")]
#[case::auth_tenant_created("auth_tenant_created")]
#[case::auth_tenant_deleted("auth_tenant_deleted")]
#[case::auth_tenant_updated("auth_tenant_updated")]
#[case::auth_user_external_auth_added("auth_user_external_auth_added")]
#[case::auth_user_external_auth_authorized("auth_user_external_auth_authorized")]
#[case::auth_user_external_auth_deleted("auth_user_external_auth_deleted")]
#[case::call_created("call_created")]
#[case::call_form_result("call_form_result")]
#[case::call_held("call_held")]
#[case::call_resumed("call_resumed")]
#[case::conference_participant_joined("conference_participant_joined")]
#[case::conference_participant_muted("conference_participant_muted")]
#[case::conference_participant_talk_started("conference_participant_talk_started")]
#[case::conference_record_started("conference_record_started")]
#[case::favorite_added("favorite_added")]
#[case::favorite_deleted("favorite_deleted")]
#[case::fax_outbound_created("fax_outbound_created")]
#[case::fax_outbound_failed("fax_outbound_failed")]
#[case::fax_outbound_succeeded("fax_outbound_succeeded")]
#[case::plugin_install_progress("plugin_install_progress")]
#[case::plugin_uninstall_progress("plugin_uninstall_progress")]
#[case::relocate_completed("relocate_completed")]
#[case::service_deregistered_event("service_deregistered_event")]
#[case::service_registered_event("service_registered_event")]
#[case::user_created("user_created")]
#[case::user_deleted("user_deleted")]
#[case::user_edited("user_edited")]
#[case::user_voicemail_message_created("user_voicemail_message_created")]
#[case::users_forwards_busy_updated("users_forwards_busy_updated")]
#[case::users_services_dnd_updated("users_services_dnd_updated")]
fn rendered_event_has_the_documented_example_shape(#[case] name: &str) {
    let (mut example, has_acl) = examples().remove(name).expect("a documented example");
    let candidates = rendered()
        .get(name)
        .unwrap_or_else(|| panic!("no shipped scenario publishes {name}"));
    // The matching action: where the example shows a nullable field set (a
    // fax sent by a user), the message of such an action, not of its
    // user-less variant; the first message of the event otherwise.
    let found = candidates
        .iter()
        .find(|body| same_nulls(&example["data"], &body["data"]))
        .unwrap_or(&candidates[0]);
    // Erratum `acl-absent-from-examples`: some examples omit the documented
    // required_acl; the messages we build always carry it.
    if has_acl && example.get("required_acl").is_none() {
        example["required_acl"] = found["required_acl"].clone();
        assert!(found["required_acl"].is_string(), "{name}: {found}");
    }
    let mut differences = Vec::new();
    shape_differences(&example, found, "", &mut differences);
    assert!(
        differences.is_empty(),
        "{name} departs from its documented example:\n  {}\nrendered: {found}",
        differences.join("\n  ")
    );
}

#[test]
fn every_documented_example_has_a_case_above() {
    let source = include_str!("documented_examples.rs");
    for name in examples().keys() {
        assert!(
            source.contains(&format!("(\"{name}\")]")),
            "add a case for the documented example of {name}"
        );
    }
}

#[test]
fn every_catalog_event_is_published_by_a_shipped_scenario() {
    let missing: Vec<&str> = wazo::entries()
        .iter()
        .map(|entry| entry.name())
        .filter(|name| !rendered().contains_key(*name))
        .collect();
    assert!(
        missing.is_empty(),
        "no shipped scenario publishes: {}",
        missing.join(", ")
    );
    assert!(
        rendered().keys().any(|name| ami::is_ami_event_name(name)),
        "no shipped scenario publishes an AMI event"
    );
}
