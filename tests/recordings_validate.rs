//! Everything switchboard writes, `switchboard validate` reads: each kind of
//! recording, of both dialects, made by the built binary and checked by it.
//!
//! | written by | dialect |
//! |---|---|
//! | `run --record`, `run --format json` | Wazo, Phone.com |
//! | `tap --record`, `tap --format json` | Wazo |
//! | `check` (its snapshot of the consumer's output) | Wazo |
//! | `receive --record`, `receive --format json` | Phone.com |
//!
//! Broker-backed ones use the embedded broker, so nothing needs installing.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
const WAIT: Duration = Duration::from_secs(60);

fn switchboard() -> Command {
    let mut command = Command::new(BIN);
    command.kill_on_drop(true);
    command
}

fn scenario(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.toml"))
}

async fn finish(command: &mut Command) -> Output {
    tokio::time::timeout(WAIT, command.output())
        .await
        .expect("switchboard took too long")
        .unwrap()
}

/// `switchboard validate FILE --format json` (the dialect told from each
/// message), required to find every message conforming and of `dialect`:
/// returns (total, skipped).
async fn validates(file: &Path, dialect: &str) -> (u64, u64) {
    let output = finish(
        switchboard()
            .arg("validate")
            .arg(file)
            .args(["--format", "json"]),
    )
    .await;
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "{}: {error}: {}",
            file.display(),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}: {report:#}",
        file.display()
    );
    assert_eq!(report["failed"], 0, "{report:#}");
    for message in report["reports"].as_array().unwrap() {
        assert_eq!(message["dialect"], dialect, "{message:#}");
    }
    (
        report["total"].as_u64().unwrap(),
        report["skipped"].as_u64().unwrap(),
    )
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[tokio::test]
async fn wazo_run_recordings_and_json_output_validate() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("out.jsonl");
    let output = finish(
        switchboard()
            .arg("run")
            .arg(scenario("call_lifecycle"))
            .arg("--record")
            .arg(&recording)
            .args(["--format", "json"]),
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(validates(&recording, "wazo").await, (7, 0));
    // Its --format json output too: seven deliveries and a summary line.
    let printed = write(dir.path(), "stdout.jsonl", &output.stdout);
    assert_eq!(validates(&printed, "wazo").await, (7, 1));
}

/// A recording of `--profile wazo` reads back as current Wazo's messages:
/// `validate` (auto) finds each one matching the `wazo` profile.
#[tokio::test]
async fn wazo_profile_recordings_validate_as_current_wazo() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("out.jsonl");
    let output = finish(
        switchboard()
            .arg("run")
            .arg(scenario("conference"))
            .args(["--profile", "wazo", "--record"])
            .arg(&recording),
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let (total, _) = validates(&recording, "wazo").await;
    assert_eq!(total, 14);
    let report = finish(switchboard().arg("validate").arg(&recording).args([
        "--format",
        "json",
        "--profile",
        "wazo",
    ]))
    .await;
    let report: Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(report["failed"], 0, "{report:#}");
    for message in report["reports"].as_array().unwrap() {
        assert_eq!(message["profile"], "wazo", "{message:#}");
    }
}

#[tokio::test]
async fn wazo_tap_recordings_validate() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("tapped.jsonl");
    let mut tap = switchboard()
        .args(["tap", "--count", "7", "--format", "json", "--record"])
        .arg(&recording)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(tap.stderr.take().unwrap()).lines();
    let banner = stderr.next_line().await.unwrap().unwrap();
    let url = banner
        .strip_prefix("tap: listening on ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("unexpected banner: {banner}"))
        .to_string();
    let run = finish(
        switchboard()
            .arg("run")
            .arg(scenario("call_lifecycle"))
            .args(["--broker", &url]),
    )
    .await;
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let tapped = tokio::time::timeout(WAIT, tap.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tapped.status.code(), Some(0), "{tapped:?}");
    assert_eq!(validates(&recording, "wazo").await, (7, 0));
    let printed = write(dir.path(), "stdout.jsonl", &tapped.stdout);
    assert_eq!(validates(&printed, "wazo").await, (7, 1));
}

#[tokio::test]
async fn a_check_snapshot_of_a_consumer_printing_messages_validates() {
    // The consumer is switchboard's own tap: it binds a queue to `xivo`
    // (which `check` waits for) and prints every delivery as JSON.
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("consumer.snap");
    let consumer = format!("{BIN} tap --broker \"$SWITCHBOARD_AMQP_URL\" --format json");
    let output = finish(
        switchboard()
            .args(["check", "--consumer", &consumer, "--scenario"])
            .arg(scenario("call_lifecycle"))
            .arg("--snapshot")
            .arg(&snapshot)
            .args(["--settle", "300ms", "--accept"]),
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stored = std::fs::read_to_string(&snapshot).unwrap();
    assert!(stored.starts_with("---\n"), "{stored}");
    assert_eq!(validates(&snapshot, "wazo").await.0, 7);
}

#[tokio::test]
async fn phonecom_run_and_receive_recordings_validate() {
    let dir = tempfile::tempdir().unwrap();
    let received = dir.path().join("received.jsonl");
    let sent = dir.path().join("sent.jsonl");
    let mut receive = switchboard()
        .args([
            "receive", "--port", "0", "--count", "10", "--format", "json",
        ])
        .arg("--record")
        .arg(&received)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(receive.stderr.take().unwrap()).lines();
    let banner = stderr.next_line().await.unwrap().unwrap();
    let url = banner
        .strip_prefix("receive: listening on ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{banner}"))
        .to_string();
    // Calls, a call log, a recording: every data type a call has.
    let run = finish(
        switchboard()
            .arg("run")
            .arg(scenario("call_log_and_recording"))
            .args(["--dialect", "phonecom", "--format", "json", "--listener"])
            .arg(format!(
                "id=1000,url={url}hook,tags=call,tags=call-log,tags=recording"
            ))
            .arg("--record")
            .arg(&sent),
    )
    .await;
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let receive = tokio::time::timeout(WAIT, receive.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(receive.status.code(), Some(0), "{receive:?}");

    assert_eq!(validates(&sent, "phonecom").await, (10, 0));
    let printed = write(dir.path(), "run.jsonl", &run.stdout);
    assert_eq!(validates(&printed, "phonecom").await, (10, 1));
    // The receiver's recording starts with the callback check, skipped.
    assert_eq!(validates(&received, "phonecom").await, (10, 1));
    let printed = write(dir.path(), "receive.jsonl", &receive.stdout);
    assert_eq!(validates(&printed, "phonecom").await, (10, 2));
}

#[tokio::test]
async fn a_recorded_body_that_is_not_json_is_reported_not_misread() {
    let dir = tempfile::tempdir().unwrap();
    let line = r#"{"seq":1,"exchange":"xivo","routing_key":"calls.call.created","properties":{"content_type":"text/plain","delivery_mode":1,"headers":{}},"body":{"text":"hello"}}"#;
    let file = write(dir.path(), "text.jsonl", format!("{line}\n").as_bytes());
    let output = finish(switchboard().arg("validate").arg(&file)).await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("/body"), "{stdout}");
}
