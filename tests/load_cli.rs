//! `switchboard load` end to end through the binary: JSON report, JUnit
//! file, SLO exit codes, and one-sentence errors.

use std::process::Command;

fn switchboard(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("load")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

const SHORT_RUN: &[&str] = &[
    "--mix",
    "call_lifecycle=3,fax_failure=1",
    "--rate",
    "200",
    "--count",
    "20",
    "--speed",
    "inf",
    "--consumers",
    "1",
    "--bind",
    "calls.#",
    "--consumer-ack",
    "manual",
];

#[test]
fn json_report_and_junit_file_with_slo_met() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("load.xml");
    let mut args = SHORT_RUN.to_vec();
    args.extend([
        "--format",
        "json",
        "--slo",
        "loss=0,p99<10s,deliver_p99<10s",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let output = switchboard(&args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let ledger = &report["ledger"];
    assert_eq!(ledger["published"], ledger["confirmed"]);
    assert_eq!(ledger["scheduled"], ledger["published"]);
    assert_eq!(report["totals"]["instances"], 20);
    let mix: Vec<(&str, u64)> = report["mix"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["scenario"].as_str().unwrap(),
                entry["instances"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(mix, [("call_lifecycle", 15), ("fax_failure", 5)]);
    let binding = &ledger["bindings"][0];
    assert_eq!(binding["key"], "calls.#");
    assert_eq!(binding["expected"], binding["delivered"]);
    assert_eq!(binding["lost"], 0);
    assert!(report["confirm_latency"]["p99_ms"].as_f64().unwrap() > 0.0);
    let verdicts = report["slo"].as_array().unwrap();
    assert_eq!(verdicts.len(), 3);
    assert!(verdicts.iter().all(|verdict| verdict["passed"] == true));

    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(r#"tests="4" failures="0""#), "{xml}");
    assert!(
        xml.contains(r#"<testcase classname="load.slo" name="p99&lt;10s"></testcase>"#),
        "{xml}"
    );
}

#[test]
fn a_missed_slo_exits_1_and_says_which() {
    let mut args = SHORT_RUN.to_vec();
    args.extend(["--slo", "rate>=1000000000,loss=0"]);
    let output = switchboard(&args);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("FAIL  rate>=1000000000 (measured "),
        "{stdout}"
    );
    assert!(stdout.contains("pass  loss=0 (measured 0.000)"), "{stdout}");
    assert!(stdout.contains("published"), "{stdout}");
}

#[test]
fn bad_input_exits_2_with_one_sentence() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--mix", "nope=1", "--rate", "1", "--count", "1"],
            "switchboard: mix entry 'nope': no scenario file scenarios/nope.toml",
        ),
        (
            &["--mix", "fax_success=x", "--rate", "1", "--count", "1"],
            "switchboard: invalid mix entry 'fax_success=x'",
        ),
        (
            &[
                "--mix",
                "fax_success",
                "--rate",
                "1",
                "--count",
                "1",
                "--slo",
                "p98<1ms",
            ],
            "switchboard: invalid SLO term 'p98<1ms'",
        ),
        (
            &["--mix", "fax_success", "--rate", "1"],
            "switchboard: the run has no end: give --duration or --count (or both)",
        ),
        (
            &[
                "--mix",
                "fax_success",
                "--rate",
                "1",
                "--count",
                "1",
                "--speed",
                "0",
            ],
            "switchboard: invalid speed 0",
        ),
        (
            &[
                "--mix",
                "fax_success",
                "--rate",
                "1",
                "--count",
                "1",
                "--broker",
                "amqp://guest:secret@127.0.0.1:1/%2f",
            ],
            "switchboard: cannot reach the broker at amqp://127.0.0.1:1/",
        ),
    ];
    for (args, expected) in cases {
        let output = switchboard(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("secret"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn ctrl_c_ends_the_run_with_a_full_report() {
    let child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args([
            "load",
            "--mix",
            "call_lifecycle",
            "--rate",
            "50",
            "--duration",
            "60s",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("(interrupted)"), "{stdout}");
    assert!(stdout.contains("ledger       scheduled "), "{stdout}");
    assert!(stdout.contains("not sent"), "{stdout}");
}
