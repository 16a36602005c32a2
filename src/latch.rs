//! A single-use countdown latch on one futex word.
//!
//! State word (see docs/design.md, "Latch"):
//!
//! | bits  | meaning                                           |
//! |-------|---------------------------------------------------|
//! | 0..31 | remaining count, at most [`Latch::MAX_COUNT`]     |
//! | 31    | [`SLEEPERS`]: a thread may be asleep on the latch |
//!
//! Counting down keeps `SLEEPERS`, except the count-down that reaches zero: it stores a plain zero
//! and wakes every sleeper if the bit was set. Zero is final.

#[cfg(all(loom, not(shuttle), test))]
mod loom_tests;
#[cfg(all(shuttle, test))]
mod shuttle_tests;

use crate::futex::{Futex, SLEEPERS};
use crate::primitive::{const_fn_unless_loom, Ordering};
use crate::wait::{deadline_after, wait, WaitPolicy};
use std::fmt;
use std::time::{Duration, Instant};

/// The count bits of the state word.
const COUNT: u32 = !SLEEPERS;

/// A single-use countdown: threads wait until the count reaches zero.
///
/// Like C++'s `std::latch` and Java's `CountDownLatch`: created with a count, counted down by
/// workers as they finish, waited on by whoever needs their results. Once the count reaches zero
/// it stays there and every wait returns at once.
///
/// Counting down past zero does not wrap: the count saturates at zero and extra count-downs are
/// ignored (as in Java), so a latch can also wait for the first `k` of many events.
///
/// # Examples
///
/// ```
/// use syncpoint::Latch;
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::thread;
///
/// let done = Latch::new(3);
/// let sum = AtomicU32::new(0);
/// thread::scope(|s| {
///     for i in 1..=3 {
///         let (done, sum) = (&done, &sum);
///         s.spawn(move || {
///             sum.fetch_add(i, Ordering::Relaxed);
///             done.count_down();
///         });
///     }
///     done.wait();
///     assert_eq!(sum.load(Ordering::Relaxed), 6);
/// });
/// ```
pub struct Latch {
    state: Futex,
    policy: WaitPolicy,
}

impl Latch {
    /// The largest count a latch can start from: 2<sup>31</sup> - 1.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Latch;
    ///
    /// assert_eq!(Latch::new(Latch::MAX_COUNT).count(), Latch::MAX_COUNT);
    /// ```
    pub const MAX_COUNT: u32 = COUNT;

    const_fn_unless_loom! {
        /// Creates a latch that opens after `count` count-downs. A latch created with zero is
        /// open from the start.
        ///
        /// # Panics
        ///
        /// Panics if `count` exceeds [`Latch::MAX_COUNT`].
        ///
        /// # Examples
        ///
        /// ```
        /// use syncpoint::Latch;
        ///
        /// static READY: Latch = Latch::new(1);
        /// READY.count_down();
        /// READY.wait();
        /// ```
        #[must_use]
        #[track_caller]
        pub fn new(count: u32) -> Latch {
            assert!(count <= Latch::MAX_COUNT, "Latch::new: count exceeds Latch::MAX_COUNT");
            Latch {
                state: Futex::new(count),
                policy: WaitPolicy::Adaptive,
            }
        }
    }

    const_fn_unless_loom! {
        /// Sets how threads wait for the latch to open: see [`WaitPolicy`]. The default is
        /// [`WaitPolicy::Adaptive`].
        ///
        /// # Examples
        ///
        /// ```
        /// use syncpoint::{Latch, WaitPolicy};
        ///
        /// let latch = Latch::new(1).with_wait_policy(WaitPolicy::Active);
        /// assert_eq!(latch.wait_policy(), WaitPolicy::Active);
        /// ```
        #[must_use]
        pub fn with_wait_policy(self, policy: WaitPolicy) -> Latch {
            Latch { policy, ..self }
        }
    }

    /// Returns the latch's [`WaitPolicy`].
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::{Latch, WaitPolicy};
    ///
    /// assert_eq!(Latch::new(1).wait_policy(), WaitPolicy::Adaptive);
    /// ```
    #[must_use]
    pub fn wait_policy(&self) -> WaitPolicy {
        self.policy
    }

    /// Lowers the count by one, opening the latch if it reaches zero. Does nothing if the count
    /// is already zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Latch;
    ///
    /// let latch = Latch::new(1);
    /// latch.count_down();
    /// assert!(latch.try_wait());
    /// latch.count_down(); // ignored: the count stays at zero
    /// assert_eq!(latch.count(), 0);
    /// ```
    #[inline]
    pub fn count_down(&self) {
        self.count_down_by(1);
    }

    /// Lowers the count by `n`, saturating at zero, and opens the latch if it reaches zero.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Latch;
    ///
    /// let latch = Latch::new(5);
    /// latch.count_down_by(3);
    /// assert_eq!(latch.count(), 2);
    /// latch.count_down_by(10);
    /// assert_eq!(latch.count(), 0);
    /// ```
    #[inline]
    pub fn count_down_by(&self, n: u32) {
        if n == 0 {
            return;
        }
        // Release: every count-down heads a release sequence that the later count-downs
        // (read-modify-writes) continue, so a waiter's Acquire load of zero in `try_wait` and
        // `wait_slow` synchronizes with all of them and sees what each counter wrote.
        let counted = self
            .state
            .try_update(Ordering::Release, Ordering::Relaxed, |state| {
                let left = (state & COUNT).saturating_sub(n);
                // Zero is final: a count-down at zero changes nothing. The count-down that opens
                // the latch clears SLEEPERS and wakes; the others keep it.
                (state & COUNT != 0).then_some(if left == 0 {
                    0
                } else {
                    left | (state & SLEEPERS)
                })
            });
        if let Ok(previous) = counted {
            if previous & COUNT <= n {
                self.state.wake_all_if_sleepers(previous);
            }
        }
    }

    /// Counts down by one and then waits for the latch to open.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Latch;
    /// use std::thread;
    ///
    /// let start = Latch::new(2);
    /// thread::scope(|s| {
    ///     s.spawn(|| start.arrive_and_wait());
    ///     start.arrive_and_wait();
    /// });
    /// ```
    #[inline]
    pub fn arrive_and_wait(&self) {
        self.count_down();
        self.wait();
    }

    /// Blocks until the count reaches zero.
    ///
    /// Everything the counting threads wrote before their count-downs is visible once `wait`
    /// returns.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Latch;
    ///
    /// let open = Latch::new(0);
    /// open.wait(); // returns at once
    /// ```
    #[inline]
    pub fn wait(&self) {
        if !self.try_wait() {
            self.wait_slow(None);
        }
    }

    /// Returns whether the latch is open (its count is zero), without blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Latch;
    ///
    /// let latch = Latch::new(1);
    /// assert!(!latch.try_wait());
    /// latch.count_down();
    /// assert!(latch.try_wait());
    /// ```
    #[inline]
    #[must_use]
    pub fn try_wait(&self) -> bool {
        // Acquire: pairs with the Release count-downs (see `count_down_by`).
        self.state.load(Ordering::Acquire) & COUNT == 0
    }

    /// Waits at most `timeout` for the latch to open; returns whether it opened.
    ///
    /// Never returns `false` before `timeout` has passed. A zero timeout behaves as
    /// [`try_wait`](Latch::try_wait), and a timeout too large to represent as a deadline waits for
    /// ever.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Latch;
    /// use std::time::Duration;
    ///
    /// let latch = Latch::new(1);
    /// assert!(!latch.wait_timeout(Duration::from_millis(1)));
    /// latch.count_down();
    /// assert!(latch.wait_timeout(Duration::ZERO));
    /// ```
    #[must_use]
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.try_wait() || self.wait_slow(deadline_after(timeout))
    }

    /// Waits until `deadline` at the latest for the latch to open; returns whether it opened.
    ///
    /// Never returns `false` before `deadline`; a deadline already passed behaves as
    /// [`try_wait`](Latch::try_wait).
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Latch;
    /// use std::time::{Duration, Instant};
    ///
    /// let latch = Latch::new(1);
    /// assert!(!latch.wait_until(Instant::now() + Duration::from_millis(1)));
    /// ```
    #[must_use]
    pub fn wait_until(&self, deadline: Instant) -> bool {
        self.try_wait() || self.wait_slow(Some(deadline))
    }

    /// Waits until the count is zero or `deadline` passes.
    #[cold]
    fn wait_slow(&self, deadline: Option<Instant>) -> bool {
        // The wait loop's Acquire load pairs with the Release count-downs (see `count_down_by`).
        let mut open = |state| (state & COUNT == 0).then_some(());
        wait(&self.state, self.policy, 1, deadline, &mut open).is_ok()
    }

    /// Returns the remaining count.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Latch;
    ///
    /// let latch = Latch::new(2);
    /// latch.count_down();
    /// assert_eq!(latch.count(), 1);
    /// ```
    #[must_use]
    pub fn count(&self) -> u32 {
        // Relaxed: a snapshot for monitoring; `try_wait` is the synchronizing check.
        self.state.load(Ordering::Relaxed) & COUNT
    }
}

impl fmt::Debug for Latch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Latch")
            .field("count", &self.count())
            .finish_non_exhaustive()
    }
}
