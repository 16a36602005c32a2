//! What a wait returns: [`BarrierWaitResult`], and [`BarrierWaitError`] when it did not pass.

use std::error::Error;
use std::fmt;

/// What [`Barrier::wait`](crate::Barrier::wait) returns: whether this thread was the episode's leader.
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
    /// The result of the episode's leader.
    pub(super) const LEADER: BarrierWaitResult = BarrierWaitResult { is_leader: true };
    /// The result of every other participant.
    pub(super) const FOLLOWER: BarrierWaitResult = BarrierWaitResult { is_leader: false };

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

/// Why [`Barrier::wait_timeout`](crate::Barrier::wait_timeout) returned without passing the barrier.
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
#[non_exhaustive]
pub enum BarrierWaitError {
    /// The episode did not complete in time; the arrival was withdrawn.
    TimedOut,
    /// The barrier is broken: a participant panicked, or it was broken on purpose
    /// ([`Barrier::break_barrier`](crate::Barrier::break_barrier)).
    Broken,
}

impl fmt::Display for BarrierWaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BarrierWaitError::TimedOut => "the barrier wait timed out; the arrival was withdrawn",
            BarrierWaitError::Broken => {
                "the barrier is broken: a participant panicked, or it was broken on purpose"
            }
        })
    }
}

impl Error for BarrierWaitError {}
