//! `[phonecom]`: how Phone.com's event hub spaces the steps of a call's legs.
//!
//! The simulation puts a callee's channel appearing and ringing at one
//! instant, and every channel of a call hanging up at one instant. Phone.com
//! reports them apart: in its published inbound-call-to-device events the 2nd
//! leg's `connecting` comes 0.64 s after its `new`
//! (1593096563.751035 → 1593096564.390981), and the 1st leg's `completed`
//! 40 ms after the 2nd leg's (1593096576.551032 → 1593096576.590982). The
//! Phone.com dialect spaces them the same way, unless the scenario says otherwise:
//!
//! ```toml
//! [phonecom]
//! connecting_delay = "640ms"   # a leg other than the first: `new` → `connecting`
//! completed_gap = "40ms"       # between two legs of one call completing
//! ```

use std::time::Duration;

/// The spacing of leg steps in the Phone.com dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhonecomTiming {
    /// How long after its `new` a leg other than the first is `connecting`.
    pub connecting_delay: Duration,
    /// How long after another leg of the same call a leg is `completed`.
    pub completed_gap: Duration,
}

impl PhonecomTiming {
    /// Phone.com's spacing, as its published examples show it.
    pub const PUBLISHED: Self = Self {
        connecting_delay: Duration::from_millis(640),
        completed_gap: Duration::from_millis(40),
    };

    /// No spacing: every step at the instant the simulation puts it.
    pub const NONE: Self = Self {
        connecting_delay: Duration::ZERO,
        completed_gap: Duration::ZERO,
    };
}

impl Default for PhonecomTiming {
    fn default() -> Self {
        Self::PUBLISHED
    }
}
