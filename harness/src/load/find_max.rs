//! `--find-max`: ramp the rate step by step until the broker falls behind.
//!
//! Each step is a complete run of its own (fresh connections and queues) at
//! the previous rate times the ramp factor. A step is *sustained* when
//! publishing kept up with the target, publish→confirm p99 stayed under
//! the threshold, the consumers' lag stayed under its threshold, and nothing
//! was lost. The ramp stops at the first step that is not, and the answer
//! is the rate of the last sustained one.

use std::time::Duration;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::arrival::Rate;
use super::options::LoadOptions;
use super::report::LoadReport;
use super::run::{LoadError, Observer, run};
use super::source::InstanceSource;

/// How to ramp.
#[derive(Debug, Clone, PartialEq)]
pub struct RampOptions {
    /// Each step's rate is the previous one times this (> 1).
    pub factor: f64,
    /// How long each step lasts.
    pub step: Duration,
    /// The most steps to try.
    pub max_steps: usize,
    /// Publish→confirm p99 past this means the broker fell behind.
    pub max_confirm_p99: Duration,
    /// Consumer lag past this (messages) means the consumers fell behind.
    pub max_lag: u64,
    /// Fraction of the target message rate publishing must reach.
    pub min_achieved: f64,
}

impl Default for RampOptions {
    fn default() -> Self {
        Self {
            factor: 1.5,
            step: Duration::from_secs(5),
            max_steps: 12,
            max_confirm_p99: Duration::from_millis(100),
            max_lag: 10_000,
            min_achieved: 0.9,
        }
    }
}

/// One step of the ramp.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RampStep {
    /// The target rate, in the unit of [`FindMaxReport::unit`].
    pub rate: f64,
    /// Messages published per second.
    pub published_per_s: f64,
    /// Target messages per second.
    pub target_events_per_s: f64,
    /// Publish→confirm p99, ms (none without confirms).
    pub confirm_p99_ms: Option<f64>,
    /// Largest consumer lag sampled.
    pub max_lag: u64,
    /// Messages lost or never sent.
    pub lost: u64,
    /// Whether the broker kept up.
    pub sustained: bool,
    /// Why not, when it did not.
    pub reason: Option<String>,
}

/// The ramp's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindMaxReport {
    /// `instances/s` or `events/s`.
    pub unit: &'static str,
    /// Every step tried.
    pub steps: Vec<RampStep>,
    /// The highest sustained rate (none if even the first step was not).
    pub highest_sustained: Option<f64>,
    /// Whether a step fell behind: without one, the highest sustained rate
    /// is only a lower bound.
    pub limit_reached: bool,
    /// The report of the last sustained step.
    pub best: Option<LoadReport>,
}

impl FindMaxReport {
    /// The ramp for people.
    pub fn to_text(&self) -> String {
        let mut out = format!("switchboard load --find-max ({})\n", self.unit);
        out.push_str(
            "  step      rate   published/s   confirm p99 ms   max lag   lost   verdict\n",
        );
        for (index, step) in self.steps.iter().enumerate() {
            let p99 = step
                .confirm_p99_ms
                .map_or_else(|| "-".to_owned(), |p99| format!("{p99:.2}"));
            let verdict = match &step.reason {
                None => "sustained".to_owned(),
                Some(reason) => format!("behind: {reason}"),
            };
            out.push_str(&format!(
                "  {:>4} {:>9.0} {:>13.0} {:>16} {:>9} {:>6}   {verdict}\n",
                index + 1,
                step.rate,
                step.published_per_s,
                p99,
                step.max_lag,
                step.lost
            ));
        }
        match self.highest_sustained {
            Some(rate) => out.push_str(&format!(
                "highest sustainable rate: {rate:.0} {}\n",
                self.unit
            )),
            None => out.push_str("the broker fell behind at the first step: try a lower --rate\n"),
        }
        out
    }
}

/// Judges one step's report.
pub fn judge(report: &LoadReport, ramp: &RampOptions) -> Result<(), String> {
    let target = report.rates.target_events_per_s;
    if report.rates.published_per_s < target * ramp.min_achieved {
        return Err(format!(
            "published {:.0}/s of a {target:.0}/s target",
            report.rates.published_per_s
        ));
    }
    let limit_ms = ramp.max_confirm_p99.as_secs_f64() * 1000.0;
    if let Some(latency) = report.confirm_latency
        && latency.p99_ms > limit_ms
    {
        return Err(format!(
            "confirm p99 {:.1}ms > {limit_ms:.1}ms",
            latency.p99_ms
        ));
    }
    if report.consumers > 0 && report.max_lag > ramp.max_lag {
        return Err(format!(
            "consumer lag {} > {}",
            report.max_lag, ramp.max_lag
        ));
    }
    let lost = report.ledger.lost() + report.ledger.not_sent;
    if lost > 0 {
        return Err(format!("{lost} messages lost or not sent"));
    }
    Ok(())
}

/// Ramps from `options.rate` by `ramp.factor` until a step is not sustained.
pub async fn find_max(
    options: &LoadOptions,
    source: &InstanceSource,
    ramp: &RampOptions,
    cancel: &CancellationToken,
    observer: Option<Observer<'_>>,
) -> Result<FindMaxReport, LoadError> {
    if !(ramp.factor > 1.0 && ramp.factor.is_finite()) {
        return Err(LoadError::Invalid(
            "the ramp factor must be above 1".to_owned(),
        ));
    }
    let start: Rate = options.rate;
    let mut steps = Vec::new();
    let mut highest = None;
    let mut best = None;
    for index in 0..ramp.max_steps {
        if cancel.is_cancelled() {
            break;
        }
        let rate = start.scaled(ramp.factor.powi(index as i32));
        let mut step_options = options.clone();
        step_options.rate = rate;
        step_options.duration = Some(ramp.step);
        step_options.count = None;
        let report = run(&step_options, source.clone(), cancel, observer).await?;
        let verdict = judge(&report, ramp);
        steps.push(RampStep {
            rate: rate.per_second(),
            published_per_s: report.rates.published_per_s,
            target_events_per_s: report.rates.target_events_per_s,
            confirm_p99_ms: report.confirm_latency.map(|latency| latency.p99_ms),
            max_lag: report.max_lag,
            lost: report.ledger.lost() + report.ledger.not_sent,
            sustained: verdict.is_ok(),
            reason: verdict.as_ref().err().cloned(),
        });
        if verdict.is_err() || report.interrupted {
            break;
        }
        highest = Some(rate.per_second());
        best = Some(report);
    }
    let limit_reached = steps.last().is_some_and(|step| !step.sustained);
    Ok(FindMaxReport {
        unit: start.unit(),
        limit_reached,
        steps,
        highest_sustained: highest,
        best,
    })
}
