//! A counting semaphore that wakes only who can proceed.
//!
//! The files, top to bottom; each imports only from those below it:
//!
//! | file | what it holds |
//! |---|---|
//! | `mod.rs` | the public API of [`Semaphore`]: acquiring and releasing, their fast paths |
//! | `permit.rs` | the guards: [`SemaphorePermit`], [`OwnedSemaphorePermit`] |
//! | `waiter.rs` | the slow paths: waiters for one permit, the head and the queue of waiters for several, and the release that wakes them |
//! | `words.rs` | the [`Semaphore`] type: its state word and its three futex words |
//! | `state.rs` | the state word: permits and who waits, every bit named |
//!
//! Beside them, `loom_tests.rs` (the loom models) and `tests.rs` (unit tests that count the
//! sleeps a release causes).
//!
//! An uncontended acquire or release is one compare-exchange on the state word. A release that
//! finds waiters counted in the value it replaced goes to the cold path, which wakes at most as
//! many sleepers as its permits can serve. docs/design.md carries the whole argument.

#[cfg(all(loom, test))]
mod loom_tests;
mod permit;
mod state;
#[cfg(all(test, not(loom)))]
mod tests;
mod waiter;
mod words;

pub use permit::{OwnedSemaphorePermit, SemaphorePermit};
pub use words::Semaphore;

use crate::futex::Futex;
use crate::primitive::{const_fn_unless_loom, Ordering};
use crate::wait::{deadline_after, WaitPolicy};
use crate::word::Word;
use state::State;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    pub const MAX_PERMITS: u32 = State::PERMITS as u32;

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
                state: Word::from_bits(State::new(permits).bits()),
                singles: Futex::new(0),
                head: Futex::new(0),
                queue: Futex::new(0),
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
            // A field assignment: a const fn may not drop the rest of a `Semaphore`.
            let mut semaphore = self;
            semaphore.policy = policy;
            semaphore
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
    /// Returns `false`, changing nothing, if none is available (or the permits are kept for a
    /// waiter for several: see [Fairness](Semaphore#fairness)).
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
    /// Returns `false`, changing nothing, if fewer than `n` are available (or the permits are
    /// kept for a waiter for several). Taking zero permits succeeds.
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
        n == 0 || self.take(n)
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
        self.try_acquire_many_for(1, timeout)
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
        self.try_acquire_many_until(1, deadline)
    }

    /// Acquires `n` permits at once, waiting at most `timeout` for them; like Java's
    /// `tryAcquire(n, timeout)`.
    ///
    /// Returns `false`, holding none of them, if the `n` did not come together in time; it never
    /// returns `false` before `timeout` has passed. A zero timeout behaves as
    /// [`try_acquire_many`](Semaphore::try_acquire_many), and a timeout too large to represent as
    /// a deadline waits for ever.
    ///
    /// # Panics
    ///
    /// Panics if `n` exceeds [`Semaphore::MAX_PERMITS`].
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    /// use std::time::Duration;
    ///
    /// let s = Semaphore::new(2);
    /// assert!(!s.try_acquire_many_for(3, Duration::from_millis(1)));
    /// assert_eq!(s.available_permits(), 2);
    /// s.release();
    /// assert!(s.try_acquire_many_for(3, Duration::from_secs(1)));
    /// ```
    #[track_caller]
    #[must_use = "if the permits are acquired they must be released"]
    pub fn try_acquire_many_for(&self, n: u32, timeout: Duration) -> bool {
        self.try_acquire_many(n) || self.acquire_slow(n, deadline_after(timeout))
    }

    /// Acquires `n` permits at once, waiting until `deadline` at the latest.
    ///
    /// Returns `false`, holding none of them, if the `n` did not come together in time; it never
    /// returns `false` before `deadline`.
    ///
    /// # Panics
    ///
    /// Panics if `n` exceeds [`Semaphore::MAX_PERMITS`].
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    /// use std::time::{Duration, Instant};
    ///
    /// let s = Semaphore::new(1);
    /// assert!(!s.try_acquire_many_until(2, Instant::now() + Duration::from_millis(1)));
    /// ```
    #[track_caller]
    #[must_use = "if the permits are acquired they must be released"]
    pub fn try_acquire_many_until(&self, n: u32, deadline: Instant) -> bool {
        self.try_acquire_many(n) || self.acquire_slow(n, Some(deadline))
    }

    /// Returns one permit to the semaphore, waking one sleeping acquirer if there is one.
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

    /// Returns `n` permits to the semaphore, waking as many sleeping acquirers as they can serve.
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
        // Release: pairs with the Acquire of every take (`take`, `settle`, `Head::ready`), so the
        // acquirer sees what this thread wrote before releasing.
        let released = self
            .state
            .try_update(Ordering::Release, Ordering::Relaxed, |current| {
                let released = current.released(n)?;
                // This release will wake one waiter for one permit: say so in the same
                // exchange, so that releases until it looks leave the wake to it.
                Some(if current.marks_waking(n) {
                    released.with_waking()
                } else {
                    released
                })
            });
        match released {
            Ok(before) if before.has_waiters() => self.wake_after_release(before, n),
            Ok(_) => {}
            Err(current) => release_overflow(current.permits(), n),
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
        self.state.load(Ordering::Relaxed).permits()
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
        self.permit_many(1)
    }

    /// Acquires `n` permits at once and returns one guard that releases them all when dropped.
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
    /// let s = Semaphore::new(4);
    /// let three = s.permit_many(3);
    /// assert_eq!((three.num_permits(), s.available_permits()), (3, 1));
    /// drop(three);
    /// assert_eq!(s.available_permits(), 4);
    /// ```
    #[track_caller]
    #[must_use = "the permits are released as soon as the guard is dropped"]
    pub fn permit_many(&self, n: u32) -> SemaphorePermit<'_> {
        self.acquire_many(n);
        SemaphorePermit::new(self, n)
    }

    /// Takes one permit if one is available now, as a guard; `None`, changing nothing, if not.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    ///
    /// let s = Semaphore::new(1);
    /// let permit = s.try_permit().expect("one is free");
    /// assert!(s.try_permit().is_none());
    /// drop(permit);
    /// assert!(s.try_permit().is_some());
    /// ```
    #[must_use = "the permit is released as soon as the guard is dropped"]
    pub fn try_permit(&self) -> Option<SemaphorePermit<'_>> {
        self.try_permit_many(1)
    }

    /// Takes `n` permits if `n` are available now, as one guard; `None`, changing nothing, if not.
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
    /// assert!(s.try_permit_many(3).is_none());
    /// assert_eq!(s.try_permit_many(2).map(|p| p.num_permits()), Some(2));
    /// ```
    #[track_caller]
    #[must_use = "the permits are released as soon as the guard is dropped"]
    pub fn try_permit_many(&self, n: u32) -> Option<SemaphorePermit<'_>> {
        self.try_acquire_many(n)
            .then(|| SemaphorePermit::new(self, n))
    }

    /// Acquires one permit and returns a guard that owns a reference to the semaphore, so it can
    /// move into spawned work and outlive this borrow, like tokio's `acquire_owned`. Dropping the
    /// guard releases the permit.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    /// use std::sync::Arc;
    /// use std::thread;
    ///
    /// let jobs = Arc::new(Semaphore::new(2));
    /// let workers: Vec<_> = (0..4)
    ///     .map(|_| {
    ///         let permit = jobs.acquire_owned(); // waits for a free slot
    ///         thread::spawn(move || {
    ///             // ... the job, holding its slot ...
    ///             drop(permit);
    ///         })
    ///     })
    ///     .collect();
    /// for worker in workers {
    ///     worker.join().unwrap();
    /// }
    /// assert_eq!(jobs.available_permits(), 2);
    /// ```
    #[must_use = "the permit is released as soon as the guard is dropped"]
    pub fn acquire_owned(self: &Arc<Self>) -> OwnedSemaphorePermit {
        self.acquire();
        OwnedSemaphorePermit::new(Arc::clone(self), 1)
    }

    /// Takes one permit if one is available now, as a guard that owns a reference to the
    /// semaphore; `None`, changing nothing, if not.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    /// use std::sync::Arc;
    ///
    /// let s = Arc::new(Semaphore::new(1));
    /// let permit = s.try_acquire_owned().expect("one is free");
    /// assert!(s.try_acquire_owned().is_none());
    /// drop(permit);
    /// assert_eq!(s.available_permits(), 1);
    /// ```
    #[must_use = "the permit is released as soon as the guard is dropped"]
    pub fn try_acquire_owned(self: &Arc<Self>) -> Option<OwnedSemaphorePermit> {
        self.try_acquire()
            .then(|| OwnedSemaphorePermit::new(Arc::clone(self), 1))
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
