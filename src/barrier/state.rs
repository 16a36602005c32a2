//! The barrier's state: episode numbers and the two words, every bit named (docs/design.md,
//! "Barrier").

use crate::futex::SLEEPERS;
use crate::word::Packed;
use std::fmt;

/// Bits of the episode number that the arrival and release words keep.
const EPISODE_BITS: u32 = 27;
/// Those bits, once shifted down to bit 0.
const EPISODE_MASK: u32 = (1 << EPISODE_BITS) - 1;

/// An episode number, in full. Episodes are numbered from 0 by a 64-bit count that does not wrap
/// in practice (2<sup>64</sup> episodes at one a nanosecond take 584 years); the two state words
/// keep only its low 27 bits, and [`Episode::from_bits`] recovers the full number from them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Episode(u64);

impl Episode {
    /// The first episode of a new barrier.
    pub(super) const FIRST: Episode = Episode(0);

    #[inline]
    pub(super) const fn new(number: u64) -> Episode {
        Episode(number)
    }

    #[inline]
    pub(super) const fn number(self) -> u64 {
        self.0
    }

    /// The low bits that the arrival and release words keep.
    #[inline]
    pub(super) const fn bits(self) -> u32 {
        self.0 as u32 & EPISODE_MASK
    }

    /// The episode after this one.
    #[inline]
    pub(super) const fn next(self) -> Episode {
        Episode(self.0 + 1)
    }

    /// The episode whose low bits are `bits` and that lies nearest to `near`: within 2<sup>26</sup>
    /// before or after it.
    ///
    /// `near` is the open episode read just after an arrival, and an arrival's episode lies within
    /// a few episodes of it: at most as many after it as leaders are between their reset and their
    /// release (one per thread, far below 2<sup>26</sup>), and before it by the episodes released
    /// between the arrival and the read (none for a leader, whose own release is still to come).
    #[inline]
    pub(super) fn from_bits(bits: u32, near: Episode) -> Episode {
        // The distance from `near` in the 27-bit numbering, as a signed number in
        // [-2^26, 2^26): shift it to the top of an i32 and back.
        let ahead = bits.wrapping_sub(near.bits()) << (32 - EPISODE_BITS);
        let ahead = i64::from((ahead as i32) >> (32 - EPISODE_BITS));
        Episode(near.0.wrapping_add_signed(ahead))
    }
}

/// A snapshot of the arrival word, the 64-bit atomic that every arrival writes once:
///
/// | bits   | name           | meaning                                                  |
/// |--------|----------------|----------------------------------------------------------|
/// | 0..20  | `COUNT`        | arrivals counted in the open episode, plus `BIAS`        |
/// | 20..36 | `PARTICIPANTS` | arrivals that complete it (lowered by drops)             |
/// | 36     | `BROKEN`       | the barrier is broken                                    |
/// | 37..64 | `EPISODE`      | the low 27 bits of the episode being counted             |
///
/// Every decision an arrival makes comes from the value its own read-modify-write returns, so
/// the participant count and the broken flag live here beside the count. The count is kept
/// biased by `BIAS` (2^19): in tree mode a withdrawal can be taken off the count before the
/// arrivals it belongs to have climbed the tree to it, so the count may dip below zero for a
/// moment; with a single counter it never does.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Arrivals(u64);

impl Arrivals {
    /// Arrivals counted in the open episode, plus `BIAS`.
    const COUNT: u64 = (1 << 20) - 1;
    /// What the count field holds for no arrival: the count runs from -2^19 to 2^19 - 1.
    const BIAS: u64 = 1 << 19;
    /// Where the participant count starts.
    const PARTICIPANTS_SHIFT: u32 = 20;
    /// The participant count, once shifted down.
    const PARTICIPANTS_MASK: u64 = (1 << 16) - 1;
    /// The barrier is broken: arrivals see it in the value their `fetch_add` returns.
    pub(super) const BROKEN: u64 = 1 << 36;
    /// Where the episode bits start.
    const EPISODE_SHIFT: u32 = 37;

    /// The largest participant count the word holds.
    pub(super) const MAX_PARTICIPANTS: u32 = Arrivals::PARTICIPANTS_MASK as u32;
    /// One arrival, as added by an arriving thread's `fetch_add`.
    pub(super) const ONE_ARRIVAL: u64 = 1;
    /// One participant.
    const ONE_PARTICIPANT: u64 = 1 << Arrivals::PARTICIPANTS_SHIFT;
    /// One episode; the episode bits wrap off the top of the word.
    const ONE_EPISODE: u64 = 1 << Arrivals::EPISODE_SHIFT;

    /// A word at the start of `episode`: no arrivals, `participants` participants.
    pub(super) const fn new(participants: u32, episode: Episode) -> Arrivals {
        debug_assert!(participants <= Arrivals::MAX_PARTICIPANTS);
        Arrivals(
            Arrivals::BIAS
                | (participants as u64) << Arrivals::PARTICIPANTS_SHIFT
                | (episode.bits() as u64) << Arrivals::EPISODE_SHIFT,
        )
    }

    #[inline]
    pub(super) const fn from_bits(bits: u64) -> Arrivals {
        Arrivals(bits)
    }

    #[inline]
    pub(super) const fn bits(self) -> u64 {
        self.0
    }

    /// Arrivals counted in the open episode (below zero only for a moment, in tree mode).
    #[inline]
    pub(super) fn count(self) -> i32 {
        (self.0 & Arrivals::COUNT) as i32 - Arrivals::BIAS as i32
    }

    #[inline]
    pub(super) fn participants(self) -> u32 {
        ((self.0 >> Arrivals::PARTICIPANTS_SHIFT) & Arrivals::PARTICIPANTS_MASK) as u32
    }

    #[inline]
    pub(super) fn is_broken(self) -> bool {
        self.0 & Arrivals::BROKEN != 0
    }

    /// The low bits of the episode being counted.
    #[inline]
    pub(super) fn episode(self) -> u32 {
        (self.0 >> Arrivals::EPISODE_SHIFT) as u32
    }

    /// Whether this episode already has all its arrivals (its leader is completing it).
    #[inline]
    pub(super) fn is_full(self) -> bool {
        self.count() >= self.participants() as i32
    }

    /// The word after one more arrival, as the `fetch_add` that counted it left it.
    #[inline]
    pub(super) fn arrived(self) -> Arrivals {
        Arrivals(self.0 + Arrivals::ONE_ARRIVAL)
    }

    /// The word with one arrival taken back (a withdrawal, or a refused arrival undone). With a
    /// single counter the count is positive; in tree mode the arrival may not have climbed to
    /// the word yet, and the count dips below zero until it does.
    #[inline]
    pub(super) fn withdrawn(self) -> Arrivals {
        debug_assert!(
            self.0 & Arrivals::COUNT > 0,
            "the count's bias is spent: more than 2^19 withdrawals ahead of their arrivals"
        );
        Arrivals(self.0 - Arrivals::ONE_ARRIVAL)
    }

    /// The word with `units` arrivals taken back at once (a subtree's, refused at the root).
    #[inline]
    pub(super) fn withdrawn_by(self, units: u32) -> Arrivals {
        debug_assert!(self.0 & Arrivals::COUNT >= u64::from(units));
        Arrivals(self.0 - u64::from(units))
    }

    /// The word after `units` arrivals counted at once (a subtree's, climbing the tree).
    #[inline]
    pub(super) fn arrived_by(self, units: u32) -> Arrivals {
        Arrivals(self.0 + u64::from(units))
    }

    /// The word with one participant fewer (a drop). There must be one.
    #[inline]
    pub(super) fn dropped(self) -> Arrivals {
        debug_assert!(self.participants() > 0, "no participant to drop");
        Arrivals(self.0 - Arrivals::ONE_PARTICIPANT)
    }

    /// The word with `k` participants more (an addition). The caller keeps the total within
    /// `MAX_PARTICIPANTS`.
    #[inline]
    pub(super) fn added(self, k: u32) -> Arrivals {
        debug_assert!(self.participants() + k <= Arrivals::MAX_PARTICIPANTS);
        Arrivals(self.0 + u64::from(k) * Arrivals::ONE_PARTICIPANT)
    }

    /// The word after the leader's reset: no arrivals, the next episode, the participant count
    /// and the broken flag unchanged.
    #[inline]
    pub(super) fn reset(self) -> Arrivals {
        Arrivals((self.0 & !Arrivals::COUNT | Arrivals::BIAS).wrapping_add(Arrivals::ONE_EPISODE))
    }
}

/// A snapshot of the release word, the 32-bit futex that waiting threads sleep on:
///
/// | bits   | name       | meaning                                                   |
/// |--------|------------|-----------------------------------------------------------|
/// | 0..27  | `EPISODE`  | the low 27 bits of the open episode                       |
/// | 27     | (unused)   |                                                           |
/// | 28     | `LEAVES`   | tree mode: a member may be asleep on its leaf's word       |
/// | 29     | `DOOMED`   | the episode open when the barrier broke will not be released |
/// | 30     | `BROKEN`   | the barrier is broken                                     |
/// | 31     | `SLEEPERS` | a thread may be asleep on this word                       |
///
/// Its episode bits change at every release, so that a sleeper's expected value goes stale; the
/// full number of the open episode is kept beside it, in the release line's 64-bit counter.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Released(u32);

impl Released {
    /// The barrier is broken: waiters see it in the value they spin on.
    pub(super) const BROKEN: u32 = 1 << 30;
    /// The episode that was open (not yet reset) when the barrier broke will not be released: it
    /// was still being counted (a broken barrier refuses every further arrival), or its
    /// completion panicked. Set with `BROKEN`, or later by that completion; its waiters read it
    /// instead of the arrival count, which refused arrivals disturb for a moment.
    pub(super) const DOOMED: u32 = 1 << 29;
    /// Tree mode: a member may be asleep on its leaf's word; the release that clears it bumps
    /// every leaf's word and wakes each leaf's sleepers. Kept apart from `SLEEPERS` so that a
    /// release wakes the release word only for those asleep on it.
    pub(super) const LEAVES: u32 = 1 << 28;

    /// A word while `episode` is open, with no flag.
    #[inline]
    pub(super) const fn open(episode: Episode) -> Released {
        Released(episode.bits())
    }

    #[inline]
    pub(super) const fn from_bits(bits: u32) -> Released {
        Released(bits)
    }

    #[inline]
    pub(super) const fn bits(self) -> u32 {
        self.0
    }

    /// The low bits of the open episode.
    #[inline]
    pub(super) fn episode(self) -> u32 {
        self.0 & EPISODE_MASK
    }

    #[inline]
    pub(super) fn is_broken(self) -> bool {
        self.0 & Released::BROKEN != 0
    }

    /// Whether this word shows `episode` released: its open episode's bits lie after
    /// `episode`'s by 1 to 2<sup>26</sup>. Exact for a thread whose episode is at most
    /// 2<sup>26</sup> episodes behind; the open episode's full number settles the rest.
    #[inline]
    pub(super) fn has_released(self, episode: Episode) -> bool {
        let ahead = self.episode().wrapping_sub(episode.bits()) & EPISODE_MASK;
        ahead != 0 && ahead <= EPISODE_MASK >> 1
    }

    #[inline]
    pub(super) fn has_leaves(self) -> bool {
        self.0 & Released::LEAVES != 0
    }

    #[inline]
    pub(super) fn is_doomed(self) -> bool {
        self.0 & Released::DOOMED != 0
    }

    /// The word that opens `next`: the broken and doomed flags kept, `SLEEPERS` and `LEAVES`
    /// dropped (the caller wakes every sleeper).
    #[inline]
    pub(super) fn opening(self, next: Episode) -> Released {
        Released(next.bits() | (self.0 & (Released::BROKEN | Released::DOOMED)))
    }
}

/// Tree mode: the open episode, and the participants it opened with, which fix the shape of its
/// tree (its leaves' quotas):
///
/// | bits   | name           | meaning                                   |
/// |--------|----------------|-------------------------------------------|
/// | 0..48  | `EPISODE`      | the low 48 bits of the open episode       |
/// | 48..64 | `PARTICIPANTS` | the participants it opened with           |
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct Opened(u64);

impl Opened {
    const EPISODE: u64 = (1 << 48) - 1;

    pub(super) const fn new(episode: Episode, participants: u32) -> Opened {
        Opened(episode.number() & Opened::EPISODE | (participants as u64) << 48)
    }

    #[inline]
    pub(super) const fn from_bits(bits: u64) -> Opened {
        Opened(bits)
    }

    #[inline]
    pub(super) const fn bits(self) -> u64 {
        self.0
    }

    /// Whether this is `episode`'s.
    #[inline]
    pub(super) fn is_of(self, episode: Episode) -> bool {
        self.0 & Opened::EPISODE == episode.number() & Opened::EPISODE
    }

    #[inline]
    pub(super) fn participants(self) -> u32 {
        (self.0 >> 48) as u32
    }
}

impl Packed for Arrivals {
    #[inline]
    fn from_bits(bits: u64) -> Arrivals {
        Arrivals::from_bits(bits)
    }

    #[inline]
    fn bits(self) -> u64 {
        Arrivals::bits(self)
    }
}

impl fmt::Debug for Arrivals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Arrivals")
            .field("count", &self.count())
            .field("participants", &self.participants())
            .field("broken", &self.is_broken())
            .field("episode_bits", &self.episode())
            .finish()
    }
}

impl fmt::Debug for Released {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Released")
            .field("episode_bits", &self.episode())
            .field("doomed", &self.is_doomed())
            .field("broken", &self.is_broken())
            .field("sleepers", &(self.0 & SLEEPERS != 0))
            .finish()
    }
}

const _: () = assert!(
    (Released::BROKEN | Released::DOOMED | Released::LEAVES) & SLEEPERS == 0
        && Released::LEAVES > EPISODE_MASK
        && Released::BROKEN != Released::DOOMED
        && Released::LEAVES != Released::DOOMED
);
const _: () = assert!(Arrivals::EPISODE_SHIFT + EPISODE_BITS == 64);
const _: () = assert!(Arrivals::BROKEN < Arrivals::ONE_EPISODE);
const _: () = assert!(
    Arrivals::PARTICIPANTS_MASK << Arrivals::PARTICIPANTS_SHIFT < Arrivals::BROKEN
        && Arrivals::COUNT < Arrivals::ONE_PARTICIPANT
);

#[cfg(test)]
mod tests {
    use super::*;

    /// The last episode whose low bits are all ones: the next one wraps the words to 0.
    const BEFORE_WRAP: Episode = Episode((1 << EPISODE_BITS) - 1);

    #[test]
    fn a_new_word_is_empty() {
        let word = Arrivals::new(3, Episode::FIRST);
        assert_eq!(
            (word.count(), word.participants(), word.episode()),
            (0, 3, 0)
        );
        assert!(!word.is_full() && !word.is_broken());
    }

    #[test]
    fn the_last_arrival_fills_the_episode() {
        let mut word = Arrivals::new(2, Episode::FIRST);
        word = word.arrived();
        assert!(!word.is_full());
        word = word.arrived();
        assert!(word.is_full());
        assert_eq!(word.withdrawn().count(), 1);
    }

    #[test]
    fn the_participant_field_holds_max_participants() {
        let word = Arrivals::new(Arrivals::MAX_PARTICIPANTS, BEFORE_WRAP);
        assert_eq!(word.participants(), Arrivals::MAX_PARTICIPANTS);
        assert_eq!(word.episode(), BEFORE_WRAP.bits());
        assert_eq!(
            word.dropped().participants(),
            Arrivals::MAX_PARTICIPANTS - 1
        );
        assert_eq!(Arrivals::new(1, Episode::FIRST).dropped().participants(), 0);
    }

    #[test]
    fn a_reset_clears_the_count_and_keeps_the_rest() {
        let word = Arrivals::from_bits(Arrivals::new(4, Episode::FIRST).bits() | Arrivals::BROKEN)
            .arrived()
            .arrived();
        let reset = word.reset();
        assert_eq!(reset.count(), 0);
        assert_eq!(reset.participants(), 4);
        assert!(reset.is_broken());
        assert_eq!(reset.episode(), 1);
    }

    #[test]
    fn the_episode_bits_wrap_in_both_words() {
        let word = Arrivals::new(2, BEFORE_WRAP);
        assert_eq!(word.reset().episode(), 0, "the arrival word wraps to 0");
        assert_eq!(word.reset().participants(), 2);
        let opened = Released::open(BEFORE_WRAP).opening(BEFORE_WRAP.next());
        assert_eq!(opened.episode(), 0, "the release word wraps to 0");
        assert_eq!(BEFORE_WRAP.next().bits(), 0);
    }

    #[test]
    fn the_release_word_shows_the_released_episodes_nearby() {
        let open = Released::open(Episode(5));
        assert!(open.has_released(Episode(4)) && open.has_released(Episode(0)));
        assert!(!open.has_released(Episode(5)) && !open.has_released(Episode(6)));
        let wrapped = Released::open(BEFORE_WRAP.next());
        assert!(wrapped.has_released(BEFORE_WRAP), "across the wrap");
        assert!(!wrapped.has_released(BEFORE_WRAP.next()));
    }

    #[test]
    fn the_release_word_keeps_broken_and_drops_sleepers() {
        let word = Released::from_bits(5 | Released::BROKEN | SLEEPERS);
        assert_eq!(word.episode(), 5);
        assert!(word.is_broken());
        assert_eq!(word.opening(Episode(6)).bits(), 6 | Released::BROKEN);
    }

    #[test]
    fn the_full_number_is_recovered_near_the_open_episode() {
        for near in [
            0,
            5,
            BEFORE_WRAP.0 - 2,
            BEFORE_WRAP.0,
            1 << 27,
            3 << 27,
            u64::MAX >> 2,
        ] {
            let near = Episode(near);
            for distance in [0, 1, 2, 1000, (1 << 26) - 1] {
                let ahead = Episode(near.0 + distance);
                assert_eq!(
                    Episode::from_bits(ahead.bits(), near),
                    ahead,
                    "{near:?} + {distance}"
                );
                if let Some(behind) = near.0.checked_sub(distance) {
                    let behind = Episode(behind);
                    assert_eq!(Episode::from_bits(behind.bits(), near), behind);
                }
            }
        }
        // Across the wrap of the low bits, both ways.
        let after = BEFORE_WRAP.next().next();
        assert_eq!(Episode::from_bits(after.bits(), BEFORE_WRAP), after);
        assert_eq!(Episode::from_bits(BEFORE_WRAP.bits(), after), BEFORE_WRAP);
    }
}
