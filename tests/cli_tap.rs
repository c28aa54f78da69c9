//! `switchboard tap` as a user runs it: the binary, its output and exit codes.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::{delete_exchange, rabbitmq, unique, wazo_message};
use serde_json::Value;
use switchboard::harness::{PlayOptions, render_scenario};
use switchboard::scenario::Scenario;
use switchboard::sink::{AmqpPublisher, Outgoing, PublisherOptions};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// The messages `call_lifecycle` publishes: real events, all conforming.
fn call_lifecycle() -> Vec<Outgoing> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/call_lifecycle.toml");
    let scenario = Scenario::load(path).unwrap();
    render_scenario(&scenario, &PlayOptions::default())
        .unwrap()
        .messages
        .into_iter()
        .map(|rendered| rendered.message)
        .collect()
}

fn switchboard() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command.kill_on_drop(true);
    command
}

#[tokio::test]
async fn tap_prints_each_delivery_records_it_and_summarises() {
    let Some(url) = rabbitmq("tap_prints_each_delivery_records_it_and_summarises").await else {
        return;
    };
    let exchange = unique("switchboard-test");
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("out.jsonl");
    let mut tap = switchboard()
        .args([
            "tap",
            "--broker",
            &url.to_url_with_credentials(),
            "--exchange",
            &exchange,
        ])
        .args([
            "--bind",
            "calls.call.*",
            "--count",
            "6",
            "--format",
            "json",
            "--record",
        ])
        .arg(&recording)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // The tap says it listens only once its queue is bound.
    let mut stderr = BufReader::new(tap.stderr.take().unwrap()).lines();
    let banner = stderr.next_line().await.unwrap().unwrap();
    assert!(banner.starts_with("tap: listening on "), "{banner}");
    assert!(!banner.contains("guest:"), "{banner}");

    let publisher = AmqpPublisher::connect(
        &url,
        PublisherOptions {
            exchange: exchange.clone(),
            ..PublisherOptions::default()
        },
    )
    .await
    .unwrap();
    // A whole call (its hold events are not bound: never shown), then a
    // made-up event the document does not know.
    let mut messages = call_lifecycle();
    messages.push(wazo_message(9, "calls.call.bogus"));
    publisher.publish_all(&messages).await.unwrap();

    let output = tokio::time::timeout(Duration::from_secs(20), tap.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "a violation: {output:?}");
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 7, "{lines:#?}");
    let names: Vec<_> = lines[..6]
        .iter()
        .map(|line| line["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "call_created",
            "call_updated",
            "call_updated",
            "call_updated",
            "call_ended",
            "event_9"
        ]
    );
    for line in &lines[..5] {
        assert_eq!(line["violations"], serde_json::json!([]), "{line}");
    }
    let violations = lines[5]["violations"].as_array().unwrap();
    assert!(
        violations
            .iter()
            .any(|v| v.as_str().unwrap().contains("event_9")),
        "{violations:?}"
    );
    assert_eq!(lines[0]["delivery"]["routing_key"], "calls.call.created");
    assert_eq!(lines[0]["delivery"]["properties"]["delivery_mode"], 1);
    assert_eq!(lines[6]["type"], "summary");
    assert_eq!(lines[6]["received"], 6);
    assert_eq!(lines[6]["stopped"], "count");
    assert_eq!(lines[6]["violations"], violations.len());

    let recorded = switchboard::record::jsonl::read(&recording).unwrap();
    let recorded: Vec<_> = recorded.iter().map(|d| d.routing_key.as_str()).collect();
    assert_eq!(
        recorded,
        [
            "calls.call.created",
            "calls.call.updated",
            "calls.call.updated",
            "calls.call.updated",
            "calls.call.ended",
            "calls.call.bogus"
        ]
    );

    publisher.close().await;
    delete_exchange(&url, &exchange).await;
}

#[tokio::test]
async fn tap_on_an_unreachable_broker_exits_2_with_one_sentence() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = switchboard()
        .args([
            "tap",
            "--broker",
            &format!("amqp://guest:secret@127.0.0.1:{port}/"),
        ])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr,
        format!(
            "switchboard: cannot reach the broker at amqp://127.0.0.1:{port}/ (connection refused)\n"
        )
    );
}

#[tokio::test]
async fn tap_rejects_a_bad_broker_url_without_showing_the_password() {
    let output = switchboard()
        .args(["tap", "--broker", "amqp://guest:hunter2@host/a/b"])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("the path must be a single virtual host"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[tokio::test]
async fn tap_on_the_embedded_broker_prints_text_lines_for_a_producer_it_tells_where_to_connect() {
    let mut tap = switchboard()
        .args(["tap", "--count", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(tap.stderr.take().unwrap()).lines();
    let banner = stderr.next_line().await.unwrap().unwrap();
    // "tap: listening on amqp://127.0.0.1:PORT/ exchange 'xivo' with # (Ctrl-C to stop)"
    let url: switchboard::provision::AmqpUrl = banner
        .strip_prefix("tap: listening on ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("unexpected banner: {banner}"))
        .parse()
        .unwrap();
    assert_eq!(url.host(), "127.0.0.1");
    assert_ne!(url.port(), 5672);

    let publisher = AmqpPublisher::connect(&url, PublisherOptions::default())
        .await
        .unwrap();
    let call = call_lifecycle();
    publisher.publish_all(&call[..2]).await.unwrap();
    publisher.close().await;

    let output = tokio::time::timeout(Duration::from_secs(20), tap.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    let first: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(first[..3], ["1", "call_created", "calls.call.created"]);
    // A sentence about the call, not its JSON: the tap does not know the
    // scenario's handles, so the user is shown by a short uuid.
    assert!(lines[0].contains(": call "), "{}", lines[0]);
    assert!(!lines[0].contains('{'), "{}", lines[0]);
    let second: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(second[..3], ["2", "call_updated", "calls.call.updated"]);
    assert_eq!(
        lines[2],
        "received 2 deliveries, no contract violations (count reached)"
    );
}

#[tokio::test]
async fn tap_stops_after_its_duration_on_a_quiet_bus() {
    let output = switchboard()
        .args(["tap", "--duration", "300ms", "--format", "json"])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        summary,
        serde_json::json!({"type": "summary", "received": 0, "violations": 0, "stopped": "duration"})
    );
}
