//! A reusable, sense-reversing barrier: two words on two cache lines.
//!
//! The arrival word, a 64-bit atomic written once by every arriving thread (see docs/design.md,
//! "Barrier"):
//!
//! | bits   | meaning                                                             |
//! |--------|---------------------------------------------------------------------|
//! | 0..20  | `COUNT`: arrivals counted in the open episode                       |
//! | 20..36 | `PARTICIPANTS`: arrivals that complete it (lowered by drops)        |
//! | 36     | `ARRIVALS_BROKEN`: the barrier is broken                            |
//! | 37..64 | generation: the episode being counted, 27 bits, wrapping            |
//!
//! The release word, a 32-bit [`Futex`] that waiting threads read and sleep on:
//!
//! | bits   | meaning                                                             |
//! |--------|---------------------------------------------------------------------|
//! | 0..27  | `EPISODE`: the open episode (all earlier ones are released)          |
//! | 27..30 | unused                                                              |
//! | 30     | `BROKEN`: the barrier is broken                                     |
//! | 31     | `SLEEPERS`: a thread may be asleep on this word                     |
//!
//! An arrival is one `fetch_add` on the arrival word. The arrival that makes `COUNT` reach
//! `PARTICIPANTS` leads: it runs the completion, resets the count and advances the generation in
//! one compare-exchange, then advances `EPISODE` with a Release compare-exchange and wakes the
//! sleepers, if any. The others spin on the release word and then sleep on it. A drop lowers
//! `PARTICIPANTS` (a compare-exchange, so it can refuse to go below zero); a timed-out waiter
//! withdraws by lowering `COUNT`, with a compare-exchange that fails once the episode is complete.
//! An arrival that finds the episode already complete (only possible when more threads than
//! participants share the barrier) is erased by the leader's reset: it waits for the release and
//! arrives again.

use crate::futex::{
    const_fn_unless_loom, deadline_after, fence, AtomicU64, Futex, Ordering, Spin, WaitPolicy,
    Woken,
};
use crossbeam_utils::CachePadded;
use std::error::Error;
use std::fmt;
use std::time::{Duration, Instant};

/// Arrivals counted in the open episode, in the arrival word.
const COUNT: u64 = (1 << 20) - 1;
/// Where the participant count sits in the arrival word.
const PARTICIPANTS_SHIFT: u32 = 20;
/// One participant, in the arrival word.
const PARTICIPANT_ONE: u64 = 1 << PARTICIPANTS_SHIFT;
/// The barrier is broken, in the arrival word: arrivals see it in the value their `fetch_add`
/// returns, at no extra cost.
const ARRIVALS_BROKEN: u64 = 1 << 36;
/// Where the generation sits in the arrival word.
const GENERATION_SHIFT: u32 = 37;
/// One episode, in the arrival word; the generation wraps off the top.
const GENERATION_ONE: u64 = 1 << GENERATION_SHIFT;

/// The open episode, in the release word. Episode numbers are 27 bits and wrap; the
/// generation in the arrival word is the same number.
const EPISODE: u32 = (1 << 27) - 1;
/// The barrier is broken, in the release word: waiters see it in the value they spin on.
const BROKEN: u32 = 1 << 30;

/// A decoded snapshot of the arrival word.
#[derive(Clone, Copy)]
struct Arrivals(u64);

impl Arrivals {
    const_fn_unless_loom! {
        fn new(participants: u32) -> Arrivals {
            Arrivals((participants as u64) << PARTICIPANTS_SHIFT)
        }
    }

    #[inline]
    fn count(self) -> u32 {
        (self.0 & COUNT) as u32
    }

    #[inline]
    fn participants(self) -> u32 {
        ((self.0 >> PARTICIPANTS_SHIFT) & 0xFFFF) as u32
    }

    #[inline]
    fn is_broken(self) -> bool {
        self.0 & ARRIVALS_BROKEN != 0
    }

    /// The episode being counted, in the release word's numbering.
    #[inline]
    fn episode(self) -> u32 {
        (self.0 >> GENERATION_SHIFT) as u32
    }

    /// Whether this episode already has all its arrivals (its leader is completing it).
    #[inline]
    fn is_full(self) -> bool {
        self.count() >= self.participants()
    }

    /// The word after the leader's reset: no arrivals, the next generation, the participant
    /// count and the broken flag unchanged.
    #[inline]
    fn reset(self) -> u64 {
        (self.0 & !COUNT).wrapping_add(GENERATION_ONE)
    }
}

/// The completion of a barrier made by [`Barrier::new`]: there is none.
type NoCompletion = fn();

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
    /// The arrival word, on a cache line of its own.
    arrivals: CachePadded<AtomicU64>,
    /// The release word, on a cache line of its own so that waiters spinning on it are not
    /// disturbed by every arrival.
    released: CachePadded<Futex>,
    /// Read only by waiters, after they found they must wait.
    policy: WaitPolicy,
    /// Run by each episode's leader; `None` for a barrier made by `new`.
    completion: Option<F>,
}

impl Barrier {
    /// The largest participant count a barrier accepts: 2<sup>16</sup> - 1.
    ///
    /// The arrival word counts arrivals in 20 bits, so up to about a million threads can share
    /// a barrier (the extra ones beyond its participants wait for later episodes).
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Barrier;
    ///
    /// let b = Barrier::new(Barrier::MAX_PARTICIPANTS);
    /// # let _ = b;
    /// ```
    pub const MAX_PARTICIPANTS: usize = 0xFFFF;

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
        pub fn new(n: usize) -> Barrier {
            Barrier::build(n, None)
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
        pub fn with_completion(n: usize, f: F) -> Barrier<F> {
            Barrier::build(n, Some(f))
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
    /// completes, and if every participant has left with
    /// [`arrive_and_drop`](Barrier::arrive_and_drop).
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
        match self.count_arrival("Barrier::wait", None) {
            Ok(Arrived::Leader(arrivals)) => self.lead(arrivals),
            Ok(Arrived::Waiter(arrivals)) => match self.wait_released(arrivals, None) {
                Ok(()) => BarrierWaitResult { is_leader: false },
                Err(_) => broken("Barrier::wait"),
            },
            Err(_) => broken("Barrier::wait"),
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
    /// Panics if the barrier is broken, and if every participant has left.
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
        let (arrivals, is_leader) = match self.count_arrival("Barrier::arrive", None) {
            Ok(Arrived::Leader(arrivals)) => {
                self.lead(arrivals);
                (arrivals, true)
            }
            Ok(Arrived::Waiter(arrivals)) => (arrivals, false),
            Err(_) => broken("Barrier::arrive"),
        };
        Arrival {
            barrier: self,
            arrivals,
            is_leader,
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
    /// Panics if every participant has already left.
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
        let mut current = self.arrivals.load(Ordering::Relaxed);
        loop {
            let before = Arrivals(current);
            if before.is_broken() {
                return BarrierWaitResult { is_leader: false };
            }
            assert!(
                before.participants() != 0,
                "Barrier::arrive_and_drop: every participant has already left the barrier"
            );
            let after = current - PARTICIPANT_ONE;
            // Release: counts as an arrival, so this thread's writes travel to the leader as an
            // arrival's do (see `wait`); the Acquire fence in `lead` pairs with it.
            match self.arrivals.compare_exchange_weak(
                current,
                after,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    // The others have all arrived: this drop completes the episode. (A drop into
                    // a full episode, from a thread beyond the participant count, belongs to the
                    // next one, whose count starts after the reset and cannot be complete yet.)
                    if before.count() + 1 == before.participants() {
                        return self.lead(Arrivals(after));
                    }
                    return BarrierWaitResult { is_leader: false };
                }
                Err(actual) => current = actual,
            }
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
    /// # Errors
    ///
    /// [`BarrierWaitError::TimedOut`] as above; [`BarrierWaitError::Broken`] if the barrier is
    /// broken before the episode completes.
    ///
    /// # Panics
    ///
    /// Panics if every participant has left with [`arrive_and_drop`](Barrier::arrive_and_drop).
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
        let deadline = deadline_after(timeout);
        let arrivals = match self.count_arrival("Barrier::wait_timeout", deadline)? {
            Arrived::Leader(arrivals) => return Ok(self.lead(arrivals)),
            Arrived::Waiter(arrivals) => arrivals,
        };
        match self.wait_released(arrivals, deadline) {
            Ok(()) => Ok(BarrierWaitResult { is_leader: false }),
            Err(BarrierWaitError::TimedOut) => self.withdraw(arrivals),
            Err(broken) => Err(broken),
        }
    }

    /// Counts one arrival. Returns the arrival word as this arrival left it, as a leader or as a
    /// waiter. An arrival into a full episode is erased by that episode's reset: it waits for the
    /// release and arrives again.
    #[inline]
    fn count_arrival(
        &self,
        caller: &str,
        deadline: Option<Instant>,
    ) -> Result<Arrived, BarrierWaitError> {
        loop {
            // Release: this thread's writes before the barrier travel to the leader, whose
            // Acquire fence in `lead` synchronizes with every arrival of its episode (every write
            // to the arrival word is a read-modify-write, so each arrival heads a release
            // sequence that the leader's own read-modify-write reads).
            let before = Arrivals(self.arrivals.fetch_add(1, Ordering::Release));
            let after = Arrivals(before.0 + 1);
            if before.is_broken() {
                return Err(BarrierWaitError::Broken);
            }
            if after.count() == before.participants() {
                return Ok(Arrived::Leader(after));
            }
            if after.count() < before.participants() {
                return Ok(Arrived::Waiter(after));
            }
            self.arrive_later(caller, before, deadline)?;
        }
    }

    /// An arrival found its episode full (or no participants at all). Waits until that episode
    /// is released; its reset erased this arrival, so the caller then arrives again.
    #[cold]
    fn arrive_later(
        &self,
        caller: &str,
        before: Arrivals,
        deadline: Option<Instant>,
    ) -> Result<(), BarrierWaitError> {
        assert!(
            before.participants() != 0,
            "{caller}: every participant has left the barrier (arrive_and_drop)"
        );
        debug_assert!(
            before.count() < COUNT as u32,
            "more arrivals than COUNT holds"
        );
        self.wait_released(before, deadline)
    }

    /// The leader's work, given the arrival word as its own arrival or drop left it: take in the
    /// episode's writes, run the completion, reset the arrival word, then open the next episode
    /// and wake the sleepers.
    #[inline]
    fn lead(&self, arrivals: Arrivals) -> BarrierWaitResult {
        // Acquire: pairs with the Release read-modify-write of every arrival of this episode, and
        // with the previous leader's Release reset, which the first arrival of this episode read.
        fence(Ordering::Acquire);
        if let Some(completion) = &self.completion {
            // A completion that panics breaks the barrier as it unwinds.
            let guard = self.panic_guard();
            completion();
            std::mem::forget(guard);
        }
        let episode = arrivals.episode();
        let mut current = arrivals.0;
        loop {
            debug_assert_eq!(
                Arrivals(current).episode(),
                episode,
                "reset by another thread"
            );
            // Release: the next leader's Acquire fence pairs with this (through the next
            // episode's arrivals, which read it), so consecutive completions do not race. Nothing
            // else is published here: the waiters synchronize with the release word below.
            match self.arrivals.compare_exchange_weak(
                current,
                Arrivals(current).reset(),
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => break,
                // A later arrival into the full episode (to be erased), a drop or a break.
                Err(actual) => current = actual,
            }
        }
        self.release(episode);
        BarrierWaitResult { is_leader: true }
    }

    /// Opens the episode after `episode` in the release word, then wakes the sleepers.
    #[inline]
    fn release(&self, episode: u32) {
        let next = episode.wrapping_add(1) & EPISODE;
        let mut current = episode;
        loop {
            // Release: pairs with the Acquire load in `wait_released`, publishing this episode's
            // writes (gathered by the Acquire fence in `lead`) and the completion's to every
            // waiter. The new value keeps BROKEN and drops SLEEPERS: every sleeper is woken below.
            match self.released.compare_exchange(
                current,
                next | (current & BROKEN),
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(previous) => return self.released.wake_all_if_sleepers(previous),
                // A waiter set SLEEPERS, or the barrier broke: same episode, try again.
                Err(actual) if actual & EPISODE == episode => current = actual,
                // The previous episode's leader has not opened this episode yet (only when more
                // threads than participants share the barrier): wait for it.
                Err(actual) => {
                    let previous = episode.wrapping_sub(1) & EPISODE;
                    if self.wait_episode(previous, 0, None).is_err() {
                        // Broken: this episode's waiters are told so by the release word.
                        return;
                    }
                    current = episode | (actual & BROKEN);
                }
            }
        }
    }

    /// A timed-out waiter takes its arrival back, unless its episode is already complete, in
    /// which case it waits for the release after all.
    #[cold]
    fn withdraw(&self, arrivals: Arrivals) -> Result<BarrierWaitResult, BarrierWaitError> {
        let episode = arrivals.episode();
        let mut current = self.arrivals.load(Ordering::Relaxed);
        loop {
            let now = Arrivals(current);
            if now.is_broken() {
                return Err(BarrierWaitError::Broken);
            }
            if now.episode() != episode || now.is_full() {
                // Complete: this arrival is part of it; the leader is about to release it.
                self.wait_released(arrivals, None)?;
                return Ok(BarrierWaitResult { is_leader: false });
            }
            debug_assert!(now.count() > 0, "this thread's arrival is counted");
            // Relaxed: a withdrawn arrival publishes nothing and learns nothing. The
            // modification order of the arrival word decides the race with the last arrival:
            // this succeeds only before it, so the episode then needs one more arrival.
            match self.arrivals.compare_exchange_weak(
                current,
                current - 1,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Err(BarrierWaitError::TimedOut),
                Err(actual) => current = actual,
            }
        }
    }
}

impl<F> Barrier<F> {
    const_fn_unless_loom! {
        fn build(n: usize, completion: Option<F>) -> Barrier<F> {
            assert!(
                n <= Barrier::MAX_PARTICIPANTS,
                "Barrier::new: more participants than Barrier::MAX_PARTICIPANTS"
            );
            let participants = if n == 0 { 1 } else { n as u32 };
            Barrier {
                arrivals: CachePadded::new(AtomicU64::new(Arrivals::new(participants).0)),
                released: CachePadded::new(Futex::new(0)),
                policy: WaitPolicy::Adaptive,
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
            barrier.policy = policy;
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
        self.policy
    }

    /// Returns the number of arrivals that complete the open episode: `n` from construction,
    /// less the participants that have left with [`arrive_and_drop`](Barrier::arrive_and_drop).
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
        Arrivals(self.arrivals.load(Ordering::Relaxed)).participants() as usize
    }

    /// Returns a guard that breaks the barrier if it is dropped while its thread panics.
    ///
    /// Hold one at the top of each participant's work. If the participant panics before it
    /// arrives, the others would otherwise wait for it for ever; with the guard, their waits
    /// panic with "the barrier is broken: a participant panicked", so a [`std::thread::scope`]
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
        PanicGuard { barrier: self }
    }

    /// Returns whether the barrier is broken: a participant panicked while holding a
    /// [`panic_guard`](Barrier::panic_guard), or a completion panicked.
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
        // Relaxed: the flag carries no data (see `set_broken`).
        self.released.load(Ordering::Relaxed) & BROKEN != 0
    }

    /// What a [`PanicGuard`] does when its thread panics, for the loom models: loom cannot run a
    /// panicking thread's destructors (its model mutex poisons), so they break the barrier here.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn break_for_loom(&self) {
        self.set_broken();
    }

    /// Breaks the barrier: later arrivals see it in the arrival word, waiters in the release
    /// word, and sleepers are woken to see it.
    #[cold]
    fn set_broken(&self) {
        // Relaxed, both: the flag publishes no data, and a thread that sees it only panics.
        self.arrivals.fetch_or(ARRIVALS_BROKEN, Ordering::Relaxed);
        let previous = self.released.fetch_or(BROKEN, Ordering::Relaxed);
        // The bit stays set (a fetch_or cannot clear it); that costs at most one spare wake.
        self.released.wake_all_if_sleepers(previous);
    }

    /// The wait loop of an arrival (as its arrival left the arrival word): spin, then sleep on the
    /// release word until its episode is released, the barrier breaks or `deadline` passes.
    #[inline]
    fn wait_released(
        &self,
        arrivals: Arrivals,
        deadline: Option<Instant>,
    ) -> Result<(), BarrierWaitError> {
        // Every participant but the leader may wait at once.
        let waiters = arrivals.participants().saturating_sub(1) as usize;
        self.wait_episode(arrivals.episode(), waiters, deadline)
    }

    /// The barrier's one wait loop, by episode number: `wait_released` for an arrival, and the
    /// leader that must see the previous episode released before it releases its own.
    #[cold]
    fn wait_episode(
        &self,
        episode: u32,
        waiters: usize,
        deadline: Option<Instant>,
    ) -> Result<(), BarrierWaitError> {
        let mut spin = Spin::new(self.policy, waiters, deadline);
        loop {
            // Acquire: pairs with the Release compare-exchange in `release`.
            let state = self.released.load(Ordering::Acquire);
            if is_released(state, episode) {
                return Ok(());
            }
            if state & BROKEN != 0 {
                return Err(BarrierWaitError::Broken);
            }
            if !spin.spin() && self.released.sleep(state, deadline) == Woken::TimedOut {
                // One more look: a release or a break that came with the deadline wins.
                // Acquire: as above, pairs with the Release compare-exchange in `release`.
                let state = self.released.load(Ordering::Acquire);
                if is_released(state, episode) {
                    return Ok(());
                }
                return Err(if state & BROKEN != 0 {
                    BarrierWaitError::Broken
                } else {
                    BarrierWaitError::TimedOut
                });
            }
        }
    }
}

/// Where an arrival landed, with the arrival word as it left it.
enum Arrived {
    /// It completed the episode: this thread leads.
    Leader(Arrivals),
    /// The episode is open: wait for its release.
    Waiter(Arrivals),
}

/// Whether the release word `state` shows `episode` as released: its open episode lies after
/// `episode`, within half the 27-bit episode space (episodes wrap).
#[inline]
fn is_released(state: u32, episode: u32) -> bool {
    let ahead = (state & EPISODE).wrapping_sub(episode) & EPISODE;
    ahead != 0 && ahead <= EPISODE >> 1
}

#[cold]
#[track_caller]
fn broken(caller: &str) -> ! {
    panic!("{caller}: the barrier is broken: a participant panicked")
}

impl<F> fmt::Debug for Barrier<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("participants", &self.participants())
            .field("is_broken", &self.is_broken())
            .finish_non_exhaustive()
    }
}

/// An arrival at a [`Barrier`], made by [`Barrier::arrive`], to be waited for later.
///
/// Dropping it without waiting is allowed: the arrival still counts.
///
/// # Examples
///
/// ```
/// use syncpoint::Barrier;
///
/// let barrier = Barrier::new(1);
/// let arrival = barrier.arrive();
/// assert!(arrival.is_complete());
/// assert!(arrival.wait().is_leader());
/// ```
#[must_use = "an arrival is waited for with `Arrival::wait`"]
pub struct Arrival<'a, F = NoCompletion> {
    barrier: &'a Barrier<F>,
    arrivals: Arrivals,
    is_leader: bool,
}

impl<F> Arrival<'_, F> {
    /// Blocks until this arrival's episode is complete, as [`Barrier::wait`] does.
    ///
    /// # Panics
    ///
    /// Panics if the barrier is broken before the episode completes.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Barrier;
    /// use std::thread;
    ///
    /// let barrier = Barrier::new(2);
    /// let leaders = thread::scope(|s| {
    ///     let other = s.spawn(|| barrier.wait().is_leader());
    ///     let me = barrier.arrive().wait().is_leader();
    ///     me as u32 + other.join().unwrap() as u32
    /// });
    /// assert_eq!(leaders, 1);
    /// ```
    #[track_caller]
    pub fn wait(self) -> BarrierWaitResult {
        if !self.is_leader && self.barrier.wait_released(self.arrivals, None).is_err() {
            broken("Arrival::wait");
        }
        BarrierWaitResult {
            is_leader: self.is_leader,
        }
    }

    /// Returns whether [`wait`](Arrival::wait) would return at once: the episode is complete
    /// (and everything the participants wrote before arriving is visible to this thread), or the
    /// barrier is broken (and `wait` panics).
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Barrier;
    ///
    /// let barrier = Barrier::new(2);
    /// let arrival = barrier.arrive();
    /// assert!(!arrival.is_complete()); // the other participant has not arrived
    /// # std::mem::forget(arrival);
    /// ```
    #[must_use]
    pub fn is_complete(&self) -> bool {
        // Acquire: pairs with the Release compare-exchange in `Barrier::release`, as in `wait`.
        let state = self.barrier.released.load(Ordering::Acquire);
        self.is_leader || is_released(state, self.arrivals.episode()) || state & BROKEN != 0
    }
}

impl<F> fmt::Debug for Arrival<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Arrival")
            .field("episode", &self.arrivals.episode())
            .field("is_leader", &self.is_leader)
            .finish_non_exhaustive()
    }
}

/// Breaks its [`Barrier`] if dropped while its thread panics: made by [`Barrier::panic_guard`].
///
/// # Examples
///
/// ```
/// use syncpoint::Barrier;
///
/// let barrier = Barrier::new(2);
/// {
///     let _guard = barrier.panic_guard();
///     // ... work that may panic ...
/// } // dropped without a panic: the barrier is intact
/// assert!(!barrier.is_broken());
/// ```
#[must_use = "the guard breaks the barrier only if it is held while the thread panics"]
pub struct PanicGuard<'a, F = NoCompletion> {
    barrier: &'a Barrier<F>,
}

impl<F> Drop for PanicGuard<'_, F> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.barrier.set_broken();
        }
    }
}

impl<F> fmt::Debug for PanicGuard<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PanicGuard").finish_non_exhaustive()
    }
}

/// What [`Barrier::wait`] returns: whether this thread was the episode's leader.
///
/// # Examples
///
/// ```
/// use syncpoint::Barrier;
///
/// let barrier = Barrier::new(1);
/// let result = barrier.wait();
/// assert!(result.is_leader());
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult {
    pub(crate) is_leader: bool,
}

impl BarrierWaitResult {
    /// Returns `true` for exactly one thread per episode: the last to arrive.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Barrier;
    /// use std::thread;
    ///
    /// let barrier = Barrier::new(2);
    /// let leaders = thread::scope(|s| {
    ///     let other = s.spawn(|| barrier.wait().is_leader());
    ///     let me = barrier.wait().is_leader();
    ///     me as u32 + other.join().unwrap() as u32
    /// });
    /// assert_eq!(leaders, 1);
    /// ```
    #[must_use]
    pub fn is_leader(&self) -> bool {
        self.is_leader
    }
}

impl fmt::Debug for BarrierWaitResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWaitResult")
            .field("is_leader", &self.is_leader)
            .finish()
    }
}

/// Why [`Barrier::wait_timeout`] returned without passing the barrier.
///
/// # Examples
///
/// ```
/// use syncpoint::{Barrier, BarrierWaitError};
/// use std::time::Duration;
///
/// let barrier = Barrier::new(2);
/// let error = barrier.wait_timeout(Duration::ZERO).unwrap_err();
/// assert_eq!(error, BarrierWaitError::TimedOut);
/// assert_eq!(error.to_string(), "the barrier wait timed out; the arrival was withdrawn");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BarrierWaitError {
    /// The episode did not complete in time; the arrival was withdrawn.
    TimedOut,
    /// The barrier is broken: a participant panicked.
    Broken,
}

impl fmt::Display for BarrierWaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BarrierWaitError::TimedOut => "the barrier wait timed out; the arrival was withdrawn",
            BarrierWaitError::Broken => "the barrier is broken: a participant panicked",
        })
    }
}

impl Error for BarrierWaitError {}
