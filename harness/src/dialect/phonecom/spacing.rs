//! Leg steps spaced in time as Phone.com spaces them.
//!
//! The simulation puts a callee's leg appearing and ringing at one instant,
//! and every leg of a call ending at one instant; Phone.com's published
//! events put the 2nd leg's `connecting` about 0.64 s after its `new`, and
//! the 1st leg's `completed` about 40 ms after the 2nd leg's. The scenario's
//! `[phonecom]` table sets both ([`PhonecomTiming`]).
//!
//! Moving one event never reorders its call: an event of a call is never
//! earlier than the event of the same call before it (its legs, its call log
//! and its recording), so a call answered 10 ms after ringing still reads
//! new, connecting, connected. Events of different calls are then put back
//! in time order (stably), so delivery stays chronological.

use std::collections::HashMap;

use uuid::Uuid;

use super::Object;
use crate::catalog::phonecom::LegState;
use crate::scenario::PhonecomTiming;

/// The leg step an event reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegStep {
    /// The leg's uuid.
    pub leg: String,
    /// Whether it is the call's first leg.
    pub is_first: bool,
    /// The state it reaches.
    pub state: LegState,
}

/// Moves the timestamps (UNIX nanoseconds) of `objects`, given in the
/// simulation's order, as `timing` says; then sorts them by time, stably.
pub(crate) fn space(objects: &mut [(Object, u64)], timing: &PhonecomTiming) {
    let delay = nanos(timing.connecting_delay);
    let gap = nanos(timing.completed_gap);
    let mut last_of_call: HashMap<Uuid, u64> = HashMap::new();
    let mut leg_new: HashMap<String, u64> = HashMap::new();
    let mut last_completed: HashMap<Uuid, u64> = HashMap::new();
    for (object, at) in objects.iter_mut() {
        let Some(call) = object.call else {
            continue;
        };
        let mut spaced = (*at).max(last_of_call.get(&call).copied().unwrap_or(0));
        if let Some(step) = &object.leg {
            match step.state {
                LegState::New => {
                    leg_new.insert(step.leg.clone(), spaced);
                }
                LegState::Connecting if !step.is_first => {
                    if let Some(new) = leg_new.get(step.leg.as_str()) {
                        spaced = spaced.max(new.saturating_add(delay));
                    }
                }
                LegState::Completed => {
                    if let Some(previous) = last_completed.get(&call) {
                        spaced = spaced.max(previous.saturating_add(gap));
                    }
                    last_completed.insert(call, spaced);
                }
                LegState::Connecting | LegState::Connected => {}
            }
        }
        last_of_call.insert(call, spaced);
        *at = spaced;
    }
    objects.sort_by_key(|(_, at)| *at);
}

fn nanos(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}
