//! Phone.com's published events held against switchboard: the checker
//! accepts them (but the one provable typo), and the shipped scenarios
//! render them field by field.
//!
//! The fixtures are `harness/src/catalog/phonecom/examples/published/`,
//! copied byte for byte from the public repository
//! phonedotcom/events-integration-doc, directory `events-examples/`
//! (`switchboard::catalog::phonecom::examples` names each file's source path).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use rstest::rstest;
use serde_json::Value;
use switchboard::catalog::phonecom::examples::{self, INBOUND_CALL_TO_DEVICE, TYPOS};
use switchboard::contract::check_phonecom;
use switchboard::dialect::phonecom::{self, PhonecomEvent, RenderOptions, Rendered};
use switchboard::scenario::Scenario;
use switchboard::sim::{self, SimOptions};
use switchboard::sink::webhook::{ListenerContext, Subscription};

/// The listener and account of Phone.com's examples.
const LISTENER_ID: u64 = 1000;
const ACCOUNT_ID: u64 = 1_000_002;

fn published_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("harness/src/catalog/phonecom/examples/published")
}

fn render(name: &str) -> Rendered {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.toml"));
    let scenario = Scenario::load(path).unwrap();
    let timeline = sim::simulate(&scenario, &SimOptions::default()).unwrap();
    phonecom::render(&timeline, &RenderOptions::default()).unwrap()
}

/// An event as the examples' listener (1000, account 1000002) receives it.
fn delivered(rendered: &Rendered, event: &PhonecomEvent) -> Value {
    let context = ListenerContext::AccountId(ACCOUNT_ID).context(rendered.account_id);
    event.envelope(LISTENER_ID, &context)
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[test]
fn every_published_example_conforms_but_the_provable_typo() {
    let all = examples::json_examples();
    assert_eq!(all.len(), 12);
    for (file, text) in all {
        let report = check_phonecom(&parse(text));
        let paths: Vec<&str> = report.violations.iter().map(|v| v.path()).collect();
        let expected: Vec<&str> = TYPOS
            .iter()
            .filter(|(typo, _)| *typo == file)
            .map(|(_, path)| *path)
            .collect();
        assert_eq!(paths, expected, "{file}: {report}");
    }
}

#[test]
fn switchboard_validate_accepts_eleven_files_and_reports_the_typo() {
    let bin = env!("CARGO_BIN_EXE_switchboard");
    for (file, _) in examples::json_examples() {
        let path = published_dir().join(file);
        let output = Command::new(bin)
            .arg("validate")
            .arg(&path)
            .output()
            .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        match TYPOS.iter().find(|(typo, _)| *typo == file) {
            None => assert_eq!(output.status.code(), Some(0), "{file}: {stdout}"),
            Some((_, pointer)) => {
                assert_eq!(output.status.code(), Some(1), "{file}: {stdout}");
                assert!(stdout.contains(pointer), "{file}: {stdout}");
            }
        }
    }
    // And the typo is in the errata, with its file name.
    let output = Command::new(bin)
        .args(["catalog", "errata", "--format", "json"])
        .output()
        .unwrap();
    let errata: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let typo = errata
        .iter()
        .find(|erratum| erratum["id"] == "phonecom-recording-example-object-uuid")
        .unwrap();
    assert!(
        typo["document_says"]
            .as_str()
            .unwrap()
            .contains("events-examples/recording.json"),
        "{typo}"
    );
}

/// Values switchboard generates (or the scenario declares) where the
/// examples have theirs: identifiers, numbers, instants. They need not be
/// equal, but they must correspond one to one across a whole sequence, so
/// that what is the same in the examples (the call's uuid in four places)
/// is the same in ours, and what differs differs.
const GENERATED: &[&str] = &[
    "/uuid",
    "/timestamp_ns",
    "/data_object_uuid",
    "/data/uuid",
    "/data/event_leg/uuid",
    "/data/first_leg/uuid",
    "/data/event_leg/to/id",
    "/data/first_leg/to/id",
    "/data/event_leg/to/extension_id",
];

/// A one-to-one correspondence between the examples' generated values and ours.
#[derive(Default)]
struct Correspondence {
    forward: BTreeMap<String, String>,
    backward: BTreeMap<String, String>,
}

impl Correspondence {
    fn pair(&mut self, theirs: &Value, ours: &Value) -> Result<(), String> {
        let (theirs, ours) = (theirs.to_string(), ours.to_string());
        let forward = self.forward.entry(theirs.clone()).or_insert(ours.clone());
        let backward = self.backward.entry(ours.clone()).or_insert(theirs.clone());
        if *forward == ours && *backward == theirs {
            Ok(())
        } else {
            Err(format!(
                "{theirs} corresponds to {forward} and {ours} to {backward}"
            ))
        }
    }
}

/// Every difference between an example and our event, by JSON path: keys,
/// types and values, generated values through `correspondence`. `timestamp`
/// (seconds) is checked against `timestamp_ns` instead.
fn differences(
    path: &str,
    theirs: &Value,
    ours: &Value,
    correspondence: &mut Correspondence,
    found: &mut Vec<String>,
) {
    if path == "/timestamp" {
        if !(theirs.is_u64() && ours.is_u64()) {
            found.push(format!("{path}: {theirs} and {ours} are not both seconds"));
        }
        return;
    }
    if GENERATED.contains(&path) {
        if std::mem::discriminant(theirs) != std::mem::discriminant(ours) {
            found.push(format!("{path}: {theirs} and {ours} are not of one type"));
        } else if let Err(error) = correspondence.pair(theirs, ours) {
            found.push(format!("{path}: {error}"));
        }
        return;
    }
    match (theirs, ours) {
        (Value::Object(theirs), Value::Object(ours)) => {
            let keys: std::collections::BTreeSet<&String> =
                theirs.keys().chain(ours.keys()).collect();
            for key in keys {
                let child = format!("{path}/{key}");
                match (theirs.get(key), ours.get(key)) {
                    (Some(theirs), Some(ours)) => {
                        differences(&child, theirs, ours, correspondence, found)
                    }
                    (Some(_), None) => found.push(format!("{child}: missing from ours")),
                    (None, Some(_)) => found.push(format!("{child}: not in the example")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(theirs), Value::Array(ours)) if theirs.len() == ours.len() => {
            for (index, (theirs, ours)) in theirs.iter().zip(ours).enumerate() {
                differences(
                    &format!("{path}/{index}"),
                    theirs,
                    ours,
                    correspondence,
                    found,
                );
            }
        }
        _ if theirs == ours => {}
        _ => found.push(format!("{path}: the example has {theirs}, ours {ours}")),
    }
}

fn timestamp_ns(event: &Value) -> i64 {
    event["timestamp_ns"].as_i64().unwrap()
}

#[test]
fn the_inbound_sequence_is_what_inbound_call_to_device_renders_field_by_field() {
    let rendered = render("inbound_call_to_device");
    assert_eq!(rendered.events.len(), INBOUND_CALL_TO_DEVICE.len());
    let mut correspondence = Correspondence::default();
    let mut ours_all = Vec::new();
    for ((file, text), event) in INBOUND_CALL_TO_DEVICE.iter().zip(&rendered.events) {
        let ours = delivered(&rendered, event);
        let mut found = Vec::new();
        differences("", &parse(text), &ours, &mut correspondence, &mut found);
        assert!(
            found.is_empty(),
            "{file}:\n{}\nours: {ours:#}",
            found.join("\n")
        );
        assert_eq!(
            ours["timestamp"].as_i64().unwrap(),
            timestamp_ns(&ours) / 1_000_000_000
        );
        ours_all.push(ours);
    }
    // Phone.com's spacing: the 2nd leg connecting 0.64 s after its new, the
    // 1st leg completed 40 ms after the 2nd; within a millisecond of the examples.
    let theirs_all: Vec<Value> = INBOUND_CALL_TO_DEVICE
        .iter()
        .map(|(_, text)| parse(text))
        .collect();
    for (earlier, later) in [(2, 3), (6, 7)] {
        let theirs = timestamp_ns(&theirs_all[later]) - timestamp_ns(&theirs_all[earlier]);
        let ours = timestamp_ns(&ours_all[later]) - timestamp_ns(&ours_all[earlier]);
        assert!(
            (theirs - ours).abs() < 1_000_000,
            "events {} → {}: the examples {theirs} ns apart, ours {ours} ns",
            earlier + 1,
            later + 1
        );
    }
}

/// `call-events-explanation.md`: a call that rings one device, then fails
/// over to another which answers.
#[test]
fn the_failover_order_list_is_what_call_failover_renders() {
    let documented: &[(usize, &str, Option<&str>)] = &[
        (1, "new", None),
        (1, "connecting", None),
        (2, "new", None),
        (2, "connecting", None),
        (2, "completed", Some("cancelled")),
        (3, "new", None),
        (3, "connecting", None),
        (3, "connected", None),
        (1, "connected", None),
        (3, "completed", Some("success")),
        (1, "completed", Some("success")),
    ];
    let rendered = render("call_failover");
    let mut legs: Vec<String> = Vec::new();
    let ours: Vec<(usize, String, Option<String>)> = rendered
        .events
        .iter()
        .map(|event| {
            let leg = &event.data["event_leg"];
            let uuid = leg["uuid"].as_str().unwrap().to_string();
            let ordinal = match legs.iter().position(|known| *known == uuid) {
                Some(position) => position + 1,
                None => {
                    legs.push(uuid);
                    legs.len()
                }
            };
            (
                ordinal,
                leg["state"].as_str().unwrap().to_string(),
                leg["completion_status"].as_str().map(str::to_string),
            )
        })
        .collect();
    let documented: Vec<(usize, String, Option<String>)> = documented
        .iter()
        .map(|(leg, state, status)| (*leg, state.to_string(), status.map(str::to_string)))
        .collect();
    assert_eq!(ours, documented);
    // "rings one device for 20 seconds": the scenario's failover step.
    let second_leg: Vec<&PhonecomEvent> = rendered
        .events
        .iter()
        .filter(|event| event.data["event_leg"]["uuid"] == legs[1].as_str())
        .collect();
    let rang_ns = second_leg[2].timestamp_ns - second_leg[0].timestamp_ns;
    assert_eq!(rang_ns, 20_000_000_000);
}

/// What a subscription gets of the inbound sequence: the counts the
/// examples' tags imply, and the same counts from our rendering.
#[rstest]
#[case("call", 8)]
#[case("call+inbound", 8)]
#[case("inbound", 8)]
#[case("call+from-did", 8)]
#[case("call+to-did", 4)]
#[case("call+to-extension", 4)]
#[case("call+from-extension", 0)]
#[case("call+outbound", 0)]
#[case("first-leg", 4)]
#[case("not-first-leg", 4)]
#[case("call+to-did+completed-call", 1)]
#[case("new-call+not-first-leg", 1)]
#[case("to-did+not-first-leg", 0)]
#[case("message", 0)]
fn subscriptions_get_of_the_inbound_sequence_what_phonecom_sends(
    #[case] subscription: &str,
    #[case] expected: usize,
) {
    let subscription: Subscription = subscription.parse().unwrap();
    let theirs = INBOUND_CALL_TO_DEVICE
        .iter()
        .filter(|(_, text)| {
            let tags: Vec<String> = serde_json::from_value(parse(text)["tags"].clone()).unwrap();
            subscription.matches(&tags)
        })
        .count();
    assert_eq!(theirs, expected, "the examples, {subscription}");
    let rendered = render("inbound_call_to_device");
    let ours = rendered
        .events
        .iter()
        .filter(|event| subscription.matches(&event.tags))
        .count();
    assert_eq!(ours, expected, "ours, {subscription}");
}

/// Compares one example with one of our events; `generated` lists the
/// paths whose values are ours to choose (compared by type only).
fn same_but(example: &Value, ours: &Value, generated: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    let mut correspondence = Correspondence::default();
    let mut theirs = example.clone();
    let mut ours = ours.clone();
    for path in generated {
        match (theirs.pointer_mut(path), ours.pointer_mut(path)) {
            (Some(theirs), Some(ours)) => {
                if std::mem::discriminant(theirs) != std::mem::discriminant(ours) {
                    found.push(format!("{path}: {theirs} and {ours} are not of one type"));
                }
                *theirs = Value::Null;
                *ours = Value::Null;
            }
            (theirs, ours) => found.push(format!("{path}: example {theirs:?}, ours {ours:?}")),
        }
    }
    differences("", &theirs, &ours, &mut correspondence, &mut found);
    found
}

const ENVELOPE_GENERATED: &[&str] = &["/uuid", "/timestamp_ns", "/data_object_uuid"];

#[test]
fn the_call_log_and_the_recording_are_what_call_log_and_recording_renders() {
    let rendered = render("call_log_and_recording");
    let of_type = |data_type: &str| {
        rendered
            .events
            .iter()
            .find(|event| event.data_type.as_str() == data_type)
            .map(|event| delivered(&rendered, event))
            .unwrap()
    };
    let call_log = of_type("call-log");
    let generated = [ENVELOPE_GENERATED, &["/data/uuid"]].concat();
    let found = same_but(&parse(examples::CALL_LOG), &call_log, &generated);
    assert!(found.is_empty(), "{}", found.join("\n"));
    // As in the example, the object is the call, named twice.
    assert_eq!(call_log["data_object_uuid"], call_log["data"]["uuid"]);

    let recording = of_type("recording");
    let generated = [
        ENVELOPE_GENERATED,
        &["/data/uuid", "/data/size", "/data/duration"],
    ]
    .concat();
    let found = same_but(&parse(examples::RECORDING), &recording, &generated);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_api_error_is_what_api_errors_renders() {
    let rendered = render("api_errors");
    let ours = delivered(&rendered, &rendered.events[0]);
    let example = parse(examples::API_ERROR);
    let generated = [ENVELOPE_GENERATED, &["/data/response/payload"]].concat();
    let found = same_but(&example, &ours, &generated);
    assert!(found.is_empty(), "{}", found.join("\n"));
    // The payload is the API's answer as indented text; only its time differs.
    let payload = |event: &Value| -> Value {
        let mut payload = parse(event["data"]["response"]["payload"].as_str().unwrap());
        payload["@error"]["@time"] = Value::Null;
        payload
    };
    assert_eq!(payload(&ours), payload(&example));
    assert_eq!(
        ours["data"]["response"]["payload"]
            .as_str()
            .unwrap()
            .lines()
            .count(),
        example["data"]["response"]["payload"]
            .as_str()
            .unwrap()
            .lines()
            .count()
    );
    // A 401 is not trusted; api-error events reach account listeners only.
    let unauthorised = &rendered.events[2];
    assert_eq!(unauthorised.tags, ["api-error"]);
    let extension = ListenerContext::Extension(555_555);
    assert!(!rendered.events.iter().any(|event| extension.sees(event)));
}

#[test]
fn the_message_is_what_messages_renders_but_its_tag_slip() {
    let rendered = render("messages");
    // The MMS to the account's main number: an image, no extension owning the inbox.
    let ours = delivered(&rendered, rendered.events.last().unwrap());
    let mut example = parse(examples::MESSAGE);
    // Erratum phonecom-message-example-tags: the example's MMS is tagged sms-message.
    example["tags"][2] = "mms-message".into();
    let generated = [
        ENVELOPE_GENERATED,
        &[
            "/listener_id",
            "/data/uuid",
            "/data/inbox/id",
            "/data/inbox/did",
            "/data/to/0/id",
            "/data/media/0/url",
            "/data/media/0/thumbnail",
        ],
    ]
    .concat();
    let found = same_but(&example, &ours, &generated);
    assert!(found.is_empty(), "{}\nours: {ours:#}", found.join("\n"));
    // The inbox's number is the one it was sent to, and the thumbnail sits
    // beside the image.
    assert_eq!(ours["data"]["inbox"]["did"], ours["data"]["to"][0]["id"]);
    let url = ours["data"]["media"][0]["url"].as_str().unwrap();
    assert_eq!(
        ours["data"]["media"][0]["thumbnail"],
        url.replace("my-file.jpg", "my-file_thumbnail.jpg")
    );
    // A listener of an extension's context does not see it.
    let alice = ListenerContext::Extension(
        rendered.events[0].data["inbox"]["extension_id"]
            .as_u64()
            .unwrap(),
    );
    assert!(!alice.sees(rendered.events.last().unwrap()));
    assert!(alice.sees(&rendered.events[0]));
}
