//! `check --websocket` and `run --websocket` end to end, with a consumer
//! written in Python against the `websockets` package (skipped loudly when
//! it is not installed): its output is snapshot-tested like any consumer's.

use std::process::Command;

fn python_websockets() -> bool {
    let found = Command::new("python3")
        .args(["-c", "import websockets"])
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        eprintln!(
            "SKIPPED: the Python `websockets` package is not installed (pip install websockets)"
        );
    }
    found
}

fn switchboard(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

#[test]
fn check_gives_a_websocket_consumer_its_url_and_token_and_snapshots_it() {
    if !python_websockets() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let snapshot = dir.path().join("ws.snap");
    let snapshot = snapshot.to_str().unwrap();
    // call_lifecycle, plus a token of alice's that grants nothing but the WebSocket.
    let scenario = dir.path().join("call_lifecycle_tokens.toml");
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/call_lifecycle.toml"
    ))
    .unwrap();
    std::fs::write(
        &scenario,
        format!("{shipped}\n[tokens.narrow]\nuser = \"alice\"\nacl = [\"websocketd\"]\n"),
    )
    .unwrap();
    let scenario = scenario.to_str().unwrap();
    let check = |extra: &[&str]| {
        let mut args = vec![
            "check",
            "--consumer",
            "python3 examples/websocket_consumer.py",
            "--scenario",
            scenario,
            "--profile",
            "wazo",
            "--websocket",
            "--snapshot",
            snapshot,
        ];
        args.extend_from_slice(extra);
        switchboard(&args)
    };
    let stored = check(&["--accept"]);
    let stderr = String::from_utf8_lossy(&stored.stderr);
    assert!(stored.status.success(), "{stderr}");
    let text = std::fs::read_to_string(snapshot).unwrap();
    assert!(text.contains("call_created"), "{text}");
    assert!(stderr.contains("websocket: session 1 user"), "{stderr}");
    // The same run again matches, also as alice by name; with the narrow token it does not.
    let again = check(&["--as", "alice"]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    let other = check(&["--as", "narrow"]);
    let stdout = String::from_utf8_lossy(&other.stdout);
    assert_eq!(other.status.code(), Some(1), "{stdout}");
    let unknown = check(&["--as", "nobody"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("--as nobody: no such user or token")
    );
}

#[test]
fn websocket_needs_the_wazo_profile() {
    let output = switchboard(&["run", "scenarios/call_lifecycle.toml", "--websocket"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--websocket needs --profile wazo"),
        "{stderr}"
    );
}

#[test]
fn run_serves_the_websocket_and_reports_its_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("run.jsonl");
    let output = switchboard(&[
        "run",
        "scenarios/call_lifecycle.toml",
        "--profile",
        "wazo",
        "--websocket",
        "--settle",
        "200ms",
        "--record",
        record.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("websocket: ws://127.0.0.1:"), "{stderr}");
    assert!(stderr.contains("websocket: token "), "{stderr}");
    let websocket = record.with_extension("jsonl.websocket.jsonl");
    assert_eq!(
        std::fs::read_to_string(websocket).unwrap(),
        "",
        "no session, no delivery"
    );
}
