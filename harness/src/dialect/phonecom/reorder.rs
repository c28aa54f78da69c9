//! `--reorder-window`: Phone.com does not guarantee the order of events that
//! happen close together, so consumers must cope; this makes them face it.
//!
//! Events are grouped in runs whose timestamps all lie within `window` of
//! the run's first event; each run is shuffled. Timestamps are left as they
//! were, so a consumer sees them out of order exactly as it could in
//! production. The shuffle comes from the seed: a failing order is replayed
//! by running again with the same seed.

use std::time::Duration;

use super::PhonecomEvent;
use crate::sim::Fakes;

/// Shuffles runs of events closer than `window`, the same way for the same seed.
pub fn shuffle_close_events(events: &mut [PhonecomEvent], window: Duration, seed: u64) {
    let window_ns = u64::try_from(window.as_nanos()).unwrap_or(u64::MAX);
    let mut fakes = Fakes::new(seed, "phonecom/reorder");
    let mut start = 0;
    while start < events.len() {
        let run_start_ns = events[start].timestamp_ns;
        let end = events[start..]
            .iter()
            .position(|event| event.timestamp_ns.saturating_sub(run_start_ns) > window_ns)
            .map_or(events.len(), |offset| start + offset);
        fakes.shuffle(&mut events[start..end]);
        start = end;
    }
}
