//! The split-phase arrival: arrive now, wait later.

use super::broken::broken;
use super::state::{Arrivals, Released};
use super::{Barrier, BarrierWaitResult, NoCompletion};
use crate::primitive::Ordering;
use std::fmt;

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

impl<'a, F> Arrival<'a, F> {
    pub(super) fn new(barrier: &'a Barrier<F>, arrivals: Arrivals, is_leader: bool) -> Self {
        Arrival {
            barrier,
            arrivals,
            is_leader,
        }
    }

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
        let state = Released::from_bits(self.barrier.released.load(Ordering::Acquire));
        self.is_leader || state.has_released(self.arrivals.episode()) || state.is_broken()
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
