use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};

use super::*;
use crate::load::{InstanceSource, Mix};
use crate::scenario::{Scenario, SourceFile};
use crate::sink::headers::to_json;

/// Around the default anchor (2026-01-15), where shipped renderings fall.
const WINDOW: Range<i64> = 1_768_000_000..1_769_000_000;

fn kinds(text: &str) -> Vec<(&str, Kind)> {
    scan(text.as_bytes(), WINDOW)
        .into_iter()
        .map(|token| (&text[token.range], token.kind))
        .collect()
}

#[test]
fn scanning_finds_each_kind_of_token() {
    let found = kinds(
        r#"{"call_id":"1768467600.61","u":"events.calls.5fef9879-e89d-41bf-8993-79cca355c0a1","t":"2026-01-15T04:00:00.500-0500","left":1768467601,"channel":"PJSIP/m3ylhs-0000003d"}"#,
    );
    let texts: Vec<&str> = found.iter().map(|(text, _)| *text).collect();
    assert_eq!(
        texts,
        [
            "1768467600.61",
            "5fef9879-e89d-41bf-8993-79cca355c0a1",
            "2026-01-15T04:00:00.500-0500",
            "1768467601",
            "0000003d"
        ]
    );
    assert_eq!(
        found[0].1,
        Kind::ChannelId {
            seconds: 1_768_467_600,
            sequence: 61
        }
    );
    assert_eq!(found[3].1, Kind::UnixSeconds(1_768_467_601));
    assert_eq!(found[4].1, Kind::HexSuffix(0x3d));
}

#[test]
fn scanning_leaves_numbers_and_words_that_only_resemble_tokens() {
    // A phone number, a time outside the window, digits inside words, a
    // longer number, an id with a second dot, a uuid inside a longer word.
    for text in [
        "+15145550123",
        "5145550123",
        "1999999999",
        "abc1768467600",
        "17684676001",
        "1768467600.61.2",
        "x5fef9879-e89d-41bf-8993-79cca355c0a1",
        "5fef9879-e89d-41bf-8993-79cca355c0a1f",
        "2026-01-15T04:00:00.500",
    ] {
        assert_eq!(kinds(text), [], "{text}");
    }
    // Inside a context name the uuid is found whole, not as a suffix.
    assert_eq!(
        kinds("ctx-acme-internal-3e1b5e80-089b-47df-ace2-2ba9c81e3243"),
        [("3e1b5e80-089b-47df-ace2-2ba9c81e3243", Kind::Uuid)]
    );
}

fn scenarios_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
}

fn source_of(mix: &str) -> InstanceSource {
    let mix: Mix = mix.parse().unwrap();
    InstanceSource::new(mix.load(scenarios_dir()).unwrap(), 11).unwrap()
}

/// A message of an instance as the contract checker reads a recorded one.
fn record(message: &LoadMessage) -> Value {
    json!({
        "routing_key": message.routing_key,
        "headers": to_json(&message.headers),
        "body": serde_json::from_slice::<Value>(&message.body).unwrap(),
    })
}

/// Every key path of a JSON value with the type found there.
fn shape(value: &Value, path: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                // Channel ids as keys (`talking_to`) differ by nature.
                // Channel ids as keys (`talking_to`) and uuids in header
                // names (`user_uuid:…`) differ by nature.
                let key = if key.contains('.') {
                    "<id>"
                } else if let Some((name, _)) = key.split_once(':') {
                    name
                } else {
                    key
                };
                shape(field, &format!("{path}/{key}"), out);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| shape(item, &format!("{path}[]"), out)),
        other => {
            out.insert(format!("{path}: {}", json_kind(other)));
        }
    }
}

fn tokens_of(text: &str) -> BTreeSet<String> {
    let window = 0..i64::MAX;
    scan(text.as_bytes(), window)
        .into_iter()
        .map(|token| text[token.range].to_owned())
        .collect()
}

#[test]
fn every_shipped_scenario_gives_conforming_distinct_instances() {
    let mut checked = 0;
    for entry in std::fs::read_dir(scenarios_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let mut source = source_of(&format!("{name}=1"));
        let now = OffsetDateTime::now_utc();
        let first = source.instance(0, now).unwrap();
        let second = source.instance(1, now).unwrap();
        assert_eq!(first.messages.len(), second.messages.len(), "{name}");
        let mut first_tokens = BTreeSet::new();
        let mut second_tokens = BTreeSet::new();
        for (a, b) in first.messages.iter().zip(&second.messages) {
            let (a_record, b_record) = (record(&a.message), record(&b.message));
            for record in [&a_record, &b_record] {
                let report = crate::contract::check_wazo(record);
                assert!(report.is_ok(), "{name}: {report}\n{record:#}");
            }
            let (mut a_shape, mut b_shape) = (BTreeSet::new(), BTreeSet::new());
            shape(&a_record, "", &mut a_shape);
            shape(&b_record, "", &mut b_shape);
            assert_eq!(a_shape, b_shape, "{name}");
            assert_eq!(a.offset, b.offset);
            first_tokens.extend(tokens_of(&String::from_utf8_lossy(&a.message.body)));
            second_tokens.extend(tokens_of(&String::from_utf8_lossy(&b.message.body)));
        }
        // Ids and uuids are the instance's own (times may coincide), except
        // what the scenario fixes: what two plain simulations share.
        let fixed = {
            let scenario = Scenario::load(&path).unwrap();
            let body_tokens = |seed| {
                let options = crate::sim::SimOptions {
                    seed: Some(seed),
                    ..Default::default()
                };
                let timeline = crate::sim::simulate(&scenario, &options).unwrap();
                crate::dialect::wazo::render(&timeline, crate::catalog::wazo::Profile::Documented)
                    .unwrap()
                    .iter()
                    .flat_map(|rendered| {
                        tokens_of(&String::from_utf8_lossy(&rendered.message.body))
                    })
                    .collect::<BTreeSet<String>>()
            };
            &body_tokens(1) & &body_tokens(2)
        };
        let shared: Vec<&String> = first_tokens
            .intersection(&second_tokens)
            .filter(|token| !token.contains('T') && token.len() != 10 && !fixed.contains(*token))
            .collect();
        assert!(shared.is_empty(), "{name}: instances share {shared:?}");
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} scenarios");
}

#[test]
fn instances_match_a_simulation_at_their_own_arrival() {
    let mut source = source_of("call_lifecycle=1");
    let arrival = time::macros::datetime!(2026-12-02 15:00:00.250 UTC);
    let instance = source.instance(0, arrival).unwrap();
    let body: Value = serde_json::from_slice(&instance.messages[0].message.body).unwrap();
    let scenario = Scenario::load(scenarios_dir().join("call_lifecycle.toml")).unwrap();
    let options = crate::sim::SimOptions {
        clock: crate::sim::VirtualClock::anchored_at(arrival),
        seed: None,
    };
    let simulated = crate::dialect::wazo::render(
        &crate::sim::simulate(&scenario, &options).unwrap(),
        crate::catalog::wazo::Profile::Documented,
    )
    .unwrap();
    let expected: Value = serde_json::from_slice(&simulated[0].message.body).unwrap();
    assert_eq!(
        body["data"]["creation_time"],
        expected["data"]["creation_time"]
    );
    let call_id = body["data"]["call_id"].as_str().unwrap();
    let seconds = |id: &str| id.split_once('.').unwrap().0.to_owned();
    assert_eq!(
        seconds(call_id),
        seconds(expected["data"]["call_id"].as_str().unwrap())
    );
    assert_eq!(instance.messages.len(), simulated.len());
    for (planned, rendered) in instance.messages.iter().zip(&simulated) {
        assert_eq!(arrival + planned.offset, rendered.at);
        assert_eq!(planned.message.routing_key, rendered.message.routing_key);
    }
    // The callee's channel, later in the same instance, keeps its own id and
    // talks to the caller's (one consistent call).
    let answered = instance
        .messages
        .iter()
        .map(|planned| serde_json::from_slice::<Value>(&planned.message.body).unwrap())
        .find(|body| body["data"]["status"] == "Up")
        .unwrap();
    assert_eq!(answered["data"]["call_id"], call_id);
    let acl = instance.messages[0].message.headers.clone();
    let headers = to_json(&acl);
    assert_eq!(
        headers["required_acl"],
        format!(
            "events.calls.{}",
            body["data"]["user_uuid"].as_str().unwrap()
        )
    );
    assert_eq!(headers["origin_uuid"], body["origin_uuid"]);
}

#[test]
fn what_the_scenario_fixes_stays_as_written() {
    let text = r#"
name = "fixed"
[users.alice]
name = "Alice Martin"
uuid = "0a0a0a0a-1111-4222-8333-444444444444"
[externals.bob]
number = "+15145550123"
[[steps]]
at = "0s"
action = "call.start"
call = "c1"
from = "bob"
to = "alice"
[[steps]]
at = "+1s"
action = "call.ring"
call = "c1"
[[steps]]
at = "+1s"
action = "call.answer"
call = "c1"
[[steps]]
at = "+1s"
action = "call.hangup"
call = "c1"
cause = "answered"
"#;
    let scenario = Scenario::parse(&SourceFile::new("fixed.toml", text)).unwrap();
    let mut source = InstanceSource::new(vec![(scenario, 1)], 5).unwrap();
    let now = OffsetDateTime::now_utc();
    for index in 0..3 {
        let instance = source.instance(index, now).unwrap();
        let body: Value = serde_json::from_slice(&instance.messages[0].message.body).unwrap();
        assert_eq!(
            body["data"]["user_uuid"],
            "0a0a0a0a-1111-4222-8333-444444444444"
        );
        assert_eq!(body["data"]["caller_id_number"], "+15145550123");
    }
}

#[test]
fn call_ids_never_repeat_within_a_run() {
    let mut source = source_of("call_lifecycle=70,conference=20,fax_success=5,fax_failure=5");
    let now = OffsetDateTime::now_utc();
    let mut seen = std::collections::HashMap::new();
    for index in 0..2_000 {
        let instance = source.instance(index, now).unwrap();
        let mut own = BTreeSet::new();
        for planned in &instance.messages {
            let body: Value = serde_json::from_slice(&planned.message.body).unwrap();
            if let Some(id) = body["data"]["call_id"].as_str() {
                own.insert(id.to_owned());
            }
        }
        for id in own {
            if let Some(other) = seen.insert(id.clone(), index) {
                panic!("call id {id} in instances {other} and {index}");
            }
        }
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
