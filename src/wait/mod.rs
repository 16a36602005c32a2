//! Waiting: the crate's one wait loop, the public [`WaitPolicy`] and the spin it chooses.
//!
//! | file | what it holds |
//! |---|---|
//! | `mod.rs` | [`wait`], the loop every primitive waits in, and [`deadline_after`] |
//! | `policy.rs` | the public [`WaitPolicy`] |
//! | `spin.rs` | [`Spin`], the spin (or yield) before a sleep, as the policy says |
//! | `no_spin.rs` | the spin under `--cfg loom`: none |

use crate::futex::{Futex, Woken};
use crate::primitive::Ordering;
use std::time::{Duration, Instant};

#[cfg(all(test, not(loom)))]
mod convoy_tests;
mod policy;
#[cfg_attr(loom, path = "no_spin.rs")]
mod spin;

pub use policy::WaitPolicy;
#[cfg(all(test, not(loom)))]
use spin::set_budget;
use spin::Spin;

/// A waiting thread's side of [`wait`]: when it can proceed, and how it says that it sleeps.
///
/// A closure `FnMut(u32) -> Option<T>` is a waiter whose condition lives in the futex word (or is
/// read beside it) and that announces its sleep with [`Futex::mark_sleepers`].
pub(crate) trait Waiter {
    /// What the wait returns when the thread can proceed.
    type Output;

    /// Decides, on `observed` (the futex word, just loaded with Acquire) and whatever else the
    /// primitive reads, whether this thread can proceed now; `None` to keep waiting.
    fn ready(&mut self, observed: u32) -> Option<Self::Output>;

    /// The thread is about to sleep on `observed`: announce it to the wakers, and return the value
    /// to sleep on, or `None` to look again at once (the state changed meanwhile).
    ///
    /// It must never return a value on which this thread could proceed: a thread asleep on such
    /// a value waits for a wake that nobody owes it. The default, [`Futex::mark_sleepers`], is
    /// right for a `ready` that decided on `observed` itself; a `ready` that re-reads the state
    /// must judge `observed` here again.
    fn announce(&mut self, futex: &Futex, observed: u32) -> Option<u32> {
        futex.mark_sleepers(observed)
    }
}

impl<T, F: FnMut(u32) -> Option<T>> Waiter for F {
    type Output = T;

    #[inline]
    fn ready(&mut self, observed: u32) -> Option<T> {
        self(observed)
    }
}

/// The deadline passed before the waiter could proceed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimedOut;

/// The crate's one wait loop, shaped like std's `Condvar::wait_while`: look, then spin or sleep
/// on the value looked at, until `waiter` can proceed or `deadline` (`None`: none) passes.
///
/// `policy` and `waiters` (how many threads may wait on the primitive together; 1 when unknown)
/// choose the spin. After a timed-out sleep the waiter gets one last look, so a change that came
/// with the deadline wins; a timeout is reported no sooner than the deadline.
pub(crate) fn wait<W: Waiter>(
    futex: &Futex,
    policy: WaitPolicy,
    waiters: usize,
    deadline: Option<Instant>,
    waiter: &mut W,
) -> Result<W::Output, TimedOut> {
    let mut spin = Spin::new(policy, waiters, deadline);
    loop {
        // Acquire: the waiter decides on this value; each primitive names the Release that it
        // pairs with (docs/design.md, "Release/Acquire pairs").
        let observed = futex.load(Ordering::Acquire);
        if let Some(output) = waiter.ready(observed) {
            return Ok(output);
        }
        if spin.spin() {
            continue;
        }
        let expired = match waiter.announce(futex, observed) {
            Some(expected) => futex.sleep(expected, deadline) == Woken::TimedOut,
            // The state changed as the waiter announced itself: look again, but not past the
            // deadline (a waiter is not to loop here for long, and a timed one never past it).
            None => deadline.is_some_and(|deadline| Instant::now() >= deadline),
        };
        if expired {
            // The last look: a change that came with the deadline wins. Acquire: as above.
            let observed = futex.load(Ordering::Acquire);
            return waiter.ready(observed).ok_or(TimedOut);
        }
    }
}

/// Converts a timeout into a deadline; `None` (no deadline) where `now + timeout` overflows
/// `Instant`, so `Duration::MAX` means "wait for ever" rather than a panic.
#[inline]
pub(crate) fn deadline_after(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{wait, TimedOut, WaitPolicy, Waiter};
    use crate::futex::Futex;
    use std::time::{Duration, Instant};

    /// A waiter that never proceeds and whose announce always finds the state changed.
    struct Restless;

    impl Waiter for Restless {
        type Output = ();
        fn ready(&mut self, _observed: u32) -> Option<()> {
            None
        }
        fn announce(&mut self, _futex: &Futex, _observed: u32) -> Option<u32> {
            None
        }
    }

    /// A waiter whose announce keeps failing loops without sleeping, but still reports a
    /// timeout no sooner than its deadline.
    #[test]
    fn a_restless_waiter_times_out_no_sooner_than_its_deadline() {
        let futex = Futex::new(0);
        let timeout = Duration::from_millis(30);
        let start = Instant::now();
        let result = wait(
            &futex,
            WaitPolicy::Passive,
            1,
            Some(start + timeout),
            &mut Restless,
        );
        assert_eq!(result, Err(TimedOut));
        assert!(
            start.elapsed() >= timeout,
            "timed out after {:?}",
            start.elapsed()
        );
    }
}
