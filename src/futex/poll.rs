//! FreeBSD and every other platform without a file of its own: atomic-wait has no timed wait
//! there, and wait_on_address's FreeBSD timed wait passes a relative timeout as an absolute
//! time, so it returns at once (docs/design.md). The timed wait polls the word, sleeping between
//! looks with a back-off from 50 µs doubling to 1 ms, never past the timeout; a wake of `n` is
//! `n` wakes of one.

use crate::primitive::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Sleeps while `word` holds `expected`, for at most about `timeout`; may return sooner.
pub(super) fn wait_for(word: &AtomicU32, expected: u32, timeout: Duration) {
    let start = Instant::now();
    let mut nap = Duration::from_micros(50);
    // Relaxed: the caller's look after this returns carries the ordering.
    while word.load(Ordering::Relaxed) == expected {
        let Some(remaining) = timeout.checked_sub(start.elapsed()) else {
            return;
        };
        std::thread::sleep(nap.min(remaining));
        nap = (nap * 2).min(Duration::from_millis(1));
    }
}

/// Wakes up to `n` threads asleep on `word`, one system call each: atomic-wait wakes one or all.
pub(super) fn wake(word: &AtomicU32, n: u32) {
    for _ in 0..n {
        atomic_wait::wake_one(word);
    }
}
