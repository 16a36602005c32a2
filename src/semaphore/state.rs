//! The semaphore's state word, every bit named (docs/design.md, "Semaphore").

use crate::word::Packed;
use std::fmt;

/// A snapshot of the state word, the 64-bit atomic that every acquire and release changes once:
///
/// | bits   | name       | meaning                                                        |
/// |--------|------------|----------------------------------------------------------------|
/// | 0..31  | `PERMITS`  | available permits, at most `Semaphore::MAX_PERMITS`            |
/// | 31     | `HANDOFF`  | the permits are kept for the head: nobody else takes any       |
/// | 32     | `HEAD`     | a waiter for several permits is the head (its need: the head word) |
/// | 33..51 | `SLEEPERS` | waiters for one permit that may be asleep on the singles word  |
/// | 51     | `CLOSED`   | the semaphore is closed: no acquire succeeds, no waiter stays  |
/// | 52     | `WAKING`   | a release woke one waiter for one permit (only one), not yet looked |
/// | 53..64 |            | unused (the queue of waiters for several is in `tickets.rs`)   |
///
/// The waiter fields live beside the permits so that a release learns from the value its own
/// read-modify-write replaces whether anyone waits, and how many: no second word to read, and no
/// wake when nobody sleeps. `WAKING` (Go's `mutexWoken`) saves the wakes that would only find
/// the permit gone: while a woken waiter for one permit is on its way, a release of one permit
/// wakes nobody, and the woken waiter, when it looks, passes a wake on if permits and sleepers
/// remain.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct State(u64);

impl State {
    /// The permit bits.
    pub(super) const PERMITS: u64 = (1 << 31) - 1;
    const HANDOFF: u64 = 1 << 31;
    const HEAD: u64 = 1 << 32;
    const SLEEPERS_SHIFT: u32 = 33;
    const SLEEPERS_MASK: u64 = (1 << 18) - 1;
    const CLOSED: u64 = 1 << 51;
    const WAKING: u64 = 1 << 52;
    const ONE_SLEEPER: u64 = 1 << State::SLEEPERS_SHIFT;

    /// A semaphore holding `permits` permits, with nobody waiting.
    pub(super) const fn new(permits: u32) -> State {
        State(permits as u64)
    }

    #[inline]
    pub(super) const fn from_bits(bits: u64) -> State {
        State(bits)
    }

    #[inline]
    pub(super) const fn bits(self) -> u64 {
        self.0
    }

    #[inline]
    pub(super) fn permits(self) -> u32 {
        (self.0 & State::PERMITS) as u32
    }

    #[inline]
    pub(super) fn has_handoff(self) -> bool {
        self.0 & State::HANDOFF != 0
    }

    #[inline]
    pub(super) fn has_head(self) -> bool {
        self.0 & State::HEAD != 0
    }

    #[inline]
    pub(super) fn sleepers(self) -> u32 {
        ((self.0 >> State::SLEEPERS_SHIFT) & State::SLEEPERS_MASK) as u32
    }
    /// Whether the semaphore is closed.
    #[inline]
    pub(super) fn is_closed(self) -> bool {
        self.0 & State::CLOSED != 0
    }

    /// The closed bit alone, for the `fetch_or` that closes.
    pub(super) const fn closed_bit() -> State {
        State(State::CLOSED)
    }

    /// Whether a woken waiter for one permit has yet to look (and pass the wake on).
    #[inline]
    pub(super) fn is_waking(self) -> bool {
        self.0 & State::WAKING != 0
    }

    #[inline]
    pub(super) fn with_waking(self) -> State {
        State(self.0 | State::WAKING)
    }

    #[inline]
    pub(super) fn without_waking(self) -> State {
        State(self.0 & !State::WAKING)
    }

    /// Whether a release that replaces this value wakes a waiter for one permit: one sleeps,
    /// none is on its way already, no handoff keeps the permits, and the semaphore is open (a
    /// close woke every sleeper).
    #[inline]
    pub(super) fn wakes_a_single(self) -> bool {
        self.sleepers() > 0 && self.0 & (State::WAKING | State::HANDOFF | State::CLOSED) == 0
    }

    /// Whether a release of `k` permits that replaces this value marks `WAKING`: it wakes one
    /// waiter for one permit, and only one. A release that wakes several leaves no mark: each
    /// woken takes its permit and passes nothing on, so that its `k` permits make at most `k`
    /// wakes (a mark would make the first to look pass a wake on while the others are still on
    /// their way to the permits left).
    #[inline]
    pub(super) fn marks_waking(self, k: u32) -> bool {
        self.wakes_a_single() && k.min(self.sleepers()) == 1
    }

    /// Whether anyone may wait: a release that replaces such a value goes to the cold path.
    /// (A closed semaphore keeps counting its releases on the fast path.)
    #[inline]
    pub(super) fn has_waiters(self) -> bool {
        self.0 & !(State::PERMITS | State::CLOSED) != 0
    }

    /// Whether a thread that is not the head can take `n` permits now: the semaphore is open,
    /// no handoff keeps the permits, there are as many, and, for `n >= 2`, no head waits (a
    /// waiter for several that is not the head also looks at the queue: `Semaphore::take_or_look`).
    #[inline]
    pub(super) fn can_take(self, n: u32) -> bool {
        let head = if n >= 2 { State::HEAD } else { 0 };
        self.0 & (State::HANDOFF | State::CLOSED | head) == 0 && self.permits() >= n
    }

    /// Whether the waiter whose turn it is can take its `n` permits at once, as the head that
    /// has not waited: the semaphore is open, no handoff keeps the permits (there is no head to
    /// keep them for), and there are as many.
    #[inline]
    pub(super) fn can_take_in_turn(self, n: u32) -> bool {
        self.0 & (State::HANDOFF | State::CLOSED) == 0 && self.permits() >= n
    }

    /// The word with `n` fewer permits, at most as many as there are; and how many it took.
    #[inline]
    pub(super) fn forgotten(self, n: u32) -> (State, u32) {
        let n = n.min(self.permits());
        (State(self.0 - u64::from(n)), n)
    }

    /// The word with `n` permits fewer. There must be as many.
    #[inline]
    pub(super) fn taken(self, n: u32) -> State {
        debug_assert!(self.permits() >= n);
        State(self.0 - u64::from(n))
    }

    /// The word with `k` more permits, or `None` past `MAX_PERMITS`.
    #[inline]
    pub(super) fn released(self, k: u32) -> Option<State> {
        let permits = u64::from(self.permits()) + u64::from(k);
        (permits <= State::PERMITS).then(|| State(self.0 + u64::from(k)))
    }

    /// The word with one more sleeper, or `None` if the field is full.
    #[inline]
    pub(super) fn with_sleeper(self) -> Option<State> {
        (self.sleepers() < State::SLEEPERS_MASK as u32).then(|| State(self.0 + State::ONE_SLEEPER))
    }

    #[inline]
    pub(super) fn without_sleeper(self) -> State {
        debug_assert!(self.sleepers() > 0);
        State(self.0 - State::ONE_SLEEPER)
    }

    #[inline]
    pub(super) fn with_head(self) -> State {
        State(self.0 | State::HEAD)
    }

    #[inline]
    pub(super) fn with_handoff(self) -> State {
        State(self.0 | State::HANDOFF)
    }

    /// The word after the head leaves: no head, no handoff.
    #[inline]
    pub(super) fn without_head(self) -> State {
        State(self.0 & !(State::HEAD | State::HANDOFF))
    }
}

impl Packed for State {
    #[inline]
    fn from_bits(bits: u64) -> State {
        State::from_bits(bits)
    }

    #[inline]
    fn bits(self) -> u64 {
        State::bits(self)
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("State")
            .field("permits", &self.permits())
            .field("handoff", &self.has_handoff())
            .field("head", &self.has_head())
            .field("sleepers", &self.sleepers())
            .field("closed", &self.is_closed())
            .field("waking", &self.is_waking())
            .finish()
    }
}

const _: () = assert!(State::SLEEPERS_SHIFT + 18 == 51 && State::CLOSED << 1 == State::WAKING);
const _: () = assert!(State::HEAD == 1 << 32 && State::HANDOFF == State::PERMITS + 1);

#[cfg(test)]
mod tests {
    use super::State;

    #[test]
    fn a_new_word_holds_only_permits() {
        let s = State::new(State::PERMITS as u32);
        assert_eq!(s.permits(), State::PERMITS as u32);
        assert!(!s.has_waiters() && s.can_take(1));
        assert_eq!(s.released(1), None, "past MAX_PERMITS");
        assert_eq!(
            State::new(0)
                .released(State::PERMITS as u32)
                .map(State::permits),
            Some(State::PERMITS as u32)
        );
    }

    #[test]
    fn the_waiter_fields_fill_and_empty_without_touching_the_permits() {
        let mut s = State::new(5);
        for _ in 0..State::SLEEPERS_MASK {
            s = s.with_sleeper().unwrap();
        }
        assert_eq!(s.with_sleeper(), None, "a full sleeper field refuses");
        assert_eq!(
            (s.permits(), s.sleepers() as u64),
            (5, State::SLEEPERS_MASK)
        );
        assert!(s.has_waiters() && !s.is_closed() && !s.is_waking());
        let s = s.without_sleeper();
        assert_eq!(s.sleepers() as u64, State::SLEEPERS_MASK - 1);
        assert_eq!(s.permits(), 5);
    }

    #[test]
    fn the_waking_mark_touches_no_other_field_and_holds_back_the_next_wake() {
        let s = State::new(3).with_sleeper().unwrap().with_head();
        assert!(s.wakes_a_single(), "a sleeper, no mark, no handoff");
        let marked = s.with_waking();
        assert!(marked.is_waking() && !marked.wakes_a_single());
        assert_eq!(
            (marked.permits(), marked.sleepers(), marked.has_head()),
            (3, 1, true)
        );
        assert_eq!(marked.without_waking(), s);
        let full = State::new(0).with_waking();
        let full = (0..State::SLEEPERS_MASK).fold(full, |s, _| s.with_sleeper().unwrap());
        assert!(
            full.is_waking() && !full.is_closed() && !full.has_head(),
            "a full sleeper field stays below the closed bit and the mark"
        );
        assert!(
            s.marks_waking(1) && s.marks_waking(2),
            "one sleeper: one wake"
        );
        let two = s.with_sleeper().unwrap();
        assert!(
            two.marks_waking(1) && !two.marks_waking(2),
            "two wakes: no mark"
        );
        assert!(!State::new(1).wakes_a_single(), "nobody sleeps");
        assert!(
            !s.with_handoff().wakes_a_single(),
            "the permits are kept for the head"
        );
    }

    #[test]
    fn a_closed_word_takes_and_wakes_nothing_but_counts_releases() {
        let open = State::new(3).with_sleeper().unwrap();
        let closed = State(open.0 | State::closed_bit().0);
        assert!(closed.is_closed() && !open.is_closed());
        assert!(open.can_take(3) && !closed.can_take(1));
        assert!(open.wakes_a_single() && !closed.wakes_a_single());
        assert_eq!(closed.released(2).map(State::permits), Some(5));
        assert!(
            !State(State::closed_bit().0 | 4).has_waiters(),
            "releases on a closed semaphore with nobody waiting stay on the fast path"
        );
        assert_eq!(
            closed.forgotten(5),
            (State(closed.0 - 3), 3),
            "at most those there"
        );
        assert_eq!(open.forgotten(2).1, 2);
    }

    #[test]
    fn a_newcomer_for_several_does_not_take_while_a_head_waits() {
        let s = State::new(4);
        assert!(s.can_take(2) && s.can_take_in_turn(2));
        let waiting = s.with_head();
        assert!(!waiting.can_take(2), "it queues behind the head");
        assert!(waiting.can_take(1), "a waiter for one may barge");
        assert!(!s.with_handoff().can_take_in_turn(2));
    }

    #[test]
    fn the_handoff_keeps_permits_for_the_head() {
        let s = State::new(3).with_head().with_handoff();
        assert!(s.has_head() && s.has_handoff() && s.has_waiters());
        assert!(!s.can_take(1), "nobody but the head takes during a handoff");
        let s = s.taken(3).without_head();
        assert!(!s.has_head() && !s.has_handoff() && !s.has_waiters());
        assert_eq!(s.permits(), 0);
    }
}
