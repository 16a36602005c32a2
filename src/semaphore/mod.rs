//! A counting semaphore that wakes only who can proceed.
//!
//! The files, top to bottom; each imports only from those below it:
//!
//! | file | what it holds |
//! |---|---|
//! | `mod.rs` | the public API of [`Semaphore`]: acquiring and releasing, their fast paths |
//! | `permit.rs` | the guards: [`SemaphorePermit`], [`OwnedSemaphorePermit`] |
//! | `error.rs` | why an acquire returned without its permits: [`AcquireError`], [`TryAcquireError`], [`AcquireTimeoutError`] |
//! | `waiter.rs` | the slow paths: waiters for one permit, the head and the queue of waiters for several, and the release that wakes them |
//! | `words.rs` | the [`Semaphore`] type: its state word, its three futex words and the ticket word |
//! | `state.rs` | the state word: permits and who waits, every bit named |
//! | `tickets.rs` | the queue's ticket word: waiters for several served in arrival order |
//!
//! Beside them, `loom_tests.rs` (the loom models) and `tests.rs` (unit tests that count the
//! sleeps a release causes).
//!
//! An uncontended acquire or release is one compare-exchange on the state word. A release that
//! finds waiters counted in the value it replaced goes to the cold path, which wakes at most as
//! many sleepers as its permits can serve. docs/design.md carries the whole argument.

mod error;
#[cfg(all(loom, not(shuttle), test))]
mod loom_tests;
mod permit;
#[cfg(all(shuttle, test))]
mod shuttle_tests;
mod state;
#[cfg(all(test, not(loom)))]
mod tests;
mod tickets;
mod waiter;
mod words;

pub use error::{AcquireError, AcquireTimeoutError, TryAcquireError};
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
use tickets::Tickets;
use waiter::Failed;

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
        /// assert!(JOBS.try_acquire().is_ok());
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
                queue: [
                    Futex::new(0),
                    Futex::new(0),
                    Futex::new(0),
                    Futex::new(0),
                    Futex::new(0),
                    Futex::new(0),
                    Futex::new(0),
                    Futex::new(0),
                ],
                tickets: Word::from_bits(Tickets::new().bits()),
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
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed, or is closed while this thread waits
    /// ([`close`](Semaphore::close)); no permit is held then.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    ///
    /// let s = Semaphore::new(1);
    /// s.acquire().unwrap();
    /// assert_eq!(s.available_permits(), 0);
    /// ```
    #[inline]
    pub fn acquire(&self) -> Result<(), AcquireError> {
        self.acquire_many(1)
    }

    /// Acquires `n` permits at once, blocking until `n` are available together.
    ///
    /// Acquiring zero permits returns at once.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed, or is closed while this thread waits; no
    /// permit is held then.
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
    /// s.acquire_many(3).unwrap();
    /// assert_eq!(s.available_permits(), 2);
    /// ```
    #[inline]
    #[track_caller]
    pub fn acquire_many(&self, n: u32) -> Result<(), AcquireError> {
        check_count(n);
        if self.take(n) {
            Ok(())
        } else {
            self.acquire_many_cold(n)
        }
    }

    /// `acquire_many` when the permits are not there at once. The slow path's first look finds
    /// a closed semaphore (no extra load here, which the loom models would pay for at every
    /// acquire that waits).
    #[cold]
    fn acquire_many_cold(&self, n: u32) -> Result<(), AcquireError> {
        if n == 0 {
            // Zero permits, kept for the head or not; refused only by a close.
            return if self.is_closed() {
                Err(AcquireError(()))
            } else {
                Ok(())
            };
        }
        self.acquire_slow(n, None)
            .map_err(|_closed| AcquireError(()))
    }

    /// Takes one permit if one is available now; never blocks.
    ///
    /// # Errors
    ///
    /// Changing nothing: [`TryAcquireError::NoPermits`] if none is available (or the permits
    /// are kept for a waiter for several: see [Fairness](Semaphore#fairness)),
    /// [`TryAcquireError::Closed`] if the semaphore is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::{Semaphore, TryAcquireError};
    ///
    /// let s = Semaphore::new(1);
    /// assert!(s.try_acquire().is_ok());
    /// assert_eq!(s.try_acquire(), Err(TryAcquireError::NoPermits));
    /// ```
    #[inline]
    pub fn try_acquire(&self) -> Result<(), TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if `n` are available now; never blocks.
    ///
    /// Taking zero permits succeeds while the semaphore is open.
    ///
    /// # Errors
    ///
    /// Changing nothing: [`TryAcquireError::NoPermits`] if fewer than `n` are available (or
    /// the permits are kept for a waiter for several, or, for `n >= 2`, waiters for several
    /// are already waiting: they come first), [`TryAcquireError::Closed`] if the semaphore is
    /// closed.
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
    /// assert!(s.try_acquire_many(3).is_err());
    /// assert!(s.try_acquire_many(2).is_ok());
    /// ```
    #[inline]
    #[track_caller]
    pub fn try_acquire_many(&self, n: u32) -> Result<(), TryAcquireError> {
        check_count(n);
        match self.take_or_look(n) {
            Ok(_) => Ok(()),
            Err(current) if current.is_closed() => Err(TryAcquireError::Closed),
            Err(_) if n == 0 => Ok(()), // zero permits, kept for the head or not
            Err(_) => Err(TryAcquireError::NoPermits),
        }
    }

    /// Acquires one permit, waiting at most `timeout` for it.
    ///
    /// A zero timeout behaves as [`try_acquire`](Semaphore::try_acquire), and a timeout too
    /// large to represent as a deadline waits for ever.
    ///
    /// # Errors
    ///
    /// Holding no permit: [`AcquireTimeoutError::TimedOut`] if no permit came in time (never
    /// before `timeout` has passed), [`AcquireTimeoutError::Closed`] if the semaphore is
    /// closed, or is closed while this thread waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    /// use std::time::Duration;
    ///
    /// let s = Semaphore::new(0);
    /// assert!(s.try_acquire_for(Duration::from_millis(1)).is_err());
    /// s.release();
    /// assert!(s.try_acquire_for(Duration::from_secs(1)).is_ok());
    /// ```
    pub fn try_acquire_for(&self, timeout: Duration) -> Result<(), AcquireTimeoutError> {
        self.try_acquire_many_for(1, timeout)
    }

    /// Acquires one permit, waiting until `deadline` at the latest.
    ///
    /// A deadline that has already passed behaves as [`try_acquire`](Semaphore::try_acquire).
    ///
    /// # Errors
    ///
    /// Holding no permit: [`AcquireTimeoutError::TimedOut`] if no permit came in time (never
    /// before `deadline`), [`AcquireTimeoutError::Closed`] if the semaphore is closed, or is
    /// closed while this thread waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::{AcquireTimeoutError, Semaphore};
    /// use std::time::{Duration, Instant};
    ///
    /// let s = Semaphore::new(0);
    /// let waited = s.try_acquire_until(Instant::now() + Duration::from_millis(1));
    /// assert_eq!(waited, Err(AcquireTimeoutError::TimedOut));
    /// ```
    pub fn try_acquire_until(&self, deadline: Instant) -> Result<(), AcquireTimeoutError> {
        self.try_acquire_many_until(1, deadline)
    }

    /// Acquires `n` permits at once, waiting at most `timeout` for them; like Java's
    /// `tryAcquire(n, timeout)`.
    ///
    /// A zero timeout behaves as [`try_acquire_many`](Semaphore::try_acquire_many), and a
    /// timeout too large to represent as a deadline waits for ever.
    ///
    /// # Errors
    ///
    /// Holding none of them: [`AcquireTimeoutError::TimedOut`] if the `n` did not come together
    /// in time (never before `timeout` has passed), [`AcquireTimeoutError::Closed`] if the
    /// semaphore is closed, or is closed while this thread waits.
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
    /// assert!(s.try_acquire_many_for(3, Duration::from_millis(1)).is_err());
    /// assert_eq!(s.available_permits(), 2);
    /// s.release();
    /// assert!(s.try_acquire_many_for(3, Duration::from_secs(1)).is_ok());
    /// ```
    #[track_caller]
    pub fn try_acquire_many_for(
        &self,
        n: u32,
        timeout: Duration,
    ) -> Result<(), AcquireTimeoutError> {
        self.acquire_timed(n, deadline_after(timeout))
    }

    /// Acquires `n` permits at once, waiting until `deadline` at the latest.
    ///
    /// # Errors
    ///
    /// Holding none of them: [`AcquireTimeoutError::TimedOut`] if the `n` did not come together
    /// in time (never before `deadline`), [`AcquireTimeoutError::Closed`] if the semaphore is
    /// closed, or is closed while this thread waits.
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
    /// assert!(s.try_acquire_many_until(2, Instant::now() + Duration::from_millis(1)).is_err());
    /// ```
    #[track_caller]
    pub fn try_acquire_many_until(
        &self,
        n: u32,
        deadline: Instant,
    ) -> Result<(), AcquireTimeoutError> {
        self.acquire_timed(n, Some(deadline))
    }

    /// The timed forms: `n` permits by `deadline` (`None`: no deadline).
    #[track_caller]
    fn acquire_timed(&self, n: u32, deadline: Option<Instant>) -> Result<(), AcquireTimeoutError> {
        match self.try_acquire_many(n) {
            Ok(()) => Ok(()),
            Err(TryAcquireError::NoPermits) => {
                self.acquire_slow(n, deadline)
                    .map_err(|failed| match failed {
                        Failed::TimedOut => AcquireTimeoutError::TimedOut,
                        Failed::Closed => AcquireTimeoutError::Closed,
                    })
            }
            Err(TryAcquireError::Closed) => Err(AcquireTimeoutError::Closed),
        }
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

    /// Closes the semaphore, for a shutdown: every waiter, asleep, spinning or queued, returns
    /// promptly with an error saying so ([`AcquireError`], [`TryAcquireError::Closed`],
    /// [`AcquireTimeoutError::Closed`]), each woken once, and every later acquire fails at
    /// once, even with permits available. Releases still count, so permits held at the close
    /// (guards included) are given back cleanly. Closing twice changes nothing; a closed
    /// semaphore cannot be opened again (make a new one).
    ///
    /// # Examples
    ///
    /// Idle workers of a pool sleep on a job semaphore; a close stops them:
    ///
    /// ```
    /// use syncpoint::Semaphore;
    /// use std::thread;
    ///
    /// let jobs = Semaphore::new(0);
    /// thread::scope(|s| {
    ///     let workers: Vec<_> = (0..4)
    ///         .map(|_| {
    ///             s.spawn(|| {
    ///                 let mut done = 0;
    ///                 while jobs.acquire().is_ok() {
    ///                     done += 1; // ... the job ...
    ///                 }
    ///                 done
    ///             })
    ///         })
    ///         .collect();
    ///     jobs.release_many(10);
    ///     while jobs.available_permits() > 0 {
    ///         thread::yield_now();
    ///     }
    ///     jobs.close();
    ///     let done: u32 = workers.into_iter().map(|w| w.join().unwrap()).sum();
    ///     assert_eq!(done, 10);
    /// });
    /// assert!(jobs.is_closed() && jobs.try_acquire().is_err());
    /// ```
    pub fn close(&self) {
        // Acquire: pairs with the head's Release publication of `HEAD` (`lead`), so that a
        // close that sees `HEAD` reads the need the head claimed before it, and signals it. (The
        // waiters for one and the queue need no Acquire here: a waiter that loads the close's
        // bump of its futex word acquires it, and then registers after the close and is
        // refused; one that loaded the word before the bump sleeps on the old value and is
        // woken.)
        let before = self
            .state
            .fetch_or(State::closed_bit().bits(), Ordering::Acquire);
        if !before.is_closed() {
            self.wake_after_close(before);
        }
    }

    /// Returns whether the semaphore is closed ([`close`](Semaphore::close)).
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    ///
    /// let s = Semaphore::new(1);
    /// assert!(!s.is_closed());
    /// s.close();
    /// assert!(s.is_closed());
    /// ```
    #[must_use]
    pub fn is_closed(&self) -> bool {
        // Relaxed: a closed semaphore stays closed; the acquires learn it in their own
        // read-modify-writes.
        self.state.load(Ordering::Relaxed).is_closed()
    }

    /// Removes up to `n` of the permits available now, for a pool that shrinks; returns how
    /// many it removed (fewer than `n` when fewer are available). Never blocks, and wakes
    /// nobody. Works on a closed semaphore too.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    ///
    /// let s = Semaphore::new(5);
    /// assert_eq!(s.forget_permits(3), 3);
    /// assert_eq!(s.forget_permits(3), 2);
    /// assert_eq!(s.available_permits(), 0);
    /// ```
    pub fn forget_permits(&self, n: u32) -> u32 {
        let mut forgotten = 0;
        // Relaxed: removing permits publishes nothing and takes no one's writes.
        self.state
            .update(Ordering::Relaxed, Ordering::Relaxed, |current| {
                let (next, k) = current.forgotten(n);
                forgotten = k;
                next
            });
        forgotten
    }

    /// Acquires one permit and returns a guard that releases it when dropped, unwinding
    /// included.
    ///
    /// # Examples
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed, or is closed while this thread waits.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    ///
    /// let s = Semaphore::new(1);
    /// {
    ///     let _permit = s.permit().unwrap();
    ///     assert_eq!(s.available_permits(), 0);
    /// }
    /// assert_eq!(s.available_permits(), 1);
    /// ```
    pub fn permit(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.permit_many(1)
    }

    /// Acquires `n` permits at once and returns one guard that releases them all when dropped.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed, or is closed while this thread waits.
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
    /// let three = s.permit_many(3).unwrap();
    /// assert_eq!((three.num_permits(), s.available_permits()), (3, 1));
    /// drop(three);
    /// assert_eq!(s.available_permits(), 4);
    /// ```
    #[track_caller]
    pub fn permit_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.acquire_many(n)?;
        Ok(SemaphorePermit::new(self, n))
    }

    /// Takes one permit if one is available now, as a guard.
    ///
    /// # Errors
    ///
    /// Changing nothing: as [`try_acquire`](Semaphore::try_acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    ///
    /// let s = Semaphore::new(1);
    /// let permit = s.try_permit().expect("one is free");
    /// assert!(s.try_permit().is_err());
    /// drop(permit);
    /// assert!(s.try_permit().is_ok());
    /// ```
    pub fn try_permit(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_permit_many(1)
    }

    /// Takes `n` permits if `n` are available now, as one guard.
    ///
    /// # Errors
    ///
    /// Changing nothing: as [`try_acquire_many`](Semaphore::try_acquire_many).
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
    /// assert!(s.try_permit_many(3).is_err());
    /// assert_eq!(s.try_permit_many(2).map(|p| p.num_permits()), Ok(2));
    /// ```
    #[track_caller]
    pub fn try_permit_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(n)?;
        Ok(SemaphorePermit::new(self, n))
    }

    /// Acquires one permit and returns a guard that owns a reference to the semaphore, so it can
    /// move into spawned work and outlive this borrow, like tokio's `acquire_owned`. Dropping the
    /// guard releases the permit.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed, or is closed while this thread waits.
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
    ///         let permit = jobs.acquire_owned().unwrap(); // waits for a free slot
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
    pub fn acquire_owned(self: &Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire()?;
        Ok(OwnedSemaphorePermit::new(Arc::clone(self), 1))
    }

    /// Takes one permit if one is available now, as a guard that owns a reference to the
    /// semaphore.
    ///
    /// # Errors
    ///
    /// Changing nothing: as [`try_acquire`](Semaphore::try_acquire).
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Semaphore;
    /// use std::sync::Arc;
    ///
    /// let s = Arc::new(Semaphore::new(1));
    /// let permit = s.try_acquire_owned().expect("one is free");
    /// assert!(s.try_acquire_owned().is_err());
    /// drop(permit);
    /// assert_eq!(s.available_permits(), 1);
    /// ```
    pub fn try_acquire_owned(self: &Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire()?;
        Ok(OwnedSemaphorePermit::new(Arc::clone(self), 1))
    }
}

/// Panics at the caller if `n` permits can never be acquired.
#[inline]
#[track_caller]
fn check_count(n: u32) {
    assert!(
        n <= Semaphore::MAX_PERMITS,
        "Semaphore: cannot acquire {n} permits, more than Semaphore::MAX_PERMITS ({})",
        Semaphore::MAX_PERMITS
    );
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
