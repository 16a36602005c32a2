//! A counting semaphore on one futex word.
//!
//! State word (see docs/design.md, "Semaphore"):
//!
//! | bits  | meaning                                                  |
//! |-------|----------------------------------------------------------|
//! | 0..31 | available permits, at most [`Semaphore::MAX_PERMITS`]    |
//! | 31    | [`SLEEPERS`]: a thread may be asleep waiting for permits |
//!
//! Acquiring subtracts from the permit bits and leaves `SLEEPERS` as it is; releasing adds to them,
//! clears `SLEEPERS` and, if it was set, wakes every sleeper (each one re-checks, and whoever still
//! cannot proceed sets the bit again before sleeping). Waking all rather than one keeps the
//! protocol free of lost wake-ups when waiters want different numbers of permits.

use crate::futex::{Futex, SLEEPERS};
use crate::primitive::{const_fn_unless_loom, Ordering};
use crate::wait::{deadline_after, wait, WaitPolicy, Waiter};
use std::fmt;
use std::time::{Duration, Instant};

/// The permit bits of the state word.
const PERMITS: u32 = !SLEEPERS;

/// A counting semaphore: a number of permits that threads acquire and release.
///
/// An uncontended [`acquire`](Semaphore::acquire) or [`release`](Semaphore::release) is a single
/// atomic read-modify-write with no system call; a release makes a system call only when a thread
/// is asleep waiting for permits. Waiting threads spin briefly and then sleep on a futex.
///
/// The semaphore makes no fairness promise: a thread arriving while others sleep may take a
/// released permit first.
///
/// # Examples
///
/// Allow at most two threads into a section at a time:
///
/// ```
/// use syncpoint::Semaphore;
/// use std::thread;
///
/// let slots = Semaphore::new(2);
/// thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(|| {
///             let _permit = slots.permit();
///             assert!(slots.available_permits() <= 1);
///         });
///     }
/// });
/// assert_eq!(slots.available_permits(), 2);
/// ```
pub struct Semaphore {
    state: Futex,
    policy: WaitPolicy,
}

impl Semaphore {
    /// The largest number of permits a semaphore can hold: 2<sup>31</sup> - 1.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    ///
    /// let s = Semaphore::new(Semaphore::MAX_PERMITS);
    /// assert_eq!(s.available_permits(), Semaphore::MAX_PERMITS);
    /// ```
    pub const MAX_PERMITS: u32 = PERMITS;

    const_fn_unless_loom! {
        /// Creates a semaphore holding `permits` permits.
        ///
        /// # Panics
        ///
        /// Panics if `permits` exceeds [`Semaphore::MAX_PERMITS`].
        ///
        /// # Examples
        ///
        /// ```
        /// use syncpoint::Semaphore;
        ///
        /// static JOBS: Semaphore = Semaphore::new(0);
        /// JOBS.release();
        /// assert!(JOBS.try_acquire());
        /// ```
        #[must_use]
        #[track_caller]
        pub fn new(permits: u32) -> Semaphore {
            assert!(
                permits <= Semaphore::MAX_PERMITS,
                "Semaphore::new: permits exceed Semaphore::MAX_PERMITS"
            );
            Semaphore {
                state: Futex::new(permits),
                policy: WaitPolicy::Adaptive,
            }
        }
    }

    const_fn_unless_loom! {
        /// Sets how threads wait for permits: see [`WaitPolicy`]. The default is
        /// [`WaitPolicy::Adaptive`].
        ///
        /// # Examples
        ///
        /// ```
        /// use syncpoint::{Semaphore, WaitPolicy};
        ///
        /// static JOBS: Semaphore = Semaphore::new(0).with_wait_policy(WaitPolicy::Passive);
        /// assert_eq!(JOBS.wait_policy(), WaitPolicy::Passive);
        /// ```
        #[must_use]
        pub fn with_wait_policy(self, policy: WaitPolicy) -> Semaphore {
            Semaphore { policy, ..self }
        }
    }

    /// Returns the semaphore's [`WaitPolicy`].
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::{Semaphore, WaitPolicy};
    ///
    /// assert_eq!(Semaphore::new(1).wait_policy(), WaitPolicy::Adaptive);
    /// ```
    #[must_use]
    pub fn wait_policy(&self) -> WaitPolicy {
        self.policy
    }

    /// Acquires one permit, blocking until one is available.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    ///
    /// let s = Semaphore::new(1);
    /// s.acquire();
    /// assert_eq!(s.available_permits(), 0);
    /// ```
    #[inline]
    pub fn acquire(&self) {
        self.acquire_many(1);
    }

    /// Acquires `n` permits at once, blocking until `n` are available together.
    ///
    /// Acquiring zero permits returns at once.
    ///
    /// # Panics
    ///
    /// Panics at once if `n` exceeds [`Semaphore::MAX_PERMITS`], since no release could ever
    /// satisfy it.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    ///
    /// let s = Semaphore::new(5);
    /// s.acquire_many(3);
    /// assert_eq!(s.available_permits(), 2);
    /// ```
    #[inline]
    #[track_caller]
    pub fn acquire_many(&self, n: u32) {
        if !self.try_acquire_many(n) {
            self.acquire_slow(n, None);
        }
    }

    /// Takes one permit if one is available now; never blocks.
    ///
    /// Returns `false`, changing nothing, if none is available.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    ///
    /// let s = Semaphore::new(1);
    /// assert!(s.try_acquire());
    /// assert!(!s.try_acquire());
    /// ```
    #[inline]
    #[must_use = "if the permit is acquired it must be released"]
    pub fn try_acquire(&self) -> bool {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if `n` are available now; never blocks.
    ///
    /// Returns `false`, changing nothing, if fewer than `n` are available.
    ///
    /// # Panics
    ///
    /// Panics if `n` exceeds [`Semaphore::MAX_PERMITS`].
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    ///
    /// let s = Semaphore::new(2);
    /// assert!(!s.try_acquire_many(3));
    /// assert!(s.try_acquire_many(2));
    /// ```
    #[inline]
    #[track_caller]
    #[must_use = "if the permits are acquired they must be released"]
    pub fn try_acquire_many(&self, n: u32) -> bool {
        assert!(
            n <= Semaphore::MAX_PERMITS,
            "Semaphore: cannot acquire {n} permits, more than Semaphore::MAX_PERMITS ({})",
            Semaphore::MAX_PERMITS
        );
        self.take(n, self.state.load(Ordering::Relaxed))
    }

    /// Takes `n` permits if there are enough, starting from `state`, a recent value of the word.
    #[inline]
    fn take(&self, n: u32, mut state: u32) -> bool {
        while state & PERMITS >= n {
            // Acquire: pairs with the Release in `release_many`, so whatever the releasing thread
            // wrote before releasing is visible to this one once it holds the permits.
            match self.state.compare_exchange_weak(
                state,
                state - n,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => state = actual,
            }
        }
        false
    }

    /// Acquires one permit, waiting at most `timeout` for it.
    ///
    /// Returns `false` if no permit came in time; it never returns `false` before `timeout` has
    /// passed. A zero timeout behaves as [`try_acquire`](Semaphore::try_acquire), and a timeout
    /// too large to represent as a deadline waits for ever.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    /// use std::time::Duration;
    ///
    /// let s = Semaphore::new(0);
    /// assert!(!s.try_acquire_for(Duration::from_millis(1)));
    /// s.release();
    /// assert!(s.try_acquire_for(Duration::from_secs(1)));
    /// ```
    #[must_use = "if the permit is acquired it must be released"]
    pub fn try_acquire_for(&self, timeout: Duration) -> bool {
        self.try_acquire() || self.acquire_slow(1, deadline_after(timeout))
    }

    /// Acquires one permit, waiting until `deadline` at the latest.
    ///
    /// Returns `false` if no permit came in time; it never returns `false` before `deadline`. A
    /// deadline that has already passed behaves as [`try_acquire`](Semaphore::try_acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    /// use std::time::{Duration, Instant};
    ///
    /// let s = Semaphore::new(0);
    /// assert!(!s.try_acquire_until(Instant::now() + Duration::from_millis(1)));
    /// ```
    #[must_use = "if the permit is acquired it must be released"]
    pub fn try_acquire_until(&self, deadline: Instant) -> bool {
        self.try_acquire() || self.acquire_slow(1, Some(deadline))
    }

    /// Waits until `n` permits can be taken, and takes them, or until `deadline` passes.
    #[cold]
    fn acquire_slow(&self, n: u32, deadline: Option<Instant>) -> bool {
        let waiter = Acquirer { semaphore: self, n };
        wait(&self.state, self.policy, 1, deadline, waiter).is_ok()
    }

    /// Returns one permit to the semaphore, waking sleeping acquirers if there are any.
    ///
    /// # Panics
    ///
    /// Panics, leaving the count unchanged, if the semaphore already holds
    /// [`Semaphore::MAX_PERMITS`] permits.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    ///
    /// let s = Semaphore::new(0);
    /// s.release();
    /// assert_eq!(s.available_permits(), 1);
    /// ```
    #[inline]
    #[track_caller]
    pub fn release(&self) {
        self.release_many(1);
    }

    /// Returns `n` permits to the semaphore, waking sleeping acquirers if there are any.
    ///
    /// The permits need not have been acquired first: releasing is how a semaphore that starts at
    /// zero is signalled.
    ///
    /// # Panics
    ///
    /// Panics, leaving the count unchanged, if the semaphore would hold more than
    /// [`Semaphore::MAX_PERMITS`] permits.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    ///
    /// let s = Semaphore::new(1);
    /// s.release_many(2);
    /// assert_eq!(s.available_permits(), 3);
    /// ```
    #[inline]
    #[track_caller]
    pub fn release_many(&self, n: u32) {
        if n == 0 {
            return;
        }
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            let permits = state & PERMITS;
            let Some(new) = permits
                .checked_add(n)
                .filter(|&p| p <= Semaphore::MAX_PERMITS)
            else {
                release_overflow(permits, n)
            };
            // Release: pairs with the Acquire in `try_acquire_many` and `acquire_slow`, so the
            // acquirer sees what this thread wrote before releasing. The new value has no
            // SLEEPERS bit: every sleeper is woken below and re-marks the word if it still waits.
            match self
                .state
                .compare_exchange_weak(state, new, Ordering::Release, Ordering::Relaxed)
            {
                Ok(previous) => return self.state.wake_all_if_sleepers(previous),
                Err(actual) => state = actual,
            }
        }
    }

    /// Returns the number of permits available now.
    ///
    /// The value may be stale by the time it is used; it suits monitoring and tests, not
    /// decisions (use the `try_` methods for those).
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    ///
    /// assert_eq!(Semaphore::new(7).available_permits(), 7);
    /// ```
    #[must_use]
    pub fn available_permits(&self) -> u32 {
        // Relaxed: a snapshot of the count, ordering nothing else.
        self.state.load(Ordering::Relaxed) & PERMITS
    }

    /// Acquires one permit and returns a guard that releases it when dropped, unwinding
    /// included.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    ///
    /// let s = Semaphore::new(1);
    /// {
    ///     let _permit = s.permit();
    ///     assert_eq!(s.available_permits(), 0);
    /// }
    /// assert_eq!(s.available_permits(), 1);
    /// ```
    #[must_use = "the permit is released as soon as the guard is dropped"]
    pub fn permit(&self) -> SemaphorePermit<'_> {
        self.acquire();
        SemaphorePermit { semaphore: self }
    }
}

/// A thread waiting in [`Semaphore::acquire_slow`] for `n` permits.
struct Acquirer<'a> {
    semaphore: &'a Semaphore,
    n: u32,
}

impl Waiter for Acquirer<'_> {
    type Output = ();

    /// Takes the permits if `observed` shows enough (the Acquire compare-exchange in `take`).
    fn ready(&mut self, observed: u32) -> Option<()> {
        self.semaphore.take(self.n, observed).then_some(())
    }

    /// Sleeps only on a value that holds too few permits: the take above can fail on a later
    /// value after `observed` showed enough, and the word can hold `observed` again by then.
    fn announce(&mut self, futex: &Futex, observed: u32) -> Option<u32> {
        if observed & PERMITS >= self.n {
            return None;
        }
        futex.mark_sleepers(observed)
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn release_overflow(permits: u32, n: u32) -> ! {
    panic!(
        "Semaphore: releasing {n} permits to a semaphore holding {permits} would exceed \
         Semaphore::MAX_PERMITS ({})",
        Semaphore::MAX_PERMITS
    )
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("available_permits", &self.available_permits())
            .finish_non_exhaustive()
    }
}

/// One permit of a [`Semaphore`], released when the guard is dropped.
///
/// Created by [`Semaphore::permit`].
///
/// # Examples
///
/// ```
/// use syncpoint::Semaphore;
///
/// let s = Semaphore::new(1);
/// let permit = s.permit();
/// drop(permit);
/// assert!(s.try_acquire());
/// ```
#[must_use = "the permit is released as soon as the guard is dropped"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
}

impl Drop for SemaphorePermit<'_> {
    #[inline]
    fn drop(&mut self) {
        self.semaphore.release();
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit").finish_non_exhaustive()
    }
}
