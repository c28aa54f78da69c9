//! Listeners: a callback URL, the subscriptions that choose what it gets,
//! and the context (account or extension) it belongs to.
//!
//! On the command line a listener is written
//! `id=1000,url=http://127.0.0.1:8080/hook,tags=call+inbound,tags=message,context=extension:555`:
//! fields separated by commas, `tags` repeatable (one subscription each),
//! `filter` repeatable (all must pass, see [`super::filter`]).

use std::str::FromStr;

use url::Url;

use super::filter::{Filter, FilterError, all_pass};
use super::subscription::{Subscription, SubscriptionError, any_matches};
use crate::catalog::phonecom::{Context, ContextType};
use crate::dialect::phonecom::PhonecomEvent;

/// Where a listener belongs, which decides what it may receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListenerContext {
    /// The whole account: every event. With an id, the context shows that
    /// account id instead of the one generated from the seed.
    #[default]
    Account,
    /// The whole account, shown with this id.
    AccountId(u64),
    /// One extension: only the events that concern it.
    Extension(u64),
}

impl ListenerContext {
    /// The `context` object of the envelope, for the rendered account.
    pub fn context(&self, account_id: u64) -> Context {
        match *self {
            ListenerContext::Account => Context {
                kind: ContextType::Account,
                id: account_id,
                voip_id: account_id,
            },
            ListenerContext::AccountId(id) => Context {
                kind: ContextType::Account,
                id,
                voip_id: id,
            },
            ListenerContext::Extension(id) => Context {
                kind: ContextType::Extension,
                id,
                voip_id: account_id,
            },
        }
    }

    /// Whether an event is visible in this context.
    pub fn sees(&self, event: &PhonecomEvent) -> bool {
        match self {
            ListenerContext::Account | ListenerContext::AccountId(_) => true,
            ListenerContext::Extension(id) => !event.account_only && event.extensions.contains(id),
        }
    }
}

/// A webhook listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// The listener id (`listener_id` in every event it receives).
    pub id: u64,
    /// The callback URL events are POSTed to (`http://` only).
    pub url: Url,
    /// What it subscribes to; an event is sent once if any matches.
    pub subscriptions: Vec<Subscription>,
    /// The account or extension it belongs to.
    pub context: ListenerContext,
    /// Its filters: an event must pass all of them (none: every event).
    pub filters: Vec<Filter>,
}

/// A listener written wrongly; each says which part and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ListenerError {
    /// A required field is absent.
    #[error(
        "listener \"{spec}\" has no `{field}=`; write e.g. `id=1000,url=http://127.0.0.1:8080/hook,tags=call+inbound`"
    )]
    Missing {
        /// The listener as written.
        spec: String,
        /// `id`, `url` or `tags`.
        field: &'static str,
    },
    /// A part is not `name=value` with a known name.
    #[error(
        "listener \"{spec}\": unknown part \"{part}\"; the parts are id=, url=, tags= (repeatable), filter= (repeatable) and context="
    )]
    UnknownPart {
        /// The listener as written.
        spec: String,
        /// The part at fault.
        part: String,
    },
    /// `id` or `url` given twice.
    #[error("listener \"{spec}\" gives `{field}=` twice")]
    Repeated {
        /// The listener as written.
        spec: String,
        /// The field.
        field: &'static str,
    },
    /// The id is not a number.
    #[error("listener id \"{0}\" is not a number")]
    BadId(String),
    /// The URL does not parse.
    #[error("callback URL \"{url}\" is not a URL: {source}")]
    BadUrl {
        /// The URL as written.
        url: String,
        /// Why it does not parse.
        #[source]
        source: url::ParseError,
    },
    /// Only plain HTTP callbacks can be reached.
    #[error(
        "callback URL \"{0}\" is not http://; switchboard delivers to http:// callbacks only (no TLS)"
    )]
    NotHttp(String),
    /// A subscription is malformed.
    #[error(transparent)]
    Subscription(#[from] SubscriptionError),
    /// A filter is malformed.
    #[error(transparent)]
    Filter(#[from] FilterError),
    /// The context is not `account`, `account:ID` or `extension:ID`.
    #[error("listener context \"{0}\" is not `account`, `account:ID` or `extension:ID`")]
    BadContext(String),
}

impl Listener {
    /// Whether this listener receives `event`: its context sees it, a
    /// subscription matches it and every filter passes it.
    pub fn wants(&self, event: &PhonecomEvent) -> bool {
        self.context.sees(event)
            && any_matches(&self.subscriptions, &event.tags)
            && all_pass(&self.filters, &event.data)
    }
}

/// Parses a callback URL, refusing anything but `http://` with a host.
pub fn callback_url(text: &str) -> Result<Url, ListenerError> {
    let url = Url::parse(text).map_err(|source| ListenerError::BadUrl {
        url: text.to_string(),
        source,
    })?;
    if url.scheme() != "http" || url.host_str().is_none() {
        return Err(ListenerError::NotHttp(text.to_string()));
    }
    Ok(url)
}

impl FromStr for ListenerContext {
    type Err = ListenerError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || ListenerError::BadContext(text.to_string());
        match text.split_once(':') {
            None if text == "account" => Ok(ListenerContext::Account),
            None => Err(bad()),
            Some((kind, id)) => {
                let id: u64 = id.parse().map_err(|_| bad())?;
                match kind {
                    "account" => Ok(ListenerContext::AccountId(id)),
                    "extension" => Ok(ListenerContext::Extension(id)),
                    _ => Err(bad()),
                }
            }
        }
    }
}

impl FromStr for Listener {
    type Err = ListenerError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let (mut id, mut url, mut context) = (None, None, None);
        let (mut subscriptions, mut filters) = (Vec::new(), Vec::new());
        for part in spec
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
        {
            let repeated = |field| ListenerError::Repeated {
                spec: spec.to_string(),
                field,
            };
            match part.split_once('=') {
                Some(("id", value)) => {
                    if id.is_some() {
                        return Err(repeated("id"));
                    }
                    id = Some(
                        value
                            .parse::<u64>()
                            .map_err(|_| ListenerError::BadId(value.to_string()))?,
                    );
                }
                Some(("url", value)) => {
                    if url.is_some() {
                        return Err(repeated("url"));
                    }
                    url = Some(callback_url(value)?);
                }
                Some(("tags", value)) => subscriptions.push(value.parse()?),
                Some(("filter", value)) => filters.push(value.parse()?),
                Some(("context", value)) => {
                    if context.is_some() {
                        return Err(repeated("context"));
                    }
                    context = Some(value.parse()?);
                }
                _ => {
                    return Err(ListenerError::UnknownPart {
                        spec: spec.to_string(),
                        part: part.to_string(),
                    });
                }
            }
        }
        let missing = |field| ListenerError::Missing {
            spec: spec.to_string(),
            field,
        };
        if subscriptions.is_empty() {
            return Err(missing("tags"));
        }
        Ok(Listener {
            id: id.ok_or_else(|| missing("id"))?,
            url: url.ok_or_else(|| missing("url"))?,
            subscriptions,
            context: context.unwrap_or_default(),
            filters,
        })
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[test]
    fn a_listener_parses_with_several_subscriptions_and_a_context() {
        let listener: Listener =
            "id=1000,url=http://127.0.0.1:8080/hook,tags=call+inbound,tags=message,context=extension:555"
                .parse()
                .unwrap();
        assert_eq!(listener.id, 1000);
        assert_eq!(listener.url.as_str(), "http://127.0.0.1:8080/hook");
        let subscriptions: Vec<String> = listener
            .subscriptions
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(subscriptions, ["call+inbound", "message"]);
        assert_eq!(listener.context, ListenerContext::Extension(555));
        assert!(listener.filters.is_empty());
        let filtered: Listener =
            "id=1,url=http://h/,tags=call,filter=number:eq:+15550000002,filter=not:number:match:+1800%"
                .parse()
                .unwrap();
        let filters: Vec<String> = filtered.filters.iter().map(ToString::to_string).collect();
        assert_eq!(
            filters,
            ["number:eq:+15550000002", "not:number:match:+1800%"]
        );
        assert_eq!(listener.context.context(42).voip_id, 42);
    }

    #[rstest]
    #[case("url=http://h/,tags=call", "no `id=`")]
    #[case("id=1,tags=call", "no `url=`")]
    #[case("id=1,url=http://h/", "no `tags=`")]
    #[case("id=x,url=http://h/,tags=call", "listener id \"x\" is not a number")]
    #[case("id=1,url=https://h/,tags=call", "is not http://")]
    #[case("id=1,url=nope,tags=call", "is not a URL")]
    #[case("id=1,url=http://h/,tags=call+", "empty tag")]
    #[case(
        "id=1,url=http://h/,tags=call,colour=red",
        "unknown part \"colour=red\""
    )]
    #[case("id=1,id=2,url=http://h/,tags=call", "gives `id=` twice")]
    #[case("id=1,url=http://h/,tags=call,context=team:3", "is not `account`")]
    #[case(
        "id=1,url=http://h/,tags=call,filter=number:eq:5",
        "is not a phone number"
    )]
    #[case(
        "id=1,url=http://h/,tags=call,filter=schedule:id:3",
        "schedule filters"
    )]
    fn mistakes_are_named(#[case] spec: &str, #[case] expected: &str) {
        let error = spec.parse::<Listener>().unwrap_err().to_string();
        assert!(error.contains(expected), "{error}");
    }
}
