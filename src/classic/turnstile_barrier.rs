//! The one-shot barrier: a counter under a mutex, and a turnstile that the last arrival opens.

use super::wait;
use crate::primitive::{AtomicU32, Ordering};
use crate::{BarrierWaitResult, Semaphore};
use std::fmt;

/// A single-use barrier for `n` threads: a counter guarded by a semaphore used as a mutex, and a
/// turnstile (a semaphore that each thread acquires and at once releases) opened by the last
/// arrival.
///
/// Once all `n` have passed, the turnstile stays open: later calls to `wait` return at once.
/// That is why it is not reusable; see [`TwoTurnstileBarrier`](super::TwoTurnstileBarrier).
///
/// # Examples
///
/// ```
/// use syncpoint::classic::TurnstileBarrier;
/// use std::thread;
///
/// let barrier = TurnstileBarrier::new(3);
/// let leaders: usize = thread::scope(|s| {
///     let handles: Vec<_> = (0..3).map(|_| s.spawn(|| barrier.wait().is_leader())).collect();
///     handles.into_iter().map(|h| h.join().unwrap() as usize).sum()
/// });
/// assert_eq!(leaders, 1);
/// ```
pub struct TurnstileBarrier {
    n: u32,
    /// Arrivals so far; read and written only while holding `mutex`.
    count: AtomicU32,
    mutex: Semaphore,
    turnstile: Semaphore,
}

impl TurnstileBarrier {
    /// Creates a one-shot barrier for `n` threads (`0` behaves as `1`).
    ///
    /// # Panics
    ///
    /// Panics if `n` exceeds `u32::MAX`.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::classic::TurnstileBarrier;
    ///
    /// let barrier = TurnstileBarrier::new(1);
    /// assert!(barrier.wait().is_leader());
    /// ```
    #[must_use]
    pub fn new(n: usize) -> TurnstileBarrier {
        let n = u32::try_from(n.max(1)).expect("TurnstileBarrier::new: n exceeds u32::MAX");
        TurnstileBarrier {
            n,
            count: AtomicU32::new(0),
            mutex: Semaphore::new(1),
            turnstile: Semaphore::new(0),
        }
    }

    /// Waits until all `n` threads have arrived; the last one is the leader.
    ///
    /// # Examples
    ///
    /// See [`TurnstileBarrier`].
    pub fn wait(&self) -> BarrierWaitResult {
        wait(&self.mutex);
        // Relaxed: `count` is guarded by `mutex`, whose Acquire/Release orders these accesses.
        let count = self.count.load(Ordering::Relaxed).saturating_add(1);
        self.count.store(count, Ordering::Relaxed);
        let is_leader = count == self.n;
        self.mutex.release();
        if is_leader {
            self.turnstile.release();
        }
        wait(&self.turnstile);
        self.turnstile.release();
        BarrierWaitResult { is_leader }
    }
}

impl fmt::Debug for TurnstileBarrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TurnstileBarrier")
            .field("n", &self.n)
            .finish_non_exhaustive()
    }
}
