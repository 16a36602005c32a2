//! A reusable, sense-reversing barrier: two words on two cache lines.
//!
//! The arrival word, written once by every arriving thread (see docs/design.md, "Barrier"):
//!
//! | bits   | meaning                                                  |
//! |--------|----------------------------------------------------------|
//! | 0..16  | `ARRIVALS`: arrivals counted since the last reset        |
//! | 16..32 | `GENERATION`: the episode being counted, wrapping        |
//!
//! The release word, a [`Futex`] that waiting threads read and sleep on:
//!
//! | bits   | meaning                                                  |
//! |--------|----------------------------------------------------------|
//! | 0..16  | `RELEASED`: the open episode (all earlier ones released) |
//! | 16..31 | unused (reserved for the roadmap in docs/design.md)      |
//! | 31     | `SLEEPERS`: a thread may be asleep on this word          |
//!
//! Every arrival is one `fetch_add` on the arrival word. The arrival that completes an episode
//! (the leader) subtracts the participant count and advances the generation in one more
//! `fetch_add`, then advances `RELEASED` with a Release compare-exchange and wakes the sleepers,
//! if any. The others spin on the release word and then sleep on it, waiting for `RELEASED` to
//! move past their episode. The episode of an arrival is its position in the arrival word's
//! modification order divided by the participant count, so an arrival is never lost or counted
//! twice even when more threads than participants share the barrier.

use crate::futex::{
    const_fn_unless_loom, fence, AtomicU32, Futex, Ordering, Spin, WaitPolicy, Woken,
};
use crossbeam_utils::CachePadded;
use std::fmt;

/// Arrivals counted in the arrival word since its last reset.
const ARRIVALS: u32 = 0xFFFF;
/// Where the generation sits in the arrival word.
const GENERATION_SHIFT: u32 = 16;
/// One episode, in the arrival word.
const GENERATION_ONE: u32 = 1 << GENERATION_SHIFT;
/// The open episode, in the release word; episode numbers are 16 bits and wrap.
const RELEASED: u32 = 0xFFFF;

/// A reusable barrier: `n` threads wait for each other, then all proceed together.
///
/// A drop-in replacement for [`std::sync::Barrier`] with the same API and semantics, built from
/// two atomic words on separate cache lines and a futex instead of a mutex and condition variable.
/// An episode costs each thread one atomic read-modify-write; the last thread to arrive releases
/// the others with one more and makes a system call only if some of them are asleep.
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
pub struct Barrier {
    /// The arrival word and the (read-only) participant count that every arrival compares
    /// against, on one cache line.
    arrivals: CachePadded<Arrivals>,
    /// The release word, on a cache line of its own so that waiters spinning on it are not
    /// disturbed by every arrival.
    released: CachePadded<Futex>,
    /// Read only by waiters, after they found they must wait.
    policy: WaitPolicy,
}

struct Arrivals {
    word: AtomicU32,
    participants: u32,
}

impl Barrier {
    /// The largest participant count [`Barrier::new`] accepts: 2<sup>15</sup> - 1.
    ///
    /// The arrival word counts 16 bits of arrivals; the spare bit leaves room for up to as many
    /// again arriving early for the next episode when more threads than participants share a
    /// barrier.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Barrier;
    ///
    /// let b = Barrier::new(Barrier::MAX_PARTICIPANTS);
    /// # let _ = b;
    /// ```
    pub const MAX_PARTICIPANTS: usize = (ARRIVALS >> 1) as usize;

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
            assert!(
                n <= Barrier::MAX_PARTICIPANTS,
                "Barrier::new: more participants than Barrier::MAX_PARTICIPANTS"
            );
            let participants = if n == 0 { 1 } else { n as u32 };
            Barrier {
                arrivals: CachePadded::new(Arrivals {
                    word: AtomicU32::new(0),
                    participants,
                }),
                released: CachePadded::new(Futex::new(0)),
                policy: WaitPolicy::Adaptive,
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
        /// let barrier = Barrier::new(64).with_wait_policy(WaitPolicy::Passive);
        /// assert_eq!(barrier.wait_policy(), WaitPolicy::Passive);
        /// ```
        #[must_use]
        pub fn with_wait_policy(self, policy: WaitPolicy) -> Barrier {
            Barrier { policy, ..self }
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

    /// Blocks until all `n` threads have called `wait` in this episode, then releases them all.
    ///
    /// Exactly one thread per episode, the last to arrive, gets a result whose
    /// [`is_leader`](BarrierWaitResult::is_leader) is `true`. Everything any participant wrote
    /// before calling `wait` is visible to every participant after `wait` returns. The barrier
    /// is ready for the next episode as soon as the leader returns.
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
    pub fn wait(&self) -> BarrierWaitResult {
        let n = self.arrivals.participants;
        // Release: this thread's writes before the barrier travel to the leader, whose Acquire
        // fence in `lead` synchronizes with every arrival of its episode (the arrivals are all
        // read-modify-writes, so each heads a release sequence the leader's `fetch_add` reads).
        let old = self.arrivals.word.fetch_add(1, Ordering::Release);
        let arrived = old & ARRIVALS;
        let generation = old >> GENERATION_SHIFT;
        if arrived + 1 == n {
            self.lead(generation)
        } else if arrived < n {
            self.wait_for_release(generation);
            BarrierWaitResult { is_leader: false }
        } else {
            self.wait_overflow(old)
        }
    }

    /// An arrival counted past `n` before the previous leader's reset: it belongs to a later
    /// episode. Only reachable when more than `n` threads share the barrier.
    #[cold]
    fn wait_overflow(&self, old: u32) -> BarrierWaitResult {
        let n = self.arrivals.participants;
        let arrived = old & ARRIVALS;
        let episode = (old >> GENERATION_SHIFT).wrapping_add(arrived / n) & RELEASED;
        if arrived % n + 1 == n {
            self.lead(episode)
        } else {
            self.wait_for_release(episode);
            BarrierWaitResult { is_leader: false }
        }
    }

    /// The leader's work: take in the episode's writes, reset the arrival count, then open the
    /// next episode and wake the sleepers.
    #[inline]
    fn lead(&self, episode: u32) -> BarrierWaitResult {
        // Acquire: pairs with the Release `fetch_add` of every arrival of this episode.
        fence(Ordering::Acquire);
        let n = self.arrivals.participants;
        // Take this episode's `n` arrivals off the count and advance the generation, in one
        // read-modify-write so early arrivals for the next episode are kept. Relaxed: nobody
        // waiting for this episode reads the arrival word again before it has seen the release
        // below (Release), which orders this reset before its next arrival.
        self.arrivals
            .word
            .fetch_add(GENERATION_ONE.wrapping_sub(n), Ordering::Relaxed);
        let next = episode.wrapping_add(1) & RELEASED;
        let mut current = episode;
        loop {
            // Release: pairs with the Acquire load in `wait_for_release`, publishing this
            // episode's writes (gathered by the Acquire fence in `wait`) to every waiter. The new
            // value has no SLEEPERS bit: every sleeper is woken below.
            match self.released.compare_exchange(
                current,
                next,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(previous) => {
                    self.released.wake_all_if_sleepers(previous);
                    return BarrierWaitResult { is_leader: true };
                }
                // A waiter marked the word with SLEEPERS: same episode, try again.
                Err(actual) if actual & RELEASED == episode => current = actual,
                // The previous episode's leader has not opened this episode yet (only when more
                // threads than participants share the barrier): wait for it.
                Err(_) => {
                    self.wait_for_release(episode.wrapping_sub(1) & RELEASED);
                    current = episode;
                }
            }
        }
    }

    /// The wait loop: spin, then sleep on the release word until `episode` is released.
    #[cold]
    fn wait_for_release(&self, episode: u32) {
        // Every participant but the leader may wait at once.
        let waiters = self.arrivals.participants as usize - 1;
        let mut spin = Spin::new(self.policy, waiters);
        loop {
            // Acquire: pairs with the Release compare-exchange in `complete`.
            let state = self.released.load(Ordering::Acquire);
            if is_released(state, episode) {
                return;
            }
            if !spin.spin() {
                let woken = self.released.sleep(state, None);
                debug_assert_eq!(woken, Woken::Recheck, "an untimed sleep cannot time out");
            }
        }
    }
}

/// Whether the release word `state` shows `episode` as released: its open episode lies after
/// `episode`, within half the 16-bit episode space (episodes wrap).
#[inline]
fn is_released(state: u32, episode: u32) -> bool {
    let ahead = (state & RELEASED).wrapping_sub(episode) & RELEASED;
    ahead != 0 && ahead <= RELEASED >> 1
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("participants", &self.arrivals.participants)
            .finish_non_exhaustive()
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
