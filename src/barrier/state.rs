//! The barrier's two state words, every bit named (docs/design.md, "Barrier").

use crate::futex::SLEEPERS;

/// Bits of the episode number, in both words. Episode numbers wrap.
const EPISODE_BITS: u32 = 27;
/// The episode number's mask, once shifted down to bit 0.
const EPISODE_MASK: u32 = (1 << EPISODE_BITS) - 1;

/// A snapshot of the arrival word, the 64-bit atomic that every arrival writes once:
///
/// | bits   | name           | meaning                                                  |
/// |--------|----------------|----------------------------------------------------------|
/// | 0..20  | `COUNT`        | arrivals counted in the open episode                     |
/// | 20..36 | `PARTICIPANTS` | arrivals that complete it (lowered by drops)             |
/// | 36     | `BROKEN`       | the barrier is broken                                    |
/// | 37..64 | `EPISODE`      | the episode being counted (27 bits, wrapping)            |
///
/// Every decision an arrival makes comes from the value its own read-modify-write returns, so
/// the participant count and the broken flag live here beside the count.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Arrivals(u64);

impl Arrivals {
    /// Arrivals counted in the open episode.
    const COUNT: u64 = (1 << 20) - 1;
    /// Where the participant count starts.
    const PARTICIPANTS_SHIFT: u32 = 20;
    /// The participant count, once shifted down.
    const PARTICIPANTS_MASK: u64 = (1 << 16) - 1;
    /// The barrier is broken: arrivals see it in the value their `fetch_add` returns.
    pub(super) const BROKEN: u64 = 1 << 36;
    /// Where the episode number starts.
    const EPISODE_SHIFT: u32 = 37;

    /// The largest participant count the word holds.
    pub(super) const MAX_PARTICIPANTS: u32 = Arrivals::PARTICIPANTS_MASK as u32;
    /// One arrival, as added by an arriving thread's `fetch_add`.
    pub(super) const ONE_ARRIVAL: u64 = 1;
    /// One participant.
    const ONE_PARTICIPANT: u64 = 1 << Arrivals::PARTICIPANTS_SHIFT;
    /// One episode; the episode number wraps off the top of the word.
    const ONE_EPISODE: u64 = 1 << Arrivals::EPISODE_SHIFT;

    /// A new barrier's word: episode 0, no arrivals, `participants` participants.
    pub(super) const fn new(participants: u32) -> Arrivals {
        debug_assert!(participants <= Arrivals::MAX_PARTICIPANTS);
        Arrivals((participants as u64) << Arrivals::PARTICIPANTS_SHIFT)
    }

    #[inline]
    pub(super) const fn from_bits(bits: u64) -> Arrivals {
        Arrivals(bits)
    }

    #[inline]
    pub(super) const fn bits(self) -> u64 {
        self.0
    }

    #[inline]
    pub(super) fn count(self) -> u32 {
        (self.0 & Arrivals::COUNT) as u32
    }

    #[inline]
    pub(super) fn participants(self) -> u32 {
        ((self.0 >> Arrivals::PARTICIPANTS_SHIFT) & Arrivals::PARTICIPANTS_MASK) as u32
    }

    #[inline]
    pub(super) fn is_broken(self) -> bool {
        self.0 & Arrivals::BROKEN != 0
    }

    /// The episode being counted.
    #[inline]
    pub(super) fn episode(self) -> u32 {
        (self.0 >> Arrivals::EPISODE_SHIFT) as u32
    }

    /// Whether this episode already has all its arrivals (its leader is completing it).
    #[inline]
    pub(super) fn is_full(self) -> bool {
        self.count() >= self.participants()
    }

    /// The word after one more arrival, as the `fetch_add` that counted it left it.
    #[inline]
    pub(super) fn arrived(self) -> Arrivals {
        Arrivals(self.0 + Arrivals::ONE_ARRIVAL)
    }

    /// The word with one arrival taken back (a withdrawal). The count must be positive.
    #[inline]
    pub(super) fn withdrawn(self) -> Arrivals {
        debug_assert!(self.count() > 0, "nothing to withdraw");
        Arrivals(self.0 - Arrivals::ONE_ARRIVAL)
    }

    /// The word with one participant fewer (a drop). There must be one.
    #[inline]
    pub(super) fn dropped(self) -> Arrivals {
        debug_assert!(self.participants() > 0, "no participant to drop");
        Arrivals(self.0 - Arrivals::ONE_PARTICIPANT)
    }

    /// The word after the leader's reset: no arrivals, the next episode, the participant count
    /// and the broken flag unchanged.
    #[inline]
    pub(super) fn reset(self) -> Arrivals {
        Arrivals((self.0 & !Arrivals::COUNT).wrapping_add(Arrivals::ONE_EPISODE))
    }
}

/// A snapshot of the release word, the 32-bit futex that waiting threads read and sleep on:
///
/// | bits   | name       | meaning                                                   |
/// |--------|------------|-----------------------------------------------------------|
/// | 0..27  | `EPISODE`  | the open episode: every earlier one has been released    |
/// | 27..30 | (unused)   |                                                           |
/// | 30     | `BROKEN`   | the barrier is broken                                     |
/// | 31     | `SLEEPERS` | a thread may be asleep on this word                       |
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Released(u32);

impl Released {
    /// The barrier is broken: waiters see it in the value they spin on.
    pub(super) const BROKEN: u32 = 1 << 30;

    /// A new barrier's word: episode 0 open.
    pub(super) const INITIAL: u32 = 0;

    #[inline]
    pub(super) const fn from_bits(bits: u32) -> Released {
        Released(bits)
    }

    #[inline]
    pub(super) const fn bits(self) -> u32 {
        self.0
    }

    /// The open episode.
    #[inline]
    pub(super) fn episode(self) -> u32 {
        self.0 & EPISODE_MASK
    }

    #[inline]
    pub(super) fn is_broken(self) -> bool {
        self.0 & Released::BROKEN != 0
    }

    /// Whether `episode` has been released: the open episode lies after it, within half the
    /// episode space (episode numbers wrap).
    #[inline]
    pub(super) fn has_released(self, episode: u32) -> bool {
        let ahead = self.episode().wrapping_sub(episode) & EPISODE_MASK;
        ahead != 0 && ahead <= EPISODE_MASK >> 1
    }

    /// The word that opens the episode after `episode`: the broken flag kept, `SLEEPERS` dropped
    /// (the caller wakes every sleeper).
    #[inline]
    pub(super) fn opening_after(self, episode: u32) -> Released {
        Released((episode.wrapping_add(1) & EPISODE_MASK) | (self.0 & Released::BROKEN))
    }

    /// The episode before `episode`, in the wrapping numbering.
    #[inline]
    pub(super) fn previous(episode: u32) -> u32 {
        episode.wrapping_sub(1) & EPISODE_MASK
    }

    /// This word as it reads while `episode` is open, with or without the broken flag.
    #[inline]
    pub(super) fn with_episode(self, episode: u32) -> Released {
        Released(episode | (self.0 & Released::BROKEN))
    }
}

const _: () = assert!(Released::BROKEN & SLEEPERS == 0 && Released::BROKEN > EPISODE_MASK);
const _: () = assert!(Arrivals::EPISODE_SHIFT + EPISODE_BITS == 64);
const _: () = assert!(Arrivals::BROKEN < Arrivals::ONE_EPISODE);
const _: () = assert!(
    Arrivals::PARTICIPANTS_MASK << Arrivals::PARTICIPANTS_SHIFT < Arrivals::BROKEN
        && Arrivals::COUNT < Arrivals::ONE_PARTICIPANT
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_word_is_empty() {
        let word = Arrivals::new(3);
        assert_eq!(
            (word.count(), word.participants(), word.episode()),
            (0, 3, 0)
        );
        assert!(!word.is_full() && !word.is_broken());
    }

    #[test]
    fn the_last_arrival_fills_the_episode() {
        let mut word = Arrivals::new(2);
        word = word.arrived();
        assert!(!word.is_full());
        word = word.arrived();
        assert!(word.is_full());
        assert_eq!(word.withdrawn().count(), 1);
    }

    #[test]
    fn the_participant_field_holds_max_participants() {
        let word = Arrivals::new(Arrivals::MAX_PARTICIPANTS);
        assert_eq!(word.participants(), Arrivals::MAX_PARTICIPANTS);
        assert_eq!(
            word.dropped().participants(),
            Arrivals::MAX_PARTICIPANTS - 1
        );
        assert_eq!(Arrivals::new(1).dropped().participants(), 0);
    }

    #[test]
    fn a_reset_clears_the_count_and_keeps_the_rest() {
        let word = Arrivals::from_bits(Arrivals::new(4).bits() | Arrivals::BROKEN)
            .arrived()
            .arrived();
        let reset = word.reset();
        assert_eq!(reset.count(), 0);
        assert_eq!(reset.participants(), 4);
        assert!(reset.is_broken());
        assert_eq!(reset.episode(), 1);
    }

    #[test]
    fn the_episode_wraps_in_both_words() {
        let last = EPISODE_MASK;
        let word = Arrivals::from_bits(Arrivals::new(2).bits() | (u64::from(last) << 37));
        assert_eq!(word.episode(), last);
        assert_eq!(
            word.reset().episode(),
            0,
            "the arrival word wraps to episode 0"
        );
        assert_eq!(word.reset().participants(), 2);
        let open_last = Released::from_bits(last);
        let opened = open_last.opening_after(last);
        assert_eq!(opened.episode(), 0, "the release word wraps to episode 0");
        assert!(opened.has_released(last), "across the wrap");
        assert!(!opened.has_released(0));
        assert_eq!(Released::previous(0), last);
    }

    #[test]
    fn the_release_word_keeps_broken_and_drops_sleepers() {
        let word = Released::from_bits(5 | Released::BROKEN | SLEEPERS);
        assert_eq!(word.episode(), 5);
        assert!(word.is_broken());
        let opened = word.opening_after(5);
        assert_eq!(opened.bits(), 6 | Released::BROKEN);
        assert!(opened.has_released(5) && !opened.has_released(6));
    }
}
