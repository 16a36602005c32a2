//! The episode protocol, on [`RawBarrier`] (the two lines, without the completion's type):
//! counting an arrival, leading (completion, reset, release), dropping a participant, waiting for
//! a release, withdrawing a timed-out arrival, and taking back a refused one (docs/design.md,
//! "Barrier").

use super::outcome::{BarrierWaitError, BarrierWaitResult};
use super::state::{Arrivals, Episode, Opened, Released};
use super::topology;
use super::tree::{Landed, Tree};
use crate::futex::Futex;
use crate::primitive::{
    const_fn_unless_loom, fence, spin_hint, thread_local, yield_now, AtomicU64, Ordering,
};
use crate::wait::{wait, TimedOut, WaitPolicy, Waiter};
use crate::word::Word;
use crossbeam_utils::CachePadded;
use std::cell::RefCell;
use std::sync::OnceLock;
use std::time::Instant;

/// The completion of a barrier made by `Barrier::new`: there is none.
pub(super) type NoCompletion = fn();

/// The barrier's shared state, apart from its completion: two words on two cache lines, and how
/// its threads wait. `Barrier<F>` is this and an `Option<F>`.
pub(super) struct RawBarrier {
    /// The arrival line: the arrival word, on a cache line of its own.
    pub(super) arrive: CachePadded<ArriveLine>,
    /// The release line, on a cache line of its own so that waiters spinning on it are not
    /// disturbed by every arrival.
    pub(super) release: CachePadded<ReleaseLine>,
    /// Read only by waiters, after they found they must wait.
    pub(super) policy: WaitPolicy,
    /// The combining tree, if arrivals are counted in one (`with_fan_in`, or the machine's
    /// default, chosen at the first arrival): read-only once set.
    pub(super) tree: OnceLock<Option<Box<Tree>>>,
}

/// What arriving threads write: the arrival word, and the full number of the episode it counts.
pub(super) struct ArriveLine {
    /// The arrival word.
    pub(super) word: Word<Arrivals>,
    /// The episode being counted, in full, as the last leader to reset left it: each leader
    /// stores the number of the episode its reset opens, just before the reset. Only leaders
    /// read it, after their Acquire fence, to recover their episode's number.
    pub(super) episode: AtomicU64,
}

/// What waiting threads read: the word they sleep on, and the full number of the open episode.
pub(super) struct ReleaseLine {
    /// The release word (`state::Released`).
    pub(super) word: Futex,
    /// The open episode, in full: every earlier one has been released. Only leaders write it,
    /// one at a time, in episode order.
    pub(super) episode: AtomicU64,
    /// Tree mode: the open episode and the participants it opened with (`state::Opened`),
    /// which fix its tree's shape. Stored by its leader before the release that opens it.
    pub(super) opened: AtomicU64,
}

/// A counted arrival that waits for its episode's release.
#[derive(Clone, Copy, Debug)]
pub(super) struct Member {
    /// The low bits of its episode, as its arrival left the arrival word.
    bits: u32,
    /// Its episode in full, once known: from the first look at the open episode after the
    /// arrival, a few instructions later.
    episode: Option<Episode>,
    /// How many threads may wait for the release together: every participant but the leader.
    waiters: usize,
    /// Tree mode: the leaf it was counted in, whose word it sleeps on.
    leaf: Option<u32>,
}

impl Member {
    /// Its episode in full, recovered on the first call from `open`, the open episode just read.
    #[inline]
    pub(super) fn episode(&mut self, open: Episode) -> Episode {
        let bits = self.bits;
        *self
            .episode
            .get_or_insert_with(|| Episode::from_bits(bits, open))
    }

    /// Its episode in full, after a wait (whose first look recovered it).
    fn known_episode(&self) -> Episode {
        self.episode
            .expect("a member's episode is known after its first look")
    }
}

/// Where an arrival landed.
pub(super) enum Arrived {
    /// It completed the episode: this thread leads. The arrival word as its arrival left it.
    Leader(Arrivals),
    /// The episode is open: wait for its release.
    Waiter(Member),
}

/// Why an arrival was refused. A refused arrival is taken back: the state is as it was.
pub(super) enum Refused {
    /// The barrier is broken.
    Broken,
    /// The arrival found its episode full and the deadline passed while it waited to arrive again.
    TimedOut,
    /// Every participant has left: no episode can ever complete.
    NoParticipants,
    /// The call came from this barrier's own completion, which runs before the episode it
    /// completes is released: it would wait for itself.
    FromCompletion,
    /// An addition would take the participants beyond `MAX_PARTICIPANTS`.
    TooMany,
}

/// A member waiting in the wait loop for its episode's release.
///
/// A spinning member reads only the release word: its episode bits move past the member's at the
/// release, and a word that shows them 1 to 2^26 episodes past it is a release (a member is never
/// that far behind without having been released). The open episode's full number settles what the
/// word cannot: on the first look, and before each sleep. That guards against bits that came
/// round: a member that did not run for 2^26 episodes or more may read its episode as open or
/// behind, and must not sleep through a release that has already happened.
///
/// In tree mode the member sleeps on its leaf's futex word (`group`), not on the release word: the
/// wait loop then loads the leaf's word, and each look reads the release word itself.
struct Awaiting<'a> {
    barrier: &'a RawBarrier,
    member: &'a mut Member,
    /// Read the open episode on the next look, whatever the word shows.
    confirm: bool,
    /// Tree mode: the leaf's word, where this member sleeps.
    group: Option<&'a Futex>,
    /// The release word as the last look read it.
    seen: u32,
}

impl Waiter for Awaiting<'_> {
    type Output = Result<(), BarrierWaitError>;

    fn ready(&mut self, observed: u32) -> Option<Self::Output> {
        self.seen = match self.group {
            None => observed,
            // Acquire: pairs with the leader's Release compare-exchange in `release`, as the
            // wait loop's load of the word does in the other mode.
            Some(_) => self.barrier.release.word.load(Ordering::Acquire),
        };
        let word = Released::from_bits(self.seen);
        let episode = match self.member.episode {
            Some(episode) => episode,
            None => {
                // The first look: recover the full number from the open episode, which settles
                // this look too. Acquire: pairs with the Release `fetch_max` in `release`.
                let open = self.barrier.open_episode(Ordering::Acquire);
                let episode = self.member.episode(open);
                if open > episode {
                    return Some(Ok(()));
                }
                self.confirm = false;
                episode
            }
        };
        // The wait loop's Acquire load of the word pairs with the leader's Release
        // compare-exchange in `release`.
        if word.has_released(episode) || (self.confirm && self.barrier.has_released(episode)) {
            return Some(Ok(()));
        }
        self.confirm = false;
        if word.is_broken() && !self.barrier.will_release(episode, word) {
            return Some(Err(BarrierWaitError::Broken));
        }
        None
    }

    /// Before sleeping, one look at the open episode (see the type's docs): a release already
    /// made means looking again instead. In tree mode, `SLEEPERS` on the release word, set on
    /// the value the last look read, tells the leader to sweep the leaves' words; then the mark
    /// on the leaf's word, which the sweep bumps (docs/design.md, "The tree").
    fn announce(&mut self, futex: &Futex, observed: u32) -> Option<u32> {
        if let Some(episode) = self.member.episode {
            if self.barrier.is_released(episode) {
                self.confirm = true;
                return None;
            }
        }
        if self.group.is_some() {
            // `LEAVES` is a flag of the `SLEEPERS` kind (`Futex::mark`): the releaser's or
            // breaker's read-modify-write of the word sees it, or makes this exchange fail.
            self.barrier
                .release
                .word
                .mark(self.seen, Released::LEAVES)?;
        }
        futex.mark_sleepers(observed)
    }
}

thread_local! {
    /// The barriers (by address) whose completion this thread is running, innermost last.
    // Not a `const { .. }` initializer: loom's `thread_local!` does not take one. Touched only
    // around a completion and on cold paths.
    #[allow(clippy::missing_const_for_thread_local)]
    static COMPLETING: RefCell<Vec<usize>> = RefCell::new(Vec::new());
}

/// Marks the thread as running `barrier`'s completion while it lives, and breaks the barrier if
/// the completion unwinds (its episode then failed: it will not be released).
struct Completing<'a> {
    barrier: &'a RawBarrier,
}

impl<'a> Completing<'a> {
    fn enter(barrier: &'a RawBarrier) -> Self {
        COMPLETING.with(|completing| completing.borrow_mut().push(barrier.address()));
        Completing { barrier }
    }
}

impl Drop for Completing<'_> {
    fn drop(&mut self) {
        COMPLETING.with(|completing| completing.borrow_mut().pop());
        if std::thread::panicking() {
            self.barrier.set_broken(true);
        }
    }
}

impl RawBarrier {
    const_fn_unless_loom! {
        /// The state of a new barrier of `participants` (at least 1), whose first episode is
        /// `episode`.
        pub(super) fn new(participants: u32, episode: Episode) -> RawBarrier {
            RawBarrier {
                arrive: CachePadded::new(ArriveLine {
                    word: Word::from_bits(Arrivals::new(participants, episode).bits()),
                    episode: AtomicU64::new(episode.number()),
                }),
                release: CachePadded::new(ReleaseLine {
                    word: Futex::new(Released::open(episode).bits()),
                    episode: AtomicU64::new(episode.number()),
                    opened: AtomicU64::new(Opened::new(episode, participants).bits()),
                }),
                policy: WaitPolicy::Adaptive,
                tree: OnceLock::new(),
            }
        }
    }

    /// Counts one arrival. An arrival into a full episode (only possible with more threads than
    /// participants) is erased by that episode's reset: it waits, until `deadline` at the latest,
    /// for that episode's release and arrives again.
    #[inline]
    pub(super) fn arrive_in(&self, deadline: Option<Instant>) -> Result<Arrived, Refused> {
        if let Some(tree) = self.tree() {
            return self.arrive_in_tree(tree, deadline);
        }
        loop {
            // Release: this thread's writes before the barrier travel to the leader, whose
            // Acquire fence in `lead` synchronizes with every arrival of its episode (every write
            // to the arrival word is a read-modify-write, so each arrival heads a release
            // sequence that the leader's own read-modify-write reads).
            let before = self
                .arrive
                .word
                .fetch_add(Arrivals::ONE_ARRIVAL, Ordering::Release);
            let arrival = before.arrived();
            if before.is_broken() {
                self.take_back(arrival);
                return Err(Refused::Broken);
            }
            if arrival.count() == before.participants() as i32 {
                return Ok(Arrived::Leader(arrival));
            }
            if arrival.count() < before.participants() as i32 {
                return Ok(Arrived::Waiter(Member {
                    bits: arrival.episode(),
                    episode: None,
                    waiters: before.participants() as usize - 1,
                    leaf: None,
                }));
            }
            self.arrive_later(arrival, deadline)?;
        }
    }

    /// The combining tree, if this barrier counts in one: set by `with_fan_in`, or chosen from
    /// the machine at the first arrival (docs/design.md, "The tree").
    #[inline]
    pub(super) fn tree(&self) -> Option<&Tree> {
        self.tree
            .get_or_init(|| {
                // Under loom, trees come only from `with_fan_in`: the default's look at the
                // participants would be a loom step inside std's `OnceLock`, where another loom
                // thread asking too would block the one OS thread they share.
                if cfg!(loom) {
                    return None;
                }
                let participants = self.participants();
                topology::default_fan_in(participants)
                    .map(|fan_in| Box::new(Tree::new(participants, fan_in)))
            })
            .as_deref()
    }

    /// Tree mode: counts one arrival in the open episode, in the tree (`Tree::arrive`), and at
    /// the root if it completes the top of the tree. An arrival that finds every leaf full (only
    /// possible with more threads than participants) waits, until `deadline` at the latest, for
    /// that episode's release and arrives again.
    fn arrive_in_tree(&self, tree: &Tree, deadline: Option<Instant>) -> Result<Arrived, Refused> {
        loop {
            let (episode, opened, word) = self.opened();
            if word.is_broken() {
                return Err(Refused::Broken);
            }
            let landed = tree.arrive(episode, tree.shape(opened.participants()));
            let member = |leaf| Member {
                bits: episode.bits(),
                episode: Some(episode),
                waiters: opened.participants().saturating_sub(1) as usize,
                leaf: Some(leaf),
            };
            return match landed {
                Landed::Member { leaf } => Ok(Arrived::Waiter(member(leaf))),
                Landed::Root { leaf, units } => Ok(match self.count_at_root(episode, units)? {
                    Some(arrival) => Arrived::Leader(arrival),
                    None => Arrived::Waiter(member(leaf)),
                }),
                Landed::Ahead => continue,
                Landed::Full => match self.arrive_after_full(tree, episode, deadline)? {
                    Some(Some(arrival)) => Ok(Arrived::Leader(arrival)),
                    Some(None) => Ok(Arrived::Waiter(Member {
                        leaf: None,
                        ..member(0)
                    })),
                    None => continue,
                },
            };
        }
    }

    /// Tree mode: the open episode, and the participants it opened with. A leader stores them
    /// just before the release that opens the episode; between the two, looks again.
    fn opened(&self) -> (Episode, Opened, Released) {
        for look in 0u32.. {
            // Relaxed: an arrival learns nothing from the release (a member acquires it when it
            // waits). The two loads may disagree (a leader between its store of `opened` and its
            // release, or a stale look): `is_of` catches it, and a stale episode is caught at the
            // leaves (`Ahead`) or the root (full: wait it out).
            let word = Released::from_bits(self.release.word.load(Ordering::Relaxed));
            // Relaxed: a reference point near the open episode, for its full number only; and
            // the shape, checked against the word.
            let episode = Episode::from_bits(word.episode(), self.open_episode(Ordering::Relaxed));
            let opened = Opened::from_bits(self.release.opened.load(Ordering::Relaxed));
            if opened.is_of(episode) {
                return (episode, opened, word);
            }
            // A leader between the two stores: a few instructions, unless it was descheduled.
            if look < 64 {
                spin_hint();
            } else {
                yield_now();
            }
        }
        unreachable!("the loop ends by returning")
    }

    /// Tree mode: adds `units` arrivals of `episode`, which climbed the tree, at the root; the
    /// arrival word as they left it, if they complete the episode (the caller leads).
    fn count_at_root(&self, episode: Episode, units: u32) -> Result<Option<Arrivals>, Refused> {
        // Release: as a single counter's arrival (see `arrive_in`), for this thread's writes and
        // those of every arrival it carried up (its joins acquired them).
        let before = self
            .arrive
            .word
            .fetch_add(u64::from(units), Ordering::Release);
        let after = before.arrived_by(units);
        if before.is_broken() {
            // The episode will not complete (a break dooms it while it lacks arrivals): the
            // arrivals this thread carried up are taken back, and their members see it broken.
            self.take_back_units(after, units);
            return Err(Refused::Broken);
        }
        // The tree's slots are fixed when the episode opens, so a count climbs no higher than
        // the participants, and an episode completes only once all of them are in.
        debug_assert_eq!(before.episode(), episode.bits(), "counted past its episode");
        debug_assert!(after.count() <= before.participants() as i32);
        Ok((after.count() == before.participants() as i32).then_some(after))
    }

    /// Tree mode: every leaf of `episode` has all its arrivals. If the root is not full, this
    /// thread takes one of the slots at the root that participants added after the episode
    /// opened left (`Some`: counted there, as `count_at_root` returns it); without one, some
    /// arrivals are still climbing or a withdrawal is about to reopen its leaf (`None`: look
    /// again). If the root is full, the episode has all its participants and this thread is one
    /// too many (more threads than participants): it waits, until `deadline` at the latest, for
    /// the episode's release (`None`: arrive again).
    #[cold]
    fn arrive_after_full(
        &self,
        tree: &Tree,
        episode: Episode,
        deadline: Option<Instant>,
    ) -> Result<Option<Option<Arrivals>>, Refused> {
        // Relaxed: the counts steer this thread only; the release is waited for below.
        let root = self.arrive.word.load(Ordering::Relaxed);
        if root.participants() == 0 {
            return Err(Refused::NoParticipants);
        }
        if root.episode() == episode.bits() && !root.is_full() && !root.is_broken() {
            if tree.take_spare(episode) {
                return self.count_at_root(episode, 1).map(Some);
            }
            yield_now();
            return Ok(None);
        }
        if self.is_completing() {
            return Err(Refused::FromCompletion);
        }
        self.wait_out(episode, deadline).map(|()| None)
    }

    /// An arrival found its episode full, or no participants at all. Waits until that episode is
    /// released (its reset erased this arrival, so the caller then arrives again), or refuses.
    #[cold]
    fn arrive_later(&self, arrival: Arrivals, deadline: Option<Instant>) -> Result<(), Refused> {
        let refused = if arrival.participants() == 0 {
            Refused::NoParticipants
        } else if self.is_completing() {
            Refused::FromCompletion
        } else {
            // Relaxed: a reference point near the full episode, for its full number only.
            let full = Episode::from_bits(arrival.episode(), self.open_episode(Ordering::Relaxed));
            match self.wait_out(full, deadline) {
                Ok(()) => return Ok(()),
                Err(refused) => refused,
            }
        };
        self.take_back(arrival);
        Err(refused)
    }

    /// Waits, until `deadline` at the latest, for the release of `full`, an episode this thread
    /// is not a member of: a break refuses it whether or not that episode completes.
    fn wait_out(&self, full: Episode, deadline: Option<Instant>) -> Result<(), Refused> {
        let mut released = |observed| {
            let word = Released::from_bits(observed);
            if word.has_released(full) || self.has_released(full) {
                Some(Ok(()))
            } else {
                word.is_broken().then_some(Err(()))
            }
        };
        match wait(&self.release.word, self.policy, 1, deadline, &mut released) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(())) => Err(Refused::Broken),
            Err(TimedOut) => Err(Refused::TimedOut),
        }
    }

    /// The leader's work, given the arrival word as its own arrival or drop left it: take in the
    /// episode's writes, run the completion, reset the arrival word, then release the episode.
    #[inline]
    pub(super) fn lead<F: Fn()>(
        &self,
        arrival: Arrivals,
        completion: Option<&F>,
    ) -> BarrierWaitResult {
        // Acquire: pairs with the Release read-modify-write of every arrival of this episode, and
        // with the previous leader's Release reset, which the first arrival of this episode read.
        fence(Ordering::Acquire);
        if let Some(completion) = completion {
            let _completing = Completing::enter(self);
            completion();
        }
        // Relaxed: the previous leader stored this before its Release reset, which the fence
        // above synchronizes with, so it reads this episode's number (the arrival line is this
        // thread's since its own arrival: no cache miss).
        let episode = Episode::from_bits(
            arrival.episode(),
            Episode::new(self.arrive.episode.load(Ordering::Relaxed)),
        );
        // Relaxed: published by the reset's Release, to the next leader.
        self.arrive
            .episode
            .store(episode.next().number(), Ordering::Relaxed);
        // Release: the next leader's Acquire fence pairs with this (through the next episode's
        // arrivals, which read it), so consecutive completions do not race, and it reads the
        // number stored above. Nothing else is published here: the waiters synchronize with the
        // release line. It starts from the word as this thread's arrival left it (the line is
        // still this thread's), and retries when a later arrival into the full episode (to be
        // erased), a drop, a break or a refused arrival taken back changed it.
        let replaced = self.arrive.word.update_from(
            arrival,
            Ordering::Release,
            Ordering::Relaxed,
            |current| {
                debug_assert_eq!(
                    current.episode(),
                    arrival.episode(),
                    "reset by another thread"
                );
                current.reset()
            },
        );
        self.release(episode, replaced.reset().participants());
        BarrierWaitResult::LEADER
    }

    /// Lowers the participant count by one, as an arrival in this episode (see
    /// `Barrier::arrive_and_drop`); leads the episode if that completes it. Does nothing on a
    /// broken barrier.
    pub(super) fn drop_participant<F: Fn()>(
        &self,
        completion: Option<&F>,
    ) -> Result<BarrierWaitResult, Refused> {
        let tree = self.tree();
        // Release: counts as an arrival, so this thread's writes travel to the leader as an
        // arrival's do (see `arrive_in`); the Acquire fence in `lead` pairs with it. A completion
        // runs while its episode is full: a drop from it is refused. In tree mode the drop also
        // takes one arrival off the count, which its arrival in the tree adds back (`fill`).
        let dropped =
            self.arrive
                .word
                .try_update(Ordering::Release, Ordering::Relaxed, |current| {
                    let refused = current.is_broken()
                        || current.participants() == 0
                        || (current.is_full() && self.is_completing());
                    (!refused).then(|| match tree {
                        Some(_) if !current.is_full() => current.withdrawn().dropped(),
                        _ => current.dropped(),
                    })
                });
        match dropped {
            Ok(before) if !before.is_full() && tree.is_some() => {
                Ok(self.fill(tree.expect("checked"), before, completion))
            }
            // The others have all arrived: this drop completes the episode. (A drop into a full
            // episode, from a thread beyond the participant count, belongs to the next one,
            // whose count starts after the reset and cannot be complete yet.)
            Ok(before) if before.count() + 1 == before.participants() as i32 => {
                Ok(self.lead(before.dropped(), completion))
            }
            Ok(_) => Ok(BarrierWaitResult::FOLLOWER),
            Err(current) if current.is_broken() => Ok(BarrierWaitResult::FOLLOWER),
            Err(current) if current.participants() == 0 => Err(Refused::NoParticipants),
            Err(_) => Err(Refused::FromCompletion),
        }
    }

    /// Adds `k` participants (see `Barrier::add_participants`), and returns the first episode
    /// they take part in: the one the arrival word counts, or, if it has all its arrivals (its
    /// leader is completing it), the next.
    #[cold]
    pub(super) fn add_participants(&self, k: u32) -> Result<Episode, Refused> {
        let tree = self.tree();
        // Relaxed: an addition publishes nothing (the newcomers' writes travel with their own
        // arrivals) and learns nothing. Into an episode being counted, the participants go up
        // and the episode waits for the newcomers too; in tree mode its shape is fixed, so the
        // newcomers get slots at the root (`add_spare`, below). Into a full episode, they are
        // counted as arrived as well, so that it stays full; its leader's reset erases those
        // arrivals and keeps the participants, and the next episode opens with them.
        let added = self
            .arrive
            .word
            .try_update(Ordering::Relaxed, Ordering::Relaxed, |current| {
                let refused = current.is_broken()
                    || current.participants() == 0
                    || current.participants() + k > Arrivals::MAX_PARTICIPANTS;
                (!refused).then(|| match current.is_full() {
                    true => current.arrived_by(k).added(k),
                    false => current.added(k),
                })
            });
        match added {
            Ok(before) => {
                // Relaxed: a reference point near the episode, for its full number only.
                let episode =
                    Episode::from_bits(before.episode(), self.open_episode(Ordering::Relaxed));
                if before.is_full() {
                    return Ok(episode.next());
                }
                if let Some(tree) = tree {
                    tree.add_spare(episode, k);
                }
                Ok(episode)
            }
            Err(current) if current.is_broken() => Err(Refused::Broken),
            Err(current) if current.participants() == 0 => Err(Refused::NoParticipants),
            Err(_) => Err(Refused::TooMany),
        }
    }

    /// Tree mode: a participant that left (`before`: the arrival word as its drop found it, not
    /// full) arrives in the episode the word counts, filling one of the slots that episode opened
    /// with, without waiting; it leads if that completes the episode.
    #[cold]
    fn fill<F: Fn()>(
        &self,
        tree: &Tree,
        before: Arrivals,
        completion: Option<&F>,
    ) -> BarrierWaitResult {
        // Relaxed: a reference point near the episode, for its full number only. The word may
        // count the episode after the open one (a leader between its reset and its release);
        // that episode cannot be released without this arrival.
        let episode = Episode::from_bits(before.episode(), self.open_episode(Ordering::Relaxed));
        self.wait_for_previous(episode);
        let units = loop {
            let (open, opened, _) = self.opened();
            debug_assert_eq!(open, episode);
            match tree.arrive(episode, tree.shape(opened.participants())) {
                Landed::Member { .. } | Landed::Ahead => return BarrierWaitResult::FOLLOWER,
                Landed::Root { units, .. } => break units,
                // A participant added after the episode opened: a slot at the root.
                Landed::Full if tree.take_spare(episode) => break 1,
                // A withdrawal about to reopen its leaf.
                Landed::Full => yield_now(),
            }
        };
        match self.count_at_root(episode, units) {
            Ok(Some(arrival)) => self.lead(arrival, completion),
            // A drop does nothing more on a broken barrier.
            Ok(None) | Err(_) => BarrierWaitResult::FOLLOWER,
        }
    }

    /// A waiter whose deadline passed: returns `Ok` if its episode completed with it (before or
    /// at the deadline), or else takes its arrival back and returns `TimedOut`. Never both.
    pub(super) fn finish_timed_wait(
        &self,
        mut member: Member,
        deadline: Option<Instant>,
    ) -> Result<BarrierWaitResult, BarrierWaitError> {
        match self.wait_release(&mut member, deadline) {
            Ok(()) => Ok(BarrierWaitResult::FOLLOWER),
            Err(BarrierWaitError::TimedOut) => self.withdraw(member),
            Err(broken) => Err(broken),
        }
    }

    /// A timed-out waiter takes its arrival back, unless its episode completed, or is completing,
    /// with it: then it waits for the release after all.
    #[cold]
    fn withdraw(&self, mut member: Member) -> Result<BarrierWaitResult, BarrierWaitError> {
        let episode = member.known_episode();
        // Tree mode: out of its leaf, if the leaf's count has not gone up; otherwise off the
        // count at the root, as below, and then its slot goes back to the leaf.
        let tree = member.leaf.and_then(|leaf| Some((self.tree()?, leaf)));
        if let Some((tree, leaf)) = tree {
            if self.is_released(episode) {
                return Ok(BarrierWaitResult::FOLLOWER);
            }
            // Relaxed: as the single counter's withdrawal below, which decides on the same
            // flags: a broken barrier's episode still counting and short of arrivals is doomed.
            let root = self.arrive.word.load(Ordering::Relaxed);
            if root.is_broken() && root.episode() == episode.bits() && !root.is_full() {
                return Err(BarrierWaitError::Broken);
            }
            match tree.leave(leaf, episode) {
                Ok(()) => return Err(BarrierWaitError::TimedOut),
                // The leaf counts a later episode: this one is released.
                Err(false) => {
                    return self
                        .wait_release(&mut member, None)
                        .map(|()| BarrierWaitResult::FOLLOWER)
                }
                Err(true) => {}
            }
        }
        // Relaxed: a withdrawn arrival publishes nothing and learns nothing. The modification
        // order of the arrival word decides the race with the last arrival: this succeeds only
        // before it, so the episode then needs one more arrival.
        let withdrawn =
            self.arrive
                .word
                .try_update(Ordering::Relaxed, Ordering::Relaxed, |current| {
                    // Completion first: an episode released is passed, even if the barrier broke
                    // since. Not yet released, the arrival word counts this episode or one of the
                    // few after it (one per leader still to release), so its bits name this episode
                    // unambiguously; reset, or full and being led, this arrival is part of it.
                    let counting = current.episode() == episode.bits() && !current.is_full();
                    (counting && !current.is_broken() && !self.is_released(episode))
                        .then(|| current.withdrawn())
                });
        match withdrawn {
            Ok(_) => {
                match (tree, self.tree()) {
                    (Some((tree, leaf)), _) => tree.reopen(leaf, episode),
                    // Tree mode, counted at the root in a slot an addition made: it goes back.
                    (None, Some(tree)) => tree.add_spare(episode, 1),
                    (None, None) => {}
                }
                Err(BarrierWaitError::TimedOut)
            }
            Err(_) if self.is_released(episode) => Ok(BarrierWaitResult::FOLLOWER),
            Err(current) if current.episode() != episode.bits() || current.is_full() => self
                .wait_release(&mut member, None)
                .map(|()| BarrierWaitResult::FOLLOWER),
            Err(_) => Err(BarrierWaitError::Broken),
        }
    }

    /// Releases `episode`: once the previous episode is released, flips the release word's
    /// episode bits past it, advances the open episode, and wakes the sleepers.
    #[inline]
    fn release(&self, episode: Episode, next_participants: u32) {
        let tree = self.tree.get().and_then(Option::as_deref);
        if tree.is_some() {
            // Relaxed: published by the Release exchange below, to the arrivals of the episode it
            // opens (they read it after an Acquire load of the word). An arrival that reads it
            // before then sees an episode that is not open yet, and looks again.
            self.release.opened.store(
                Opened::new(episode.next(), next_participants).bits(),
                Ordering::Relaxed,
            );
        }
        let mut current = Released::open(episode).bits();
        let previous = loop {
            // Release: pairs with the wait loop's Acquire load of this word, publishing this
            // episode's writes (gathered by the Acquire fence in `lead`) and the completion's to
            // every waiter that sees the new bits. Expecting this episode's bits (a guess, so the
            // line is taken once), it succeeds only once the previous episode is released, so
            // leaders flip the bits in order; it retries when a waiter marked SLEEPERS or the
            // barrier broke. The new value keeps BROKEN and DOOMED and drops SLEEPERS: every
            // sleeper is woken below.
            let flipped = self.release.word.try_update_from(
                current,
                Ordering::Release,
                Ordering::Relaxed,
                |word| {
                    let word = Released::from_bits(word);
                    (word.episode() == episode.bits()).then(|| word.opening(episode.next()).bits())
                },
            );
            match flipped {
                Ok(previous) => break previous,
                // The previous episode is not released yet.
                Err(_) => {
                    self.wait_for_previous(episode);
                    current = self.release.word.load(Ordering::Relaxed);
                }
            }
        };
        // Release: pairs with the Acquire loads of the open episode (`has_released`), as the
        // exchange above does for the word. A plain store on the line this thread just took: two
        // leaders' stores can land out of order, leaving the count an episode or two behind the
        // word for a moment, which its readers allow for (they consult the word too).
        self.release
            .episode
            .store(episode.next().number(), Ordering::Release);
        self.release.word.wake_all_if_sleepers(previous);
        if let Some(tree) = tree {
            self.wake_leaves(tree, previous);
        }
    }

    /// Tree mode, after a change of the release word that replaced `previous`: if it had
    /// `LEAVES`, bumps every leaf's word and wakes the sleepers of each leaf that had some, one
    /// futex call per leaf (docs/design.md, "The tree").
    #[cold]
    pub(super) fn wake_leaves(&self, tree: &Tree, previous: u32) {
        if !Released::from_bits(previous).has_leaves() {
            return;
        }
        for group in tree.groups() {
            // Release: pairs with the wait loop's Acquire load of the leaf's word, so that a member
            // that sees the bump, or whose mark fails on it, then reads the release word changed.
            let bumped = group.try_update(Ordering::Release, Ordering::Relaxed, |sequence| {
                Some(sequence.wrapping_add(1) & !crate::futex::SLEEPERS)
            });
            let (Ok(sequence) | Err(sequence)) = bumped;
            group.wake_all_if_sleepers(sequence);
        }
    }

    /// The previous episode's leader has reset the arrival word but not yet released its episode
    /// (only when more threads than participants share the barrier): wait until the release word
    /// shows `episode` open. Leaders never block between their reset and their release but here,
    /// and the first of them waits for nobody, so this ends, broken barrier or not.
    #[cold]
    fn wait_for_previous(&self, episode: Episode) {
        // The wait loop's Acquire load of the release word pairs with the previous leader's
        // Release compare-exchange of it, after which the open episode reads `episode`. Only
        // leaders change the episode bits, in order, and they lag the arrival word by far less
        // than 2^27 episodes: equal bits are this episode.
        let mut previous =
            |observed| (Released::from_bits(observed).episode() == episode.bits()).then_some(());
        let _ = wait(&self.release.word, self.policy, 0, None, &mut previous);
    }

    /// Waits, until `deadline` at the latest, for the release of `member`'s episode. A broken
    /// barrier ends the wait with `Broken` only if the episode will not be released: see
    /// `will_release`.
    pub(super) fn wait_release(
        &self,
        member: &mut Member,
        deadline: Option<Instant>,
    ) -> Result<(), BarrierWaitError> {
        let waiters = member.waiters;
        // Tree mode: the member sleeps on its leaf's word.
        let group = member
            .leaf
            .map(|leaf| self.tree().expect("a leaf means a tree").group(leaf));
        let mut awaiting = Awaiting {
            barrier: self,
            member,
            confirm: true,
            group,
            seen: 0,
        };
        match wait(
            group.unwrap_or(&self.release.word),
            self.policy,
            waiters,
            deadline,
            &mut awaiting,
        ) {
            Ok(result) => result,
            Err(TimedOut) => Err(BarrierWaitError::TimedOut),
        }
    }

    /// Whether the open episode's full number shows `episode` released. It can lag the release
    /// word by an episode or two for a moment (see `release`): `is_released` asks both.
    #[inline]
    pub(super) fn has_released(&self, episode: Episode) -> bool {
        // Acquire: pairs with the Release store of the open episode in `release`.
        self.open_episode(Ordering::Acquire) > episode
    }

    /// Whether `episode` has been released: the release word shows it (exact for an episode up
    /// to 2^26 behind the open one), or the open episode's number does (for any older one).
    /// Once true, true for good.
    #[inline]
    pub(super) fn is_released(&self, episode: Episode) -> bool {
        // Acquire: pairs with the Release compare-exchange of the word in `release`.
        Released::from_bits(self.release.word.load(Ordering::Acquire)).has_released(episode)
            || self.has_released(episode)
    }

    /// On a broken barrier (`observed`, the release word, shows it), whether `episode`, not yet
    /// released, will be: its leader has reset the arrival word past it, or it is the episode
    /// that was open when the barrier broke and it is not doomed (it had all its arrivals then,
    /// and its leader is completing it).
    ///
    /// A broken barrier's arrival word moves on by no more than the leaders already between
    /// their reset and their release, so its episode bits name `episode` unambiguously.
    #[cold]
    fn will_release(&self, episode: Episode, observed: Released) -> bool {
        // Relaxed: the Release flag-setting in `set_broken`, which the wait loop's Acquire load
        // of `observed` read, orders every reset made before the break before this load. The
        // release this promises is waited for through the release word.
        let arrivals = self.arrive.word.load(Ordering::Relaxed);
        arrivals.episode() != episode.bits() || !observed.is_doomed()
    }

    /// The open episode: every earlier one has been released. Each caller names its ordering.
    #[inline]
    pub(super) fn open_episode(&self, order: Ordering) -> Episode {
        Episode::new(self.release.episode.load(order))
    }

    /// The participant count of the open episode. Relaxed: a snapshot, which orders nothing.
    pub(super) fn participants(&self) -> u32 {
        self.arrive.word.load(Ordering::Relaxed).participants()
    }

    /// Whether the barrier is broken. Relaxed: the flag carries no data (see `set_broken`).
    pub(super) fn is_broken(&self) -> bool {
        Released::from_bits(self.release.word.load(Ordering::Relaxed)).is_broken()
    }

    /// Takes a refused arrival back, leaving the arrival word as it was: one arrival fewer in the
    /// episode it was counted in, unless that episode has been reset since (the reset erased it).
    #[cold]
    fn take_back(&self, arrival: Arrivals) {
        self.take_back_units(arrival, 1);
    }

    /// Takes `units` refused arrivals back, as `take_back` does one.
    #[cold]
    fn take_back_units(&self, arrival: Arrivals, units: u32) {
        // Relaxed: a refused arrival publishes nothing and learns nothing; as a
        // read-modify-write it keeps the other arrivals' release sequences intact.
        let _ = self
            .arrive
            .word
            .try_update(Ordering::Relaxed, Ordering::Relaxed, |current| {
                (current.episode() == arrival.episode()).then(|| current.withdrawn_by(units))
            });
    }

    /// Whether this thread is running this barrier's completion.
    #[cold]
    fn is_completing(&self) -> bool {
        COMPLETING.with(|completing| completing.borrow().contains(&self.address()))
    }

    /// The barrier's address, which names it while it is borrowed.
    fn address(&self) -> usize {
        (self as *const Self).addr()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// A member that did not run while 2^27 episodes passed sees its own episode bits in the
    /// release word again. It does not take that for "not released" past its next sleep: before
    /// sleeping it reads the open episode, and its next look passes.
    #[test]
    fn a_member_whose_bits_came_round_does_not_sleep_through_its_release() {
        let barrier = RawBarrier::new(2, Episode::FIRST);
        let mut member = Member {
            bits: 0,
            episode: Some(Episode::FIRST),
            waiters: 1,
            leaf: None,
        };
        let lapped = Episode::new(1 << 27); // the same low bits as episode 0
        barrier
            .release
            .episode
            .store(lapped.number(), Ordering::Relaxed);
        barrier
            .release
            .word
            .store(Released::open(lapped).bits(), Ordering::Relaxed);
        let observed = barrier.release.word.load(Ordering::Relaxed);
        let mut awaiting = Awaiting {
            barrier: &barrier,
            member: &mut member,
            confirm: false,
            group: None,
            seen: 0,
        };
        assert!(
            awaiting.ready(observed).is_none(),
            "the word alone shows it open"
        );
        assert_eq!(
            awaiting.announce(&barrier.release.word, observed),
            None,
            "it went to sleep on a released episode"
        );
        assert_eq!(awaiting.ready(observed), Some(Ok(())));
        assert_eq!(barrier.wait_release(&mut member, None), Ok(()));
    }
}
