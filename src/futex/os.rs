//! The operating system's futex: the contract every platform file meets, the selector that picks
//! one, and the kernel-side [`Queue`] the crate's [`Futex`](super::Futex) uses. Which call serves
//! which platform is in one place, the README's "Platforms" table.

use crate::primitive::AtomicU32;
use std::cell::Cell;
use std::time::{Duration, Instant};

/// What a platform file provides: its `Os` implements this, and nothing outside this file knows
/// which `Os` it got. Every wait may return spuriously, and none says why it returned: the
/// caller looks at the word (and the clock) again.
trait Platform {
    /// Sleeps while `word` holds `expected`, until woken.
    fn wait(word: &AtomicU32, expected: u32);
    /// Sleeps while `word` holds `expected`, for at most about `timeout`.
    fn wait_for(word: &AtomicU32, expected: u32, timeout: Duration);
    /// Wakes one thread asleep on `word`, if any.
    fn wake_one(word: &AtomicU32);
    /// Wakes up to `n` threads asleep on `word`: `n` wakes of one, unless the platform has a
    /// call that takes a count.
    fn wake_many(word: &AtomicU32, n: u32) {
        for _ in 0..n {
            Self::wake_one(word);
        }
    }
    /// Wakes every thread asleep on `word`.
    fn wake_all(word: &AtomicU32);
}

cfg_if::cfg_if! {
    if #[cfg(any(target_os = "linux", target_os = "android"))] {
        #[path = "linux.rs"]
        mod platform;
    } else if #[cfg(windows)] {
        #[path = "windows.rs"]
        mod platform;
    } else if #[cfg(target_vendor = "apple")] {
        #[path = "apple.rs"]
        mod platform;
    } else {
        #[path = "poll.rs"]
        mod platform;
    }
}

use platform::Os;

std::thread_local! {
    /// When this thread last made a wake call, or came back from an untimed sleep or a timed
    /// one that did not time out: see [`last_wake`].
    static LAST_WAKE: Cell<Option<Instant>> = const { Cell::new(None) };
    /// Whether that last wake was a wake call this thread made (not a sleep it came back from):
    /// see [`made_last_wake`].
    static MADE: Cell<bool> = const { Cell::new(false) };
    /// The sleeps this thread has begun, for the tests that count them.
    #[cfg(test)]
    static SLEEPS: Cell<u64> = const { Cell::new(0) };
}

/// How many futex sleeps this thread has begun (tests only).
#[cfg(test)]
pub(super) fn sleeps() -> u64 {
    SLEEPS.with(Cell::get)
}

#[inline]
fn count_sleep() {
    #[cfg(test)]
    SLEEPS.with(|sleeps| sleeps.set(sleeps.get() + 1));
}

/// When this thread last woke a sleeper or was woken (`None`: never). The wait policy reads it:
/// the threads a waiter waits for just after a wake are often the ones that wake was for, still
/// on their way back from the kernel (docs/design.md, "Waiting"). Written only around system
/// calls, so the clock read costs nothing that matters.
pub(super) fn last_wake() -> Option<Instant> {
    LAST_WAKE.with(Cell::get)
}

/// Whether this thread's last wake was a wake call it made: the thread it woke may be on its
/// way to this thread's CPU (docs/design.md, "Waiting").
pub(super) fn made_last_wake() -> bool {
    MADE.with(Cell::get)
}

fn note_wake() {
    LAST_WAKE.with(|last| last.set(Some(Instant::now())));
    MADE.with(|m| m.set(true));
}

/// This thread came back at `now` from a sleep that no timeout ended.
fn note_woken(now: Instant) {
    LAST_WAKE.with(|last| last.set(Some(now)));
    MADE.with(|m| m.set(false));
}

/// The kernel keeps the queue of sleepers; there is nothing to keep here.
pub(super) struct Queue;

impl Queue {
    pub(super) const fn new() -> Queue {
        Queue
    }

    #[inline]
    pub(super) fn wait(&self, word: &AtomicU32, expected: u32) {
        count_sleep();
        Os::wait(word, expected);
        note_woken(Instant::now());
    }

    /// Sleeps while `word` holds `expected`, until woken or `deadline`; returns whether the
    /// deadline has passed, by [`Instant::now`], so no timed wait ends early.
    pub(super) fn wait_until(&self, word: &AtomicU32, expected: u32, deadline: Instant) -> bool {
        let Some(remaining) = deadline.checked_duration_since(Instant::now()) else {
            return true;
        };
        count_sleep();
        Os::wait_for(word, expected, remaining);
        let now = Instant::now();
        if now < deadline {
            note_woken(now);
        }
        now >= deadline
    }

    #[cold]
    pub(super) fn wake_all(&self, word: &AtomicU32) {
        Os::wake_all(word);
        note_wake();
    }

    #[cold]
    pub(super) fn wake(&self, word: &AtomicU32, n: u32) {
        match n {
            0 => return,
            1 => Os::wake_one(word),
            n => Os::wake_many(word, n),
        }
        note_wake();
    }
}
