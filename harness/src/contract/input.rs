//! Reading messages to check: JSON Lines, one JSON document, or one JSON
//! array, of bare messages or of what switchboard itself writes.
//!
//! Everything switchboard records is valid input, unwrapped to the message
//! it carries ([`recorded`]):
//!
//! | written by | a line is | checked as |
//! |---|---|---|
//! | `run --record`, `tap --record` (Wazo) | a delivery `{seq, exchange, routing_key, properties: {headers, …}, body: {json: …}}` | the record `{routing_key, headers, body}` |
//! | `run --format json`, `tap --format json` (Wazo) | `{"type": "delivery", "delivery": {…}, …}` | the same |
//! | `run --dialect phonecom --record` or `--format json` | `{"type": "delivery", "event": {…}, …}` | the event |
//! | `receive --record` (or `--format json`) | `{seq, kind, method, path, headers, body: {json: …}, …}` | the event; callback checks (`kind: "check"`) are skipped |
//! | `check` | an insta snapshot: a `---` header, then the consumer's output | the output after the header |
//!
//! Summary lines of `--format json` outputs (`{"type": "summary"}`,
//! `{"type": "check_failure"}`) are skipped too; a body that was not JSON
//! is checked as the text it was, which reports it.

use serde_json::{Map, Value};

/// A message read from an input, with the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq)]
pub struct InputMessage {
    pub line: usize,
    pub message: Value,
}

/// A recorded line that holds no message to check (a callback check, a summary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The line it starts on.
    pub line: usize,
    /// What it was, e.g. `a callback check`.
    pub what: &'static str,
}

/// What an input holds: the messages to check and what was skipped.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Input {
    pub messages: Vec<InputMessage>,
    pub skipped: Vec<Skipped>,
}

/// Why an input could not be read as JSON.
#[derive(Debug, thiserror::Error)]
#[error("line {line}, column {column}: {source}")]
pub struct InputError {
    pub line: usize,
    pub column: usize,
    #[source]
    pub source: serde_json::Error,
}

/// Parses `text` as a sequence of JSON values (one per line, or spread over many
/// lines); a lone top-level array is taken as the list of messages. Recorded
/// lines are unwrapped and skipped as [`recorded`] says; see [`parse_input`]
/// for what was skipped.
pub fn parse_messages(text: &str) -> Result<Vec<InputMessage>, InputError> {
    parse_input(text).map(|input| input.messages)
}

/// Parses `text` like [`parse_messages`], keeping what was skipped.
pub fn parse_input(text: &str) -> Result<Input, InputError> {
    let (header_lines, body) = after_snapshot_header(text);
    let values = parse_values(body).map_err(|error| InputError {
        line: error.line + header_lines,
        ..error
    })?;
    let mut input = Input::default();
    for (line, value) in values {
        let line = line + header_lines;
        match recorded(value) {
            Recorded::Message(message) => input.messages.push(InputMessage { line, message }),
            Recorded::Skipped(what) => input.skipped.push(Skipped { line, what }),
        }
    }
    Ok(input)
}

/// The values of `text` with the line each starts on; a lone array is its items.
fn parse_values(text: &str) -> Result<Vec<(usize, Value)>, InputError> {
    let mut values = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    // Lines are counted incrementally: counting from the start for every message
    // would make large recordings quadratic.
    let (mut counted_to, mut line) = (0, 1);
    loop {
        let start = skip_whitespace(text, stream.byte_offset());
        match stream.next() {
            None => break,
            Some(Ok(value)) => {
                line += newlines(&text[counted_to..start]);
                counted_to = start;
                values.push((line, value));
            }
            Some(Err(source)) => {
                return Err(InputError {
                    line: source.line(),
                    column: source.column(),
                    source,
                });
            }
        }
    }
    if let [(line, Value::Array(items))] = values.as_mut_slice() {
        let line = *line;
        return Ok(std::mem::take(items)
            .into_iter()
            .map(|value| (line, value))
            .collect());
    }
    Ok(values)
}

/// An insta snapshot (`switchboard check` writes them) starts with a YAML
/// header between `---` lines; returns the header's line count and what follows.
fn after_snapshot_header(text: &str) -> (usize, &str) {
    let Some(rest) = text.strip_prefix("---\n") else {
        return (0, text);
    };
    match rest.find("\n---\n") {
        Some(end) => {
            let header = &text[..4 + end + 5];
            (newlines(header), &text[header.len()..])
        }
        None => (0, text),
    }
}

/// What one value of an input is.
#[derive(Debug, Clone, PartialEq)]
enum Recorded {
    /// A message to check.
    Message(Value),
    /// Nothing to check.
    Skipped(&'static str),
}

/// Unwraps what switchboard writes to the message it carries; any other
/// value is the message itself.
fn recorded(value: Value) -> Recorded {
    let Value::Object(mut object) = value else {
        return Recorded::Message(value);
    };
    match object.get("type").and_then(Value::as_str) {
        Some("delivery") if object.contains_key("event") => {
            return Recorded::Message(object.remove("event").unwrap_or_default());
        }
        Some("delivery") if object.contains_key("delivery") => {
            return match object.remove("delivery") {
                Some(Value::Object(delivery)) if is_amqp_delivery(&delivery) => {
                    Recorded::Message(amqp_record(delivery))
                }
                other => Recorded::Message(other.unwrap_or_default()),
            };
        }
        Some("summary") => return Recorded::Skipped("a summary line"),
        Some("check_failure") => return Recorded::Skipped("a callback check failure"),
        Some("received") if is_webhook_request(&object) => return webhook_request(object),
        _ => {}
    }
    if is_amqp_delivery(&object) {
        return Recorded::Message(amqp_record(object));
    }
    if is_webhook_request(&object) {
        return webhook_request(object);
    }
    Recorded::Message(Value::Object(object))
}

/// `{seq, exchange, routing_key, properties, body}`: a recorded AMQP delivery.
fn is_amqp_delivery(object: &Map<String, Value>) -> bool {
    ["exchange", "routing_key", "properties"]
        .iter()
        .all(|key| object.contains_key(*key))
        && object.get("body").is_some_and(is_recorded_body)
}

/// `{seq, kind, method, path, headers, body}`: a request `receive` recorded.
fn is_webhook_request(object: &Map<String, Value>) -> bool {
    ["kind", "method", "path"]
        .iter()
        .all(|key| object.contains_key(*key))
        && object.get("body").is_some_and(is_recorded_body)
}

/// A body as recordings write it: `{"json": …}`, `{"text": …}` or `{"bytes": […]}`.
fn is_recorded_body(body: &Value) -> bool {
    matches!(body, Value::Object(body)
        if body.len() == 1 && ["json", "text", "bytes"].iter().any(|key| body.contains_key(*key)))
}

/// The message a recorded body holds: its JSON, or its text (which the
/// checker reports as not an object); bytes become their count.
fn recorded_body(body: Value) -> Value {
    let Value::Object(mut body) = body else {
        return body;
    };
    if let Some(json) = body.remove("json") {
        return json;
    }
    if let Some(text) = body.remove("text") {
        return text;
    }
    let bytes = body
        .remove("bytes")
        .and_then(|bytes| bytes.as_array().map(Vec::len));
    Value::String(format!("<{} bytes, not UTF-8>", bytes.unwrap_or(0)))
}

/// A recorded delivery as the record the Wazo checker reads:
/// `{routing_key, headers, body}`.
fn amqp_record(mut delivery: Map<String, Value>) -> Value {
    let headers = delivery
        .remove("properties")
        .and_then(|mut properties| properties.get_mut("headers").map(Value::take))
        .unwrap_or_else(|| Value::Object(Map::new()));
    serde_json::json!({
        "routing_key": delivery.remove("routing_key").unwrap_or_default(),
        "headers": headers,
        "body": recorded_body(delivery.remove("body").unwrap_or_default()),
    })
}

/// A request `receive` recorded: the event it carried, or nothing for the
/// `{"test": 1}` callback check.
fn webhook_request(mut request: Map<String, Value>) -> Recorded {
    if request.get("kind").and_then(Value::as_str) == Some("check") {
        return Recorded::Skipped("a callback check");
    }
    Recorded::Message(recorded_body(request.remove("body").unwrap_or_default()))
}

fn skip_whitespace(text: &str, offset: usize) -> usize {
    offset + text[offset..].len() - text[offset..].trim_start().len()
}

fn newlines(text: &str) -> usize {
    text.bytes().filter(|byte| *byte == b'\n').count()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn json_lines_keep_their_line_numbers() {
        let messages = parse_messages("{\"a\": 1}\n\n{\"b\": 2}\n").unwrap();
        assert_eq!(
            messages,
            vec![
                InputMessage {
                    line: 1,
                    message: json!({"a": 1})
                },
                InputMessage {
                    line: 3,
                    message: json!({"b": 2})
                },
            ]
        );
    }

    #[test]
    fn a_pretty_document_is_one_message() {
        let messages = parse_messages("{\n  \"a\": 1\n}\n").unwrap();
        assert_eq!(messages.len(), 1);
    }

    #[test]
    fn an_array_is_a_list_of_messages() {
        let messages = parse_messages("[{\"a\": 1}, {\"b\": 2}]").unwrap();
        assert_eq!(messages.len(), 2);
    }

    #[test]
    fn recorded_deliveries_become_records() {
        let line = r#"{"seq":1,"exchange":"xivo","routing_key":"calls.call.created","properties":{"content_type":"application/json","delivery_mode":1,"headers":{"name":"call_created"}},"body":{"json":{"name":"call_created"}}}"#;
        let json_line = format!(
            r#"{{"type":"delivery","name":"call_created","delivery":{line},"violations":[]}}"#
        );
        for text in [line.to_string(), json_line] {
            assert_eq!(
                parse_messages(&text).unwrap()[0].message,
                json!({
                    "routing_key": "calls.call.created",
                    "headers": {"name": "call_created"},
                    "body": {"name": "call_created"}
                })
            );
        }
        let text_body = r#"{"seq":1,"exchange":"xivo","routing_key":"k","properties":{"headers":{}},"body":{"text":"hello"}}"#;
        assert_eq!(
            parse_messages(text_body).unwrap()[0].message["body"],
            "hello"
        );
    }

    #[test]
    fn webhook_recordings_become_events_and_checks_are_skipped() {
        let text = concat!(
            r#"{"seq":1,"kind":"check","method":"POST","path":"/","headers":{},"body":{"json":{"test":1}},"violations":[]}"#,
            "\n",
            r#"{"seq":2,"kind":"event","method":"POST","path":"/","headers":{},"body":{"json":{"uuid":"u"}},"violations":[]}"#,
            "\n",
            r#"{"type":"delivery","listener_id":1,"event_index":0,"result":"delivered","status":200,"reason":null,"event":{"uuid":"v"}}"#,
            "\n",
            r#"{"type":"summary","events":1}"#,
            "\n",
        );
        let input = parse_input(text).unwrap();
        let messages: Vec<(usize, Value)> = input
            .messages
            .into_iter()
            .map(|message| (message.line, message.message))
            .collect();
        assert_eq!(
            messages,
            [(2, json!({"uuid": "u"})), (3, json!({"uuid": "v"}))]
        );
        assert_eq!(
            input.skipped,
            [
                Skipped {
                    line: 1,
                    what: "a callback check"
                },
                Skipped {
                    line: 4,
                    what: "a summary line"
                },
            ]
        );
    }

    #[test]
    fn a_snapshot_header_is_skipped_and_lines_still_count_from_the_top() {
        let text = "---\nsource: x\nexpression: y\n---\n{\"a\": 1}\n{\"b\": 2}\n";
        let messages = parse_messages(text).unwrap();
        assert_eq!(messages[0].line, 5);
        assert_eq!(messages[1].message, json!({"b": 2}));
        let error = parse_messages("---\nsource: x\n---\n{\"b\": }\n").unwrap_err();
        assert_eq!(error.line, 4);
    }

    #[test]
    fn errors_name_the_line() {
        let error = parse_messages("{\"a\": 1}\n{\"b\": }\n").unwrap_err();
        assert_eq!(error.line, 2);
    }
}
