//! Breaking a barrier: the [`PanicGuard`], and the panics of a broken or abandoned barrier.

use super::state::{Arrivals, Released};
use super::{Barrier, NoCompletion};
use crate::primitive::Ordering;
use std::fmt;

impl<F> Barrier<F> {
    /// Breaks the barrier: later arrivals see it in the arrival word, waiters in the release
    /// word, and sleepers are woken to see it.
    #[cold]
    pub(super) fn set_broken(&self) {
        // Relaxed, both: the flag publishes no data, and a thread that sees it only panics.
        self.arrivals.fetch_or(Arrivals::BROKEN, Ordering::Relaxed);
        let previous = self.released.fetch_or(Released::BROKEN, Ordering::Relaxed);
        // The bit stays set (a fetch_or cannot clear it); that costs at most one spare wake.
        self.released.wake_all_if_sleepers(previous);
    }
}

/// Panics for a caller (`"Barrier::wait"`, ...) that met a broken barrier.
#[cold]
#[track_caller]
pub(super) fn broken(caller: &str) -> ! {
    panic!("{caller}: the barrier is broken: a participant panicked")
}

/// Panics for a caller that arrived at a barrier every participant has left.
#[cold]
#[track_caller]
pub(super) fn no_participants(caller: &str) -> ! {
    panic!("{caller}: every participant has left the barrier (arrive_and_drop)")
}

/// Breaks its [`Barrier`] if dropped while its thread panics: made by [`Barrier::panic_guard`].
///
/// # Examples
///
/// ```
/// use syncpoint::Barrier;
///
/// let barrier = Barrier::new(2);
/// {
///     let _guard = barrier.panic_guard();
///     // ... work that may panic ...
/// } // dropped without a panic: the barrier is intact
/// assert!(!barrier.is_broken());
/// ```
#[must_use = "the guard breaks the barrier only if it is held while the thread panics"]
pub struct PanicGuard<'a, F = NoCompletion> {
    barrier: &'a Barrier<F>,
}

impl<'a, F> PanicGuard<'a, F> {
    pub(super) fn new(barrier: &'a Barrier<F>) -> Self {
        PanicGuard { barrier }
    }
}

impl<F> Drop for PanicGuard<'_, F> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.barrier.set_broken();
        }
    }
}

impl<F> fmt::Debug for PanicGuard<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PanicGuard").finish_non_exhaustive()
    }
}
