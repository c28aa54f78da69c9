//! Listener filters (Phone.com's `docs/endpoints/listener-filters.md`): with
//! filters, a listener gets only the events that satisfy all of them.
//!
//! On the command line a filter is a listener part
//! `filter=[not:]number:eq:+15551234567`, `filter=number:in:+1555…|+1666…`
//! or `filter=number:match:+1555%` (`%` is a wildcard for any run of
//! characters); `not:` is the documented `not_logic`. Repeat `filter=` to
//! require several.
//!
//! What "by phone number" means is not spelled out; here an event satisfies
//! a number filter when one of the phone numbers it carries does: the `did`
//! participants of its legs (`event_leg`, `first_leg`), a message's `from`,
//! `to` and `inbox.did`. Call logs, recordings and API errors carry no number,
//! so a number filter holds them back (and a `not:` one lets them through).
//!
//! The other documented type, `schedule` (an account schedule's id), is
//! refused with a sentence: schedules are Phone.com account objects
//! (business hours) that scenarios do not describe, so there is nothing to
//! decide "within the schedule" against.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde_json::Value;

/// One filter of a listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// What the filter tests.
    pub test: NumberTest,
    /// `not_logic`: events satisfying the test are held back instead.
    pub not_logic: bool,
}

/// `filter_type=number`: one of `eq`, `in`, `match`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberTest {
    /// The number is this one.
    Eq(String),
    /// The number is one of these.
    In(Vec<String>),
    /// The number fits this pattern (`%`: any run of characters).
    Match(String),
}

/// A filter written wrongly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// Not `[not:]number:eq|in|match:VALUE`.
    #[error(
        "filter \"{0}\" is not `number:eq:+15551234567`, `number:in:+1555…|+1666…` or `number:match:+1555%` (optionally after `not:`)"
    )]
    Malformed(String),
    /// A number that is not `+` followed by digits.
    #[error("filter \"{filter}\": \"{number}\" is not a phone number (`+` followed by digits)")]
    BadNumber {
        /// The filter as written.
        filter: String,
        /// The value at fault.
        number: String,
    },
    /// Schedules are not modelled.
    #[error(
        "filter \"{0}\": schedule filters test an account schedule (business hours) that scenarios do not describe; switchboard filters by number only"
    )]
    Schedule(String),
}

impl Filter {
    /// Whether an event whose data is `data` passes this filter.
    pub fn passes(&self, data: &Value) -> bool {
        let numbers = phone_numbers(data);
        let satisfied = numbers.iter().any(|number| self.test.holds(number));
        satisfied != self.not_logic
    }
}

impl NumberTest {
    fn holds(&self, number: &str) -> bool {
        match self {
            NumberTest::Eq(wanted) => number == wanted,
            NumberTest::In(wanted) => wanted.iter().any(|wanted| wanted == number),
            NumberTest::Match(pattern) => like(pattern, number),
        }
    }
}

/// Whether every filter passes an event's data (no filters: every event).
pub fn all_pass(filters: &[Filter], data: &Value) -> bool {
    filters.iter().all(|filter| filter.passes(data))
}

/// The phone numbers an event's data carries: every `did` participant's
/// `id`, and a message inbox's `did`.
pub fn phone_numbers(data: &Value) -> BTreeSet<String> {
    let mut numbers = BTreeSet::new();
    collect_numbers(data, &mut numbers);
    numbers
}

fn collect_numbers(value: &Value, numbers: &mut BTreeSet<String>) {
    match value {
        Value::Object(object) => {
            if object.get("type").and_then(Value::as_str) == Some("did")
                && let Some(id) = object.get("id").and_then(Value::as_str)
            {
                numbers.insert(id.to_string());
            }
            if let Some(Value::Object(inbox)) = object.get("inbox")
                && let Some(did) = inbox.get("did").and_then(Value::as_str)
            {
                numbers.insert(did.to_string());
            }
            object
                .values()
                .for_each(|child| collect_numbers(child, numbers));
        }
        Value::Array(items) => items.iter().for_each(|item| collect_numbers(item, numbers)),
        _ => {}
    }
}

/// SQL `LIKE` with `%` only: `%` matches any run of characters, the rest literally.
fn like(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('%');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        // No `%`: the whole text must be the pattern.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

fn phone_number(filter: &str, number: &str) -> Result<String, FilterError> {
    let digits = number.strip_prefix('+').unwrap_or_default();
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(FilterError::BadNumber {
            filter: filter.to_string(),
            number: number.to_string(),
        });
    }
    Ok(number.to_string())
}

impl FromStr for Filter {
    type Err = FilterError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (not_logic, rest) = match text.strip_prefix("not:") {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let malformed = || FilterError::Malformed(text.to_string());
        let (kind, rest) = rest.split_once(':').ok_or_else(malformed)?;
        match kind {
            "number" => {}
            "schedule" => return Err(FilterError::Schedule(text.to_string())),
            _ => return Err(malformed()),
        }
        let (operator, value) = rest.split_once(':').ok_or_else(malformed)?;
        let test = match operator {
            "eq" => NumberTest::Eq(phone_number(text, value)?),
            "in" => NumberTest::In(
                value
                    .split('|')
                    .map(|number| phone_number(text, number))
                    .collect::<Result<_, _>>()?,
            ),
            "match" if !value.is_empty() => NumberTest::Match(value.to_string()),
            _ => return Err(malformed()),
        };
        Ok(Filter { test, not_logic })
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.not_logic {
            f.write_str("not:")?;
        }
        match &self.test {
            NumberTest::Eq(number) => write!(f, "number:eq:{number}"),
            NumberTest::In(numbers) => write!(f, "number:in:{}", numbers.join("|")),
            NumberTest::Match(pattern) => write!(f, "number:match:{pattern}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use serde_json::json;

    use super::*;

    fn inbound_leg() -> Value {
        json!({
            "event_leg": {
                "from": {"type": "did", "id": "+15550000001"},
                "to": {"type": "device", "id": 555555, "extension_id": 7, "extension": 500}
            },
            "first_leg": {
                "from": {"type": "did", "id": "+15550000001"},
                "to": {"type": "did", "id": "+15550000002"}
            }
        })
    }

    #[rstest]
    #[case("number:eq:+15550000002", true)]
    #[case("number:eq:+15559999999", false)]
    #[case("number:in:+15559999999|+15550000001", true)]
    #[case("number:match:+1555%", true)]
    #[case("number:match:%0002", true)]
    #[case("number:match:+1555%9", false)]
    #[case("number:match:+15550000001", true)]
    #[case("number:match:+1555", false)]
    #[case("not:number:eq:+15550000002", false)]
    #[case("not:number:eq:+15559999999", true)]
    fn number_filters_test_every_phone_number_of_the_event(
        #[case] filter: &str,
        #[case] passes: bool,
    ) {
        let filter: Filter = filter.parse().unwrap();
        assert_eq!(filter.passes(&inbound_leg()), passes, "{filter}");
    }

    #[test]
    fn messages_offer_their_sender_recipients_and_inbox() {
        let data = json!({
            "inbox": {"id": 1, "extension_id": null, "did": "+15550000003"},
            "from": {"type": "did", "id": "+15550000001"},
            "to": [{"type": "did", "id": "+15550000002"}]
        });
        let numbers: Vec<String> = phone_numbers(&data).into_iter().collect();
        assert_eq!(numbers, ["+15550000001", "+15550000002", "+15550000003"]);
        // A call log carries none: a number filter holds it back.
        let call_log = json!({"uuid": "11111111-1111-1111-1111-111111111111"});
        assert!(
            !"number:match:%"
                .parse::<Filter>()
                .unwrap()
                .passes(&call_log)
        );
        assert!(
            "not:number:match:%"
                .parse::<Filter>()
                .unwrap()
                .passes(&call_log)
        );
    }

    #[rstest]
    #[case("number:eq:15550000002", "is not a phone number")]
    #[case("number:in:+1|x", "is not a phone number")]
    #[case("number:like:+1", "is not `number:eq")]
    #[case("colour:eq:+1", "is not `number:eq")]
    #[case("number", "is not `number:eq")]
    #[case("schedule:id:42", "schedule filters")]
    fn mistakes_are_named(#[case] text: &str, #[case] expected: &str) {
        let error = text.parse::<Filter>().unwrap_err().to_string();
        assert!(error.contains(expected), "{error}");
    }

    #[test]
    fn filters_print_as_written() {
        for text in ["number:eq:+1555", "not:number:in:+1|+2", "number:match:+1%"] {
            assert_eq!(text.parse::<Filter>().unwrap().to_string(), text);
        }
    }
}
