//! Every shipped scenario played with the wazo profile and watched through
//! the Wazo WebSocket with its first user's default token (`*`, version 2):
//! one snapshot per scenario of what that user sees, checked against the
//! AMQP recording of the same run (same bodies, same order, and every event
//! addressed to that user with an ACL the token grants is there).

#[path = "websocketd/client.rs"]
mod client;

use std::path::PathBuf;
use std::time::Duration;

use rstest::rstest;
use serde_json::{Value, json};
use switchboard::catalog::wazo::Profile;
use switchboard::harness::{self, Harness, HarnessOptions, PlayOptions};
use switchboard::provision::BrokerSpec;
use switchboard::scenario::Scenario;
use switchboard::sim::VirtualClock;
use switchboard::websocketd::acl::AccessCheck;
use switchboard::websocketd::{self, Options, scenario_tokens};

use client::{Client, Seen};

#[rstest]
#[tokio::test]
async fn what_the_first_user_sees(#[files("scenarios/*.toml")] path: PathBuf) {
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let scenario = Scenario::load(&path).unwrap();
    let options = PlayOptions {
        seed: None,
        clock: VirtualClock::default(),
        speed: 0.0,
        profile: Profile::Wazo,
    };
    let rendered = harness::render_scenario(&scenario, &options).unwrap();
    let tokens = scenario_tokens(&scenario, &rendered.directory, rendered.seed);
    let harness = Harness::start_with(
        BrokerSpec::Embedded,
        HarnessOptions {
            profile: Profile::Wazo,
            ..HarnessOptions::default()
        },
    )
    .await
    .unwrap();
    let server = websocketd::start(Options::for_scenario(
        harness.url().clone(),
        &rendered.directory,
        &tokens,
    ))
    .await
    .unwrap();
    // The first user's default token (users come first, by handle).
    let watcher = tokens
        .first()
        .filter(|named| rendered.directory.users.contains_key(&named.name))
        .cloned();
    let mut client = match &watcher {
        Some(named) => Some(Client::started(&server.url(), &named.token.id, &["*"]).await),
        None => None,
    };
    let report = harness.play_rendered(rendered, 0.0).await.unwrap();
    let recorded = harness
        .recorder()
        .wait_for(report.published, Duration::from_secs(10))
        .await
        .unwrap();
    let mut bodies: Vec<Value> = Vec::new();
    if let Some(client) = &mut client {
        while let Some(seen) = client.next_within(Duration::from_millis(500)).await {
            let Seen::Text(text) = seen else {
                panic!("{name}: {seen:?}")
            };
            let frame: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(frame["op"], json!("event"), "{name}");
            assert_eq!(frame["code"], json!(0), "{name}");
            bodies.push(frame["data"].clone());
        }
    }
    server.shutdown().await;
    harness.shutdown().await.unwrap();

    // Consistent with AMQP: the same bodies, in the recording's order…
    let amqp: Vec<&Value> = recorded
        .iter()
        .filter_map(|delivery| delivery.json())
        .collect();
    let mut position = 0;
    for body in &bodies {
        let found = amqp[position..]
            .iter()
            .position(|candidate| *candidate == body);
        let Some(offset) = found else {
            panic!("{name}: a WebSocket body is not in the AMQP recording (in order): {body}");
        };
        position += offset + 1;
    }
    // …and every event addressed to the user by name, with a granted ACL, is there.
    if let Some(named) = &watcher {
        let user = named.token.user_uuid.to_string();
        let access = AccessCheck::new(
            &user,
            &named.token.session_uuid.to_string(),
            &named.token.acl,
        );
        let flag = format!("user_uuid:{user}");
        let expected = recorded
            .iter()
            .filter(|delivery| {
                let headers = &delivery.properties.headers;
                headers.get(&flag) == Some(&json!(true))
                    && match headers.get("required_acl") {
                        Some(Value::Null) => true,
                        Some(Value::String(acl)) => access.matches(Some(acl)),
                        _ => false,
                    }
            })
            .count();
        let mine = bodies
            .iter()
            .filter(|body| body.get(&flag) == Some(&json!(true)))
            .count();
        assert_eq!(mine, expected, "{name}: events addressed to {}", named.name);
    }

    let frames: Vec<Value> = bodies
        .iter()
        .map(|body| json!({"name": body["name"], "required_acl": body["required_acl"], "data": body["data"]}))
        .collect();
    let seen = json!({
        "token": watcher.as_ref().map(|named| named.name.clone()),
        "published": report.published,
        "delivered": frames.len(),
        "frames": frames,
    });
    insta::with_settings!({
        snapshot_path => "../snapshots",
        prepend_module_to_snapshot => false,
        description => format!("scenarios/{name}.toml, seed {}, profile wazo: the Wazo WebSocket (v2, subscribed to *) with the first user's default token", report.seed),
        omit_expression => true,
    }, {
        insta::assert_json_snapshot!(format!("websocket_{name}"), seen);
    });
}
