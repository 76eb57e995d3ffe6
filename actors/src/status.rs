//! The delivery state machine of one recipient, pure.
//!
//! Statuses have a fixed precedence: `queued < sent < failed < delivered <
//! read < recalled` (`queued` only for messages this service sends itself). A recipient's state is the set of statuses observed (plus
//! the ones they imply) and its current status is the highest of them. So
//! the result of a set of observations does not depend on their order or
//! on duplicates — late, repeated and out-of-order signals converge — while
//! each observation still gets an outcome relative to what was known when
//! it arrived:
//!
//! - a higher status **applies**; the lower delivery steps it skipped are
//!   **implied** (`read` first implies `sent` and `delivered`);
//! - the same status again is a **duplicate**, a lower one is **stale**;
//! - `failed` after `delivered` or `read` is a **conflict** (and changes
//!   nothing); `delivered`/`read` after `failed` applies — evidence of
//!   delivery beats a failure report, whichever arrives first;
//! - `recalled` (a sender action, after `sent`) is the terminal state;
//!   delivery signals arriving after it are stale.

use serde::{Deserialize, Serialize};

/// A delivery status. Declaration order is precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Accepted by this service, waiting to be sent to WeCom (messages it
    /// sends itself).
    Queued,
    /// Accepted for delivery.
    Sent,
    /// Could not be delivered.
    Failed,
    /// Reached the recipient.
    Delivered,
    /// Seen by the recipient.
    Read,
    /// Withdrawn by the sender.
    Recalled,
}

impl Status {
    /// Every status, in precedence order.
    pub const ALL: [Status; 6] =
        [Status::Queued, Status::Sent, Status::Failed, Status::Delivered, Status::Read, Status::Recalled];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Sent => "sent",
            Status::Failed => "failed",
            Status::Delivered => "delivered",
            Status::Read => "read",
            Status::Recalled => "recalled",
        }
    }

    /// Parses a wire name.
    pub fn parse(name: &str) -> Option<Self> {
        Status::ALL.into_iter().find(|status| status.as_str() == name)
    }

    /// Its bit in a stored [`StatusSet`]: `queued` came last, so it takes
    /// the next free bit and stored sets keep their meaning.
    fn bit(self) -> u8 {
        match self {
            Status::Queued => 1 << 5,
            Status::Sent => 1,
            Status::Failed => 1 << 1,
            Status::Delivered => 1 << 2,
            Status::Read => 1 << 3,
            Status::Recalled => 1 << 4,
        }
    }

    /// The lower delivery steps this status implies happened.
    fn implies(self) -> &'static [Status] {
        match self {
            // `queued` is never implied: only messages this service sends pass through it.
            Status::Queued | Status::Sent | Status::Failed => &[],
            Status::Delivered | Status::Recalled => &[Status::Sent],
            Status::Read => &[Status::Sent, Status::Delivered],
        }
    }
}

/// What one observation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It became the current status.
    Applied,
    /// Not observed itself, but implied by a later step that was.
    Implied,
    /// The current status again.
    Duplicate,
    /// Lower than the current status: changes nothing.
    Stale,
    /// Contradicts what is known (`failed` after delivery): changes nothing.
    Conflict,
}

impl Outcome {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Implied => "implied",
            Outcome::Duplicate => "duplicate",
            Outcome::Stale => "stale",
            Outcome::Conflict => "conflict",
        }
    }
}

/// A set of statuses, as a bitmask (stored as such).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StatusSet(u8);

impl StatusSet {
    /// From stored bits (unknown bits are dropped).
    pub fn from_bits(bits: u8) -> Self {
        Self(bits & 0b11_1111)
    }

    /// The stored bits.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// Whether `status` is in the set.
    pub fn contains(self, status: Status) -> bool {
        self.0 & status.bit() != 0
    }

    fn insert(&mut self, status: Status) {
        self.0 |= status.bit();
    }

    /// The highest status in the set.
    pub fn highest(self) -> Option<Status> {
        Status::ALL.into_iter().rev().find(|status| self.contains(*status))
    }

    /// The statuses in precedence order.
    pub fn iter(self) -> impl Iterator<Item = Status> {
        Status::ALL.into_iter().filter(move |status| self.contains(*status))
    }
}

/// The result of applying one observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The status before.
    pub from: Option<Status>,
    /// The status after.
    pub to: Status,
    /// The observation's own outcome.
    pub outcome: Outcome,
    /// Statuses newly implied by it, in precedence order.
    pub implied: Vec<Status>,
}

/// One recipient's state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientState {
    seen: StatusSet,
}

impl RecipientState {
    /// Restores a stored state.
    pub fn from_seen(seen: StatusSet) -> Self {
        Self { seen }
    }

    /// Everything observed or implied so far.
    pub fn seen(self) -> StatusSet {
        self.seen
    }

    /// The current status, `None` before the first observation.
    pub fn current(self) -> Option<Status> {
        self.seen.highest()
    }

    /// Applies one observation.
    pub fn apply(&mut self, observed: Status) -> Transition {
        let from = self.current();
        let outcome = match from {
            None => Outcome::Applied,
            Some(current) if current == observed => Outcome::Duplicate,
            Some(current) if observed > current => Outcome::Applied,
            Some(Status::Delivered | Status::Read) if observed == Status::Failed => Outcome::Conflict,
            Some(_) => Outcome::Stale,
        };
        // Implied steps are added whatever the outcome, so the set (and so
        // the final state) is the same for any arrival order.
        let implied: Vec<Status> =
            observed.implies().iter().copied().filter(|status| !self.seen.contains(*status)).collect();
        for status in &implied {
            self.seen.insert(*status);
        }
        self.seen.insert(observed);
        Transition { from, to: self.current().expect("just observed"), outcome, implied }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{Outcome::*, Status::*, *};

    fn run(observations: &[Status]) -> (RecipientState, Vec<Outcome>) {
        let mut state = RecipientState::default();
        let outcomes = observations.iter().map(|status| state.apply(*status).outcome).collect();
        (state, outcomes)
    }

    #[test]
    fn the_issue_rules_hold_for_in_order_and_late_signals() {
        assert_eq!(run(&[Sent, Delivered, Read]).1, vec![Applied, Applied, Applied]);
        assert_eq!(run(&[Read, Delivered, Sent]).1, vec![Applied, Stale, Stale]);
        assert_eq!(run(&[Sent, Sent]).1, vec![Applied, Duplicate]);
        assert_eq!(run(&[Sent, Failed]).1, vec![Applied, Applied]);
        assert_eq!(run(&[Sent, Delivered, Failed]).1, vec![Applied, Applied, Conflict]);
        assert_eq!(run(&[Sent, Recalled, Read]).1, vec![Applied, Applied, Stale]);
        let (state, _) = run(&[Read]);
        assert_eq!(state.seen().iter().collect::<Vec<_>>(), vec![Sent, Delivered, Read]);
    }

    #[test]
    fn a_read_first_reports_what_it_implies() {
        let mut state = RecipientState::default();
        let transition = state.apply(Read);
        assert_eq!(
            transition,
            Transition { from: None, to: Read, outcome: Applied, implied: vec![Sent, Delivered] }
        );
    }

    #[test]
    fn contradicting_signals_resolve_the_same_way_in_either_order() {
        assert_eq!(run(&[Failed, Delivered]).0.current(), Some(Delivered));
        assert_eq!(run(&[Delivered, Failed]).0.current(), Some(Delivered));
        assert_eq!(run(&[Read, Recalled]).0.current(), Some(Recalled));
        assert_eq!(run(&[Recalled, Read]).0.current(), Some(Recalled));
    }

    fn status() -> impl Strategy<Value = Status> {
        prop::sample::select(Status::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn any_order_and_duplication_converges(
            set in prop::collection::vec(status(), 1..6),
            duplicates in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
            shuffle_seed in any::<u64>(),
        ) {
            let mut delivered: Vec<Status> = set.clone();
            for index in &duplicates {
                delivered.push(*index.get(&set));
            }
            // A deterministic shuffle from the seed.
            let mut seed = shuffle_seed | 1;
            for i in (1..delivered.len()).rev() {
                seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
                delivered.swap(i, (seed % (i as u64 + 1)) as usize);
            }
            let (in_order, _) = run(&set);
            let (shuffled, outcomes) = run(&delivered);
            prop_assert_eq!(in_order.current(), shuffled.current());
            prop_assert_eq!(in_order.seen(), shuffled.seen(), "the same statuses reached, applied or implied");
            // Exactly the distinct observations that raised the state were applied.
            prop_assert!(outcomes.iter().filter(|o| **o == Applied).count() <= set.len());
        }

        #[test]
        fn the_current_status_is_never_lowered(observations in prop::collection::vec(status(), 1..12)) {
            let mut state = RecipientState::default();
            for observed in observations {
                let before = state.current();
                let transition = state.apply(observed);
                prop_assert!(before <= Some(transition.to));
                prop_assert_eq!(transition.outcome == Applied, before != Some(transition.to));
            }
        }
    }
}
