//! Events as Phone.com's EMAIL callbacks carry them (`docs/endpoints/callbacks.md`,
//! "Config for EMAIL mode"): `json` mode is the event with an
//! `unsubscribe_link` added; `text` mode is a "human-friendly
//! representation", one `Label: value` line per field, as in the published
//! `events-examples/api-error-email-text.txt`.
//!
//! switchboard renders these bodies but does not send mail: its sender
//! delivers over HTTP to callbacks on this machine, with a status per
//! request, a callback check and timeouts, none of which an email has; a
//! mail transfer agent to hand mail to is outside what a test harness on
//! loopback may assume. A test of an email consumer feeds it these bodies.

use serde_json::{Map, Value};

/// The event as an EMAIL callback in `json` mode carries it: the event
/// with `unsubscribe_link` added.
pub fn email_json(envelope: &Value, unsubscribe_link: &str) -> Value {
    let mut body = match envelope {
        Value::Object(object) => object.clone(),
        other => {
            let mut wrapped = Map::new();
            wrapped.insert("event".into(), other.clone());
            wrapped
        }
    };
    body.insert("unsubscribe_link".into(), unsubscribe_link.into());
    Value::Object(body)
}

/// The event as an EMAIL callback in `text` mode carries it: one line per
/// field in the event's order, nested labels joined by ` / `, array items
/// numbered (`Tags [0]: call`), then the unsubscribe link.
pub fn email_text(envelope: &Value, unsubscribe_link: &str) -> String {
    let mut lines = Vec::new();
    text_lines("", envelope, &mut lines);
    lines.push(format!("Unsubscribe link: {unsubscribe_link}"));
    lines.join("\n")
}

fn text_lines(label: &str, value: &Value, lines: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                let child_label = if label.is_empty() {
                    words(key)
                } else {
                    format!("{label} / {}", words(key))
                };
                text_lines(&child_label, child, lines);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                text_lines(&format!("{label} [{index}]"), item, lines);
            }
        }
        Value::String(text) => lines.push(format!("{label}: {text}")),
        other => lines.push(format!("{label}: {other}")),
    }
}

/// `data_object_uuid` → `Data object UUID`, `voip_id` → `Voip ID`: words
/// apart, the first capitalised, `uuid` and `id` in capitals.
fn words(key: &str) -> String {
    let words: Vec<String> = key
        .split('_')
        .enumerate()
        .map(|(position, word)| match word {
            "uuid" => "UUID".to_string(),
            "id" => "ID".to_string(),
            _ if position == 0 => {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|first| first.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            }
            _ => word.to_string(),
        })
        .collect();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::catalog::phonecom::examples::{API_ERROR, API_ERROR_EMAIL_TEXT};

    /// The published text: the same kind of event as api-error.json, with
    /// other values. Give api-error.json those values and render it: the
    /// text must be the published one, byte for byte.
    #[test]
    fn the_text_form_is_phonecoms_published_one() {
        let value = |label: &str| {
            API_ERROR_EMAIL_TEXT
                .lines()
                .find_map(|line| line.strip_prefix(&format!("{label}: ")))
                .unwrap()
                .to_string()
        };
        let payload_start = API_ERROR_EMAIL_TEXT
            .find("Data / Response / Payload: ")
            .unwrap()
            + "Data / Response / Payload: ".len();
        let payload_end = API_ERROR_EMAIL_TEXT.find("\nUnsubscribe link: ").unwrap();
        let mut event: Value = serde_json::from_str(API_ERROR).unwrap();
        event["timestamp"] = json!(1_601_316_901);
        event["timestamp_ns"] = json!(1_601_316_901_000_000_000_u64);
        event["data"]["error"] = json!(value("Data / Error"));
        event["data"]["request"]["method"] = json!(value("Data / Request / Method"));
        event["data"]["request"]["url"] = json!(value("Data / Request / Url"));
        event["data"]["request"]["body_size"] = json!(1035);
        event["data"]["response"]["status"] = json!(403);
        event["data"]["response"]["payload"] =
            json!(API_ERROR_EMAIL_TEXT[payload_start..payload_end]);
        assert_eq!(
            email_text(&event, &value("Unsubscribe link")),
            API_ERROR_EMAIL_TEXT
        );
    }

    #[test]
    fn the_json_form_adds_the_unsubscribe_link() {
        let event: Value = serde_json::from_str(API_ERROR).unwrap();
        let body = email_json(&event, "https://example.com/unsubscribe/1");
        assert_eq!(
            body["unsubscribe_link"],
            "https://example.com/unsubscribe/1"
        );
        let mut without = body.clone();
        without.as_object_mut().unwrap().remove("unsubscribe_link");
        assert_eq!(without, event);
    }

    #[test]
    fn nulls_and_nested_arrays_are_written_out() {
        let text = email_text(
            &json!({"data": {"first_leg": null, "to": [{"type": "did", "id": "+1"}]}}),
            "u",
        );
        assert_eq!(
            text,
            "Data / First leg: null\nData / To [0] / Type: did\nData / To [0] / ID: +1\nUnsubscribe link: u"
        );
    }
}
