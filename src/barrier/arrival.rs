//! The split-phase arrival: arrive now, wait later.

use super::broken::broken;
use super::episode::{Member, NoCompletion, RawBarrier};
use super::outcome::{BarrierWaitError, BarrierWaitResult};
use super::state::Episode;
use crate::wait::deadline_after;
use std::fmt;
use std::marker::PhantomData;
use std::time::{Duration, Instant};

/// An arrival at a [`Barrier`](crate::Barrier), made by [`Barrier::arrive`](crate::Barrier::arrive),
/// to be waited for later.
///
/// Dropping it without waiting is allowed: the arrival still counts. It holds its episode's full
/// number, so however many episodes pass before it is asked, its answer is the same: once
/// complete, complete for good.
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
    barrier: &'a RawBarrier,
    /// `None` for the leader, whose arrival completed and released the episode.
    member: Option<Member>,
    episode: Episode,
    /// The barrier's completion type, which the arrival borrows the barrier with.
    completion: PhantomData<&'a F>,
}

impl<'a, F> Arrival<'a, F> {
    /// The arrival of the thread that led `episode`: complete from the start.
    pub(super) fn leader(barrier: &'a RawBarrier, episode: Episode) -> Self {
        Arrival {
            barrier,
            member: None,
            episode,
            completion: PhantomData,
        }
    }

    /// An arrival that waits for its episode's release; `open` is the open episode, read just
    /// after the arrival.
    pub(super) fn waiter(barrier: &'a RawBarrier, mut member: Member, open: Episode) -> Self {
        let episode = member.episode(open);
        Arrival {
            barrier,
            member: Some(member),
            episode,
            completion: PhantomData,
        }
    }

    /// Blocks until this arrival's episode is complete, as [`Barrier::wait`](crate::Barrier::wait) does.
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
        match self.member {
            None => BarrierWaitResult::LEADER,
            Some(mut member) => match self.barrier.wait_release(&mut member, None) {
                Ok(()) => BarrierWaitResult::FOLLOWER,
                Err(_) => broken("Arrival::wait"),
            },
        }
    }

    /// Waits at most `timeout` for this arrival's episode to complete, with the rule of
    /// [`Barrier::wait_timeout`](crate::Barrier::wait_timeout): if it is not complete in time, the arrival is withdrawn and the
    /// others keep waiting for a full set; if it completed (also while the timeout expired), the
    /// result is `Ok`. Never both.
    ///
    /// # Errors
    ///
    /// [`BarrierWaitError::TimedOut`] when the arrival was withdrawn;
    /// [`BarrierWaitError::Broken`] if the barrier is broken before the episode completes.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::{Barrier, BarrierWaitError};
    /// use std::time::Duration;
    ///
    /// let barrier = Barrier::new(2);
    /// let arrival = barrier.arrive();
    /// // ... work that needs nobody else's data ...
    /// assert_eq!(
    ///     arrival.wait_timeout(Duration::from_millis(1)),
    ///     Err(BarrierWaitError::TimedOut)
    /// );
    /// // The arrival was withdrawn: the barrier still waits for two.
    /// assert_eq!(barrier.wait_timeout(Duration::ZERO), Err(BarrierWaitError::TimedOut));
    /// ```
    pub fn wait_timeout(self, timeout: Duration) -> Result<BarrierWaitResult, BarrierWaitError> {
        self.wait_deadline(deadline_after(timeout))
    }

    /// Like [`wait_timeout`](Arrival::wait_timeout), with a deadline instead of a timeout.
    ///
    /// # Errors
    ///
    /// [`BarrierWaitError::TimedOut`] when the arrival was withdrawn;
    /// [`BarrierWaitError::Broken`] if the barrier is broken before the episode completes.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::Barrier;
    /// use std::time::{Duration, Instant};
    ///
    /// let barrier = Barrier::new(1);
    /// let arrival = barrier.arrive(); // the only participant: complete at once
    /// assert!(arrival.wait_until(Instant::now()).unwrap().is_leader());
    /// ```
    pub fn wait_until(self, deadline: Instant) -> Result<BarrierWaitResult, BarrierWaitError> {
        self.wait_deadline(Some(deadline))
    }

    fn wait_deadline(
        self,
        deadline: Option<Instant>,
    ) -> Result<BarrierWaitResult, BarrierWaitError> {
        match self.member {
            None => Ok(BarrierWaitResult::LEADER),
            Some(member) => self.barrier.finish_timed_wait(member, deadline),
        }
    }

    /// Returns whether the episode is complete (and everything the participants wrote before
    /// arriving is visible to this thread), or the barrier is broken. Either way
    /// [`wait`](Arrival::wait) no longer waits for the other participants: it returns, or it
    /// panics on a broken barrier whose episode did not complete. Once `true`, always `true`.
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
        // `is_released` makes the Acquire loads that pair with the leader's Release, as in `wait`.
        self.member.is_none() || self.barrier.is_released(self.episode) || self.barrier.is_broken()
    }
}

impl<F> fmt::Debug for Arrival<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Arrival")
            .field("episode", &self.episode.number())
            .field("is_leader", &self.member.is_none())
            .finish_non_exhaustive()
    }
}
