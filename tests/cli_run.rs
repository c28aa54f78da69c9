//! `switchboard run` as a user runs it: the binary, its output and exit codes.

mod common;

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use common::{delete_exchange, rabbitmq, unique};
use serde_json::Value;
use switchboard::record::jsonl;
use tokio::process::Command;

fn scenario(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.toml"))
}

async fn switchboard(args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command.kill_on_drop(true).args(args);
    tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("switchboard run took more than a minute")
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[tokio::test]
async fn run_plays_a_call_on_the_embedded_broker_and_says_what_happened() {
    let path = scenario("call_lifecycle");
    let output = switchboard(&["run", path.to_str().unwrap()]).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 8, "{text}");
    assert!(lines[0].contains("call_created"), "{text}");
    assert!(lines[0].contains("calls.call.created"), "{text}");
    assert!(
        lines[0].contains("alice (1001): call ")
            && lines[0].contains("from Bob Tremblay <+15145550123>, Down"),
        "{text}"
    );
    assert!(lines[1].ends_with("Ringing"), "{text}");
    assert!(
        lines[4].contains("call_held") && lines[4].contains("put on hold"),
        "{text}"
    );
    assert!(lines[6].contains("call_ended"), "{text}");
    assert_eq!(
        lines[7],
        "scenario \"call_lifecycle\" (seed 42): published 7, confirmed 7, received 7, contract violations 0"
    );
    assert!(
        stderr(&output)
            .starts_with("run: playing \"call_lifecycle\" (seed 42) on amqp://127.0.0.1:")
    );
}

#[tokio::test]
async fn run_json_records_and_binds_on_rabbitmq() {
    let Some(url) = rabbitmq("run_json_records_and_binds_on_rabbitmq").await else {
        return;
    };
    let exchange = unique("switchboard-test-xivo");
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("out.jsonl");
    let path = scenario("call_unanswered");
    let output = switchboard(&[
        "run",
        path.to_str().unwrap(),
        "--broker",
        &url.to_url_with_credentials(),
        "--exchange",
        &exchange,
        "--bind",
        "calls.call.ended",
        "--format",
        "json",
        "--settle",
        "500ms",
        "--record",
        recording.to_str().unwrap(),
    ])
    .await;
    delete_exchange(&url, &exchange).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let lines: Vec<Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let (summary, deliveries) = lines.split_last().unwrap();
    assert!(!deliveries.is_empty());
    for line in deliveries {
        assert_eq!(line["type"], "delivery");
        assert_eq!(line["name"], "call_ended");
        assert_eq!(line["violations"], serde_json::json!([]));
    }
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["received"], deliveries.len());
    assert!(summary["published"].as_u64().unwrap() > deliveries.len() as u64);
    assert_eq!(summary["violations"], 0);
    assert_eq!(summary["missing"], 0);
    let recorded = jsonl::read(&recording).unwrap();
    assert_eq!(recorded.len(), deliveries.len());
    assert!(!stderr(&output).contains("guest:guest"));
}

#[tokio::test]
async fn the_same_seed_prints_the_same_run_and_another_seed_does_not() {
    let path = scenario("ami");
    let path = path.to_str().unwrap();
    let json = |output: &Output| -> Vec<Value> {
        stdout(output)
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    };
    let first = switchboard(&["run", path, "--format", "json", "--seed", "7"]).await;
    let again = switchboard(&["run", path, "--format", "json", "--seed", "7"]).await;
    let other = switchboard(&["run", path, "--format", "json", "--seed", "8"]).await;
    assert_eq!(json(&first), json(&again));
    assert_ne!(json(&first), json(&other));
    assert_eq!(json(&first).last().unwrap()["seed"], 7);
}

#[tokio::test]
async fn speed_paces_the_steps_in_scaled_real_time() {
    // fax_success spans 90 s of scenario time: at 100× it takes 0.9 s.
    let path = scenario("fax_success");
    let started = std::time::Instant::now();
    let output = switchboard(&["run", path.to_str().unwrap(), "--speed", "100"]).await;
    let elapsed = started.elapsed();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(elapsed >= Duration::from_millis(850), "{elapsed:?}");
}

#[tokio::test]
async fn bad_input_is_one_sentence_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        "name = \"broken\"\n[users.alice]\n[[steps]]\naction = \"call.answer\"\ncall = \"c1\"\n",
    )
    .unwrap();
    let output = switchboard(&["run", broken.to_str().unwrap()]).await;
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("broken.toml:3:1"), "{message}");
    assert!(
        message.contains("call \"c1\" is not in progress"),
        "{message}"
    );

    let path = scenario("call_lifecycle");
    let output = switchboard(&["run", path.to_str().unwrap(), "--dialect", "phonecom"]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .contains("--dialect phonecom delivers to webhooks: give at least one --listener")
    );

    let output = switchboard(&[
        "run",
        path.to_str().unwrap(),
        "--broker",
        "amqp://guest:secret@127.0.0.1:1/%2f",
    ])
    .await;
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(!message.contains("secret"), "{message}");

    let output = switchboard(&["run", "no/such/file.toml"]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read scenario file no/such/file.toml"));
}
