//! The timed wait where atomic-wait offers none and no futex crate with a sound timed wait was
//! found (docs/design.md): poll the word, sleeping between looks with a back-off from 50 µs
//! doubling to 1 ms, never past the timeout.

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
