//! [`LoadReport`]: what a run measured, as text for people and JSON for CI.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use super::ledger::LedgerReport;
use super::link::Outage;
use super::metrics::{CounterValues, LatencySummary};
use super::run::Shared;

/// One second of the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    /// Seconds since the run started (end of the interval).
    pub t_s: f64,
    /// Messages published per second during the interval.
    pub published_per_s: f64,
    /// Confirms received per second.
    pub confirmed_per_s: f64,
    /// Deliveries per second.
    pub consumed_per_s: f64,
    /// Messages routed to consumers and not yet delivered, at the end of the interval.
    pub lag: u64,
    /// Errors so far.
    pub errors: u64,
}

/// How many instances of one scenario the run played.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScenarioCount {
    /// The scenario's name.
    pub scenario: String,
    /// Its weight in the mix.
    pub weight: u32,
    /// Instances started.
    pub instances: u64,
}

/// Facts the run loop gathered, turned into a report by [`LoadReport::new`].
#[derive(Debug)]
pub struct RunFacts {
    /// Instances per scenario.
    pub mix: Vec<ScenarioCount>,
    /// The mix's mean messages per instance.
    pub mean_events_per_instance: f64,
    /// The arrival rate used.
    pub instances_per_second: f64,
    /// Stopped by the user (Ctrl-C).
    pub interrupted: bool,
    /// The whole run, drain included.
    pub elapsed: Duration,
    /// Until the last confirm (or confirm timeout).
    pub publishing: Duration,
    /// Per-second samples.
    pub series: Vec<Sample>,
    /// Connection losses.
    pub outages: Vec<Outage>,
}

/// Mean rates over the publishing phase (consumption: over the whole run).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rates {
    /// Target arrival rate, instances per second.
    pub target_instances_per_s: f64,
    /// Target messages per second (instances × mean messages per instance).
    pub target_events_per_s: f64,
    /// Messages handed to the broker per second.
    pub published_per_s: f64,
    /// Confirms per second.
    pub confirmed_per_s: f64,
    /// Deliveries per second.
    pub consumed_per_s: f64,
    /// The best one-second publish rate.
    pub peak_published_per_s: f64,
}

/// The outcome of one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadReport {
    /// The run's id (prefix of every `message_id`, part of the queue names).
    pub run_id: String,
    /// The brokers, without credentials.
    pub brokers: Vec<String>,
    /// The exchange published on (`wazo-headers` with `--profile wazo`).
    pub exchange: String,
    /// Which wire format (`documented` or `wazo`).
    pub profile: crate::catalog::wazo::Profile,
    /// Publishing connections × channels per connection.
    pub connections: usize,
    /// Channels per connection.
    pub channels: usize,
    /// Whether publisher confirms were on.
    pub confirms: bool,
    /// Consumers per binding.
    pub consumers: usize,
    /// Instances per scenario.
    pub mix: Vec<ScenarioCount>,
    /// Mean messages per instance.
    pub mean_events_per_instance: f64,
    /// Whether Ctrl-C ended the run.
    pub interrupted: bool,
    /// Seconds, drain included.
    pub elapsed_s: f64,
    /// Seconds until publishing (and confirming) ended.
    pub publishing_s: f64,
    /// Final counters.
    pub totals: CounterValues,
    /// Mean and peak rates.
    pub rates: Rates,
    /// Publish→confirm latency (none without confirms).
    pub confirm_latency: Option<LatencySummary>,
    /// Publish→deliver latency (none without consumers).
    pub deliver_latency: Option<LatencySummary>,
    /// How late messages left against their schedule (the generator's own delay).
    pub schedule_lag: Option<LatencySummary>,
    /// The largest consumer lag seen in a one-second sample.
    pub max_lag: u64,
    /// CPU seconds the generator's process used (Linux only).
    pub cpu_s: Option<f64>,
    /// CPU microseconds per published message (Linux only).
    pub cpu_us_per_message: Option<f64>,
    /// The strict ledger.
    pub ledger: LedgerReport,
    /// Connection losses, their gaps and attempts.
    pub outages: Vec<Outage>,
    /// Per-second samples.
    pub series: Vec<Sample>,
}

impl LoadReport {
    /// Builds the report from the run's shared state and facts.
    pub fn new(shared: &Shared, facts: RunFacts) -> Self {
        let options = &shared.options;
        let totals = shared.metrics.counters.read();
        let publishing = facts.publishing.as_secs_f64().max(1e-6);
        let elapsed = facts.elapsed.as_secs_f64().max(1e-6);
        let cpu_s = super::metrics::process_cpu_seconds();
        let max_lag = facts
            .series
            .iter()
            .map(|sample| sample.lag)
            .max()
            .unwrap_or(0);
        let peak = facts
            .series
            .iter()
            .map(|sample| sample.published_per_s)
            .fold(0.0, f64::max);
        Self {
            run_id: shared.run_id.clone(),
            brokers: options.brokers.iter().map(ToString::to_string).collect(),
            exchange: options.topology().publish_exchange().to_owned(),
            profile: options.profile,
            connections: options.connections,
            channels: options.channels,
            confirms: options.confirms,
            consumers: options.consumers.count,
            mix: facts.mix,
            mean_events_per_instance: facts.mean_events_per_instance,
            interrupted: facts.interrupted,
            elapsed_s: facts.elapsed.as_secs_f64(),
            publishing_s: facts.publishing.as_secs_f64(),
            rates: Rates {
                target_instances_per_s: facts.instances_per_second,
                target_events_per_s: facts.instances_per_second * facts.mean_events_per_instance,
                published_per_s: totals.published as f64 / publishing,
                confirmed_per_s: totals.confirmed as f64 / publishing,
                consumed_per_s: totals.consumed as f64 / elapsed,
                peak_published_per_s: peak,
            },
            totals,
            confirm_latency: shared.metrics.confirm_latency.summary(),
            deliver_latency: shared.metrics.deliver_latency.summary(),
            schedule_lag: shared.metrics.schedule_lag.summary(),
            max_lag,
            cpu_s,
            cpu_us_per_message: cpu_s
                .filter(|_| totals.published > 0)
                .map(|cpu| cpu * 1e6 / totals.published as f64),
            ledger: shared.ledger.report(options.confirms),
            outages: facts.outages,
            series: facts.series,
        }
    }

    /// The report for people.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let ledger = &self.ledger;
        let _ = writeln!(
            out,
            "switchboard load: run {}{}",
            self.run_id,
            if self.interrupted {
                " (interrupted)"
            } else {
                ""
            }
        );
        let _ = writeln!(
            out,
            "  brokers      {} · exchange '{}' (profile {}) · {} connection(s) × {} channel(s) · confirms {} · {} consumer(s) per binding",
            self.brokers.join(", "),
            self.exchange,
            self.profile,
            self.connections,
            self.channels,
            if self.confirms { "on" } else { "off" },
            self.consumers
        );
        let mix: Vec<String> = self
            .mix
            .iter()
            .map(|entry| {
                format!(
                    "{}={} ({} instances)",
                    entry.scenario, entry.weight, entry.instances
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "  mix          {} · {:.1} messages/instance",
            mix.join(", "),
            self.mean_events_per_instance
        );
        let _ = writeln!(
            out,
            "  duration     {:.2}s publishing, {:.2}s in all",
            self.publishing_s, self.elapsed_s
        );
        let rates = &self.rates;
        let _ = writeln!(
            out,
            "  rates        target {:.0} instances/s ({:.0} msg/s) · published {:.0}/s (peak {:.0}/s) · confirmed {:.0}/s · consumed {:.0}/s",
            rates.target_instances_per_s,
            rates.target_events_per_s,
            rates.published_per_s,
            rates.peak_published_per_s,
            rates.confirmed_per_s,
            rates.consumed_per_s
        );
        let _ = writeln!(
            out,
            "  latency (ms)         p50      p90      p99    p99.9      max    count"
        );
        for (label, summary) in [
            ("publish→confirm", &self.confirm_latency),
            ("publish→deliver", &self.deliver_latency),
            ("behind schedule", &self.schedule_lag),
        ] {
            match summary {
                Some(s) => {
                    let _ = writeln!(
                        out,
                        "    {label:<16} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8}",
                        s.p50_ms, s.p90_ms, s.p99_ms, s.p999_ms, s.max_ms, s.count
                    );
                }
                None => {
                    let _ = writeln!(out, "    {label:<16} (nothing measured)");
                }
            }
        }
        let _ = writeln!(
            out,
            "  ledger       scheduled {} = published {} + not sent {} (backlog {}, cancelled {}, disconnected {})",
            ledger.scheduled,
            ledger.published,
            ledger.not_sent,
            ledger.not_sent_backlog,
            ledger.not_sent_cancelled,
            ledger.not_sent_disconnected
        );
        let _ = writeln!(
            out,
            "               published {} = confirmed {} + nacked {} + unconfirmed {}{}",
            ledger.published,
            ledger.confirmed,
            ledger.nacked,
            ledger.unconfirmed,
            if self.confirms { "" } else { " (confirms off)" }
        );
        for binding in &ledger.bindings {
            let _ = writeln!(
                out,
                "    bind {:<12} expected {} · delivered {} · lost {} · duplicates {} · unconfirmed delivered {} / missing {} · unexpected {}",
                binding.key,
                binding.expected,
                binding.delivered,
                binding.lost,
                binding.duplicates,
                binding.delivered_unconfirmed,
                binding.missing_unconfirmed,
                binding.unexpected
            );
        }
        if ledger.foreign > 0 {
            let _ = writeln!(
                out,
                "    {} deliveries carried another run's message id",
                ledger.foreign
            );
        }
        if !ledger.bindings.is_empty() {
            let _ = writeln!(
                out,
                "  lag          max {} messages (per-second samples)",
                self.max_lag
            );
        }
        if let (Some(cpu), Some(per_message)) = (self.cpu_s, self.cpu_us_per_message) {
            let _ = writeln!(
                out,
                "  cpu          {cpu:.2}s in all · {per_message:.1} µs per published message"
            );
        }
        if self.outages.is_empty() {
            let _ = writeln!(out, "  outages      none · errors {}", self.totals.errors);
        } else {
            let _ = writeln!(
                out,
                "  outages      {} · errors {}",
                self.outages.len(),
                self.totals.errors
            );
            for outage in &self.outages {
                let gap = outage.gap_s.map_or_else(
                    || "not reconnected".to_owned(),
                    |gap| format!("gap {gap:.3}s"),
                );
                let _ = writeln!(
                    out,
                    "    {} ({}) lost at {:.3}s, {gap}, {} failed attempt(s): {}",
                    outage.connection,
                    outage.broker,
                    outage.lost_at_s,
                    outage.attempts,
                    outage.reason
                );
            }
        }
        if !ledger.balanced() {
            let _ = writeln!(
                out,
                "  WARNING: the ledger does not balance (a bug in switchboard: please report it)"
            );
        }
        out
    }
}
