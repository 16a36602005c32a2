//! The two-thread rendezvous: two semaphores, each signalled by one thread and awaited by the
//! other.

use super::wait;
use crate::Semaphore;
use std::fmt;

/// A meeting point for exactly two threads, `a` and `b`: neither passes until both have arrived.
///
/// Thread `a` calls [`wait_a`](Rendezvous::wait_a) and thread `b` calls
/// [`wait_b`](Rendezvous::wait_b); each signals its own arrival before waiting for the other's, so
/// whatever either thread did before the rendezvous happens before what both do after it. It can
/// be used again and again by the same two threads.
///
/// # Examples
///
/// ```
/// use syncpoint::classic::Rendezvous;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::thread;
///
/// let meet = Rendezvous::new();
/// let (a1, b1) = (AtomicBool::new(false), AtomicBool::new(false));
/// thread::scope(|s| {
///     s.spawn(|| {
///         a1.store(true, Ordering::Relaxed);
///         meet.wait_a();
///         assert!(b1.load(Ordering::Relaxed)); // b1 happened before a2
///     });
///     b1.store(true, Ordering::Relaxed);
///     meet.wait_b();
///     assert!(a1.load(Ordering::Relaxed)); // a1 happened before b2
/// });
/// ```
pub struct Rendezvous {
    a_arrived: Semaphore,
    b_arrived: Semaphore,
}

impl Rendezvous {
    /// Creates a rendezvous with neither thread arrived.
    ///
    /// # Examples
    ///
    /// ```
    /// use syncpoint::classic::Rendezvous;
    ///
    /// let meet = Rendezvous::new();
    /// # let _ = meet;
    /// ```
    #[must_use]
    pub fn new() -> Rendezvous {
        Rendezvous {
            a_arrived: Semaphore::new(0),
            b_arrived: Semaphore::new(0),
        }
    }

    /// Thread `a`'s side: signal that `a` has arrived, then wait for `b`.
    ///
    /// # Examples
    ///
    /// See [`Rendezvous`].
    pub fn wait_a(&self) {
        self.a_arrived.release();
        wait(&self.b_arrived);
    }

    /// Thread `b`'s side: signal that `b` has arrived, then wait for `a`.
    ///
    /// # Examples
    ///
    /// See [`Rendezvous`].
    pub fn wait_b(&self) {
        self.b_arrived.release();
        wait(&self.a_arrived);
    }
}

impl Default for Rendezvous {
    fn default() -> Rendezvous {
        Rendezvous::new()
    }
}

impl fmt::Debug for Rendezvous {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rendezvous").finish_non_exhaustive()
    }
}
