//! The reusable barrier: two turnstiles, opened and closed in turn under a mutex.

use super::wait;
use crate::primitive::{AtomicU32, Ordering};
use crate::{BarrierWaitResult, Semaphore};
use std::fmt;

/// A reusable barrier for `n` threads from two turnstiles, the book's solution.
///
/// Phase one counts arrivals up under the mutex; the `n`th locks the second turnstile and opens
/// the first. Phase two counts them down; the last locks the first turnstile and opens the
/// second. No thread can lap the others, because it cannot pass the second turnstile of one
/// episode before every thread has left the first.
///
/// # Examples
///
/// ```
/// use syncpoint::classic::TwoTurnstileBarrier;
/// use std::thread;
///
/// let barrier = TwoTurnstileBarrier::new(2);
/// thread::scope(|s| {
///     s.spawn(|| for _ in 0..10 { barrier.wait(); });
///     for _ in 0..10 { barrier.wait(); }
/// });
/// ```
pub struct TwoTurnstileBarrier {
    n: u32,
    /// Threads between the two turnstiles' updates; read and written only while holding `mutex`.
    count: AtomicU32,
    mutex: Semaphore,
    /// Open (one permit circulating) while the threads of an episode pass phase one.
    turnstile1: Semaphore,
    /// Open while they pass phase two; starts with its one permit.
    turnstile2: Semaphore,
}

impl TwoTurnstileBarrier {
    /// Creates a reusable barrier for `n` threads (`0` behaves as `1`).
    ///
    /// # Panics
    ///
    /// Panics if `n` exceeds `u32::MAX`.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::classic::TwoTurnstileBarrier;
    ///
    /// let barrier = TwoTurnstileBarrier::new(1);
    /// assert!(barrier.wait().is_leader());
    /// assert!(barrier.wait().is_leader());
    /// ```
    #[must_use]
    pub fn new(n: usize) -> TwoTurnstileBarrier {
        let n = u32::try_from(n.max(1)).expect("TwoTurnstileBarrier::new: n exceeds u32::MAX");
        TwoTurnstileBarrier {
            n,
            count: AtomicU32::new(0),
            mutex: Semaphore::new(1),
            turnstile1: Semaphore::new(0),
            turnstile2: Semaphore::new(1),
        }
    }

    /// Waits until all `n` threads have arrived; the last one is the leader.
    ///
    /// # Examples
    ///
    /// See [`TwoTurnstileBarrier`].
    pub fn wait(&self) -> BarrierWaitResult {
        // Relaxed on `count` throughout: it is guarded by `mutex`.
        wait(&self.mutex);
        let count = self.count.load(Ordering::Relaxed) + 1;
        self.count.store(count, Ordering::Relaxed);
        let is_leader = count == self.n;
        if is_leader {
            wait(&self.turnstile2); // lock the second
            self.turnstile1.release(); // unlock the first
        }
        self.mutex.release();
        wait(&self.turnstile1);
        self.turnstile1.release();

        wait(&self.mutex);
        let count = self.count.load(Ordering::Relaxed) - 1;
        self.count.store(count, Ordering::Relaxed);
        if count == 0 {
            wait(&self.turnstile1); // lock the first
            self.turnstile2.release(); // unlock the second
        }
        self.mutex.release();
        wait(&self.turnstile2);
        self.turnstile2.release();
        BarrierWaitResult { is_leader }
    }
}

impl fmt::Debug for TwoTurnstileBarrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwoTurnstileBarrier")
            .field("n", &self.n)
            .finish_non_exhaustive()
    }
}
