//! The headers exchange: binding arguments against message headers.
//!
//! `x-match` = `all` (the default) needs every non-`x-` argument to be present
//! with an equal value; `any` needs one. `all-with-x` / `any-with-x` also
//! compare arguments starting with `x-`, as RabbitMQ 3.10+ does. An argument
//! of type void matches on presence alone. Integers compare by value whatever
//! their width, strings whether short or long, as RabbitMQ's type classes do.

use amq_protocol::types::{AMQPValue, FieldTable, ShortString};

use super::Destination;
use crate::error::{AmqpException, AmqpResult, ReplyCode};

#[derive(Debug, Default)]
pub(crate) struct HeadersRouter {
    bindings: Vec<(HeadersMatch, Destination)>,
}

impl HeadersRouter {
    pub(crate) fn bind(&mut self, arguments: &FieldTable, destination: Destination) {
        // Arguments were validated by `Router::validate` before binding.
        if let Ok(matcher) = HeadersMatch::parse(arguments) {
            self.bindings.push((matcher, destination));
        }
    }

    pub(crate) fn unbind(&mut self, arguments: &FieldTable, destination: &Destination) {
        if let Ok(matcher) = HeadersMatch::parse(arguments)
            && let Some(position) = self
                .bindings
                .iter()
                .position(|(m, d)| m == &matcher && d == destination)
        {
            self.bindings.remove(position);
        }
    }

    pub(crate) fn route(&self, headers: Option<&FieldTable>, out: &mut Vec<Destination>) {
        let empty = FieldTable::default();
        let headers = headers.unwrap_or(&empty);
        for (matcher, destination) in &self.bindings {
            if matcher.matches(headers) {
                out.push(destination.clone());
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    All,
    Any,
}

/// A parsed headers binding.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct HeadersMatch {
    mode: Mode,
    with_x: bool,
    arguments: Vec<(ShortString, AMQPValue)>,
}

impl HeadersMatch {
    pub(crate) fn parse(arguments: &FieldTable) -> AmqpResult<Self> {
        let (mode, with_x) = match arguments.inner().get("x-match") {
            None => (Mode::All, false),
            Some(value) => match string_value(value).as_deref() {
                Some(b"all") => (Mode::All, false),
                Some(b"any") => (Mode::Any, false),
                Some(b"all-with-x") => (Mode::All, true),
                Some(b"any-with-x") => (Mode::Any, true),
                _ => {
                    return Err(AmqpException::new(
                        ReplyCode::PreconditionFailed,
                        format!(
                            "Invalid x-match field value {value:?}; expected all, any, all-with-x, or any-with-x"
                        ),
                    ));
                }
            },
        };
        let arguments = arguments
            .inner()
            .iter()
            .filter(|(key, _)| key.as_str() != "x-match")
            .filter(|(key, _)| with_x || !key.as_str().starts_with("x-"))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        Ok(Self {
            mode,
            with_x,
            arguments,
        })
    }

    fn matches(&self, headers: &FieldTable) -> bool {
        let mut each = self.arguments.iter().map(|(key, expected)| {
            headers
                .inner()
                .get(key.as_str())
                .is_some_and(|actual| value_matches(expected, actual))
        });
        match self.mode {
            Mode::All => each.all(|matched| matched),
            Mode::Any => each.any(|matched| matched),
        }
    }
}

fn value_matches(expected: &AMQPValue, actual: &AMQPValue) -> bool {
    if matches!(expected, AMQPValue::Void) {
        return true;
    }
    if let (Some(a), Some(b)) = (integer_value(expected), integer_value(actual)) {
        return a == b;
    }
    if let (Some(a), Some(b)) = (string_value(expected), string_value(actual)) {
        return a == b;
    }
    expected == actual
}

fn integer_value(value: &AMQPValue) -> Option<i128> {
    Some(match value {
        AMQPValue::ShortShortInt(v) => i128::from(*v),
        AMQPValue::ShortShortUInt(v) => i128::from(*v),
        AMQPValue::ShortInt(v) => i128::from(*v),
        AMQPValue::ShortUInt(v) => i128::from(*v),
        AMQPValue::LongInt(v) => i128::from(*v),
        AMQPValue::LongUInt(v) => i128::from(*v),
        AMQPValue::LongLongInt(v) => i128::from(*v),
        _ => return None,
    })
}

fn string_value(value: &AMQPValue) -> Option<std::borrow::Cow<'_, [u8]>> {
    match value {
        AMQPValue::ShortString(s) => Some(std::borrow::Cow::Borrowed(s.as_str().as_bytes())),
        AMQPValue::LongString(s) => Some(std::borrow::Cow::Borrowed(s.as_bytes())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn table(entries: &[(&str, AMQPValue)]) -> FieldTable {
        let mut table = FieldTable::default();
        for (key, value) in entries {
            table.insert((*key).into(), value.clone());
        }
        table
    }

    fn text(s: &str) -> AMQPValue {
        AMQPValue::LongString(s.into())
    }

    #[rstest]
    #[case::all_present(&[("x-match", text("all")), ("a", text("1")), ("b", text("2"))], &[("a", text("1")), ("b", text("2")), ("c", text("3"))], true)]
    #[case::all_one_missing(&[("x-match", text("all")), ("a", text("1")), ("b", text("2"))], &[("a", text("1"))], false)]
    #[case::all_is_default(&[("a", text("1")), ("b", text("2"))], &[("a", text("1"))], false)]
    #[case::any_one(&[("x-match", text("any")), ("a", text("1")), ("b", text("2"))], &[("b", text("2"))], true)]
    #[case::any_none(&[("x-match", text("any")), ("a", text("1"))], &[("a", text("2"))], false)]
    #[case::void_is_presence(&[("a", AMQPValue::Void)], &[("a", text("anything"))], true)]
    #[case::int_widths(&[("n", AMQPValue::LongInt(5))], &[("n", AMQPValue::ShortShortUInt(5))], true)]
    #[case::short_vs_long_string(&[("s", AMQPValue::ShortString("v".into()))], &[("s", text("v"))], true)]
    #[case::x_args_ignored(&[("x-match", text("all")), ("x-other", text("1"))], &[], true)]
    #[case::x_args_with_x(&[("x-match", text("all-with-x")), ("x-other", text("1"))], &[], false)]
    #[case::all_empty_matches(&[], &[], true)]
    #[case::any_empty_never(&[("x-match", text("any"))], &[("a", text("1"))], false)]
    fn headers_matching(
        #[case] binding: &[(&str, AMQPValue)],
        #[case] headers: &[(&str, AMQPValue)],
        #[case] expected: bool,
    ) {
        let matcher = HeadersMatch::parse(&table(binding)).unwrap();
        assert_eq!(matcher.matches(&table(headers)), expected);
    }

    #[test]
    fn bad_x_match_is_a_precondition_failure() {
        let error = HeadersMatch::parse(&table(&[("x-match", text("most"))])).unwrap_err();
        assert_eq!(error.code, ReplyCode::PreconditionFailed);
    }
}
