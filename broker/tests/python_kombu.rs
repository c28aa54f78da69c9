//! A Python client nobody here wrote, kombu (as in Wazo's bus documentation),
//! uses the embedded broker: declare `xivo`, bind `calls.*`, receive, ack.
//!
//! Skips loudly when python3 or kombu is missing, unless
//! `SWITCHBOARD_REQUIRE_KOMBU=1` (CI installs kombu with pip).

mod common;

use std::process::Command;

#[tokio::test]
async fn kombu_declares_binds_receives_and_acks() {
    let python = Command::new("python3")
        .args(["-c", "import kombu"])
        .output();
    if !python.as_ref().is_ok_and(|out| out.status.success()) {
        assert!(
            std::env::var("SWITCHBOARD_REQUIRE_KOMBU").as_deref() != Ok("1"),
            "python3 with kombu is required (SWITCHBOARD_REQUIRE_KOMBU=1) but not available"
        );
        eprintln!("SKIPPED: python3 with kombu is not installed (pip install kombu)");
        return;
    }
    let broker = common::start().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/kombu_xivo.py");
    let url = broker.url();
    let output = tokio::process::Command::new("python3")
        .args([script, &url, &std::process::id().to_string()])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "kombu failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let received = &seen["received"][0];
    assert_eq!(received["routing_key"], "calls.call_created");
    assert_eq!(received["content_type"], "application/json");
    assert_eq!(received["name_header"], "call_created");
    assert_eq!(received["body"]["name"], "call_created");
    assert_eq!(seen["remaining"], 0);
    assert!(broker.exchanges().iter().any(|e| e.name == "xivo"));
}
