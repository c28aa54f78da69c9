//! Open-loop arrivals: when each scenario instance starts, and when each of
//! its messages is due.
//!
//! Open loop means arrivals never wait for the broker: instance `n` starts
//! at `n / rate` seconds whatever happened before, so a broker that falls
//! behind shows up as latency and lag instead of quietly lowering the load
//! (the "coordinated omission" trap of closed-loop generators). Times are
//! computed from the index, never by adding intervals, so they do not drift.

use std::time::Duration;

/// How fast instances arrive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rate {
    /// Scenario instances per second (`--rate`).
    Instances(f64),
    /// Published events per second (`--event-rate`), turned into instances
    /// per second with the mix's mean number of events per instance.
    Events(f64),
}

impl Rate {
    /// The rate as written (instances or events per second).
    pub fn per_second(self) -> f64 {
        match self {
            Self::Instances(rate) | Self::Events(rate) => rate,
        }
    }

    /// Instances per second, given the mix's mean events per instance.
    pub fn instances_per_second(self, mean_events_per_instance: f64) -> f64 {
        match self {
            Self::Instances(rate) => rate,
            Self::Events(rate) => rate / mean_events_per_instance.max(f64::MIN_POSITIVE),
        }
    }

    /// The same kind of rate, scaled (used by `--find-max` ramps).
    pub fn scaled(self, factor: f64) -> Self {
        match self {
            Self::Instances(rate) => Self::Instances(rate * factor),
            Self::Events(rate) => Self::Events(rate * factor),
        }
    }

    /// `instances/s` or `events/s`.
    pub fn unit(self) -> &'static str {
        match self {
            Self::Instances(_) => "instances/s",
            Self::Events(_) => "events/s",
        }
    }
}

/// A rate that is not a positive, finite number.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid rate {0}: expected a positive number per second")]
pub struct RateError(pub f64);

/// The instant (since the run started) of each instance's arrival.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArrivalSchedule {
    per_second: f64,
}

impl ArrivalSchedule {
    /// Arrivals at `per_second` instances per second.
    pub fn new(per_second: f64) -> Result<Self, RateError> {
        if per_second.is_finite() && per_second > 0.0 {
            Ok(Self { per_second })
        } else {
            Err(RateError(per_second))
        }
    }

    /// When instance `index` (from 0) starts.
    pub fn arrival(&self, index: u64) -> Duration {
        Duration::from_secs_f64(index as f64 / self.per_second)
    }

    /// How many instances have started by `elapsed` (inclusive).
    pub fn arrived_by(&self, elapsed: Duration) -> u64 {
        // The floor of a product of finite positives: fits, and rounds down.
        (elapsed.as_secs_f64() * self.per_second).floor() as u64 + 1
    }
}

/// How virtual time maps onto the run: `--speed 10` plays a 30-second call
/// in 3 seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Speed(f64);

/// A speed that is not a positive number.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "invalid speed {0}: expected a positive factor (1 = real time, 10 = ten times faster, inf = all steps at once)"
)]
pub struct SpeedError(pub f64);

impl Speed {
    /// Real time.
    pub const REAL_TIME: Self = Self(1.0);

    /// A speed factor; `f64::INFINITY` publishes every step of an instance at its arrival.
    pub fn new(factor: f64) -> Result<Self, SpeedError> {
        if factor > 0.0 && !factor.is_nan() {
            Ok(Self(factor))
        } else {
            Err(SpeedError(factor))
        }
    }

    /// The factor.
    pub fn factor(self) -> f64 {
        self.0
    }

    /// How long after its instance's arrival a step `virtual_offset` into
    /// the scenario is due.
    pub fn compress(self, virtual_offset: Duration) -> Duration {
        if self.0.is_infinite() {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(virtual_offset.as_secs_f64() / self.0)
        }
    }
}

impl Default for Speed {
    fn default() -> Self {
        Self::REAL_TIME
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrivals_are_evenly_spaced_and_do_not_drift() {
        let schedule = ArrivalSchedule::new(2000.0).unwrap();
        assert_eq!(schedule.arrival(0), Duration::ZERO);
        assert_eq!(schedule.arrival(1), Duration::from_micros(500));
        assert_eq!(schedule.arrival(2_000_000), Duration::from_secs(1000));
    }

    #[test]
    fn counts_arrivals_up_to_an_instant() {
        let schedule = ArrivalSchedule::new(4.0).unwrap();
        assert_eq!(schedule.arrived_by(Duration::ZERO), 1);
        assert_eq!(schedule.arrived_by(Duration::from_millis(249)), 1);
        assert_eq!(schedule.arrived_by(Duration::from_millis(250)), 2);
        assert_eq!(schedule.arrived_by(Duration::from_secs(1)), 5);
    }

    #[test]
    fn refuses_rates_that_are_not_positive() {
        assert!(ArrivalSchedule::new(0.0).is_err());
        assert!(ArrivalSchedule::new(-3.0).is_err());
        assert_eq!(
            ArrivalSchedule::new(f64::NAN).unwrap_err().to_string(),
            "invalid rate NaN: expected a positive number per second"
        );
    }

    #[test]
    fn event_rates_become_instance_rates_through_the_mean() {
        assert_eq!(Rate::Events(1000.0).instances_per_second(8.0), 125.0);
        assert_eq!(Rate::Instances(50.0).instances_per_second(8.0), 50.0);
        assert_eq!(Rate::Events(10.0).scaled(1.5), Rate::Events(15.0));
    }

    #[test]
    fn speed_compresses_virtual_time() {
        let speed = Speed::new(10.0).unwrap();
        assert_eq!(
            speed.compress(Duration::from_secs(30)),
            Duration::from_secs(3)
        );
        let instant = Speed::new(f64::INFINITY).unwrap();
        assert_eq!(instant.compress(Duration::from_secs(30)), Duration::ZERO);
        assert!(Speed::new(0.0).is_err());
        assert!(Speed::new(f64::NAN).is_err());
    }
}
