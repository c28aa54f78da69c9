//! The strict ledger: what became of every message, by message id.
//!
//! Every message the run schedules gets a sequence number (its AMQP
//! `message_id` carries it) and one slot here, so nothing can disappear
//! without being counted:
//!
//! - scheduled = published + not sent (backlog full, run cancelled);
//! - published = confirmed + nacked + unconfirmed (with confirms off every
//!   published message is unconfirmed: nobody asked the broker);
//! - per consumer binding: the confirmed messages whose routing key matches
//!   are *expected*; each is delivered once (fine), more than once
//!   (duplicates) or never (lost). Messages that were not confirmed but still
//!   arrived are counted apart, as are deliveries the binding should never
//!   have received and message ids from another run.
//!
//! One mutex guards the slots: each operation is a few instructions, far
//! cheaper than the network round trip around it.

use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::Serialize;

/// What became of a message on the publishing side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Due but not handed to the broker yet.
    Scheduled,
    /// Handed to the broker; no confirm yet.
    Published,
    Confirmed,
    Nacked,
    /// Published, and the confirm will never come (connection lost, or the run ended first).
    Unconfirmed,
    NotSent(NotSent),
}

/// Why a scheduled message was never handed to the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotSent {
    /// The publishing channel's queue was full (the broker or the
    /// connection could not keep up, e.g. during a reconnection).
    Backlog,
    /// The run was stopped (Ctrl-C) before the message was due or sent.
    Cancelled,
    /// Its connection was lost as it was being sent, or could not be
    /// re-established before the run gave up.
    Disconnected,
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    fate: Fate,
    /// The bindings its routing key matches.
    routes: u16,
    /// The bindings it was delivered to at least once.
    seen: u16,
}

/// What a consumer learns from recording one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// The first delivery of this message to this binding.
    First,
    /// This binding already received it.
    Duplicate,
    /// No message of this run has that id.
    Foreign,
}

#[derive(Debug, Default)]
struct State {
    slots: Vec<Slot>,
    /// Per binding: deliveries beyond the first.
    duplicates: Vec<u64>,
    /// Per binding: published messages routed to it so far (for lag).
    routed: Vec<u64>,
    /// Per binding: messages delivered at least once.
    unique: Vec<u64>,
    foreign: u64,
}

impl State {
    /// The slot index of sequence number `seq`, if this run scheduled it.
    fn index(&self, seq: u64) -> Option<usize> {
        usize::try_from(seq)
            .ok()
            .filter(|index| *index < self.slots.len())
    }
}

/// The ledger of one run. See the module documentation.
#[derive(Debug)]
pub struct Ledger {
    bindings: Vec<String>,
    state: Mutex<State>,
}

impl Ledger {
    /// A ledger for a run whose consumers use `bindings` (at most 16).
    pub fn new(bindings: Vec<String>) -> Self {
        let count = bindings.len();
        Self {
            bindings,
            state: Mutex::new(State {
                duplicates: vec![0; count],
                routed: vec![0; count],
                unique: vec![0; count],
                ..State::default()
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update is a single assignment: a panicking holder leaves no half-state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a message that will be published; returns its sequence number.
    pub fn schedule(&self, routes: u16) -> u64 {
        let mut state = self.lock();
        state.slots.push(Slot {
            fate: Fate::Scheduled,
            routes,
            seen: 0,
        });
        (state.slots.len() - 1) as u64
    }

    /// Registers the messages of one instance, in order; returns the
    /// sequence number of the first (the others follow consecutively).
    pub fn schedule_all(&self, routes: &[u16]) -> u64 {
        let mut state = self.lock();
        let first = state.slots.len() as u64;
        state.slots.extend(routes.iter().map(|routes| Slot {
            fate: Fate::Scheduled,
            routes: *routes,
            seen: 0,
        }));
        first
    }

    fn update(&self, seq: u64, change: impl FnOnce(&mut State, usize)) {
        let mut state = self.lock();
        if let Some(index) = state.index(seq) {
            change(&mut state, index);
        }
    }

    /// The message was handed to the broker.
    pub fn published(&self, seq: u64) {
        self.published_all(&[seq]);
    }

    /// These messages were handed to the broker, under one lock. Channel
    /// tasks report in batches, so a verdict may arrive first: [`Self::settle_all`]
    /// then counts the message as published itself, and this leaves it alone.
    pub fn published_all(&self, seqs: &[u64]) {
        let mut state = self.lock();
        for seq in seqs {
            let Some(index) = state.index(*seq) else {
                continue;
            };
            if state.slots[index].fate == Fate::Scheduled {
                state.slots[index].fate = Fate::Published;
                route(&mut state, index);
            }
        }
    }

    fn settle(&self, seq: u64, fate: Fate) {
        self.settle_fate(&[seq], fate);
    }

    /// Settles messages that were handed to the broker (their publication
    /// may not be reported yet: see [`Self::published_all`]).
    fn settle_fate(&self, seqs: &[u64], fate: Fate) {
        let mut state = self.lock();
        for seq in seqs {
            let Some(index) = state.index(*seq) else {
                continue;
            };
            match state.slots[index].fate {
                Fate::Published => state.slots[index].fate = fate,
                Fate::Scheduled => {
                    state.slots[index].fate = fate;
                    route(&mut state, index);
                }
                _ => {}
            }
        }
    }

    /// The broker confirmed (`ack`) or refused these messages, under one lock.
    pub fn settle_all(&self, seqs: &[u64], ack: bool) {
        self.settle_fate(seqs, if ack { Fate::Confirmed } else { Fate::Nacked });
    }

    /// The broker confirmed the message (basic.ack).
    pub fn confirmed(&self, seq: u64) {
        self.settle(seq, Fate::Confirmed);
    }

    /// The broker refused the message (basic.nack).
    pub fn nacked(&self, seq: u64) {
        self.settle(seq, Fate::Nacked);
    }

    /// The confirm for this message will never arrive (its channel is gone).
    pub fn unconfirmed(&self, seq: u64) {
        self.settle(seq, Fate::Unconfirmed);
    }

    /// The message was never handed to the broker.
    pub fn not_sent(&self, seq: u64, why: NotSent) {
        self.update(seq, |state, index| {
            let slot = &mut state.slots[index];
            if slot.fate == Fate::Scheduled {
                slot.fate = Fate::NotSent(why);
            }
        });
    }

    /// A consumer of binding `binding` received message `seq`.
    pub fn delivered(&self, seq: u64, binding: usize) -> Delivered {
        let mut state = self.lock();
        let Some(slot) = usize::try_from(seq)
            .ok()
            .and_then(|index| state.slots.get_mut(index))
        else {
            state.foreign += 1;
            return Delivered::Foreign;
        };
        let bit = 1u16 << binding;
        if slot.seen & bit != 0 {
            state.duplicates[binding] += 1;
            Delivered::Duplicate
        } else {
            slot.seen |= bit;
            state.unique[binding] += 1;
            Delivered::First
        }
    }

    /// A delivery whose message id is not one of this run's.
    pub fn foreign(&self) {
        self.lock().foreign += 1;
    }

    /// Per binding: published messages routed to it and not yet delivered.
    pub fn lag(&self) -> Vec<u64> {
        let state = self.lock();
        state
            .routed
            .iter()
            .zip(&state.unique)
            .map(|(routed, unique)| routed.saturating_sub(*unique))
            .collect()
    }

    /// Per binding: whether every published message routed to it has arrived.
    pub fn drained(&self) -> bool {
        self.lag().iter().all(|lag| *lag == 0)
    }

    /// Closes the books: anything still `Published` is unconfirmed (when
    /// confirms are on, the confirm never came), anything still `Scheduled`
    /// was never sent because the run stopped.
    pub fn close(&self) {
        let mut state = self.lock();
        for slot in &mut state.slots {
            slot.fate = match slot.fate {
                Fate::Published => Fate::Unconfirmed,
                Fate::Scheduled => Fate::NotSent(NotSent::Cancelled),
                fate => fate,
            };
        }
    }

    /// The totals. `confirms` says whether the run asked for confirms:
    /// without them, *expected* counts every published message.
    pub fn report(&self, confirms: bool) -> LedgerReport {
        let state = self.lock();
        let mut report = LedgerReport {
            confirms,
            foreign: state.foreign,
            bindings: self
                .bindings
                .iter()
                .enumerate()
                .map(|(index, key)| BindingLedger {
                    key: key.clone(),
                    duplicates: state.duplicates[index],
                    ..BindingLedger::default()
                })
                .collect(),
            ..LedgerReport::default()
        };
        for slot in &state.slots {
            report.scheduled += 1;
            let handed_over = match slot.fate {
                Fate::Scheduled => false,
                Fate::NotSent(NotSent::Backlog) => {
                    report.not_sent_backlog += 1;
                    false
                }
                Fate::NotSent(NotSent::Cancelled) => {
                    report.not_sent_cancelled += 1;
                    false
                }
                Fate::NotSent(NotSent::Disconnected) => {
                    report.not_sent_disconnected += 1;
                    false
                }
                Fate::Published | Fate::Unconfirmed => {
                    report.unconfirmed += 1;
                    true
                }
                Fate::Confirmed => {
                    report.confirmed += 1;
                    true
                }
                Fate::Nacked => {
                    report.nacked += 1;
                    true
                }
            };
            if handed_over {
                report.published += 1;
            }
            let counted = if confirms {
                slot.fate == Fate::Confirmed
            } else {
                handed_over
            };
            for (index, binding) in report.bindings.iter_mut().enumerate() {
                let bit = 1u16 << index;
                let routed = slot.routes & bit != 0;
                let seen = slot.seen & bit != 0;
                match (routed, counted, seen) {
                    (true, true, true) => {
                        binding.expected += 1;
                        binding.delivered += 1;
                    }
                    (true, true, false) => {
                        binding.expected += 1;
                        binding.lost += 1;
                    }
                    (true, false, true) => binding.delivered_unconfirmed += 1,
                    (true, false, false) if handed_over => binding.missing_unconfirmed += 1,
                    (false, _, true) => binding.unexpected += 1,
                    _ => {}
                }
            }
        }
        report.not_sent =
            report.not_sent_backlog + report.not_sent_cancelled + report.not_sent_disconnected;
        report
    }
}

/// Counts slot `index` as routed to each of its bindings (it was published).
fn route(state: &mut State, index: usize) {
    let routes = state.slots[index].routes;
    for (binding, routed) in state.routed.iter_mut().enumerate() {
        if routes & (1 << binding) != 0 {
            *routed += 1;
        }
    }
}

/// The ledger's totals: see the module documentation for the identities.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LedgerReport {
    /// Whether the run asked for publisher confirms.
    pub confirms: bool,
    /// Messages the run scheduled.
    pub scheduled: u64,
    /// Messages handed to the broker.
    pub published: u64,
    /// Published and confirmed (basic.ack).
    pub confirmed: u64,
    /// Published and refused (basic.nack).
    pub nacked: u64,
    /// Published without a confirm: its connection was lost, the run ended
    /// first, or confirms were off.
    pub unconfirmed: u64,
    /// Scheduled but never handed to the broker.
    pub not_sent: u64,
    /// … because the publishing backlog was full.
    pub not_sent_backlog: u64,
    /// … because the run was stopped first.
    pub not_sent_cancelled: u64,
    /// … because the connection was lost as it was being sent.
    pub not_sent_disconnected: u64,
    /// Deliveries whose message id belongs to no message of this run.
    pub foreign: u64,
    /// One entry per consumer binding.
    pub bindings: Vec<BindingLedger>,
}

impl LedgerReport {
    /// Whether the identities hold (they do by construction; reports and
    /// tests check it so that a bookkeeping bug cannot hide).
    pub fn balanced(&self) -> bool {
        self.scheduled == self.published + self.not_sent
            && self.published == self.confirmed + self.nacked + self.unconfirmed
            && self
                .bindings
                .iter()
                .all(|binding| binding.expected == binding.delivered + binding.lost)
    }

    /// Expected messages that never arrived, over every binding.
    pub fn lost(&self) -> u64 {
        self.bindings.iter().map(|binding| binding.lost).sum()
    }

    /// Deliveries beyond the first, over every binding.
    pub fn duplicates(&self) -> u64 {
        self.bindings.iter().map(|binding| binding.duplicates).sum()
    }
}

/// What one consumer binding received, against what it should have.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BindingLedger {
    /// The binding key.
    pub key: String,
    /// Confirmed messages (published, without confirms) whose routing key matches.
    pub expected: u64,
    /// Expected messages delivered at least once.
    pub delivered: u64,
    /// Expected messages never delivered.
    pub lost: u64,
    /// Deliveries beyond the first of a message.
    pub duplicates: u64,
    /// Published, not confirmed, yet delivered.
    pub delivered_unconfirmed: u64,
    /// Published, not confirmed, and never delivered.
    pub missing_unconfirmed: u64,
    /// Delivered although the routing key does not match the binding.
    pub unexpected: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger() -> Ledger {
        Ledger::new(vec!["calls.#".to_owned(), "#".to_owned()])
    }

    #[test]
    fn every_fate_is_counted_once_and_the_books_balance() {
        let ledger = ledger();
        let seqs: Vec<u64> = (0..7).map(|_| ledger.schedule(0b11)).collect();
        for seq in &seqs[..5] {
            ledger.published(*seq);
        }
        ledger.confirmed(seqs[0]);
        ledger.confirmed(seqs[1]);
        ledger.nacked(seqs[2]);
        ledger.unconfirmed(seqs[3]);
        // seqs[4] stays published: closing the books makes it unconfirmed.
        ledger.not_sent(seqs[5], NotSent::Backlog);
        // seqs[6] stays scheduled: closing makes it cancelled.
        ledger.close();
        let report = ledger.report(true);
        assert_eq!(
            (report.scheduled, report.published, report.confirmed),
            (7, 5, 2)
        );
        assert_eq!((report.nacked, report.unconfirmed), (1, 2));
        assert_eq!(
            (
                report.not_sent_backlog,
                report.not_sent_cancelled,
                report.not_sent
            ),
            (1, 1, 2)
        );
        assert!(report.balanced());
    }

    #[test]
    fn losses_and_duplicates_are_counted_per_binding_by_message_id() {
        let ledger = ledger();
        let call = ledger.schedule(0b11);
        let fax = ledger.schedule(0b10);
        let unconfirmed = ledger.schedule(0b11);
        for seq in [call, fax, unconfirmed] {
            ledger.published(seq);
        }
        ledger.confirmed(call);
        ledger.confirmed(fax);
        assert_eq!(ledger.lag(), [2, 3]);

        assert_eq!(ledger.delivered(call, 0), Delivered::First);
        assert_eq!(ledger.delivered(call, 0), Delivered::Duplicate);
        assert_eq!(ledger.delivered(fax, 0), Delivered::First);
        assert_eq!(ledger.delivered(unconfirmed, 1), Delivered::First);
        assert_eq!(ledger.delivered(99, 1), Delivered::Foreign);
        ledger.close();

        let report = ledger.report(true);
        let calls = &report.bindings[0];
        assert_eq!((calls.expected, calls.delivered, calls.lost), (1, 1, 0));
        assert_eq!(calls.duplicates, 1);
        assert_eq!(calls.unexpected, 1, "the fax does not match calls.#");
        assert_eq!(calls.missing_unconfirmed, 1);
        let all = &report.bindings[1];
        assert_eq!((all.expected, all.delivered, all.lost), (2, 0, 2));
        assert_eq!(all.delivered_unconfirmed, 1);
        assert_eq!(report.foreign, 1);
        assert_eq!((report.lost(), report.duplicates()), (2, 1));
        assert!(report.balanced());
    }

    #[test]
    fn without_confirms_every_published_message_is_expected() {
        let ledger = Ledger::new(vec!["#".to_owned()]);
        let seq = ledger.schedule(0b1);
        ledger.published(seq);
        ledger.delivered(seq, 0);
        ledger.close();
        let report = ledger.report(false);
        assert_eq!((report.published, report.unconfirmed), (1, 1));
        assert_eq!(report.bindings[0].expected, 1);
        assert_eq!(report.bindings[0].delivered, 1);
        assert!(ledger.drained());
    }

    #[test]
    fn batches_schedule_consecutively_and_settle_under_one_lock() {
        let ledger = Ledger::new(vec!["#".to_owned()]);
        assert_eq!(ledger.schedule(1), 0);
        assert_eq!(ledger.schedule_all(&[1, 1, 1]), 1);
        for seq in 0..4 {
            ledger.published(seq);
        }
        ledger.settle_all(&[0, 1, 2], true);
        ledger.settle_all(&[3], false);
        let report = ledger.report(true);
        assert_eq!(
            (report.confirmed, report.nacked, report.scheduled),
            (3, 1, 4)
        );
    }

    #[test]
    fn a_verdict_before_the_published_batch_counts_the_message_once() {
        let ledger = Ledger::new(vec!["#".to_owned()]);
        let seq = ledger.schedule(1);
        ledger.settle_all(&[seq], true);
        assert_eq!(ledger.lag(), [1]);
        ledger.published_all(&[seq]);
        assert_eq!(ledger.lag(), [1], "routed once");
        let report = ledger.report(true);
        assert_eq!((report.published, report.confirmed), (1, 1));
    }

    #[test]
    fn late_verdicts_do_not_change_a_settled_fate() {
        let ledger = Ledger::new(Vec::new());
        let seq = ledger.schedule(0);
        ledger.published(seq);
        ledger.unconfirmed(seq);
        ledger.confirmed(seq);
        ledger.published(seq);
        let report = ledger.report(true);
        assert_eq!(
            (report.published, report.unconfirmed, report.confirmed),
            (1, 1, 0)
        );
    }
}
