//! The Phone.com v2 dialect, rendered from the shipped scenarios: the exact
//! inbound-call-to-device sequence, the documentation's example shape, and
//! every event checked against the contract.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use switchboard::catalog::phonecom::{
    CALL_EXAMPLE, Call, CompletionStatus, Context, ContextType, LegState,
};
use switchboard::contract::check_phonecom;
use switchboard::dialect::phonecom::{self, RenderOptions, Rendered};
use switchboard::scenario::Scenario;
use switchboard::sim::{self, DEFAULT_ANCHOR, SimOptions};

fn scenario_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.toml"))
}

fn render(name: &str) -> Rendered {
    let scenario = Scenario::load(scenario_path(name)).unwrap();
    let timeline = sim::simulate(&scenario, &SimOptions::default()).unwrap();
    phonecom::render(&timeline, &RenderOptions::default()).unwrap()
}

fn account_context(rendered: &Rendered) -> Context {
    Context {
        kind: ContextType::Account,
        id: rendered.account_id,
        voip_id: rendered.account_id,
    }
}

#[test]
fn an_inbound_call_to_a_device_is_exactly_the_eight_documented_events() {
    let rendered = render("inbound_call_to_device");
    let calls: Vec<Call> = rendered
        .events
        .iter()
        .map(|event| serde_json::from_value(event.data.clone()).unwrap())
        .collect();
    let steps: Vec<(bool, LegState, Option<CompletionStatus>, bool)> = calls
        .iter()
        .map(|call| {
            let leg = &call.event_leg;
            (
                leg.is_first,
                leg.state.unwrap(),
                leg.completion_status,
                call.first_leg.is_none(),
            )
        })
        .collect();
    use CompletionStatus::Success;
    use LegState::*;
    assert_eq!(
        steps,
        [
            (true, New, None, true),
            (true, Connecting, None, true),
            (false, New, None, false),
            (false, Connecting, None, false),
            (false, Connected, None, false),
            (true, Connected, None, true),
            (false, Completed, Some(Success), false),
            (true, Completed, Some(Success), true),
        ]
    );

    let tags: Vec<Vec<&str>> = rendered
        .events
        .iter()
        .map(|event| event.tags.iter().map(String::as_str).collect())
        .collect();
    // from-*/to-* describe the event's leg: the 1st is did -> did, the 2nd did -> device.
    let first = |state| vec!["call", state, "first-leg", "inbound", "from-did", "to-did"];
    let second = |state| {
        vec![
            "call",
            state,
            "not-first-leg",
            "inbound",
            "from-did",
            "to-extension",
        ]
    };
    assert_eq!(
        tags,
        [
            first("new-call"),
            first("connecting-call"),
            second("new-call"),
            second("connecting-call"),
            second("connected-call"),
            first("connected-call"),
            second("completed-call"),
            first("completed-call"),
        ]
    );

    // The legs: did -> did first, then did -> the user's device.
    let first = &calls[0].event_leg;
    let second = &calls[2].event_leg;
    let call_uuid = rendered.events[0].data_object_uuid;
    assert_eq!(first.uuid, call_uuid.to_string());
    assert_ne!(second.uuid, first.uuid);
    let json = |value| serde_json::to_value(value).unwrap();
    assert_eq!(
        json(&first.from),
        serde_json::json!({"type": "did", "id": "+15550000001"})
    );
    assert_eq!(json(&first.to)["type"], "did");
    let device = json(&second.to);
    assert_eq!(device["type"], "device");
    assert_eq!(device["extension_id"], 555555);
    assert_eq!(device["extension"], 500);
    assert_eq!(device["line"], 1);
    assert_eq!(device["domain"], "sip.phone.com");
    // The first leg an event about the 2nd carries is a copy without state,
    // as in every event Phone.com publishes.
    for call in &calls[2..5] {
        let first_leg = call.first_leg.as_ref().unwrap();
        assert_eq!((first_leg.state, first_leg.completion_status), (None, None));
        assert_eq!(first_leg.uuid, first.uuid);
        assert_eq!(first_leg.to, first.to);
    }

    // One call, one uuid per event, times from the virtual clock.
    let uuids: BTreeSet<_> = rendered.events.iter().map(|event| event.uuid).collect();
    assert_eq!(uuids.len(), 8);
    assert!(
        rendered
            .events
            .iter()
            .all(|event| event.data_object_uuid == call_uuid)
    );
    let anchor = u64::try_from(DEFAULT_ANCHOR.unix_timestamp_nanos()).unwrap();
    let offsets_ms: Vec<u64> = rendered
        .events
        .iter()
        .map(|event| (event.timestamp_ns - anchor) / 1_000_000)
        .collect();
    // The scenario's steps at 0, +400 ms, +5 s and +1 m 12 s; the 2nd leg
    // connecting 640 ms after its new and the 1st leg completed 40 ms after
    // the 2nd, as Phone.com spaces them.
    assert_eq!(offsets_ms, [0, 0, 400, 1_040, 5_400, 5_400, 77_400, 77_440]);
}

/// Every object key path in a JSON document (`/data/event_leg/to/line`).
fn key_paths(value: &Value, prefix: &str, paths: &mut BTreeSet<String>) {
    if let Value::Object(object) = value {
        for (key, child) in object {
            let path = format!("{prefix}/{key}");
            key_paths(child, &path, paths);
            paths.insert(path);
        }
    }
}

#[test]
fn the_documented_example_has_the_shape_of_what_we_render() {
    let example: Value = serde_json::from_str(CALL_EXAMPLE).unwrap();
    // The example is a ring group member's leg that completed unanswered.
    let rendered = render("call_failover");
    let event = rendered
        .events
        .iter()
        .find(|event| {
            event.tags.iter().any(|tag| tag == "completed-call")
                && event.data["event_leg"]["completion_status"] == "cancelled"
        })
        .expect("the failover renders a cancelled leg");
    let ours = event.envelope(1000, &account_context(&rendered));
    let (mut documented, mut rendered_paths) = (BTreeSet::new(), BTreeSet::new());
    key_paths(&example, "", &mut documented);
    key_paths(&ours, "", &mut rendered_paths);
    assert_eq!(rendered_paths, documented);
    assert_eq!(ours["tags"], example["tags"]);
    for path in [
        "/data/event_leg/to",
        "/data/first_leg/to",
        "/data/event_leg/from",
    ] {
        assert_eq!(
            ours.pointer(path).unwrap()["type"],
            example.pointer(path).unwrap()["type"],
            "{path}"
        );
    }
}

#[test]
fn every_shipped_scenario_renders_events_that_keep_the_contract() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut rendered_any = BTreeSet::new();
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|extension| extension != "toml") {
            continue;
        }
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        let rendered = render(&name);
        let context = account_context(&rendered);
        for event in &rendered.events {
            let envelope = event.envelope(1, &context);
            let report = check_phonecom(&envelope);
            assert!(
                report.is_ok(),
                "{name}: {envelope:#}\n{:?}",
                report.violations
            );
        }
        if !rendered.events.is_empty() {
            rendered_any.insert(name);
        }
    }
    for name in [
        "inbound_call_to_device",
        "call_failover",
        "call_busy",
        "call_outbound",
        "messages",
        "call_log_and_recording",
        "ring_group",
        "api_errors",
    ] {
        assert!(rendered_any.contains(name), "{name} rendered nothing");
    }
}

#[test]
fn busy_and_failed_calls_complete_their_legs_so() {
    let rendered = render("call_busy");
    let completions: Vec<(bool, String)> = rendered
        .events
        .iter()
        .filter(|event| event.tags.iter().any(|tag| tag == "completed-call"))
        .map(|event| {
            let leg = &event.data["event_leg"];
            (
                leg["is_first"].as_bool().unwrap(),
                leg["completion_status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        completions,
        [
            (false, "busy".to_string()),
            (true, "busy".to_string()),
            (true, "failed".to_string()),
        ]
    );
}

#[test]
fn messages_call_logs_and_recordings_carry_their_tags() {
    let messages = render("messages");
    let tags: Vec<Vec<&str>> = messages
        .events
        .iter()
        .map(|event| event.tags.iter().map(String::as_str).collect())
        .collect();
    assert_eq!(
        tags,
        [
            vec![
                "message",
                "*ms-message",
                "sms-message",
                "received-message",
                "inbound"
            ],
            vec![
                "message",
                "*ms-message",
                "sms-message",
                "sent-message",
                "outbound"
            ],
            vec![
                "message",
                "*ms-message",
                "mms-message",
                "received-message",
                "inbound"
            ],
            vec![
                "message",
                "*ms-message",
                "mms-message",
                "sent-message",
                "outbound"
            ],
            vec![
                "message",
                "*ms-message",
                "mms-message",
                "received-message",
                "inbound"
            ],
        ]
    );
    let mms = &messages.events[3].data;
    assert_eq!(mms["media"].as_array().unwrap().len(), 2);
    assert_eq!(
        mms["media"][1]["thumbnail"],
        "https://files.example.com/chart-thumb.png"
    );
    // A generated image URL comes with a thumbnail beside it, as in
    // Phone.com's message.json; a PDF has none; an SMS has no attachment.
    let photo = &messages.events[2].data["media"][0];
    let url = photo["url"].as_str().unwrap();
    let thumbnail = photo["thumbnail"].as_str().unwrap();
    assert_eq!(
        thumbnail,
        url.replace("whiteboard.jpg", "whiteboard_thumbnail.jpg")
    );
    assert!(mms["media"][0].get("thumbnail").is_none());
    assert_eq!(messages.events[0].data["media"], serde_json::json!([]));

    let records = render("call_log_and_recording");
    let last_two: Vec<(&str, Vec<&str>)> = records.events[records.events.len() - 2..]
        .iter()
        .map(|event| {
            (
                event.data_type.as_str(),
                event.tags.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        last_two,
        [
            ("call-log", vec!["call-log"]),
            ("recording", vec!["recording", "call-recording"]),
        ]
    );
    let call_uuid = records.events[0].data_object_uuid;
    assert_eq!(
        records.events[records.events.len() - 2].data_object_uuid,
        call_uuid
    );
}

#[test]
fn one_scenario_renders_in_both_dialects() {
    let scenario = Scenario::load(scenario_path("call_failover")).unwrap();
    let timeline = sim::simulate(&scenario, &SimOptions::default()).unwrap();
    let wazo = switchboard::dialect::wazo::render_checked(
        &timeline,
        switchboard::catalog::wazo::Profile::Documented,
    )
    .unwrap();
    let phonecom = phonecom::render(&timeline, &RenderOptions::default()).unwrap();
    let wazo_names: BTreeSet<&str> = wazo
        .iter()
        .map(|rendered| rendered.message.name.as_str())
        .collect();
    assert!(wazo_names.contains("call_ended"), "{wazo_names:?}");
    // The unanswered member's channel ends on both: a cancelled leg here.
    let cancelled = phonecom
        .events
        .iter()
        .filter(|event| event.data["event_leg"]["completion_status"] == "cancelled")
        .count();
    assert_eq!(cancelled, 1);
}

#[test]
fn a_ring_group_rings_every_member_and_cancels_those_who_did_not_answer() {
    let rendered = render("ring_group");
    let legs: Vec<(String, String, Option<String>)> = rendered
        .events
        .iter()
        .map(|event| {
            let leg = &event.data["event_leg"];
            (
                leg["to"]["extension"].to_string(),
                leg["state"].as_str().unwrap().to_string(),
                leg["completion_status"].as_str().map(str::to_string),
            )
        })
        .collect();
    let leg = |extension: &str, state: &str, status: Option<&str>| {
        (
            extension.to_string(),
            state.to_string(),
            status.map(str::to_string),
        )
    };
    // The first leg reaches the account's number; member legs their devices.
    assert_eq!(
        legs,
        [
            leg("null", "new", None),
            leg("null", "connecting", None),
            leg("500", "new", None),
            leg("500", "connecting", None),
            leg("501", "new", None),
            leg("501", "connecting", None),
            leg("502", "new", None),
            leg("502", "connecting", None),
            leg("501", "connected", None),
            leg("null", "connected", None),
            leg("500", "completed", Some("cancelled")),
            leg("502", "completed", Some("cancelled")),
            leg("null", "completed", Some("success")),
            leg("501", "completed", Some("success")),
        ]
    );
}
