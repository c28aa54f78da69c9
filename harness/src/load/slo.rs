//! Service-level objectives: `--slo p99<50ms,loss=0`, checked against a report.
//!
//! Each term is `METRIC OP VALUE` with `OP` one of `<`, `<=`, `=`, `>=`, `>`:
//!
//! | metric | meaning | value |
//! |---|---|---|
//! | `p50` `p90` `p99` `p99.9` `max` | publish→confirm latency | a duration (`50ms`, `1s`; a bare number is ms) |
//! | `deliver_p50` … `deliver_max` | publish→deliver latency | a duration |
//! | `loss` `duplicates` `unconfirmed` `nacked` `not_sent` `errors` | ledger counts | a whole number |
//! | `lag` | the largest consumer lag sampled | messages |
//! | `rate` | messages published per second | a number |

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::report::LoadReport;

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Op {
    /// `<`
    #[serde(rename = "<")]
    Less,
    /// `<=`
    #[serde(rename = "<=")]
    AtMost,
    /// `=`
    #[serde(rename = "=")]
    Equal,
    /// `>=`
    #[serde(rename = ">=")]
    AtLeast,
    /// `>`
    #[serde(rename = ">")]
    Greater,
}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Self::Less => "<",
            Self::AtMost => "<=",
            Self::Equal => "=",
            Self::AtLeast => ">=",
            Self::Greater => ">",
        }
    }

    fn holds(self, actual: f64, limit: f64) -> bool {
        match self {
            Self::Less => actual < limit,
            Self::AtMost => actual <= limit,
            Self::Equal => actual == limit,
            Self::AtLeast => actual >= limit,
            Self::Greater => actual > limit,
        }
    }
}

/// What a term measures.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Metric {
    Confirm(&'static str),
    Deliver(&'static str),
    Loss,
    Duplicates,
    Unconfirmed,
    Nacked,
    NotSent,
    Errors,
    Lag,
    Rate,
}

const PERCENTILES: [&str; 5] = ["p50", "p90", "p99", "p99.9", "max"];

impl Metric {
    fn parse(name: &str) -> Option<Self> {
        let percentile = |name: &str| PERCENTILES.iter().copied().find(|p| *p == name);
        if let Some(p) = percentile(name) {
            return Some(Self::Confirm(p));
        }
        if let Some(p) = name.strip_prefix("deliver_").and_then(percentile) {
            return Some(Self::Deliver(p));
        }
        Some(match name {
            "loss" => Self::Loss,
            "duplicates" => Self::Duplicates,
            "unconfirmed" => Self::Unconfirmed,
            "nacked" => Self::Nacked,
            "not_sent" => Self::NotSent,
            "errors" => Self::Errors,
            "lag" => Self::Lag,
            "rate" => Self::Rate,
            _ => return None,
        })
    }

    fn is_latency(&self) -> bool {
        matches!(self, Self::Confirm(_) | Self::Deliver(_))
    }

    /// The measured value (ms for latencies), or `None` when not measured.
    fn measure(&self, report: &LoadReport) -> Option<f64> {
        let ledger = &report.ledger;
        Some(match self {
            Self::Confirm(p) => report.confirm_latency?.get(p)?,
            Self::Deliver(p) => report.deliver_latency?.get(p)?,
            Self::Loss => ledger.lost() as f64,
            Self::Duplicates => ledger.duplicates() as f64,
            Self::Unconfirmed => ledger.unconfirmed as f64,
            Self::Nacked => ledger.nacked as f64,
            Self::NotSent => ledger.not_sent as f64,
            Self::Errors => report.totals.errors as f64,
            Self::Lag => report.max_lag as f64,
            Self::Rate => report.rates.published_per_s,
        })
    }
}

/// One term of an SLO.
#[derive(Debug, Clone, PartialEq)]
pub struct Objective {
    text: String,
    metric: Metric,
    op: Op,
    /// Milliseconds for latencies, a count or rate otherwise.
    limit: f64,
}

/// A parsed `--slo` value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Slo {
    /// The terms, in the order written.
    pub objectives: Vec<Objective>,
}

/// A term that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid SLO term '{term}': {reason}")]
pub struct SloError {
    /// The term as written.
    pub term: String,
    /// What is wrong.
    pub reason: String,
}

impl FromStr for Slo {
    type Err = SloError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let objectives = text
            .split(',')
            .map(str::trim)
            .filter(|term| !term.is_empty())
            .map(Objective::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if objectives.is_empty() {
            return Err(SloError {
                term: text.to_owned(),
                reason: "expected METRIC<VALUE terms separated by commas, e.g. p99<50ms,loss=0"
                    .to_owned(),
            });
        }
        Ok(Self { objectives })
    }
}

impl Objective {
    fn parse(term: &str) -> Result<Self, SloError> {
        let error = |reason: &str| SloError {
            term: term.to_owned(),
            reason: reason.to_owned(),
        };
        let at = term
            .find(['<', '>', '='])
            .ok_or_else(|| error("expected a comparison: <, <=, =, >= or >"))?;
        let (name, rest) = term.split_at(at);
        let (op, value) = [
            ("<=", Op::AtMost),
            (">=", Op::AtLeast),
            ("<", Op::Less),
            (">", Op::Greater),
            ("=", Op::Equal),
        ]
        .into_iter()
        .find_map(|(symbol, op)| rest.strip_prefix(symbol).map(|value| (op, value.trim())))
        .ok_or_else(|| error("expected a comparison: <, <=, =, >= or >"))?;
        let name = name.trim();
        let metric = Metric::parse(name).ok_or_else(|| {
            error(
                "unknown metric: expected p50, p90, p99, p99.9, max, deliver_p99 (…), loss, duplicates, \
                 unconfirmed, nacked, not_sent, errors, lag or rate",
            )
        })?;
        let limit = if metric.is_latency() {
            parse_millis(value)
                .ok_or_else(|| error("expected a duration such as 50ms, 1.5s or 200us"))?
        } else {
            value
                .parse::<f64>()
                .ok()
                .filter(|limit| limit.is_finite() && *limit >= 0.0)
                .ok_or_else(|| error("expected a number"))?
        };
        Ok(Self {
            text: format!("{name}{}{value}", op.symbol()),
            metric,
            op,
            limit,
        })
    }
}

/// A duration in milliseconds: `50ms`, `1.5s`, `200us`, or a bare number of ms.
fn parse_millis(value: &str) -> Option<f64> {
    let (number, scale) = if let Some(number) = value.strip_suffix("ms") {
        (number, 1.0)
    } else if let Some(number) = value
        .strip_suffix("us")
        .or_else(|| value.strip_suffix("µs"))
    {
        (number, 0.001)
    } else if let Some(number) = value.strip_suffix('s') {
        (number, 1000.0)
    } else {
        (value, 1.0)
    };
    let number: f64 = number.trim().parse().ok()?;
    (number.is_finite() && number >= 0.0).then_some(number * scale)
}

/// The verdict on one term.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// The term, normalised (`p99<50ms`).
    pub objective: String,
    /// What was measured (ms for latencies), `None` when it was not measured.
    pub actual: Option<f64>,
    /// Whether the term holds.
    pub passed: bool,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let outcome = if self.passed { "pass" } else { "FAIL" };
        match self.actual {
            Some(actual) => write!(f, "{outcome}  {} (measured {actual:.3})", self.objective),
            None => write!(
                f,
                "{outcome}  {} (not measured in this run)",
                self.objective
            ),
        }
    }
}

impl Slo {
    /// Checks every term against `report`. A term whose metric was not
    /// measured (no confirms, no consumers) fails: an SLO nobody checked is
    /// not met.
    pub fn check(&self, report: &LoadReport) -> Vec<Verdict> {
        self.objectives
            .iter()
            .map(|objective| {
                let actual = objective.metric.measure(report);
                Verdict {
                    objective: objective.text.clone(),
                    actual,
                    passed: actual
                        .is_some_and(|actual| objective.op.holds(actual, objective.limit)),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_latencies_counts_and_rates() {
        let slo: Slo = "p99<50ms, loss=0,deliver_p99.9<=1.5s,rate>=1000,lag<200"
            .parse()
            .unwrap();
        let parsed: Vec<(&Metric, Op, f64)> = slo
            .objectives
            .iter()
            .map(|objective| (&objective.metric, objective.op, objective.limit))
            .collect();
        assert_eq!(
            parsed,
            [
                (&Metric::Confirm("p99"), Op::Less, 50.0),
                (&Metric::Loss, Op::Equal, 0.0),
                (&Metric::Deliver("p99.9"), Op::AtMost, 1500.0),
                (&Metric::Rate, Op::AtLeast, 1000.0),
                (&Metric::Lag, Op::Less, 200.0),
            ]
        );
        assert_eq!(slo.objectives[0].text, "p99<50ms");
        assert_eq!(parse_millis("200us"), Some(0.2));
        assert_eq!(parse_millis("7"), Some(7.0));
    }

    #[test]
    fn refuses_bad_terms_in_one_sentence() {
        let error = |text: &str| text.parse::<Slo>().unwrap_err().to_string();
        assert_eq!(
            error("p98<5ms"),
            "invalid SLO term 'p98<5ms': unknown metric: expected p50, p90, p99, p99.9, max, deliver_p99 (…), \
             loss, duplicates, unconfirmed, nacked, not_sent, errors, lag or rate"
        );
        assert_eq!(
            error("p99 50ms"),
            "invalid SLO term 'p99 50ms': expected a comparison: <, <=, =, >= or >"
        );
        assert_eq!(
            error("p99<fast"),
            "invalid SLO term 'p99<fast': expected a duration such as 50ms, 1.5s or 200us"
        );
        assert_eq!(
            error("loss=-1"),
            "invalid SLO term 'loss=-1': expected a number"
        );
        assert!(error("").starts_with("invalid SLO term '': expected METRIC<VALUE"));
    }

    #[test]
    fn comparisons_hold_as_written() {
        assert!(Op::Less.holds(49.9, 50.0));
        assert!(!Op::Less.holds(50.0, 50.0));
        assert!(Op::AtMost.holds(50.0, 50.0));
        assert!(Op::Equal.holds(0.0, 0.0));
        assert!(Op::AtLeast.holds(10.0, 10.0));
        assert!(!Op::Greater.holds(10.0, 10.0));
    }
}
