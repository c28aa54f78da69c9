//! `switchboard websocketd` end to end: it prints its URL, serves the
//! tokens given with `--token` over the broker given with `--broker`, logs
//! each decision with `-v`, and on Ctrl-C prints a summary per session and
//! writes the `--record` file.

#[path = "websocketd/client.rs"]
mod client;
#[path = "websocketd/wire.rs"]
mod wire;

use std::process::Stdio;

use serde_json::{Value, json};
use switchboard::provision::AmqpUrl;
use switchboard_broker::{Config, EmbeddedBroker};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;
use uuid::Uuid;

use client::Client;
use wire::Publisher;

#[tokio::test]
async fn websocketd_serves_tokens_logs_decisions_and_summarises_on_ctrl_c() {
    let broker = EmbeddedBroker::start(Config::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("ws.jsonl");
    let origin = Uuid::new_v4();
    let tenant = Uuid::new_v4();
    let user = Uuid::new_v4();
    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["-v", "websocketd", "--broker", &broker.url()])
        .args(["--origin-uuid", &origin.to_string()])
        .args([
            "--token",
            &format!("id=alice-token,user={user},tenant={tenant}"),
        ])
        .args([
            "--token",
            &format!("id=narrow,user={user},tenant={tenant},acl=websocketd"),
        ])
        .arg("--record")
        .arg(&record)
        .env("RUST_LOG", "switchboard=debug")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut url = String::new();
    stdout.read_line(&mut url).await.unwrap();
    let url = url.trim().to_owned();
    assert!(
        url.starts_with("ws://127.0.0.1:") && url.ends_with("/api/websocketd/"),
        "{url}"
    );

    let mut alice = Client::started(&url, "alice-token", &["call_created"]).await;
    let mut narrow = Client::started(&url, "narrow", &["call_created"]).await;
    let mut refused = Client::connect(&url, "token=nope").await;
    assert_eq!(
        refused.closed().await,
        (4002, "authentication failed".to_owned())
    );

    let amqp: AmqpUrl = broker.url().parse().unwrap();
    let publisher = Publisher::open(&amqp).await;
    let event = wire::call_event("call_created", origin, tenant, user);
    publisher.publish(&event).await;
    let frame = alice.json().await;
    assert_eq!(
        frame,
        json!({"op": "event", "code": 0, "data": event.body_json()})
    );
    narrow
        .nothing_for(std::time::Duration::from_millis(300))
        .await;

    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(alice.closed().await.0, 1001);
    let exit = child.wait().await.unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    assert!(exit.success(), "{exit:?}\n{stderr}");
    assert!(stderr.contains("token alice-token: user"), "{stderr}");
    assert!(
        stderr.contains("websocketd: delivered"),
        "-v logs deliveries:\n{stderr}"
    );
    assert!(
        stderr.contains("reason=acl_denied"),
        "-v logs drops:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("session 1 user {user} tenant {tenant} v2 [call_created] started: delivered 1; closed 1001")),
        "{stderr}"
    );
    assert!(
        stderr.contains("not delivered: acl_denied 1; closed 1001"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "session 3 (not authenticated): delivered 0; closed 4002 authentication failed"
        ),
        "{stderr}"
    );

    let lines: Vec<Value> = std::fs::read_to_string(&record)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["session"], json!(1));
    assert_eq!(lines[0]["event"], json!("call_created"));
    assert_eq!(lines[0]["user_uuid"], json!(user.to_string()));
    let recorded: Value = serde_json::from_str(lines[0]["frame"].as_str().unwrap()).unwrap();
    assert_eq!(recorded, frame);
    broker.shutdown().await;
}

#[tokio::test]
async fn a_bad_token_spec_is_one_sentence_and_exit_2() {
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args([
            "websocketd",
            "--broker",
            "amqp://guest:guest@127.0.0.1:1/%2f",
            "--token",
            "user=nope",
        ])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--token user=nope: bad token user \"nope\""),
        "{stderr}"
    );
}

#[tokio::test]
async fn an_unreachable_broker_is_one_sentence_and_exit_2() {
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args([
            "websocketd",
            "--broker",
            "amqp://guest:guest@127.0.0.1:1/%2f",
        ])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot start the Wazo WebSocket"),
        "{stderr}"
    );
    assert!(stderr.contains("cannot reach the broker at"), "{stderr}");
}
