//! The virtual clock: scenario time (a duration since the start) becomes an
//! instant, anchored at a fixed moment so outputs are reproducible.

use std::time::Duration;

use time::OffsetDateTime;

/// The anchor used unless told otherwise: a fixed, ordinary weekday morning.
pub const DEFAULT_ANCHOR: OffsetDateTime = time::macros::datetime!(2026-01-15 09:00:00 UTC);

/// Maps scenario time to wall-clock instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VirtualClock {
    anchor: OffsetDateTime,
}

impl VirtualClock {
    /// A clock whose scenario time zero is `anchor`.
    pub fn anchored_at(anchor: OffsetDateTime) -> Self {
        Self { anchor }
    }

    /// A clock anchored at the real current time (`--now`), truncated to the
    /// millisecond as every rendered timestamp is.
    pub fn now() -> Self {
        let now = OffsetDateTime::now_utc();
        let millis = now.millisecond();
        let anchor = now.replace_millisecond(millis).unwrap_or(now);
        Self { anchor }
    }

    /// The instant of scenario time zero.
    pub fn anchor(&self) -> OffsetDateTime {
        self.anchor
    }

    /// The instant `elapsed` after the start.
    pub fn at(&self, elapsed: Duration) -> OffsetDateTime {
        self.anchor + elapsed
    }
}

impl Default for VirtualClock {
    fn default() -> Self {
        Self::anchored_at(DEFAULT_ANCHOR)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_time_is_added_to_the_anchor() {
        let clock = VirtualClock::default();
        let later = clock.at(Duration::from_millis(2_500));
        assert_eq!(later.unix_timestamp(), DEFAULT_ANCHOR.unix_timestamp() + 2);
        assert_eq!(later.millisecond(), 500);
    }

    #[test]
    fn now_has_no_sub_millisecond_part() {
        assert_eq!(VirtualClock::now().anchor().nanosecond() % 1_000_000, 0);
    }
}
