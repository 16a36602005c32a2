//! A reusable, sense-reversing barrier: two words on two cache lines.
//!
//! The files, top to bottom; each imports only from those below it:
//!
//! | file | what it holds |
//! |---|---|
//! | `mod.rs` | the public [`Barrier`]: its constructors and methods |
//! | `arrival.rs` | the split-phase [`Arrival`] |
//! | `broken.rs` | breaking: the [`PanicGuard`], `set_broken`, the panics of a broken barrier |
//! | `episode.rs` | `RawBarrier`, the two lines, and the episode protocol on them: count, lead, release, drop, withdraw, the wait for a release |
//! | `outcome.rs` | what a wait returns: [`BarrierWaitResult`], [`BarrierWaitError`] |
//! | `state.rs` | episode numbers, the arrival and release words, every bit named |
//!
//! An arrival is one `fetch_add` on the arrival word. The arrival that makes the count reach the
//! participant count leads: it runs the completion, resets the count and advances the episode in
//! one compare-exchange, then advances the release word's episode with a Release compare-exchange
//! and wakes the sleepers, if any. The others spin on the release word and then sleep on it.
//! docs/design.md carries the whole argument.

mod arrival;
mod broken;
mod episode;
#[cfg(all(loom, not(shuttle), test))]
mod loom_tests;
mod outcome;
#[cfg(all(shuttle, test))]
mod shuttle_tests;
mod state;
#[cfg(all(test, not(loom)))]
mod tests;
mod topology;
mod tree;

pub use arrival::Arrival;
pub use broken::PanicGuard;
pub use outcome::{BarrierWaitError, BarrierWaitResult};

use crate::primitive::{const_fn_unless_loom, Ordering};
use crate::wait::{deadline_after, WaitPolicy};
use broken::{broken, refused};
use episode::{Arrived, NoCompletion, RawBarrier, Refused};
use state::{Arrivals, Episode};
use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tree::Tree;

/// A reusable barrier: `n` threads wait for each other, then all proceed together.
///
/// A drop-in replacement for [`std::sync::Barrier`] with the same API and semantics, built from
/// two atomic words on separate cache lines and a futex instead of a mutex and condition variable.
/// An episode costs each thread one atomic read-modify-write; the last thread to arrive releases
/// the others with two more and makes a system call only if some of them are asleep.
///
/// Beyond `std`:
///
/// - **Split phase**: [`arrive`](Barrier::arrive) now, do other work, [`wait`](Arrival::wait)
///   later.
/// - **Completion**: [`with_completion`](Barrier::with_completion) runs a closure once per episode,
///   on the last thread to arrive, before anyone is released. The type parameter `F` is that
///   closure's type; a barrier made by [`new`](Barrier::new) is a plain `Barrier`.
/// - **Leaving**: [`arrive_and_drop`](Barrier::arrive_and_drop) arrives and lowers the participant
///   count from the next episode on.
/// - **Timeouts that withdraw**: [`wait_timeout`](Barrier::wait_timeout) takes its arrival back
///   if the episode is not complete in time, and the others keep waiting for a full set.
/// - **Broken barriers**: a [`panic_guard`](Barrier::panic_guard) held by each participant breaks
///   the barrier when that participant panics, so the others panic too instead of waiting for
///   ever; a panicking completion breaks it as well. See [`is_broken`](Barrier::is_broken).
///
/// # Examples
///
/// ```
/// use syncpoint::Barrier;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::thread;
///
/// let n = 4;
/// let barrier = Barrier::new(n);
/// let arrived = AtomicUsize::new(0);
/// let leaders = AtomicUsize::new(0);
/// thread::scope(|s| {
///     for _ in 0..n {
///         s.spawn(|| {
///             arrived.fetch_add(1, Ordering::Relaxed);
///             if barrier.wait().is_leader() {
///                 leaders.fetch_add(1, Ordering::Relaxed);
///             }
///             // No thread gets here before all have arrived.
///             assert_eq!(arrived.load(Ordering::Relaxed), n);
///         });
///     }
/// });
/// assert_eq!(leaders.into_inner(), 1);
/// ```
pub struct Barrier<F = NoCompletion> {
    /// The two lines and the wait policy: everything the episode protocol needs.
    raw: RawBarrier,
    /// Run by each episode's leader; `None` for a barrier made by `new`.
    completion: Option<F>,
}

impl Barrier {
    /// The largest participant count a barrier accepts: 2<sup>16</sup> - 1, the most the arrival
    /// word's participant field holds.
    ///
    /// The arrival word counts arrivals in 20 bits, from a bias of 2<sup>19</sup>, so up to about
    /// half a million threads can share a barrier (the extra ones beyond its participants wait
    /// for later episodes).
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Barrier;
    ///
    /// let b = Barrier::new(Barrier::MAX_PARTICIPANTS);
    /// # let _ = b;
    /// ```
    pub const MAX_PARTICIPANTS: usize = Arrivals::MAX_PARTICIPANTS as usize;

    const_fn_unless_loom! {
        /// Creates a barrier for `n` threads. As with `std::sync::Barrier`, `n == 0` behaves as
        /// `n == 1`: every `wait` returns at once, as leader.
        ///
        /// # Panics
        ///
        /// Panics if `n` exceeds [`Barrier::MAX_PARTICIPANTS`].
        ///
        /// # Examples
        ///
        /// ```
        /// use syncpoint::Barrier;
        ///
        /// static START: Barrier = Barrier::new(1);
        /// assert!(START.wait().is_leader());
        /// ```
        #[must_use]
        #[track_caller]
        pub fn new(n: usize) -> Barrier {
            Barrier::build(n, None, Episode::FIRST)
        }
    }
}

impl<F: Fn()> Barrier<F> {
    const_fn_unless_loom! {
        /// Creates a barrier for `n` threads that runs `f` once per episode: on the last thread to
        /// arrive, after every arrival, before any waiter is released. Everything `f` writes is
        /// visible to every participant when its `wait` returns, and everything the participants
        /// wrote before arriving is visible to `f`.
        ///
        /// If `f` panics, the panic propagates from the leader's `wait` and the barrier is broken:
        /// the other participants panic instead of waiting for a release that will not come.
        ///
        /// # Panics
        ///
        /// Panics if `n` exceeds [`Barrier::MAX_PARTICIPANTS`].
        ///
        /// # Examples
        ///
        /// A reduction: each thread adds its partial sum, the completion moves the episode's total
        /// out, and every thread reads it after the barrier.
        ///
        /// ```
        /// use syncpoint::Barrier;
        /// use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
        /// use std::thread;
        ///
        /// let partial = AtomicU64::new(0);
        /// let total = AtomicU64::new(0);
        /// let barrier = Barrier::with_completion(4, || {
        ///     total.store(partial.swap(0, Relaxed), Relaxed);
        /// });
        /// thread::scope(|s| {
        ///     for t in 1..=4 {
        ///         let (barrier, partial, total) = (&barrier, &partial, &total);
        ///         s.spawn(move || {
        ///             partial.fetch_add(t, Relaxed);
        ///             barrier.wait();
        ///             assert_eq!(total.load(Relaxed), 1 + 2 + 3 + 4);
        ///         });
        ///     }
        /// });
        /// ```
        #[must_use]
        #[track_caller]
        pub fn with_completion(n: usize, f: F) -> Barrier<F> {
            Barrier::build(n, Some(f), Episode::FIRST)
        }
    }

    /// Blocks until all `n` threads have called `wait` in this episode, then releases them all.
    ///
    /// Exactly one thread per episode, the last to arrive, gets a result whose
    /// [`is_leader`](BarrierWaitResult::is_leader) is `true`; it runs the completion, if any.
    /// Everything any participant wrote before calling `wait` is visible to every participant
    /// after `wait` returns. The barrier is ready for the next episode as soon as the leader
    /// returns. When more threads than participants share the barrier, the extra ones wait for
    /// a later episode, as with `std`.
    ///
    /// # Panics
    ///
    /// Panics if the barrier is broken (a participant panicked while holding a
    /// [`panic_guard`](Barrier::panic_guard), or the completion panicked) before this episode
    /// completes, if every participant has left with
    /// [`arrive_and_drop`](Barrier::arrive_and_drop), and if called from within this barrier's
    /// own completion (which runs before the episode is released, so the call would wait for
    /// itself: the panic unwinds through the completion and breaks the barrier). A refused call
    /// leaves the barrier's counts as they were.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Barrier;
    /// use std::thread;
    ///
    /// let barrier = Barrier::new(2);
    /// thread::scope(|s| {
    ///     s.spawn(|| for _ in 0..100 { barrier.wait(); });
    ///     for _ in 0..100 { barrier.wait(); }
    /// });
    /// ```
    #[inline]
    #[track_caller]
    pub fn wait(&self) -> BarrierWaitResult {
        match self.raw.arrive_in(None) {
            Ok(Arrived::Leader(arrival)) => self.raw.lead(arrival, self.completion.as_ref()),
            Ok(Arrived::Waiter(mut member)) => match self.raw.wait_release(&mut member, None) {
                Ok(()) => BarrierWaitResult::FOLLOWER,
                Err(_) => broken("Barrier::wait"),
            },
            Err(refusal) => refused("Barrier::wait", refusal),
        }
    }

    /// Arrives at the barrier without waiting: the split-phase half of [`wait`](Barrier::wait).
    ///
    /// The returned [`Arrival`] belongs to this episode; [`Arrival::wait`] blocks until the
    /// episode is complete and [`Arrival::is_complete`] asks without blocking. In between, the
    /// thread can do work that does not depend on the other participants, such as the interior
    /// of a stencil while its halo is still being written. If this arrival completes the episode,
    /// the completion runs here, and the episode is released before `arrive` returns.
    ///
    /// Each participant arrives once per episode: arriving again before the episode of an
    /// earlier arrival is complete counts the thread twice, so the episode can complete without
    /// another participant. The barrier cannot tell threads apart, so it cannot detect this.
    ///
    /// `arrive` does not block, except for a thread beyond the participant count (more threads
    /// than participants share the barrier), which first waits for the episode after the full one.
    ///
    /// # Panics
    ///
    /// Panics if the barrier is broken, if every participant has left, and if called from within
    /// this barrier's own completion, as [`wait`](Barrier::wait) does.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Barrier;
    /// use std::thread;
    ///
    /// let barrier = Barrier::new(2);
    /// thread::scope(|s| {
    ///     s.spawn(|| barrier.wait());
    ///     let arrival = barrier.arrive();
    ///     let mut local_work = 0u64;
    ///     while !arrival.is_complete() {
    ///         local_work += 1; // overlap work with the wait
    ///     }
    ///     arrival.wait();
    /// # let _ = local_work;
    /// });
    /// ```
    #[must_use = "an arrival is waited for with `Arrival::wait`"]
    #[track_caller]
    pub fn arrive(&self) -> Arrival<'_, F> {
        match self.raw.arrive_in(None) {
            Ok(Arrived::Leader(arrival)) => {
                // Relaxed: a reference point near this episode, for its full number only.
                let near = self.raw.open_episode(Ordering::Relaxed);
                self.raw.lead(arrival, self.completion.as_ref());
                Arrival::leader(&self.raw, Episode::from_bits(arrival.episode(), near))
            }
            // Relaxed: as above.
            Ok(Arrived::Waiter(member)) => {
                Arrival::waiter(&self.raw, member, self.raw.open_episode(Ordering::Relaxed))
            }
            Err(refusal) => refused("Barrier::arrive", refusal),
        }
    }

    /// Arrives in this episode and leaves the barrier: from the next episode on, it has one
    /// participant fewer. Never blocks.
    ///
    /// If this completes the episode, this thread leads it (runs the completion and releases the
    /// others) and the result's [`is_leader`](BarrierWaitResult::is_leader) is `true`, so code
    /// that gives the leader a serial step can run it here too. Dropping the last participant is allowed: that thread completes the episode,
    /// and the barrier is left with no participants, where [`wait`](Barrier::wait),
    /// [`arrive`](Barrier::arrive) and [`wait_timeout`](Barrier::wait_timeout) panic rather
    /// than block for ever. On a broken barrier it does nothing.
    ///
    /// # Panics
    ///
    /// Panics if every participant has already left, and if called from within this barrier's
    /// own completion (leaving from the episode the completion is completing is not defined).
    ///
    /// # Examples
    ///
    /// A worker that runs out of work leaves; the others go on without it.
    ///
    /// ```
    /// use syncpoint::Barrier;
    /// use std::thread;
    ///
    /// let barrier = Barrier::new(3);
    /// thread::scope(|s| {
    ///     s.spawn(|| {
    ///         barrier.arrive_and_drop();
    ///     });
    ///     for _ in 0..2 {
    ///         s.spawn(|| for _ in 0..10 { barrier.wait(); });
    ///     }
    /// });
    /// assert_eq!(barrier.participants(), 2);
    /// ```
    #[track_caller]
    pub fn arrive_and_drop(&self) -> BarrierWaitResult {
        match self.raw.drop_participant(self.completion.as_ref()) {
            Ok(result) => result,
            Err(Refused::NoParticipants) => {
                panic!("Barrier::arrive_and_drop: every participant has already left the barrier")
            }
            Err(refusal) => refused("Barrier::arrive_and_drop", refusal),
        }
    }

    /// Like [`wait`](Barrier::wait), but gives up after `timeout`: if the episode is not complete
    /// by then, this thread's arrival is withdrawn and the others keep waiting for a full set, as
    /// if it had never arrived.
    ///
    /// Returns `Ok` when the episode completed (also when it completed while the timeout
    /// expired: then the arrival was part of it and is not withdrawn), and
    /// [`BarrierWaitError::TimedOut`] when the arrival was withdrawn; never both. A timeout too
    /// large to represent as a deadline waits for ever.
    ///
    /// Retrying a zero or tiny timeout at once in a loop is a spin, each round an arrival and a
    /// withdrawal; to poll, [`arrive`](Barrier::arrive) once and ask
    /// [`Arrival::is_complete`].
    ///
    /// # Errors
    ///
    /// [`BarrierWaitError::TimedOut`] as above; [`BarrierWaitError::Broken`] if the barrier is
    /// broken before the episode completes.
    ///
    /// # Panics
    ///
    /// Panics if every participant has left with [`arrive_and_drop`](Barrier::arrive_and_drop),
    /// and if called from within this barrier's own completion.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::{Barrier, BarrierWaitError};
    /// use std::time::Duration;
    ///
    /// let barrier = Barrier::new(2);
    /// // Nobody else arrives: the arrival is withdrawn...
    /// assert_eq!(
    ///     barrier.wait_timeout(Duration::from_millis(1)),
    ///     Err(BarrierWaitError::TimedOut)
    /// );
    /// // ...so the barrier still waits for two.
    /// std::thread::scope(|s| {
    ///     s.spawn(|| barrier.wait());
    ///     assert!(barrier.wait_timeout(Duration::from_secs(60)).is_ok());
    /// });
    /// ```
    #[track_caller]
    pub fn wait_timeout(&self, timeout: Duration) -> Result<BarrierWaitResult, BarrierWaitError> {
        self.timed_wait("Barrier::wait_timeout", deadline_after(timeout))
    }

    /// Like [`wait_timeout`](Barrier::wait_timeout), with a deadline instead of a timeout: if the
    /// episode is not complete by `deadline`, this thread's arrival is withdrawn.
    ///
    /// A deadline that has passed withdraws at once, unless this arrival completes the episode
    /// (then this thread leads it and gets `Ok`).
    ///
    /// # Errors
    ///
    /// [`BarrierWaitError::TimedOut`] when the arrival was withdrawn;
    /// [`BarrierWaitError::Broken`] if the barrier is broken before the episode completes.
    ///
    /// # Panics
    ///
    /// Panics if every participant has left with [`arrive_and_drop`](Barrier::arrive_and_drop),
    /// and if called from within this barrier's own completion.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::{Barrier, BarrierWaitError};
    /// use std::time::{Duration, Instant};
    ///
    /// let barrier = Barrier::new(2);
    /// let deadline = Instant::now() + Duration::from_millis(1);
    /// assert_eq!(barrier.wait_until(deadline), Err(BarrierWaitError::TimedOut));
    /// ```
    #[track_caller]
    pub fn wait_until(&self, deadline: Instant) -> Result<BarrierWaitResult, BarrierWaitError> {
        self.timed_wait("Barrier::wait_until", Some(deadline))
    }

    /// `wait_timeout` and `wait_until`, for `caller`, until `deadline` (`None`: none).
    #[track_caller]
    fn timed_wait(
        &self,
        caller: &str,
        deadline: Option<Instant>,
    ) -> Result<BarrierWaitResult, BarrierWaitError> {
        match self.raw.arrive_in(deadline) {
            Ok(Arrived::Leader(arrival)) => Ok(self.raw.lead(arrival, self.completion.as_ref())),
            Ok(Arrived::Waiter(member)) => self.raw.finish_timed_wait(member, deadline),
            Err(Refused::Broken) => Err(BarrierWaitError::Broken),
            Err(Refused::TimedOut) => Err(BarrierWaitError::TimedOut),
            Err(refusal) => refused(caller, refusal),
        }
    }
}

impl<F> Barrier<F> {
    const_fn_unless_loom! {
        #[track_caller]
        fn build(n: usize, completion: Option<F>, episode: Episode) -> Barrier<F> {
            assert!(
                n <= Barrier::MAX_PARTICIPANTS,
                "Barrier::new: more participants than Barrier::MAX_PARTICIPANTS"
            );
            let participants = if n == 0 { 1 } else { n as u32 };
            Barrier {
                raw: RawBarrier::new(participants, episode),
                completion,
            }
        }
    }

    const_fn_unless_loom! {
        /// Sets how threads wait for the others: see [`WaitPolicy`]. The default,
        /// [`WaitPolicy::Adaptive`], spins only while there are cores to spare for the threads
        /// still to arrive.
        ///
        /// # Examples
        ///
        /// ```
        /// use syncpoint::{Barrier, WaitPolicy};
        ///
        /// // Many more threads than cores: sleep at once.
        /// static BARRIER: Barrier = Barrier::new(64).with_wait_policy(WaitPolicy::Passive);
        /// assert_eq!(BARRIER.wait_policy(), WaitPolicy::Passive);
        /// ```
        #[must_use]
        pub fn with_wait_policy(self, policy: WaitPolicy) -> Barrier<F> {
            // A field assignment, not `Barrier { policy, ..self }`: a const fn may not drop the
            // rest of a `Barrier<F>`, and here nothing is dropped.
            let mut barrier = self;
            barrier.raw.policy = policy;
            barrier
        }
    }

    /// Returns the barrier's [`WaitPolicy`].
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::{Barrier, WaitPolicy};
    ///
    /// assert_eq!(Barrier::new(2).wait_policy(), WaitPolicy::Adaptive);
    /// ```
    #[must_use]
    pub fn wait_policy(&self) -> WaitPolicy {
        self.raw.policy
    }

    /// Counts arrivals in a combining tree of fan-in `k`: they combine in groups of at most `k`,
    /// each on a cache line of its own, and the thread that completes a group carries its count
    /// up, so that no cache line takes more than `k` arrivals an episode; waiters sleep by group,
    /// so a release wakes one group's sleepers per system call. For 16 cores and more (docs/hpc.md
    /// says which fan-in to pick). `k` at or above the participant count keeps the single
    /// counter. The semantics are the same either way.
    ///
    /// A barrier made by [`new`](Barrier::new) chooses at its first arrival (or addition): a tree
    /// of fan-in 4 (or what divides the machine's last-level caches) for 16 participants or more
    /// on a machine of 16 cores or more, the single counter otherwise.
    ///
    /// # Panics
    ///
    /// Panics if `k` is below 2.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Barrier;
    /// use std::thread;
    ///
    /// let barrier = Barrier::new(8).with_fan_in(2);
    /// assert_eq!(barrier.fan_in(), Some(2));
    /// thread::scope(|s| {
    ///     for _ in 0..8 {
    ///         s.spawn(|| for _ in 0..100 { barrier.wait(); });
    ///     }
    /// });
    /// assert_eq!(Barrier::new(8).with_fan_in(8).fan_in(), None); // a single counter
    /// ```
    #[must_use]
    #[track_caller]
    pub fn with_fan_in(self, k: usize) -> Barrier<F> {
        assert!(
            k >= 2,
            "Barrier::with_fan_in: a fan-in below 2 combines nothing"
        );
        let participants = self.raw.participants();
        let tree = (k < participants as usize).then(|| Box::new(Tree::new(participants, k as u32)));
        let mut barrier = self;
        barrier.raw.tree = OnceLock::from(tree);
        barrier
    }

    /// Returns the fan-in of the barrier's combining tree, or `None` when it counts arrivals in a
    /// single counter. See [`with_fan_in`](Barrier::with_fan_in).
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Barrier;
    ///
    /// assert_eq!(Barrier::new(2).fan_in(), None);
    /// assert_eq!(Barrier::new(64).with_fan_in(4).fan_in(), Some(4));
    /// ```
    #[must_use]
    pub fn fan_in(&self) -> Option<usize> {
        self.raw.tree().map(|tree| tree.fan_in() as usize)
    }

    /// Returns the number of arrivals that complete the open episode: `n` from construction,
    /// plus the participants added with [`add_participants`](Barrier::add_participants), less
    /// those that have left with [`arrive_and_drop`](Barrier::arrive_and_drop).
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Barrier;
    ///
    /// let barrier = Barrier::new(3);
    /// barrier.arrive_and_drop();
    /// assert_eq!(barrier.participants(), 2);
    /// ```
    #[must_use]
    pub fn participants(&self) -> usize {
        // Relaxed: a snapshot, which orders nothing.
        self.raw.participants() as usize
    }

    /// Adds `k` participants, for a team that grows (.NET's `Barrier.AddParticipants`, Java's
    /// `Phaser.bulkRegister`), and returns the number of the first episode they take part in.
    ///
    /// Episodes are numbered from 0 at construction: a thread that has taken part from the
    /// start passes episode `e` at its `e + 1`-th wait. The newcomers take part in the episode
    /// being counted when the call lands: it now waits for them too. If that episode already
    /// has all its arrivals (its last arrival is completing it, or the call comes from within
    /// the completion), they take part from the next one, and the result says so. The call never
    /// blocks, and it works the same with a combining tree ([`with_fan_in`](Barrier::with_fan_in)),
    /// whose shape takes the newcomers in from the next episode on. A barrier made by
    /// [`new`](Barrier::new) chooses its tree at its first arrival or addition, from the
    /// participants it has then: for a team that will grow past 16, set the fan-in.
    ///
    /// `k == 0` changes nothing and returns the episode being counted.
    ///
    /// # Panics
    ///
    /// Panics if the barrier is broken, if every participant has left (a barrier with no
    /// participants is finished: make a new one), and if the participants would exceed
    /// [`Barrier::MAX_PARTICIPANTS`]. A refused call changes nothing.
    ///
    /// # Examples
    ///
    /// A team of two grows to three between two episodes.
    ///
    /// ```
    /// use syncpoint::Barrier;
    /// use std::thread;
    ///
    /// let barrier = Barrier::new(2);
    /// thread::scope(|s| {
    ///     s.spawn(|| for _ in 0..3 { barrier.wait(); });
    ///     barrier.wait(); // episode 0: two participants
    ///     // Episode 1 lacks this thread's arrival, so it is still being counted.
    ///     assert_eq!(barrier.add_participants(1), 1);
    ///     s.spawn(|| for _ in 0..2 { barrier.wait(); }); // episodes 1 and 2
    ///     for _ in 0..2 { barrier.wait(); }
    /// });
    /// assert_eq!(barrier.participants(), 3);
    /// ```
    #[track_caller]
    pub fn add_participants(&self, k: usize) -> u64 {
        let added = u32::try_from(k)
            .map_err(|_| Refused::TooMany)
            .and_then(|k| self.raw.add_participants(k));
        match added {
            Ok(episode) => episode.number(),
            Err(Refused::NoParticipants) => panic!(
                "Barrier::add_participants: every participant has left the barrier; make a new one"
            ),
            Err(refusal) => refused("Barrier::add_participants", refusal),
        }
    }

    /// Returns a guard that breaks the barrier if it is dropped while its thread panics.
    ///
    /// Hold one at the top of each participant's work. If the participant panics before it
    /// arrives, the others would otherwise wait for it for ever; with the guard, their waits
    /// panic with "the barrier is broken: a participant panicked, ...", so a [`std::thread::scope`]
    /// or a thread pool sees the failure instead of hanging.
    ///
    /// A broken barrier stays broken: there is no reset, because a barrier shared by running
    /// threads cannot know which of them have seen it broken. Make a new one (construction is
    /// two stores, and `Barrier::new` is `const`).
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Barrier;
    /// use std::thread;
    ///
    /// let barrier = Barrier::new(2);
    /// let result = std::panic::catch_unwind(|| {
    ///     thread::scope(|s| {
    ///         s.spawn(|| {
    ///             let _guard = barrier.panic_guard();
    ///             panic!("this worker fails before it arrives");
    ///         });
    ///         barrier.wait(); // panics instead of hanging
    ///     })
    /// });
    /// assert!(result.is_err());
    /// assert!(barrier.is_broken());
    /// ```
    #[must_use = "the guard breaks the barrier only if it is held while the thread panics"]
    pub fn panic_guard(&self) -> PanicGuard<'_, F> {
        PanicGuard::new(&self.raw)
    }

    /// Breaks the barrier on purpose, for a shutdown (Java's `CyclicBarrier.reset` breaks its
    /// waiters so): every thread waiting at it, and every later arrival, meets a broken barrier,
    /// as after a panic under a [`panic_guard`](Barrier::panic_guard): [`wait`](Barrier::wait)
    /// and [`Arrival::wait`] panic, [`wait_timeout`](Barrier::wait_timeout) and
    /// [`wait_until`](Barrier::wait_until) return [`BarrierWaitError::Broken`]. An episode whose
    /// participants had all arrived when it broke is still released: the participants of one
    /// episode pass together or none does (so a call from within the completion breaks the
    /// barrier for the episodes after this one). Breaking twice changes nothing. A broken barrier
    /// stays broken, as a poisoned lock stays poisoned: there is no reset; make a new barrier.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::{Barrier, BarrierWaitError};
    /// use std::thread;
    /// use std::time::Duration;
    ///
    /// let barrier = Barrier::new(3);
    /// thread::scope(|s| {
    ///     let waiters: Vec<_> = (0..2)
    ///         .map(|_| s.spawn(|| barrier.wait_timeout(Duration::from_secs(600))))
    ///         .collect();
    ///     barrier.break_barrier(); // the third participant shuts down instead of arriving
    ///     for waiter in waiters {
    ///         assert_eq!(waiter.join().unwrap().unwrap_err(), BarrierWaitError::Broken);
    ///     }
    /// });
    /// assert!(barrier.is_broken());
    /// ```
    pub fn break_barrier(&self) {
        self.raw.set_broken(false);
    }

    /// Returns whether the barrier is broken: a participant panicked while holding a
    /// [`panic_guard`](Barrier::panic_guard), a completion panicked, or
    /// [`break_barrier`](Barrier::break_barrier) was called.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Barrier;
    ///
    /// let barrier = Barrier::new(2);
    /// assert!(!barrier.is_broken());
    /// ```
    #[must_use]
    pub fn is_broken(&self) -> bool {
        self.raw.is_broken()
    }
}

impl<F> fmt::Debug for Barrier<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("participants", &self.participants())
            .field("is_broken", &self.is_broken())
            .finish_non_exhaustive()
    }
}
