//! FreeBSD and every platform without a file of its own: `_umtx_op`, and a timed wait that polls.
//! atomic-wait has no timed wait, and wait_on_address's FreeBSD timed wait passes a relative
//! timeout as an absolute time, so it returns at once (docs/design.md). The timed wait looks at
//! the word and sleeps between looks with a back-off from 50 µs doubling to 1 ms, never past the
//! timeout.

use super::Platform;
use crate::primitive::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub(super) struct Os;

impl Platform for Os {
    #[inline]
    fn wait(word: &AtomicU32, expected: u32) {
        atomic_wait::wait(word, expected);
    }

    fn wait_for(word: &AtomicU32, expected: u32, timeout: Duration) {
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

    fn wake_one(word: &AtomicU32) {
        atomic_wait::wake_one(word);
    }

    fn wake_all(word: &AtomicU32) {
        atomic_wait::wake_all(word);
    }
}
