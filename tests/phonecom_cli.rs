//! `switchboard receive` and `switchboard run --dialect phonecom` as a user
//! runs them: the binaries talk over real HTTP; output and exit codes.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

fn switchboard() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command.kill_on_drop(true);
    command
}

fn scenario(name: &str) -> String {
    format!("{}/scenarios/{name}.toml", env!("CARGO_MANIFEST_DIR"))
}

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn run_delivers_to_receive_which_records_and_validates() {
    let dir = tempfile::tempdir().unwrap();
    let received_file = dir.path().join("received.jsonl");
    let sent_file = dir.path().join("sent.jsonl");
    let mut receive = switchboard()
        .args([
            "receive", "--port", "0", "--count", "8", "--format", "json", "--record",
        ])
        .arg(&received_file)
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
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let run = switchboard()
        .args([
            "run",
            &scenario("inbound_call_to_device"),
            "--dialect",
            "phonecom",
        ])
        .arg("--listener")
        .arg(format!("id=1000,url={url}hook,tags=call+inbound"))
        .args([
            "--header",
            "X-Api-Key: s3cret",
            "--timeout",
            "2s",
            "--record",
        ])
        .arg(&sent_file)
        .output();
    let run = tokio::time::timeout(WAIT, run).await.unwrap().unwrap();
    let stdout = String::from_utf8(run.stdout).unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.iter().filter(|line| line.ends_with("200 OK")).count(),
        8,
        "{stdout}"
    );
    assert!(
        lines[0].contains("listener 1000") && lines[0].contains("[call new-call first-leg"),
        "{stdout}"
    );
    assert!(
        stdout.contains("listener 1000 (") && stdout.contains("8 matched, 8 delivered, 0 failed"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(&sent_file).unwrap().lines().count(),
        8
    );

    let receive = tokio::time::timeout(WAIT, receive.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(receive.status.code(), Some(0));
    let printed: Vec<Value> = String::from_utf8(receive.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(printed.len(), 1 + 8 + 1);
    assert_eq!(printed[0]["kind"], "check");
    assert!(printed[1..9].iter().all(|line| line["kind"] == "event"
        && line["violations"].as_array().unwrap().is_empty()
        && line["headers"]["x-api-key"] == "s3cret"));
    assert_eq!(printed[9]["type"], "summary");
    assert_eq!(printed[9]["events"], 8);
    let recorded = std::fs::read_to_string(&received_file).unwrap();
    assert_eq!(recorded.lines().count(), 9);
}

#[tokio::test]
async fn run_reports_each_failed_delivery_and_exits_1() {
    let down = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let run = switchboard()
        .args([
            "run",
            &scenario("messages"),
            "--dialect",
            "phonecom",
            "--no-callback-check",
        ])
        .arg("--listener")
        .arg(format!("id=7,url=http://{down}/hook,tags=message"))
        .args(["--format", "json"])
        .output();
    let run = tokio::time::timeout(WAIT, run).await.unwrap().unwrap();
    assert_eq!(run.status.code(), Some(1));
    let lines: Vec<Value> = String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 5 + 1);
    for line in &lines[..5] {
        assert_eq!(line["result"], "failed");
        let reason = line["reason"].as_str().unwrap();
        assert!(
            reason.starts_with(&format!("cannot connect to http://{down}/hook")),
            "{reason}"
        );
    }
    let summary = &lines[5];
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["failures"], 5);
    assert_eq!(summary["listeners"][0]["failed"], 5);
}

#[tokio::test]
async fn misuse_is_one_clear_sentence_and_exit_2() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["--dialect", "phonecom"],
            "--dialect phonecom delivers to webhooks: give at least one --listener",
        ),
        (
            &["--listener", "id=1,url=http://127.0.0.1:9/hook,tags=call"],
            "--listener applies to webhooks (--dialect phonecom), not to --dialect wazo",
        ),
        (
            &[
                "--dialect",
                "phonecom",
                "--listener",
                "id=1,url=https://example.com/hook,tags=call",
            ],
            "is not http://",
        ),
        (
            &[
                "--dialect",
                "phonecom",
                "--listener",
                "id=1,url=http://127.0.0.1:9/,tags=call",
                "--rate-limit",
                "ten",
            ],
            "rate limit \"ten\" is not `NUMBER/PERIOD`",
        ),
    ];
    for (arguments, expected) in cases {
        let output = switchboard()
            .args(["run", &scenario("call_outbound")])
            .args(arguments)
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{arguments:?}: {stderr}");
        assert!(stderr.contains(expected), "{arguments:?}: {stderr}");
    }
}
