//! Windows: `WaitOnAddress` and `WakeByAddress*`.

use super::Platform;
use crate::primitive::AtomicU32;
use std::time::Duration;
use wait_on_address::AtomicWait;

pub(super) struct Os;

impl Platform for Os {
    #[inline]
    fn wait(word: &AtomicU32, expected: u32) {
        atomic_wait::wait(word, expected);
    }

    fn wait_for(word: &AtomicU32, expected: u32, timeout: Duration) {
        // `WaitOnAddress` counts whole milliseconds and the crate rounds down, so a remainder
        // under a millisecond would return at once and the caller would spin until its deadline:
        // round up.
        let millis = timeout.as_nanos().div_ceil(1_000_000);
        word.wait_timeout(
            expected,
            Duration::from_millis(u64::try_from(millis).unwrap_or(u64::MAX)),
        );
    }

    fn wake_one(word: &AtomicU32) {
        atomic_wait::wake_one(word);
    }

    fn wake_all(word: &AtomicU32) {
        atomic_wait::wake_all(word);
    }
}
