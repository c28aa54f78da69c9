//! `switchboard check --consumer` with the shipped kombu consumer, as a
//! downstream team's CI runs it. The kombu tests skip loudly when kombu is
//! not installed, unless `SWITCHBOARD_REQUIRE_KOMBU=1` (set by `.ci/run`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use tokio::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn consumer() -> String {
    format!(
        "python3 {}",
        root().join("examples/kombu_consumer.py").display()
    )
}

async fn check(snapshot: &Path, extra: &[&str]) -> Output {
    let scenario = root().join("scenarios/call_lifecycle.toml");
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command
        .kill_on_drop(true)
        .args(["check", "--consumer", &consumer(), "--scenario"])
        .arg(&scenario)
        .arg("--snapshot")
        .arg(snapshot)
        .args(["--settle", "300ms"])
        .args(extra);
    tokio::time::timeout(Duration::from_secs(90), command.output())
        .await
        .expect("switchboard check took more than 90 s")
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn the_kombu_consumer_is_snapshot_tested_review_accept_and_compare() {
    if !common::kombu("the_kombu_consumer_is_snapshot_tested_review_accept_and_compare") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("consumer_call_lifecycle.snap");
    let pending = dir.path().join("consumer_call_lifecycle.snap.new");

    // First run: nothing stored; the output waits for review, exit 1.
    let output = check(&snapshot, &[]).await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(stdout(&output).contains("no snapshot at"), "{output:?}");
    let proposed = std::fs::read_to_string(&pending).unwrap();
    assert!(proposed.starts_with("---\nsource: "), "{proposed}");
    let body: Vec<&str> = proposed.split("\n---\n").nth(1).unwrap().lines().collect();
    assert_eq!(body[0], "ready");
    assert_eq!(body.len(), 8, "{proposed}");
    assert!(body[1].starts_with("Received: call_created "), "{proposed}");
    assert!(body[1].ends_with(" Down talking to 0"), "{proposed}");
    assert!(body[4].ends_with(" Up talking to 1"), "{proposed}");
    assert!(body[7].starts_with("Received: call_ended "), "{proposed}");

    // --accept stores it; the next run matches, exit 0.
    let output = check(&snapshot, &["--accept"]).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(!pending.exists());
    let output = check(&snapshot, &["--ready-line", "^ready$"]).await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(stdout(&output).contains("matches"), "{output:?}");

    // Another seed means other call ids: the difference is shown, exit 1.
    let output = check(&snapshot, &["--seed", "3"]).await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let text = stdout(&output);
    assert!(text.contains("   2 - Received: call_created "), "{text}");
    assert!(text.contains("   2 + Received: call_created "), "{text}");
    assert!(pending.exists());
}

#[tokio::test]
async fn a_consumer_that_never_listens_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("never.snap");
    let scenario = root().join("scenarios/call_lifecycle.toml");
    let run = |consumer: &'static str, extra: &'static [&'static str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
        command
            .kill_on_drop(true)
            .args(["check", "--consumer", consumer, "--scenario"])
            .arg(&scenario)
            .arg("--snapshot")
            .arg(&snapshot)
            .args(extra);
        command.output()
    };
    let output = run("echo starting; exit 3", &[]).await.unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("the consumer `echo starting; exit 3` exited (exit status: 3) before it was consuming; its output: \"starting\\n\""),
        "{message}"
    );

    let output = run("sleep 30", &["--timeout", "500ms"]).await.unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("was not consuming after 500ms"),
        "{message}"
    );

    let output = run("sleep 30", &["--broker", "amqp://127.0.0.1:1/%2f"])
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("needs --ready-line"), "{message}");
    assert!(!snapshot.exists());
}
