//! How callbacks are called: extra headers, the per-callback timeout, the
//! rate limit, and whether the URL is checked first.

use std::str::FromStr;
use std::time::Duration;

use hyper::header::{HeaderName, HeaderValue};

/// The timeout of one callback when none is given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// How events are delivered.
#[derive(Debug, Clone)]
pub struct DeliveryOptions {
    /// Headers sent with every request (`X-Api-Key: …`).
    pub headers: Vec<CallbackHeader>,
    /// How long one request (connect, send, answer) may take.
    pub timeout: Duration,
    /// At most this many events per period to each listener; the rest are
    /// suppressed and counted.
    pub rate_limit: Option<RateLimit>,
    /// POST `{"test": 1}` first and require 200 or 201, as Phone.com does
    /// when a callback is created.
    pub check_callbacks: bool,
    /// Pace deliveries on the events' timestamps divided by this factor
    /// (1: real time, 10: ten times faster); 0 sends as fast as possible.
    pub speed: f64,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        Self {
            headers: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            rate_limit: None,
            check_callbacks: true,
            speed: 0.0,
        }
    }
}

/// One extra request header, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackHeader {
    /// Its name.
    pub name: HeaderName,
    /// Its value.
    pub value: HeaderValue,
}

/// A header written wrongly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// Not `Name: value`.
    #[error("header \"{0}\" is not `Name: value`")]
    NoColon(String),
    /// The name has characters HTTP does not allow.
    #[error("header name \"{0}\" is not a valid HTTP header name")]
    BadName(String),
    /// The value has characters HTTP does not allow.
    #[error(
        "the value of header \"{0}\" has characters HTTP does not allow (control characters, newlines)"
    )]
    BadValue(String),
}

impl FromStr for CallbackHeader {
    type Err = HeaderError;

    /// `X-Api-Key: secret`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (name, value) = text
            .split_once(':')
            .ok_or_else(|| HeaderError::NoColon(text.to_string()))?;
        let name = name.trim();
        Ok(Self {
            name: HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| HeaderError::BadName(name.to_string()))?,
            value: HeaderValue::from_str(value.trim())
                .map_err(|_| HeaderError::BadValue(name.to_string()))?,
        })
    }
}

/// A rate limit: `number` events per `period`, counted on the events' own
/// timestamps (the virtual clock), so a run suppresses the same events every time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Events allowed per period.
    pub number: u64,
    /// The period.
    pub period: Duration,
}

/// A rate limit written wrongly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "rate limit \"{0}\" is not `NUMBER/PERIOD` with a number above 0 and a period such as 1s or 1m, e.g. `10/1s`"
)]
pub struct RateLimitError(pub String);

impl FromStr for RateLimit {
    type Err = RateLimitError;

    /// `10/1s`, `600/1m`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || RateLimitError(text.to_string());
        let (number, period) = text.split_once('/').ok_or_else(bad)?;
        let number: u64 = number.trim().parse().map_err(|_| bad())?;
        let period = humantime::parse_duration(period.trim()).map_err(|_| bad())?;
        if number == 0 || period.is_zero() {
            return Err(bad());
        }
        Ok(Self { number, period })
    }
}

/// The running count of one listener's rate limit: fixed windows of
/// `period`, each starting with the first event past the previous one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RateWindow {
    limit: RateLimit,
    start_ns: Option<u64>,
    count: u64,
}

impl RateWindow {
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            start_ns: None,
            count: 0,
        }
    }

    /// Whether an event at `timestamp_ns` may go; counts it if so.
    pub fn admit(&mut self, timestamp_ns: u64) -> bool {
        let period_ns = u64::try_from(self.limit.period.as_nanos()).unwrap_or(u64::MAX);
        match self.start_ns {
            Some(start) if timestamp_ns.saturating_sub(start) < period_ns => {}
            _ => {
                self.start_ns = Some(timestamp_ns);
                self.count = 0;
            }
        }
        if self.count < self.limit.number {
            self.count += 1;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[test]
    fn a_rate_limit_admits_number_per_period() {
        let limit: RateLimit = "2/1s".parse().unwrap();
        let mut window = RateWindow::new(limit);
        let second = 1_000_000_000;
        let admitted: Vec<bool> = [0, 10, 20, second - 1, second, second + 5, second + 6]
            .into_iter()
            .map(|at| window.admit(at))
            .collect();
        assert_eq!(admitted, [true, true, false, false, true, true, false]);
    }

    #[rstest]
    #[case("10")]
    #[case("0/1s")]
    #[case("x/1s")]
    #[case("5/soon")]
    #[case("5/0s")]
    fn bad_rate_limits_are_refused(#[case] text: &str) {
        let error = text.parse::<RateLimit>().unwrap_err().to_string();
        assert!(error.contains("NUMBER/PERIOD"), "{error}");
    }

    #[test]
    fn headers_parse_and_refuse_garbage() {
        let header: CallbackHeader = "X-Api-Key: s3cret".parse().unwrap();
        assert_eq!(header.name.as_str(), "x-api-key");
        assert_eq!(header.value, "s3cret");
        assert!("no colon".parse::<CallbackHeader>().is_err());
        assert!("Bad Name: v".parse::<CallbackHeader>().is_err());
        assert!("X: a\nb".parse::<CallbackHeader>().is_err());
    }
}
