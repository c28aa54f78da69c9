//! Delivering rendered events to listeners, as Phone.com does: each event,
//! in order, POSTed to every listener that wants it.

use std::time::Duration;

use hyper::StatusCode;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::client::post_json;
use super::listener::Listener;
use super::options::{DeliveryOptions, RateWindow};
use super::report::{DeliveryReport, Failure, FailureReason, ListenerCounts};
use crate::dialect::phonecom::{PhonecomEvent, Rendered};

/// The body Phone.com POSTs when a callback is created.
pub fn check_body() -> Value {
    json!({"test": 1})
}

/// What happened to one event for one listener, as it happens.
#[derive(Debug)]
pub struct Outcome<'a> {
    /// The listener.
    pub listener: &'a Listener,
    /// The event.
    pub event: &'a PhonecomEvent,
    /// The envelope as the listener gets (or would have got) it.
    pub envelope: &'a Value,
    /// What became of it.
    pub result: OutcomeResult<'a>,
}

/// The fate of one event for one listener.
#[derive(Debug)]
pub enum OutcomeResult<'a> {
    /// Answered with this 2xx status.
    Delivered(StatusCode),
    /// Over the rate limit: not sent.
    Suppressed,
    /// Failed (no answer, an error status, or the callback failed its check).
    Failed(&'a Failure),
}

/// Delivers `rendered` to `listeners`; see [`deliver_observed`].
pub async fn deliver(
    rendered: &Rendered,
    listeners: &[Listener],
    options: &DeliveryOptions,
) -> DeliveryReport {
    deliver_observed(rendered, listeners, options, |_| {}).await
}

/// Delivers `rendered` to `listeners`: checks each callback first (unless
/// told not to), then sends every event to each listener whose context and
/// subscriptions want it, telling `observe` each outcome as it happens. A
/// failure is recorded and delivery goes on. Failures are logged at debug
/// level only: the report and `observe` are where callers learn of them.
pub async fn deliver_observed(
    rendered: &Rendered,
    listeners: &[Listener],
    options: &DeliveryOptions,
    mut observe: impl FnMut(&Outcome<'_>),
) -> DeliveryReport {
    let mut report = DeliveryReport {
        events: rendered.events.len() as u64,
        ..DeliveryReport::default()
    };
    let mut windows: Vec<Option<RateWindow>> = listeners
        .iter()
        .map(|_| options.rate_limit.map(RateWindow::new))
        .collect();
    for listener in listeners {
        let checked = !options.check_callbacks || check(listener, options, &mut report).await;
        report.listeners.push(ListenerCounts {
            listener_id: listener.id,
            url: listener.url.to_string(),
            checked,
            ..ListenerCounts::default()
        });
    }
    let mut pace = Pace::new(options.speed);
    for event in &rendered.events {
        pace.wait_for(event.timestamp_ns).await;
        let mut wanted = false;
        for (position, listener) in listeners.iter().enumerate() {
            if !listener.wants(event) {
                continue;
            }
            wanted = true;
            let counts = &mut report.listeners[position];
            counts.matched += 1;
            let context = listener.context.context(rendered.account_id);
            let envelope = event.envelope(listener.id, &context);
            let outcome = |result| Outcome {
                listener,
                event,
                envelope: &envelope,
                result,
            };
            let reason = if !counts.checked {
                counts.not_sent += 1;
                FailureReason::CallbackUnchecked
            } else if windows[position]
                .as_mut()
                .is_some_and(|window| !window.admit(event.timestamp_ns))
            {
                counts.suppressed += 1;
                observe(&outcome(OutcomeResult::Suppressed));
                continue;
            } else {
                // A `Value` always serialises.
                let body = serde_json::to_vec(&envelope).unwrap_or_default();
                match post_json(&listener.url, &options.headers, body, options.timeout).await {
                    Ok(status) if status.is_success() => {
                        counts.delivered += 1;
                        observe(&outcome(OutcomeResult::Delivered(status)));
                        continue;
                    }
                    Ok(status) => FailureReason::Status(status),
                    Err(error) => FailureReason::NoAnswer(error),
                }
            };
            if !matches!(reason, FailureReason::CallbackUnchecked) {
                counts.failed += 1;
            }
            let failure = Failure {
                listener_id: listener.id,
                event_index: Some(event.index),
                tags: event.tags.clone(),
                reason,
            };
            tracing::debug!("{failure}");
            observe(&outcome(OutcomeResult::Failed(&failure)));
            report.failures.push(failure);
        }
        if !wanted {
            report.unmatched += 1;
        }
    }
    report
}

/// POSTs `{"test": 1}` and requires 200 or 201; records the failure if not.
async fn check(
    listener: &Listener,
    options: &DeliveryOptions,
    report: &mut DeliveryReport,
) -> bool {
    let body = serde_json::to_vec(&check_body()).unwrap_or_default();
    let reason = match post_json(&listener.url, &options.headers, body, options.timeout).await {
        Ok(StatusCode::OK | StatusCode::CREATED) => return true,
        Ok(status) => FailureReason::Status(status),
        Err(error) => FailureReason::NoAnswer(error),
    };
    let failure = Failure {
        listener_id: listener.id,
        event_index: None,
        tags: Vec::new(),
        reason,
    };
    tracing::debug!("{failure}");
    report.failures.push(failure);
    false
}

/// Real-time pacing: an event goes once its time since the first event,
/// divided by the speed, has passed. Reordered events may step back in
/// time; they go at once.
#[derive(Debug)]
struct Pace {
    speed: f64,
    origin: Option<(Instant, u64)>,
}

impl Pace {
    fn new(speed: f64) -> Self {
        Self {
            speed,
            origin: None,
        }
    }

    async fn wait_for(&mut self, timestamp_ns: u64) {
        if self.speed <= 0.0 || !self.speed.is_finite() {
            return;
        }
        let (started, first_ns) = *self.origin.get_or_insert((Instant::now(), timestamp_ns));
        let elapsed = Duration::from_nanos(timestamp_ns.saturating_sub(first_ns));
        tokio::time::sleep_until(started + elapsed.div_f64(self.speed)).await;
    }
}
