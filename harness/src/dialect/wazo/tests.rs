use serde_json::Value;

use super::*;
use crate::scenario::Scenario;
use crate::sim::{SimOptions, simulate};

fn timeline(file: &str) -> Timeline {
    let path = format!("{}/scenarios/{file}", env!("CARGO_MANIFEST_DIR"));
    let scenario = Scenario::load(&path).unwrap();
    simulate(&scenario, &SimOptions::default()).unwrap()
}

fn body(rendered: &Rendered) -> Value {
    serde_json::from_slice(&rendered.message.body).unwrap()
}

fn names(rendered: &[Rendered]) -> Vec<&str> {
    rendered.iter().map(|r| r.message.name.as_str()).collect()
}

#[test]
fn an_inbound_call_is_published_for_the_user_channel_only() {
    let timeline = timeline("call_lifecycle.toml");
    let rendered = render_checked(&timeline, Profile::Documented).unwrap();
    assert_eq!(
        names(&rendered),
        [
            "call_created",
            "call_updated",
            "call_updated",
            "call_updated",
            "call_held",
            "call_resumed",
            "call_ended",
        ]
    );
    let alice = &timeline.directory.users["alice"];
    let statuses: Vec<Value> = rendered
        .iter()
        .filter(|r| r.message.name.starts_with("call_") && r.message.name != "call_held")
        .filter(|r| r.message.name != "call_resumed")
        .map(|r| body(r)["data"]["status"].clone())
        .collect();
    assert_eq!(statuses, ["Down", "Ringing", "Up", "Up", "Up"]);
    let created = body(&rendered[0]);
    assert_eq!(
        created["required_acl"],
        format!("events.calls.{}", alice.uuid)
    );
    assert_eq!(created["data"]["caller_id_number"], "+15145550123");
    let creation = created["data"]["creation_time"].as_str().unwrap();
    assert!(creation.ends_with("-0500"), "{creation}");
    assert_eq!(creation.len(), "2016-02-10T11:57:02.592-0500".len());
    let bridged = body(&rendered[3]);
    assert_eq!(bridged["data"]["bridges"].as_array().unwrap().len(), 1);
    let talking_to = bridged["data"]["talking_to"].as_object().unwrap();
    assert_eq!(talking_to.len(), 1);
    assert_eq!(talking_to.values().next(), Some(&Value::Null));
    let held = body(&rendered[4]);
    assert_eq!(held["data"]["call_id"], created["data"]["call_id"]);
}

#[test]
fn an_internal_call_ends_on_both_sides_with_each_users_acl() {
    let timeline = timeline("ami.toml");
    let rendered = render_checked(&timeline, Profile::Documented).unwrap();
    let ended: Vec<Value> = rendered
        .iter()
        .filter(|r| r.message.name == "call_ended")
        .map(body)
        .collect();
    assert_eq!(ended.len(), 2);
    let acls: Vec<&str> = ended
        .iter()
        .map(|b| b["required_acl"].as_str().unwrap())
        .collect();
    assert_ne!(acls[0], acls[1]);
    for body in &ended {
        let (peer_id, peer_uuid) = body["data"]["talking_to"]
            .as_object()
            .map(|t| t.iter().next().map(|(k, v)| (k.clone(), v.clone())))
            .unwrap_or_default()
            .unwrap_or_default();
        // The first to hang up still talks to the other; the second no longer does.
        if !peer_id.is_empty() {
            assert!(peer_uuid.is_string());
        }
    }
    // AMI events precede the wazo-calld event they cause.
    let first = names(&rendered)[..2].to_vec();
    assert_eq!(first, ["Newchannel", "call_created"]);
    assert!(names(&rendered).contains(&"BridgeEnter"));
    assert!(names(&rendered).contains(&"Hangup"));
}

#[test]
fn the_same_timeline_renders_byte_identical_messages() {
    let timeline = timeline("conference.toml");
    assert_eq!(
        render(&timeline, Profile::Documented).unwrap(),
        render(&timeline, Profile::Documented).unwrap()
    );
}

#[test]
fn every_shipped_scenario_renders_conforming_messages() {
    let dir = format!("{}/scenarios", env!("CARGO_MANIFEST_DIR"));
    let mut files = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "toml") {
            files += 1;
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            let timeline = timeline(&name);
            let rendered = render_checked(&timeline, Profile::Documented)
                .unwrap_or_else(|error| panic!("{name}: {error}"));
            // Scenarios of Phone.com-only events (messages) have nothing to say on Wazo's bus.
            let phonecom_only = timeline.events.iter().all(|timed| {
                matches!(
                    timed.event,
                    DomainEvent::TextMessage { .. }
                        | DomainEvent::CallLogAvailable { .. }
                        | DomainEvent::RecordingAvailable { .. }
                        | DomainEvent::ApiError { .. }
                )
            });
            assert!(!rendered.is_empty() || phonecom_only, "{name}");
            assert!(rendered.windows(2).all(|w| w[0].at <= w[1].at), "{name}");
            // Bodies are written without a JSON tree: they must be the exact
            // bytes serialising the same tree gives (key order included).
            for message in rendered.iter().map(|r| &r.message) {
                let tree: Value = serde_json::from_slice(&message.body).unwrap();
                let bytes = serde_json::to_vec(&tree).unwrap();
                assert!(bytes == message.body, "{name}: {}", message.name);
            }
        }
    }
    assert!(files >= 14);
}

#[test]
fn emit_overrides_the_example_and_refuses_what_the_type_does_not_allow() {
    let timeline = timeline("ami.toml");
    let rendered = render(&timeline, Profile::Documented).unwrap();
    let edited = rendered
        .iter()
        .find(|r| r.message.name == "user_edited")
        .unwrap();
    assert_eq!(body(edited)["data"]["id"], 7);
    assert_eq!(
        body(edited)["data"]["uuid"],
        "8e58d2a7-cfed-4c2e-ac72-14e0b5c26dc2"
    );

    let mut bad = timeline.clone();
    let last = bad.events.last_mut().unwrap();
    last.event = DomainEvent::Emit {
        event: "user_edited".into(),
        fields: serde_json::json!({"idd": 7}).as_object().unwrap().clone(),
    };
    let error = render(&bad, Profile::Documented).unwrap_err();
    assert!(matches!(error, RenderError::EmitData { .. }), "{error}");
    assert!(error.to_string().contains("user_edited"), "{error}");

    last_event(&mut bad, "call_exploded");
    let error = render(&bad, Profile::Documented).unwrap_err();
    assert!(error.to_string().contains("no such event"), "{error}");
    assert_eq!(error.step(), timeline.events.last().unwrap().step);
}

fn last_event(timeline: &mut Timeline, name: &str) {
    timeline.events.last_mut().unwrap().event = DomainEvent::Emit {
        event: name.into(),
        fields: serde_json::Map::new(),
    };
}

#[test]
fn an_unknown_plugin_status_is_named() {
    let mut timeline = timeline("plugins.toml");
    if let DomainEvent::PluginProgress { status, .. } = &mut timeline.events[0].event {
        *status = "exploding".into();
    }
    let error = render(&timeline, Profile::Documented).unwrap_err();
    assert_eq!(
        error.to_string(),
        "`plugin_install_progress` cannot carry status \"exploding\": expected starting, downloading, extracting, validating, \"installing dependencies\", building, packaging, updating, installing, cleaning, completed or error"
    );
}
