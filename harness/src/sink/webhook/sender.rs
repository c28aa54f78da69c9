//! Delivering rendered events to listeners, as Phone.com does: each event,
//! in order, POSTed to every listener that wants it.

use hyper::StatusCode;
use serde_json::json;

use super::client::post_json;
use super::listener::Listener;
use super::options::{DeliveryOptions, RateWindow};
use super::report::{DeliveryReport, Failure, FailureReason, ListenerCounts};
use crate::dialect::phonecom::Rendered;

/// The body Phone.com POSTs when a callback is created.
pub fn check_body() -> serde_json::Value {
    json!({"test": 1})
}

/// Delivers `rendered` to `listeners`: checks each callback first (unless
/// told not to), then sends every event to each listener whose context and
/// subscriptions want it. A failure is recorded and delivery goes on.
pub async fn deliver(
    rendered: &Rendered,
    listeners: &[Listener],
    options: &DeliveryOptions,
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
    for event in &rendered.events {
        let mut wanted = false;
        for (position, listener) in listeners.iter().enumerate() {
            if !listener.wants(event) {
                continue;
            }
            wanted = true;
            let counts = &mut report.listeners[position];
            counts.matched += 1;
            let failure = if !counts.checked {
                counts.not_sent += 1;
                FailureReason::CallbackUnchecked
            } else if windows[position]
                .as_mut()
                .is_some_and(|window| !window.admit(event.timestamp_ns))
            {
                counts.suppressed += 1;
                continue;
            } else {
                let context = listener.context.context(rendered.account_id);
                // A `Value` always serialises.
                let body =
                    serde_json::to_vec(&event.envelope(listener.id, &context)).unwrap_or_default();
                match post_json(&listener.url, &options.headers, body, options.timeout).await {
                    Ok(status) if status.is_success() => {
                        counts.delivered += 1;
                        continue;
                    }
                    Ok(status) => FailureReason::Status(status),
                    Err(error) => FailureReason::NoAnswer(error),
                }
            };
            if !matches!(failure, FailureReason::CallbackUnchecked) {
                counts.failed += 1;
            }
            let failure = Failure {
                listener_id: listener.id,
                event_index: Some(event.index),
                tags: event.tags.clone(),
                reason: failure,
            };
            tracing::warn!("{failure}");
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
    tracing::warn!("{failure}");
    report.failures.push(failure);
    false
}
