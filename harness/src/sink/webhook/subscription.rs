//! Subscriptions: which events a listener receives.
//!
//! A subscription is a set of tags; an event matches it when it carries
//! every one of them (AND logic). A listener with several subscriptions
//! receives an event once if any of them matches.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// A set of tags an event must all carry (`call+inbound`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Subscription {
    tags: BTreeSet<String>,
}

/// A subscription written wrongly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionError {
    /// No tags at all, or an empty one between `+` signs.
    #[error("subscription \"{0}\" has an empty tag; write tags joined by `+`, e.g. `call+inbound`")]
    EmptyTag(String),
}

impl Subscription {
    /// A subscription to events carrying all of `tags`.
    pub fn new<I, S>(tags: I) -> Result<Self, SubscriptionError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let tags: BTreeSet<String> = tags.into_iter().map(Into::into).collect();
        if tags.is_empty() || tags.iter().any(|tag| tag.trim().is_empty()) {
            let written: Vec<&str> = tags.iter().map(String::as_str).collect();
            return Err(SubscriptionError::EmptyTag(written.join("+")));
        }
        Ok(Self { tags })
    }

    /// Whether an event with `event_tags` matches: it carries every tag.
    pub fn matches<S: AsRef<str>>(&self, event_tags: &[S]) -> bool {
        self.tags
            .iter()
            .all(|tag| event_tags.iter().any(|event_tag| event_tag.as_ref() == tag))
    }

    /// The tags, sorted.
    pub fn tags(&self) -> impl Iterator<Item = &str> {
        self.tags.iter().map(String::as_str)
    }
}

impl FromStr for Subscription {
    type Err = SubscriptionError;

    /// `call+inbound`: tags joined by `+`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let tags: Vec<&str> = text.split('+').map(str::trim).collect();
        if tags.iter().any(|tag| tag.is_empty()) {
            return Err(SubscriptionError::EmptyTag(text.to_string()));
        }
        Self::new(tags)
    }
}

impl fmt::Display for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tags: Vec<&str> = self.tags().collect();
        f.write_str(&tags.join("+"))
    }
}

/// Whether any of `subscriptions` matches `event_tags`.
pub fn any_matches<S: AsRef<str>>(subscriptions: &[Subscription], event_tags: &[S]) -> bool {
    subscriptions
        .iter()
        .any(|subscription| subscription.matches(event_tags))
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    const INBOUND_CALL: &[&str] = &[
        "call",
        "completed-call",
        "not-first-leg",
        "inbound",
        "from-did",
        "to-extension",
    ];
    const OUTBOUND_SMS: &[&str] = &[
        "message",
        "sms-message",
        "*ms-message",
        "outbound",
        "sent-message",
    ];
    const INBOUND_MMS: &[&str] = &[
        "message",
        "mms-message",
        "*ms-message",
        "inbound",
        "received-message",
    ];
    const CALL_LOG: &[&str] = &["call-log"];

    // The documentation's examples: `call`+`inbound`, `message`+`outbound`,
    // a lone `inbound`, and `call`+`message`, which nothing carries.
    #[rstest]
    #[case("call+inbound", INBOUND_CALL, true)]
    #[case("call+inbound", OUTBOUND_SMS, false)]
    #[case("call+inbound", INBOUND_MMS, false)]
    #[case("message+outbound", OUTBOUND_SMS, true)]
    #[case("message+outbound", INBOUND_MMS, false)]
    #[case("message+outbound", INBOUND_CALL, false)]
    #[case("inbound", INBOUND_CALL, true)]
    #[case("inbound", INBOUND_MMS, true)]
    #[case("inbound", OUTBOUND_SMS, false)]
    #[case("inbound", CALL_LOG, false)]
    #[case("call+message", INBOUND_CALL, false)]
    #[case("call+message", OUTBOUND_SMS, false)]
    #[case("call+message", INBOUND_MMS, false)]
    #[case("call+message", CALL_LOG, false)]
    #[case("*ms-message", INBOUND_MMS, true)]
    #[case("*ms-message+sms-message", INBOUND_MMS, false)]
    #[case("call-log", CALL_LOG, true)]
    fn subscriptions_match_with_and_logic(
        #[case] subscription: &str,
        #[case] tags: &[&str],
        #[case] expected: bool,
    ) {
        let subscription: Subscription = subscription.parse().unwrap();
        assert_eq!(
            subscription.matches(tags),
            expected,
            "{subscription} vs {tags:?}"
        );
    }

    #[test]
    fn any_of_several_subscriptions_is_enough() {
        let subscriptions: Vec<Subscription> = ["call+message", "call-log"]
            .iter()
            .map(|text| text.parse().unwrap())
            .collect();
        assert!(any_matches(&subscriptions, CALL_LOG));
        assert!(!any_matches(&subscriptions, INBOUND_CALL));
        assert!(!any_matches::<&str>(&[], INBOUND_CALL));
    }

    #[rstest]
    #[case("")]
    #[case("call+")]
    #[case("+inbound")]
    #[case("call++inbound")]
    fn empty_tags_are_refused(#[case] text: &str) {
        let error = text.parse::<Subscription>().unwrap_err().to_string();
        assert!(error.contains("empty tag"), "{error}");
    }
}
