//! Python clients nobody here wrote use the embedded broker: kombu (the
//! client of Wazo's bus documentation) and pika, independent of each other.
//!
//! Each skips loudly when python3 or its package is missing, unless
//! `SWITCHBOARD_REQUIRE_KOMBU=1` (CI pip-installs both).

mod common;

use std::process::Command;

use switchboard_broker::BrokerHandle;

/// Runs `tests/python/<script>` against `broker` and parses the JSON line it
/// prints; `None` (after a SKIPPED line) when `package` is not importable.
async fn run_python(
    package: &str,
    script: &str,
    broker: &BrokerHandle,
) -> Option<serde_json::Value> {
    let python = Command::new("python3")
        .args(["-c", &format!("import {package}")])
        .output();
    if !python.as_ref().is_ok_and(|out| out.status.success()) {
        assert!(
            std::env::var("SWITCHBOARD_REQUIRE_KOMBU").as_deref() != Ok("1"),
            "python3 with {package} is required (SWITCHBOARD_REQUIRE_KOMBU=1) but not available"
        );
        eprintln!("SKIPPED: python3 with {package} is not installed (pip install {package})");
        return None;
    }
    let script = format!("{}/tests/python/{script}", env!("CARGO_MANIFEST_DIR"));
    let output = tokio::process::Command::new("python3")
        .args([
            script.as_str(),
            &broker.url(),
            &std::process::id().to_string(),
        ])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{package} failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_str(stdout.trim()).unwrap())
}

#[tokio::test]
async fn kombu_declares_binds_receives_and_acks() {
    let broker = common::start().await;
    let Some(seen) = run_python("kombu", "kombu_xivo.py", &broker).await else {
        return;
    };
    let received = &seen["received"][0];
    assert_eq!(received["routing_key"], "calls.call_created");
    assert_eq!(received["content_type"], "application/json");
    assert_eq!(received["name_header"], "call_created");
    assert_eq!(received["body"]["name"], "call_created");
    assert_eq!(seen["remaining"], 0);
    assert!(broker.exchanges().iter().any(|e| e.name == "xivo"));
}

#[tokio::test]
async fn pika_confirms_gets_nacks_and_acks() {
    let broker = common::start().await;
    let Some(seen) = run_python("pika", "pika_xivo.py", &broker).await else {
        return;
    };
    assert_eq!(
        seen["unroutable"], "returned",
        "mandatory + no route = basic.return"
    );
    assert_eq!(seen["first"]["routing_key"], "calls.call.created");
    assert_eq!(seen["first"]["redelivered"], false);
    assert_eq!(seen["first"]["name_header"], "call_created");
    assert_eq!(seen["first"]["body"]["name"], "call_created");
    assert_eq!(
        seen["second_redelivered"], true,
        "a requeued nack comes back redelivered"
    );
    assert_eq!(seen["remaining"], 0);
}
