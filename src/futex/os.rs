//! The operating system's futex. Untimed waits and wakes of one or all go through atomic-wait, on
//! every platform it supports; the timed wait, and a wake of `n`, come from the platform's own
//! file.

use super::Woken;
use crate::primitive::AtomicU32;
use std::time::Instant;

#[cfg_attr(any(target_os = "linux", target_os = "android"), path = "linux.rs")]
#[cfg_attr(not(any(target_os = "linux", target_os = "android")), path = "poll.rs")]
mod platform;

/// The kernel keeps the queue of sleepers; there is nothing to keep here.
pub(super) struct Queue;

impl Queue {
    pub(super) const fn new() -> Queue {
        Queue
    }

    #[inline]
    pub(super) fn wait(&self, word: &AtomicU32, expected: u32) {
        atomic_wait::wait(word, expected);
    }

    /// Sleeps while `word` holds `expected`, until woken or `deadline`. Reports a timeout only
    /// once [`Instant::now`] has reached the deadline, so no timed wait ends early.
    pub(super) fn wait_until(&self, word: &AtomicU32, expected: u32, deadline: Instant) -> Woken {
        let Some(remaining) = deadline.checked_duration_since(Instant::now()) else {
            return Woken::TimedOut;
        };
        platform::wait_for(word, expected, remaining);
        if Instant::now() >= deadline {
            Woken::TimedOut
        } else {
            Woken::Recheck
        }
    }

    #[cold]
    pub(super) fn wake_all(&self, word: &AtomicU32) {
        atomic_wait::wake_all(word);
    }

    #[cold]
    pub(super) fn wake(&self, word: &AtomicU32, n: u32) {
        match n {
            0 => {}
            1 => atomic_wait::wake_one(word),
            n => platform::wake(word, n),
        }
    }
}
