//! `switchboard validate` and `switchboard catalog` as a user runs them: the built
//! binary, files in a temporary directory, exit codes, JSON output parsed back.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_switchboard");
const ORIGIN: &str = "ca7f87e9-c2c8-5fad-ba1b-c3140ebb9be3";

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

fn json_lines(messages: &[Value]) -> String {
    messages
        .iter()
        .map(|message| format!("{message}\n"))
        .collect()
}

fn held(call_id: Value) -> Value {
    json!({"routing_key": "calls.hold.created",
           "body": {"name": "call_held", "origin_uuid": ORIGIN, "data": {"call_id": call_id}}})
}

#[test]
fn conforming_messages_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "ok.jsonl",
        &json_lines(&[held(json!("1.1")), held(json!("1.2"))]),
    );
    let output = run(&["validate", &file, "--format", "json"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["total"], json!(2));
    assert_eq!(report["failed"], json!(0));
    assert_eq!(report["reports"][1]["line"], json!(2));
    assert_eq!(report["reports"][1]["event"], json!("call_held"));
}

#[test]
fn violations_exit_1_with_paths_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let messages = [
        held(json!("1.1")),
        held(json!(42)),
        json!({"name": "user_status_update", "origin_uuid": ORIGIN, "data": {}}),
    ];
    let file = write(dir.path(), "bad.jsonl", &json_lines(&messages));
    let output = run(&["validate", &file, "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["failed"], json!(2));
    let second = &report["reports"][1];
    assert_eq!(second["ok"], json!(false));
    assert_eq!(
        second["violations"],
        json!([{"kind": "wrong_type", "path": "/body/data/call_id", "expected": "a string", "found": "an integer"}])
    );
    assert_eq!(
        second["messages"][0],
        json!("/body/data/call_id: expected a string, found an integer")
    );
    assert_eq!(
        report["reports"][2]["violations"][0]["kind"],
        json!("removed_event")
    );
    assert_eq!(report["reports"][2]["line"], json!(3));
}

#[test]
fn text_output_names_file_line_and_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "bad.jsonl", &json_lines(&[held(json!(42))]));
    let output = run(&["validate", &file]);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains(&format!("{file}:1: call_held: 1 violation(s)")),
        "{text}"
    );
    assert!(
        text.contains("/body/data/call_id: expected a string, found an integer"),
        "{text}"
    );
}

#[test]
fn a_pretty_document_and_an_array_are_read_too() {
    let dir = tempfile::tempdir().unwrap();
    let pretty = serde_json::to_string_pretty(&held(json!("1.1"))).unwrap();
    let array =
        serde_json::to_string_pretty(&json!([held(json!("1.1")), held(json!("1.2"))])).unwrap();
    for (name, text, count) in [("one.json", pretty, 1), ("array.json", array, 2)] {
        let file = write(dir.path(), name, &text);
        let output = run(&["validate", &file, "--format", "json"]);
        assert_eq!(output.status.code(), Some(0), "{name}");
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(report["total"], json!(count), "{name}");
    }
}

#[test]
fn the_dialect_can_be_forced() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "wazo.jsonl", &json_lines(&[held(json!("1.1"))]));
    let output = run(&[
        "validate",
        &file,
        "--dialect",
        "phonecom",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["reports"][0]["dialect"], json!("phonecom"));
}

#[test]
fn unreadable_input_exits_2_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "broken.jsonl",
        &format!("{}\n{{\"name\": \n", held(json!("1.1"))),
    );
    let output = run(&["validate", &file]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(&file) && stderr.contains("line 3"),
        "{stderr}"
    );

    let missing = dir.path().join("missing.jsonl");
    let output = run(&["validate", missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("missing.jsonl")
    );
}

#[test]
fn standard_input_is_the_default() {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(["validate", "--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(json_lines(&[held(json!("1.1"))]).as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["source"], json!("<stdin>"));
}

#[test]
fn catalog_list_has_every_event() {
    let output = run(&["catalog", "list", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let rows: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let wazo = rows
        .iter()
        .filter(|row| row["dialect"] == json!("wazo"))
        .count();
    // 48 named events and the AMI row.
    assert_eq!(wazo, 49);
    let relocate = rows
        .iter()
        .find(|row| row["name"] == json!("relocate_completed"))
        .unwrap();
    assert_eq!(relocate["routing_key"], json!("calls.relocate.completed"));
    assert_eq!(
        relocate["required_acl"],
        json!("events.relocates.{initiator}")
    );
    assert!(
        rows.iter()
            .any(|row| row["dialect"] == json!("phonecom") && row["name"] == json!("call"))
    );
}

#[test]
fn catalog_show_gives_fields_and_example() {
    let output = run(&["catalog", "show", "favorite_added", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let shown: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        shown["routing_key"],
        json!("directory.{user_uuid}.favorite.created")
    );
    assert_eq!(shown["example"]["data"]["source_entry_id"], json!(42));
    let fields: Vec<&str> = shown["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|field| field["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec!["xivo_uuid", "user_uuid", "source", "source_entry_id"]
    );
    assert!(
        shown["errata"]
            .as_array()
            .unwrap()
            .contains(&json!("favorites-xivo-id"))
    );

    let text = run(&["catalog", "show", "call_created"]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("required ACL: events.calls.{user_uuid}"),
        "{text}"
    );
}

#[test]
fn catalog_schema_is_the_derived_one() {
    let output = run(&["catalog", "schema", "call_held"]);
    assert_eq!(output.status.code(), Some(0));
    let schema: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(schema["required"], json!(["name", "origin_uuid", "data"]));
    let output = run(&["catalog", "schema", "call_held", "--data-only"]);
    let schema: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(schema["properties"]["call_id"]["type"], json!("string"));
}

#[test]
fn catalog_errors_exit_2_with_one_sentence() {
    let output = run(&["catalog", "show", "user_status_update"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("removed in Wazo 19.05")
    );
    let output = run(&["catalog", "schema", "nonsense"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn catalog_errata_lists_ids() {
    let output = run(&["catalog", "errata", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let errata: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        errata
            .iter()
            .any(|erratum| erratum["id"] == json!("forwards-example-not-json"))
    );
}
