//! Windows: the timed wait is `WaitOnAddress` with a timeout, through wait_on_address (atomic-wait,
//! which serves the untimed waits and the wakes through the same `WaitOnAddress` and
//! `WakeByAddress*`, has no timed wait); a wake of `n` is `n` wakes of one.

use crate::primitive::AtomicU32;
use std::time::Duration;
use wait_on_address::AtomicWait;

/// Sleeps while `word` holds `expected`, for at most about `timeout`; may return sooner.
pub(super) fn wait_for(word: &AtomicU32, expected: u32, timeout: Duration) {
    // `WaitOnAddress` counts whole milliseconds and the crate rounds down, so a remainder under a
    // millisecond would return at once and the caller would spin until its deadline: round up.
    let millis = timeout.as_nanos().div_ceil(1_000_000);
    word.wait_timeout(
        expected,
        Duration::from_millis(u64::try_from(millis).unwrap_or(u64::MAX)),
    );
}

/// Wakes up to `n` threads asleep on `word`: `WakeByAddressSingle` `n` times.
pub(super) fn wake(word: &AtomicU32, n: u32) {
    for _ in 0..n {
        atomic_wait::wake_one(word);
    }
}
