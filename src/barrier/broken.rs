//! Breaking a barrier: the [`PanicGuard`], [`Barrier::break_barrier`](crate::Barrier::break_barrier),
//! and the panics of a broken or abandoned barrier.

use super::episode::{NoCompletion, RawBarrier, Refused};
use super::state::{Arrivals, Released};
use crate::primitive::Ordering;
use std::fmt;
use std::marker::PhantomData;

impl RawBarrier {
    /// Breaks the barrier: later arrivals see it in the arrival word, waiters in the release
    /// word, and sleepers are woken to see it. `failed`: the completion of the episode being led
    /// panicked, so that episode will not be released either.
    #[cold]
    pub(super) fn set_broken(&self, failed: bool) {
        // Relaxed: the flag publishes no data. Set here first, so every arrival after it is
        // refused; the value it replaces says whether the open episode had all its arrivals.
        let before = self
            .arrive
            .word
            .fetch_or(Arrivals::BROKEN, Ordering::Relaxed);
        let doomed = failed || (!before.is_broken() && !before.is_full());
        let flags = Released::BROKEN | if doomed { Released::DOOMED } else { 0 };
        // Release: pairs with the wait loop's Acquire load of this word, so that a waiter that
        // sees the flags and then reads the arrival word's episode (`will_release`) sees every
        // reset made before the break.
        let previous = self.release.word.fetch_or(flags, Ordering::Release);
        // The bits stay set (a fetch_or cannot clear them); that costs at most one spare wake.
        self.release.word.wake_all_if_sleepers(previous);
        if let Some(tree) = self.tree.get().and_then(Option::as_deref) {
            self.wake_leaves(tree, previous);
        }
    }
}

/// Panics for a caller (`"Barrier::wait"`, ...) that met a broken barrier.
#[cold]
#[track_caller]
pub(super) fn broken(caller: &str) -> ! {
    panic!("{caller}: the barrier is broken: a participant panicked, or it was broken on purpose")
}

/// Panics for a caller (`"Barrier::wait"`, ...) whose arrival was refused, and taken back.
#[cold]
#[track_caller]
pub(super) fn refused(caller: &str, refusal: Refused) -> ! {
    match refusal {
        Refused::Broken | Refused::TimedOut => broken(caller),
        Refused::NoParticipants => {
            panic!("{caller}: every participant has left the barrier (arrive_and_drop)")
        }
        Refused::TooMany => panic!("{caller}: more participants than Barrier::MAX_PARTICIPANTS"),
        Refused::FromCompletion => panic!(
            "{caller}: called from within this barrier's own completion, which runs before the \
             episode is released: the call would wait for itself"
        ),
    }
}

/// Breaks its [`Barrier`](crate::Barrier) if dropped while its thread panics: made by
/// [`Barrier::panic_guard`](crate::Barrier::panic_guard).
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
    barrier: &'a RawBarrier,
    /// The barrier's completion type, which the guard borrows the barrier with.
    completion: PhantomData<&'a F>,
}

impl<'a, F> PanicGuard<'a, F> {
    pub(super) fn new(barrier: &'a RawBarrier) -> Self {
        PanicGuard {
            barrier,
            completion: PhantomData,
        }
    }
}

impl<F> Drop for PanicGuard<'_, F> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.barrier.set_broken(false);
        }
    }
}

impl<F> fmt::Debug for PanicGuard<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PanicGuard").finish_non_exhaustive()
    }
}
