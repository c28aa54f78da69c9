//! What a delivery did: exact counts per listener and every failure, each
//! with the event it concerns. Nothing matched is left uncounted:
//! `matched = delivered + failed + suppressed + not_sent` for every listener.

use std::fmt;

use hyper::StatusCode;

use super::client::PostError;

/// Why one request (an event, or the callback check) did not succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FailureReason {
    /// No answer: refused, timed out, broken off.
    #[error(transparent)]
    NoAnswer(#[from] PostError),
    /// An answer that is not a success (2xx for events, 200/201 for the check).
    #[error("answered {0}")]
    Status(StatusCode),
    /// The event was not sent because the callback failed its check.
    #[error("not sent: the callback failed its {{\"test\": 1}} check")]
    CallbackUnchecked,
}

/// One failed request.
#[derive(Debug)]
pub struct Failure {
    /// The listener.
    pub listener_id: u64,
    /// The event's position in the simulation's order; `None` for the callback check.
    pub event_index: Option<usize>,
    /// The event's tags (empty for the check), to tell which event it was.
    pub tags: Vec<String>,
    /// What went wrong.
    pub reason: FailureReason,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.event_index {
            Some(index) => write!(
                f,
                "listener {}: event #{index} [{}]: {}",
                self.listener_id,
                self.tags.join(" "),
                self.reason
            ),
            None => write!(
                f,
                "listener {}: callback check: {}",
                self.listener_id, self.reason
            ),
        }
    }
}

/// The counts of one listener.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct ListenerCounts {
    /// The listener.
    pub listener_id: u64,
    /// Its callback.
    pub url: String,
    /// Whether its callback passed the `{"test": 1}` check (true when not checked).
    pub checked: bool,
    /// Events its context and subscriptions matched.
    pub matched: u64,
    /// Events it answered with a 2xx.
    pub delivered: u64,
    /// Events sent that failed (no answer, non-2xx).
    pub failed: u64,
    /// Events over the rate limit, not sent.
    pub suppressed: u64,
    /// Events not sent because the callback failed its check.
    pub not_sent: u64,
}

/// The outcome of delivering a rendered scenario.
#[derive(Debug, Default)]
pub struct DeliveryReport {
    /// Events rendered.
    pub events: u64,
    /// Events no listener wanted.
    pub unmatched: u64,
    /// Counts per listener, in the order given.
    pub listeners: Vec<ListenerCounts>,
    /// Every failure, in the order it happened.
    pub failures: Vec<Failure>,
}

impl DeliveryReport {
    /// Whether every matched event was delivered (suppressed ones excepted:
    /// the rate limit is configured behaviour, not a failure).
    pub fn is_ok(&self) -> bool {
        self.failures.is_empty()
    }

    /// Totals over every listener.
    pub fn totals(&self) -> ListenerCounts {
        self.listeners
            .iter()
            .fold(ListenerCounts::default(), |total, counts| ListenerCounts {
                matched: total.matched + counts.matched,
                delivered: total.delivered + counts.delivered,
                failed: total.failed + counts.failed,
                suppressed: total.suppressed + counts.suppressed,
                not_sent: total.not_sent + counts.not_sent,
                ..total
            })
    }
}

impl fmt::Display for DeliveryReport {
    /// The summary: one line per listener.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} events rendered, {} matched no listener",
            self.events, self.unmatched
        )?;
        for counts in &self.listeners {
            write!(
                f,
                "\nlistener {} ({}): {} matched, {} delivered, {} failed, {} suppressed by the rate limit, {} not sent{}",
                counts.listener_id,
                counts.url,
                counts.matched,
                counts.delivered,
                counts.failed,
                counts.suppressed,
                counts.not_sent,
                if counts.checked {
                    ""
                } else {
                    " (callback check failed)"
                },
            )?;
        }
        Ok(())
    }
}
