//! Latency histograms (HDR) and the counters the live line and the report read.
//!
//! Latencies are recorded in microseconds in HDR histograms with three
//! significant digits, from 1 µs to one hour: percentiles stay exact to
//! 0.1 % whatever the spread, and recording is a constant-time increment.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// The largest latency a histogram holds; longer ones are recorded as this.
const HIGHEST_MICROS: u64 = 3_600_000_000;

/// A latency histogram that several tasks record into.
#[derive(Debug)]
pub struct LatencyHistogram {
    histogram: Mutex<Histogram<u64>>,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self {
            histogram: Mutex::new(empty_histogram()),
        }
    }
}

fn empty_histogram() -> Histogram<u64> {
    // Constant, valid bounds (low ≥ 1, high ≥ 2·low, 3 digits): this cannot fail.
    Histogram::new_with_bounds(1, HIGHEST_MICROS, 3).expect("constant histogram bounds are valid")
}

impl LatencyHistogram {
    fn lock(&self) -> MutexGuard<'_, Histogram<u64>> {
        self.histogram
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Records one latency.
    pub fn record(&self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.lock().saturating_record(micros.max(1));
    }

    /// Records several latencies under one lock.
    pub fn record_all(&self, latencies: impl IntoIterator<Item = Duration>) {
        let mut histogram = self.lock();
        for latency in latencies {
            let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
            histogram.saturating_record(micros.max(1));
        }
    }

    /// Adds every value of `other` (a task's own histogram) to this one.
    pub fn merge(&self, other: &Histogram<u64>) {
        // Both have the same bounds, so adding cannot fail.
        let _ = self.lock().add(other);
    }

    /// An empty histogram with the same bounds, for a task to fill on its own.
    pub fn local() -> Histogram<u64> {
        empty_histogram()
    }

    /// Records one latency given in microseconds.
    pub fn record_micros(&self, micros: u64) {
        self.lock().saturating_record(micros.max(1));
    }

    /// The percentiles so far, or `None` when nothing was recorded.
    pub fn summary(&self) -> Option<LatencySummary> {
        LatencySummary::of(&self.lock())
    }

    /// The 99th percentile so far (zero when empty), for the live line.
    pub fn p99(&self) -> Duration {
        let histogram = self.lock();
        Duration::from_micros(if histogram.is_empty() {
            0
        } else {
            histogram.value_at_quantile(0.99)
        })
    }
}

/// A latency distribution, as reported.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LatencySummary {
    /// How many latencies were recorded.
    pub count: u64,
    /// Median, in milliseconds.
    pub p50_ms: f64,
    /// 90th percentile, in milliseconds.
    pub p90_ms: f64,
    /// 99th percentile, in milliseconds.
    pub p99_ms: f64,
    /// 99.9th percentile, in milliseconds.
    pub p999_ms: f64,
    /// The largest, in milliseconds.
    pub max_ms: f64,
}

impl LatencySummary {
    /// The percentiles of `histogram` (microseconds), or `None` when empty.
    pub fn of(histogram: &Histogram<u64>) -> Option<Self> {
        if histogram.is_empty() {
            return None;
        }
        let ms = |micros: u64| micros as f64 / 1000.0;
        Some(Self {
            count: histogram.len(),
            p50_ms: ms(histogram.value_at_quantile(0.50)),
            p90_ms: ms(histogram.value_at_quantile(0.90)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            p999_ms: ms(histogram.value_at_quantile(0.999)),
            max_ms: ms(histogram.max()),
        })
    }

    /// The value of a percentile by name (`p50`, `p90`, `p99`, `p99.9`, `max`), in ms.
    pub fn get(&self, name: &str) -> Option<f64> {
        Some(match name {
            "p50" => self.p50_ms,
            "p90" => self.p90_ms,
            "p99" => self.p99_ms,
            "p99.9" => self.p999_ms,
            "max" => self.max_ms,
            _ => return None,
        })
    }
}

/// Counters every task bumps; read by the live line and the per-second series.
#[derive(Debug, Default)]
pub struct Counters {
    /// Instances started.
    pub instances: AtomicU64,
    /// Messages handed to the broker.
    pub published: AtomicU64,
    /// Confirms received (acks).
    pub confirmed: AtomicU64,
    /// Nacks received.
    pub nacked: AtomicU64,
    /// Deliveries received by the consumers (duplicates included).
    pub consumed: AtomicU64,
    /// Publish or consume errors (each followed by a reconnection).
    pub errors: AtomicU64,
}

impl Counters {
    /// Adds one to `counter`.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// A consistent-enough reading of every counter.
    pub fn read(&self) -> CounterValues {
        CounterValues {
            instances: self.instances.load(Ordering::Relaxed),
            published: self.published.load(Ordering::Relaxed),
            confirmed: self.confirmed.load(Ordering::Relaxed),
            nacked: self.nacked.load(Ordering::Relaxed),
            consumed: self.consumed.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
        }
    }
}

/// The counters' values at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CounterValues {
    /// Instances started.
    pub instances: u64,
    /// Messages handed to the broker.
    pub published: u64,
    /// Confirms received.
    pub confirmed: u64,
    /// Nacks received.
    pub nacked: u64,
    /// Deliveries received (duplicates included).
    pub consumed: u64,
    /// Errors met.
    pub errors: u64,
}

/// Everything measured during a run, shared by its tasks.
#[derive(Debug, Default)]
pub struct Metrics {
    /// The counters.
    pub counters: Counters,
    /// Publish → confirm.
    pub confirm_latency: LatencyHistogram,
    /// Publish → delivery to a consumer (from the header timestamp).
    pub deliver_latency: LatencyHistogram,
    /// How late each message was handed to the broker, against its schedule:
    /// large values mean the generator (or its connections) is the bottleneck.
    pub schedule_lag: LatencyHistogram,
}

/// CPU time (user + system) this process has used so far, from
/// `/proc/self/stat` on Linux (whose USER_HZ is 100); `None` elsewhere.
/// The report divides it by the messages published: the generator's cost.
pub fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The name (field 2) is in parentheses and may hold spaces: skip past it.
    let (_, after_name) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15: 12th and 13th after the name.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_percentiles_in_milliseconds() {
        let histogram = LatencyHistogram::default();
        assert!(histogram.summary().is_none());
        for millis in 1..=1000 {
            histogram.record(Duration::from_millis(millis));
        }
        let summary = histogram.summary().unwrap();
        assert_eq!(summary.count, 1000);
        // Three significant digits: within 0.1 % of the exact percentile.
        let close = |actual: f64, exact: f64| (actual - exact).abs() <= exact * 0.001;
        assert!(close(summary.p50_ms, 500.0), "{summary:?}");
        assert!(close(summary.p90_ms, 900.0), "{summary:?}");
        assert!(close(summary.p99_ms, 990.0), "{summary:?}");
        assert!(close(summary.p999_ms, 999.0), "{summary:?}");
        assert!(close(summary.max_ms, 1000.0), "{summary:?}");
        assert_eq!(summary.get("p99.9"), Some(summary.p999_ms));
        assert_eq!(summary.get("p42"), None);
        assert!(close(histogram.p99().as_secs_f64() * 1000.0, 990.0));
    }

    #[test]
    fn reads_this_process_cpu_time_on_linux() {
        if cfg!(target_os = "linux") {
            let cpu = process_cpu_seconds().unwrap();
            assert!((0.0..1e6).contains(&cpu));
        }
    }

    #[test]
    fn out_of_range_latencies_are_clamped_not_dropped() {
        let histogram = LatencyHistogram::default();
        histogram.record(Duration::ZERO);
        histogram.record(Duration::from_secs(10 * 3600));
        let summary = histogram.summary().unwrap();
        assert_eq!(summary.count, 2);
        assert!(summary.max_ms >= 3_600_000.0 * 0.999);
    }
}
